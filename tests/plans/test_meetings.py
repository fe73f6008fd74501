"""Meetings and actions: an SLA review, a Hot Topics and a prescribing leads' meeting with their
attendees by role, decisions and actions (owner, due date), each linked to the plan objective,
contract or indicator it concerns; overdue actions on the locality's home page and in the board
pack. The demo's Dacorum meetings (`pbc.demo.plans.DEMO_MEETINGS`) and meetings recorded here
through the page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from pbc.orgs.models import AuditEvent, Locality
from pbc.plans import meetings
from pbc.plans.models import Meeting, MeetingItem
from pbc.reports import board

pytestmark = pytest.mark.django_db
URL = "/plans/localities/dacorum/meetings/"
END_OF_JANUARY = dt.date(2009, 1, 31)


def test_the_demo_meetings_and_their_overdue_actions() -> None:
    dacorum = Locality.objects.get(slug="dacorum")
    kinds = sorted(Meeting.objects.filter(locality=dacorum).values_list("kind", flat=True))
    assert kinds == ["hot_topics", "prescribing_leads", "sla_review"]
    sla = Meeting.objects.get(locality=dacorum, kind="sla_review")
    assert ("Jenny Greenshield", "PCT finance") in {(a.name, a.role) for a in sla.attendees.all()}
    decision = sla.items.get(kind="decision")
    assert decision.contract is not None and decision.contract.provider.code == "RWG"

    # At the end of January 2009: the reconciliation (due 19 December) and the antibiotic audit
    # (due 15 January) are overdue; the specification was sent on time and retinal screening is
    # due in March. On 20 December only the reconciliation was overdue.
    overdue = meetings.overdue_actions(dacorum, END_OF_JANUARY)
    assert [(a.due_on, a.days_overdue) for a in overdue] == [
        (dt.date(2008, 12, 19), 43),
        (dt.date(2009, 1, 15), 16),
    ]
    assert overdue[1].concerns == "indicator " + meetings_indicator_title(
        "antibiotics-cephalosporins-quinolones"
    )
    assert overdue[0].concerns.startswith("contract RWG 2008/09 Acute services")
    assert [a.due_on for a in meetings.overdue_actions(dacorum, dt.date(2008, 12, 20))] == [
        dt.date(2008, 12, 19)
    ]

    # The board pack for January 2009 and the locality manager's home page list them.
    section = board.plan_section(dacorum, dt.date(2009, 1, 1))
    assert [a.pk for a in section.overdue_actions] == [a.pk for a in overdue]
    client = Client()
    client.force_login(get_user_model().objects.get(username="locality"))
    home = client.get("/").content.decode()
    assert "Actions from meetings" in home and "2 overdue on 31 January 2009" in home
    assert "Locality interim audit of cephalosporin and quinolone prescribing" in home


def meetings_indicator_title(indicator_id: str) -> str:
    from pbc.indicators.queries import indicator_titles

    return indicator_titles()[indicator_id]


def test_a_meeting_is_recorded_checked_and_audited_and_an_action_done() -> None:
    dacorum = Locality.objects.get(slug="dacorum")
    manager = Client()
    manager.force_login(get_user_model().objects.get(username="locality"))
    before = Meeting.objects.count()
    form = {
        "action": "record", "kind": "hot_topics", "held_on": "2009-02-04", "title": "Referrals",
        "attendees": "Dr Ann Lead, DacCom GP lead\nLee Manager, Locality manager",
        "items": "decision: Share referral rates by practice each month | indicator gp-referral-rate\n"
        "action: Circulate the referral guidance | Lee Manager | 2009-02-20 | objective 1\n"
        "action: Review outpatient follow-ups | Dr Ann Lead | 2009-03-06 | indicator nonsense",
    }  # fmt: skip
    response = manager.post(URL, form, follow=True)
    assert "no indicator &#39;nonsense&#39; in the catalogue" in response.content.decode() or (
        "no indicator 'nonsense' in the catalogue" in response.content.decode()
    )
    assert Meeting.objects.count() == before  # nothing of it stored

    # Another PCT's contract is refused too, naming the item.
    other = meetings.ItemIn("action", "x", "y", dt.date(2009, 3, 1), contract_id=999999)
    with pytest.raises(meetings.MeetingRefused, match="action 1: contract 999999"):
        meetings.record_meeting(
            get_user_model().objects.get(username="locality"), dacorum, "hot_topics",
            dt.date(2009, 2, 4), [("A", "B")], [other],
        )  # fmt: skip

    form["items"] = form["items"].replace(
        "indicator nonsense", "indicator op-new-to-follow-up-ratio"
    )
    manager.post(URL, form)
    meeting = Meeting.objects.get(locality=dacorum, held_on=dt.date(2009, 2, 4))
    items = list(meeting.items.order_by("pk"))
    assert [(i.kind, i.owner, i.due_on) for i in items] == [
        ("decision", "", None),
        ("action", "Lee Manager", dt.date(2009, 2, 20)),
        ("action", "Dr Ann Lead", dt.date(2009, 3, 6)),
    ]
    assert items[0].indicator_id == "gp-referral-rate"
    assert items[1].objective is not None and items[1].objective.number == 1
    event = AuditEvent.objects.filter(object_type="Meeting", object_id=str(meeting.pk)).get()
    assert event.action == "create" and len(event.after["items"]) == 3

    # A board member may see the page but not record or complete anything (denied, audited).
    board_member = Client()
    board_member.force_login(get_user_model().objects.get(username="board"))
    assert board_member.get(URL).status_code == 200
    board_member.post(URL, {"action": "done", "item": items[1].pk, "done_on": "2009-02-18"})
    assert MeetingItem.objects.get(pk=items[1].pk).done_on is None
    assert AuditEvent.objects.filter(action="denied", object_type="Locality").exists()

    # Overdue on 1 March; done on 18 February (before then), no longer.
    assert items[1].pk in {a.pk for a in meetings.overdue_actions(dacorum, dt.date(2009, 3, 1))}
    manager.post(URL, {"action": "done", "item": items[1].pk, "done_on": "2009-02-18"})
    assert MeetingItem.objects.get(pk=items[1].pk).done_on == dt.date(2009, 2, 18)
    assert items[1].pk not in {a.pk for a in meetings.overdue_actions(dacorum, dt.date(2009, 3, 1))}
    # ... though on 10 February, before it was done, it was open (not yet due).
    page = manager.get(URL).content.decode()
    assert f'data-item="{items[1].pk}"' in page and "done 18 February 2009" in page


def test_item_lines_are_read_with_clear_errors() -> None:
    items = meetings.parse_items(
        "decision: Agree it\n\naction: Do it | Owner | 2009-01-02 | contract 7 | objective 3"
    )
    assert items == [
        meetings.ItemIn("decision", "Agree it"),
        meetings.ItemIn("action", "Do it", "Owner", dt.date(2009, 1, 2), 3, 7),
    ]
    with pytest.raises(meetings.MeetingRefused, match="line 2: due date '2 Jan' is not YYYY-MM-DD"):
        meetings.parse_items("decision: x\naction: y | z | 2 Jan")
    with pytest.raises(meetings.MeetingRefused, match="line 1: start with"):
        meetings.parse_items("minute: x")
    with pytest.raises(meetings.MeetingRefused, match="attendees, line 2"):
        meetings.parse_attendees("A, B\nNo role")
