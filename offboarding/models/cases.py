"""Offboarding cases, their state machine and their append-only, hash-chained audit trail."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import models, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from offboarding import clock

logger = logging.getLogger(__name__)


def new_public_id() -> str:
    """Return a random, URL-safe token that names a case in URLs instead of its row id.

    The token never starts with "-" or "_": staff paste it into management commands,
    whose argument parser would read a leading dash as an option.
    """
    while True:
        token = secrets.token_urlsafe(18)
        if token[0].isalnum():
            return token


class CaseState(models.TextChoices):
    REQUESTED = "requested", _("requested")
    SAVED = "saved", _("saved")
    SCHEDULED = "scheduled", _("scheduled")
    WITHDRAWN = "withdrawn", _("withdrawn")
    ENDED = "ended", _("ended")
    VAULTED = "vaulted", _("vaulted")
    REACTIVATED = "reactivated", _("reactivated")
    PURGED = "purged", _("purged")
    ABANDONED = "abandoned", _("abandoned")


class SaveKind(models.TextChoices):
    PAUSED = "paused", _("paused")
    DISCOUNTED = "discounted", _("discounted")
    DOWNGRADED = "downgraded", _("downgraded")


class ActorKind(models.TextChoices):
    CUSTOMER = "customer", _("customer")
    STAFF = "staff", _("staff")
    SYSTEM = "system", _("system")


@dataclass(frozen=True)
class Actor:
    """The cause of an event: a kind and a user id, never a name or an email."""

    kind: str
    user_id: str = ""

    @classmethod
    def customer(cls, user: Any) -> Actor:
        return cls(ActorKind.CUSTOMER, str(user.pk))

    @classmethod
    def staff(cls, user: Any) -> Actor:
        return cls(ActorKind.STAFF, str(user.pk))

    @classmethod
    def system(cls) -> Actor:
        return cls(ActorKind.SYSTEM)


S = CaseState

# Transition name -> (states it may start from, state it leads to).
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "confirm_cancel": (frozenset({S.REQUESTED, S.SAVED}), S.SCHEDULED),
    "accept_save": (frozenset({S.REQUESTED, S.SCHEDULED}), S.SAVED),
    "withdraw": (frozenset({S.SCHEDULED}), S.WITHDRAWN),
    "reach_boundary": (frozenset({S.SCHEDULED}), S.ENDED),
    "enter_vault": (frozenset({S.REQUESTED, S.SCHEDULED, S.ENDED}), S.VAULTED),
    "leave_vault": (frozenset({S.VAULTED}), S.ENDED),
    "reactivate": (frozenset({S.ENDED, S.VAULTED}), S.REACTIVATED),
    "complete_purge": (frozenset({S.ENDED}), S.PURGED),
    "abandon": (frozenset({S.REQUESTED}), S.ABANDONED),
    "end_pause": (frozenset({S.SAVED}), S.SAVED),
}

# States after which a case is closed for good. A saved case closes too: when its pause
# ends, or at once for a discount or a downgrade.
FINAL_STATES = frozenset({S.WITHDRAWN, S.REACTIVATED, S.PURGED, S.ABANDONED})

# Lifecycle moments whose step handlers run after the transition commits.
MOMENT_OF_TRANSITION = {
    "confirm_cancel": "cancellation_confirmed",
    "accept_save": "saved",
    "withdraw": "withdrawn",
    "reach_boundary": "boundary_reached",
    "enter_vault": "vaulted",
    "leave_vault": "vault_left",
    "reactivate": "reactivated",
    "complete_purge": "purged",
    "abandon": "abandoned",
    "end_pause": "pause_ended",
}


class IllegalTransition(Exception):
    """A transition was asked of a case whose state or data does not allow it."""

    def __init__(self, case: OffboardingCase, action: str, why: str) -> None:
        self.case = case
        self.action = action
        self.why = why
        super().__init__(f"Case {case.public_id}: cannot {action} from {case.state!r}: {why}")


class CaseQuerySet(models.QuerySet["OffboardingCase"]):
    def open(self) -> CaseQuerySet:
        return self.filter(closed_at__isnull=True)

    def for_account(self, account_key: str) -> CaseQuerySet:
        return self.filter(account_key=account_key)

    def boundary_due(self, now: datetime) -> CaseQuerySet:
        return self.filter(state=S.SCHEDULED, boundary_at__lte=now)

    def pause_due(self, now: datetime) -> CaseQuerySet:
        return self.filter(
            state=S.SAVED,
            saved_as=SaveKind.PAUSED,
            closed_at__isnull=True,
            pause_ends_at__lte=now,
        )

    def due_for_purge(self, now: datetime) -> CaseQuerySet:
        return self.filter(
            state=S.ENDED,
            legal_hold=False,
            purge_started_at__isnull=True,
            retention_ends_at__lte=now,
        )

    def abandon_due(self, now: datetime, after: timedelta) -> CaseQuerySet:
        return self.filter(state=S.REQUESTED, requested_at__lte=now - after)

    def vault_boundary_due(self, now: datetime) -> CaseQuerySet:
        """Vaulted cases whose paid period has ended but whose boundary work has not run."""
        return self.filter(state=S.VAULTED, ended_at__isnull=True, boundary_at__lte=now)

    def vaulted_account_keys(self) -> models.QuerySet[OffboardingCase, dict[str, Any]]:
        return self.filter(state=S.VAULTED).values("account_key")


class OffboardingCase(models.Model):
    """One cancellation of one account, from the first click to its final state."""

    public_id = models.CharField(
        _("public id"), max_length=32, unique=True, default=new_public_id, editable=False
    )
    account_key = models.CharField(_("account"), max_length=64)
    account_label = models.CharField(_("account name"), max_length=200, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=CaseState.choices, default=CaseState.REQUESTED
    )
    saved_as = models.CharField(_("saved as"), max_length=16, choices=SaveKind.choices, blank=True)
    jurisdiction = models.CharField(_("jurisdiction profile"), max_length=32, default="default")
    immediate = models.BooleanField(_("immediate cancellation"), default=False)

    plan_code = models.CharField(_("plan code"), max_length=64, blank=True)
    plan_name = models.CharField(_("plan"), max_length=120, blank=True)
    requested_by = models.CharField(_("requested by (user id)"), max_length=64, blank=True)

    requested_at = models.DateTimeField(_("requested"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    boundary_at = models.DateTimeField(
        _("access ends"),
        null=True,
        blank=True,
        help_text=_("End of the paid period, or the moment of an immediate cancellation."),
    )
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    pause_ends_at = models.DateTimeField(_("pause ends"), null=True, blank=True)
    retention_days = models.PositiveIntegerField(_("retention days"), null=True, blank=True)
    retention_starts_at = models.DateTimeField(_("retention starts"), null=True, blank=True)
    retention_ends_at = models.DateTimeField(_("data deleted on"), null=True, blank=True)
    vaulted_at = models.DateTimeField(_("vaulted"), null=True, blank=True)
    purge_started_at = models.DateTimeField(_("purge started"), null=True, blank=True)
    purged_at = models.DateTimeField(_("purged"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    legal_hold = models.BooleanField(_("legal hold"), default=False)
    legal_hold_reason = models.TextField(_("legal hold reason"), blank=True)
    needs_attention = models.BooleanField(_("needs attention"), default=False)
    attention_reason = models.TextField(_("why it needs attention"), blank=True)

    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("offboarding case")
        verbose_name_plural = _("offboarding cases")
        ordering = ["-requested_at", "-pk"]
        permissions = [
            ("purge_offboardingcase", _("Can purge an account's data now")),
            ("manage_retention", _("Can extend retention and place or lift legal holds")),
            (
                "act_on_offboardingcase",
                _("Can reactivate, withdraw, resend and export for a case"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account_key"],
                condition=Q(closed_at__isnull=True),
                name="offboarding_case_one_open_per_account",
            ),
            models.CheckConstraint(
                condition=Q(state=S.SAVED, saved_as__gt="") | (~Q(state=S.SAVED) & Q(saved_as="")),
                name="offboarding_case_saved_has_kind",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=[S.SCHEDULED, S.ENDED, S.PURGED])
                | Q(boundary_at__isnull=False),
                name="offboarding_case_boundary_when_scheduled",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=sorted(FINAL_STATES)) | Q(closed_at__isnull=False),
                name="offboarding_case_final_states_closed",
            ),
            models.CheckConstraint(
                condition=Q(legal_hold=False) | ~Q(legal_hold_reason=""),
                name="offboarding_case_legal_hold_has_reason",
            ),
        ]
        indexes = [
            # Partial indexes keep each due-work query a short range scan, however many
            # closed cases pile up.
            models.Index(
                fields=["boundary_at", "id"],
                condition=Q(state=S.SCHEDULED),
                name="offboarding_boundary_due",
            ),
            models.Index(
                fields=["pause_ends_at", "id"],
                condition=Q(state=S.SAVED, closed_at__isnull=True),
                name="offboarding_pause_due",
            ),
            models.Index(
                fields=["retention_ends_at", "id"],
                condition=Q(state=S.ENDED, legal_hold=False, purge_started_at__isnull=True),
                name="offboarding_purge_due",
            ),
            models.Index(
                fields=["requested_at", "id"],
                condition=Q(state=S.REQUESTED),
                name="offboarding_abandon_due",
            ),
            models.Index(
                fields=["boundary_at", "id"],
                condition=Q(state=S.VAULTED, ended_at__isnull=True),
                name="offboarding_vault_boundary_due",
            ),
            models.Index(fields=["account_key", "-requested_at"], name="offboarding_case_account"),
            # Admin case list: its default order (newest first), its date hierarchy and its
            # flag filters read one page of an index instead of sorting every case
            # (measured in docs/benchmarks.md).
            models.Index(fields=["requested_at", "id"], name="offboarding_case_requested"),
            models.Index(
                fields=["requested_at", "id"],
                condition=Q(legal_hold=True) | Q(needs_attention=True),
                name="offboarding_case_flagged",
            ),
            # Notice cadences look for cases whose moment fell in a bounded window before
            # now (NOTICE_CATCH_UP). An index per moment keeps that a range read, however
            # many old cases there are.
            models.Index(fields=["confirmed_at"], name="offboarding_case_confirmed"),
            models.Index(fields=["boundary_at"], name="offboarding_case_boundary"),
            models.Index(fields=["retention_ends_at"], name="offboarding_case_retention_end"),
            models.Index(fields=["purged_at"], name="offboarding_case_purged"),
            models.Index(fields=["closed_at"], name="offboarding_case_closed"),
        ]

    def __str__(self) -> str:
        return f"{self.account_label or self.account_key} ({self.get_state_display()})"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def is_paused(self) -> bool:
        return self.state == S.SAVED and self.saved_as == SaveKind.PAUSED and self.is_open

    def has_product_access(self, at: datetime | None = None) -> bool:
        """Return whether the account's product access holds at ``at`` (the clock's now).

        Access ends at the boundary itself, decided by the clock rather than by when the
        boundary job happens to run.
        """
        at = at or clock.now()
        if self.state in (S.SCHEDULED, S.ENDED, S.PURGED, S.VAULTED):
            # A case vaulted before its boundary keeps the paid period it has.
            return self.boundary_at is not None and at < self.boundary_at
        return True

    def can(self, action: str) -> bool:
        return not self.transition_refusal(action)

    def transition_refusal(self, action: str, now: datetime | None = None) -> str:
        """Return why ``action`` is not allowed now, or ``""`` when it is."""
        sources = TRANSITIONS[action][0]
        if self.state not in sources:
            return f"allowed only from {', '.join(sorted(sources))}"
        return self._guard_failure(action, now or clock.now())

    def check_transition(self, action: str) -> None:
        """Raise :class:`IllegalTransition` unless ``action`` is allowed now."""
        why = self.transition_refusal(action)
        if why:
            raise IllegalTransition(self, action, why)

    def _guard_failure(self, action: str, now: datetime) -> str:
        """Return why ``action`` is not allowed beyond the state check, or ``""``."""
        if action == "confirm_cancel" and self.state == S.SAVED and not self.is_paused:
            return "only a paused save can turn into a cancellation"
        if action == "accept_save" and self.state == S.SCHEDULED and self._boundary() <= now:
            return "the boundary has passed"
        if action == "withdraw" and self._boundary() <= now:
            return "the boundary has passed; reactivate instead"
        if action == "reach_boundary" and self._boundary() > now:
            return f"the boundary is {self._boundary().isoformat()}"
        if action == "end_pause" and not self.is_paused:
            return "the case is not paused"
        if action in ("reactivate", "enter_vault") and self.purge_started_at is not None:
            return "the purge has started"
        if action == "complete_purge":
            if self.legal_hold:
                return "a legal hold is in place"
            if self.purge_started_at is None:
                return "the purge has not started"
        return ""

    def _boundary(self) -> datetime:
        """Return the boundary of a case that must have one, such as a scheduled case."""
        if self.boundary_at is None:
            raise ValueError(f"Case {self.public_id} is {self.state} but has no boundary.")
        return self.boundary_at

    def apply_transition(
        self,
        action: str,
        *,
        actor: Actor,
        reason: str = "",
        data: dict | None = None,
        **changes: Any,
    ) -> AuditEvent:
        """Move this case along ``action`` and write the audit event, in one transaction.

        The row is locked (``SELECT ... FOR UPDATE``) and re-read first, so two callers
        racing on one case apply at most one transition each from the state they see. An
        illegal transition raises :class:`IllegalTransition` and writes nothing.
        """
        if action not in TRANSITIONS:
            raise ValueError(
                f"Unknown transition {action!r}; expected one of {sorted(TRANSITIONS)}."
            )

        from offboarding import signals, steps

        with transaction.atomic():
            case = self._locked()
            target = TRANSITIONS[action][1]
            now = clock.now()
            why = case.transition_refusal(action, now)
            if why:
                raise IllegalTransition(case, action, why)

            source = case.state
            for name, value in changes.items():
                setattr(case, name, value)
            case.state = target
            closes_now = (
                target in FINAL_STATES
                or action == "end_pause"
                or (target == S.SAVED and case.saved_as != SaveKind.PAUSED)
            )
            if closes_now:
                case.closed_at = case.closed_at or now
            case.save()

            event = AuditEvent.append(
                case,
                action=action,
                from_state=source,
                to_state=target,
                actor=actor,
                reason=reason,
                data=data or {},
                occurred_at=now,
            )
            moment = MOMENT_OF_TRANSITION[action]
            steps.enqueue_moment(case, moment)
            transaction.on_commit(
                lambda: signals.send_transition(case, action, source, target, actor, moment)
            )

        self._copy_from(case)
        logger.info("Case %s: %s, %s -> %s", case.public_id, action, source, target)
        return event

    def _locked(self) -> OffboardingCase:
        """Return this case's row locked for the current transaction (or self if unsaved)."""
        if self.pk is None:
            return self
        return type(self).objects.select_for_update().get(pk=self.pk)

    def _copy_from(self, other: OffboardingCase) -> None:
        if other is not self:
            for field in self._meta.concrete_fields:
                setattr(self, field.attname, getattr(other, field.attname))

    def record(
        self,
        action: str,
        *,
        actor: Actor,
        reason: str = "",
        data: dict | None = None,
        **changes: Any,
    ) -> AuditEvent:
        """Change fields other than the state (legal hold, retention) and audit the change."""
        with transaction.atomic():
            case = self._locked()
            for name, value in changes.items():
                setattr(case, name, value)
            if changes:
                case.save(update_fields=[*changes, "updated_at"])
            event = AuditEvent.append(
                case,
                action=action,
                from_state=case.state,
                to_state=case.state,
                actor=actor,
                reason=reason,
                data=data or {},
                occurred_at=clock.now(),
            )
        self._copy_from(case)
        logger.info("Case %s: %s", case.public_id, action)
        return event


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("Audit events are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("Audit events are append-only.")


class AuditEvent(models.Model):
    """One append-only entry of a case's audit trail.

    Each event stores the SHA-256 of its own content and of the event before it, so
    changing or removing any event breaks the chain that :meth:`verify_chain` walks.
    """

    GENESIS_HASH = "0" * 64

    case = models.ForeignKey(OffboardingCase, on_delete=models.PROTECT, related_name="events")
    sequence = models.PositiveIntegerField(_("sequence"))
    action = models.CharField(_("action"), max_length=48)
    from_state = models.CharField(_("from"), max_length=16)
    to_state = models.CharField(_("to"), max_length=16)
    actor_kind = models.CharField(_("actor"), max_length=16, choices=ActorKind.choices)
    actor_id = models.CharField(_("actor user id"), max_length=64, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    occurred_at = models.DateTimeField(_("occurred"))
    recorded_at = models.DateTimeField(_("recorded"))
    previous_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["case", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "sequence"], name="offboarding_auditevent_sequence_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} ({self.from_state} -> {self.to_state})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise TypeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("Audit events are append-only.")

    def content(self) -> dict[str, Any]:
        return {
            "case": self.case.public_id,
            "sequence": self.sequence,
            "action": self.action,
            "from": self.from_state,
            "to": self.to_state,
            "actor_kind": self.actor_kind,
            "actor_id": self.actor_id,
            "reason": self.reason,
            "data": self.data,
            "occurred_at": self.occurred_at.isoformat(),
            "recorded_at": self.recorded_at.isoformat(),
        }

    def compute_hash(self) -> str:
        payload = json.dumps(self.content(), sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256((self.previous_hash + payload).encode()).hexdigest()

    @classmethod
    def append(
        cls,
        case: OffboardingCase,
        *,
        action: str,
        from_state: str,
        to_state: str,
        actor: Actor,
        reason: str,
        data: dict,
        occurred_at: datetime,
    ) -> AuditEvent:
        last = (
            cls.objects.filter(case=case)
            .order_by("-sequence")
            .values_list("sequence", "hash")
            .first()
        )
        sequence, previous_hash = (last[0] + 1, last[1]) if last else (1, cls.GENESIS_HASH)
        event = cls(
            case=case,
            sequence=sequence,
            action=action,
            from_state=from_state,
            to_state=to_state,
            actor_kind=actor.kind,
            actor_id=actor.user_id,
            reason=reason,
            data=data,
            occurred_at=occurred_at,
            # Microseconds are dropped so the hash survives databases that store less.
            recorded_at=timezone.now().replace(microsecond=0),
            previous_hash=previous_hash,
        )
        event.occurred_at = occurred_at.replace(microsecond=0)
        event.hash = event.compute_hash()
        event.save()
        return event

    @classmethod
    def append_many(cls, events: list[AuditEvent]) -> list[AuditEvent]:
        """Chain and insert unsaved events of several cases with one read and one insert.

        Each event needs its case (the instance), action, states, actor, data and
        ``occurred_at``; events of one case are chained in list order. As with
        :meth:`append`, the caller's transaction must hold the row lock of every case.
        """
        latest = cls.objects.filter(case=OuterRef("case")).order_by("-sequence")
        heads = {
            case_id: (sequence, hash_)
            for case_id, sequence, hash_ in cls.objects.filter(
                case_id__in={event.case_id for event in events},
                sequence=Subquery(latest.values("sequence")[:1]),
            ).values_list("case_id", "sequence", "hash")
        }
        recorded_at = timezone.now().replace(microsecond=0)
        for event in events:
            sequence, previous_hash = heads.get(event.case_id, (0, cls.GENESIS_HASH))
            event.sequence = sequence + 1
            event.previous_hash = previous_hash
            event.recorded_at = recorded_at
            event.occurred_at = event.occurred_at.replace(microsecond=0)
            event.hash = event.compute_hash()
            heads[event.case_id] = (event.sequence, event.hash)
        return cls.objects.bulk_create(events)

    @classmethod
    def verify_chain(cls, case: OffboardingCase) -> tuple[bool, int | None]:
        """Return (True, None) for an intact chain, else (False, first bad sequence)."""
        previous_hash = cls.GENESIS_HASH
        expected_sequence = 1
        for event in cls.objects.filter(case=case).select_related("case").order_by("sequence"):
            if event.sequence != expected_sequence or event.previous_hash != previous_hash:
                return False, event.sequence
            if event.compute_hash() != event.hash:
                return False, event.sequence
            previous_hash = event.hash
            expected_sequence += 1
        return True, None

    @classmethod
    def chain_head(cls, case: OffboardingCase) -> str:
        last = cls.objects.filter(case=case).order_by("-sequence").values_list("hash", flat=True)
        return last.first() or cls.GENESIS_HASH


class CaseStep(models.Model):
    """One handler's run at one lifecycle moment of a case: claimed, retried, recorded."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    case = models.ForeignKey(OffboardingCase, on_delete=models.PROTECT, related_name="steps")
    moment = models.CharField(_("moment"), max_length=32)
    handler = models.CharField(_("handler"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    lease_expires_at = models.DateTimeField(_("lease expires"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("case step")
        verbose_name_plural = _("case steps")
        ordering = ["case", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "moment", "handler"], name="offboarding_casestep_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(status__in=["pending", "running"]),
                name="offboarding_step_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.moment}: {self.handler} ({self.status})"
