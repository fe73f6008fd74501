"""The public site as a list of pages: a crawl from /public/ plus the known public URL patterns.

Shared by tests/web/test_public_accessibility.py (a real browser, axe-core) and
tests/web/test_public_disclosure.py (Django's test client). A page is public when the view its
path resolves to is declared `@public` (pbc.web.rules); links to other views are not followed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from lxml import html as lxml_html

from pbc.web.rules import access_of

START = "/public/"
# Public views that are not pages: signing out (POST), the charts' JavaScript, and the home
# page, which sends a visitor who is not signed in to /public/ (START).
NOT_PAGES = {"logout", "plotly_js", "home"}
MAX_PAGES = 600


def public_route_names() -> dict[str, str]:
    """Every URL pattern (as a string) whose view is `@public`, by route name."""
    found: dict[str, str] = {}

    def walk(resolver: URLResolver, prefix: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                if getattr(entry, "app_name", None) != "admin":
                    walk(entry, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                rule = access_of(entry.callback)
                if rule is not None and rule.public and entry.name not in NOT_PAGES:
                    found[entry.name or prefix + str(entry.pattern)] = prefix + str(entry.pattern)

    walk(get_resolver(), "/")
    return found


def is_public_page(path: str) -> bool:
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return False
    rule = access_of(match.func)
    return rule is not None and rule.public and match.url_name not in NOT_PAGES


def known_urls() -> list[str]:
    """Every public URL pattern filled with every value the demo holds for its argument,
    including the organisations and quarters that arrive in the query string."""
    from pbc import periods
    from pbc.indicators import definitions
    from pbc.orgs.models import Locality, Pct
    from pbc.plans.models import Plan
    from pbc.services import experience

    localities = list(Locality.objects.order_by("slug"))
    values: dict[str, list[str]] = {
        "locality": [loc.slug for loc in localities],
        "plan": list(Plan.objects.exclude(status=Plan.Status.DRAFT).values_list("slug", flat=True)),
        "indicator": sorted(definitions.catalogue()),
    }
    orgs = [f"pct:{p.code}" for p in Pct.objects.order_by("code")] + [
        f"locality:{loc.slug}" for loc in localities
    ]
    urls: list[str] = []
    for name, pattern in sorted(public_route_names().items()):
        args = re.findall(r"<(?:\w+:)?(\w+)>", pattern)
        if not args:
            urls.append(pattern)
            continue
        assert len(args) == 1, f"{pattern}: teach public_site.known_urls several arguments"
        assert args[0] in values, f"{pattern}: teach public_site.known_urls <{args[0]}>"
        for value in values[args[0]]:
            url = re.sub(r"<(?:\w+:)?\w+>", value, pattern)
            urls.append(url)
            if name == "indicators_public_indicator":
                urls += [f"{url}?org={org}" for org in orgs]
            if name == "experience_public":
                locality = next(loc for loc in localities if loc.slug == value)
                urls += [
                    f"{url}?quarter={periods.quarter_label(q).replace(' ', '%20')}"
                    for q in experience.quarters_with_results(locality)
                ]
    return urls


def same_site_links(page_path: str, html: str) -> list[str]:
    """Paths (with query strings) of the page's links that stay on the site."""
    tree = lxml_html.fromstring(html)
    out = []
    for href in tree.xpath("//a/@href"):
        parts = urlsplit(urljoin("http://site" + page_path, str(href)))
        if parts.netloc != "site" or parts.scheme not in ("http", "https"):
            continue
        out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def normalise(path: str) -> str:
    return path.replace(" ", "%20")


def same_layout(path: str) -> str:
    """A page's layout: its path and query with any organisation (`org=...`) reading `org=*`:
    which organisation changes the figures an indicator page shows, not its template or chart."""
    parts = urlsplit(path)
    query = "&".join("org=*" if q.startswith("org=") else q for q in parts.query.split("&") if q)
    return parts.path + (f"?{query}" if query else "")


def crawl(
    fetch: Callable[[str], str | None],
    extra: list[str] | None = None,
    key: Callable[[str], str] | None = None,
) -> dict[str, str]:
    """Visit /public/ and every public page reachable from it by links, then `extra` pages
    not reached; `fetch` returns a page's HTML (None when it is not an HTML page). With `key`,
    a page whose key was already visited is skipped (one page per layout, say)."""
    seen: dict[str, str] = {}
    keys: set[str] = set()
    queue = [START] + [normalise(u) for u in extra or []]
    queued = set(queue)
    while queue:
        path = queue.pop(0)
        if key is not None:
            if key(path) in keys:
                continue
            keys.add(key(path))
        html = fetch(path)
        if html is None:
            continue
        seen[path] = html
        assert len(seen) <= MAX_PAGES, "the crawl does not end: too many public pages"
        for link in same_site_links(path, html):
            link = normalise(link)
            if link not in queued and is_public_page(link):
                queued.add(link)
                queue.append(link)
    return seen
