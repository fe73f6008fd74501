"""The demo site: `pbc demo --rebuild` over the session's demo as built (every step run again, the
same rows: idempotent), then `pbc demo` (nothing left to do); serve it, sign in as every demo
role."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pbc.demo import DEMO_USERS
from pbc.demo.warehouse import IMPORT_ORDER
from scratch_site import Site
from signin import code_from_cli, sign_in
from web.conftest import DEMO_SITE_GROUP, pbc_demo, site_env

# What each role's navigation shows (besides the account links), written out independently.
EXPECTED_NAV = {
    "pct_analyst": [
        "Home", "PCT", "Plans", "Indicators", "Validation", "Finance", "Population", "Services",
        "Board pack", "Imports", "Audit log",
    ],
    "locality_manager": [
        "Home", "Locality", "Plans", "Indicators", "Validation", "Finance", "Population", "Services",
        "Board pack",
    ],
    "board_member": [
        "Home", "Locality", "Plans", "Indicators", "Validation", "Finance", "Population", "Services",
        "Board pack",
    ],
    "practice_user": ["Home", "Practice", "Indicators", "Validation", "Finance", "Population", "Services"],
    "provider_user": ["Home", "Provider", "Validation", "Services"],
}  # fmt: skip


def drop(counts: dict[str, int], labels: set[str]) -> dict[str, int]:
    return {label: n for label, n in counts.items() if label not in labels}


def stored_rows(warehouse: list[dict[str, Any]]) -> dict[str, Any]:
    """Each dataset's rows, partition by partition (not when or by which import they came)."""
    return {
        d["name"]: (d["rows"], sorted((p["name"], p["rows"]) for p in d["partitions"]))
        for d in warehouse
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served_demo_env(demo_site: Path) -> dict[str, str]:
    return site_env(demo_site)


# Records that every run of a step adds to (logs of what ran): a rebuild adds to them; every
# other table holds the same number of rows after `pbc demo --rebuild` as before.
RUN_LOGS = {"orgs.AuditEvent", "imports.ImportRun", "finance.RefreshRun", "refresh.StepRun"}


@pytest.fixture
def served_demo(demo_site: Path, served_demo_env: dict[str, str]) -> Iterator[str]:
    """The session's demo as built (`demo_site`: the demo `pbc demo` builds, in a data
    directory of its own), built again by `pbc demo --rebuild` (idempotent: the same rows,
    every step run again), then by `pbc demo` (nothing left to do), and served."""
    env = served_demo_env
    site = Site(demo_site, None)
    first = site.figures()

    files = len(IMPORT_ORDER)
    rebuilt = pbc_demo(env, "--rebuild")
    assert "skipped" not in rebuilt and f"{files} of {files} files imported" in rebuilt
    second = site.figures()
    before, after = drop(first["tables"], RUN_LOGS), drop(second["tables"], RUN_LOGS)
    assert after == before, {
        k: (before.get(k), after.get(k)) for k in before if before[k] != after.get(k)
    }
    assert stored_rows(second["warehouse"]) == stored_rows(first["warehouse"])
    assert second["tables"]["orgs.Practice"] == 29

    again = pbc_demo(env)
    for name in ("plans", "enhanced services", "validation", "finance", "indicators"):
        assert f"{name}: unchanged since the last build, skipped" in again
    assert "synthetic data: unchanged, not generated again" in again
    assert f"0 of {files} files imported" in again
    third = site.figures()
    assert drop(third["tables"], {"orgs.AuditEvent"}) == drop(second["tables"], {"orgs.AuditEvent"})
    assert third["imports"] == second["imports"]
    assert "demo (test) already built" in pbc_demo(env, "--if-missing")

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "pbc.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            time.sleep(0.2)
    # The first request loads every view module (over 10 s on a busy machine): made here, so
    # that the browser's first page load is not held to its own timeout.
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=120) as first:
        assert first.status == 200
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()  # gunicorn stops its workers gracefully: slow on a busy machine
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
            raise


@pytest.mark.browser
@pytest.mark.xdist_group(DEMO_SITE_GROUP)
@pytest.mark.django_db  # the session's demo (`demo_site` copies it) is built in the test database
@pytest.mark.any_database  # ... on SQLite only: the site it serves is on SQLite
def test_each_demo_role_sees_its_home_and_navigation(
    served_demo: str,
    served_demo_env: dict[str, str],
    page,  # type: ignore[no-untyped-def]
) -> None:
    base = served_demo
    page.goto(base + "/")
    assert page.url == base + "/public/"  # signed-out visitors get the published information
    assert page.title() == "Published information – Practice Based Commissioning"
    page.goto(base + "/accounts/login/")
    assert page.title() == "Sign in – Practice Based Commissioning"
    for user in DEMO_USERS:
        # The second factor, where the role needs one, with the code `pbc demo totp` prints.
        sign_in(page, base, user.username, code=code_from_cli(served_demo_env))
        heading = page.locator("h1").inner_text()
        assert heading == f"{user.role.label} home", user.username
        assert page.locator(f"[data-role='{user.role.value}']").count() == 1
        nav = page.locator(".nhsuk-header__navigation-list a.nhsuk-header__navigation-link")
        labels = [t.strip() for t in nav.all_inner_texts()]
        expected = list(EXPECTED_NAV[user.role.value])  # no member is staff: no "Admin"
        assert labels == expected, user.username
        # The NHS.UK stylesheet is served, with its images under /assets/.
        colour = page.eval_on_selector("header", "el => getComputedStyle(el).backgroundColor")
        assert colour == "rgb(0, 94, 184)"
        page.click("button:has-text('Sign out')")
        page.wait_for_url("**/accounts/login/")
    response = page.goto(base + "/assets/images/nhsuk-icon-arrow-right-circle.svg")
    assert response is not None and response.status == 200
    response = page.goto(base + "/no-such-page/")
    assert response is not None and response.status == 404
    assert page.locator("h1").inner_text() == "Page not found"
