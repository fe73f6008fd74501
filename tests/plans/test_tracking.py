"""Monthly milestone tracking: history, month rules, optimistic locking, overdue, dashboard."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from pbc.orgs.models import AuditEvent
from pbc.plans import actions
from pbc.plans.models import Milestone, MilestoneUpdate, Plan
from pbc.plans.tracking import plan_month

TODAY = dt.date(2010, 6, 15)


def user(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def version_in(page: str) -> int:
    found = re.search(r'name="version" value="(\d+)"', page)
    assert found, "the form carries the version it was based on"
    return int(found.group(1))


def milestone_of(plan: Plan, objective: int, number: int) -> Milestone:
    return Milestone.objects.get(objective__plan=plan, objective__number=objective, number=number)


def record(m: Milestone, month: dt.date, status: str, **kw: Any) -> MilestoneUpdate:
    m.refresh_from_db()
    return actions.record_milestone_update(
        user("wh-locality"),
        m,
        based_on_version=m.version,
        month=month,
        status=status,
        today=TODAY,
        **kw,
    )


@pytest.mark.django_db
def test_each_save_is_history_with_who_and_when(fresh_plan: Plan) -> None:
    m = milestone_of(fresh_plan, 1, 1)
    record(m, dt.date(2009, 4, 1), "green", commentary="Started")
    record(m, dt.date(2009, 5, 1), "amber", commentary="Slipping", private=True)
    record(m, dt.date(2009, 5, 1), "red", commentary="Corrected: at risk")
    history = list(m.updates.order_by("version"))
    assert [(u.version, u.status) for u in history] == [(1, "green"), (2, "amber"), (3, "red")]
    assert all(u.recorded_by_name == "Wyn Manager" for u in history)
    m.refresh_from_db()
    assert m.version == 3
    event = AuditEvent.objects.filter(action="update", object_type="Milestone").first()
    assert (
        event is not None and event.after["status"] == "red" and event.before["status"] == "amber"
    )
    # The month's status is its latest update; later months carry it forward.
    assert plan_month(fresh_plan, dt.date(2009, 5, 1)).states[0].status == "red"
    carried = plan_month(fresh_plan, dt.date(2009, 8, 1)).states[0]
    assert carried.status == "red" and carried.update is not None
    assert carried.update.month == dt.date(2009, 5, 1)
    assert plan_month(fresh_plan, dt.date(2009, 4, 1)).states[0].status == "green"


@pytest.mark.django_db
def test_months_outside_the_year_or_in_the_future_are_refused(fresh_plan: Plan) -> None:
    m = milestone_of(fresh_plan, 1, 1)
    with pytest.raises(actions.UpdateRefused, match="outside the plan's financial year"):
        record(m, dt.date(2009, 3, 1), "green")
    with pytest.raises(actions.UpdateRefused, match="has not started"):
        actions.record_milestone_update(
            user("wh-locality"),
            m,
            based_on_version=0,
            month=dt.date(2009, 9, 1),
            status="green",
            today=dt.date(2009, 8, 31),
        )
    with pytest.raises(actions.UpdateRefused):
        record(m, dt.date(2009, 4, 1), "purple")
    assert not m.updates.exists()


@pytest.mark.django_db
def test_a_stale_save_is_refused_by_the_action(fresh_plan: Plan) -> None:
    m = milestone_of(fresh_plan, 2, 1)
    first = actions.record_milestone_update(
        user("wh-locality"),
        m,
        based_on_version=0,
        month=dt.date(2009, 4, 1),
        status="green",
        commentary="First",
        today=TODAY,
    )
    with pytest.raises(actions.MilestoneChanged, match="updated by Wyn Manager") as caught:
        actions.record_milestone_update(
            user("analyst"),
            m,
            based_on_version=0,
            month=dt.date(2009, 4, 1),
            status="red",
            commentary="Second",
            today=TODAY,
        )
    assert caught.value.latest == first
    assert list(m.updates.values_list("commentary", flat=True)) == ["First"]


@pytest.mark.django_db
def test_two_editors_the_second_save_is_refused_and_their_text_shown_back() -> None:
    plan = Plan.objects.get(slug="dacorum-2008-09")
    m = milestone_of(plan, 2, 1)
    url = reverse("milestone_update", args=[m.key])
    lee, alex = Client(), Client()
    lee.force_login(user("locality"))
    alex.force_login(user("analyst"))
    version = version_in(lee.get(url).content.decode())
    assert version_in(alex.get(url).content.decode()) == version == m.version

    post = {"month": "2009-01", "version": version, "evidence_url": ""}
    saved = lee.post(url, {**post, "status": "amber", "commentary": "Lee: waiting for the PCT"})
    assert saved.status_code == 302
    refused = alex.post(
        url, {**post, "status": "red", "commentary": "Alex: escalate to the Executive Board"}
    )
    assert refused.status_code == 409
    page = refused.content.decode()
    assert "Your update has not been saved" in page
    assert "updated by Lee Manager" in page
    assert "Alex: escalate to the Executive Board" in page  # their text, kept in the form
    assert "Lee: waiting for the PCT" in page  # what the other person saved
    m.refresh_from_db()
    assert m.updates.filter(version=m.version).get().commentary == "Lee: waiting for the PCT"
    # Having seen Lee's update, Alex saves again: accepted.
    again = alex.post(
        url,
        {
            **post,
            "version": m.version,
            "status": "red",
            "commentary": "Alex: escalate to the Executive Board",
        },
    )
    assert again.status_code == 302
    assert m.updates.order_by("-version").first().commentary.startswith("Alex")


@pytest.mark.django_db
def test_overdue_and_due_soon(fresh_plan: Plan) -> None:
    complete, late, soon = Milestone.objects.filter(objective__plan=fresh_plan)[:3]
    for m, due in (
        (complete, dt.date(2009, 6, 30)),
        (late, dt.date(2009, 7, 31)),
        (soon, dt.date(2009, 9, 30)),
    ):
        m.due_date = due
        m.save()
    Milestone.objects.filter(objective__plan=fresh_plan).exclude(
        pk__in=[complete.pk, late.pk, soon.pk]
    ).update(due_date=None)
    record(complete, dt.date(2009, 6, 1), "complete")
    record(late, dt.date(2009, 6, 1), "amber")
    july = plan_month(fresh_plan, dt.date(2009, 7, 1))
    assert [s.milestone.pk for s in july.overdue] == [late.pk]  # due 31 July, not complete
    assert [s.milestone.pk for s in july.due_soon] == [soon.pk]  # due in September
    june = plan_month(fresh_plan, dt.date(2009, 6, 1))
    assert june.overdue == [] and [s.milestone.pk for s in june.due_soon] == [late.pk]


@pytest.mark.django_db
def test_dashboard_counts_by_status_per_section() -> None:
    plan = Plan.objects.get(slug="dacorum-2008-09")
    client = Client()
    client.force_login(user("board"))
    response = client.get(reverse("plans_dashboard", args=["dacorum"]) + "?month=2008-10")
    assert response.status_code == 200
    # Independently: the latest update of each milestone up to October 2008.
    expected: dict[str, dict[str, int]] = {
        s.name: dict.fromkeys(["not_started", "green", "amber", "red", "complete"], 0)
        for s in plan.sections.all()
    }
    for m in Milestone.objects.filter(objective__plan=plan).select_related("objective__section"):
        last = m.updates.filter(month__lte=dt.date(2008, 10, 1)).order_by("month", "version").last()
        expected[m.objective.section.name][last.status if last else "not_started"] += 1
    current = plan_month(plan, dt.date(2008, 10, 1))
    for section in current.sections:
        assert current.counts(section) == expected[section.name]
    page = response.content.decode()
    for name, row in expected.items():
        cells = "".join(f'<td class="nhsuk-table__cell">{n}</td>' for n in row.values())
        assert cells in page, name
    assert sum(sum(row.values()) for row in expected.values()) == len(current.states)
    assert sum(row["green"] + row["amber"] + row["red"] for row in expected.values()) > 0


@pytest.mark.django_db
def test_board_members_may_look_but_not_update() -> None:
    m = milestone_of(Plan.objects.get(slug="dacorum-2008-09"), 1, 1)
    client = Client()
    client.force_login(user("board"))
    assert client.get(reverse("milestone", args=[m.key])).status_code == 200
    assert client.get(reverse("milestone_update", args=[m.key])).status_code == 403
    assert client.post(reverse("milestone_update", args=[m.key]), {}).status_code == 403
