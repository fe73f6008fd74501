"""The demo is plausible as a 2008/09 PBC locality (issue 17, item 6): prescribing a registered
patient a year, money at stake as a share of acute spend and smoking quitters against target lie
within the bounds `pbc.demo.plausible` documents, and every workflow page has rows (findings in
every state of the challenge workflow, milestones green, amber and red)."""

from __future__ import annotations

import pytest

from pbc.demo import plausible

pytestmark = pytest.mark.django_db


def test_the_test_scale_demo_is_within_the_documented_bounds() -> None:
    found = plausible.measures()
    print(found)
    assert found.prescribing_per_patient and found.at_stake_share and found.quitters_of_target
    assert plausible.problems("test", found) == []


def test_every_workflow_state_has_rows() -> None:
    found = plausible.measures()
    assert all(n > 0 for n in found.findings_by_status.values()), found.findings_by_status
    assert all(n > 0 for n in found.milestones_by_status.values()), found.milestones_by_status
