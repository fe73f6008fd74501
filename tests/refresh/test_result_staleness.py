"""What makes the stored results stale (pbc.refresh.results): a save or a delete of a record users
edit does, at once and again at commit, with one token write per transaction however many records
change; the tables a refresh rewrites in bulk have no delete receiver, so Django deletes their rows
in one statement rather than fetching them and calling a receiver per row."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.db.models.deletion import Collector
from django.test.utils import CaptureQueriesContext

from pbc.indicators.models import IndicatorValue
from pbc.orgs.models import MarketForcesFactor, Provider
from pbc.refresh import results

pytestmark = pytest.mark.django_db


def token_writes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tokens written from now on (a spy on the real writer: the real file is still written)."""
    written: list[str] = []
    real = results._write_token

    def spy() -> None:
        real()
        written.append(Path(results.changes_file()).read_text(encoding="utf-8"))

    monkeypatch.setattr(results, "_write_token", spy)
    return written


def provider(code: str = "RZZ01") -> Provider:
    return Provider.objects.create(code=code, name="Staleness Test Trust")


def test_deleting_one_record_users_edit_makes_the_results_stale() -> None:
    trust = Provider(code="RZZ01", name="Staleness Test Trust")
    Provider.objects.bulk_create([trust])  # no save signal: only the delete below can mark
    mff = MarketForcesFactor(provider=trust, financial_year="2008/09", value=Decimal("1.05"))
    MarketForcesFactor.objects.bulk_create([mff])
    before = results.data_state()
    mff.delete()
    assert results.data_state() != before


def test_many_saves_in_one_transaction_write_the_token_once_then_at_commit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    written = token_writes(monkeypatch)
    trust = provider()  # the transaction's first change: the token is written now
    with transaction.atomic():
        for year in range(2001, 2031):
            MarketForcesFactor.objects.create(
                provider=trust, financial_year=f"{year}/{(year + 1) % 100:02d}", value=Decimal("1")
            )
        assert len(written) == 1
    # pytest-django's test transaction is still open: the commit write waits on it.
    callbacks = [c for c in connection.run_on_commit if isinstance(c[1], results._Commit)]
    assert len(callbacks) == 1


def test_tables_a_refresh_rewrites_are_deleted_in_one_statement() -> None:
    for label in results.REWRITTEN_BY_REFRESH:
        model = apps.get_model(label)
        assert Collector(using="default").can_fast_delete(model.objects.all()), label
    assert IndicatorValue.objects.exists()
    with CaptureQueriesContext(connection) as queries:
        IndicatorValue.objects.all().delete()
    statements = [q["sql"] for q in queries.captured_queries]
    assert not any(sql.lstrip().upper().startswith("SELECT") for sql in statements), statements
    assert len([s for s in statements if "DELETE" in s.upper()]) == 1


def test_a_worker_keeps_its_recent_results_unpickled_until_the_data_change() -> None:
    """A result used again in the same data state comes from this process's memory (the same
    object, no unpickling and no computing); after a change it is computed again."""
    trust = provider()
    computed: list[int] = []

    def compute() -> dict[str, list[int]]:
        computed.append(1)
        return {"rows": [len(computed)]}

    first = results.stored("test figures", trust, compute, "2009-01")
    results.store().clear()  # the shared store is not read again for a recent result
    assert results.stored("test figures", trust, compute, "2009-01") is first
    assert computed == [1]

    trust.name = "Renamed Trust"
    trust.save()  # a change users make: every stored result is stale
    again = results.stored("test figures", trust, compute, "2009-01")
    assert again == {"rows": [2]} and computed == [1, 1]


def test_the_recent_results_are_bounded() -> None:
    trust = provider()
    for n in range(results.RECENT_IN_PROCESS + 5):
        results.stored("test bound", trust, lambda n=n: n, n)
    assert len(results._recent) == results.RECENT_IN_PROCESS
