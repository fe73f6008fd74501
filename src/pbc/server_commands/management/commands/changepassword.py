"""`changepassword` as Django's, then audited, told and made temporary (`pbc.server_commands`)."""

from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands import changepassword

from pbc.signin import staff_changes


class Command(changepassword.Command):
    help = changepassword.Command.help + (
        " The user is told by e-mail, the change is audited, and the password is temporary:"
        " it must be changed at the next sign-in."
    )

    def handle(self, *args: Any, **options: Any) -> str:
        result: str = super().handle(*args, **options)
        username = options["username"] or getpass.getuser()
        model = get_user_model()
        user = model._default_manager.using(options["database"]).get(
            **{model.USERNAME_FIELD: username}
        )
        staff_changes.password_set_by_operator(user, "changepassword")
        return result + " (temporary: it must be changed at the next sign-in; the user is told)"
