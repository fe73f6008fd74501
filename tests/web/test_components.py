"""The header and footer are rendered once per distinct parameters (pbc.web.components) and
come out exactly as the NHS.UK macros write them."""

from __future__ import annotations

from django.template import engines

from pbc.web import components

HEADER = {
    "service": {"text": "Practice Based Commissioning", "href": "/"},
    "account": {"items": [{"text": "Ann Analyst", "icon": True, "href": "/account/"}]},
    "navigation": {
        "items": [{"text": "Findings", "href": "/validation/", "current": True}],
        "ariaLabel": "Main menu",
    },
}


def _env():  # type: ignore[no-untyped-def]
    return engines["jinja2"].env


def _macro(params: dict[str, object]) -> str:
    template = _env().from_string(
        '{% from "nhsuk/components/header/macro.jinja" import header %}{{ header(params) }}'
    )
    return template.render(params=params)


def test_header_is_the_macros_own_output() -> None:
    component = components.renderer(_env())
    assert str(component("header", HEADER)) == _macro(HEADER)
    assert "Ann Analyst" in component("header", HEADER)


def test_other_parameters_are_another_rendering_never_a_stale_one() -> None:
    component = components.renderer(_env())
    first = component("header", HEADER)
    renamed = {**HEADER, "account": {"items": [{"text": "Bob Board", "href": "/account/"}]}}
    second = component("header", renamed)
    assert "Bob Board" in second and "Ann Analyst" not in second
    assert component("header", HEADER) == first
    assert str(second) == _macro(renamed)
