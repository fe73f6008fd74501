from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "pbc.plans"
    label = "plans"
    verbose_name = "Commissioning plans"
