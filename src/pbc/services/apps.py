from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "pbc.services"
    label = "services"
    verbose_name = "Services, provider returns and patient experience"

    def ready(self) -> None:
        from pbc.indicators import feed_registry
        from pbc.services.indicator_feeds import FEEDS
        from pbc.web import navigation

        for feed in FEEDS:
            feed_registry.register(feed)

        item = navigation.NavItem("Services", services_href)
        navigation.add(item)


def services_href(user: object) -> str | None:
    """Provider users go to their returns; locality users to their locality's services."""
    from django.urls import reverse

    from pbc.orgs.access import has_permission, memberships
    from pbc.orgs.roles import Permission

    for m in memberships(user):
        if m.provider is not None and has_permission(user, Permission.SUBMIT_PROVIDER_RETURNS):
            return reverse("provider_returns", args=[m.provider.code])
    for m in memberships(user):
        if m.locality is not None:
            return reverse("enhanced_locality", args=[m.locality.slug])
    for m in memberships(user):
        if m.practice is not None:
            return reverse("enhanced_practice", args=[m.practice.code])
    return reverse("services_index") if memberships(user) else None
