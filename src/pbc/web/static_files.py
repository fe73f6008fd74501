"""Serving static files (ASVS 12.5.1): only the kinds of file a page loads.

WhiteNoise serves pbc's static folder, the static folders of the installed apps (the Django
admin's) and the NHS.UK frontend's `dist` folder. Those folders also hold files no page needs:
the frontend's source maps, Sass sources, Nunjucks templates, TypeScript declarations, JSON and
Markdown, and licence files. `StaticFilesMiddleware` serves a file only when its extension is in
`SERVED`; any other file is left out (the request goes on to the URL configuration, which has
no such page: 404), whatever folder it is in and whether WhiteNoise found it at start or looks
it up per request (autorefresh, in development).
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from whitenoise.middleware import WhiteNoiseMiddleware

# Stylesheets, scripts (the frontend's ES modules included), images and fonts.
SERVED = frozenset(
    {
        ".css",
        ".js",
        ".mjs",
        ".png",
        ".svg",
        ".ico",
        ".gif",
        ".jpg",
        ".jpeg",
        ".webp",
        ".woff",
        ".woff2",
    }
)


def served(url: str) -> bool:
    """Whether a static file at `url` is of a kind pages load."""
    return PurePosixPath(url).suffix.lower() in SERVED


class StaticFilesMiddleware(WhiteNoiseMiddleware):  # type: ignore[misc]
    """WhiteNoise, serving only the extensions in `SERVED`."""

    def add_file_to_dictionary(self, url: str, path: str, stat_cache: Any = None) -> None:
        if served(url):
            super().add_file_to_dictionary(url, path, stat_cache=stat_cache)

    def find_file(self, url: str) -> Any:
        return super().find_file(url) if served(url) else None
