from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "pbc.finance"
    label = "finance"
    verbose_name = "Budgets and finance"
