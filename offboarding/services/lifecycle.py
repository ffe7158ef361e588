"""Lifecycle workflows: the one core that views, admin actions, tasks and commands call.

Each function locks the case, asks the billing backend to act, and applies the matching
transition in the same database transaction, so a refused transition leaves billing and
case unchanged when billing is the local ledger. External billing backends are called
with idempotent operations, so a retry after a failure converges.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction

from offboarding import clock, signals, steps
from offboarding.adapter import get_adapter
from offboarding.billing.base import SubscriptionInfo
from offboarding.conf import app_settings
from offboarding.models import (
    Actor,
    AuditEvent,
    CaseState,
    IllegalTransition,
    OffboardingCase,
    SaveKind,
)

logger = logging.getLogger(__name__)


class CaseAlreadyOpen(Exception):
    """The account already has an open case; its public id is in ``case``."""

    def __init__(self, case: OffboardingCase) -> None:
        self.case = case
        super().__init__(f"Account {case.account_key} already has open case {case.public_id}.")


def _locked(case: OffboardingCase) -> OffboardingCase:
    return OffboardingCase.objects.select_for_update().get(pk=case.pk)


def _account(case: OffboardingCase) -> Any:
    return get_adapter().get_account(case.account_key)


# Opening a case


def open_case(account: Any, user: Any, *, actor: Actor | None = None) -> OffboardingCase:
    """Open a case for ``account``, or return the open one; a double submit opens one case."""
    adapter = get_adapter()
    account_key = adapter.get_account_key(account)
    existing = OffboardingCase.objects.open().for_account(account_key).first()
    if existing is not None:
        return existing

    billing = adapter.get_billing_backend()
    subscription = billing.get_subscription(account_key, clock.now())
    actor = actor or Actor.customer(user)
    try:
        with transaction.atomic():
            case = OffboardingCase.objects.create(
                account_key=account_key,
                account_label=adapter.get_account_label(account)[:200],
                jurisdiction=adapter.get_jurisdiction(account),
                plan_code=subscription.plan_code,
                plan_name=subscription.plan_name,
                requested_by=str(getattr(user, "pk", "") or ""),
                requested_at=clock.now(),
            )
            AuditEvent.append(
                case,
                action="request",
                from_state="",
                to_state=case.state,
                actor=actor,
                reason="",
                data={"plan": subscription.plan_code},
                occurred_at=case.requested_at,
            )
            steps.enqueue_moment(case, "requested")
            transaction.on_commit(
                lambda: signals.case_requested.send(sender=OffboardingCase, case=case, actor=actor)
            )
    except IntegrityError:
        # A concurrent request opened the case first; the partial unique index decided.
        existing = OffboardingCase.objects.open().for_account(account_key).first()
        if existing is None:
            raise
        return existing
    logger.info("Case %s opened for account %s", case.public_id, account_key)
    return case


def subscription_of(case: OffboardingCase) -> SubscriptionInfo:
    return get_adapter().get_billing_backend().get_subscription(case.account_key, clock.now())


# Customer decisions


def confirm_cancellation(
    case: OffboardingCase, *, actor: Actor, immediately: bool = False, reason: str = ""
) -> OffboardingCase:
    """Confirm the cancellation: access ends at the period end, or now if ``immediately``."""
    if immediately and not app_settings.ALLOW_IMMEDIATE_CANCEL:
        raise IllegalTransition(case, "confirm_cancel", "immediate cancellation is not offered")
    billing = get_adapter().get_billing_backend()
    now = clock.now()
    with transaction.atomic():
        case = _locked(case)
        case.check_transition("confirm_cancel")
        if case.is_paused:
            billing.resume(case.account_key, now)
        boundary = billing.cancel(case.account_key, immediately=immediately, now=now)
        case.apply_transition(
            "confirm_cancel",
            actor=actor,
            reason=reason,
            data={"immediately": immediately, "boundary": boundary.isoformat()},
            boundary_at=boundary,
            confirmed_at=now,
            immediate=immediately,
            saved_as="",
            pause_ends_at=None,
        )
    if immediately:
        reach_boundary(case)
    return case


def withdraw(case: OffboardingCase, *, actor: Actor, reason: str = "") -> OffboardingCase:
    """Undo a pending cancellation before the boundary: nothing changes for the customer."""
    billing = get_adapter().get_billing_backend()
    with transaction.atomic():
        case = _locked(case)
        case.check_transition("withdraw")
        billing.undo_cancel(case.account_key, clock.now())
        case.apply_transition("withdraw", actor=actor, reason=reason)
    return case


def accept_pause(case: OffboardingCase, *, days: int, actor: Actor) -> OffboardingCase:
    if days not in app_settings.PAUSE_DAYS:
        raise ValueError(
            f"A pause of {days} days is not offered; offered: {app_settings.PAUSE_DAYS}."
        )
    billing = get_adapter().get_billing_backend()
    now = clock.now()
    until = now + timedelta(days=days)
    with transaction.atomic():
        case = _locked(case)
        _check(case, "accept_save")
        billing.pause(case.account_key, until=until, now=now)
        case.apply_transition(
            "accept_save",
            actor=actor,
            data={"offer": "pause", "days": days},
            saved_as=SaveKind.PAUSED,
            pause_ends_at=until,
            boundary_at=None,
        )
    return case


def accept_discount(
    case: OffboardingCase, *, percent: int, months: int, actor: Actor
) -> OffboardingCase:
    billing = get_adapter().get_billing_backend()
    with transaction.atomic():
        case = _locked(case)
        _check(case, "accept_save")
        billing.apply_discount(case.account_key, percent=percent, months=months, now=clock.now())
        case.apply_transition(
            "accept_save",
            actor=actor,
            data={"offer": "discount", "percent": percent, "months": months},
            saved_as=SaveKind.DISCOUNTED,
            boundary_at=None,
        )
    return case


def accept_downgrade(case: OffboardingCase, *, plan_code: str, actor: Actor) -> OffboardingCase:
    billing = get_adapter().get_billing_backend()
    with transaction.atomic():
        case = _locked(case)
        _check(case, "accept_save")
        if case.state == CaseState.SCHEDULED:
            billing.undo_cancel(case.account_key, clock.now())
        billing.downgrade(case.account_key, plan_code=plan_code, now=clock.now())
        case.apply_transition(
            "accept_save",
            actor=actor,
            data={"offer": "downgrade", "plan": plan_code},
            saved_as=SaveKind.DOWNGRADED,
            boundary_at=None,
        )
    return case


def end_pause(case: OffboardingCase, *, actor: Actor) -> OffboardingCase:
    """Resume billing after a pause, early (customer) or on the day (scheduled job)."""
    billing = get_adapter().get_billing_backend()
    with transaction.atomic():
        case = _locked(case)
        _check(case, "end_pause")
        billing.resume(case.account_key, clock.now())
        case.apply_transition("end_pause", actor=actor)
    return case


def enter_vault(case: OffboardingCase, *, actor: Actor) -> OffboardingCase:
    """Move to the free, read-only data vault: billing ends at the period end, data stays."""
    billing = get_adapter().get_billing_backend()
    now = clock.now()
    with transaction.atomic():
        case = _locked(case)
        _check(case, "enter_vault")
        changes: dict[str, Any] = {"vaulted_at": now, "retention_ends_at": None}
        if case.boundary_at is None:
            changes["boundary_at"] = billing.cancel(case.account_key, immediately=False, now=now)
            changes["confirmed_at"] = now
        case.apply_transition("enter_vault", actor=actor, **changes)
    return case


def leave_vault(case: OffboardingCase, *, actor: Actor) -> OffboardingCase:
    """Leave the vault without reactivating: a new retention window starts now."""
    now = clock.now()
    with transaction.atomic():
        case = _locked(case)
        days = _retention_days(case)
        case.apply_transition(
            "leave_vault",
            actor=actor,
            retention_days=days,
            retention_starts_at=now,
            retention_ends_at=now + timedelta(days=days),
            ended_at=case.ended_at or now,
        )
    return case


def reactivate(
    case: OffboardingCase, *, actor: Actor, plan_code: str | None = None, reason: str = ""
) -> OffboardingCase:
    """Restore the account after the boundary and before the purge; API keys stay revoked."""
    billing = get_adapter().get_billing_backend()
    now = clock.now()
    with transaction.atomic():
        case = _locked(case)
        _check(case, "reactivate")
        billing.reactivate(
            case.account_key, plan_code=plan_code or case.plan_code or None, now=now
        )
        case.apply_transition("reactivate", actor=actor, reason=reason)
    account = _account(case)
    if account is not None:
        get_adapter().on_access_restored(account)
    return case


# Scheduled moments


def reach_boundary(case: OffboardingCase) -> OffboardingCase:
    """End access at the boundary and open the retention window (scheduled job)."""
    with transaction.atomic():
        case = _locked(case)
        _check(case, "reach_boundary")
        if case.boundary_at is None:
            raise ValueError(f"Case {case.public_id} is {case.state} but has no boundary.")
        days = _retention_days(case)
        _close_billing(case)
        case.apply_transition(
            "reach_boundary",
            actor=Actor.system(),
            ended_at=clock.now(),
            retention_days=days,
            retention_starts_at=case.boundary_at,
            retention_ends_at=case.boundary_at + timedelta(days=days),
        )
    return case


def reach_boundary_in_vault(case: OffboardingCase) -> OffboardingCase:
    """Run the boundary's work for a case that moved into the vault before its boundary.

    The state stays ``vaulted``; the paid period still ends, so billing is closed and the
    "boundary_reached" steps (revocation, final invoice) run as for any other case.
    """
    with transaction.atomic():
        case = _locked(case)
        if case.state != CaseState.VAULTED or case.ended_at is not None:
            raise IllegalTransition(
                case, "reach_boundary_in_vault", "not a vaulted case before its boundary"
            )
        if case.boundary_at is None or case.boundary_at > clock.now():
            raise IllegalTransition(case, "reach_boundary_in_vault", "the boundary has not come")
        _close_billing(case)
        case.record("boundary_reached_in_vault", actor=Actor.system(), ended_at=clock.now())
        steps.enqueue_moment(case, "boundary_reached")
    return case


def abandon(case: OffboardingCase) -> OffboardingCase:
    with transaction.atomic():
        case = _locked(case)
        case.apply_transition("abandon", actor=Actor.system())
    return case


def start_purge(case: OffboardingCase) -> OffboardingCase:
    """Claim a case whose retention window is over and queue its purge steps."""
    now = clock.now()
    with transaction.atomic():
        case = _locked(case)
        if case.state != CaseState.ENDED or case.legal_hold or case.purge_started_at is not None:
            raise IllegalTransition(
                case, "start_purge", purge_refusal(case, now) or "already started"
            )
        if case.retention_ends_at is None or case.retention_ends_at > now:
            raise IllegalTransition(case, "start_purge", purge_refusal(case, now))
        case.record("purge_started", actor=Actor.system(), purge_started_at=now)
        queued = steps.enqueue_moment(case, "retention_over")
    if not queued:
        complete_purge(case)
    return case


def complete_purge(case: OffboardingCase) -> OffboardingCase:
    with transaction.atomic():
        case = _locked(case)
        if case.state == CaseState.PURGED:
            return case
        case.apply_transition("complete_purge", actor=Actor.system(), purged_at=clock.now())
    return case


def purge_refusal(case: OffboardingCase, now: datetime | None = None) -> str:
    """Return why ``case`` may not be purged at ``now``, or ``""`` when it may."""
    now = now or clock.now()
    if case.state == CaseState.VAULTED:
        return "the account is in the data vault"
    if case.state == CaseState.REACTIVATED:
        return "the account was reactivated"
    if case.state == CaseState.PURGED:
        return "the account is already purged"
    if case.state != CaseState.ENDED:
        return f"the case is {case.state}, not ended"
    if case.legal_hold:
        return "a legal hold is in place"
    if case.retention_ends_at is None:
        return "the retention window has not started"
    if now < case.retention_ends_at:
        return f"the retention window ends {case.retention_ends_at.isoformat()}"
    return ""


# Staff decisions


def extend_retention(
    case: OffboardingCase, *, days: int, actor: Actor, reason: str
) -> OffboardingCase:
    if days < 1:
        raise ValueError(f"Extend the retention window by at least 1 day, not {days}.")
    if not reason.strip():
        raise ValueError("A reason is required to extend a retention window.")
    with transaction.atomic():
        case = _locked(case)
        if case.state != CaseState.ENDED or case.purge_started_at is not None:
            raise IllegalTransition(
                case, "extend_retention", "only an ended case before its purge"
            )
        if case.retention_ends_at is None:
            raise ValueError(f"Ended case {case.public_id} has no retention window end.")
        new_end = case.retention_ends_at + timedelta(days=days)
        case.record(
            "retention_extended",
            actor=actor,
            reason=reason,
            data={
                "days": days,
                "from": case.retention_ends_at.isoformat(),
                "to": new_end.isoformat(),
            },
            retention_ends_at=new_end,
            retention_days=(case.retention_days or 0) + days,
        )
    return case


def place_legal_hold(case: OffboardingCase, *, actor: Actor, reason: str) -> OffboardingCase:
    if not reason.strip():
        raise ValueError("A reason is required to place a legal hold.")
    with transaction.atomic():
        case = _locked(case)
        if case.state == CaseState.PURGED:
            raise IllegalTransition(case, "place_legal_hold", "the account is already purged")
        if case.legal_hold:
            return case
        case.record(
            "legal_hold_placed",
            actor=actor,
            reason=reason,
            legal_hold=True,
            legal_hold_reason=reason,
        )
    return case


def lift_legal_hold(case: OffboardingCase, *, actor: Actor, reason: str) -> OffboardingCase:
    if not reason.strip():
        raise ValueError("A reason is required to lift a legal hold.")
    with transaction.atomic():
        case = _locked(case)
        if not case.legal_hold:
            return case
        case.record(
            "legal_hold_lifted", actor=actor, reason=reason, legal_hold=False, legal_hold_reason=""
        )
    return case


# Helpers


def _check(case: OffboardingCase, action: str) -> None:
    case.check_transition(action)


def _retention_days(case: OffboardingCase) -> int:
    if case.retention_days:
        return case.retention_days
    adapter = get_adapter()
    account = _account(case)
    if account is None:
        return adapter.get_plan_retention_days(case.plan_code)
    return adapter.get_retention_days(account, case.plan_code)


def _close_billing(case: OffboardingCase) -> None:
    billing = get_adapter().get_billing_backend()
    close = getattr(billing, "close", None)
    if close is not None:
        close(case.account_key, clock.now())
