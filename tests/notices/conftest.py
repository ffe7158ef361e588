"""Fixtures of the notice tests: an SMTP server on loopback, the adapter, the cadence."""

from __future__ import annotations

import pytest

from tests.notices.smtp import SmtpSink

ADAPTER = "tests.notices.adapters.ZonedUserAdapter"


@pytest.fixture
def smtp_sink(settings):
    """A started aiosmtpd server on a free loopback port, with Django's SMTP backend on it."""
    sink = SmtpSink()
    sink.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield sink
    sink.stop()


@pytest.fixture
def notice_settings(settings):
    """Users are accounts with their own time zone; only the notices' step handlers run."""
    settings.OFFBOARDING = {
        "CLOCK": "database",
        "ADAPTER": ADAPTER,
        "RETENTION_DAYS": 45,
        "SITE_URL": "https://app.example.invalid",
        "BUILTIN_STEP_HANDLERS": False,
        "STEP_HANDLERS": {
            "requested": ["offboarding.notices.handlers.capture_recipients"],
            "boundary_reached": ["offboarding.notices.handlers.capture_recipients"],
            "saved": ["offboarding.notices.handlers.remember_pause_start"],
        },
    }
    return settings


@pytest.fixture
def default_cadence(db):
    from offboarding.notices.cadence import install_default_cadence

    install_default_cadence()
