"""The plans' objects a URL names (for `pbc.web.rules` scopes): a milestone by its key, a
business case by its reference. Light on imports: the app registers them at start-up."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from pbc.plans.models import BusinessCase, Milestone


def load_milestone(key: str) -> Milestone:
    """A milestone by its URL key, "dacorum-2008-09-3.2"."""
    plan_slug, _, ref = key.rpartition("-")
    objective, _, number = ref.partition(".")
    if not (plan_slug and objective.isdigit() and number.isdigit()):
        raise Http404("No such milestone")
    return get_object_or_404(
        Milestone.objects.select_related("objective__plan__locality__pct", "objective__section"),
        objective__plan__slug=plan_slug,
        objective__number=int(objective),
        number=int(number),
    )


def load_business_case(ref: str) -> BusinessCase:
    return get_object_or_404(
        BusinessCase.objects.select_related("locality__pct", "objective", "threshold"), ref=ref
    )
