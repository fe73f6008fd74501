"""Writing the audit log: one call per event, used by every view and business action."""

from __future__ import annotations

from typing import Any

from pbc.orgs.models import AuditEvent


def record(
    user: Any,
    action: str,
    obj: Any = None,
    *,
    before: Any = None,
    after: Any = None,
    detail: str = "",
    path: str = "",
    username: str = "",
) -> AuditEvent:
    """Write one audit event: who (user may be anonymous), what (action), which object, when.

    Actions in use: "view" (an ordinary page), "view_patient_rows" (patient-level rows shown or
    exported), "denied" (a refused attempt), "create", "update", "delete", "import", "login".
    """
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return AuditEvent.objects.create(
        user=user if authenticated else None,
        username=user.get_username() if authenticated else username[:150],
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(getattr(obj, "pk", "") or "") if obj is not None else "",
        path=path[:500],
        before=before,
        after=after,
        detail=detail,
    )
