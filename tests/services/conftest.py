"""Fixtures for the services tests: the services demo, loaded once per session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def services_demo(django_db_setup: None, django_db_blocker) -> None:  # type: ignore[no-untyped-def]
    from pbc.demo import services as demo

    with django_db_blocker.unblock():
        demo.load("test", report=lambda step: None)


def fields_in_error(html: str) -> dict[str, list[str]]:
    """Form field name -> its error messages, read from the NHS.UK form groups of a page."""
    import re
    from html import unescape

    out = {}
    for group in html.split('<div class="nhsuk-form-group')[1:]:
        if not group.startswith(" nhsuk-form-group--error"):
            continue
        name = re.search(r'name="([\w-]+)"', group)
        assert name is not None
        out[name.group(1)] = [
            unescape(m.strip()) for m in re.findall(r"Error:</span>(.*?)</span>", group, flags=re.S)
        ]
    return out


@pytest.fixture
def form_errors():  # type: ignore[no-untyped-def]
    """`fields_in_error` for the tests (a fixture: test modules here cannot import each other)."""
    return fields_in_error
