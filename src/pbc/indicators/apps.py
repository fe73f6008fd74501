from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "pbc.indicators"
    label = "indicators"
    verbose_name = "Performance indicators"
