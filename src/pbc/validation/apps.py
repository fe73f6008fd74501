from django.apps import AppConfig


class ValidationConfig(AppConfig):
    name = "pbc.validation"
    label = "validation"
    verbose_name = "Validation of hospital charges"
