"""E-mail notices to users about their own account (ASVS 2.2.3, 2.5.5): their password, their
authenticator, security keys or recovery codes changed, a browser signed in to it for the first
time (`pbc.signin.browsers`), or an authenticator code was used a second time (ASVS 2.8.5);
and when an administrator changed their account (`pbc.signin.staff_changes`: a password set, a
second factor reset, the account deactivated, reactivated, renamed or deleted, administrator
rights or a role given or taken away).

A notice says what happened, when (UK time), from which address and browser (for an
administrator's change: which administrator), and what to do if it was not them or not expected;
it carries no link and no secret. It goes to the account's e-mail address
through Django's mail backend (settings: `EMAIL_BACKEND`; production sends by SMTP, development
writes each message to a file under `<PBC_DATA_DIR>/mail`). Each notice is recorded in the
audit log: "notification_sent" naming the change and the address, or "notification_not_sent"
when the account has no address or the mail server refused it (the change itself stands and is
audited on its own). A notice never fails the request that made the change.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from typing import Any

from django.core.mail import send_mail
from django.http import HttpRequest
from django.utils import timezone

from pbc.orgs import audit
from pbc.signin.addresses import client_ip

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    subject: str
    what: str  # the sentence's subject and verb: "Your pbc password was changed"


NOTICES = {
    "password_changed": Notice("Your pbc password was changed", "Your pbc password was changed"),
    "second_factor_enrolled": Notice(
        "An authenticator app was set up for your pbc account",
        "An authenticator app was set up for your pbc account (any earlier one no longer works) "
        "and new recovery codes were made",
    ),
    "recovery_codes_replaced": Notice(
        "New pbc recovery codes were made",
        "New recovery codes were made for your pbc account (the earlier ones no longer work)",
    ),
    "security_key_added": Notice(
        "A security key was added to your pbc account",
        "A security key was added to your pbc account",
    ),
    "security_key_removed": Notice(
        "A security key was removed from your pbc account",
        "A security key was removed from your pbc account",
    ),
    "code_replayed": Notice(
        "A code of your pbc authenticator was used twice",
        "A code from your authenticator app that had already been used to sign in to your pbc "
        "account was entered again (and refused)",
    ),
    "new_browser": Notice(
        "A new sign-in to your pbc account",
        "Your pbc account was signed in to from a browser it had not been used from before",
    ),
    # Changes an administrator made (pbc.signin.staff_changes).
    "password_set_by_administrator": Notice(
        "Your pbc password was reset by an administrator",
        "Your pbc password was reset to a temporary one by an administrator. It works only "
        "until it expires, and you must choose a new password when you next sign in",
    ),
    "second_factor_reset": Notice(
        "Your pbc second factor was reset by an administrator",
        "Your authenticator app, recovery codes and security keys for pbc were removed by an "
        "administrator, and your password was reset to a temporary one: when you next sign in "
        "you will set up your authenticator again and choose a new password",
    ),
    "account_deactivated": Notice(
        "Your pbc account was deactivated",
        "Your pbc account was deactivated by an administrator, and every session of it ended",
    ),
    "account_reactivated": Notice(
        "Your pbc account was reactivated",
        "Your pbc account was reactivated by an administrator",
    ),
    "account_details_changed": Notice(
        "Your pbc account's details were changed",
        "Your pbc account's details were changed by an administrator",
    ),
    "administrator_rights_changed": Notice(
        "Your pbc account's administrator rights changed",
        "Your pbc account's administrator rights or permissions were changed by an administrator",
    ),
    "account_deleted": Notice(
        "Your pbc account was deleted",
        "Your pbc account was deleted by an administrator",
    ),
    "role_granted": Notice(
        "You were given a role in pbc",
        "You were given a role in pbc by an administrator",
    ),
    "role_revoked": Notice(
        "A role of yours in pbc was taken away",
        "A role you held in pbc was taken away by an administrator",
    ),
}


def message_body(user: Any, notice: Notice, when: str, address: str, browser: str) -> str:
    name = user.get_full_name() or user.get_username()
    return (
        f"Dear {name},\n\n"
        f"{notice.what}, on {when}, from the address {address or 'unknown'}"
        f" ({browser or 'an unknown browser'}).\n\n"
        "If this was you, there is nothing to do.\n\n"
        "If it was not you, tell your pbc administrator at once: someone else may know your "
        "password or hold your authenticator. You can also end every other session from "
        "'Your sessions' on your account page.\n\n" + common_ending()
    )


def administrator_message_body(
    user: Any, notice: Notice, when: str, administrator: str, details: str
) -> str:
    name = user.get_full_name() or user.get_username()
    return (
        f"Dear {name},\n\n"
        f"{notice.what}, on {when}. The administrator was {administrator}.\n\n"
        + (f"{details}\n\n" if details else "")
        + "If you expected this, there is nothing to do. If you did not, tell your "
        "organisation's information governance lead at once.\n\n" + common_ending()
    )


def common_ending() -> str:
    return (
        "pbc sends this message whenever your password, authenticator or recovery codes change, "
        "an administrator changes your account, or your account is used from a new browser. It "
        "contains no link: sign in to pbc the way you always do.\n"
    )


def notify(
    user: Any,
    change: str,
    request: HttpRequest | None,
    *,
    administrator: Any = None,
    details: str = "",
    recipient: str | None = None,
) -> bool:
    """Tell `user` by e-mail that `change` (a key of NOTICES) happened; audit whether it was
    sent. Returns whether the mail backend accepted the message.

    `administrator`: the user who made the change to someone else's account (the message names
    them instead of the address and browser); `details`: a sentence saying what changed;
    `recipient`: an address other than the account's (its former address, after a change)."""
    notice = NOTICES[change]
    path = request.path if request is not None else ""
    recipient = ((user.email or "") if recipient is None else recipient).strip()
    if not recipient:
        audit.record(
            user,
            "notification_not_sent",
            path=path,
            detail=f"{change}: the account has no e-mail address",
        )
        return False
    when = timezone.localtime().strftime("%d %B %Y at %H:%M %Z").lstrip("0")
    if administrator is not None:
        who = administrator.get_full_name() or administrator.get_username()
        body = administrator_message_body(user, notice, when, who, details)
    else:
        address = client_ip(request) if request is not None else ""
        browser = request.META.get("HTTP_USER_AGENT", "")[:200] if request is not None else ""
        body = message_body(user, notice, when, address, browser)
    try:
        send_mail(notice.subject, body, None, [recipient], fail_silently=False)
    except (OSError, smtplib.SMTPException) as error:
        logger.exception("could not send the %s notice to %s", change, recipient)
        audit.record(
            user,
            "notification_not_sent",
            path=path,
            detail=f"{change} to {recipient}: the mail server refused it ({error})"[:1000],
        )
        return False
    audit.record(user, "notification_sent", path=path, detail=f"{change} to {recipient}")
    return True
