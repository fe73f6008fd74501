"""Database rows shared by a module's tests: made once, before the module's first test, and
rolled back after its last, as Django's `TestCase.setUpTestData` does for a class.

    @pytest.fixture(scope="module")
    def values(django_db_setup, django_db_blocker):
        with module_db.shared(django_db_blocker, refresh_the_values) as made:
            yield made

The rows are made in a transaction left open for the module's tests; each test's own
transaction (pytest-django's `db`) nests in it as a savepoint and is rolled back when the test
ends, so a test that changes them changes them for itself only. Only for modules whose tests
that use it are not transactional (a live server, `transactional_db`): those empty the database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


@contextmanager
def shared(django_db_blocker: Any, make: Callable[[], T]) -> Iterator[T]:
    from django.db import transaction

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic._from_testcase = True  # as TestCase's own: a durable block may open inside
        atomic.__enter__()
        try:
            made = make()
        except BaseException as err:
            atomic.__exit__(type(err), err, err.__traceback__)
            raise
    try:
        yield made
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
