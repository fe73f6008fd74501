from django.apps import AppConfig


class PopulationConfig(AppConfig):
    name = "pbc.population"
    label = "population"
    verbose_name = "Population health"
