"""A password strength meter on every form that sets a password (ASVS 2.1.8): the user's own
change-password page, and the Django admin's add-user and set-password pages. It is worked out
in the browser: typing a password makes no request at all."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from pbc.demo import DEMO_ADMIN
from signin import sign_in

# The meter is worked out in the browser: nothing it shows depends on the database, so these run
# on SQLite only (not again in the PostgreSQL lane).
pytestmark = [pytest.mark.browser, pytest.mark.any_database]

WEAK = "password1234"  # long enough, but a common word and a run of digits
STRONG = "a quiet harbour at dusk 42"


def meter_text(page: Any, field: str) -> str:
    return str(page.locator(f"#{field}-strength-text").inner_text())


def typed_without_requests(page: Any, field: str, text: str) -> str:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.fill(f"#{field}", "")
    page.type(f"#{field}", text)
    shown = meter_text(page, field)
    assert requests == [], f"typing a password made requests: {requests}"
    return shown


def check_meter(page: Any, field: str) -> None:
    page.wait_for_load_state("networkidle")  # the page's own requests (the favicon) are done
    assert typed_without_requests(page, field, "short") == (
        "Password strength: Too short (at least 12 characters)"
    )
    assert typed_without_requests(page, field, WEAK).startswith("Password strength: Weak")
    assert typed_without_requests(page, field, STRONG) == "Password strength: Strong"
    assert page.locator(f"#{field}-strength meter").get_attribute("value") == "4"


def test_the_change_password_page_has_a_strength_meter(page: Any, live_url: str) -> None:
    sign_in(page, live_url, "board")
    page.goto(live_url + "/accounts/password/")
    check_meter(page, "id_new_password1")
    # the "again" field has none
    assert page.locator("#id_new_password2-strength").count() == 0


def test_the_admins_password_forms_have_a_strength_meter(page: Any, live_url: str) -> None:
    sign_in(page, live_url, DEMO_ADMIN)
    page.goto(live_url + "/admin/auth/user/add/")
    check_meter(page, "id_password1")
    board = get_user_model().objects.get(username="board")
    page.goto(live_url + f"/admin/auth/user/{board.pk}/password/")
    check_meter(page, "id_password1")
    assert "is temporary" in page.content()
