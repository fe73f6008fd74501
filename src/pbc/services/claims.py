"""Checking quarterly enhanced-service claims against the specification.

A claims file (CSV or XLSX) has one row per practice and service: `gp_practice_code`,
`service` (the catalogue key, e.g. smoking-cessation) and `units`. Every problem is named with
its row:

- blocking (the batch is refused and nothing is stored): an unknown practice (not a practice of
  the locality), an unknown service or one with no specification for the quarter's year, a
  practice not signed up to the service for the quarter, a service claimed twice in the file, a
  claim already made for that practice, service and quarter;
- not blocking: units over the quarterly cap. The claim is stored as queried with only the
  capped units payable; an analyst approves (paying the capped units) or rejects it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from pbc import periods
from pbc.orgs.models import Locality
from pbc.services.models import Claim, ServiceSpecification, SignUp
from pbc.services.return_templates import Column, ReturnTemplate
from pbc.services.tabular import Table
from pbc.services.validation import CellProblem, column_letter, validate

CLAIMS_TEMPLATE = ReturnTemplate(
    key="enhanced-service-claims",
    name="Enhanced service claims",
    frequency="quarterly",
    provider_kinds=(),
    columns=(
        Column("gp_practice_code", "GP practice", "practice"),
        Column("service", "Service", "code", pattern=r"^[A-Z0-9-]+$", help="a catalogue key"),
        Column("units", "Units of activity", "integer"),
    ),
)


@dataclass
class ClaimLine:
    row: int
    practice_code: str
    service_key: str
    units: int
    specification: ServiceSpecification | None = None
    payable_units: int = 0
    problems: list[CellProblem] = field(default_factory=list)

    @property
    def amount(self) -> Decimal:
        if self.specification is None:
            return Decimal("0.00")
        return (self.specification.price_per_unit * self.payable_units).quantize(Decimal("0.01"))


@dataclass
class ClaimCheck:
    quarter: dt.date
    lines: list[ClaimLine]
    problems: list[CellProblem]

    @property
    def blocking(self) -> list[CellProblem]:
        return [p for p in self.problems if p.blocking]


def check_claims(locality: Locality, quarter: dt.date, table: Table) -> ClaimCheck:
    quarter = periods.quarter_of(quarter)
    end = periods.quarter_end(quarter)
    year = periods.financial_year_of(quarter)
    practices = frozenset(locality.practices.values_list("code", flat=True))
    checked = validate(CLAIMS_TEMPLATE, table, quarter, practices, locality.name)
    problems = [
        CellProblem(p.row, p.column, p.value, p.reason, p.cell, blocking=True)
        for p in checked.problems
    ]
    specs = {
        s.service.key: s
        for s in ServiceSpecification.objects.filter(financial_year=year).select_related("service")
    }
    position = {n: i for i, n in enumerate(CLAIMS_TEMPLATE.column_names)}
    lines: list[ClaimLine] = []
    seen: dict[tuple[str, str], int] = {}
    for row in checked.rows:
        if row.problems:
            continue
        v = row.values
        line = ClaimLine(row.number, v["gp_practice_code"], v["service"].lower(), v["units"])

        def add(column: str, reason: str, blocking: bool = True, line: ClaimLine = line) -> None:
            where = f"{column_letter(position[column])}{line.row}"
            value = {"gp_practice_code": line.practice_code, "service": line.service_key}.get(
                column, str(line.units)
            )
            problem = CellProblem(line.row, column, value, reason, where, blocking)
            line.problems.append(problem)
            problems.append(problem)

        spec = specs.get(line.service_key)
        if spec is None:
            add("service", f"is not an enhanced service with a {year} specification")
            lines.append(line)
            continue
        line.specification = spec
        key = (line.practice_code, line.service_key)
        if key in seen:
            add("service", f"is claimed twice for this practice (see row {seen[key]})")
        seen.setdefault(key, line.row)
        sign_up = SignUp.objects.filter(
            practice__code=line.practice_code, specification=spec
        ).first()
        if sign_up is None or not sign_up.active_between(quarter, end):
            add(
                "service",
                f"the practice has not signed up to {spec.service.name} for "
                f"{periods.quarter_label(quarter)}",
            )
        if (
            Claim.objects.filter(
                practice__code=line.practice_code, specification=spec, quarter=quarter
            )
            .exclude(status=Claim.Status.REJECTED)
            .exists()
        ):
            add("service", f"has already been claimed for {periods.quarter_label(quarter)}")
        line.payable_units = line.units
        if spec.cap_per_quarter is not None and line.units > spec.cap_per_quarter:
            line.payable_units = spec.cap_per_quarter
            add(
                "units",
                f"is over the cap of {spec.cap_per_quarter} a quarter: "
                f"{spec.cap_per_quarter} payable",
                blocking=False,
            )
        lines.append(line)
    return ClaimCheck(quarter, lines, problems)
