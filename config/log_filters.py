"""Logging filters of the demo host project."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied


class OmitPermissionDeniedTraceback(logging.Filter):
    """Drop the traceback from Django's "Forbidden (Permission denied)" request warnings.

    A 403 from ``PermissionDenied`` is an ordinary response (a signed-in user outside their
    role), so the warning line names the path and the traceback adds nothing. Other
    records, tracebacks of real errors included, pass unchanged.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if record.name == "django.request" and isinstance(error, PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True
