"""Data exports: one archive of an account's data, built in checkpointed steps."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def new_export_token() -> str:
    """Return a random, URL-safe token that names an export in URLs and storage paths."""
    return secrets.token_urlsafe(24)


class ExportFormat(models.TextChoices):
    CSV = "csv", _("CSV (spreadsheets, databases)")
    JSON = "json", _("JSON (one array per data source)")
    NDJSON = "ndjson", _("NDJSON (one JSON object per line)")
    XLSX = "xlsx", _("Excel workbook (XLSX)")


class ExportStatus(models.TextChoices):
    REQUESTED = "requested", _("requested")
    RUNNING = "running", _("in progress")
    READY = "ready", _("ready")
    FAILED = "failed", _("failed")
    EXPIRED = "expired", _("expired")
    DELETED = "deleted", _("deleted")


# Statuses in which an export still has work to do; an account has at most one at a time.
ACTIVE_STATUSES = (ExportStatus.REQUESTED, ExportStatus.RUNNING)


class DataExportQuerySet(models.QuerySet["DataExport"]):
    def for_account(self, account_key: str) -> DataExportQuerySet:
        return self.filter(account_key=account_key)

    def active(self) -> DataExportQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)

    def due_to_run(self, now: datetime) -> DataExportQuerySet:
        """Exports waiting for a worker, or whose worker stopped renewing its lease."""
        return self.filter(
            Q(status=ExportStatus.REQUESTED, next_attempt_at__lte=now)
            | Q(status=ExportStatus.RUNNING, lease_expires_at__lte=now)
        )

    def due_to_expire(self, now: datetime) -> DataExportQuerySet:
        return self.filter(status=ExportStatus.READY, expires_at__lte=now)


class DataExport(models.Model):
    """One export archive of one account: what was asked, how far it got, where it is."""

    token = models.CharField(
        _("public token"), max_length=48, unique=True, default=new_export_token, editable=False
    )
    account_key = models.CharField(_("account"), max_length=64)
    case = models.ForeignKey(
        "offboarding.OffboardingCase",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="exports",
        verbose_name=_("case"),
    )
    formats = models.JSONField(_("formats"), default=list)
    status = models.CharField(
        _("status"), max_length=16, choices=ExportStatus.choices, default=ExportStatus.REQUESTED
    )
    requested_by_kind = models.CharField(_("requested by"), max_length=16, blank=True)
    requested_by = models.CharField(_("requested by (user id)"), max_length=64, blank=True)

    progress_done = models.PositiveIntegerField(_("files done"), default=0)
    progress_total = models.PositiveIntegerField(_("files in total"), default=0)
    checkpoint = models.JSONField(
        _("checkpoint"),
        default=dict,
        blank=True,
        help_text=_("Part files already written, with their row counts and checksums."),
    )
    storage_name = models.CharField(_("archive in storage"), max_length=300, blank=True)
    file_count = models.PositiveIntegerField(_("files in archive"), default=0)
    size_bytes = models.PositiveBigIntegerField(_("archive size (bytes)"), default=0)

    requested_at = models.DateTimeField(_("requested"))
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    ready_at = models.DateTimeField(_("ready"), null=True, blank=True)
    first_downloaded_at = models.DateTimeField(_("first downloaded"), null=True, blank=True)
    expires_at = models.DateTimeField(_("archive deleted on"), null=True, blank=True)

    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    lease_owner = models.CharField(_("lease owner"), max_length=32, blank=True, editable=False)
    lease_expires_at = models.DateTimeField(_("lease expires"), null=True, blank=True)
    failure_reason = models.TextField(_("failure reason"), blank=True)

    objects = DataExportQuerySet.as_manager()

    class Meta:
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account_key"],
                condition=Q(status__in=["requested", "running"]),
                name="offboarding_export_one_active_per_account",
            ),
            models.CheckConstraint(
                condition=Q(progress_done__lte=models.F("progress_total")),
                name="offboarding_export_progress_within_total",
            ),
        ]
        indexes = [
            models.Index(
                fields=["account_key", "-requested_at"], name="offboarding_export_account"
            ),
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(status="requested"),
                name="offboarding_export_waiting",
            ),
            models.Index(
                fields=["lease_expires_at", "id"],
                condition=Q(status="running"),
                name="offboarding_export_running",
            ),
            models.Index(
                fields=["expires_at", "id"],
                condition=Q(status="ready"),
                name="offboarding_export_expiry_due",
            ),
        ]

    def __str__(self) -> str:
        return f"Export {self.token[:8]} of {self.account_key} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_ready(self) -> bool:
        return self.status == ExportStatus.READY

    @property
    def progress_percent(self) -> int:
        if not self.progress_total:
            return 0
        return int(100 * self.progress_done / self.progress_total)

    @property
    def download_filename(self) -> str:
        stamp = (self.ready_at or self.requested_at).strftime("%Y%m%d-%H%M%S")
        return f"data-export-{stamp}.zip"
