"""The NHS.UK frontend's stylesheet, served without waiting on the internet.

The frontend's CSS declares the NHS font (Frutiger) as @font-face rules that load from
https://assets.nhs.uk. The font is not in the npm package, so every page would ask that host for
it; offline, or behind a firewall, the browser waits for it (seconds) before falling back.
pbc serves the stylesheet itself: with no font host set (`PBC_FONT_HOST`, the default) the
@font-face rules are removed, so the browser uses the frontend's fallback stack (Arial, then
the system's sans-serif) at once and no page refers to another host. With a font host set
(e.g. `PBC_FONT_HOST=https://assets.nhs.uk`, or a host of the trust's own that serves the same
/fonts/ files) the rules point there, and the content security policy allows that host in
font-src (settings.py).
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from pbc.web.rules import public

NHS_FONT_HOST = "https://assets.nhs.uk"
FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}")


def with_font_host(css: str, font_host: str) -> str:
    """The stylesheet with its @font-face rules loading from `font_host` (no trailing slash),
    or with no @font-face rule at all when `font_host` is empty."""
    if not font_host:
        return FONT_FACE.sub("", css)
    return css.replace(NHS_FONT_HOST + "/", font_host.rstrip("/") + "/")


@cache
def _stylesheet(path: Path, font_host: str) -> bytes:
    return with_font_host(path.read_text(encoding="utf-8"), font_host).encode("utf-8")


def source_path() -> Path:
    return Path(settings.FRONTEND_DIR) / f"nhsuk-frontend-{settings.NHSUK_FRONTEND_VERSION}.min.css"


def stylesheet_url() -> str:
    """The address of the served stylesheet: it names the frontend's version and the font host
    (a short digest), so browsers may keep it for a year and a change of either is fetched."""
    digest = hashlib.sha256(settings.PBC_FONT_HOST.encode()).hexdigest()[:8]
    return f"/frontend/nhsuk-frontend.css?v={settings.NHSUK_FRONTEND_VERSION}-{digest}"


@public
def frontend_stylesheet(request: HttpRequest) -> HttpResponse:
    body = _stylesheet(source_path(), settings.PBC_FONT_HOST)
    response = HttpResponse(body, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
