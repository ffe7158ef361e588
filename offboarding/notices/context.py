"""Storing a notice's template context as JSON and turning it back when it is sent.

Datetimes, dates and decimals are tagged so that templates format them as dates and
amounts again (in the account's time zone) rather than as strings.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

TAG = "__offboarding__"


def encode(value: Any) -> Any:
    """Return ``value`` as JSON-ready data; raise ValueError for what JSON cannot hold."""
    if isinstance(value, datetime):
        return {TAG: "datetime", "value": value.isoformat()}
    if isinstance(value, date):
        return {TAG: "date", "value": value.isoformat()}
    if isinstance(value, Decimal):
        return {TAG: "decimal", "value": str(value)}
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise ValueError("Notice context keys must be strings.")
        return {key: encode(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise ValueError(
        f"Notice context values must be JSON data, dates or decimals, not {type(value).__name__}."
    )


def decode(value: Any) -> Any:
    """Return the stored context with its tagged values turned back into Python objects."""
    if isinstance(value, dict):
        kind = value.get(TAG)
        if kind == "datetime":
            return datetime.fromisoformat(value["value"])
        if kind == "date":
            return date.fromisoformat(value["value"])
        if kind == "decimal":
            return Decimal(value["value"])
        return {key: decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decode(item) for item in value]
    return value
