"""NHS.UK frontend components rendered once per distinct set of parameters.

The header and footer macros of the NHS.UK frontend are the dearest part of every page (the
header is about a third of an error page's processor time), and they depend on their
parameters only: the service name, the user's name, the menu of the user's role at that path.
So each distinct set of parameters is rendered once per process and reused; the parameters are
the whole key, so a changed name or menu is a different entry, never a stale one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

# Distinct headers a process keeps: one per user × menu state (a few per page kind).
CACHED_RENDERINGS = 2048


def renderer(env: Environment) -> Callable[[str, dict[str, Any]], Markup]:
    """`component(name, params)` for templates: the component template
    `web/components/<name>.jinja` rendered with `params` (JSON-like values only)."""

    @lru_cache(maxsize=CACHED_RENDERINGS)
    def render(name: str, key: str) -> Markup:
        template = env.get_template(f"web/components/{name}.jinja")
        return Markup(template.render(params=json.loads(key)))

    def component(name: str, params: dict[str, Any]) -> Markup:
        return render(name, json.dumps(params, sort_keys=True))

    return component
