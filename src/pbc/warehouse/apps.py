from django.apps import AppConfig


class WarehouseConfig(AppConfig):
    name = "pbc.warehouse"
    label = "warehouse"
    verbose_name = "Warehouse imports"
