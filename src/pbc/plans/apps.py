from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "pbc.plans"
    label = "plans"
    verbose_name = "Commissioning plans"

    def ready(self) -> None:
        from django.urls import reverse

        from pbc.orgs.roles import Permission
        from pbc.plans import scopes
        from pbc.web import navigation
        from pbc.web.rules import register_scope

        register_scope("milestone", scopes.load_milestone)
        register_scope("case", scopes.load_business_case)

        def plans_href(user: object) -> str:
            locality = navigation._locality_of(user)
            if locality is not None:
                return reverse("plans_dashboard", args=[locality.slug])
            return reverse("plans_index")

        item = navigation.NavItem("Plans", plans_href, Permission.VIEW_LOCALITY)
        navigation.add(item)
