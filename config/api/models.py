"""API keys that let an organisation's scripts read its data over the JSON API.

A key reads ``dk_<prefix>_<secret>``. The prefix is stored in clear to find the row and to
show the key in lists. Only the SHA-256 digest of the whole key is stored, so a database
leak does not leak usable keys. SHA-256 without a salt suffices here because the secret
has 256 bits of entropy, which no dictionary attack can cover.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from offboarding import clock

logger = logging.getLogger(__name__)

KEY_SCHEME = "dk"
PREFIX_BYTES = 4
SECRET_BYTES = 32


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    """A new key and its plaintext, which is shown once and never stored."""

    api_key: ApiKey
    plaintext: str


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def active(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True)

    def issue(self, organisation, created_by, name: str) -> IssuedKey:
        """Create a key for ``organisation`` and return it with its plaintext."""
        prefix = secrets.token_hex(PREFIX_BYTES)
        plaintext = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
        api_key = self.create(
            organisation=organisation,
            created_by=created_by,
            name=name,
            prefix=prefix,
            hashed_secret=hash_key(plaintext),
        )
        logger.info("API key %s issued for organisation %s", api_key.pk, organisation.pk)
        return IssuedKey(api_key=api_key, plaintext=plaintext)

    def authenticate(self, plaintext: str) -> ApiKey | None:
        """Return the active key whose plaintext is ``plaintext``, or None."""
        parts = plaintext.split("_")
        if len(parts) < 3 or parts[0] != KEY_SCHEME:
            return None
        candidate = self.active().select_related("organisation").filter(prefix=parts[1]).first()
        if candidate is None:
            return None
        # Compared in constant time so response timing does not reveal digest prefixes.
        if not hmac.compare_digest(candidate.hashed_secret, hash_key(plaintext)):
            return None
        return candidate

    def revoke_for_organisation(self, organisation) -> int:
        """Revoke every active key of ``organisation`` and return how many were revoked."""
        count = self.active().filter(organisation=organisation).update(revoked_at=clock.now())
        logger.info("Revoked %s API keys of organisation %s", count, organisation.pk)
        return count


class ApiKey(models.Model):
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.CASCADE,
        related_name="api_keys",
        verbose_name=_("organisation"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="api_keys",
        verbose_name=_("created by"),
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    hashed_secret = models.CharField(
        _("hashed secret"), max_length=64, unique=True, editable=False
    )
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({KEY_SCHEME}_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def revoke(self) -> bool:
        """Revoke this key. Return False, and change nothing, if it was already revoked."""
        updated = ApiKey.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
            revoked_at=clock.now()
        )
        self.refresh_from_db(fields=["revoked_at"])
        if updated:
            logger.info("API key %s revoked", self.pk)
        return bool(updated)
