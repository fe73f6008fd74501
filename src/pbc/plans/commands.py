"""The plan commands of the `pbc` CLI, as plain functions returning (exit code, text).

Wire them as:

    pbc plans import FILE --locality SLUG [--dry-run] [--json]
        -> plans_import_command(file, locality_slug, dry_run, as_json)
    pbc report plan --locality SLUG --month YYYY-MM --format html|pdf|xlsx --out FILE
        -> report_plan_command(locality_slug, month, fmt, out)

Exit codes: 0 done (or nothing to do), 1 refused (the plan has progress a re-import would
orphan), 2 the input is wrong (unreadable file, unknown locality, bad month or format).

`--json` prints the reader's shape (`objectives`, `unplaced`, `warnings`) plus an `import` object
saying what happened (`outcome`: create, replace, unchanged or refused; `message`; `plan`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pbc.orgs.models import Locality
from pbc.periods import month_or_none
from pbc.plans import actions
from pbc.plans.reading import PlanReadError, read_plan
from pbc.plans.report import FORMATS, ReportError, build_report, render
from pbc.web.uploads import upload_limits


def plans_import_command(
    file: str | Path, locality_slug: str, dry_run: bool = False, as_json: bool = False
) -> tuple[int, str]:
    """Read a plan document and import it into the locality (or, with dry_run, say what would
    happen and write nothing)."""
    path = Path(file)
    try:
        parsed = read_plan(path, filename=path.name, limits=upload_limits())
        source = path.read_bytes()
    except PlanReadError as error:
        return 2, str(error)
    except OSError as error:
        return 2, f"{path}: cannot be opened ({error.strerror or error})"
    locality = Locality.objects.filter(slug=locality_slug).first()
    if locality is None:
        known = ", ".join(Locality.objects.values_list("slug", flat=True))
        return 2, f"No locality {locality_slug!r}. Known localities: {known}"

    assessment = actions.assess_import(locality, parsed)
    outcome, message, code = assessment.outcome, assessment.message, 0
    slug = assessment.existing.slug if assessment.existing else None
    if assessment.outcome == "refused":
        code = 1
    elif not dry_run:
        try:
            result = actions.import_plan(None, locality, parsed, source, filename=path.name)
        except actions.PlanImportRefused as error:
            outcome, message, code = "refused", str(error), 1
        else:
            outcome, message, slug = result.outcome, result.message, result.plan.slug

    if as_json:
        body: dict[str, Any] = parsed.to_json(with_warnings=True)
        body["import"] = {
            "outcome": outcome,
            "dry_run": dry_run,
            "message": message,
            "plan": slug,
            "locality": locality.slug,
            "financial_year": parsed.financial_year,
        }
        return code, json.dumps(body, indent=2, ensure_ascii=False)
    lines = [
        f"{path.name}: {len(parsed.objectives)} objectives in {len(parsed.sections)} sections",
    ]
    for section in parsed.sections:
        lines.append(f"  {section}: {len(parsed.objectives_in(section))} objectives")
    lines.append(
        f"{len(parsed.unplaced)} unplaced fragments ({parsed.unplaced_share:.1%} of the text)"
    )
    for fragment in parsed.unplaced:
        lines.append(f"  unplaced at {fragment.location}: {fragment.text!r} ({fragment.reason})")
    for warning in parsed.warnings:
        lines.append(f"warning: {warning}")
    prefix = "Dry run, nothing written: " if dry_run and code == 0 else ""
    lines.append(prefix + message)
    return code, "\n".join(lines)


def report_plan_command(
    locality_slug: str, month: str, fmt: str, out: str | Path
) -> tuple[int, str]:
    """Write the board status report of a locality's plan for a month to `out`."""
    locality = Locality.objects.select_related("pct").filter(slug=locality_slug).first()
    if locality is None:
        return 2, f"No locality {locality_slug!r}"
    when = month_or_none(month)
    if when is None:
        return 2, f"Month {month!r} is not YYYY-MM"
    if fmt not in FORMATS:
        return 2, f"Format {fmt!r} is not one of {', '.join(FORMATS)}"
    try:
        report = build_report(locality, when)
    except ReportError as error:
        return 2, str(error)
    data = render(report, fmt)
    Path(out).write_bytes(data)
    return 0, f"{report.title}: {fmt.upper()} written to {out} ({len(data):,} bytes)"
