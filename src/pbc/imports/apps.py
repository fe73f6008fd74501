from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "pbc.imports"
    label = "imports"
    verbose_name = "Warehouse imports"
