"""Nothing on the public site discloses a small number or a patient.

Over every public page of the demo (tests/web/public_site.py: a crawl from /public/ plus the
known public URL patterns), with the disclosure rule of the setting (pbc.web.disclosure):

(a) every count the page marks (`data-count`) is 0 or above the rule's range and rounded to the
    rule's base, and the number shown is the number marked;
(b) every figure computed from counts names its source (`data-derived-from`); the source's true
    counts, read from the database, are not small. Independently of the marks, every source the
    page's URL shows (the indicator's organisation, the locality's survey quarter) whose counts
    are small has none of its value, interval or numerator in its row, nor a point on the SPC
    chart; a survey table never hides exactly one practice while the locality figure is shown
    (it would follow by subtraction);
(c) no patient-level field: no valid NHS number, none of the demo's NHS numbers, no postcode, no
    column or label for a date of birth, NHS number, postcode or patient name.

The mutation test publishes with suppression switched off through the setting and shows the
same checker catches the pages.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.test import Client
from django.urls import resolve
from lxml import html as lxml_html

from pbc import periods
from pbc.codes import is_valid_nhs_number
from pbc.indicators import definitions
from pbc.indicators.models import IndicatorValue
from pbc.orgs.models import Locality, Practice
from pbc.services import experience
from pbc.services.models import SurveyResult
from pbc.stats import DisclosureRule
from pbc.web import disclosure
from web.public_site import crawl, known_urls

pytestmark = pytest.mark.django_db

MIN_PAGES = 100
NO_SUPPRESSION = DisclosureRule("none (mutation test)", 1, 0, 1)
NHS_NUMBER = re.compile(r"(?<![\d.,])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\d.,])")
POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}\b")
PATIENT_LABELS = re.compile(
    r"date of birth|\bdob\b|nhs number|postcode|forename|surname|first name|family name|"
    r"patient name|patient's name",
    re.IGNORECASE,
)


@dataclass
class Checker:
    rule: DisclosureRule

    def small(self, value: float | None) -> bool:
        return (
            value is not None and self.rule.suppress_from <= round(value) <= self.rule.suppress_to
        )

    # --- sources --------------------------------------------------------------------------------

    def survey_small(self, result: SurveyResult) -> bool:
        return any(
            self.small(v)
            for v in (result.positive, result.responses - result.positive, result.responses)
        )

    def indicator_small(self, value: IndicatorValue) -> bool:
        definition = definitions.catalogue()[value.indicator_id]
        count_denominator = definition.statistic == "proportion"
        return self.small(value.numerator) or (count_denominator and self.small(value.denominator))

    def source_small(self, key: str) -> bool:
        """The true counts behind a `data-derived-from` key include a small one."""
        kind, _, rest = key.partition(":")
        if kind == "survey":
            code, quarter, domain = rest.split(":")
            return self.survey_small(
                SurveyResult.objects.get(practice__code=code, quarter=quarter, domain=domain)
            )
        if kind == "survey-locality":
            slug, quarter, domain = rest.split(":")
            rows = SurveyResult.objects.filter(
                practice__locality__slug=slug, quarter=quarter, domain=domain
            )
            positive = sum(r.positive for r in rows)
            responses = sum(r.responses for r in rows)
            return any(self.small(v) for v in (positive, responses - positive, responses))
        if kind == "indicator":
            indicator, level, code, month = rest.split(":")
            return self.indicator_small(
                IndicatorValue.objects.get(
                    indicator_id=indicator, level=level, org_code=code, month=month
                )
            )
        raise AssertionError(f"unknown data-derived-from source {key!r}")

    # --- the checks -----------------------------------------------------------------------------

    def check(self, path: str, html: str) -> list[str]:
        tree = lxml_html.fromstring(html)
        problems = [f"{path}: {p}" for p in self.marked(tree)]
        problems += [f"{path}: {p}" for p in self.cross_checked(path, tree)]
        problems += [f"{path}: {p}" for p in self.patient_fields(tree)]
        return problems

    def marked(self, tree: lxml_html.HtmlElement) -> Iterator[str]:
        for element in tree.xpath("//*[@data-count]"):
            count = int(element.get("data-count"))
            shown = re.sub(r"[^\d]", "", element.text_content())
            if shown != str(count):
                yield f"data-count {count} but the page shows {element.text_content()!r}"
            if self.small(count):
                yield f"count {count} in the suppressed range is shown"
            elif count % self.rule.round_to:
                yield f"count {count} is not rounded to {self.rule.round_to}"
        for element in tree.xpath("//*[@data-derived-from]"):
            for key in element.get("data-derived-from").split():
                if self.source_small(key):
                    yield (
                        f"{element.text_content().strip()!r} is derived from a suppressed "
                        f"count ({key})"
                    )

    def cross_checked(self, path: str, tree: lxml_html.HtmlElement) -> Iterator[str]:
        match = resolve(urlsplit(path).path)
        query = parse_qs(urlsplit(path).query)
        if match.url_name == "experience_public":
            yield from self.survey_page(tree, match.kwargs["locality"], query)
        elif match.url_name == "indicators_public_indicator":
            yield from self.indicator_page(tree, match.kwargs["indicator"], query)
        elif match.url_name == "indicators_public_locality":
            yield from self.dashboard_page(tree, "locality", match.kwargs["locality"])

    def survey_page(
        self, tree: lxml_html.HtmlElement, slug: str, query: dict[str, list[str]]
    ) -> Iterator[str]:
        locality = Locality.objects.get(slug=slug)
        quarters = experience.quarters_with_results(locality)
        quarter = periods.quarter_start(unquote(query["quarter"][0])) if query else quarters[0]
        labels = dict(experience.DOMAINS)
        results = SurveyResult.objects.filter(practice__locality=locality, quarter=quarter)
        for domain, label in labels.items():
            mine = [r for r in results if r.domain == domain]
            heading = tree.xpath(f"//h2[normalize-space()='{label}']")
            assert heading, f"no section for {label}"
            table = heading[0].getnext()
            rows = {
                " ".join(tr.xpath("./th")[0].text_content().split()): tr
                for tr in table.xpath(".//tbody/tr[th]")
            }
            hidden_practices = 0
            for r in mine:
                row = next(
                    (tr for name, tr in rows.items() if name.endswith(f"({r.practice.code})")),
                    None,
                )
                assert row is not None, f"{label}: no row for {r.practice.code}"
                cells = [" ".join(td.text_content().split()) for td in row.xpath("./td")]
                if "*" in cells[1]:
                    hidden_practices += 1
                if not self.survey_small(r):
                    continue
                interval = experience.rate(r.positive, r.responses).interval
                assert interval is not None
                # the responses cell may show the rounded total; the others nothing of this row
                forbidden = [{str(r.responses)} if self.small(r.responses) else set()]
                forbidden += [
                    {
                        f"{100 * interval.value:.1f}%",
                        f"{100 * interval.lower:.1f}",
                        f"{100 * interval.upper:.1f}%",
                        str(r.positive),
                        str(r.responses - r.positive),
                    }
                ] * (len(cells) - 1)
                for cell, texts in zip(cells, forbidden, strict=True):
                    for text in texts:
                        if re.search(rf"(?<![\d.]){re.escape(text)}(?![\d])", cell):
                            yield (
                                f"{label}, {r.practice.code}: {text!r} shown for a result with "
                                f"a small count ({r.positive}/{r.responses})"
                            )
            locality_row = next(tr for name, tr in rows.items() if name.endswith(" locality"))
            locality_shown = "*" not in locality_row.xpath("./td")[1].text_content()
            if locality_shown and hidden_practices == 1:
                yield f"{label}: one practice hidden, the locality shown: it follows by subtraction"

    def _trend_rows(self, tree: lxml_html.HtmlElement) -> dict[str, list[str]]:
        out = {}
        for tr in tree.xpath("//table[@id='trend-table']/tbody/tr"):
            cells = [" ".join(td.text_content().split()) for td in tr.xpath("./td")]
            out[cells[0]] = cells[1:]
        return out

    def indicator_page(
        self, tree: lxml_html.HtmlElement, indicator: str, query: dict[str, list[str]]
    ) -> Iterator[str]:
        definition = definitions.catalogue()[indicator]
        if "org" in query:
            level, _, code = query["org"][0].partition(":")
        else:
            caption = tree.xpath("//h1/span")
            if not caption:
                return
            name = caption[0].text_content().strip()
            found = next(
                ((lv, c) for lv, c, n in _public_orgs() if n == name and lv in definition.levels),
                None,
            )
            if found is None:
                return
            level, code = found
        rows = self._trend_rows(tree)
        chart = tree.xpath("//script[@id='spc-data']")
        plotted = set(json.loads(chart[0].text)["data"][0]["x"]) if chart else set()
        for value in IndicatorValue.objects.filter(
            indicator_id=indicator, level=level, org_code=code
        ):
            if not self.indicator_small(value):
                continue
            if value.month.isoformat() in plotted:
                yield f"{indicator} {level}:{code} {value.month}: small count plotted on the chart"
            cells = rows.get(value.month.strftime("%b %Y"))
            if cells is None:
                continue
            d = definition.decimals
            forbidden = {f"{v:,.{d}f}" for v in (value.value, value.lower, value.upper) if v}
            forbidden.add(f"{value.numerator:,.0f}")
            text = " ".join(cells)
            for item in forbidden:
                if re.search(rf"(?<![\d.,]){re.escape(item)}(?![\d])", text):
                    yield (
                        f"{indicator} {level}:{code} {value.month:%b %Y}: {item!r} shown for a "
                        f"small count ({value.numerator}/{value.denominator})"
                    )

    def dashboard_page(self, tree: lxml_html.HtmlElement, level: str, code: str) -> Iterator[str]:
        for tr in tree.xpath("//table[@id='dashboard']/tbody/tr[@data-indicator]"):
            indicator = tr.get("data-indicator")
            month_text = " ".join(tr.xpath("./td")[1].text_content().split())
            if not month_text:
                continue
            month = dt.datetime.strptime(month_text, "%b %Y").date()
            value = IndicatorValue.objects.get(
                indicator_id=indicator, level=level, org_code=code, month=month
            )
            if self.indicator_small(value):
                yield f"dashboard {indicator} {month_text}: latest value from a small count"

    def patient_fields(self, tree: lxml_html.HtmlElement) -> Iterator[str]:
        text = " ".join(" ".join(tree.itertext()).split())  # cells apart, not run together
        for groups in NHS_NUMBER.findall(text):
            if is_valid_nhs_number("".join(groups)):
                yield f"NHS number {''.join(groups)} shown"
        for postcode in POSTCODE.findall(text):
            yield f"postcode {postcode} shown"
        for element in tree.xpath("//th | //dt | //label | //caption"):
            label = " ".join(element.text_content().split())
            if PATIENT_LABELS.search(label):
                yield f"patient-level field {label!r}"


def _public_orgs() -> list[tuple[str, str, str]]:
    from pbc.orgs.models import Pct

    return [("pct", p.code, p.name) for p in Pct.objects.all()] + [
        ("locality", loc.slug, f"{loc.name} locality") for loc in Locality.objects.all()
    ]


def public_pages() -> dict[str, str]:
    client = Client()

    def fetch(path: str) -> str | None:
        response = client.get(path)
        assert response.status_code == 200, f"{path}: {response.status_code}"
        if not response["Content-Type"].startswith("text/html"):
            return None
        return response.content.decode()

    return crawl(fetch, known_urls())


def demo_nhs_numbers() -> set[str]:
    """NHS numbers the demo holds at patient level (provider returns' rows)."""
    from pbc.services.models import ReturnRow

    found: set[str] = set()
    for values in ReturnRow.objects.values_list("values", flat=True):
        found |= {n for n in re.findall(r"\b\d{10}\b", json.dumps(values, default=str))}
    return {n for n in found if is_valid_nhs_number(n)}


def test_no_public_page_discloses() -> None:
    rule = disclosure.rule()
    assert rule.suppress_to >= rule.suppress_from, "the demo publishes with suppression on"
    checker = Checker(rule)
    pages = public_pages()
    assert len(pages) >= MIN_PAGES, f"only {len(pages)} public pages"
    problems = [p for path, html in pages.items() for p in checker.check(path, html)]
    assert not problems, "\n".join(problems[:50])

    # the pages were worth checking: figures were marked, and the demo has small numbers that
    # the pages withhold
    joined = "\n".join(pages.values())
    assert joined.count("data-count=") >= 200
    assert joined.count("data-derived-from=") >= 500
    assert joined.count("data-suppressed=") >= 20
    small_surveys = [r for r in SurveyResult.objects.all() if checker.survey_small(r)]
    small_indicators = IndicatorValue.objects.filter(level__in=["pct", "locality"])
    assert small_surveys and any(checker.indicator_small(v) for v in small_indicators)
    nhs_numbers = demo_nhs_numbers()
    assert nhs_numbers, "the demo's provider returns hold NHS numbers"
    leaked = {n for n in nhs_numbers if any(n in html for html in pages.values())}
    assert not leaked, f"patient NHS numbers on public pages: {sorted(leaked)[:5]}"


def test_checker_catches_pages_published_without_suppression(settings) -> None:  # type: ignore[no-untyped-def]
    """Mutation: the setting switches suppression off; the checker (with the rule in force)
    must then find small counts and figures derived from them, on survey and indicator pages."""
    rule = disclosure.rule()
    settings.PBC_DISCLOSURE_RULE = NO_SUPPRESSION
    assert disclosure.rule() == NO_SUPPRESSION
    checker = Checker(rule)
    client = Client()
    locality = Locality.objects.order_by("slug").first()
    assert locality is not None
    paths = [f"/services/experience/public/localities/{s}/" for s in _slugs()]
    paths += [f"/indicators/public/localities/{s}/" for s in _slugs()]
    paths += [
        f"/indicators/public/i/{d}/?org=locality:{s}"
        for d in sorted(definitions.catalogue())
        for s in _slugs()
    ]
    problems: list[str] = []
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        problems += checker.check(path, response.content.decode())
    joined = "\n".join(problems)
    assert "in the suppressed range is shown" in joined  # (a)
    assert "is derived from a suppressed count (survey:" in joined  # (b), marks
    assert "is derived from a suppressed count (indicator:" in joined
    assert "shown for a result with a small count" in joined  # (b), database cross-check
    assert "small count plotted on the chart" in joined
    assert "not rounded to" in joined  # the rule's rounding was switched off too

    # and with the setting back, the same pages pass
    settings.PBC_DISCLOSURE_RULE = "in-force"
    for path in paths:
        assert checker.check(path, client.get(path).content.decode()) == []


def test_checker_finds_patient_fields() -> None:
    checker = Checker(disclosure.rule())
    number = next(iter(sorted(demo_nhs_numbers())))
    page = (
        "<html><body><table><thead><tr><th>Date of birth</th><th>Name</th></tr></thead>"
        f"<tbody><tr><td>{number[:3]} {number[3:6]} {number[6:]}</td><td>AL1 3JB</td></tr>"
        "</tbody></table></body></html>"
    )
    found = list(checker.patient_fields(lxml_html.fromstring(page)))
    assert any("NHS number" in p for p in found), found
    assert any("postcode" in p for p in found), found
    assert any("Date of birth" in p for p in found), found


def _slugs() -> list[str]:
    return list(Locality.objects.order_by("slug").values_list("slug", flat=True))


def test_practice_names_only() -> None:
    """Patient experience names practices (organisations), never people: every row header on a
    survey page is a demo practice or the locality."""
    client = Client()
    for slug in _slugs():
        tree = lxml_html.fromstring(
            client.get(f"/services/experience/public/localities/{slug}/").content
        )
        practices = {f"{p.name} ({p.code})" for p in Practice.objects.filter(locality__slug=slug)}
        headers = {" ".join(th.text_content().split()) for th in tree.xpath("//tbody/tr/th")}
        assert headers, slug
        assert headers <= practices | {f"{Locality.objects.get(slug=slug).name} locality"}
