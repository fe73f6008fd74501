"""Organisations from the ODS files: practices, PCNs and commissioners of every era.

`sync(...)` creates or updates the app's organisations from the warehouse's `practices` (the
ODS practice file, epraccur), `pcn_memberships` (the ePCN file) and `commissioners` (the ODS
CCG / sub-ICB location file, eccg) rows, in one transaction, with one audit event. It runs
after any of these files is imported in its published layout
(`pbc.imports.actions.run_import`), so the order of the imports does not matter.
Every commissioner, locality, practice and link is read once and the rows that changed are
written back in batches (`pbc.orgs.ods_store.OrgStore`): a national file costs some 200
queries, not several per practice.

- Every commissioner a practice names (PCT 5P3, care trust TAK, CCG or sub-ICB location 00K,
  national YDD82; 5-character forms such as 00C00 read as 00C) becomes a `Pct` with its kind,
  parent (ICB, area team or SHA) and region: those most of its practices give
  (`commissioner_parents`), unless the eccg file lists it.
- Every commissioner the eccg file lists (a CCG, or a sub-ICB location since July 2022, open
  or closed) becomes a `Pct` named as ODS names it, of kind "ccg" or "sub_icb_location" as
  its name says (`listed_kind`; the code alone cannot tell them apart), with the parent (area team, local office,
  STP or ICB) and region the file gives, which win over its practices'. A row whose code is
  not a commissioner's (a sub-ICB reporting entity such as Z000X, a reporting sub-division of
  an ICB) is skipped and counted.
- A practice's locality is its current PCN (a `Locality` of kind "pcn"), or, in no PCN, its
  commissioner's "practices in no PCN" locality. A PCN is named as the PCN details (`pcns`,
  the ePCN workbook's PCNDetails sheet or DSE's epcn report) name it, else as its
  memberships do. A demo locality (a PBC consortium) keeps its
  practices unless the ePCN file names a PCN for them.
- The dated hierarchy is kept in `OrgLink`: practice -> commissioner (ODS join and left
  dates), practice -> PCN (ePCN start and end dates), PCN -> commissioner (PCN details' open
  and close dates), commissioner -> parent -> region.

Choices: only rows whose code is a GP practice code (A12345) and whose prescribing setting
(epraccur column 26) is 4, "GP practice", or not given (older files) become practices: the ODS
file also lists out-of-hours services, walk-in centres, prisons and other prescribing cost
centres, often with codes of the same shape (Y02905), kept in the warehouse and skipped here; a practice with no commissioner is skipped and counted. A commissioner's name
is its code until a file names it (the ODS practice file does not carry commissioner names;
the eccg file and the registered-patients mapping file, gp-reg-pat-prac-map.csv, do: the
eccg file's name wins).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from pbc import codes
from pbc.orgs import audit
from pbc.orgs.models import Locality, Pct
from pbc.orgs.ods_store import OrgStore

GP_PRACTICE_SETTING = "4"
"""ODS prescribing setting of a GP practice (epraccur column 26)."""


@dataclass
class SyncSummary:
    commissioners_created: int = 0
    pcns_created: int = 0
    practices_created: int = 0
    practices_updated: int = 0
    skipped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "commissioners_created": self.commissioners_created,
            "pcns_created": self.pcns_created,
            "practices_created": self.practices_created,
            "practices_updated": self.practices_updated,
            "skipped": self.skipped[:20],
            "skipped_count": len(self.skipped),
        }


def _date(value: object) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _commissioner(
    store: OrgStore, code: str, parent: str, region: str, summary: SyncSummary, name: str = ""
) -> Pct:
    pct, created = store.commissioner(codes.normalise_commissioner_code(code))
    summary.commissioners_created += created
    values = {"name": name, "parent_code": parent, "region_code": region}
    store.set_pct(pct, **{k: v for k, v in values.items() if v})
    return pct


def parent_kind(child_kind: str, parent: str) -> str:
    """The kind of a commissioner's parent, from its code's shape (`codes.commissioner_kind`),
    except that a CCG's or sub-ICB location's parent shaped like a merged sub-ICB location
    (letter digit letter digit letter) is an ICB: the ICBs formed by the mergers of April 2026
    have such codes (Z9B2Z, NHS West and North London ICB, in gp-reg-pat-prac-map.csv)."""
    kind = codes.commissioner_kind(parent)
    sub_icb_kinds = {"ccg_or_sub_icb", "ccg", "sub_icb_location"}
    return "icb" if kind == "ccg_or_sub_icb" and child_kind in sub_icb_kinds else kind


def _link_above(store: OrgStore, pct: Pct, source: str) -> None:
    """The commissioner's dated edges to its parent and region (`OrgLink`)."""
    if pct.parent_code:
        store.link(
            "commissioner",
            pct.code,
            parent_kind(pct.kind, pct.parent_code),
            pct.parent_code,
            source=source,
        )
    if pct.region_code:
        store.link("commissioner", pct.code, "region", pct.region_code, source=source)


def _link_pcns(store: OrgStore, rows: Iterable[Mapping[str, object]]) -> None:
    """Each PCN's dated edge to the sub-ICB location (or CCG) it sits in (the PCN details)."""
    for row in rows:
        raw = str(row.get("commissioner_code") or "")
        if not codes.is_commissioner_code(raw):
            continue
        store.link(
            "pcn",
            str(row["pcn_code"]),
            "commissioner",
            codes.normalise_commissioner_code(raw),
            start_date=_date(row.get("open_date")),
            end_date=_date(row.get("close_date")),
            source="epcn",
        )


SUB_ICB_NAME = re.compile(r"\bICB - [A-Z0-9]{3,5}$")
"""How ODS names a sub-ICB location since July 2022: its ICB's name, " - ", its code
("NHS BIRMINGHAM AND SOLIHULL ICB - 15E")."""


def listed_kind(code: str, name: str) -> str:
    """A CCG-shaped code's kind as the eccg file names it: "sub_icb_location" when named as one
    (July 2022 on), else "ccg" (April 2013 to June 2022, or closed before); other codes keep the
    kind of their shape (`codes.commissioner_kind`)."""
    kind = codes.commissioner_kind(code)
    if kind != "ccg_or_sub_icb":
        return kind
    return "sub_icb_location" if SUB_ICB_NAME.search(name.strip().upper()) else "ccg"


def _listed_commissioners(
    store: OrgStore, rows: Iterable[Mapping[str, object]], summary: SyncSummary
) -> dict[str, Pct]:
    """The commissioners of the eccg file, created or updated (name, parent, region)."""
    out: dict[str, Pct] = {}
    for row in sorted(rows, key=lambda r: str(r["commissioner_code"])):
        raw = str(row["commissioner_code"])
        if not codes.is_commissioner_code(raw):
            summary.skipped.append(f"{raw}: not a commissioner code (eccg row skipped)")
            continue
        name = str(row.get("commissioner_name") or "")
        pct = _commissioner(
            store,
            raw,
            str(row.get("parent_code") or ""),
            str(row.get("region_code") or ""),
            summary,
            name=name,
        )
        store.set_pct(pct, kind=listed_kind(pct.code, name))
        _link_above(store, pct, "eccg")
        out[pct.code] = pct
    return out


def commissioner_parents(
    practices: Iterable[tuple[str, Mapping[str, object]]],
) -> dict[str, tuple[str, str]]:
    """Each commissioner's parent (ICB, area team or SHA) and region, from its practices' rows
    (commissioner code as published, epraccur row): the values most of its practices give, a tie
    going to the first practice's. The legacy epraccur.csv derived column 4 from the
    commissioner, so every practice agreed; ODS's Data Search and Export epraccur report (2025)
    writes the ICB whose boundary the practice's postcode lies in, which a practice near a
    boundary gives differently from its commissioner's ICB."""
    votes: dict[str, Counter[tuple[str, str]]] = {}
    for raw, row in practices:
        key = codes.normalise_commissioner_code(raw)
        pair = (str(row.get("parent_code") or ""), str(row.get("region_code") or ""))
        votes.setdefault(key, Counter())[pair] += 1  # a Counter keeps first-seen order on ties
    return {key: counts.most_common(1)[0][0] for key, counts in votes.items()}


def commissioner_names(
    practices: Iterable[tuple[str, Mapping[str, object]]],
) -> dict[str, str]:
    """Each commissioner's name as its practices' rows give it (`pct_name`: the CCG_NAME or
    SUB_ICB_LOCATION_NAME of gp-reg-pat-prac-map.csv; the ODS practice file gives none), the
    name most of them give, a tie going to the first practice's."""
    votes: dict[str, Counter[str]] = {}
    for raw, row in practices:
        name = str(row.get("pct_name") or "").strip()
        if name:
            key = codes.normalise_commissioner_code(raw)
            votes.setdefault(key, Counter())[name] += 1
    return {key: counts.most_common(1)[0][0] for key, counts in votes.items()}


def current_pcns(
    memberships: Iterable[Mapping[str, object]], today: dt.date
) -> dict[str, Mapping[str, object]]:
    """Each practice's PCN membership in force on `today` (the latest started, if several)."""
    out: dict[str, Mapping[str, object]] = {}
    for m in memberships:
        start, end = _date(m.get("start_date")), _date(m.get("end_date"))
        if start is not None and start > today or end is not None and end < today:
            continue
        code = str(m["gp_practice_code"])
        prior = out.get(code)
        if prior is None or (start or dt.date.min) >= (
            _date(prior.get("start_date")) or dt.date.min
        ):
            out[code] = m
    return out


@transaction.atomic
def sync(
    user: Any,
    practices: Iterable[Mapping[str, object]],
    memberships: Iterable[Mapping[str, object]],
    commissioner_rows: Iterable[Mapping[str, object]] = (),
    pcn_rows: Iterable[Mapping[str, object]] = (),
    *,
    today: dt.date | None = None,
    source: str = "ods",
) -> SyncSummary:
    """Create or update commissioners, PCNs and practices from ODS rows (see the module)."""
    today = today or dt.date.today()
    summary = SyncSummary()
    store = OrgStore()
    listed = _listed_commissioners(store, commissioner_rows, summary)
    details = {str(r["pcn_code"]): r for r in pcn_rows}
    _link_pcns(store, details.values())
    members = list(memberships)
    pcn_now = current_pcns(members, today)
    rows = {str(r["gp_practice_code"]): r for r in practices}
    for m in members:
        store.link(
            "practice",
            str(m["gp_practice_code"]),
            "pcn",
            str(m["pcn_code"]),
            start_date=_date(m.get("start_date")),
            end_date=_date(m.get("end_date")),
            source="epcn",
        )
    commissioners: dict[str, Pct] = {}
    eligible: list[tuple[str, Mapping[str, object], str]] = []
    for code, row in sorted(rows.items()):
        if not codes.is_practice_code(code):
            continue
        setting = str(row.get("prescribing_setting") or "").strip()
        if setting and setting != GP_PRACTICE_SETTING:
            summary.skipped.append(f"{code}: not a GP practice (prescribing setting {setting})")
            continue
        raw = str(row.get("pct_code") or (pcn_now.get(code) or {}).get("commissioner_code") or "")
        if not raw:
            summary.skipped.append(f"{code}: no commissioner")
            continue
        if not codes.is_commissioner_code(raw):
            # epraccur lists the practices of Wales too (national grouping W00), whose parent
            # is a local health board (7A1 ... 7A7): no English commissioner holds them.
            summary.skipped.append(f"{code}: {raw} is not an English commissioner's code")
            continue
        eligible.append((code, row, raw))
    parents = commissioner_parents((raw, row) for _, row, raw in eligible)
    names = commissioner_names((raw, row) for _, row, raw in eligible)
    for code, row, raw in eligible:
        member = pcn_now.get(code)
        key = codes.normalise_commissioner_code(raw)
        if key not in commissioners:
            if key in listed:
                commissioners[key] = listed[key]
            else:
                name = names.get(key, "")
                pct = _commissioner(store, raw, *parents[key], summary, name=name)
                if name:
                    store.set_pct(pct, kind=listed_kind(pct.code, name))
                commissioners[key] = pct
                _link_above(store, pct, "epraccur")
        pct = commissioners[key]
        store.link(
            "practice",
            code,
            "commissioner",
            pct.code,
            start_date=_date(row.get("commissioner_start_date")),
            source="epraccur",
        )
        existing = store.practices.get(code)
        if member is not None:
            pcn_code = str(member["pcn_code"])
            locality = store.pcn_locality(pcn_code)
            if locality is None:
                named = (details.get(pcn_code) or {}).get("pcn_name") or member.get("pcn_name")
                locality = store.new_locality(
                    pct=pct,
                    slug=f"pcn-{pcn_code.lower()}",
                    name=str(named or pcn_code),
                    kind=Locality.Kind.PCN,
                    code=pcn_code,
                )
                summary.pcns_created += 1
        elif existing is not None and store.locality_of(existing).kind == Locality.Kind.CONSORTIUM:
            locality = store.locality_of(existing)
        else:
            slug = f"{pct.slug}-no-pcn"
            locality = store.by_slug.get(slug) or store.new_locality(
                slug=slug,
                pct=pct,
                name=f"{pct.name}: practices in no PCN",
                kind=Locality.Kind.NO_PCN,
            )
        values = {
            "name": str(row.get("practice_name") or code),
            "locality": locality,
            "status": str(row.get("status_code") or ""),
            "open_date": _date(row.get("open_date")),
            "close_date": _date(row.get("close_date")),
        }
        if store.set_practice(code, values):
            summary.practices_created += 1
        else:
            summary.practices_updated += 1
    for code, row in details.items():  # the PCN details name the PCNs (after the memberships)
        name = str(row.get("pcn_name") or "")
        if name:
            store.name_pcn(code, name)
    store.flush()
    audit.record(user, "update", None, after={"ods_sync": summary.as_dict()}, detail=source)
    return summary
