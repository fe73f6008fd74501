"""An import killed after its warehouse commit still gets its import record and audit event.

A child `pbc import` blocks at a step of the import (`PBC_IMPORT_PAUSE`) and is killed with
SIGKILL; the next start of pbc (here: the next `pbc import`, of another file) finds the
interrupted import and records it as the warehouse says: loaded if its commit happened, failed
(nothing changed) if not. Each in a scratch site: its own data directory and app database.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pbc.warehouse import store
from scratch_site import kill, scratch_site, wait_for_line

pytestmark = [pytest.mark.db, pytest.mark.slow]
MFF = "financial_year,provider_code,market_forces_factor\n"


@pytest.mark.parametrize("step", ["staged", "committed"])
def test_import_killed_at_a_step_is_recorded_at_the_next_start(tmp_path: Path, step: str) -> None:
    first = tmp_path / "mff-1.csv"
    first.write_text(MFF + "2008/09,RWG,1.10825\n")
    killed = tmp_path / "mff-2.csv"
    killed.write_text(MFF + "2008/09,RWG,1.2\n2008/09,RC1,1.05\n2008/09,RC2,x\n")
    later = tmp_path / "lookup.csv"
    later.write_text(MFF + "2008/09,RWG,1.3\n")
    with scratch_site(tmp_path / "site") as site:
        site.pbc("import", "market_forces_factors", str(first))
        child = site.start("import", "market_forces_factors", str(killed), pause=step)
        wait_for_line(child, f"{store.PAUSE_MESSAGE}{step}")
        kill(child)
        site.pbc("import", "market_forces_factors", str(later))  # the next start
        figures = site.figures()
    committed = step == "committed"
    rows = figures["warehouse"]
    mff = next(d for d in rows if d["name"] == "market_forces_factors")
    assert mff["rows"] == 1  # the later import replaced the year's partition
    runs = {r[0]: r[1:] for r in figures["imports"]}
    assert runs["mff-1.csv"] == ["loaded", 1, 1, 0]
    assert runs["lookup.csv"] == ["loaded", 1, 1, 0]
    if committed:
        assert runs["mff-2.csv"] == ["loaded", 3, 2, 1]
    else:
        assert runs["mff-2.csv"][:1] == ["failed"]
    details = [detail for detail, _ in figures["import_events"]]
    assert len(details) == 3
    assert sum("interrupted" in d for d in details) == 1
