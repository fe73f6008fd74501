"""The board pack command of the `pbc` CLI, a plain function returning (exit code, text):

    pbc report board --locality SLUG --month YYYY-MM --format html|pdf|xlsx --out FILE
        -> report_board_command(locality_slug, month, fmt, out)

Exit codes: 0 written, 2 the input is wrong (unknown locality, bad month or format, a file that
cannot be written).
"""

from __future__ import annotations

from pathlib import Path

from pbc.orgs.models import Locality
from pbc.periods import month_or_none
from pbc.reports.board import build
from pbc.reports.formats import FORMATS, render


def report_board_command(
    locality_slug: str, month: str, fmt: str, out: str | Path
) -> tuple[int, str]:
    """Write a locality's performance report (board pack) for a month to `out`."""
    locality = Locality.objects.select_related("pct").filter(slug=locality_slug).first()
    if locality is None:
        known = ", ".join(Locality.objects.order_by("slug").values_list("slug", flat=True))
        return 2, f"No locality {locality_slug!r}. Known localities: {known or 'none'}"
    when = month_or_none(month)
    if when is None:
        return 2, f"Month {month!r} is not a month like 2009-01 (YYYY-MM)"
    if fmt not in FORMATS:
        return 2, f"Format {fmt!r} is not one of {', '.join(FORMATS)}"
    path = Path(out)
    if not path.parent.is_dir():
        return 2, f"{path.parent} is not a folder: cannot write {path.name}"
    pack = build(locality, when)
    data = render(pack, fmt)
    try:
        path.write_bytes(data)
    except OSError as error:
        return 2, f"{path}: cannot be written ({error.strerror or error})"
    return 0, f"{pack.title}: {fmt.upper()} written to {out} ({len(data):,} bytes)"
