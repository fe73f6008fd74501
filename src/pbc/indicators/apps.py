from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "pbc.indicators"
    label = "indicators"
    verbose_name = "Performance indicators"

    def ready(self) -> None:
        from django.urls import reverse

        from pbc.web import navigation

        item = navigation.NavItem("Indicators", lambda user: reverse("indicators_index"))
        labels = [existing.label for existing in navigation.ITEMS]
        if "Indicators" in labels:
            return
        if "Admin" in labels:  # keep the staff-only Admin link last
            navigation.ITEMS.insert(labels.index("Admin"), item)
        else:
            navigation.add(item)
