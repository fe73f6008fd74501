from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "pbc.indicators"
    label = "indicators"
    verbose_name = "Performance indicators"

    def ready(self) -> None:
        from django.urls import reverse

        from pbc.orgs.roles import Permission
        from pbc.web import navigation

        item = navigation.NavItem(
            "Indicators", lambda user: reverse("indicators_index"), Permission.VIEW_PRACTICE
        )
        navigation.add(item)
