from django.apps import AppConfig


class PopulationConfig(AppConfig):
    name = "pbc.population"
    label = "population"
    verbose_name = "Population health"

    def ready(self) -> None:
        from django.urls import reverse

        from pbc.orgs.roles import Permission
        from pbc.web import navigation

        navigation.add(
            navigation.NavItem(
                "Population", lambda user: reverse("population_index"), Permission.VIEW_PRACTICE
            )
        )
