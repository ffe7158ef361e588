"""Records of access revocation, purge progress, tombstones and deletion certificates.

Rows here point at the case, never at the account, so they survive the purge of the
account's own rows. None of them holds personal data after the purge, except
:class:`PurgeRun.contact_emails`, which is cleared once the deletion certificate is queued.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from offboarding.models.cases import OffboardingCase


class SessionRecord(models.Model):
    """Index of a user's session keys, written at login, so revocation is an indexed delete."""

    user_id = models.CharField(_("user id"), max_length=64, db_index=True)
    session_key = models.CharField(_("session key"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("session record")
        verbose_name_plural = _("session records")

    def __str__(self) -> str:
        return f"session of user {self.user_id}"


class RevocationRecord(models.Model):
    """The record of one revoker's runs for a case: what it revoked and how many items."""

    case = models.ForeignKey(
        OffboardingCase,
        on_delete=models.PROTECT,
        related_name="revocations",
        verbose_name=_("case"),
    )
    revoker = models.CharField(_("revoker"), max_length=200)
    count = models.PositiveIntegerField(_("count"), default=0)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    revoked_at = models.DateTimeField(_("revoked"))
    runs = models.PositiveIntegerField(_("runs"), default=1)

    class Meta:
        verbose_name = _("revocation record")
        verbose_name_plural = _("revocation records")
        ordering = ["case", "revoker"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "revoker"], name="offboarding_revocation_once_per_revoker"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.revoker}: {self.count}"


class PurgeRun(models.Model):
    """One purge of a case's account: its start, its end, and what the certificate needs."""

    case = models.OneToOneField(
        OffboardingCase,
        on_delete=models.PROTECT,
        related_name="purge_run",
        verbose_name=_("case"),
    )
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Copied before any row goes, to render the certificate in the account's language.
    language = models.CharField(_("language"), max_length=16, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, blank=True)
    account_row_deleted = models.BooleanField(_("account row deleted"), default=False)

    class Meta:
        verbose_name = _("purge run")
        verbose_name_plural = _("purge runs")

    def __str__(self) -> str:
        return f"purge of case {self.case_id}"


class PurgeProgress(models.Model):
    """How far the purge of one data source got: a killed worker resumes from here."""

    case = models.ForeignKey(
        OffboardingCase,
        on_delete=models.PROTECT,
        related_name="purge_progress",
        verbose_name=_("case"),
    )
    source = models.CharField(_("data source"), max_length=100)
    model_label = models.CharField(_("model"), max_length=100)
    position = models.PositiveIntegerField(_("position in purge order"), default=0)
    deleted = models.PositiveBigIntegerField(_("rows deleted"), default=0)
    batches = models.PositiveIntegerField(_("batches"), default=0)
    done = models.BooleanField(_("done"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("purge progress")
        verbose_name_plural = _("purge progress")
        ordering = ["case", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "source"], name="offboarding_purgeprogress_once_per_source"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.deleted}"


class PendingFileDeletion(models.Model):
    """A stored file to delete once the transaction that deleted its row has committed.

    The row is written in the same transaction as the row deletion, so a rollback keeps
    the file and a crash after the commit leaves the row for the next run to finish.
    """

    # Null when an operator re-applies erasures for an account whose case is gone.
    case = models.ForeignKey(
        OffboardingCase,
        on_delete=models.PROTECT,
        related_name="pending_file_deletions",
        verbose_name=_("case"),
        null=True,
        blank=True,
    )
    # A STORAGES alias, or "app_label.Model.field" for the storage of that file field.
    storage = models.CharField(_("storage"), max_length=200, default="default")
    name = models.CharField(_("file name"), max_length=500)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)

    class Meta:
        verbose_name = _("file to delete")
        verbose_name_plural = _("files to delete")
        indexes = [
            models.Index(
                fields=["case", "id"],
                condition=Q(deleted_at__isnull=True),
                name="offboarding_file_pending",
            ),
        ]

    def __str__(self) -> str:
        return self.name


def hash_account_key(account_key: str) -> str:
    """Return the keyed SHA-256 of an account key, stored in tombstones instead of the key.

    Keyed with ``SECRET_KEY`` because account keys are often small integers whose plain
    hash anyone could reverse by trying them all.
    """
    return hmac.new(
        settings.SECRET_KEY.encode(),
        f"offboarding-account:{account_key}".encode(),
        hashlib.sha256,
    ).hexdigest()


class Tombstone(models.Model):
    """The purge of one account, without personal data, kept to re-apply after a restore."""

    case_public_id = models.CharField(_("case public id"), max_length=32, unique=True)
    account_key_hash = models.CharField(_("account key hash"), max_length=64, db_index=True)
    retention_days = models.PositiveIntegerField(_("retention days"), null=True, blank=True)
    boundary_at = models.DateTimeField(_("access ended"), null=True, blank=True)
    retention_ends_at = models.DateTimeField(_("retention ended"), null=True, blank=True)
    purge_started_at = models.DateTimeField(_("purge started"))
    purged_at = models.DateTimeField(_("purged"), null=True, blank=True)
    counts = models.JSONField(_("rows deleted per model"), default=dict, blank=True)
    account_row_deleted = models.BooleanField(_("account row deleted"), default=False)
    reapplied_at = models.DateTimeField(_("last re-applied"), null=True, blank=True)

    class Meta:
        verbose_name = _("tombstone")
        verbose_name_plural = _("tombstones")
        ordering = ["purge_started_at", "pk"]

    def __str__(self) -> str:
        return f"tombstone of case {self.case_public_id}"


class DeletionCertificate(models.Model):
    """The certificate that an account's data was deleted: one per case, JSON and PDF."""

    case = models.OneToOneField(
        OffboardingCase,
        on_delete=models.PROTECT,
        related_name="deletion_certificate",
        verbose_name=_("case"),
    )
    issued_at = models.DateTimeField(_("issued"))
    data = models.JSONField(_("content"))
    sha256 = models.CharField(_("SHA-256 of the JSON document"), max_length=64)
    json_name = models.CharField(_("JSON file"), max_length=300, blank=True)
    pdf_name = models.CharField(_("PDF file"), max_length=300, blank=True)
    times_issued = models.PositiveIntegerField(_("times issued"), default=1)

    class Meta:
        verbose_name = _("deletion certificate")
        verbose_name_plural = _("deletion certificates")
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"deletion certificate of case {self.case_id}"
