"""The demo's prescribing incentive scheme for 2008/09: each PCT's targets on two prescribing
measures and a short "Good Buy" switch list, written in pbc's templates and imported through
the same import path an analyst's upload takes (recorded, validated; whole file or nothing).

Targets (every practice of the PCT, 2008/09), in the spirit of the PCTs' 2008 schemes and the
Better Care, Better Value low-cost statin and PPI indicators:

- high-cost statins at most 20% of statin items, 25p per registered patient;
- lansoprazole at most 40% of proton pump inhibitor items, 15p per registered patient.

Switches, by the BNF presentation codes of the demo's prescribing data: atorvastatin 20mg to
simvastatin 40mg, lansoprazole 30mg to omeprazole 20mg, losartan 50mg to ramipril 10mg."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from pbc import exports
from pbc.imports.actions import import_unless_unchanged
from pbc.orgs.models import Pct, Practice

YEAR_START = "2008-04-01"
TARGETS: tuple[tuple[str, float, str], ...] = (
    ("prescribing-high-cost-statins", 20.0, "0.25"),
    ("prescribing-lansoprazole", 40.0, "0.15"),
)
SWITCHES: tuple[tuple[str, str, str, str, str], ...] = (
    ("0212000B0AAABAB", "Atorvastatin 20mg tablets", "0212000Y0AAABAB",
     "Simvastatin 40mg tablets", "Not for patients needing high-intensity treatment"),
    ("0103050L0AAAAAA", "Lansoprazole 30mg capsules", "0103050P0AAAAAA",
     "Omeprazole 20mg capsules", "Review the need for a PPI first"),
    ("0205052N0AAAAAA", "Losartan 50mg tablets", "0205051R0AAADAD", "Ramipril 10mg capsules",
     "ACE inhibitor first line; keep losartan for patients who cannot take one"),
)  # fmt: skip
TARGET_HEADER = ["year_start", "commissioner_code", "gp_practice_code", "indicator_id",
                 "target_value", "payment_per_patient"]  # fmt: skip
SWITCH_HEADER = ["year_start", "commissioner_code", "from_bnf_code", "from_name", "to_bnf_code",
                 "to_name", "note"]  # fmt: skip


def _write(path: Path, rows: list[list[object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        exports.csv_writer(fh).writerows(rows)
    return path


def load(scale: str, report: Callable[[str], None] = print) -> None:
    """Write and import the scheme's two files, each holding every PCT's rows. One file per
    dataset: imported by the system, a file replaces its period for every commissioner, so one
    file per PCT would replace the other PCT's rows and be imported again on every build."""
    folder = Path(settings.DATA_DIR) / "demo-source" / scale / "scheme"
    targets: list[list[object]] = [TARGET_HEADER]
    switches: list[list[object]] = [SWITCH_HEADER]
    for pct in Pct.objects.order_by("code"):
        practices = list(
            Practice.objects.filter(locality__pct=pct)
            .order_by("code")
            .values_list("code", flat=True)
        )
        if not practices:
            continue
        for practice in practices:
            for indicator, value, rate in TARGETS:
                targets.append([YEAR_START, pct.code, practice, indicator, value, rate])
        switches += [[YEAR_START, pct.code, *s] for s in SWITCHES]
    for dataset, rows in (("prescribing_targets", targets), ("good_buys", switches)):
        path = _write(folder / f"{dataset}-2008-09.csv", rows)
        run, _ = import_unless_unchanged(dataset, path, via="demo")
        if run.status != "loaded":
            raise RuntimeError(f"demo {dataset}: {run.message}")
    report("prescribing scheme: 2008/09 targets and switch list loaded")
