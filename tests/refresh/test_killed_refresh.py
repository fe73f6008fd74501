"""A `pbc refresh` killed between steps leaves a visible state and the next refresh completes it.

In a scratch site (its own data directory and app database): a refresh for January 2009, then an
import of market forces factors (read by the validation rules and by costing), then a refresh
that blocks once its first step (validation) is recorded (`PBC_REFRESH_PAUSE`) and is killed
(while it blocks, another refresh is refused).
The statements are then older than their inputs, and say so; the next refresh skips the
findings (done) and completes the statements; the indicators (which do not read the factors)
are skipped both times."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pbc.refresh import pipeline
from scratch_site import PBC, Site, kill, scratch_site, wait_for_line

pytestmark = [pytest.mark.db, pytest.mark.slow]
MFF = "financial_year,provider_code,market_forces_factor\n2008/09,RWG,1.10825\n"
STALENESS = """
import json, django
django.setup()
from pbc.refresh.queries import staleness
notes = {step: staleness(step) for step in ("validation", "finance", "indicators")}
print(json.dumps({step: note.text if note else None for step, note in notes.items()}))
"""


def notes(site: Site) -> dict[str, str | None]:
    done = subprocess.run(
        [sys.executable, "-c", STALENESS], env=site.env, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout))


def steps_said(stdout: str) -> dict[str, str]:
    """`  title: text (1.2s)` lines → {title: text}."""
    out = {}
    for line in stdout.splitlines():
        title, _, text = line.strip().partition(": ")
        out[title] = text
    return out


def test_a_refresh_killed_between_steps_is_visible_and_the_next_one_completes_it(
    tmp_path: Path,
) -> None:
    factors = tmp_path / "mff.csv"
    factors.write_text(MFF)
    with scratch_site(tmp_path / "site") as site:
        site.pbc("refresh", "--month", "2009-01")
        assert notes(site) == dict.fromkeys(("validation", "finance", "indicators"))
        site.pbc("import", "market_forces_factors", str(factors))

        env = dict(site.env, **{pipeline.PAUSE_ENV: "validation"})
        child = subprocess.Popen(
            [PBC, "refresh", "--month", "2009-01"], env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        wait_for_line(child, f"{pipeline.PAUSE_MESSAGE}validation")
        # While it runs, another refresh is refused (nothing recorded twice at once).
        busy = site.pbc("refresh", "--month", "2009-01", check=False)
        assert busy.returncode == 1 and busy.stdout == ""
        assert busy.stderr == (
            "pbc refresh: another pbc refresh is running in this data directory: "
            "wait for it to finish\n"
        )
        kill(child)

        after_kill = notes(site)
        assert after_kill["validation"] is None  # that step completed
        finance = after_kill["finance"]
        assert finance is not None and finance.startswith("These figures were computed on ")
        assert "before the import of mff.csv into market_forces_factors on " in finance
        assert " and the validation findings of " in finance
        assert finance.endswith("run pbc refresh to bring them up to date.")
        assert after_kill["indicators"] is None  # they do not read the factors

        said = steps_said(site.pbc("refresh", "--month", "2009-01").stdout)
        assert list(said) == ["validation findings", "costing and statements", "indicators"]
        assert said["validation findings"].startswith("unchanged since ")
        assert said["costing and statements"].startswith("0 facts for 2009-01")
        assert said["indicators"].startswith("unchanged since ")
        assert notes(site) == dict.fromkeys(("validation", "finance", "indicators"))
