from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "pbc.orgs"
    label = "orgs"
    verbose_name = "Organisations, people and permissions"
