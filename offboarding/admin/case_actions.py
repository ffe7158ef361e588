"""Staff actions on cases: the form each one shows, the permission it needs, what it calls.

Every action takes a reason and is audited with the staff member as the actor. The
workflows themselves live in :mod:`offboarding.services.lifecycle`; this module only
composes them, so the admin sets no state by hand.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from offboarding import clock
from offboarding.models import Actor, CaseState, IllegalTransition, OffboardingCase
from offboarding.models.notices import OutboxMessage, OutboxStatus
from offboarding.notices import sending
from offboarding.purge.certificate import issue_certificate
from offboarding.services import lifecycle

logger = logging.getLogger(__name__)

# Permission codenames of the app that the actions need (defined in OffboardingCase.Meta).
MANAGE_RETENTION = "manage_retention"
ACT_ON_CASE = "act_on_offboardingcase"
PURGE = "purge_offboardingcase"

# Notices that staff may send again; pending and sending ones are on their way already.
RESENDABLE = [OutboxStatus.FAILED, OutboxStatus.CANCELLED, OutboxStatus.SENT]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Stored in the case's audit trail with your user id."),
    )


class ExtendRetentionForm(ReasonForm):
    days = forms.IntegerField(
        label=_("Days"),
        min_value=1,
        max_value=3650,
        help_text=_("Days added to the end of the retention window."),
    )

    field_order = ["days", "reason"]


class PurgeNowForm(ReasonForm):
    confirm = forms.BooleanField(
        label=_("I understand that the account's data is deleted for good."),
        required=True,
    )


class ResendNoticeForm(ReasonForm):
    message = forms.ModelChoiceField(
        label=_("Notice"),
        queryset=OutboxMessage.objects.none(),
        help_text=_("A sent, failed or cancelled notice of this case; it is sent again."),
    )

    field_order = ["message", "reason"]

    def bind_case(self, case: OffboardingCase) -> None:
        field = self.fields["message"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = resendable_notices(case)


def resendable_notices(case: OffboardingCase) -> Any:
    return OutboxMessage.objects.filter(case_id=case.pk, status__in=RESENDABLE).order_by(
        "-created_at", "-pk"
    )


@dataclass(frozen=True)
class CaseAction:
    """One staff action: its URL name, label, permission, form and the workflow it runs."""

    name: str
    label: Any
    permission: str
    form_class: type[ReasonForm]
    run: Callable[[OffboardingCase, Actor, dict[str, Any]], Any]
    # Whether the button makes sense for the case as it is; the workflow still decides.
    offered: Callable[[OffboardingCase], bool]
    # Shown after success instead of "<label>: done."
    done_message: Any = None


def purge_now_refusal(case: OffboardingCase, now: datetime | None = None) -> str:
    """Return why staff may not purge ``case`` now, or ``""``, whatever its retention window."""
    if case.purge_started_at is not None:
        return gettext("the purge has already started")
    now = now or clock.now()
    return lifecycle.purge_refusal(case, max(now, case.retention_ends_at or now))


def purge_now(case: OffboardingCase, *, actor: Actor, reason: str) -> OffboardingCase:
    """End the retention window now and start the purge, in one transaction.

    The staff decision is audited first ("retention_ended_by_staff"); if the purge is not
    allowed (legal hold, data vault, not ended, already started), nothing is written.
    """
    if not reason.strip():
        raise ValueError("A reason is required to purge an account's data now.")
    now = clock.now()
    with transaction.atomic():
        locked = OffboardingCase.objects.select_for_update().get(pk=case.pk)
        refusal = purge_now_refusal(locked, now)
        if refusal:
            raise IllegalTransition(locked, "purge_now", refusal)
        # An ended case always has a retention end; purge_now_refusal rejects any other.
        scheduled_end = locked.retention_ends_at
        assert scheduled_end is not None

        new_end = min(scheduled_end, now)
        locked.record(
            "retention_ended_by_staff",
            actor=actor,
            reason=reason,
            data={"from": scheduled_end.isoformat(), "to": new_end.isoformat()},
            retention_ends_at=new_end,
        )
        lifecycle.start_purge(locked)
    logger.info("Case %s: purge started by staff user %s", locked.public_id, actor.user_id)
    return locked


def _extend(case: OffboardingCase, actor: Actor, data: dict[str, Any]) -> None:
    lifecycle.extend_retention(case, days=data["days"], actor=actor, reason=data["reason"])


def _place_hold(case: OffboardingCase, actor: Actor, data: dict[str, Any]) -> None:
    if case.legal_hold:
        raise IllegalTransition(
            case, "place_legal_hold", gettext("a legal hold is already in place")
        )
    lifecycle.place_legal_hold(case, actor=actor, reason=data["reason"])


def _lift_hold(case: OffboardingCase, actor: Actor, data: dict[str, Any]) -> None:
    if not case.legal_hold:
        raise IllegalTransition(case, "lift_legal_hold", gettext("no legal hold is in place"))
    lifecycle.lift_legal_hold(case, actor=actor, reason=data["reason"])


def _reactivate(case: OffboardingCase, actor: Actor, data: dict[str, Any]) -> None:
    lifecycle.reactivate(case, actor=actor, reason=data["reason"])


def _withdraw(case: OffboardingCase, actor: Actor, data: dict[str, Any]) -> None:
    lifecycle.withdraw(case, actor=actor, reason=data["reason"])


def _resend(case: OffboardingCase, actor: Actor, data: dict[str, Any]) -> None:
    message = data["message"]
    if message.case_id != case.pk:
        raise ValueError(f"Notice {message.pk} belongs to another case.")
    with transaction.atomic():
        sending.resend(message, actor=actor)
        # The resend's own audit event carries no reason, so the staff reason follows it.
        case.record(
            "notice_resend_reason", actor=actor, reason=data["reason"], data={"key": message.key}
        )


def _purge(case: OffboardingCase, actor: Actor, data: dict[str, Any]) -> None:
    purge_now(case, actor=actor, reason=data["reason"])


def reissue_certificate(case: OffboardingCase, *, actor: Actor, reason: str) -> None:
    """Write the deletion certificate's files again from its stored content, and audit it.

    The certificate's content (and its SHA-256) never changes; only ``times_issued`` grows.
    """
    if case.state != CaseState.PURGED:
        raise IllegalTransition(case, "reissue_certificate", gettext("the account is not purged"))
    certificate = issue_certificate(case)
    case.record(
        "deletion_certificate_reissued",
        actor=actor,
        reason=reason,
        data={"sha256": certificate.sha256, "times_issued": certificate.times_issued},
    )


def _reissue(case: OffboardingCase, actor: Actor, data: dict[str, Any]) -> None:
    reissue_certificate(case, actor=actor, reason=data["reason"])


ACTIONS: dict[str, CaseAction] = {
    action.name: action
    for action in [
        CaseAction(
            "extend_retention",
            _("Extend the retention window"),
            MANAGE_RETENTION,
            ExtendRetentionForm,
            _extend,
            offered=lambda case: case.state == CaseState.ENDED and case.purge_started_at is None,
        ),
        CaseAction(
            "place_legal_hold",
            _("Place a legal hold"),
            MANAGE_RETENTION,
            ReasonForm,
            _place_hold,
            offered=lambda case: not case.legal_hold and case.state != CaseState.PURGED,
        ),
        CaseAction(
            "lift_legal_hold",
            _("Lift the legal hold"),
            MANAGE_RETENTION,
            ReasonForm,
            _lift_hold,
            offered=lambda case: case.legal_hold,
        ),
        CaseAction(
            "reactivate",
            _("Reactivate the account"),
            ACT_ON_CASE,
            ReasonForm,
            _reactivate,
            offered=lambda case: case.can("reactivate"),
        ),
        CaseAction(
            "withdraw",
            _("Withdraw the pending cancellation"),
            ACT_ON_CASE,
            ReasonForm,
            _withdraw,
            offered=lambda case: case.can("withdraw"),
        ),
        CaseAction(
            "resend_notice",
            _("Send a notice again"),
            ACT_ON_CASE,
            ResendNoticeForm,
            _resend,
            offered=lambda case: resendable_notices(case).exists(),
        ),
        CaseAction(
            "purge_now",
            _("Purge now"),
            PURGE,
            PurgeNowForm,
            _purge,
            offered=lambda case: purge_now_refusal(case) == "",
            done_message=_(
                "The purge has started. The case moves to purged when every purge step is done."
            ),
        ),
        CaseAction(
            "reissue_certificate",
            _("Issue the deletion certificate again"),
            MANAGE_RETENTION,
            ReasonForm,
            _reissue,
            offered=lambda case: case.state == CaseState.PURGED,
        ),
    ]
}


def register_action(action: CaseAction) -> None:
    """Add an action offered by another part of the app (a notice resend, an export)."""
    ACTIONS[action.name] = action


def run_action(action: CaseAction, case: OffboardingCase, user: Any, data: dict[str, Any]) -> str:
    """Run ``action`` on ``case`` for staff ``user``; return "" or why it was rejected.

    A rejected action changes nothing: the workflows raise before they write.
    """
    try:
        action.run(case, Actor.staff(user), data)
    except (IllegalTransition, ValueError) as error:
        rejection = getattr(error, "why", None) or str(error)
        logger.warning(
            "Case %s: %s rejected for staff user %s", case.public_id, action.name, user.pk
        )
        return rejection
    logger.info("Case %s: %s by staff user %s", case.public_id, action.name, user.pk)
    return ""
