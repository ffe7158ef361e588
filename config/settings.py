"""Settings of the demo host project.

With no environment set, the demo runs on SQLite, a Celery broker on the local file
system, local file storage and an email backend that writes files. The environment
variables below switch each part to its production counterpart without code changes.
"""

import os
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DEMO_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "demo-only-secret-key-change-me-in-production")
DEBUG = env_bool("DJANGO_DEBUG", True)
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "offboarding",
    # The demo product: organisations, their data, the JSON API and the demo commands.
    "config.accounts",
    "config.workspace",
    "config.api",
    "config.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.accounts.context_processors.organisation",
            ],
        },
    },
]

# Database: SQLite in var/ unless DATABASE_URL names another (postgres://... uses psycopg 3).
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'demo.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the Celery worker read while the other writes.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=10000;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", VAR_DIR / "media"))

# Storage: local files unless DJANGO_STORAGE_BACKEND names another backend, for example
# "storages.backends.s3.S3Storage" (django-storages reads its own AWS_* variables).
STORAGES = {
    "default": {
        "BACKEND": os.environ.get(
            "DJANGO_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"
        ),
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Email: files in var/mail unless EMAIL_URL-style variables name an SMTP server.
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = os.environ.get(
        "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"
    )
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Acme Projects <billing@example.com>")

# Celery: a broker on the local file system unless CELERY_BROKER_URL names Redis or RabbitMQ.
# The host name means nothing to the file-system transport, but without one kombu warns
# "No hostname was supplied" on every connection.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)

OFFBOARDING: dict[str, Any] = {
    "CLOCK": os.environ.get("OFFBOARDING_CLOCK", "database"),
    "ACCOUNT_MODEL": "accounts.Organisation",
    "ADAPTER": "config.offboarding_adapter.DemoAdapter",
    "DATA_REGISTRY": "config.offboarding_data.registry",
    "REVOKERS": ["config.revokers.ApiKeyRevoker"],
    # The address that links in notices point to; scripts/run-demo sets it from HOST and PORT.
    "SITE_URL": os.environ.get("DEMO_SITE_URL", "http://127.0.0.1:8000"),
}

# Sign-in through django-allauth with email and password only; the demo sends no
# verification mail, so a new user can sign in at once.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "workspace:dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

# One handler, on the root logger. The app's and the demo's loggers only set their level
# and pass their records up to it, so each line prints once. The same is true in the Celery
# worker's log, because Celery replaces the root logger's handler with its own.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "omit_permission_denied_traceback": {
            "()": "config.log_filters.OmitPermissionDeniedTraceback",
        },
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["omit_permission_denied_traceback"],
        },
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "offboarding": {"level": os.environ.get("OFFBOARDING_LOG_LEVEL", "INFO")},
        # The demo product's own modules log under "config".
        "config": {"level": "INFO"},
        # Django's default configuration gives "django" a handler of its own; this one
        # replaces it, so request warnings print once and a 403 without its traceback.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# Single sign-on: the demo's own OpenID Connect identity provider under /o/
# (django-oauth-toolkit) and django-allauth's openid_connect provider that logs in
# through it. ``manage.py sso_setup`` writes the signing key and registers the client.
from config.sso import idp as _sso_idp  # noqa: E402

INSTALLED_APPS += [
    "oauth2_provider",
    "allauth.socialaccount.providers.openid_connect",
    "config.sso",
]
OAUTH2_PROVIDER = _sso_idp.provider_settings(VAR_DIR)
SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": [_sso_idp.allauth_app()]}}
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_LOGIN_ON_GET = False

# Members of an account whose access has ended cannot log in (password or SSO), and
# signed-in users of such an account only reach the offboarding portal.
ACCOUNT_ADAPTER = "offboarding.allauth.OffboardingAccountAdapter"
SOCIALACCOUNT_ADAPTER = "offboarding.allauth.OffboardingSocialAccountAdapter"
MIDDLEWARE += ["offboarding.middleware.ProductAccessMiddleware"]

# Rows per purge transaction; the retention tests lower it to stop a purge midway.
OFFBOARDING["PURGE_BATCH_SIZE"] = int(os.environ.get("OFFBOARDING_PURGE_BATCH_SIZE", "5000"))
