"""Signing in as a user in tests.

- `sign_in(page, base, username)`: through the sign-in form in a real browser, then the second
  factor with a real TOTP code when the user's role needs one (what a person does).
- `mark_verified(client, user)`: what `Client.force_login` does in every test (conftest): the
  session counts as having given the second factor, as after a real verification.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from pbc.demo import DEMO_PASSWORD

STEP = 30  # seconds per TOTP code


def code_for(username: str) -> str:
    """A code the user's authenticator accepts now, from the test database.

    django-otp accepts each time step once: when this user's current code was used already (a
    second sign-in within 30 s) this is the next step's code, which it also accepts; past that,
    wait for the clock.
    """
    from django.contrib.auth import get_user_model

    from pbc.signin.second_factor import authenticator_of, code_at

    device = authenticator_of(get_user_model().objects.get(username=username))
    assert device is not None, f"{username} has no authenticator"
    step = max(int(time.time()) // STEP, device.last_t + 1)
    wait = (step - 1) * STEP - time.time()
    if wait > 0:
        time.sleep(wait + 0.1)
    return code_at(device.bin_key.hex(), step * STEP)


def code_from_cli(env: dict[str, str]) -> Callable[[str], str]:
    """Codes from `pbc demo totp USER` run with `env` (the whole environment), for a demo
    served from another data directory."""

    def code(username: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "pbc.cli", "demo", "totp", username],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout.strip()

    return code


def sign_in(
    page: Any,
    base: str,
    username: str,
    *,
    password: str = DEMO_PASSWORD,
    code: Callable[[str], str] = code_for,
) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button:has-text('Sign in')")
    page.wait_for_load_state()
    if "/accounts/verify/" in page.url:
        page.fill("#id_code", code(username))
        page.click("button:has-text('Continue')")
    page.wait_for_url(base + "/")


def mark_verified(client: Any, user: Any) -> None:
    """Mark a `force_login`'d client's session as having given the second factor (enrolling
    the user first if their role needs it and they have no authenticator)."""
    from django.contrib.auth import get_user_model
    from django_otp import DEVICE_ID_SESSION_KEY

    from pbc.signin import second_factor

    fresh = get_user_model().objects.get(pk=user.pk)  # memberships are cached on user objects
    if not second_factor.needs_second_factor(fresh):
        return
    device = second_factor.authenticator_of(fresh)
    if device is None:
        device, _ = second_factor.enrol(fresh, "ab" * 20)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
