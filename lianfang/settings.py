"""Django settings for Lianfang, read from environment variables (see README "Configuration")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from lianfang.conf import (
    decode_key,
    env_bool,
    env_code,
    env_int,
    env_list,
    env_rate,
    env_str,
    secret_from_env_or_file,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("LIANFANG_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("LIANFANG_DEBUG", False)
_dev_secrets = env_bool("LIANFANG_DEV_SECRETS", True)
SECRET_KEY = secret_from_env_or_file(
    "LIANFANG_SECRET_KEY", VAR_DIR / "secret_key", nbytes=48, allow_generate=_dev_secrets
)
# Keys for personal data: AES-256-GCM for encryption at rest, HMAC-SHA256 for exact look-up.
LIANFANG_PII_KEY = decode_key(
    "LIANFANG_PII_KEY",
    secret_from_env_or_file("LIANFANG_PII_KEY", VAR_DIR / "pii_key", allow_generate=_dev_secrets),
)
LIANFANG_LOOKUP_KEY = decode_key(
    "LIANFANG_LOOKUP_KEY",
    secret_from_env_or_file("LIANFANG_LOOKUP_KEY", VAR_DIR / "lookup_key", allow_generate=_dev_secrets),
)
if LIANFANG_PII_KEY == LIANFANG_LOOKUP_KEY:
    raise ImproperlyConfigured("LIANFANG_PII_KEY and LIANFANG_LOOKUP_KEY must differ")

ALLOWED_HOSTS = env_list("LIANFANG_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("LIANFANG_CSRF_TRUSTED_ORIGINS", [])
LIANFANG_DISTRICT_CODE = env_code("LIANFANG_DISTRICT_CODE", "620103", lengths=(2, 4, 6))
# Outbound group-robot webhooks (WeCom/DingTalk) for notices: off unless switched on (fieldops.notify).
LIANFANG_WEBHOOKS = env_bool("LIANFANG_WEBHOOKS", False)
LIANFANG_PUBLIC_URL = env_str("LIANFANG_PUBLIC_URL", "")  # base URL for links in outbound messages
# How long the command overview may serve a cached section after a write (reports.cache).
LIANFANG_REPORTS_STALE_SECONDS = env_int("LIANFANG_REPORTS_STALE_SECONDS", 15)

# lianfang.core comes first: Django merges the apps' catalogues so that an earlier app's translation wins
# (django.utils.translation.trans_real.DjangoTranslation), and core's catalogue words the third-party
# msgids it shares in plain Chinese ("This field is required." → 此项必填。, DRF said 该字段是必填项。;
# "Action" → 操作, the admin said 动作). Core ships no template, static file or command another app has.
INSTALLED_APPS = [
    "lianfang.core",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_filters",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "lianfang.accounts",
    "lianfang.divisions",
    "lianfang.registry",
    "lianfang.workforce",
    "lianfang.zones",
    "lianfang.screening",
    "lianfang.assistance",
    "lianfang.fieldops",
    "lianfang.reports",
    "lianfang.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "lianfang.core.middleware.MethodNotAllowedPageMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a sign-in that hit the lockout into accounts.lockout's 429
]

ROOT_URLCONF = "lianfang.urls"
WSGI_APPLICATION = "lianfang.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "lianfang.core.context_processors.lianfang",
            ],
        },
    },
]

# Database: SQLite (WAL) under var/ by default; PostgreSQL through DATABASE_URL in production.
_default_db_url = f"sqlite:///{VAR_DIR / 'lianfang.sqlite3'}"
try:
    DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL", _default_db_url), conn_max_age=60)}
except ValueError as exc:  # dj-database-url raises ValueError on unknown schemes
    raise ImproperlyConfigured(f"DATABASE_URL is malformed: {exc}") from exc
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["TEST"] = {"NAME": env_str("LIANFANG_TEST_SQLITE", "") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Sign-in lockout (django-axes, accounts.lockout; docs/accounts.md): LIANFANG_LOGIN_FAILURES wrong
# passwords for one user name from one network address lock that pair out for LIANFANG_LOGIN_LOCKOUT_MINUTES
# after the last of them (another user name, or the same name from another address, can still sign in).
# Counted in the database (AccessAttempt); a refused try during the lockout does not extend it, so the
# time the page names holds. The address is the connection's (REMOTE_ADDR): behind a reverse proxy that
# is the proxy's, and the lockout then holds for the user name from every address.
AUTHENTICATION_BACKENDS = [
    "lianfang.accounts.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = True
AXES_FAILURE_LIMIT = env_int("LIANFANG_LOGIN_FAILURES", 5)
_lockout_minutes = env_int("LIANFANG_LOGIN_LOCKOUT_MINUTES", 15)
AXES_COOLOFF_TIME = dt.timedelta(minutes=_lockout_minutes)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "lianfang.accounts.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are not kept in a second log (failures are)
AXES_VERBOSE = False
if AXES_FAILURE_LIMIT < 1 or _lockout_minutes < 1:
    raise ImproperlyConfigured("LIANFANG_LOGIN_FAILURES and LIANFANG_LOGIN_LOCKOUT_MINUTES must be at least 1")

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS: list = []  # each app keeps its own locale/ folder
TIME_ZONE = "Asia/Shanghai"  # the district's day; datetimes are stored aware, in UTC
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on a missing folder
STATICFILES_DIRS = [BASE_DIR / "lianfang" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": VAR_DIR / "media"}},
    # Hashed, compressed static files once `collectstatic` has written its manifest (make serve);
    # plain files otherwise (tests, `make demo`), so a missing manifest never breaks a page.
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if (STATIC_ROOT / "staticfiles.json").exists() and not env_bool("LIANFANG_PLAIN_STATIC", False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("LIANFANG_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_FAILURE_VIEW = "lianfang.core.views.csrf_failure"  # the translated error page, not Django's English one
SESSION_COOKIE_AGE = env_int("LIANFANG_SESSION_SECONDS", 12 * 3600)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

REST_FRAMEWORK = {
    # Token first: a caller without credentials gets 401 with "WWW-Authenticate: Token" (DRF takes
    # the header from the first class; SessionAuthentication has none, which made it 403)
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "lianfang.core.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    # filterset_fields FilterSets on core.filters' base: foreign-key choices scoped to the caller
    "DEFAULT_FILTER_BACKENDS": ["lianfang.core.filters.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": env_rate("LIANFANG_API_RATE", "6000/min")},
    "EXCEPTION_HANDLER": "lianfang.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Lianfang API",
    "DESCRIPTION": "Community outbreak-containment operations (四级联防联控). All lists are scoped to the caller.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

TASKS = {
    "default": {
        "BACKEND": env_str("LIANFANG_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Request logs (runserver's for make demo, Django's warnings) without query strings (searches carry
    # ID and phone numbers) and without link tokens (core.logfilters).
    "filters": {
        "no_query_string": {"()": "lianfang.core.logfilters.StripQueryString"},
        "no_client_error_traceback": {"()": "lianfang.core.logfilters.NoClientErrorTraceback"},
    },
    "formatters": {
        "django.server": {"()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}", "style": "{"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "django.server": {"level": "INFO", "class": "logging.StreamHandler", "formatter": "django.server"},
    },
    "loggers": {
        "django.server": {
            "handlers": ["django.server"],
            "filters": ["no_query_string"],
            "level": "INFO",
            "propagate": False,
        },
        # "Not Found: /assistance/r/<token>/" and other request warnings: no query string, no link token
        # a refused request (403, 400) is one warning line, not a stack trace (core.logfilters)
        "django.request": {"filters": ["no_query_string", "no_client_error_traceback"]},
        "django.security": {"filters": ["no_query_string"]},
        # django-axes: failures and lockouts (warnings, user name and address masked), not every sign-in
        "axes": {"level": "WARNING"},
    },
    "root": {"handlers": ["console"], "level": env_str("LIANFANG_LOG_LEVEL", "INFO")},
}
