from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "pbc.web"
    label = "web"
    verbose_name = "Web shell"
