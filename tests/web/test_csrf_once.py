"""A page's forms share one masked CSRF token (`pbc.web.jinja.csrf_once`): Django masks its token
anew each time a template shows it, which drew 64 characters from the operating system's random
source per form (a findings page has 50 forms). The token must still be one the CSRF middleware
accepts, and a page without a form must not set the CSRF cookie."""

from __future__ import annotations

import re

from django.middleware.csrf import CSRF_SESSION_KEY, CsrfViewMiddleware, _unmask_cipher_token
from django.template import engines
from django.test import RequestFactory

TEMPLATE = (
    "{% for i in range(3) %}<form method='post'>{{ csrf_input }}</form>{% endfor %}"
    "<input name='t' value='{{ csrf_token }}'>"
)


def test_every_form_of_a_page_has_the_same_token_and_the_middleware_accepts_it() -> None:
    request = RequestFactory().get("/")
    html = engines["jinja2"].from_string(TEMPLATE).render({}, request)
    inputs = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert len(inputs) == 3 and len(set(inputs)) == 1
    token = re.search(r"name='t' value='([^']+)'", html)
    assert token is not None
    secret = request.META["CSRF_COOKIE"]
    assert _unmask_cipher_token(inputs[0]) == secret == _unmask_cipher_token(token.group(1))

    post = RequestFactory().post("/", {"csrfmiddlewaretoken": inputs[0]})
    post.COOKIES["csrftoken"] = secret
    post.COOKIES["__Host-csrftoken"] = secret
    post.session = {CSRF_SESSION_KEY: secret}  # type: ignore[attr-defined]
    middleware = CsrfViewMiddleware(lambda r: None)  # type: ignore[arg-type,return-value]
    assert middleware.process_view(post, lambda r: None, (), {}) is None  # accepted

    forged = RequestFactory().post("/", {"csrfmiddlewaretoken": "x" * 64})
    forged.COOKIES["csrftoken"] = forged.COOKIES["__Host-csrftoken"] = secret
    refused = middleware.process_view(forged, lambda r: None, (), {})
    assert refused is not None and refused.status_code == 403


def test_two_pages_get_different_masks() -> None:
    """BREACH: the mask still changes from one response to the next."""
    factory = RequestFactory()
    first, second = factory.get("/"), factory.get("/")
    template = engines["jinja2"].from_string("{{ csrf_token }}")
    a = template.render({}, first)
    second.META["CSRF_COOKIE"] = first.META["CSRF_COOKIE"]
    b = template.render({}, second)
    assert a != b and _unmask_cipher_token(a) == _unmask_cipher_token(b)


def test_a_page_without_a_form_draws_no_token() -> None:
    request = RequestFactory().get("/")
    engines["jinja2"].from_string("<p>no form</p>").render({}, request)
    assert "CSRF_COOKIE" not in request.META
