from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "pbc.finance"
    label = "finance"
    verbose_name = "Budgets and finance"

    def ready(self) -> None:
        from django.urls import reverse

        from pbc.orgs.roles import Permission
        from pbc.web import navigation

        item = navigation.NavItem(
            "Finance", lambda user: reverse("finance_index"), Permission.VIEW_PRACTICE
        )
        navigation.add(item)
