"""Only the kinds of file pages load are served as static files (ASVS 12.5.1). Before, WhiteNoise
served every file of the folders it was given: the NHS.UK frontend's source maps, Sass sources,
Nunjucks templates, JSON fixtures and README files, and the Django admin's licence files."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.test import Client

from pbc.web import static_files


def frontend_url(path: Path) -> str:
    return "/" + path.relative_to(settings.FRONTEND_DIR).as_posix()


def test_what_pages_load_is_served() -> None:
    client = Client()
    version = settings.NHSUK_FRONTEND_VERSION
    for url in (
        "/static/pbc/init.js",
        "/static/pbc/pbc.css",
        f"/nhsuk-frontend-{version}.min.js",
        "/static/admin/css/base.css",
        "/static/admin/img/icon-yes.svg",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        b"".join(response.streaming_content)  # type: ignore[attr-defined]
    images = [p for p in Path(settings.FRONTEND_DIR).rglob("*") if p.suffix in {".png", ".svg"}]
    assert images and client.get(frontend_url(images[0])).status_code == 200


def test_other_files_of_the_same_folders_are_not() -> None:
    client = Client()
    root = Path(settings.FRONTEND_DIR)
    version = settings.NHSUK_FRONTEND_VERSION
    others = [
        root / f"nhsuk-frontend-{version}.min.js.map",
        next(root.rglob("*.scss")),
        next(root.rglob("*.njk")),
        next(root.rglob("*.d.mts")),
        next(root.rglob("fixtures.json")),
        next(root.rglob("README.md")),
    ]
    for path in others:
        assert path.is_file(), path  # the file is there; it is not served
        url = frontend_url(path)
        assert not static_files.served(url)
        response = client.get(url)
        assert response.status_code == 404, (url, response.status_code)
    for url in ("/static/admin/img/README.txt", "/static/admin/img/LICENSE"):
        assert client.get(url).status_code == 404, url
