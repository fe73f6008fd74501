"""The ODS sync reads the organisations once and writes them in batches: its number of queries
does not grow with the number of practices, PCNs or commissioners (a national epraccur has some
8,000 practices; the sync took 75-130 s per import when it queried and saved per practice), and
a second sync of changed files updates the rows it should, keeps the others and writes one
audit event."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pbc.orgs import ods
from pbc.orgs.models import AuditEvent, Locality, OrgLink, Pct, Practice

pytestmark = pytest.mark.django_db
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def files(first: int, practices: int) -> tuple[list[dict[str, Any]], ...]:
    """ODS rows of `practices` practices from A<first>, four to a PCN and twelve to a
    commissioner (sub-ICB locations 10A, 11A, ... under ICB QHM; up to 38,880 practices); the
    last of each PCN's practices in no PCN; the eccg file names every other commissioner."""
    epraccur, members, pcns, eccg = [], [], [], []
    for i in range(first, first + practices):
        group = i // 12  # 10A, 11A, ... 19A, 10B, ... 19Z, 100, ... 199, 20A, ...
        sub_icb = f"{1 + group // 360}{group % 10}{ALNUM[group // 10 % 36]}"
        code, pcn = f"A{i:05d}", f"U{i // 4:05d}"
        epraccur.append(
            {
                "gp_practice_code": code,
                "practice_name": f"PRACTICE {i}",
                "pct_code": sub_icb,
                "parent_code": "QHM",
                "region_code": "Y63",
                "status_code": "A",
                "open_date": dt.date(1974, 4, 1),
                "close_date": None,
                "commissioner_start_date": dt.date(2022, 7, 1),
                "prescribing_setting": "4",
            }
        )
        if i % 4 != 3:
            start = dt.date(2020, 7, 1)
            members.append(
                {"gp_practice_code": code, "pcn_code": pcn, "pcn_name": f"PCN {pcn}",
                 "commissioner_code": sub_icb, "start_date": start, "end_date": None}
            )  # fmt: skip
            pcns.append(
                {"pcn_code": pcn, "pcn_name": f"{pcn} NETWORK", "commissioner_code": sub_icb,
                 "open_date": dt.date(2019, 7, 1), "close_date": None}
            )  # fmt: skip
        if i % 24 == 0:
            eccg.append(
                {"commissioner_code": sub_icb, "parent_code": "QHM", "region_code": "Y63",
                 "commissioner_name": f"NHS NORTH EAST ICB - {sub_icb}"}
            )  # fmt: skip
    return epraccur, members, eccg, pcns


def synced(rows: tuple[list[dict[str, Any]], ...]) -> tuple[int, ods.SyncSummary]:
    with CaptureQueriesContext(connection) as queries:
        summary = ods.sync(None, *rows, today=dt.date(2026, 2, 1))
    return len(queries), summary


def test_the_number_of_queries_does_not_grow_with_the_practices() -> None:
    before = Practice.objects.count()
    few, summary = synced(files(0, 24))
    assert (summary.practices_created, summary.commissioners_created) == (24, 2)
    many, summary = synced(files(960, 240))  # ten times the practices, PCNs, commissioners
    assert (summary.practices_created, summary.commissioners_created, summary.pcns_created) == (
        240,
        20,
        60,
    )
    # Writes go in batches (500 rows, or fewer on SQLite, whose statements take 999
    # parameters): a few more statements for ten times the rows, not several per practice.
    assert many <= few + 240 // 50
    again, summary = synced(files(960, 240))  # nothing changed: nothing written but the audit
    assert (summary.practices_created, summary.practices_updated) == (0, 240)
    assert again < few
    assert Practice.objects.count() == before + 264
    assert AuditEvent.objects.filter(action="update", detail="ods").count() == 3


def test_a_second_sync_updates_what_changed_and_keeps_the_rest() -> None:
    epraccur, members, eccg, pcns = files(0, 24)
    ods.sync(None, epraccur, members, eccg, pcns, today=dt.date(2026, 2, 1))
    links = set(OrgLink.objects.values_list("child_code", "parent_code", "start_date", "source"))
    epraccur[0]["practice_name"] = "RENAMED SURGERY"
    members[1]["end_date"] = dt.date(2025, 6, 30)  # A00001 left its PCN: in no PCN now
    for pcn in pcns[:3]:  # U00000's details (one row per member here; the last is read)
        pcn["pcn_name"] = "RENAMED NETWORK"
    ods.sync(None, epraccur, members, eccg, pcns, today=dt.date(2026, 2, 1))
    a0, a1, a2 = Practice.objects.select_related("locality").order_by("code")[:3]
    assert a0.name == "RENAMED SURGERY"
    assert (a0.locality.code, a0.locality.name) == ("U00000", "RENAMED NETWORK")
    assert (a1.locality.slug, a1.locality.kind) == ("10a-no-pcn", Locality.Kind.NO_PCN)
    assert a1.locality.name == "NHS NORTH EAST ICB - 10A: practices in no PCN"
    assert a2.locality == a0.locality
    edge = OrgLink.objects.get(child_code="A00001", parent_kind="pcn")
    assert (edge.end_date, edge.source) == (dt.date(2025, 6, 30), "epcn")
    assert (
        set(OrgLink.objects.values_list("child_code", "parent_code", "start_date", "source"))
        == links
    )  # same edges, none doubled
    assert Pct.objects.get(code="10A").kind == "sub_icb_location"
    assert Pct.objects.get(code="11A").name == "11A"  # not in eccg: named by its code
