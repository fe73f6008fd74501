"""Each role's home page shows its work, for its own organisations only (session demo)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from pbc.synth import geography
from pbc.validation.models import Finding

pytestmark = pytest.mark.django_db

DACORUM = geography.locality("dacorum")
PRACTICE = DACORUM.practices[0].code
OTHER_PRACTICE = DACORUM.practices[1].code
ENH_PRACTICE = geography.locality("welwyn-hatfield").practices[0].code


def home(username: str) -> str:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def work(html: str) -> str:
    start = html.index('class="nhsuk-list pbc-work"')
    return html[start : html.index("</section>", start)]


def to_review(code: str) -> int:
    return Finding.objects.filter(
        practice__code=code, status__in=("open", "more_information"), still_flagged=True
    ).count()


def test_the_practice_home_shows_its_findings_and_lists() -> None:
    html = work(home("practice"))
    expected = to_review(PRACTICE)
    assert expected > 0
    assert (
        f'href="/validation/practices/{PRACTICE}/">Findings to review</a>: <strong>{expected:,} ('
        in html
    )
    assert f"/population/practices/{PRACTICE}/case-finding/" in html
    assert f"/finance/practices/{PRACTICE}/" in html
    assert OTHER_PRACTICE not in html and ENH_PRACTICE not in html


def test_the_analyst_home_lists_findings_by_its_practices_only() -> None:
    html = home("analyst")
    assert "Findings to review by practice" in html and 'href="/imports/">Imports</a>' in html
    codes = re.findall(r'href="/validation/practices/(\w+)/">', html)
    assert PRACTICE in codes and OTHER_PRACTICE in codes and ENH_PRACTICE not in codes
    row = re.search(rf"{PRACTICE} [^<]*</a></td><td[^>]*>([\d,]+)</td>", html)
    assert row is not None and int(row.group(1).replace(",", "")) == to_review(PRACTICE)


def test_the_locality_and_board_homes() -> None:
    manager = work(home("locality"))
    assert 'href="/validation/localities/dacorum/">Challenges awaiting sign-off</a>' in manager
    assert "/plans/localities/dacorum/" in manager and "/reports/localities/dacorum/" in manager
    board = work(home("board"))
    assert "Challenges awaiting sign-off" not in board  # the board does not sign off
    assert "/finance/localities/dacorum/" in board and "welwyn" not in board


def test_the_provider_home_shows_challenges_and_returns() -> None:
    html = work(home("provider"))
    assert 'href="/validation/providers/RWG/">Challenges awaiting your response</a>' in html
    assert "Returns by contract" in html and "/services/returns/providers/RWG/" in html
    assert "RWH" not in html
