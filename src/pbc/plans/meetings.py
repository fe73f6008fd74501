"""Meetings and their actions: SLA review meetings, Hot Topics meetings, prescribing leads'
meetings (the Dacorum plan's "Attendance at Acute Trusts' SLA review meetings, Locality GP Hot
Topics meetings, Locality GP Prescribing Leads' meetings").

A meeting has its date, its attendees by role, and its decisions and actions; an action has an
owner and a due date, and each item may say what it concerns: an objective of the locality's
plan, one of its PCT's contracts, or an indicator of the catalogue.

- `record_meeting`: one action, atomic and audited, by a user who manages the locality's plans
  (a PCT analyst of its PCT or its locality manager). Every item is checked before anything is
  stored: an objective of another locality's plan, another PCT's contract or an unknown
  indicator is refused, naming the item.
- `complete_action`: an action done on a date (the same users), audited before and after.
- `overdue_actions(locality, on)`: the open actions whose due date is before `on`, oldest first,
  as plain data (the locality's home page and the board pack show them, as of the end of the
  month they are for).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from pbc.orgs import audit
from pbc.orgs.access import has_permission
from pbc.orgs.models import Locality
from pbc.orgs.roles import Permission
from pbc.plans.models import Meeting, MeetingAttendee, MeetingItem, Objective


class MeetingRefused(ValueError):
    """A meeting that cannot be recorded as given (the message names the item)."""


@dataclass(frozen=True)
class ItemIn:
    kind: str  # "decision" or "action"
    text: str
    owner: str = ""
    due_on: dt.date | None = None
    objective_number: int | None = None  # of the locality's plan for the meeting's year
    contract_id: int | None = None
    indicator_id: str = ""


def meeting_summary(meeting: Meeting) -> dict[str, Any]:
    return {
        "locality": meeting.locality.slug,
        "kind": meeting.kind,
        "held_on": meeting.held_on.isoformat(),
        "title": meeting.title,
        "attendees": [[a.name, a.role] for a in meeting.attendees.all()],
        "items": [
            [
                i.kind,
                i.text,
                i.owner,
                i.due_on.isoformat() if i.due_on else None,
                i.done_on.isoformat() if i.done_on else None,
                i.objective_id,
                i.contract_id,
                i.indicator_id,
            ]  # fmt: skip
            for i in meeting.items.order_by("pk")
        ],
    }


def _objective(locality: Locality, held_on: dt.date, number: int, where: str) -> Objective:
    from pbc.periods import financial_year_of

    found = (
        Objective.objects.filter(plan__locality=locality, number=number)
        .order_by("-plan__financial_year")
        .filter(plan__financial_year__lte=financial_year_of(held_on))
        .first()
    )
    if found is None:
        raise MeetingRefused(f"{where}: {locality.name}'s plan has no objective {number}")
    return found


@transaction.atomic
def record_meeting(
    user: Any,
    locality: Locality,
    kind: str,
    held_on: dt.date,
    attendees: Sequence[tuple[str, str]],
    items: Sequence[ItemIn],
    title: str = "",
) -> Meeting:
    from pbc.finance.queries import contracts_of
    from pbc.indicators.queries import indicator_titles

    if not has_permission(user, Permission.MANAGE_PLANS, locality):
        raise PermissionDenied("you may not record this locality's meetings")
    if kind not in Meeting.Kind.values:
        raise MeetingRefused(f"unknown kind of meeting {kind!r}")
    if not attendees:
        raise MeetingRefused("a meeting needs its attendees (name and role)")
    for n, (name, role) in enumerate(attendees, 1):
        if not name.strip() or not role.strip():
            raise MeetingRefused(f"attendee {n}: give a name and a role")
    contracts = contracts_of(locality.pct.code)
    titles = indicator_titles()
    checked = []
    for n, item in enumerate(items, 1):
        where = f"{item.kind} {n}"
        if item.kind not in MeetingItem.Kind.values or not item.text.strip():
            raise MeetingRefused(f"item {n}: a decision or an action, with its text")
        if item.kind == "action" and (not item.owner.strip() or item.due_on is None):
            raise MeetingRefused(f"{where}: an action needs an owner and a due date")
        if item.kind == "decision" and item.due_on is not None:
            raise MeetingRefused(f"{where}: a decision has no due date (record an action)")
        objective = (
            _objective(locality, held_on, item.objective_number, where)
            if item.objective_number is not None
            else None
        )
        if item.contract_id is not None and item.contract_id not in contracts:
            raise MeetingRefused(
                f"{where}: contract {item.contract_id} is not one of {locality.pct.name}'s"
            )
        if item.indicator_id and item.indicator_id not in titles:
            raise MeetingRefused(f"{where}: no indicator {item.indicator_id!r} in the catalogue")
        checked.append((item, objective))
    meeting = Meeting.objects.create(
        locality=locality, kind=kind, held_on=held_on, title=title.strip(), recorded_by=user
    )
    MeetingAttendee.objects.bulk_create(
        MeetingAttendee(meeting=meeting, name=name.strip(), role=role.strip())
        for name, role in attendees
    )
    MeetingItem.objects.bulk_create(
        MeetingItem(
            meeting=meeting,
            kind=item.kind,
            text=item.text.strip(),
            owner=item.owner.strip(),
            due_on=item.due_on,
            objective=objective,
            contract_id=item.contract_id,
            indicator_id=item.indicator_id,
        )  # fmt: skip
        for item, objective in checked
    )
    audit.record(
        user,
        "create",
        meeting,
        after=meeting_summary(meeting),
        detail=f"meeting recorded: {meeting}",
    )
    return meeting


@transaction.atomic
def complete_action(user: Any, item: MeetingItem, done_on: dt.date) -> MeetingItem:
    item = (
        MeetingItem.objects.select_for_update().select_related("meeting__locality").get(pk=item.pk)
    )
    if not has_permission(user, Permission.MANAGE_PLANS, item.meeting.locality):
        raise PermissionDenied("you may not update this locality's actions")
    if item.kind != MeetingItem.Kind.ACTION:
        raise MeetingRefused("only an action is done")
    if done_on < item.meeting.held_on:
        raise MeetingRefused("an action is done on or after the day of its meeting")
    before = {"done_on": item.done_on.isoformat() if item.done_on else None}
    item.done_on = done_on
    item.save(update_fields=["done_on"])
    audit.record(
        user, "update", item, before=before, after={"done_on": done_on.isoformat()},
        detail=f"action done {done_on:%d %B %Y}: {item.text}",
    )  # fmt: skip
    return item


def parse_attendees(text: str) -> list[tuple[str, str]]:
    """Attendees one a line, "name, role" (the role after the first comma)."""
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, _, role = line.partition(",")
        if not name.strip() or not role.strip():
            raise MeetingRefused(f'attendees, line {n}: write "name, role"')
        out.append((name.strip(), role.strip()))
    return out


def parse_items(text: str) -> list[ItemIn]:
    """Decisions and actions one a line: "decision: text" or "action: text | owner |
    YYYY-MM-DD", each optionally followed by "| objective N", "| contract ID" or
    "| indicator ID" (any of them)."""
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        kind, _, rest = line.partition(":")
        kind = kind.strip().lower()
        parts = [p.strip() for p in rest.split("|")]
        if kind not in ("decision", "action") or not parts[0]:
            raise MeetingRefused(f'items, line {n}: start with "decision:" or "action:"')
        fields: dict[str, Any] = {"kind": kind, "text": parts[0]}
        links = parts[1:]
        if kind == "action":
            if len(parts) < 3:
                raise MeetingRefused(f'items, line {n}: an action is "text | owner | due date"')
            fields["owner"] = parts[1]
            try:
                fields["due_on"] = dt.date.fromisoformat(parts[2])
            except ValueError:
                raise MeetingRefused(
                    f"items, line {n}: due date {parts[2]!r} is not YYYY-MM-DD"
                ) from None
            links = parts[3:]
        for link in links:
            what, _, value = link.partition(" ")
            value = value.strip()
            try:
                if what == "objective":
                    fields["objective_number"] = int(value)
                elif what == "contract":
                    fields["contract_id"] = int(value)
                elif what == "indicator" and value:
                    fields["indicator_id"] = value
                else:
                    raise ValueError
            except ValueError:
                raise MeetingRefused(
                    f'items, line {n}: {link!r} is not "objective N", "contract ID" or '
                    '"indicator ID"'
                ) from None
        out.append(ItemIn(**fields))
    return out


@dataclass(frozen=True)
class OverdueAction:
    pk: int
    meeting: str
    held_on: dt.date
    text: str
    owner: str
    due_on: dt.date
    concerns: str  # what it concerns, in words ("" for nothing)
    days_overdue: int


def concerns(item: MeetingItem, contracts: dict[int, str], titles: dict[str, str]) -> str:
    parts = []
    if item.objective is not None:
        parts.append(f"objective {item.objective.number}: {item.objective.short_title}")
    if item.contract_id is not None:
        parts.append(f"contract {contracts.get(item.contract_id, item.contract_id)}")
    if item.indicator_id:
        parts.append(f"indicator {titles.get(item.indicator_id, item.indicator_id)}")
    return "; ".join(parts)


def overdue_actions(locality: Locality, on: dt.date) -> list[OverdueAction]:
    """The locality's actions open on `on` whose due date is before it, oldest due first
    (an action done after `on` was still open then)."""
    from pbc.finance.queries import contracts_of
    from pbc.indicators.queries import indicator_titles

    items = list(
        MeetingItem.objects.filter(
            meeting__locality=locality, kind=MeetingItem.Kind.ACTION, due_on__lt=on,
            meeting__held_on__lte=on,
        )
        .exclude(done_on__lte=on)
        .select_related("meeting", "objective")
        .order_by("due_on", "pk")
    )  # fmt: skip
    if not items:
        return []
    contracts, titles = contracts_of(locality.pct.code), indicator_titles()
    return [
        OverdueAction(
            i.pk,
            str(i.meeting),
            i.meeting.held_on,
            i.text,
            i.owner,
            i.due_on,
            concerns(i, contracts, titles),
            (on - i.due_on).days,
        )  # fmt: skip
        for i in items
        if i.due_on is not None
    ]
