"""The services URLs against the permission matrix's oracle (every demo user, every sample),
with the services demo loaded so the pages render real data; plus what each role may do."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from pbc.demo import DEMO_USERS
from pbc.web.rules import access_of

_spec = importlib.util.spec_from_file_location(
    "permission_matrix", Path(__file__).parents[1] / "web" / "test_permission_matrix.py"
)
assert _spec is not None and _spec.loader is not None
matrix = importlib.util.module_from_spec(_spec)
sys.modules["permission_matrix"] = matrix
_spec.loader.exec_module(matrix)

SERVICE_ROUTES = [r for r in matrix.ROUTES if r.pattern.startswith("services/")]


def test_services_routes_are_walked() -> None:
    assert len(SERVICE_ROUTES) >= 10
    assert all(access_of(r.view) is not None for r in SERVICE_ROUTES)


@pytest.mark.django_db
@pytest.mark.parametrize("username", [u.username for u in DEMO_USERS] + ["anonymous"])
def test_services_matrix(services_demo: None, username: str) -> None:
    client = Client()
    if username != "anonymous":
        client.force_login(get_user_model().objects.get(username=username))
    for route in SERVICE_ROUTES:
        rule = access_of(route.view)
        for url, kwarg, value in matrix.urls_for(route):
            status = client.get(url).status_code
            where = f"{username} GET {url} -> {status}"
            if rule.public:
                assert status == 200, where
            elif username == "anonymous":
                assert status == 302, where
            elif rule.permission is None or matrix.expected_allowed(
                username, rule.permission.value, kwarg, value
            ):
                assert status == 200, where
            else:
                assert status == 403, where


@pytest.mark.django_db
def test_board_member_cannot_decide_claims_or_log_actions(services_demo: None) -> None:
    client = Client()
    client.force_login(get_user_model().objects.get(username="board"))
    assert (
        client.post("/services/enhanced/localities/dacorum/", {"decision": "approve"}).status_code
        == 403
    )
    response = client.post(
        "/services/experience/localities/dacorum/",
        {"domain": "cleanliness", "action": "x", "owner": "y"},
    )
    assert response.status_code == 403
