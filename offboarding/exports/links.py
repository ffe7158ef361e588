"""Signed download links: bound to one export and its account, valid for a limited time."""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing
from django.urls import reverse

from offboarding.conf import app_settings
from offboarding.models import DataExport

SALT = "offboarding.exports.download"


@dataclass(frozen=True)
class LinkClaims:
    export_token: str
    account_key: str


def download_url(export: DataExport) -> str:
    """Return a fresh signed URL that downloads ``export``'s archive."""
    value = signing.dumps({"e": export.token, "a": export.account_key}, salt=SALT)
    return reverse("offboarding:export-download", args=[value])


def read_link(value: str) -> LinkClaims | None:
    """Return the claims of a signed link, or None if it is tampered with or too old."""
    try:
        data = signing.loads(value, salt=SALT, max_age=int(app_settings.EXPORT_LINK_MAX_AGE))
    except signing.BadSignature:  # SignatureExpired is a BadSignature too.
        return None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("e"), str)
        or not isinstance(data.get("a"), str)
    ):
        return None
    return LinkClaims(export_token=data["e"], account_key=data["a"])
