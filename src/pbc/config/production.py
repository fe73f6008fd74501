"""What `PBC_ENV=production` refuses to start with (docs/security.md, "Production mode").

A site holding patient data must not run with Django's debug pages on, with a secret key that
anyone else could know, or answering to any host name. `refusals` lists every such problem so
that one start names them all; the settings raise `ProductionRefused` with that list.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

ENVIRONMENTS = ("development", "production")

# Keys that a guide or an example might show: never good enough to sign a session.
KNOWN_KEYS = frozenset({"change-me", "changeme", "secret", "secret-key", "pbc", "pbc-secret-key"})
MIN_KEY_LENGTH = 50  # Django's own deploy check asks for 50 characters, 5 of them different
MIN_KEY_CHARACTERS = 5

HOW_TO_MAKE_A_KEY = "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"

# The password pepper (pbc.signin.hashers) of development and the demo: public, so refused here.
DEVELOPMENT_PEPPER = "pbc-development-pepper-not-secret"
MIN_PEPPER_LENGTH = 32
HOW_TO_MAKE_A_PEPPER = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"

# The key that encrypts authenticator keys at rest (pbc.signin.otp_keys) in development and the
# demo: public ("pbc development otp key: public."), so refused here.
DEVELOPMENT_OTP_KEY = "cGJjIGRldmVsb3BtZW50IG90cCBrZXk6IHB1YmxpYy4="
HOW_TO_MAKE_AN_OTP_KEY = (
    "python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'"
)


class ProductionRefused(ImproperlyConfigured):
    """The settings are not fit for a production site; the message says what to change."""


# Every secret pbc reads (docs/security.md, "Secrets"): each from its environment variable, or
# from the file its NAME_FILE variable names (a secret store's mount: systemd credentials,
# Docker or Kubernetes secrets), so that it need not sit in the process environment.
SECRETS = (
    "PBC_SECRET_KEY",
    "PBC_PASSWORD_PEPPER",
    "PBC_PASSWORD_OLD_PEPPERS",
    "PBC_OTP_KEY",
    "PBC_OTP_OLD_KEYS",
    "PBC_EMAIL_PASSWORD",
    "DATABASE_URL",
)
# Database passwords of examples and of `make postgres` (the pbc/pbc development role).
KNOWN_DATABASE_PASSWORDS = frozenset({"pbc", "postgres", "password", "changeme", "secret"})


def secret(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The secret `name` (one of SECRETS) from its variable or the file `name`_FILE names."""
    environ = os.environ if environ is None else environ
    path = environ.get(f"{name}_FILE", "")
    if not path:
        return environ.get(name)
    if environ.get(name):
        raise ImproperlyConfigured(f"{name} and {name}_FILE are both set: use one of them")
    try:
        return Path(path).read_text().strip()
    except OSError as error:
        raise ImproperlyConfigured(
            f"{name}_FILE names {path}, which cannot be read: {error.strerror}"
        ) from error


def refusals(
    *,
    debug: bool,
    secret_key: str | None,
    development_key: str | None,
    allowed_hosts: list[str],
    email_host: str = "",
    password_pepper: str | None = None,
    otp_key: str | None = None,
    database_url: str | None = None,
    clamd: str = "",
) -> list[str]:
    """Every reason a production site must not start with these settings (empty: it may).

    `development_key` is the key `make run` keeps in the data directory: it was never meant to
    be secret from whoever can read that directory, so production does not accept it.
    """
    problems = []
    if debug:
        problems.append("PBC_DEBUG=1 is set: production never shows Django's debug pages")
    if not secret_key:
        problems.append(
            f"PBC_SECRET_KEY is not set: give the site its own key ({HOW_TO_MAKE_A_KEY})"
        )
    elif secret_key == development_key:
        problems.append(
            "PBC_SECRET_KEY is the development key from the data directory's secret_key file: "
            f"make a new one ({HOW_TO_MAKE_A_KEY})"
        )
    elif (
        secret_key.lower() in KNOWN_KEYS
        or secret_key.startswith("django-insecure-")
        or len(secret_key) < MIN_KEY_LENGTH
        or len(set(secret_key)) < MIN_KEY_CHARACTERS
    ):
        problems.append(
            f"PBC_SECRET_KEY is a default or weak key (it needs {MIN_KEY_LENGTH} or more random "
            f"characters: {HOW_TO_MAKE_A_KEY})"
        )
    if not allowed_hosts:
        problems.append(
            "PBC_ALLOWED_HOSTS is empty: name the host(s) the site answers to, comma-separated "
            "(for example pbc.example.nhs.uk)"
        )
    if not password_pepper:
        problems.append(
            "PBC_PASSWORD_PEPPER is not set: give the site its own password pepper, kept apart "
            f"from the database ({HOW_TO_MAKE_A_PEPPER})"
        )
    elif password_pepper == DEVELOPMENT_PEPPER:
        problems.append(
            "PBC_PASSWORD_PEPPER is the development pepper, which is public: make a new one "
            f"({HOW_TO_MAKE_A_PEPPER})"
        )
    elif len(password_pepper) < MIN_PEPPER_LENGTH or password_pepper == secret_key:
        problems.append(
            f"PBC_PASSWORD_PEPPER is weak (it needs {MIN_PEPPER_LENGTH} or more random "
            f"characters, not the secret key: {HOW_TO_MAKE_A_PEPPER})"
        )
    problems.extend(otp_key_refusals(otp_key))
    database_password = urlsplit(database_url).password if database_url else None
    if database_password and database_password.lower() in KNOWN_DATABASE_PASSWORDS:
        problems.append(
            "DATABASE_URL has a default or example password: give the database role its own "
            "password, or connect over the local socket with peer authentication (no password)"
        )
    if not email_host.strip():
        problems.append(
            "PBC_EMAIL_HOST is not set: name the SMTP server through which pbc tells users "
            "that their password or second factor changed (docs/security.md)"
        )
    if not clamd.strip():
        problems.append(
            "PBC_CLAMD is not set: name the ClamAV daemon that scans every upload (its Unix "
            "socket, or tcp:HOST:PORT), or set PBC_CLAMD=none to accept uploads unscanned "
            "(docs/security.md, Uploads)"
        )
    return problems


def otp_key_refusals(otp_key: str | None) -> list[str]:
    from pbc.signin.otp_keys import parse_key

    if not otp_key:
        return [
            "PBC_OTP_KEY is not set: give the site its own key to encrypt authenticator keys "
            f"with ({HOW_TO_MAKE_AN_OTP_KEY})"
        ]
    try:
        key = parse_key(otp_key)
    except ValueError as error:
        return [
            f"PBC_OTP_KEY is not 32 bytes in URL-safe base64 ({error}): {HOW_TO_MAKE_AN_OTP_KEY}"
        ]
    if key == parse_key(DEVELOPMENT_OTP_KEY):
        return [f"PBC_OTP_KEY is the development key, which is public: {HOW_TO_MAKE_AN_OTP_KEY}"]
    if len(set(key)) < 16:
        return [f"PBC_OTP_KEY is not random enough: {HOW_TO_MAKE_AN_OTP_KEY}"]
    return []


def refuse_unless_fit(
    *,
    debug: bool,
    secret_key: str | None,
    development_key: str | None,
    allowed_hosts: list[str],
    email_host: str = "",
    password_pepper: str | None = None,
    otp_key: str | None = None,
    database_url: str | None = None,
    clamd: str = "",
) -> None:
    problems = refusals(
        debug=debug,
        secret_key=secret_key,
        development_key=development_key,
        allowed_hosts=allowed_hosts,
        email_host=email_host,
        password_pepper=password_pepper,
        otp_key=otp_key,
        database_url=database_url,
        clamd=clamd,
    )
    if problems:
        raise ProductionRefused(
            "PBC_ENV=production refuses to start:\n" + "\n".join(f"- {p}" for p in problems)
        )
