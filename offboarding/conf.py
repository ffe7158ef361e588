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
    # policy sets another number.
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
    # Where the final invoice rounds tax to the currency's minor unit: "line" rounds each
    # line's tax, "document" rounds once per tax rate over the whole invoice.
    "INVOICE_ROUNDING": "line",
    # Prefix of final invoice numbers; numbers run gapless per series and year.
    "INVOICE_SERIES": "FIN",
    # Dotted paths of the host's revokers, run at the boundary after the built-in ones
    # (see offboarding.revocation).
    "REVOKERS": [],
    # Rows deleted per purge transaction, per model; each batch commits on its own.
    # With PURGE_TRANSACTION_TARGET set, it sizes only the first transactions of a source.
    "PURGE_BATCH_SIZE": 5000,
    # Duration that purge transactions after the first aim at. Each batch grows (at most
    # twofold) or shrinks with the measured time. None keeps PURGE_BATCH_SIZE rows.
    "PURGE_TRANSACTION_TARGET": timedelta(milliseconds=40),
    # Database connections one purge deletes with at once, on PostgreSQL. Each takes the
    # next chunk of a source's rows in its own transaction. With 1, the purge deletes on
    # the worker's own connection only.
    "PURGE_CONNECTIONS": 2,
    # Whether the purge also deletes the final invoice's stored PDF (the invoice row stays).
    "PURGE_INVOICE_FILES": False,
    # URL names (or "namespace:*") an account without product access may still open.
    "NO_ACCESS_ALLOWED_URLS": [
        "offboarding:*",
        "account_logout",
        "account_reauthenticate",
        "account_login",
        "socialaccount_reauthenticate",
        "openid_connect_callback",
        "openid_connect_login",
        "javascript-catalog",
        "set_language",
        "account_request_reauthentication_code",
        "account_confirm_reauthentication_code",
    ],
    # Window after the boundary in which a reactivation counts as a win-back, in days.
    "WINBACK_WINDOW_DAYS": 90,
    # Dotted path of the DataRegistry that declares the account's data (see
    # offboarding.registry); None declares nothing, so exports are empty.
    "DATA_REGISTRY": None,
    # Export formats a customer may choose from: any of "csv", "json", "ndjson", "xlsx".
    "EXPORT_FORMATS": ["csv", "json", "ndjson", "xlsx"],
    # How long a ready export archive is kept before it is deleted.
    "EXPORT_RETENTION": timedelta(days=7),
    # Seconds a signed download link stays valid (it never outlives the archive).
    "EXPORT_LINK_MAX_AGE": 3600,
    # Rows fetched per database round trip when rows are read through the ORM.
    "EXPORT_CHUNK_SIZE": 2000,
    # zlib level of the archive's deflated files: 1 is fastest, 9 smallest.
    "EXPORT_COMPRESSION_LEVEL": 1,
    # Attempts before an export is marked failed and flagged for staff.
    "EXPORT_MAX_ATTEMPTS": 5,
    # First retry delay of a failed export; each further retry doubles it (at most 6 hours).
    "EXPORT_RETRY_DELAY": timedelta(minutes=1),
    # How long a worker may hold an export without a checkpoint before another takes over.
    "EXPORT_LEASE": timedelta(minutes=10),
    # Storage path prefix of export archives and their part files.
    "EXPORT_STORAGE_PREFIX": "offboarding/exports",
    # Whether downloads redirect to the storage's own URL (for S3 and the like) instead of
    # streaming the archive through the app.
    "EXPORT_DOWNLOAD_REDIRECT": False,
    # Scheme, host and port that absolute links in emails start with (no trailing path).
    "SITE_URL": "http://127.0.0.1:8000",
    # A cadence notice due longer ago than this is not queued any more, so a new cadence
    # step or a scheduler back from an outage does not mail about old events.
    "NOTICE_CATCH_UP": timedelta(days=7),
    # Attempts before an outbox message is marked failed and shown to staff.
    "NOTICE_MAX_ATTEMPTS": 8,
    # First retry delay of a failed send; each further retry doubles it (at most 6 hours).
    "NOTICE_RETRY_DELAY": timedelta(minutes=1),
    # How long a sender may hold claimed outbox messages before another may take them over.
    "NOTICE_LEASE": timedelta(minutes=5),
    # Outbox messages one sender claims per transaction (and sends over one connection).
    "NOTICE_BATCH_SIZE": 50,
    # Interval of the beat schedule that queues and sends due notices, in seconds.
    "NOTICE_SEND_INTERVAL_SECONDS": 60,
    # Templates that announce a renewal; never sent while a cancellation is pending.
    "NOTICE_RENEWAL_TEMPLATES": ["renewal", "renewal_reminder", "plan_renews"],
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
