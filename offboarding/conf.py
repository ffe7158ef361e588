"""The app's settings: one ``OFFBOARDING`` dict in the host's settings, read live.

Every read goes through ``app_settings`` so that ``override_settings`` in tests and
settings changed at run time are seen at once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Model that stands for a customer account, as "app_label.ModelName".
    # None means settings.AUTH_USER_MODEL: every user is an account.
    "ACCOUNT_MODEL": None,
    # Dotted path of the adapter class (see offboarding.adapter).
    "ADAPTER": "offboarding.adapter.DefaultOffboardingAdapter",
    # Dotted path of the billing backend class (see offboarding.billing).
    "BILLING_BACKEND": "offboarding.billing.local.LocalLedgerBackend",
    # "system" reads the wall clock; "database" reads a clock row that the demo and
    # tests can move forward (see offboarding.clock).
    "CLOCK": "system",
    # Days that data stays exportable after the boundary, unless a plan or account
    # policy says otherwise.
    "RETENTION_DAYS": 30,
    # Per plan code: {"pro": 60}.
    "RETENTION_DAYS_BY_PLAN": {},
    # Pause lengths offered, in days.
    "PAUSE_DAYS": [30, 60, 90],
    # No second pause offer within this many days after a pause started.
    "PAUSE_COOLDOWN_DAYS": 180,
    # Whether customers may choose to end access at once instead of at period end.
    "ALLOW_IMMEDIATE_CANCEL": True,
    # A cancel flow left unfinished this long is marked abandoned.
    "ABANDON_AFTER": timedelta(hours=24),
    # Extra step handlers run at lifecycle moments, per moment name (see offboarding.steps).
    "STEP_HANDLERS": {},
    # Whether the built-in handlers (revocation, final invoice, purge, notices) run.
    "BUILTIN_STEP_HANDLERS": True,
    # Attempts before a failing step is marked failed and flagged for staff.
    "STEP_MAX_ATTEMPTS": 5,
    # First retry delay of a failing step; each further retry doubles it.
    "STEP_RETRY_DELAY": timedelta(minutes=1),
    # How long a worker may hold a claimed step before another worker may take it over.
    "STEP_LEASE": timedelta(minutes=15),
    # How many due cases one scan claims before it returns.
    "SCAN_BATCH_SIZE": 100,
    # Interval of the beat schedule that runs the due-work scan, in seconds.
    "SCAN_INTERVAL_SECONDS": 60,
    # Seconds a re-authentication stays "recent" for sensitive steps.
    "REAUTHENTICATION_MAX_AGE": 300,
    # STORAGES alias for export archives, invoices and certificates.
    "STORAGE_ALIAS": "default",
    # Window after the boundary in which a reactivation counts as a win-back, in days.
    "WINBACK_WINDOW_DAYS": 90,
}


class AppSettings:
    """Attribute access to ``settings.OFFBOARDING`` with defaults, read on each access."""

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown offboarding setting: {name!r}")
        configured = getattr(settings, "OFFBOARDING", {}) or {}
        return configured.get(name, DEFAULTS[name])

    @property
    def account_model_label(self) -> str:
        return self.ACCOUNT_MODEL or settings.AUTH_USER_MODEL

    def unknown_keys(self) -> list[str]:
        configured = getattr(settings, "OFFBOARDING", {}) or {}
        return sorted(set(configured) - set(DEFAULTS))


app_settings = AppSettings()
