"""`refresh`: every shipped indicator computes for every demo practice and month (test-scale
synthetic warehouse), manual values, the watch list, and a one-month refresh."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import ibis
import pyarrow as pa
import pytest

from indicators import handmade
from pbc.analytics.indicators import expressions as ex
from pbc.indicators import actions, refresh
from pbc.indicators import definitions as defs
from pbc.indicators.models import IndicatorValue, ManualValue, WatchPathway
from pbc.orgs.models import AuditEvent, Practice

pytestmark = pytest.mark.django_db


def _memtables(arrow: dict[str, pa.Table]) -> dict[str, Any]:
    # the synthetic warehouse is patient level: no aggregate returns (rtt_returns, ...)
    return {name: ibis.memtable(arrow[name]) for name in refresh.DATASETS if name in arrow}


MANUAL_PERIOD = {"monthly": dt.date(2008, 11, 1), "quarterly": dt.date(2008, 10, 1),
                 "annual": dt.date(2008, 4, 1)}  # fmt: skip
MANUAL_ORG = {"pct": "5P3", "locality": "dacorum", "practice": "E82601"}


def _has_value_expected(d: defs.Definition, v: IndicatorValue) -> bool:
    """Whether a computed value must exist: a non-zero denominator (proportions, rates,
    ratios), always (counts), at least one pathway (percentiles of waits)."""
    if d.statistic == "count":
        return True
    if d.statistic == "percentile":
        return (v.numerator or 0) > 0
    return v.denominator is not None and v.denominator > 0


def test_every_indicator_for_every_demo_practice_and_month(
    synth_tables: dict[str, pa.Table], django_user_model: Any
) -> None:
    """Every computed indicator has a row for every demo practice, locality and PCT (or
    provider) and month, and a value in each one whose denominator is non-zero (counts: all;
    wait percentiles: where there are pathways), none where it is zero; most PCT-months have
    one, and population-based rates have one for every practice-month. Manual indicators have
    exactly the rows entered, with the entered values, after the refresh."""
    user = django_user_model.objects.get(username="analyst")
    manual = [d for d in defs.catalogue().values() if d.manual]
    # retinal screening: MRSA, C. difficile, child measurement coverage and TIA come from the
    # periodic returns since issue 19
    assert len(manual) >= 1
    entered: dict[str, tuple[str, str, dt.date, float]] = {}
    for d in manual:
        level = d.levels[0]
        month = MANUAL_PERIOD[d.frequency]
        actions.record_manual_value(user, d.id, level, MANUAL_ORG[level], month, 3,
                                    10 if d.denominator else None)  # fmt: skip
        entered[d.id] = (level, MANUAL_ORG[level], month, 30.0 if d.denominator else 3.0)
    # what is shown must come from the refresh, not linger from the entry
    IndicatorValue.objects.filter(indicator_id__in=list(entered)).update(value=-1, lower=None)
    con = ibis.duckdb.connect()
    result = refresh.refresh(con=con, tables=_memtables(synth_tables))
    months = result.months
    assert months[0] == dt.date(2005, 4, 1) and months[-1] == dt.date(2009, 3, 1)
    computed = [d for d in defs.catalogue().values() if d.computed]
    assert result.indicators == len(computed) >= 29
    demo_practices = set(Practice.objects.values_list("code", flat=True))
    warehouse = synth_tables["practices"]
    warehouse_practices = set(warehouse.column("gp_practice_code").to_pylist())
    assert demo_practices and demo_practices <= warehouse_practices
    orgs = {
        "practice": warehouse_practices,
        "locality": set(warehouse.column("locality_code").to_pylist()),
        "pct": set(warehouse.column("pct_code").to_pylist()),
    }
    for d in computed:
        rows = IndicatorValue.objects.filter(indicator_id=d.id)
        assert not rows.exclude(source=IndicatorValue.Source.COMPUTED).exists(), d.id
        if ex.EXPRESSIONS[d.compute_spec().numerator.name].aggregate:
            # published aggregate data only (A&E statistics): the synthetic demo has none
            assert not rows.exists(), d.id
            continue
        for level in d.levels:
            at_level = list(rows.filter(level=level))
            if level != "provider":
                per_org = Counter(v.org_code for v in at_level)
                assert set(per_org) == orgs[level], (d.id, level)
                assert set(per_org.values()) == {len(months)}, (d.id, level)
            else:
                assert at_level, d.id
            for v in at_level:
                where = (d.id, v.level, v.org_code, v.month)
                assert (v.value is not None) == _has_value_expected(d, v), where
                if v.value is not None:
                    assert v.lower is None or v.lower <= v.value + 1e-9, where
                    assert v.upper is None or v.value <= v.upper + 1e-9, where
        pct_values = rows.filter(level="pct").exclude(value__isnull=True)
        if "pct" in d.levels:  # the PCTs have a value in most months (not vacuous)
            assert pct_values.count() >= 2 * len(orgs["pct"]) * len(months) / 3, d.id
        else:
            assert rows.filter(level="provider").exclude(value__isnull=True).exists(), d.id
        denominator = d.denominator.expression if d.denominator else None
        if denominator is not None and denominator.name.startswith("population."):
            practice_rows = rows.filter(level="practice")
            assert not practice_rows.filter(value__isnull=True).exists(), d.id
    for indicator_id, (level, code, month, value) in entered.items():
        shown = IndicatorValue.objects.filter(indicator_id=indicator_id)
        assert shown.count() == 1, indicator_id  # only what was entered
        v = shown.get()
        assert (v.level, v.org_code, v.month, v.source) == (level, code, month, "manual")
        assert v.value == pytest.approx(value), indicator_id
    # prescribing measures carry deciles and savings at the 10th centile (whole pence, never
    # negative); a locality's saving is the sum of its practices'
    v = IndicatorValue.objects.filter(
        indicator_id="prescribing-lansoprazole", level="practice", month=months[-1]
    ).exclude(extra={})
    assert v.exists() and all(1 <= x.extra["decile"] <= 10 for x in v)
    assert all(isinstance(x.extra["saving_at_10th_pence"], int) for x in v)
    assert all(x.extra["saving_at_10th_pence"] >= 0 for x in v)
    statins = IndicatorValue.objects.filter(
        indicator_id="prescribing-high-cost-statins", level="practice"
    ).exclude(extra={})
    assert any((x.extra["saving_at_10th_pence"] or 0) > 0 for x in statins)
    by_locality: Counter[str] = Counter()
    locality_of = dict(zip(warehouse.column("gp_practice_code").to_pylist(),
                           warehouse.column("locality_code").to_pylist(), strict=True))  # fmt: skip
    for x in v:
        by_locality[locality_of[x.org_code]] += x.extra["saving_at_10th_pence"]
    for locality, pence in by_locality.items():
        shown = IndicatorValue.objects.get(indicator_id="prescribing-lansoprazole",
                                           level="locality", org_code=locality, month=months[-1])  # fmt: skip
        assert shown.extra == {"saving_at_10th_pence": pence}
    assert WatchPathway.objects.count() == result.watch_pathways > 0
    assert all(w.wait_days >= 119 for w in WatchPathway.objects.all())
    assert AuditEvent.objects.filter(action="refresh").exists()


def test_one_month_refresh_replaces_only_that_month() -> None:
    con = ibis.duckdb.connect()
    refresh.refresh(con=con, tables=handmade.tables())
    before = IndicatorValue.objects.filter(indicator_id="gp-referral-rate").count()
    IndicatorValue.objects.filter(month=handmade.NOV).update(value=-1, lower=None)
    IndicatorValue.objects.filter(month=handmade.OCT).update(value=-2, lower=None)
    refresh.refresh("2008-11", con=con, tables=handmade.tables())
    assert IndicatorValue.objects.filter(indicator_id="gp-referral-rate").count() == before
    p1 = IndicatorValue.objects.get(
        indicator_id="gp-referral-rate", level="practice", org_code=handmade.P1, month=handmade.NOV
    )
    assert p1.value == pytest.approx(72.0)
    assert not IndicatorValue.objects.filter(month=handmade.NOV, value=-1).exists()
    assert IndicatorValue.objects.filter(month=handmade.OCT, value=-2).exists()


def test_manual_value_is_recorded_audited_and_shown(django_user_model: Any) -> None:
    user = django_user_model.objects.get(username="analyst")
    actions.record_manual_value(user, "retinal-screening", "pct", "5P3",
                                dt.date(2008, 9, 15), 850, 1000)  # fmt: skip
    v = IndicatorValue.objects.get(indicator_id="retinal-screening", org_code="5P3")
    assert v.month == dt.date(2008, 9, 1) and v.value == pytest.approx(85.0)
    assert v.lower is not None and v.lower < 85 < (v.upper or 0)
    assert v.source == IndicatorValue.Source.MANUAL
    actions.record_manual_value(user, "retinal-screening", "pct", "5P3",
                                dt.date(2008, 9, 1), 900, 1000)  # fmt: skip
    assert ManualValue.objects.count() == 1
    event = AuditEvent.objects.filter(object_type="ManualValue").latest("at")
    assert event.action == "update" and event.before == {"numerator": 850, "denominator": 1000}
    v.refresh_from_db()
    assert v.value == pytest.approx(90.0)
    # a refresh keeps manual values
    refresh.refresh(con=ibis.duckdb.connect(), tables=handmade.tables())
    v.refresh_from_db()
    assert v.value == pytest.approx(90.0)


def test_manual_value_rejects_nonsense(django_user_model: Any) -> None:
    from django.core.exceptions import ValidationError

    user = django_user_model.objects.get(username="analyst")
    with pytest.raises(ValidationError):
        actions.record_manual_value(user, "gp-referral-rate", "pct", "5P3", handmade.NOV, 1)
    with pytest.raises(ValidationError):
        actions.record_manual_value(user, "extended-hours", "pct", "5P3", handmade.NOV, 12, 10)
    with pytest.raises(ValidationError):
        actions.record_manual_value(user, "retinal-screening", "provider", "RWG",
                                    handmade.NOV, 1, 2)  # fmt: skip
    assert not ManualValue.objects.exists()


def test_refresh_reads_the_demo_warehouse_through_the_engine() -> None:
    """No tables passed: the configured engine reads the warehouse the test demo imported."""
    result = refresh.refresh()
    assert result.months[0] == dt.date(2005, 4, 1) and result.months[-1] == dt.date(2009, 3, 1)
    assert result.values > 0 and result.census_date == dt.date(2009, 3, 31)
    practices = set(Practice.objects.values_list("code", flat=True))
    shown = IndicatorValue.objects.filter(indicator_id="gp-referral-rate", level="practice")
    assert set(shown.values_list("org_code", flat=True)) >= practices
