"""Settings for the Celery worker and beat processes of the notice tests and benchmark.

Users are accounts (the default adapter), only the notices' handlers run, and every app's
schema comes from its models (as with ``pytest --nomigrations``), so the benchmark can
build a fresh database with ``migrate --run-syncdb``.
"""

import os

from tests.settings import *  # noqa: F403


class _NoMigrations(dict):
    def __contains__(self, app_label: object) -> bool:
        return True

    def __getitem__(self, app_label: str) -> None:
        return None


MIGRATION_MODULES = _NoMigrations()

OFFBOARDING = {
    "CLOCK": "database",
    "BUILTIN_STEP_HANDLERS": False,
    "NOTICE_BATCH_SIZE": int(os.environ.get("OFFBOARDING_NOTICE_BATCH_SIZE", "50")),
    "SITE_URL": "https://app.example.invalid",
}

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ.get("OFFBOARDING_TEST_SMTP_PORT", "25"))
EMAIL_TIMEOUT = 10

LOGGING["loggers"]["offboarding"]["level"] = os.environ.get(  # noqa: F405
    "OFFBOARDING_LOG_LEVEL", "WARNING"
)
