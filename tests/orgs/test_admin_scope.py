"""Administration inside the rules (issue 13).

As West Herts' analyst (the demo `analyst` was also a Django superuser), the Django admin let the
analyst give itself East and North Herts' analyst role and then open that PCT's case-finding
list; pbc's audit log recorded nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from pbc.orgs.models import AuditEvent, Membership, Pct
from pbc.synth import geography

PRACTICE_ENH = geography.locality("welwyn-hatfield").practices[0].code

pytestmark = pytest.mark.django_db


def user(name: str) -> Any:
    return get_user_model().objects.get(username=name)


@pytest.mark.xfail(strict=True, reason="issue 13: the analyst is a superuser of the admin")
def test_an_analyst_cannot_grant_itself_another_pcts_role() -> None:
    analyst = user("analyst")
    enh = Pct.objects.get(code="5P2")
    client = Client()
    client.force_login(analyst)
    events = AuditEvent.objects.count()

    client.post(
        "/admin/orgs/membership/add/",
        {"user": analyst.pk, "role": "pct_analyst", "pct": enh.pk},
    )

    assert not Membership.objects.filter(user=analyst, pct=enh).exists()
    case_finding = client.get(f"/population/practices/{PRACTICE_ENH}/case-finding/")
    assert case_finding.status_code == 403
    assert AuditEvent.objects.count() > events  # the refusal is audited
