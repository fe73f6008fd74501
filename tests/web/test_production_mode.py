"""`PBC_ENV=production` (issue 13): Django's deploy checks pass, the HTTPS settings are on, and
the site refuses to start when it is not fit to hold patient data. Each case starts a fresh
Python with that environment, as an operator would."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

HOST = "pbc.example.nhs.uk"


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def production_env(tmp_path: Path) -> dict[str, str]:
    """A production environment with its own key and host, over a fresh data directory."""
    env = {
        key: value
        for key, value in os.environ.items()
        # DJANGO_ALLOW_ASYNC_UNSAFE: set by the browser fixture while a browser is open in
        # this worker; a deployment never sets it (check --deploy says so).
        if not key.startswith("PBC_") and key not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "pbc.config.settings",
            "PBC_DATA_DIR": str(tmp_path / "var"),
            "PBC_ENV": "production",
            "PBC_SECRET_KEY": secrets.token_urlsafe(50),
            "PBC_ALLOWED_HOSTS": HOST,
            "PBC_EMAIL_HOST": "smtp.example.nhs.uk",
            "PBC_CLAMD": "none",
            "PBC_PASSWORD_PEPPER": secrets.token_urlsafe(32),
            "PBC_OTP_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        }
    )
    return env


SHOW_SETTINGS = """
from django.conf import settings
import base64
import json
names = ["DEBUG", "ALLOWED_HOSTS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
         "SESSION_COOKIE_NAME", "CSRF_COOKIE_NAME", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
         "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_PROXY_SSL_HEADER"]
print(json.dumps({n: getattr(settings, n) for n in names}))
"""


def settings_of(env: dict[str, str]) -> dict[str, object]:
    done = run(env, "-c", "import django; django.setup()\n" + SHOW_SETTINGS)
    assert done.returncode == 0, done.stderr
    shown: dict[str, object] = json.loads(done.stdout)
    return shown


@pytest.mark.slow
def test_check_deploy_is_clean_in_production(production_env: dict[str, str]) -> None:
    done = run(production_env, "-m", "django", "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout
    assert "WARNINGS" not in done.stdout + done.stderr


@pytest.mark.slow
def test_check_deploy_warns_in_development(production_env: dict[str, str]) -> None:
    """The same check fails without production mode: the clean result above is its doing."""
    env = {**production_env, "PBC_ENV": "development"}
    done = run(env, "-m", "django", "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in done.stderr + done.stdout, warning


def test_production_turns_on_https_and_secure_cookies(production_env: dict[str, str]) -> None:
    shown = settings_of(production_env)
    assert shown["DEBUG"] is False
    assert shown["ALLOWED_HOSTS"] == [HOST]  # no localhost or testserver
    assert shown["SESSION_COOKIE_SECURE"] is True and shown["CSRF_COOKIE_SECURE"] is True
    assert shown["SESSION_COOKIE_NAME"] == "__Host-sessionid"
    assert shown["CSRF_COOKIE_NAME"] == "__Host-csrftoken"
    assert shown["SECURE_SSL_REDIRECT"] is True
    assert shown["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert shown["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert shown["SECURE_PROXY_SSL_HEADER"] is None  # a proxy is trusted only when told

    tuned = settings_of({**production_env, "PBC_HSTS_SECONDS": "600", "PBC_TRUST_PROXY": "1"})
    assert tuned["SECURE_HSTS_SECONDS"] == 600
    assert tuned["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_development_is_unchanged(production_env: dict[str, str]) -> None:
    """`make run`: plain cookies, no redirect, the local host names, a key made on first use."""
    env = {**production_env, "PBC_ENV": "development"}
    del env["PBC_SECRET_KEY"], env["PBC_ALLOWED_HOSTS"]
    shown = settings_of(env)
    assert shown["SESSION_COOKIE_SECURE"] is False and shown["SECURE_SSL_REDIRECT"] is False
    assert shown["SESSION_COOKIE_NAME"] == "sessionid" and shown["SECURE_HSTS_SECONDS"] == 0
    assert shown["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost", "testserver"]
    assert (Path(env["PBC_DATA_DIR"]) / "secret_key").stat().st_mode & 0o777 == 0o600


def refused(env: dict[str, str]) -> str:
    """What `pbc serve` says when it refuses to start (it must: nothing may be served)."""
    done = run(env, "-m", "pbc.cli", "serve", "--port", "1")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "pbc is serving" not in done.stdout
    assert done.stderr.startswith("PBC_ENV=production refuses to start:")
    return done.stderr


def test_refuses_debug(production_env: dict[str, str]) -> None:
    message = refused({**production_env, "PBC_DEBUG": "1"})
    assert "PBC_DEBUG=1 is set" in message


@pytest.mark.slow
def test_refuses_a_missing_default_or_development_key(production_env: dict[str, str]) -> None:
    without = dict(production_env)
    del without["PBC_SECRET_KEY"]
    assert "PBC_SECRET_KEY is not set" in refused(without)
    for weak in ("change-me", "django-insecure-" + "x" * 50, "short-key", "a" * 60):
        assert "default or weak key" in refused({**production_env, "PBC_SECRET_KEY": weak}), weak

    # the key `make run` made in the data directory is not a production key
    development = {**production_env, "PBC_ENV": "development"}
    del development["PBC_SECRET_KEY"]
    settings_of(development)
    key = (Path(production_env["PBC_DATA_DIR"]) / "secret_key").read_text().strip()
    assert "development key" in refused({**production_env, "PBC_SECRET_KEY": key})


def test_refuses_empty_allowed_hosts(production_env: dict[str, str]) -> None:
    for hosts in ("", " , "):
        message = refused({**production_env, "PBC_ALLOWED_HOSTS": hosts})
        assert "PBC_ALLOWED_HOSTS is empty" in message


def test_refuses_no_mail_server(production_env: dict[str, str]) -> None:
    """Users are told by e-mail when their password or second factor changes: production
    needs a mail server to tell them through."""
    message = refused({**production_env, "PBC_EMAIL_HOST": " "})
    assert "PBC_EMAIL_HOST is not set" in message


def test_refuses_no_virus_scanner_unless_told_none(production_env: dict[str, str]) -> None:
    """Uploads are scanned by a ClamAV daemon (ASVS 12.4.2): production names one, or says
    `PBC_CLAMD=none` on purpose (the fixture does)."""
    without = dict(production_env)
    del without["PBC_CLAMD"]
    assert "PBC_CLAMD is not set" in refused(without)


def test_refuses_a_missing_development_or_weak_pepper(production_env: dict[str, str]) -> None:
    without = dict(production_env)
    del without["PBC_PASSWORD_PEPPER"]
    assert "PBC_PASSWORD_PEPPER is not set" in refused(without)
    development = {**production_env, "PBC_PASSWORD_PEPPER": "pbc-development-pepper-not-secret"}
    assert "the development pepper" in refused(development)
    for weak in ("short-pepper", production_env["PBC_SECRET_KEY"]):
        assert "PBC_PASSWORD_PEPPER is weak" in refused(
            {**production_env, "PBC_PASSWORD_PEPPER": weak}
        )


def test_refuses_a_missing_development_or_malformed_otp_key(production_env: dict[str, str]) -> None:
    without = dict(production_env)
    del without["PBC_OTP_KEY"]
    assert "PBC_OTP_KEY is not set" in refused(without)
    development = {**production_env, "PBC_OTP_KEY": "cGJjIGRldmVsb3BtZW50IG90cCBrZXk6IHB1YmxpYy4="}
    assert "PBC_OTP_KEY is the development key" in refused(development)
    short = base64.urlsafe_b64encode(os.urandom(16)).decode()
    assert "not 32 bytes" in refused({**production_env, "PBC_OTP_KEY": short})


def test_refuses_a_default_database_password(production_env: dict[str, str]) -> None:
    for url in ("postgres://pbc:pbc@127.0.0.1:5432/pbc", "postgres://pbc:SECRET@db/pbc"):
        message = refused({**production_env, "DATABASE_URL": url})
        assert "DATABASE_URL has a default or example password" in message, url


SHOW_SECRETS = """
import django; django.setup()
from django.conf import settings
print(settings.SECRET_KEY == open(__import__("os").environ["PBC_SECRET_KEY_FILE"]).read().strip())
print(settings.PBC_PASSWORD_PEPPER, settings.PBC_OTP_OLD_KEYS)
"""


@pytest.mark.slow
def test_secrets_may_come_from_files(production_env: dict[str, str], tmp_path: Path) -> None:
    """A secret store mounted as files (systemd credentials, Docker or Kubernetes secrets):
    NAME_FILE names the file holding the secret NAME, which is then not in the environment."""
    files = {}
    for name, value in [
        ("PBC_SECRET_KEY", secrets.token_urlsafe(50)),
        ("PBC_PASSWORD_PEPPER", "pepper-from-a-file-" + secrets.token_hex(16)),
        ("PBC_OTP_OLD_KEYS", "b2xkLWtleS1vbmUtb2xkLWtleS1vbmUtb2xkLWtleS0x"),
    ]:
        path = tmp_path / name.lower()
        path.write_text(value + "\n")
        files[name] = value
    env = {k: v for k, v in production_env.items() if k not in files}
    env.update({f"{name}_FILE": str(tmp_path / name.lower()) for name in files})

    done = run(env, "-c", SHOW_SECRETS)

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "True",
        f"{files['PBC_PASSWORD_PEPPER']} ['{files['PBC_OTP_OLD_KEYS']}']",
    ]
    both = run({**env, "PBC_SECRET_KEY": secrets.token_urlsafe(50)}, "-c", SHOW_SECRETS)
    assert "PBC_SECRET_KEY and PBC_SECRET_KEY_FILE are both set" in both.stderr
    missing = run({**env, "PBC_OTP_OLD_KEYS_FILE": str(tmp_path / "nowhere")}, "-c", SHOW_SECRETS)
    assert "PBC_OTP_OLD_KEYS_FILE names" in missing.stderr and "cannot be read" in missing.stderr


def test_every_refusal_is_named_at_once(production_env: dict[str, str]) -> None:
    env = {**production_env, "PBC_DEBUG": "1", "PBC_ALLOWED_HOSTS": ""}
    del env["PBC_SECRET_KEY"]
    lines = refused(env).splitlines()
    assert len([line for line in lines if line.startswith("- ")]) == 3


def test_an_unknown_environment_is_refused(production_env: dict[str, str]) -> None:
    done = run({**production_env, "PBC_ENV": "prod"}, "-m", "django", "check")
    assert done.returncode != 0
    assert "PBC_ENV is 'prod': use one of development, production" in done.stderr
