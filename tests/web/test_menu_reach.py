"""Every view a demo role may see is reachable by following links from its home page.

A crawl on the test client: from `/`, follow every same-site link (GET) of every HTML page,
visiting at most a few URLs per view (a view reached once is reached), and collect the view
names. Every view the role may open (by the permission matrix's oracle) must be among them.
"""

from __future__ import annotations

from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import Resolver404, resolve

from pbc.demo import DEMO_USERS
from pbc.orgs.roles import Role
from pbc.web.rules import access_of
from web.test_permission_matrix import ROUTES, expected_allowed, urls_for

VISITS_PER_VIEW = 2  # each view's page is read twice: a list and one of its items

# Views no link leads to, by design: steps of signing in, a form's target, and the locality's
# schedule downloads, which its sign-off page lists once a challenge has been signed off.
NOT_LINKED = {
    "verify": "a step of signing in",
    "enrol": "a step of signing in",
    "confirm_password": "asked for before a sensitive page once the password is 15 minutes old",
    "security_key_register_begin": "a JSON step of adding a security key (POST)",
    "security_key_register_finish": "a JSON step of adding a security key (POST)",
    "security_key_verify_begin": "a JSON step of signing in with a security key (POST)",
    "security_key_verify_finish": "a JSON step of signing in with a security key (POST)",
    "business_case_change": "the target of the business case page's form (POST)",
    "import_confirm": "the target of an import preview's form (POST)",
    "validation_locality_schedule_csv": "listed once the locality has signed off a challenge",
    "validation_locality_schedule_xlsx": "listed once the locality has signed off a challenge",
}


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def crawl(client: Client) -> dict[str, str]:
    """The view names reached from `/`, each with the first URL that reached it."""
    reached: dict[str, str] = {}
    visits: dict[str, int] = {}
    queue = deque(["/"])
    seen = {"/"}
    while queue:
        url = queue.popleft()
        try:
            match = resolve(urlsplit(url).path)
        except Resolver404:
            continue
        name = match.url_name or match.route
        reached.setdefault(name, url)
        if visits.get(name, 0) >= VISITS_PER_VIEW:
            continue
        visits[name] = visits.get(name, 0) + 1
        response = client.get(url)
        assert response.status_code in (200, 302), f"{url} -> {response.status_code}"
        if response.status_code == 302 or "html" not in response.get("Content-Type", ""):
            continue
        parser = Links()
        parser.feed(response.content.decode())
        for href in parser.hrefs:
            href = urldefrag(href)[0]
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            if href not in seen:
                seen.add(href)
                queue.append(href)
    return reached


# Signed-in pages that hold nothing of the role's: indexes of localities' plans and board
# packs for a practice, the commissioners' pages for a provider. The role may open them (they
# list nothing), but no menu need lead there.
NOTHING_OF_THEIRS = {
    Role.PRACTICE_USER: {"plans_index", "reports_index", "services_index"},
    Role.PROVIDER_USER: {
        "plans_index", "reports_index", "finance_index", "population_index",
        "population_model_card", "indicators_index", "indicator", "indicator_csv",
        "indicator_xlsx", "rtt_week_bands",
    },
}  # fmt: skip


def may_see(username: str) -> set[str]:
    """The views the user may open with GET, by the permission matrix's oracle (the role holds
    the view's permission for one of the matrix's sample organisations), apart from public
    pages, `NOT_LINKED` and `NOTHING_OF_THEIRS`."""
    role = next(u for u in DEMO_USERS if u.username == username).role
    names = set()
    for route in ROUTES:
        rule = access_of(route.view)
        assert rule is not None
        if rule.public:
            continue
        if rule.permission is None or any(
            expected_allowed(username, rule.permission.value, kwarg, value)
            for _, kwarg, value in urls_for(route)
        ):
            names.add(route.name)
    return names - set(NOT_LINKED) - NOTHING_OF_THEIRS.get(role, set())


@pytest.mark.django_db
@pytest.mark.slow  # a crawl of every page the role reaches: 5-15 s each
@pytest.mark.parametrize("username", [u.username for u in DEMO_USERS])
def test_every_view_the_role_may_see_is_linked_from_its_home(username: str) -> None:
    expected = may_see(username)  # (makes an import with a quarantine file: its link too)
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    missing = sorted(expected - set(crawl(client)))
    assert not missing, f"{username} cannot reach by links: {missing}"
