"""Django settings for pbc.

Defaults give the embedded set-up: SQLite in the data directory (`PBC_DATA_DIR`, default
`./var`) and the Parquet warehouse beside it. `DATABASE_URL` points the app database at
PostgreSQL instead (e.g. `postgres://pbc:pbc@127.0.0.1:5432/pbc`).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
import nhsuk_frontend_jinja

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # src/pbc
REPO_DIR = PACKAGE_DIR.parent.parent
DATA_DIR = Path(os.environ.get("PBC_DATA_DIR", "var")).resolve()
WAREHOUSE_DIR = DATA_DIR / "warehouse"
FRONTEND_DIR = Path(
    os.environ.get(
        "PBC_FRONTEND_DIR", REPO_DIR / "node_modules" / "nhsuk-frontend" / "dist" / "nhsuk"
    )
)
NHSUK_FRONTEND_VERSION = "10.6.1"


def _secret_key() -> str:
    if key := os.environ.get("PBC_SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key)
    path.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("PBC_DEBUG", "") == "1"
ALLOWED_HOSTS = [
    "127.0.0.1",
    "localhost",
    "testserver",
    *os.environ.get("PBC_ALLOWED_HOSTS", "").split(","),
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "pbc.orgs",
    "pbc.signin",
    "pbc.web",
    "pbc.imports",
    "pbc.plans",
    "pbc.indicators",
    "pbc.validation",
    "pbc.finance",
    "pbc.population",
    "pbc.services",
    "pbc.reports",
    "pbc.refresh",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Idle and absolute session limits, deactivated accounts (pbc.signin.sessions).
    "pbc.signin.sessions.SessionLimitsMiddleware",
    # A second factor before any page for those who can see patient rows (pbc.signin).
    "pbc.signin.second_factor.SecondFactorMiddleware",
    # Throttling and lockout of sign-in attempts: last, as django-axes asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pbc.config.urls"
WSGI_APPLICATION = "pbc.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [
            PACKAGE_DIR / "web" / "templates",
            Path(nhsuk_frontend_jinja.__file__).parent / "templates",
        ],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "pbc.web.jinja.environment", "autoescape": True},
    },
    {
        # The Django admin keeps its own template engine.
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'pbc.sqlite3'}", conn_max_age=0
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Write transactions start immediately (BEGIN IMMEDIATE) and wait up to the busy timeout for
    # the write lock: a deferred transaction that reads, then upgrades to a write, fails at once
    # with "database is locked" when another connection is writing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
    # The test database is a file, not shared memory, so that the live server's thread (browser
    # tests) sees exactly what the test thread committed, across tests.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"pbc-test-{os.getpid()}.sqlite3")
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Passwords: at least 12 characters, not like the username or name, not on Django's list of
# 20,000 common passwords (shipped with Django: no network lookup), not all digits.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out account or address before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lockout (docs/security.md): five wrong passwords are answered as usual; the sixth for the same
# account, or from the same address, locks that account (or address) out for
# PBC_LOCKOUT_MINUTES (30 by default). A successful sign-in clears the account's failures.
AXES_FAILURE_LIMIT = 6
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("PBC_LOCKOUT_MINUTES", "30")))
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are in pbc's own audit log
AXES_LOCKOUT_CALLABLE = "pbc.signin.views.locked_out"
AXES_VERBOSE = False
# The second factor (pbc.signin.second_factor): TOTP codes of 30 s, one step either side
# accepted, no drift learning (the demo's and the tests' codes are computed from the clock).
OTP_TOTP_ISSUER = "pbc"
OTP_TOTP_SYNC = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = None  # static files are served from their sources (WHITENOISE_USE_FINDERS)
STATICFILES_DIRS = [("pbc", PACKAGE_DIR / "web" / "static")]
# Serve static files straight from their sources (no collectstatic step) and the NHS.UK
# frontend's dist folder at the site root, because its CSS expects images under /assets/.
WHITENOISE_USE_FINDERS = True
WHITENOISE_ROOT = FRONTEND_DIR if FRONTEND_DIR.exists() else None

SESSION_COOKIE_HTTPONLY = True
# A session ends after PBC_SESSION_IDLE_MINUTES without a request (30 by default) and, whatever
# the user does, PBC_SESSION_MAX_HOURS after signing in (12 by default): pbc.signin.sessions.
PBC_SESSION_IDLE_MINUTES = int(os.environ.get("PBC_SESSION_IDLE_MINUTES", "30"))
PBC_SESSION_MAX_HOURS = int(os.environ.get("PBC_SESSION_MAX_HOURS", "12"))
SESSION_COOKIE_AGE = PBC_SESSION_MAX_HOURS * 3600
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
# Small-number suppression on published pages: "in-force" (by date) or a rule name (pbc.web.disclosure).
PBC_DISCLOSURE_RULE = os.environ.get("PBC_DISCLOSURE_RULE", "in-force")
DATA_UPLOAD_MAX_MEMORY_SIZE = 60 * 1024 * 1024


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


# Uploads: the one bounded upload path (pbc.uploads; the web side in pbc.web.uploads). Every
# upload form and the command line (`pbc import`, `pbc plans import`) use these limits; each
# can be set by the environment variable of the same name.
PBC_UPLOAD_MAX_BYTES = _env_int("PBC_UPLOAD_MAX_BYTES", 50 * 1024 * 1024)
PBC_UPLOAD_MAX_ROWS = _env_int("PBC_UPLOAD_MAX_ROWS", 1_000_000)
PBC_UPLOAD_MAX_CELL_CHARS = _env_int("PBC_UPLOAD_MAX_CELL_CHARS", 32_767)
PBC_UPLOAD_MAX_UNCOMPRESSED_BYTES = _env_int("PBC_UPLOAD_MAX_UNCOMPRESSED_BYTES", 100 * 1024 * 1024)
PBC_UPLOAD_MAX_RATIO = _env_int("PBC_UPLOAD_MAX_RATIO", 100)
# A file kept between two steps (a return's problems page, a plan's preview) is deleted after:
PBC_UPLOAD_KEEP_SECONDS = _env_int("PBC_UPLOAD_KEEP_SECONDS", 60 * 60)
# Every uploaded file goes to an owner-only file under DATA_DIR/uploads/incoming, never memory.
FILE_UPLOAD_HANDLERS = ["pbc.web.uploads.BoundedUploadHandler"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}},
}
