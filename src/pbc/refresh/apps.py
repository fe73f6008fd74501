from django.apps import AppConfig


class RefreshConfig(AppConfig):
    name = "pbc.refresh"
    label = "refresh"
    verbose_name = "Refresh of derived figures"
