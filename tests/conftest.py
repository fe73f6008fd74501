"""Shared test set-up: data directory, Hypothesis profiles, the demo (built once), browsers.

Tests that touch the app database are marked `db` automatically; `make test` runs every test on
SQLite and then the `db` ones again on PostgreSQL (DATABASE_URL), each in two worker processes
(pytest-xdist): each worker has its own data directory, test database and demo.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

hypothesis_settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
hypothesis_settings.register_profile("dev", max_examples=50, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

pytest_plugins = ["engine_fixtures"]

DB_FIXTURES = {"db", "transactional_db", "live_server", "live_url", "django_db_reset_sequences"}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


SLOW_TESTS = Path(__file__).with_name("slow_tests.txt")


def measured_slow() -> set[str]:
    """The ids of the tests marked `slow` for their measured processor time (slow_tests.txt)."""
    lines = (line.strip() for line in SLOW_TESTS.read_text(encoding="utf-8").splitlines())
    return {line for line in lines if line and not line.startswith("#")}


# Before pytest-xdist's own hook, which reads the `xdist_group` marks added here to group tests.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    slow = measured_slow()
    for item in items:
        if item.nodeid in slow:
            item.add_marker(pytest.mark.slow)
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & DB_FIXTURES or item.get_closest_marker("django_db"):
            item.add_marker(pytest.mark.db)
        if item.get_closest_marker("spark"):
            # With parallel workers (`pytest -n 2 --dist loadgroup`, as `make test` runs), one
            # worker runs every Spark test on the one SparkSession it starts.
            item.add_marker(pytest.mark.xdist_group("spark"))


class _Order:
    """Puts the tests in `longest_first` order after every other plugin's ordering: pytest-django
    sorts the tests (database, then transactional, then the others) in its own hook, which
    would otherwise undo the order of `longest_first`; its one rule that matters, transactional
    tests after the other database tests, is also `longest_first`'s."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        items[:] = longest_first(items)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_Order(), "pbc-test-order")


def pytest_collection_finish(session: pytest.Session) -> None:
    """Refuse to run when `--dist loadgroup` lost the groups (pytest-xdist tells a worker's
    tests apart by the group it appends to their ids; a pytest that keeps ids elsewhere makes
    it ignore every group in silence, and each worker then starts its own Spark JVM and builds
    its own demo site)."""
    if not (os.environ.get("PYTEST_XDIST_WORKER") and session.config.getvalue("loadgroup")):
        return
    lost = [
        item.nodeid
        for item in session.items
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid
    ]
    if lost:
        raise pytest.UsageError(
            f"pytest-xdist did not group {len(lost)} tests marked xdist_group (first: {lost[0]}): "
            "this pytest and pytest-xdist do not work together; see the pin in pyproject.toml"
        )


def longest_first(items: list[pytest.Item]) -> list[pytest.Item]:
    """The longest tests first, so that the workers finish together rather than one running a
    minute-long test while the other is idle, in the order pytest-django needs (a transactional
    test empties the database, so every other database test runs before the first of them):

    1. tests without the database that are long: modules with Spark tests (one worker runs them
       all, in one go), then those with tests marked slow or browser;
    2. the other tests without the database;
    3. database tests, long modules first;
    4. transactional database tests (live server, browser), long modules first.

    Tests marked `pristine_demo` (the demo fingerprint) run before all of these, on the demo as
    the session built it. The first database test of the run builds the demo (about a minute)
    and the other worker waits for it at its own first database test: the tests without the
    database come first so that it runs those meanwhile (`make check`, which has no long ones,
    left that worker idle for the whole build).

    A module's tests of one kind stay together and in their own order (module fixtures are made
    once)."""

    def weight(item: pytest.Item) -> int:
        if item.get_closest_marker("spark"):
            return 0
        if item.get_closest_marker("slow") or item.get_closest_marker("browser"):
            return 1
        return 2

    def phase(item: pytest.Item) -> int:
        if item.get_closest_marker("pristine_demo"):
            return 0  # before any test that could leave the session's demo changed
        fixtures = set(getattr(item, "fixturenames", ()))
        marker = item.get_closest_marker("django_db")
        flags = marker.kwargs if marker else {}
        if (
            fixtures & {"transactional_db", "live_server"}
            or flags.get("transaction")
            or (flags.get("reset_sequences"))
        ):
            return 4
        if marker or fixtures & DB_FIXTURES:
            return 3
        return 1 if weight(item) < 2 else 2

    groups: dict[tuple[int, str], list[pytest.Item]] = {}
    for item in items:
        groups.setdefault((phase(item), item.nodeid.split("::")[0]), []).append(item)
    ordered = sorted(groups.items(), key=lambda kv: (kv[0][0], min(weight(i) for i in kv[1])))
    return [item for _, group in ordered for item in group]


def shared_demo_dir(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """Where this run keeps the demo as built (`demo_snapshot.build_or_copy`): seen by every
    worker of the run (pytest-xdist gives each worker a base directory in the run's own) and by
    no other run."""
    base = tmp_path_factory.getbasetemp()
    return (base if worker_id == "master" else base.parent) / "shared-demo"


@pytest.fixture(scope="session")
def django_db_setup(  # type: ignore[no-untyped-def]
    django_db_setup: None,
    django_db_blocker,
    data_dir: Path,
    worker_id: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[None]:
    """The test-scale demo in the test database: built once per run (with parallel workers,
    by one of them, and copied by the others), kept as built for the run (`shared_demo`), then
    copied (`demo_snapshot`) so that browser tests can put it back after their flush."""
    import demo_snapshot
    from pbc import demo

    def build() -> None:
        demo.build("test", report=lambda step: None)

    with django_db_blocker.unblock():
        demo_snapshot.build_or_copy(shared_demo_dir(tmp_path_factory, worker_id), data_dir, build)
        demo_snapshot.take()
    yield
    with django_db_blocker.unblock():
        demo_snapshot.drop()


@pytest.fixture(scope="session")
def shared_demo(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Path:
    """The folder holding the session's test-scale demo as built (`demo_snapshot`): its
    database (a SQLite file or a PostgreSQL database, named in `ready.json`) and its data
    directory (`data`), for tests that need a demo site of their own (`web.conftest.demo_site`)."""
    return shared_demo_dir(tmp_path_factory, worker_id)


@pytest.fixture
def live_url(live_server, transactional_db: None) -> str:  # type: ignore[no-untyped-def]
    """The URL of a live server on the test database holding the session's demo.

    A transactional test (which a live server needs) empties the database when it ends; the
    next one puts the demo back from the session's snapshot first.
    """
    from django.contrib.auth import get_user_model

    import demo_snapshot

    if not get_user_model().objects.exists():
        demo_snapshot.restore()
    return str(live_server.url)


@pytest.fixture(autouse=True)
def _force_login_gives_the_second_factor(monkeypatch: pytest.MonkeyPatch) -> None:
    """`Client.force_login` skips the sign-in form, so it skips the second factor too: the
    session counts as verified (tests/signin.py). Tests of the second factor sign in through the
    form (`Client.post` to /accounts/login/ or `signin.sign_in` in a browser)."""
    from django.test import Client

    import signin

    original = Client.force_login

    def force_login(self: Client, user: object, backend: str | None = None) -> None:
        original(self, user, backend)
        signin.mark_verified(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    # Playwright's sync API keeps an event loop on this thread while the browser is open, so
    # Django would refuse the test thread's (synchronous) database calls as "async".
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def is_policy_violation(message: str) -> bool:
    """Chromium's console error for something the content security policy blocked."""
    return "Content Security Policy" in message


@pytest.fixture
def csp_violations() -> list[str]:
    """Console errors for content the page's content security policy blocked, in the order the
    browser reported them (filled by `page`)."""
    return []


@pytest.fixture
def page(browser, csp_violations: list[str]):  # type: ignore[no-untyped-def]
    """A new browser page. Every browser test runs under the site's content security policy
    (the same in every mode): any violation the browser reports fails the test."""
    context = browser.new_context()
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    pg.on(
        "console",
        lambda message: (
            csp_violations.append(message.text)
            if message.type == "error" and is_policy_violation(message.text)
            else None
        ),
    )
    yield pg
    context.close()
    assert not csp_violations, "the content security policy blocked:\n" + "\n".join(csp_violations)


@pytest.fixture(scope="session", autouse=True)
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh data directory for the whole session (settings and subprocesses both see it)."""
    from django.test import override_settings

    path = tmp_path_factory.mktemp("pbc-data")
    previous = os.environ.get("PBC_DATA_DIR")
    os.environ["PBC_DATA_DIR"] = str(path)
    # The fast MD5 hasher for the tests' users (the site keeps Django's default, PBKDF2).
    fast_hasher = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # No request-rate alert (pbc.signin.request_rates) in a test that does not ask for one: a
    # test making thousands of requests is not an attack (tests/web/test_request_rates.py).
    no_alerts = {
        f"PBC_ALERT_{what}_PER_HOUR": 10**9
        for what in ("USER_REQUESTS", "ADDRESS_REQUESTS", "SITE_REQUESTS", "PATIENT_VIEWS")
    }
    with override_settings(
        DATA_DIR=path,
        WAREHOUSE_DIR=path / "warehouse",
        PASSWORD_HASHERS=fast_hasher,
        **no_alerts,
    ):
        yield path
    if previous is None:
        os.environ.pop("PBC_DATA_DIR", None)
    else:
        os.environ["PBC_DATA_DIR"] = previous
