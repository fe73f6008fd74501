from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "pbc.reports"
    label = "reports"
    verbose_name = "Locality performance reports"

    def ready(self) -> None:
        from django.urls import reverse

        from pbc.orgs.roles import Permission
        from pbc.web import navigation

        def reports_href(user: object) -> str:
            locality = navigation._locality_of(user)
            if locality is not None:
                return str(reverse("reports_locality", args=[locality.slug]))
            return str(reverse("reports_index"))

        navigation.add(navigation.NavItem("Board pack", reports_href, Permission.VIEW_LOCALITY))
