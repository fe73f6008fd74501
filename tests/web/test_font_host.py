"""No page waits on an external request (issue 17): the NHS font is asked for only when
PBC_FONT_HOST names a host; otherwise pages, their stylesheet and the content security policy
refer to no other host."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from django.test import Client, override_settings

EXTERNAL = re.compile(r"https?://(?!testserver)[a-z0-9.-]+", re.IGNORECASE)


def stylesheet_of(client: Client, page: str) -> tuple[str, str]:
    html = client.get(page).content.decode()
    hrefs = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    frontend = next(href for href in hrefs if href.startswith("/frontend/"))
    response = client.get(frontend)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/css")
    return html, response.content.decode()


@pytest.mark.django_db
def test_without_a_font_host_nothing_refers_to_another_host() -> None:
    client = Client()
    html, css = stylesheet_of(client, "/about/")
    # the page's own links, scripts and stylesheets (the footer's text names no address)
    assert not EXTERNAL.findall(" ".join(re.findall(r'(?:href|src)="([^"]+)"', html)))
    assert "@font-face" not in css and not EXTERNAL.findall(css.replace("http://www.w3.org", ""))
    # the frontend's own rules are all there
    assert ".nhsuk-header" in css and "Frutiger W01" in css


@pytest.mark.django_db
def test_a_font_host_is_used_when_set() -> None:
    with override_settings(PBC_FONT_HOST="https://fonts.example.nhs.uk"):
        _, css = stylesheet_of(Client(), "/about/")
    faces = re.findall(r"@font-face\{[^}]*\}", css)
    assert len(faces) >= 2
    assert all("url(https://fonts.example.nhs.uk/fonts/Frutiger" in face for face in faces)
    assert "assets.nhs.uk" not in css


def font_sources(font_host: str | None) -> list[str]:
    """font-src as the settings compute it from the environment (a fresh interpreter: settings
    read the environment once)."""
    env = {k: v for k, v in os.environ.items() if k != "PBC_FONT_HOST"}
    if font_host is not None:
        env["PBC_FONT_HOST"] = font_host
    env["DJANGO_SETTINGS_MODULE"] = "pbc.config.settings"
    script = (
        "from django.conf import settings; "
        "print(' '.join(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['font-src']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.split()


def test_the_policy_allows_a_font_host_only_when_set() -> None:
    assert font_sources(None) == ["'self'"]
    assert font_sources("https://assets.nhs.uk/") == ["'self'", "https://assets.nhs.uk"]
