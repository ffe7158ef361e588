"""Admin registrations, one module per part of the app."""

from offboarding.admin import cases, exports, invoices, notices, portal, retention  # noqa: F401
