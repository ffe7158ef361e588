"""Admin registrations, one module per part of the app."""

from offboarding.admin import (  # noqa: F401
    cases,
    exports,
    invoices,
    ledger,
    notices,
    portal,
    retention,
)
