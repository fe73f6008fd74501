"""Django settings for pbc.

Defaults give the embedded set-up: SQLite in the data directory (`PBC_DATA_DIR`, default
`./var`) and the Parquet warehouse beside it. `DATABASE_URL` points the app database at
PostgreSQL instead (e.g. `postgres://pbc:pbc@127.0.0.1:5432/pbc`).

`PBC_ENV=production` is for a site holding real patient data, served over HTTPS: secure
`__Host-` cookies, HSTS, the redirect to HTTPS; it refuses to start with `PBC_DEBUG=1`, without
its own `PBC_SECRET_KEY` or without `PBC_ALLOWED_HOSTS` (pbc.config.production). The content
security policy is the same in every mode, so every test runs under it. docs/security.md,
"Production mode", and README.md, "Running in production".
"""

from __future__ import annotations

import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
import nhsuk_frontend_jinja
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from pbc.config import production

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
# Where browsers load the NHS font from (pbc.web.stylesheet): unset, pages use the system font
# stack at once and refer to no other host; e.g. https://assets.nhs.uk to use the NHS's own.
PBC_FONT_HOST = os.environ.get("PBC_FONT_HOST", "").strip().rstrip("/")

PBC_ENV = os.environ.get("PBC_ENV", "development")
if PBC_ENV not in production.ENVIRONMENTS:
    raise ImproperlyConfigured(
        f"PBC_ENV is {PBC_ENV!r}: use one of {', '.join(production.ENVIRONMENTS)}"
    )
PRODUCTION = PBC_ENV == "production"
DEVELOPMENT_KEY_FILE = DATA_DIR / "secret_key"


def _development_key() -> str:
    """The key `make run` keeps in the data directory, made on first use (owner-only)."""
    if DEVELOPMENT_KEY_FILE.exists():
        return DEVELOPMENT_KEY_FILE.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    DEVELOPMENT_KEY_FILE.write_text(key)
    DEVELOPMENT_KEY_FILE.chmod(0o600)
    return key


DEBUG = os.environ.get("PBC_DEBUG", "") == "1"
_hosts = [h.strip() for h in os.environ.get("PBC_ALLOWED_HOSTS", "").split(",") if h.strip()]
if PRODUCTION:
    # Production: the site's own key and host names, nothing made up for it.
    production.refuse_unless_fit(
        debug=DEBUG,
        secret_key=production.secret("PBC_SECRET_KEY"),
        development_key=(
            DEVELOPMENT_KEY_FILE.read_text().strip() if DEVELOPMENT_KEY_FILE.exists() else None
        ),
        allowed_hosts=_hosts,
        email_host=os.environ.get("PBC_EMAIL_HOST", ""),
        password_pepper=production.secret("PBC_PASSWORD_PEPPER"),
        otp_key=production.secret("PBC_OTP_KEY"),
        database_url=production.secret("DATABASE_URL"),
        clamd=os.environ.get("PBC_CLAMD", ""),
    )
    SECRET_KEY = production.secret("PBC_SECRET_KEY") or ""
    ALLOWED_HOSTS = _hosts
else:
    SECRET_KEY = production.secret("PBC_SECRET_KEY") or _development_key()
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver", *_hosts]
# The password pepper (pbc.signin.hashers), never in the database: production's own from the
# environment; development's is public (production refuses it). Old peppers, comma-separated,
# still verify the hashes they made until those are made again at their user's next sign-in.
PBC_PASSWORD_PEPPER = production.secret("PBC_PASSWORD_PEPPER") or production.DEVELOPMENT_PEPPER
PBC_PASSWORD_OLD_PEPPERS = [
    p.strip() for p in (production.secret("PBC_PASSWORD_OLD_PEPPERS") or "").split(",") if p.strip()
]

INSTALLED_APPS = [
    # First: its changepassword and createsuperuser replace Django's (audited, told, temporary).
    "pbc.server_commands",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
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
    # The content security policy header (CONTENT_SECURITY_POLICY below), on every response.
    "csp.middleware.CSPMiddleware",
    # WhiteNoise, serving only stylesheets, scripts, images and fonts (pbc.web.static_files).
    "pbc.web.static_files.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The cookie naming a browser a user has signed in from (pbc.signin.browsers).
    "pbc.signin.browsers.BrowserCookieMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Idle and absolute session limits, deactivated accounts (pbc.signin.sessions).
    "pbc.signin.sessions.SessionLimitsMiddleware",
    # Abnormal numbers of requests alerted (pbc.signin.request_rates, PBC_ALERT_* below).
    "pbc.signin.request_rates.RequestRateMiddleware",
    # A second factor before any page for those who can see patient rows (pbc.signin).
    "pbc.signin.second_factor.SecondFactorMiddleware",
    # Then a temporary password is changed before any other page (pbc.signin.temporary_passwords).
    "pbc.signin.temporary_passwords.ChangeTemporaryPasswordMiddleware",
    # The password again before sensitive pages once PBC_REAUTH_MINUTES have passed since it
    # was given (pbc.signin.reauth).
    "pbc.signin.reauth.RecentPasswordMiddleware",
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
        "OPTIONS": {
            "environment": "pbc.web.jinja.environment",
            "autoescape": True,
            # csrf_input and csrf_token masked once per page, not once per form.
            "context_processors": ["pbc.web.jinja.csrf_once"],
        },
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
    "default": dj_database_url.parse(
        production.secret("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'pbc.sqlite3'}",
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Write transactions start immediately (BEGIN IMMEDIATE) and wait up to the busy timeout for
    # the write lock: a deferred transaction that reads, then upgrades to a write, fails at once
    # with "database is locked" when another connection is writing.
    # Write-ahead logging: readers never wait for a writer (every page view writes its audit
    # event), and a commit appends to one log file rather than creating, syncing and deleting a
    # rollback journal; synchronous=FULL still syncs each commit, so a committed audit event
    # survives a power cut.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL",
        }
    )
    # The test database is a file, not shared memory, so that the live server's thread (browser
    # tests) sees exactly what the test thread committed, across tests.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"pbc-test-{os.getpid()}.sqlite3")
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Passwords: at least 12 characters and at most 128 (64 and more are allowed), not like the
# username or name, not on Django's list of 20,000 common passwords (shipped with Django: no
# network lookup), not all digits.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "pbc.signin.passwords.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The key that encrypts authenticator (TOTP) keys in the database (pbc.signin.otp_keys): 32
# bytes, URL-safe base64; production's own from the environment, development's public. Old keys,
# comma-separated, still decrypt until each device is saved again under the new one.
PBC_OTP_KEY = production.secret("PBC_OTP_KEY") or production.DEVELOPMENT_OTP_KEY
PBC_OTP_OLD_KEYS = [
    k.strip() for k in (production.secret("PBC_OTP_OLD_KEYS") or "").split(",") if k.strip()
]
# New hashes: PBKDF2-SHA256 over the password keyed by the pepper (pbc.signin.hashers). Django's
# own hashers after it verify hashes made before, which are made again with the pepper at their
# user's next sign-in.
PASSWORD_HASHERS = [
    "pbc.signin.hashers.PepperedPBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
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
# The address locked out is the client's, behind a trusted proxy too (pbc.signin.addresses).
AXES_CLIENT_IP_CALLABLE = "pbc.signin.addresses.client_ip"
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
SESSION_COOKIE_SAMESITE = "Lax"
# A session ends after PBC_SESSION_IDLE_MINUTES without a request (30 by default) and, whatever
# the user does, PBC_SESSION_MAX_HOURS after signing in (12 by default): pbc.signin.sessions.
PBC_SESSION_IDLE_MINUTES = int(os.environ.get("PBC_SESSION_IDLE_MINUTES", "30"))
PBC_SESSION_MAX_HOURS = int(os.environ.get("PBC_SESSION_MAX_HOURS", "12"))
# A password an administrator sets for someone, or pbc generates for them, must be changed at the
# next sign-in and stops working this many hours after it was set (pbc.signin.temporary_passwords).
PBC_TEMPORARY_PASSWORD_HOURS = int(os.environ.get("PBC_TEMPORARY_PASSWORD_HOURS", "72"))
# Alerts on abnormal numbers of requests in an hour (pbc.signin.request_rates), e-mailed to
# PBC_ALERT_EMAIL (comma-separated; unset: the active superusers' addresses).
PBC_ALERT_EMAIL = os.environ.get("PBC_ALERT_EMAIL", "")
PBC_ALERT_USER_REQUESTS_PER_HOUR = int(os.environ.get("PBC_ALERT_USER_REQUESTS_PER_HOUR", "2000"))
PBC_ALERT_ADDRESS_REQUESTS_PER_HOUR = int(
    os.environ.get("PBC_ALERT_ADDRESS_REQUESTS_PER_HOUR", "5000")
)
PBC_ALERT_SITE_REQUESTS_PER_HOUR = int(os.environ.get("PBC_ALERT_SITE_REQUESTS_PER_HOUR", "50000"))
PBC_ALERT_PATIENT_VIEWS_PER_HOUR = int(os.environ.get("PBC_ALERT_PATIENT_VIEWS_PER_HOUR", "200"))
SESSION_COOKIE_AGE = PBC_SESSION_MAX_HOURS * 3600
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content security policy (django-csp), the same in every mode so that every test, the browser
# tests included, runs under it. Scripts, styles and images from this site only; no
# 'unsafe-inline' and no 'unsafe-eval'. The one inline script, the NHS.UK template's line that
# marks the body js-enabled, carries the request's nonce (templates/base.jinja); the rest are
# static files (static/init.js starts the NHS.UK frontend, static/charts.js draws the Plotly
# charts from JSON data blocks). Styles come from stylesheets only: no style attributes or
# <style> blocks in pages (scripts set sizes through the CSSOM, which the policy allows).
# Plotly's bundle adds two <style> elements of its own, allowed by their hashes (not by
# 'unsafe-inline'): an empty one, into which it inserts its chart rules through the CSSOM, and
# MapLibre's fixed stylesheet. tests/web/test_security_headers.py recomputes both from the
# installed plotly.min.js, so an upgrade that changes them fails there first.
PLOTLY_STYLE_HASHES = [
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",  # "" (the empty element)
    "'sha256-ji27qzEtxXZW+7dun6UwjHXJ18e6WAin1VvNtkzIE/o='",  # MapLibre's stylesheet
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, *PLOTLY_STYLE_HASHES],
        "img-src": [SELF, "data:"],
        # Fonts from this site, and from the font host when PBC_FONT_HOST names one
        # (pbc.web.stylesheet: without it the frontend's stylesheet asks for no font at all).
        "font-src": [SELF, *([PBC_FONT_HOST] if PBC_FONT_HOST else [])],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# HTTPS. PBC_TRUST_PROXY=1: a proxy in front of pbc terminates TLS and sets X-Forwarded-Proto
# (overwriting any the client sent); Django then takes "https" there to mean the request came
# over HTTPS. Leave it unset when clients can reach pbc directly.
# The client's address is then the last entry of X-Forwarded-For (pbc.signin.addresses).
PBC_TRUST_PROXY = os.environ.get("PBC_TRUST_PROXY", "") == "1"
if PBC_TRUST_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if PRODUCTION:
    SECURE_SSL_REDIRECT = True
    # HSTS: browsers use HTTPS only for this host (and its subdomains) for PBC_HSTS_SECONDS
    # (a year by default; start lower while trying a new host name). "preload" only allows
    # the host to be submitted to the browsers' preload lists; nothing submits it.
    SECURE_HSTS_SECONDS = int(os.environ.get("PBC_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # "__Host-": the browser keeps the cookie only if it is secure, for this host alone and
    # every path (no Domain attribute), so no other host under the domain can set or read it.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
# E-mail: notices to users about their own account (pbc.signin.notifications). Production sends
# through the SMTP server PBC_EMAIL_HOST (port PBC_EMAIL_PORT, 587 by default, with STARTTLS;
# PBC_EMAIL_USER and PBC_EMAIL_PASSWORD if it asks for them); development writes each message to
# a file under DATA_DIR/mail. Messages come from PBC_EMAIL_FROM.
DEFAULT_FROM_EMAIL = os.environ.get("PBC_EMAIL_FROM", "pbc@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if PRODUCTION:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ.get("PBC_EMAIL_HOST", "")
    EMAIL_PORT = int(os.environ.get("PBC_EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("PBC_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = production.secret("PBC_EMAIL_PASSWORD") or ""
    EMAIL_USE_TLS = True
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "mail")
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
# The ClamAV daemon that scans every upload first (pbc.antivirus): its Unix socket or
# tcp:HOST:PORT. Unset or "none": uploads are not scanned (production refuses unset).
PBC_VIRUS_SCANNER = os.environ.get("PBC_CLAMD", "").strip()
if PBC_VIRUS_SCANNER.lower() == "none":
    PBC_VIRUS_SCANNER = ""
# A file kept between two steps (a return's problems page, a plan's preview) is deleted after:
PBC_UPLOAD_KEEP_SECONDS = _env_int("PBC_UPLOAD_KEEP_SECONDS", 60 * 60)
# One user keeps at most this many such files, and bytes, at once (pbc.web.uploads.keep).
PBC_UPLOAD_MAX_KEPT_FILES = _env_int("PBC_UPLOAD_MAX_KEPT_FILES", 5)
PBC_UPLOAD_MAX_KEPT_BYTES = _env_int("PBC_UPLOAD_MAX_KEPT_BYTES", 150 * 1024 * 1024)
# Minutes a given password lets a session open sensitive pages (pbc.signin.reauth).
PBC_REAUTH_MINUTES = _env_int("PBC_REAUTH_MINUTES", 15)
# Retention (pbc.retention, `pbc retention`): days each kind of record about people is kept.
PBC_RETAIN_QUARANTINE_DAYS = _env_int("PBC_RETAIN_QUARANTINE_DAYS", 90)
PBC_RETAIN_AUDIT_DAYS = _env_int("PBC_RETAIN_AUDIT_DAYS", 2192)  # six years
PBC_RETAIN_SIGN_IN_DAYS = _env_int("PBC_RETAIN_SIGN_IN_DAYS", 365)


# The warehouse's patient-level periods (pbc.warehouse.ageing): whole financial years kept after
# a year's 31 March, then aged out. Production: 6 unless set. Development (the demo's synthetic
# data are of 2008/09, which six years would age out at the first start): kept unless set.
# "keep": never aged out by pbc.
def _retention_years(name: str, default: str) -> int | None:
    value = os.environ.get(name, default).strip().lower()
    if value == "keep":
        return None
    if not value.isdigit() or int(value) < 1:
        raise ImproperlyConfigured(
            f"{name} is {value!r}: a whole number of years (1 or more) or 'keep'"
        )
    return int(value)


PBC_RETAIN_PATIENT_YEARS = _retention_years(
    "PBC_RETAIN_PATIENT_YEARS", "6" if PRODUCTION else "keep"
)
# Community matrons' caseload entries: years kept after the patient's discharge from the
# caseload (the Records Management Code's adult health records: 8 years after the end of
# treatment). Development (the demo's caseload is of 2008/09): kept unless set.
PBC_RETAIN_CASELOAD_YEARS = _retention_years(
    "PBC_RETAIN_CASELOAD_YEARS", "8" if PRODUCTION else "keep"
)
# Every uploaded file goes to an owner-only file under DATA_DIR/uploads/incoming, never memory.
FILE_UPLOAD_HANDLERS = ["pbc.web.uploads.BoundedUploadHandler"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR"},
        # the error page's incident ids with their tracebacks (pbc.web.views.error_500)
        "pbc.errors": {"handlers": ["console"], "level": "ERROR"},
    },
}
