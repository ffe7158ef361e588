"""Notices: the cadence staff configure, the outbox that sends each notice once, and
the one-click unsubscribes of optional notices."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# Template names become file names, so they may not contain path separators.
TEMPLATE_NAME_PATTERN = r"^[a-z0-9_]{1,80}$"
template_name_validator = RegexValidator(
    TEMPLATE_NAME_PATTERN,
    _("Use lower-case letters, digits and underscores only, e.g. access_ending."),
)


class NoticeTrigger(models.TextChoices):
    REQUESTED = "requested", _("case requested")
    CANCELLATION_CONFIRMED = "cancellation_confirmed", _("cancellation confirmed")
    PAUSE_ACCEPTED = "pause_accepted", _("pause accepted")
    PAUSE_ENDING = "pause_ending", _("pause ending")
    BOUNDARY_REACHED = "boundary_reached", _("boundary reached (access ends)")
    RETENTION_ENDING = "retention_ending", _("retention ending (data deleted)")
    PURGED = "purged", _("purged")
    REACTIVATED = "reactivated", _("reactivated")
    WINBACK = "winback", _("win-back after the boundary")


class OffsetDirection(models.TextChoices):
    BEFORE = "before", _("before")
    AFTER = "after", _("after")


class OffsetUnit(models.TextChoices):
    DAYS = "days", _("calendar days in the account's time zone")
    HOURS = "hours", _("hours")


# Triggers whose moment is only known once it has happened: no notice can precede them.
AFTER_ONLY_TRIGGERS = frozenset(
    {
        NoticeTrigger.REQUESTED,
        NoticeTrigger.CANCELLATION_CONFIRMED,
        NoticeTrigger.PAUSE_ACCEPTED,
        NoticeTrigger.PURGED,
        NoticeTrigger.REACTIVATED,
        NoticeTrigger.WINBACK,
    }
)


class CadenceStepQuerySet(models.QuerySet["CadenceStep"]):
    def active(self) -> CadenceStepQuerySet:
        return self.filter(active=True)


class CadenceStep(models.Model):
    """One notice of the cadence: which template goes out how long before or after a trigger."""

    code = models.SlugField(
        _("code"),
        max_length=64,
        unique=True,
        help_text=_("Stable name of this step; the outbox keys its messages by it."),
    )
    trigger = models.CharField(_("trigger"), max_length=32, choices=NoticeTrigger.choices)
    direction = models.CharField(
        _("before or after"),
        max_length=8,
        choices=OffsetDirection.choices,
        default=OffsetDirection.AFTER,
    )
    offset = models.PositiveIntegerField(_("offset"), default=0)
    unit = models.CharField(
        _("offset unit"), max_length=8, choices=OffsetUnit.choices, default=OffsetUnit.DAYS
    )
    template = models.CharField(
        _("template"),
        max_length=80,
        validators=[template_name_validator],
        help_text=_(
            "Name of the email templates: offboarding/email/<name>_subject.txt, "
            "<name>_message.txt and <name>_message.html."
        ),
    )
    required = models.BooleanField(
        _("required service notice"),
        default=True,
        help_text=_(
            "Required notices are sent to every contact. Optional ones (win-back, "
            "marketing) carry a one-click unsubscribe link and respect it."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = CadenceStepQuerySet.as_manager()

    class Meta:
        verbose_name = _("cadence step")
        verbose_name_plural = _("cadence steps")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.code}: {self.template}"

    def clean(self) -> None:
        if self.direction == OffsetDirection.BEFORE and self.trigger in AFTER_ONLY_TRIGGERS:
            raise ValidationError(
                {
                    "direction": _(
                        "This trigger is only known once it happens; use an offset after it."
                    ),
                }
            )

    @property
    def signed_offset(self) -> timedelta:
        """The offset as a duration, negative before the trigger (days counted as 24 hours)."""
        if self.unit == OffsetUnit.DAYS:
            delta = timedelta(days=self.offset)
        else:
            delta = timedelta(hours=self.offset)
        return -delta if self.direction == OffsetDirection.BEFORE else delta

    def due_at(self, anchor: datetime, tz: zoneinfo.ZoneInfo) -> datetime:
        """Return when this step is due for a trigger at ``anchor``, in UTC.

        Day offsets are calendar days on the account's wall clock: 1 day after 10:00 on
        the Saturday before the clocks go back is 10:00 on Sunday, 25 hours later, so a
        DST change neither skips nor repeats a notice.
        """
        if self.unit == OffsetUnit.HOURS:
            return anchor + self.signed_offset
        local = anchor.astimezone(tz)
        # Aware datetime arithmetic with one tzinfo moves the wall clock, not the instant.
        return (local + self.signed_offset).astimezone(zoneinfo.ZoneInfo("UTC"))


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")


class OutboxMessage(models.Model):
    """One notice to the contacts of one case, queued once per (case, key).

    A cadence message's key is its step's code and the trigger moment, so a moved date
    (a retention window extended, a new one after leaving the vault) queues the step again.

    While a message is ``sending``, ``next_attempt_at`` is the end of the sender's lease:
    a sender that dies leaves the message to be claimed again once the lease is over.
    """

    case = models.ForeignKey(
        "offboarding.OffboardingCase", on_delete=models.PROTECT, related_name="outbox_messages"
    )
    key = models.CharField(_("key"), max_length=120)
    step = models.ForeignKey(
        CadenceStep,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("cadence step"),
    )
    anchor_at = models.DateTimeField(
        _("trigger moment"),
        null=True,
        blank=True,
        help_text=_("The case's date that the cadence step counted from; a new date queues anew."),
    )
    template = models.CharField(_("template"), max_length=80, validators=[template_name_validator])
    context = models.JSONField(_("context"), default=dict, blank=True)
    attachments = models.JSONField(
        _("attachments"),
        default=list,
        blank=True,
        help_text=_("[filename, storage name, MIME type] triples, read from storage when sent."),
    )
    required = models.BooleanField(_("required service notice"), default=True)
    status = models.CharField(
        _("status"), max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    due_at = models.DateTimeField(_("due"), help_text=_("On the app clock."))
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    last_error = models.TextField(_("last error"), blank=True)
    delivered_to = models.JSONField(
        _("delivered to"),
        default=list,
        blank=True,
        help_text=_("Keyed hashes of the contacts already sent this message; a retry skips them."),
    )
    message_id = models.CharField(_("Message-ID"), max_length=200, blank=True)
    cancel_reason = models.CharField(_("why it was cancelled"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("queued"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "key"], name="offboarding_outbox_once"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(status__in=["pending", "sending"]),
                name="offboarding_outbox_due",
            ),
            models.Index(fields=["case", "template"], name="offboarding_outbox_template"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.get_status_display()})"


class CaseNoticeProfile(models.Model):
    """What the notices part keeps per case beyond the case's own fields.

    The contacts, language and time zone are copied while the account exists, because
    the deletion notice goes out after the purge removed the account's rows. The copy is
    erased once the case is purged and nothing is left to send. The case has no field for
    the moment a pause was accepted, so it is kept here for the "pause accepted" trigger.
    """

    case = models.OneToOneField(
        "offboarding.OffboardingCase", on_delete=models.PROTECT, related_name="notice_profile"
    )
    emails = models.JSONField(_("contact emails"), default=list, blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    captured_at = models.DateTimeField(_("captured"), null=True, blank=True)
    pause_accepted_at = models.DateTimeField(_("pause accepted"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice profile")
        verbose_name_plural = _("notice profiles")
        indexes = [
            models.Index(
                fields=["pause_accepted_at"],
                condition=Q(pause_accepted_at__isnull=False),
                name="offboarding_pause_accepted",
            ),
        ]

    def __str__(self) -> str:
        return f"notice profile of case {self.case_id}"


class NoticeUnsubscribe(models.Model):
    """One contact of one account that asked for no more optional notices.

    The contact is stored as a keyed hash, never as the address itself.
    """

    account_key = models.CharField(_("account"), max_length=64)
    contact_digest = models.CharField(_("contact (keyed hash)"), max_length=64)
    case = models.ForeignKey(
        "offboarding.OffboardingCase",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notice_unsubscribes",
    )
    created_at = models.DateTimeField(_("unsubscribed"))

    class Meta:
        verbose_name = _("unsubscribe")
        verbose_name_plural = _("unsubscribes")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account_key", "contact_digest"], name="offboarding_unsubscribe_once"
            ),
        ]

    def __str__(self) -> str:
        return f"account {self.account_key}"
