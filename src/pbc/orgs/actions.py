"""Business actions on organisations: one function per action, atomic, audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from pbc.orgs import audit
from pbc.orgs.models import Locality, Practice


@transaction.atomic
def create_practice(user: Any, locality: Locality, code: str, name: str) -> Practice:
    """Add a GP practice to a locality. Validates the ODS code shape and uniqueness first."""
    practice = Practice(code=code, name=name, locality=locality)
    practice.full_clean()
    practice.save()
    audit.record(
        user, "create", practice, after={"code": code, "name": name, "locality": locality.slug}
    )
    return practice
