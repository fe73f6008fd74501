"""The board pack's inequalities (issue 19, items 4 and 1): the plans' halving of the gap in life
expectancy, each whole financial year before the report's month against the trajectory, and the
latest such year's mortality of the most deprived fifth against the average; the same figures
as the inequalities page, in the page, the PDF and the XLSX."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from openpyxl import load_workbook

from pbc.analytics.population import inequalities as iq
from pbc.orgs.models import Locality
from pbc.reports import board, board_inequalities, formats
from pbc.stats import Interval, LifeExpectancyBand

JANUARY = dt.date(2009, 1, 1)


def _year(label: str, q1: float | None, avg: float, q1_rate: Interval | None = None) -> iq.YearLe:
    def band(v: float | None) -> LifeExpectancyBand:
        if v is None:
            return LifeExpectancyBand(0, None, None, None, "total population 5,000 or less")
        return LifeExpectancyBand(0, v, v - 1.0, v + 1.0)

    quintiles = [iq.QuintileLe(1, 6000, 60, band(q1), q1_rate)]
    quintiles += [iq.QuintileLe(q, 6000, 50, band(avg)) for q in (2, 3, 4, 5)]
    quintiles.append(iq.QuintileLe(iq.ALL, 30000, 260, band(avg), Interval(900.0, None, 990.0)))
    return iq.YearLe(label, tuple(quintiles))


def test_an_area_against_the_halving_trajectory_by_hand() -> None:
    years = [
        _year("2004/05", None, 80.0),  # withheld: before the baseline
        _year("2005/06", 74.0, 80.0, Interval(1200.0, 1100.0, 1300.0)),  # baseline gap 6.0
        _year("2006/07", 72.0, 80.0),  # gap 8.0 (6.59-9.41) against 5.4: worse
        _year("2007/08", 77.5, 80.0, Interval(1000.0, 900.0, 1110.0)),  # 2.5 against 4.8: better
        _year("2008/09", 70.0, 80.0),  # not over by January 2009: not shown
    ]
    area = board_inequalities._area("Here", years, JANUARY)
    assert [y.year for y in area.years] == ["2004/05", "2005/06", "2006/07", "2007/08"]
    assert [y.status for y in area.years] == [
        None, "consistent with trajectory", "worse than trajectory", "better than trajectory",
    ]  # fmt: skip
    assert [round(y.target, 6) if y.target else None for y in area.years] == [None, 6.0, 5.4, 4.8]
    assert area.baseline == ("2005/06", 6.0) and area.target == ("2010/11", 3.0)
    assert area.years[0].gap.reason == "total population 5,000 or less"
    assert area.latest is not None and area.latest.year == "2007/08"
    assert area.mortality_year == "2007/08"
    assert area.most_deprived == Interval(1000.0, 900.0, 1110.0)
    assert area.average == Interval(900.0, None, 990.0)


def _page_mortality(html: str, area: str, year: str) -> dict[int, str]:
    table = html.split(f'data-area-mortality="{area}"', 1)[1].split("</table>", 1)[0]
    row = table.split(f'data-year="{year}"', 1)[1].split("</tr>", 1)[0]
    return dict((int(q), v) for q, v in re.findall(r'data-quintile="(\d)"[^>]*>([\d,]+)<br>', row))


@pytest.mark.django_db
def test_dacorums_january_2009_pack_shows_the_pages_figures() -> None:
    dacorum = Locality.objects.get(slug="dacorum")
    pack = board.build(dacorum, JANUARY)
    section = pack.inequalities
    assert section is not None and not section.empty
    client = Client()
    client.force_login(get_user_model().objects.get(username="board"))
    page = client.get("/population/localities/dacorum/inequalities/").content.decode()
    page_years = re.findall(r'data-area="Dacorum locality">.*?</table>', page, re.S)[0]
    shown = [y for y in re.findall(r'data-year="(\d{4}/\d\d)"', page_years)]
    names = [a.name for a in section.areas]
    assert names == ["Dacorum locality", dacorum.pct.name]
    local = section.areas[0]
    # Every whole year of the page before January 2009 (2008/09 is not over).
    assert [y.year for y in local.years] == [y for y in shown if y < "2008/09"]
    # Test scale (4,000 people) withholds the life tables: no gap, no trajectory, said why.
    assert all(y.gap.value is None and y.gap.reason for y in local.years)
    assert local.target is None
    # The latest whole year's mortality equals the page's table.
    for area in section.areas:
        assert area.mortality_year == local.years[-1].year
        on_page = _page_mortality(page, area.name, area.mortality_year)
        for quintile, rate in ((1, area.most_deprived), (0, area.average)):
            if rate is not None:
                assert on_page[quintile] == f"{rate.value:,.0f}"
    html = formats.render(pack, "html").decode()
    assert "Inequalities in life expectancy: halving the gap" in html
    assert html.count('<tr class="nhsuk-table__row" data-area=') == sum(
        len(a.years) for a in section.areas
    )
    assert f"All-cause mortality in {local.mortality_year}" in html
    rows = [
        r
        for r in load_workbook(io.BytesIO(formats.render(pack, "xlsx")), read_only=True)[
            "Indicators"
        ].iter_rows(values_only=True)
    ]
    gap_rows = [r for r in rows if r and r[0] in names and r[1] and "/" in str(r[1])]
    assert len(gap_rows) >= sum(len(a.years) for a in section.areas)
