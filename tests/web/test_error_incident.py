"""The last-resort error page gives an incident id (ASVS 7.4.1). Before, a 500 answered "Sorry,
there is a problem with the service" and nothing a user could quote: the traceback in the
server log could not be matched to the user's report. Now the page, the server log (with the
traceback) and the audit log carry the same id, and the page says nothing of the error."""

from __future__ import annotations

import logging
import re
import sys

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import path

from pbc.config import urls as site_urls
from pbc.orgs.models import AuditEvent
from pbc.web.rules import public

pytestmark = pytest.mark.django_db

SECRET_DETAIL = "password column of table xyz"


@public
def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(SECRET_DETAIL)


urlpatterns = [path("broken/", broken), *site_urls.urlpatterns]
handler500 = site_urls.handler500


def test_an_unexpected_error_gives_an_incident_id_logged_and_audited(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(get_user_model().objects.get(username="board"))
    with (
        override_settings(ROOT_URLCONF=sys.modules[__name__]),
        caplog.at_level(logging.ERROR, logger="pbc.errors"),
    ):
        response = client.get("/broken/")

    assert response.status_code == 500
    page = response.content.decode()
    found = re.search(r'quote incident <strong class="pbc-incident">([0-9A-F]{8})</strong>', page)
    assert found, page
    incident = found.group(1)
    assert SECRET_DETAIL not in page and "RuntimeError" not in page and "Traceback" not in page
    (logged,) = [r for r in caplog.records if r.name == "pbc.errors"]
    assert logged.getMessage() == f"incident {incident}: GET /broken/"
    assert logged.exc_info is not None and str(logged.exc_info[1]) == SECRET_DETAIL
    event = AuditEvent.objects.filter(action="error").latest("pk")
    assert event.detail == f"incident {incident}" and event.path == "/broken/"
    assert event.username == "board"
