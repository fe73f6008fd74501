"""The content security policy (issue 13), without a browser: every page carries it, in every
mode; no template needs an inline script or style; the two <style> hashes the policy allows are
exactly those of the installed Plotly. tests/web/test_csp_browser.py checks it in Chromium."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

import pbc

TEMPLATES = Path(pbc.__file__).parent / "web" / "templates"
# Self-contained documents (the PDF's source, and the ?format=html download): never a page.
DOCUMENTS = {"plans/report_document.jinja", "reports/board_document.jinja"}


def directives(header: str) -> dict[str, list[str]]:
    parts = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in parts}


@pytest.mark.django_db
def test_pages_carry_the_policy_without_unsafe_inline() -> None:
    from django.contrib.auth import get_user_model

    client = Client()
    for path in ("/accounts/login/", "/public/"):
        response = client.get(path, follow=True)
        assert response.status_code == 200, path
        header = response.headers["Content-Security-Policy"]
        policy = directives(header)
        assert "'unsafe-inline'" not in header and "'unsafe-eval'" not in header
        assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"] and policy["form-action"] == ["'self'"]
        # the NHS.UK template's one inline script carries this response's nonce
        nonce = next(v for v in policy["script-src"] if v.startswith("'nonce-"))[7:-1]
        assert f'<script nonce="{nonce}">document.body.className' in response.content.decode()

    # a signed-in page, and the Django admin, too
    admin = get_user_model().objects.create_superuser("csp-admin", "", "a-long-passphrase-1")
    client.force_login(admin)
    for path in ("/", "/admin/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"], path


def test_templates_have_no_inline_script_or_style() -> None:
    """Scripts are static files and data blocks are JSON; styles are in stylesheets."""
    found = []
    for path in sorted(TEMPLATES.rglob("*.jinja")):
        name = path.relative_to(TEMPLATES).as_posix()
        if name in DOCUMENTS:
            continue
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and 'type="application/json"' not in tag:
                found.append(f"{name}: {tag}")
        found += [f"{name}: {m}" for m in re.findall(r"<style\b|\sstyle=", text)]
        found += [f"{name}: {m}" for m in re.findall(r"\son[a-z]+=\"", text)]  # onclick= etc.
    assert found == []


def style_hash(text: str) -> str:
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return f"'sha256-{digest}'"


def test_the_allowed_style_hashes_are_those_of_the_installed_plotly() -> None:
    import plotly

    bundle = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text()
    # Plotly makes exactly two <style> elements: its own, empty (rules go in through the CSSOM),
    # and MapLibre's, with fixed text.
    assert bundle.count('document.createElement("style")') == 2
    maplibre = re.search(r"e\.textContent='([^'\\]*)'", bundle)
    assert maplibre is not None and maplibre[1].startswith(".maplibregl-map{")
    expected = [style_hash(""), style_hash(maplibre[1])]
    assert expected == settings.PLOTLY_STYLE_HASHES
    assert settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["style-src"] == ["'self'", *expected]


@pytest.mark.django_db
def test_signed_in_pages_are_never_cached() -> None:
    from django.contrib.auth import get_user_model

    anonymous = Client()
    assert "no-store" not in anonymous.get("/public/").headers.get("Cache-Control", "")
    client = Client()
    client.force_login(get_user_model().objects.get(username="locality"))
    for path in ("/", "/finance/localities/dacorum/", "/indicators/localities/dacorum/?format=csv"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response.headers["Cache-Control"], path
        assert "private" in response.headers["Cache-Control"], path
    # a view's own caching is kept: Plotly's script is the same for everyone
    plotly = client.get("/indicators/plotly.min.js")
    assert plotly.headers["Cache-Control"] == "public, max-age=86400"


@pytest.mark.django_db
def test_signing_out_clears_the_sites_cache_and_storage() -> None:
    """ASVS 8.2.3: signing out told the browser nothing about what it kept."""
    client = Client()
    client.force_login(get_user_model().objects.get(username="locality"))
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert client.get("/localities/dacorum/").status_code == 302  # signed out
