from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "pbc.services"
    label = "services"
    verbose_name = "Services, provider returns and patient experience"
