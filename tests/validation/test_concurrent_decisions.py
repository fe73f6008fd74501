"""Ten simultaneous decisions on one finding, each in its own thread and its own database
connection, on the file-based test database (SQLite under `make test`, PostgreSQL under
`make pytest-postgres`): every request is answered (no 500, no "database is locked"), exactly
one decision is recorded and the others are told the finding is already decided."""

from __future__ import annotations

import threading
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from pbc.demo import DEMO_USERS
from pbc.validation.models import Decision, Finding, Status

PRACTICE = next(u.organisation for u in DEMO_USERS if u.username == "practice")
REQUESTS = 10


def test_ten_simultaneous_decisions_on_one_finding(live_url: str) -> None:
    finding = (
        Finding.objects.filter(practice__code=PRACTICE, in_force=True, status=Status.OPEN)
        .exclude(amount=0)
        .order_by("key")
        .first()
    )
    assert finding is not None
    login = Client()
    login.force_login(get_user_model().objects.get(username="practice"))
    cookies = login.cookies
    url = f"/validation/practices/{PRACTICE}/"
    start = threading.Barrier(REQUESTS)
    answers: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def decide(index: int) -> None:
        client = Client(raise_request_exception=False)
        client.cookies = cookies
        try:
            start.wait()
            response = client.post(
                url, {"finding": finding.pk, "decision": "accept", "reason": f"thread {index}"}
            )
            page = client.get(url) if response.status_code == 302 else response
            answers.append((response.status_code, page.content.decode(errors="replace")))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(i,)) for i in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    statuses = sorted(code for code, _ in answers)
    assert statuses == [302] * REQUESTS, [
        (code, page[:300]) for code, page in answers if code != 302
    ]
    finding.refresh_from_db()
    assert finding.status == Status.ACCEPTED
    assert Decision.objects.filter(finding=finding).count() == 1
    told: list[Any] = [page for _, page in answers if "already accepted" in page]
    assert len(told) == REQUESTS - 1
