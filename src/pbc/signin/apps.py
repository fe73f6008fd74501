from django.apps import AppConfig


class SigninConfig(AppConfig):
    name = "pbc.signin"
    label = "signin"
    verbose_name = "Signing in"

    def ready(self) -> None:
        # Connect the signal receivers.
        from pbc.signin import audit_events, request_rates  # noqa: F401
