"""Changes an administrator makes to someone else's account are audited and the user is told,
as their own changes are (`pbc.signin.notifications`).

The staff paths: the Django admin's user pages (a password set, the account created,
deactivated, reactivated, renamed or deleted, staff or superuser rights, groups or permissions
changed: `pbc.orgs.admin.PbcUserAdmin`), its second-factor reset (`reset_second_factor`), and a
PCT administrator giving or taking away a role (`pbc.orgs.actions`, which calls `role_changed`).

A password an administrator sets for someone else is temporary (`pbc.signin.temporary_passwords`):
changed at the next sign-in, and it expires. Deactivating an account, resetting its password or
its second factor ends every session of it at once.

Each change writes one audit event named after it (for example "account_deactivated"), by the
administrator, about the user (object "User"), with the changed fields before and after (never
a password or its hash), then the notice (audited "notification_sent" or "notification_not_sent").
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest

from pbc.orgs import audit
from pbc.signin import active_sessions, notifications, temporary_passwords
from pbc.signin.models import Authenticator, RecoveryCodeDevice, SecurityKey

DETAILS = ("username", "first_name", "last_name", "email")
RIGHTS = ("is_staff", "is_superuser", "groups", "user_permissions")


def snapshot(user: Any) -> dict[str, Any]:
    """What an administrator can change about an account, as plain values (the password as its
    hash, only to tell whether it changed)."""
    return {
        **{name: getattr(user, name) for name in DETAILS},
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "groups": sorted(user.groups.values_list("name", flat=True)) if user.pk else [],
        "user_permissions": (
            sorted(user.user_permissions.values_list("codename", flat=True)) if user.pk else []
        ),
        "password": user.password,
    }


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The notices an administrator's edit calls for, each with the fields it covers (a pure
    function of two snapshots)."""
    changed = [name for name in after if before.get(name) != after.get(name)]
    out: list[tuple[str, list[str]]] = []
    if "password" in changed:
        out.append(("password_set_by_administrator", ["password"]))
    if "is_active" in changed:
        out.append(
            ("account_reactivated" if after["is_active"] else "account_deactivated", ["is_active"])
        )
    rights = [name for name in RIGHTS if name in changed]
    if rights:
        out.append(("administrator_rights_changed", rights))
    details = [name for name in DETAILS if name in changed]
    if details:
        out.append(("account_details_changed", details))
    return out


def _describe(fields: list[str], values: dict[str, Any]) -> dict[str, Any]:
    return {name: values[name] for name in fields if name != "password"}


def _details_sentence(fields: list[str], before: dict[str, Any], after: dict[str, Any]) -> str:
    labels = {
        "username": "username",
        "first_name": "first name",
        "last_name": "last name",
        "email": "e-mail address",
        "is_staff": "staff status",
        "is_superuser": "superuser status",
        "groups": "groups",
        "user_permissions": "permissions",
    }
    parts = []
    for name in fields:
        if name == "password" or name == "is_active":
            continue
        was, now = before[name], after[name]
        if isinstance(was, list):
            was, now = ", ".join(was) or "none", ", ".join(now) or "none"
        parts.append(f"{labels[name]}: was {was or 'empty'}, now {now or 'empty'}")
    return ("What changed: " + "; ".join(parts) + ".") if parts else ""


def account_changed(
    administrator: Any, user: Any, before: dict[str, Any], request: HttpRequest | None
) -> list[str]:
    """Audit and notify what an administrator changed on `user` since `before` (a snapshot).
    Returns the changes (notice names)."""
    after = snapshot(user)
    path = request.path if request is not None else ""
    own = administrator is not None and administrator.pk == user.pk
    done = []
    for change, fields in changes_between(before, after):
        if change == "password_set_by_administrator" and own:
            # An administrator setting their own password: their own change, not a temporary one.
            audit.record(administrator, "password_changed", user, path=path)
            notifications.notify(user, "password_changed", request)
            done.append("password_changed")
            continue
        audit.record(
            administrator,
            change,
            user,
            before=_describe(fields, before),
            after=_describe(fields, after),
            path=path,
        )
        details = _details_sentence(fields, before, after)
        # Told once the admin's transaction commits: a slow mail server then holds no lock,
        # and a change rolled back is never told.
        _notify_on_commit(user, change, request, administrator=administrator, details=details)
        if "email" in fields and before["email"]:
            # The former address hears of it too: the new one may be an attacker's.
            _notify_on_commit(
                user,
                change,
                request,
                administrator=administrator,
                details=details,
                recipient=before["email"],
            )
        if change == "password_set_by_administrator":
            temporary_passwords.mark(user, administrator)
        if change in ("password_set_by_administrator", "account_deactivated"):
            active_sessions.end_sessions(user, keep=None)
        done.append(change)
    return done


def _notify_on_commit(user: Any, change: str, request: HttpRequest | None, **kwargs: Any) -> None:
    transaction.on_commit(lambda: notifications.notify(user, change, request, **kwargs))


def account_created(administrator: Any, user: Any, request: HttpRequest | None) -> None:
    """An administrator made an account: its first password is temporary."""
    audit.record(
        administrator,
        "account_created",
        user,
        after=_describe(list(DETAILS), snapshot(user)),
        path=request.path if request is not None else "",
    )
    if user.has_usable_password():
        temporary_passwords.mark(user, administrator)


def account_deleted(administrator: Any, user: Any, request: HttpRequest | None) -> None:
    """Called before an administrator deletes `user`: audited and told while the account is
    still there to write to."""
    audit.record(
        administrator,
        "account_deleted",
        user,
        before=_describe(list(DETAILS), snapshot(user)),
        path=request.path if request is not None else "",
    )
    notifications.notify(user, "account_deleted", request, administrator=administrator)


def reset_second_factor(
    administrator: Any, user: Any, evidence: str, request: HttpRequest | None
) -> str:
    """A user lost their authenticator and recovery codes: remove every second-factor device,
    give them a new temporary password (returned, to be handed over as at enrolment) and end
    their sessions, so that they enrol again exactly as a new user does (ASVS 2.5.7). `evidence`
    is how the administrator confirmed who they are; it goes into the audit log. The user is
    told once the change is committed (a slow mail server holds no database lock)."""
    password = temporary_passwords.generate()
    with transaction.atomic():
        removed = (
            Authenticator.objects.filter(user=user).delete()[0]
            + RecoveryCodeDevice.objects.filter(user=user).delete()[0]
            + SecurityKey.objects.filter(user=user).delete()[0]
        )
        user.set_password(password)
        user.save(update_fields=["password"])
        temporary_passwords.mark(user, administrator)
        ended = active_sessions.end_sessions(user, keep=None)
        audit.record(
            administrator,
            "second_factor_reset",
            user,
            detail=f"identity confirmed by: {evidence}"[:1000],
            after={"devices_removed": removed, "sessions_ended": ended},
            path=request.path if request is not None else "",
        )
    notifications.notify(user, "second_factor_reset", request, administrator=administrator)
    return password


def role_changed(
    administrator: Any, user: Any, granted: bool, role: str, organisation: str
) -> None:
    """A PCT administrator gave `user` a role or took one away (already audited by
    `pbc.orgs.actions`): the user is told."""
    what = "You now hold" if granted else "You no longer hold"
    notifications.notify(
        user,
        "role_granted" if granted else "role_revoked",
        None,
        administrator=administrator,
        details=f"{what} the role {role} of {organisation}.",
    )


class _Operator:
    """Who changes an account at the server's command line (`changepassword`,
    `createsuperuser`): no account of theirs to name, so the notice and the audit say so."""

    pk = None
    is_authenticated = False

    def get_full_name(self) -> str:
        return "the system operator, at the server's command line"

    def get_username(self) -> str:
        return "operator"


OPERATOR = _Operator()


def password_set_by_operator(user: Any, command: str) -> None:
    """The operator set `user`'s password with `command` on the server: audited (by
    "operator"), told to the user once committed, temporary (changed at the next sign-in), and
    every session of the account ended, as when an administrator sets it in the admin."""
    with transaction.atomic():
        audit.record(
            None,
            "password_set_by_administrator",
            user,
            detail=f"at the server's command line: {command}",
            username=OPERATOR.get_username(),
        )
        temporary_passwords.mark(user, None)
        active_sessions.end_sessions(user, keep=None)
    notifications.notify(user, "password_set_by_administrator", None, administrator=OPERATOR)


def account_created_by_operator(user: Any, command: str) -> None:
    """The operator made an account with `command` on the server: audited (by "operator");
    its first password, if it has one, is temporary."""
    with transaction.atomic():
        audit.record(
            None,
            "account_created",
            user,
            after=_describe(list(DETAILS), snapshot(user)),
            detail=f"at the server's command line: {command}",
            username=OPERATOR.get_username(),
        )
        if user.has_usable_password():
            temporary_passwords.mark(user, None)
