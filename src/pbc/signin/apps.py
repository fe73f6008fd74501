from django.apps import AppConfig


class SigninConfig(AppConfig):
    name = "pbc.signin"
    label = "signin"
    verbose_name = "Signing in"

    def ready(self) -> None:
        from pbc.signin import audit_events  # noqa: F401  (connects the signal receivers)
