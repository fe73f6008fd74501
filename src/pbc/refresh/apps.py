from django.apps import AppConfig


class RefreshConfig(AppConfig):
    name = "pbc.refresh"
    label = "refresh"
    verbose_name = "Refresh of derived figures"

    def ready(self) -> None:
        from pbc.refresh import results

        results.connect_signals()
