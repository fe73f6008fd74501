"""`createsuperuser` as Django's, then audited, with a temporary first password
(`pbc.server_commands`)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands import createsuperuser

from pbc.signin import staff_changes


class Command(createsuperuser.Command):
    help = createsuperuser.Command.help + (
        " The account is audited, and its password is temporary: it must be changed at the"
        " first sign-in."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        model = get_user_model()
        manager = model._default_manager.db_manager(options["database"])
        before = set(manager.values_list("pk", flat=True))
        super().handle(*args, **options)
        for user in manager.exclude(pk__in=before):
            staff_changes.account_created_by_operator(user, "createsuperuser")
