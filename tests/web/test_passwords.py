"""Password rules (issue 13): `password` and `12345678` were accepted."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from pbc.demo import DEMO_ADMIN, DEMO_PASSWORD, DEMO_USERS


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("password", "too common"),
        ("12345678", "too common"),
        ("password1234", "too common"),  # long enough, but on Django's common-password list
        ("short-pw", "too short"),
        ("000000000000000", "entirely numeric"),
    ],
)
def test_weak_passwords_are_refused(password: str, reason: str) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_password(password)
    assert any(reason in message for message in refused.value.messages)


@pytest.mark.django_db
def test_a_password_like_the_username_is_refused() -> None:
    user = get_user_model()(username="cassandra.fenwick", first_name="Cassandra")
    with pytest.raises(ValidationError, match="too similar"):
        validate_password("cassandra.fenwick1", user)


@pytest.mark.django_db
def test_the_demo_password_passes_for_every_demo_user() -> None:
    for name in [u.username for u in DEMO_USERS] + [DEMO_ADMIN]:
        validate_password(DEMO_PASSWORD, get_user_model().objects.get(username=name))


@pytest.mark.django_db
def test_the_admin_refuses_a_common_password_for_a_new_user() -> None:
    client = Client()
    client.force_login(get_user_model().objects.get(username=DEMO_ADMIN))
    response = client.post(
        "/admin/auth/user/add/",
        {"username": "newcomer", "password1": "password1234", "password2": "password1234",
         "usable_password": "true"},
    )  # fmt: skip
    assert response.status_code == 200
    assert b"This password is too common." in response.content
    assert not get_user_model().objects.filter(username="newcomer").exists()
