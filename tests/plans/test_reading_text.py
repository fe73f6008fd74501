"""Timescale rules, and the two text export styles on small documents written here."""

from __future__ import annotations

import datetime as dt

import pytest

from pbc.plans.reading import financial_year_start, parse_due_dates, read_plan
from pbc.plans.reading.fragments import DebrisDetector
from pbc.plans.reading.timescales import is_timescale

D = dt.date


@pytest.mark.parametrize(
    ("text", "dates"),
    [
        ("Dec 2008", [D(2008, 12, 31)]),
        ("March  2009", [D(2009, 3, 31)]),
        ("June 2008", [D(2008, 6, 30)]),
        ("2009", [D(2009, 12, 31)]),
        ("2009 October 2008", [D(2009, 12, 31), D(2008, 10, 31)]),
        ("Ongoing", []),
        ("ongoing", []),
        ("February 2008", [D(2008, 2, 29)]),
        ("Sept 2008", [D(2008, 9, 30)]),
        ("2008/09", [D(2009, 3, 31)]),
        (", March 2009", [D(2009, 3, 31)]),
    ],
)
def test_timescales_become_due_dates(text: str, dates: list[dt.date]) -> None:
    assert parse_due_dates(text) == dates


def test_timescale_look_alikes() -> None:
    assert is_timescale("Ongoing") and is_timescale("2009 October 2008")
    assert not is_timescale("DacCom project leads")
    assert not is_timescale("Investment in 2008/09 to increase establishment")


def test_financial_year_start() -> None:
    assert financial_year_start("2008/09") == D(2008, 4, 1)
    assert financial_year_start("2010-11") == D(2010, 4, 1)
    with pytest.raises(ValueError, match="not like"):
        financial_year_start("next year")


HEADER = "Objective/Priority\tAction\tMilestones\tLead\tTimescale\tOutcome"


def columns_plan(*lines: str) -> bytes:
    return "\n".join(lines).encode()


def test_pdf_export_shifted_rows_are_aligned_by_their_timescale_and_lead_columns() -> None:
    data = columns_plan(
        "Our Priorities",
        "",
        HEADER,
        "Keep people well\tWork with the council and\tAgree plans with\tPCT and Locality\t"
        "March 2009\tHealthier people",
        "",
        # five fields: the Objective column is left out; "Locality" is a lead seen above
        "partners on smoking\tpartners\tLocality\tJune 2008\tFewer smokers",
        "Reduce obesity\tWeigh children\t\t\tMore active children",
    )
    plan = read_plan(data, filename="shifted.txt")
    (well,) = plan.objectives
    assert well.section == "Our Priorities"
    assert well.actions == ["Work with the council and partners on smoking", "Reduce obesity"]
    assert well.milestones == ["Agree plans with partners", "Weigh children"]
    assert well.leads == ["PCT and Locality", "Locality"]
    assert well.due_dates == [D(2009, 3, 31), D(2008, 6, 30)]
    assert well.outcomes == ["Healthier people", "Fewer smokers", "More active children"]


def test_pdf_export_four_field_rows_keep_the_objective_when_all_columns_hold_text() -> None:
    data = columns_plan(
        HEADER,
        "First aim\tAct one\tMilestone one\tBoard\tDec 2008\tOutcome one",
        "\t\tmore of milestone one\tsame outcome",
        "Second aim\tAct two\tMilestone two\tOutcome two",
    )
    plan = read_plan(data, filename="four.txt")
    first, second = plan.objectives
    assert first.milestones == ["Milestone one more of milestone one"]
    assert first.outcomes == ["Outcome one same outcome"]
    assert (second.title, second.actions, second.outcomes) == (
        "Second aim",
        ["Act two"],
        ["Outcome two"],
    )
    assert second.due_dates == []


def test_pdf_export_title_cut_by_a_page_break_is_rejoined_and_wrapped_lines_continue() -> None:
    data = columns_plan(
        HEADER,
        "Redesign diabetes care, moving services to\tLead redesign\tBusiness case\t"
        "Project leads\tMarch 2009\tBetter care",
        "",
        "primary care\tProcure service\t\t\t\tFewer admissions",
        "Evidence shows fewer referrals",
        "------\t--\t--\t--\t--\t--",
        "Choice\tOffer choice\tChoose & Book\tBoard\tOngoing\tResponsive services",
    )
    plan = read_plan(data, filename="wrapped.txt")
    diabetes, choice = plan.objectives
    assert diabetes.title == "Redesign diabetes care, moving services to primary care"
    assert diabetes.outcomes == [
        "Better care",
        "Fewer admissions",
        "Evidence shows fewer referrals",
    ]
    assert choice.title == "Choice" and choice.timescale == "Ongoing"
    assert [f.reason for f in plan.unplaced] == ["no text (a rule or a lone bullet)"] * 6


def test_debris_of_words_cut_across_columns() -> None:
    document = [
        "comprehensive antenatal screening programmes implemented for children",
        "Training and development of staff identified",
        "comprehensiv screening prog anomali",
        "e antenatal grammes",
        "ied",
        "telephone help lines",
    ]
    debris = DebrisDetector(document + ["anomalies for children and lines"])
    assert [debris.is_debris(text) for text in document] == [
        False,
        False,
        True,
        True,
        True,
        False,
    ]


def test_word_export_rows_follow_the_header_width_and_headings_need_a_header_after_them() -> None:
    text = "\n".join(
        [
            "National Priorities",
            "\tObjective/Priority",
            "\tAction",
            "\tLead",
            "\tTimescale",
            "",
            "\tAccess",
            "Better access for all",
            "\tExtend hours",
            "\tBoard",
            "\tDec 2008",
            "",
            "Reduction in waiting times",  # continues the Timescale cell: no header follows
            "\tObjective/Priority",
            "\tAction",
            "\tLead",
            "\tTimescale",
            "\tFinance",
            "\tBalance the budget",
            "\tBoard",
            "\tMarch 2009",
        ]
    )
    plan = read_plan(text.encode(), filename="word.txt")
    access, finance = plan.objectives
    assert access.title == "Access\nBetter access for all"
    assert access.timescales == ["Dec 2008", "Reduction in waiting times"]
    assert finance.section == "National Priorities"
    assert finance.due_dates == [D(2009, 3, 31)]
    assert plan.unplaced == []
    assert any("has no date that could be read" in w for w in plan.warnings)


def test_utf16_text_export_is_read() -> None:
    text = "\ufeff" + HEADER + "\nChoice\tOffer choice\tChoose & Book\tBoard\tOngoing\tBetter\n"
    plan = read_plan(text.encode("utf-16-le"), filename="unicode.txt")
    assert [o.title for o in plan.objectives] == ["Choice"]
