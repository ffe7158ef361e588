from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from offboarding import jobs
from offboarding.models import (
    Actor,
    AuditEvent,
    CaseState,
    IllegalTransition,
    LedgerSubscription,
    OffboardingCase,
    SaveKind,
)
from offboarding.models.cases import TRANSITIONS, new_public_id
from offboarding.services import lifecycle
from offboarding.signals import case_transitioned
from tests.conftest import utc


def cancel_at_period_end(user):
    case = lifecycle.open_case(user, user)
    return lifecycle.confirm_cancellation(case, actor=Actor.customer(user))


def test_cancel_sets_boundary_at_period_end(customer, frozen_clock):
    case = cancel_at_period_end(customer)
    assert case.state == CaseState.SCHEDULED
    assert case.boundary_at == utc(2024, 3, 31, 10)
    assert case.confirmed_at == utc(2024, 3, 5, 12)


def test_access_holds_until_boundary_by_the_clock(customer, frozen_clock):
    case = cancel_at_period_end(customer)

    frozen_clock.at(utc(2024, 3, 31, 9, 59, 59))
    assert case.has_product_access() is True

    frozen_clock.at(utc(2024, 3, 31, 10, 0, 0))
    # No job has run yet: the clock alone decides.
    assert OffboardingCase.objects.get(pk=case.pk).state == CaseState.SCHEDULED
    assert case.has_product_access() is False


def test_boundary_job_ends_case_at_boundary_only(customer, frozen_clock):
    case = cancel_at_period_end(customer)

    frozen_clock.at(utc(2024, 3, 31, 9, 59, 59))
    assert jobs.scan_due_work().counts["boundaries"] == 0

    frozen_clock.at(utc(2024, 3, 31, 10))
    assert jobs.scan_due_work().counts["boundaries"] == 1
    case.refresh_from_db()
    assert case.state == CaseState.ENDED
    assert case.retention_ends_at == utc(2024, 4, 30, 10)
    assert LedgerSubscription.objects.get(account_key=case.account_key).status == "canceled"


def test_retention_window_ends_to_the_second(april_customer, frozen_clock, settings):
    settings.OFFBOARDING = {
        "CLOCK": "database",
        "BUILTIN_STEP_HANDLERS": False,
        "STEP_HANDLERS": {"retention_over": ["tests.core.hooks.remember"]},
    }
    frozen_clock.at(utc(2024, 3, 10))
    case = cancel_at_period_end(april_customer)
    assert case.boundary_at == utc(2024, 4, 1)

    frozen_clock.at(utc(2024, 4, 1))
    jobs.scan_due_work()
    case.refresh_from_db()
    assert case.retention_starts_at == utc(2024, 4, 1)
    assert case.retention_ends_at == utc(2024, 5, 1)

    frozen_clock.at(utc(2024, 4, 30, 23, 59, 59))
    assert jobs.scan_due_work().counts["purges"] == 0
    case.refresh_from_db()
    assert case.state == CaseState.ENDED
    assert lifecycle.purge_refusal(case).startswith("the retention window ends")

    frozen_clock.at(utc(2024, 5, 1))
    assert jobs.scan_due_work().counts["purges"] == 1
    case.refresh_from_db()
    assert case.state == CaseState.PURGED
    assert case.purged_at == utc(2024, 5, 1)


def test_open_case_twice_returns_same_case(customer):
    first = lifecycle.open_case(customer, customer)
    second = lifecycle.open_case(customer, customer)
    assert first.pk == second.pk
    assert OffboardingCase.objects.count() == 1


def test_database_allows_one_open_case_per_account(customer):
    lifecycle.open_case(customer, customer)
    with pytest.raises(IntegrityError), transaction.atomic():
        OffboardingCase.objects.create(account_key=str(customer.pk), requested_at=utc(2024, 3, 5))


def test_illegal_transition_raises_and_writes_nothing(customer):
    case = lifecycle.open_case(customer, customer)
    events_before = AuditEvent.objects.count()
    with pytest.raises(IllegalTransition, match="cannot reactivate from 'requested'"):
        lifecycle.reactivate(case, actor=Actor.customer(customer))
    case.refresh_from_db()
    assert case.state == CaseState.REQUESTED
    assert AuditEvent.objects.count() == events_before


def test_unknown_transition_is_rejected(customer):
    case = lifecycle.open_case(customer, customer)
    with pytest.raises(ValueError, match="Unknown transition 'explode'"):
        case.apply_transition("explode", actor=Actor.system())


def test_withdraw_after_boundary_is_refused(customer, frozen_clock):
    case = cancel_at_period_end(customer)
    frozen_clock.at(utc(2024, 3, 31, 10))
    with pytest.raises(IllegalTransition, match="reactivate instead"):
        lifecycle.withdraw(case, actor=Actor.customer(customer))
    assert LedgerSubscription.objects.get().cancel_at == utc(2024, 3, 31, 10)


def test_withdraw_before_boundary_keeps_subscription(customer):
    case = cancel_at_period_end(customer)
    case = lifecycle.withdraw(case, actor=Actor.customer(customer))
    assert case.state == CaseState.WITHDRAWN
    assert case.closed_at is not None
    assert LedgerSubscription.objects.get().cancel_at is None


def test_every_transition_is_audited_in_a_chain(customer, frozen_clock):
    case = cancel_at_period_end(customer)
    frozen_clock.at(utc(2024, 3, 31, 10))
    jobs.scan_due_work()
    lifecycle.reactivate(case, actor=Actor.customer(customer))

    # Other parts add their own events (notices sent, revocations); these are the transitions.
    lifecycle_actions = ["request", *TRANSITIONS]
    actions = list(
        case.events.filter(action__in=lifecycle_actions).values_list(
            "action", "from_state", "to_state", "actor_kind"
        )
    )
    assert actions == [
        ("request", "", "requested", "customer"),
        ("confirm_cancel", "requested", "scheduled", "customer"),
        ("reach_boundary", "scheduled", "ended", "system"),
        ("reactivate", "ended", "reactivated", "customer"),
    ]
    assert AuditEvent.verify_chain(case) == (True, None)


def test_tampered_audit_event_breaks_chain(customer):
    case = cancel_at_period_end(customer)
    event = case.events.get(action="confirm_cancel")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditEvent._meta.db_table} SET reason = %s WHERE id = %s",
            ["edited later", event.pk],
        )
    assert AuditEvent.verify_chain(case) == (False, event.sequence)


def test_removed_audit_event_breaks_chain(customer):
    case = cancel_at_period_end(customer)
    first = case.events.get(sequence=1)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [first.pk])
    assert AuditEvent.verify_chain(case) == (False, 2)


def test_audit_events_are_append_only(customer):
    case = cancel_at_period_end(customer)
    event = case.events.first()
    with pytest.raises(TypeError, match="append-only"):
        event.save()
    with pytest.raises(TypeError, match="append-only"):
        event.delete()
    with pytest.raises(TypeError, match="append-only"):
        AuditEvent.objects.filter(case=case).update(reason="x")
    with pytest.raises(TypeError, match="append-only"):
        AuditEvent.objects.filter(case=case).delete()


def test_signal_is_sent_after_commit(customer, django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, **kwargs):
        received.append(
            (kwargs["action"], kwargs["from_state"], kwargs["to_state"], kwargs["moment"])
        )

    case_transitioned.connect(receiver)
    try:
        case = lifecycle.open_case(customer, customer)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            lifecycle.confirm_cancellation(case, actor=Actor.customer(customer))
        assert received == []
        for callback in callbacks:
            callback()
        assert received == [("confirm_cancel", "requested", "scheduled", "cancellation_confirmed")]
    finally:
        case_transitioned.disconnect(receiver)


def test_signal_not_sent_when_transaction_rolls_back(customer, django_capture_on_commit_callbacks):
    received = []
    case_transitioned.connect(
        lambda sender, **kwargs: received.append(kwargs), weak=False, dispatch_uid="rollback-test"
    )
    try:
        case = lifecycle.open_case(customer, customer)
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            lifecycle.confirm_cancellation(case, actor=Actor.customer(customer))
            raise RuntimeError("rolled back")
        assert received == []
        case.refresh_from_db()
        assert case.state == CaseState.REQUESTED
    finally:
        case_transitioned.disconnect(dispatch_uid="rollback-test")


def test_pause_resumes_when_it_ends(customer, frozen_clock):
    case = lifecycle.open_case(customer, customer)
    case = lifecycle.accept_pause(case, days=30, actor=Actor.customer(customer))
    assert (case.state, case.saved_as) == (CaseState.SAVED, SaveKind.PAUSED)
    assert case.pause_ends_at == utc(2024, 4, 4, 12)
    assert case.is_open

    frozen_clock.at(utc(2024, 4, 4, 11, 59, 59))
    assert jobs.scan_due_work().counts["pauses"] == 0
    frozen_clock.at(utc(2024, 4, 4, 12))
    assert jobs.scan_due_work().counts["pauses"] == 1
    case.refresh_from_db()
    assert case.state == CaseState.SAVED
    assert case.closed_at == utc(2024, 4, 4, 12)
    assert case.events.last().action == "end_pause"


def test_pause_length_must_be_offered(customer):
    case = lifecycle.open_case(customer, customer)
    with pytest.raises(ValueError, match="45 days is not offered"):
        lifecycle.accept_pause(case, days=45, actor=Actor.customer(customer))
    case.refresh_from_db()
    assert case.state == CaseState.REQUESTED


def test_no_period_is_charged_while_paused(customer, frozen_clock):
    from offboarding.billing.local import LocalLedgerBackend
    from offboarding.models import LedgerEntry

    case = lifecycle.open_case(customer, customer)
    lifecycle.accept_pause(case, days=60, actor=Actor.customer(customer))
    frozen_clock.at(utc(2024, 5, 10))
    LocalLedgerBackend().get_subscription(str(customer.pk), utc(2024, 5, 10))
    charged = list(
        LedgerEntry.objects.filter(kind="period").values_list("period_start", flat=True)
    )
    # Jan 31 and Feb 29 were paid; Mar 31 and Apr 30 fall in the pause (Mar 5 to May 4).
    assert charged == [utc(2024, 1, 31, 10), utc(2024, 2, 29, 10)]


def test_paused_customer_can_cancel_instead(customer):
    case = lifecycle.open_case(customer, customer)
    lifecycle.accept_pause(case, days=30, actor=Actor.customer(customer))
    case = lifecycle.confirm_cancellation(case, actor=Actor.customer(customer))
    assert case.state == CaseState.SCHEDULED
    assert case.saved_as == ""


def test_vault_keeps_data_and_is_never_purged(customer, frozen_clock):
    case = cancel_at_period_end(customer)
    frozen_clock.at(utc(2024, 3, 31, 10))
    jobs.scan_due_work()
    case = lifecycle.enter_vault(case, actor=Actor.customer(customer))
    assert case.state == CaseState.VAULTED

    frozen_clock.at(utc(2025, 1, 1))
    assert jobs.scan_due_work().counts["purges"] == 0
    assert lifecycle.purge_refusal(case) == "the account is in the data vault"

    case = lifecycle.reactivate(case, actor=Actor.customer(customer))
    assert case.state == CaseState.REACTIVATED


def test_leaving_vault_starts_new_window(customer, frozen_clock):
    case = cancel_at_period_end(customer)
    case = lifecycle.enter_vault(case, actor=Actor.customer(customer))
    frozen_clock.at(utc(2024, 9, 1))
    case = lifecycle.leave_vault(case, actor=Actor.customer(customer))
    assert case.state == CaseState.ENDED
    assert case.retention_ends_at == utc(2024, 10, 1)


def test_legal_hold_blocks_purge_until_lifted(customer, frozen_clock, django_user_model):
    staff = django_user_model.objects.create_user("cs", "cs@example.com", "pw", is_staff=True)
    case = cancel_at_period_end(customer)
    frozen_clock.at(utc(2024, 3, 31, 10))
    jobs.scan_due_work()
    lifecycle.place_legal_hold(case, actor=Actor.staff(staff), reason="Subpoena 24-117")

    frozen_clock.at(utc(2024, 6, 1))
    assert jobs.scan_due_work().counts["purges"] == 0
    case.refresh_from_db()
    assert lifecycle.purge_refusal(case) == "a legal hold is in place"

    lifecycle.lift_legal_hold(case, actor=Actor.staff(staff), reason="Case closed")
    assert jobs.scan_due_work().counts["purges"] == 1
    case.refresh_from_db()
    assert case.state == CaseState.PURGED
    assert list(case.events.filter(actor_kind="staff").values_list("action", "reason")) == [
        ("legal_hold_placed", "Subpoena 24-117"),
        ("legal_hold_lifted", "Case closed"),
    ]


def test_legal_hold_needs_reason(customer, django_user_model):
    staff = django_user_model.objects.create_user("cs", "cs@example.com", "pw", is_staff=True)
    case = cancel_at_period_end(customer)
    with pytest.raises(ValueError, match="reason is required"):
        lifecycle.place_legal_hold(case, actor=Actor.staff(staff), reason="  ")
    case.refresh_from_db()
    assert case.legal_hold is False


def test_extend_retention_is_audited(customer, frozen_clock, django_user_model):
    staff = django_user_model.objects.create_user("cs", "cs@example.com", "pw", is_staff=True)
    case = cancel_at_period_end(customer)
    frozen_clock.at(utc(2024, 3, 31, 10))
    jobs.scan_due_work()
    case.refresh_from_db()
    lifecycle.extend_retention(case, days=14, actor=Actor.staff(staff), reason="Customer asked")
    case.refresh_from_db()
    assert case.retention_ends_at == utc(2024, 5, 14, 10)
    event = case.events.last()
    assert (event.action, event.data["days"], event.reason) == (
        "retention_extended",
        14,
        "Customer asked",
    )


def test_unfinished_flow_is_abandoned_after_a_day(customer, frozen_clock):
    case = lifecycle.open_case(customer, customer)
    frozen_clock.advance(timedelta(hours=23))
    assert jobs.scan_due_work().counts["abandoned"] == 0
    frozen_clock.advance(timedelta(hours=1))
    assert jobs.scan_due_work().counts["abandoned"] == 1
    case.refresh_from_db()
    assert case.state == CaseState.ABANDONED
    assert LedgerSubscription.objects.get().cancel_at is None


def test_immediate_cancel_ends_access_now(customer, frozen_clock):
    case = lifecycle.open_case(customer, customer)
    case = lifecycle.confirm_cancellation(case, actor=Actor.customer(customer), immediately=True)
    case.refresh_from_db()
    assert case.state == CaseState.ENDED
    assert case.boundary_at == utc(2024, 3, 5, 12)
    assert case.has_product_access() is False


def test_immediate_cancel_can_be_disallowed(customer, settings):
    settings.OFFBOARDING = {"CLOCK": "database", "ALLOW_IMMEDIATE_CANCEL": False}
    case = lifecycle.open_case(customer, customer)
    with pytest.raises(IllegalTransition, match="not offered"):
        lifecycle.confirm_cancellation(case, actor=Actor.customer(customer), immediately=True)
    case.refresh_from_db()
    assert case.state == CaseState.REQUESTED


def test_scan_twice_moves_case_once(customer, frozen_clock):
    case = cancel_at_period_end(customer)
    frozen_clock.at(utc(2024, 4, 1))
    assert jobs.scan_due_work().counts["boundaries"] == 1
    assert jobs.scan_due_work().counts["boundaries"] == 0
    assert case.events.filter(action="reach_boundary").count() == 1


def test_public_id_starts_alphanumeric():
    # A leading dash would make a management command read the id as an option.
    ids = {new_public_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(public_id[0].isalnum() for public_id in ids)
    assert all(len(public_id) == 24 for public_id in ids)
