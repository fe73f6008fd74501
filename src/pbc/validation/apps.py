from django.apps import AppConfig


class ValidationConfig(AppConfig):
    name = "pbc.validation"
    label = "validation"
    verbose_name = "Validation of hospital charges"

    def ready(self) -> None:
        from django.urls import reverse

        from pbc.orgs.access import has_permission
        from pbc.orgs.roles import Permission
        from pbc.web import navigation

        def href(user: object) -> str | None:
            wanted = (
                Permission.VIEW_LOCALITY,  # board members: the ledger
                Permission.REVIEW_FINDINGS,
                Permission.SIGN_OFF_CHALLENGES,
                Permission.RECORD_PROVIDER_RESPONSE,
            )
            if any(has_permission(user, p) for p in wanted):
                return reverse("validation_index")
            return None

        item = navigation.NavItem("Validation", href)
        navigation.add(item)
