"""The case admin: list columns, filters and search, the timeline page and staff actions."""

from datetime import timedelta

import pytest
from django.urls import reverse

from offboarding.models import (
    ActorKind,
    AuditEvent,
    CaseState,
    CaseStep,
    OffboardingCase,
    SurveyReason,
    SurveyResponse,
)
from offboarding.services import lifecycle
from tests.admin.factories import case_in_state
from tests.conftest import utc

CHANGELIST = "admin:offboarding_offboardingcase_changelist"


def action_url(case, name):
    return reverse("admin:offboarding_offboardingcase_action", args=[case.pk, name])


def change_url(case):
    return reverse("admin:offboarding_offboardingcase_change", args=[case.pk])


def listed_ids(response):
    return {case.pk for case in response.context["cl"].result_list}


# The list


@pytest.fixture
def listed_cases(db, frozen_clock):
    frozen_clock.at(utc(2024, 3, 20))
    SurveyReason.objects.create(code="too_expensive", label="It's too expensive")
    promoter = case_in_state(
        CaseState.ENDED,
        requested_at=utc(2024, 3, 1),
        account_label="Promoter Ltd",
        account_key="acct-promoter",
    )
    SurveyResponse.objects.create(
        case=promoter, nps=10, reason_code="too_expensive", answered_at=utc(2024, 3, 1)
    )
    detractor = case_in_state(
        CaseState.SCHEDULED,
        requested_at=utc(2024, 3, 2),
        account_label="Detractor GmbH",
        account_key="acct-detractor",
        boundary_at=utc(2024, 3, 25),
    )
    SurveyResponse.objects.create(
        case=detractor, nps=3, reason_code="unused", answered_at=utc(2024, 3, 2)
    )
    held = case_in_state(
        CaseState.ENDED,
        requested_at=utc(2024, 2, 1),
        legal_hold=True,
        legal_hold_reason="Court order 12",
        account_label="Held SA",
    )
    vaulted = case_in_state(
        CaseState.VAULTED, requested_at=utc(2024, 2, 2), vaulted_at=utc(2024, 2, 3)
    )
    failing = case_in_state(
        CaseState.REQUESTED,
        requested_at=utc(2024, 3, 3),
        needs_attention=True,
        attention_reason="revoke failed",
    )
    return {
        "promoter": promoter,
        "detractor": detractor,
        "held": held,
        "vaulted": vaulted,
        "failing": failing,
    }


def test_list_shows_reason_and_nps(client, success_user, listed_cases):
    client.force_login(success_user)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    html = response.content.decode()
    assert "It&#x27;s too expensive" in html
    assert "Promoter Ltd" in html
    rows = {case.pk: case for case in response.context["cl"].result_list}
    assert rows[listed_cases["promoter"].pk].survey_nps == 10
    assert rows[listed_cases["detractor"].pk].survey_reason_code == "unused"
    assert rows[listed_cases["held"].pk].survey_nps is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"state": "ended"}, {"promoter", "held"}),
        ({"legal_hold__exact": "1"}, {"held"}),
        ({"vaulted": "yes"}, {"vaulted"}),
        ({"needs_attention__exact": "1"}, {"failing"}),
        ({"reason": "too_expensive"}, {"promoter"}),
        ({"reason": "-"}, {"held", "vaulted", "failing"}),
        ({"nps": "promoter"}, {"promoter"}),
        ({"nps": "detractor"}, {"detractor"}),
        ({"nps": "none"}, {"held", "vaulted", "failing"}),
        ({"boundary": "next7"}, {"detractor"}),
        ({"boundary": "none"}, {"failing"}),
        ({"purge_date": "next30"}, {"promoter"}),
        ({"q": "acct-detractor"}, {"detractor"}),
        ({"q": "held"}, {"held"}),
        ({"requested_at__year": "2024", "requested_at__month": "2"}, {"held", "vaulted"}),
    ],
)
def test_list_filters_and_search(client, success_user, listed_cases, query, expected):
    client.force_login(success_user)
    response = client.get(reverse(CHANGELIST), query)
    assert response.status_code == 200
    assert listed_ids(response) == {listed_cases[name].pk for name in expected}


def test_search_by_public_id(client, success_user, listed_cases):
    client.force_login(success_user)
    case = listed_cases["vaulted"]
    response = client.get(reverse(CHANGELIST), {"q": case.public_id})
    assert listed_ids(response) == {case.pk}


def test_list_query_count_constant(
    client, success_user, listed_cases, django_assert_max_num_queries
):
    client.force_login(success_user)
    client.get(reverse(CHANGELIST))  # warm the session and content-type caches
    with django_assert_max_num_queries(12):
        client.get(reverse(CHANGELIST))
    for index in range(20):
        case_in_state(CaseState.ENDED, requested_at=utc(2024, 1, 1) + timedelta(hours=index))
    with django_assert_max_num_queries(12):
        response = client.get(reverse(CHANGELIST))
    assert len(response.context["cl"].result_list) == 25


# The change page


def test_change_page_shows_the_timeline(client, success_user, ended_case):
    client.force_login(success_user)
    SurveyResponse.objects.create(
        case=ended_case,
        nps=7,
        reason_code="unused",
        comment="Moving to a spreadsheet",
        answered_at=utc(2024, 3, 5),
    )
    response = client.get(change_url(ended_case))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Audit trail",
        "confirm_cancel",
        "reach_boundary",
        "Steps",
        "Exit survey",
        "Moving to a spreadsheet",
        "Notices",
        "Data exports",
        "Final invoice",
        "Access revocations",
        "Deletion certificate",
        "Audit trail verified: the hash chain is intact.",
    ):
        assert text in html, text
    assert 'name="_save"' not in html  # read-only: no save button


def test_change_page_offers_actions_by_permission(
    client, success_user, admin_user_in_group, ended_case
):
    client.force_login(success_user)
    html = client.get(change_url(ended_case)).content.decode()
    assert action_url(ended_case, "extend_retention") in html
    assert action_url(ended_case, "place_legal_hold") in html
    assert action_url(ended_case, "reactivate") in html
    assert action_url(ended_case, "purge_now") not in html

    client.force_login(admin_user_in_group)
    html = client.get(change_url(ended_case)).content.decode()
    assert action_url(ended_case, "purge_now") in html


def test_change_page_query_count_constant(
    client, success_user, ended_case, django_assert_max_num_queries
):
    client.force_login(success_user)
    client.get(change_url(ended_case))
    with django_assert_max_num_queries(30) as first:
        client.get(change_url(ended_case))
    for index in range(10):
        ended_case.record(f"note_{index}", actor=lifecycle.Actor.system())
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(change_url(ended_case))


# Actions on one case


def test_extend_retention_asks_for_a_reason(client, success_user, ended_case):
    client.force_login(success_user)
    before = AuditEvent.objects.filter(case=ended_case).count()

    page = client.get(action_url(ended_case, "extend_retention"))
    assert page.status_code == 200
    assert b'name="reason"' in page.content

    rejected = client.post(
        action_url(ended_case, "extend_retention"), {"days": "7", "reason": " "}
    )
    assert rejected.status_code == 200
    assert rejected.context["form"].errors["reason"]
    ended_case.refresh_from_db()
    assert ended_case.retention_ends_at == utc(2024, 4, 30, 10)
    assert AuditEvent.objects.filter(case=ended_case).count() == before


def test_extend_retention_audited_with_staff_user(client, success_user, ended_case):
    client.force_login(success_user)
    response = client.post(
        action_url(ended_case, "extend_retention"),
        {"days": "14", "reason": "Customer asked for time"},
    )
    assert response.status_code == 302
    assert response["Location"] == change_url(ended_case)

    ended_case.refresh_from_db()
    assert ended_case.retention_ends_at == utc(2024, 5, 14, 10)
    event = AuditEvent.objects.filter(case=ended_case).order_by("-sequence").first()
    assert event.action == "retention_extended"
    assert event.actor_kind == ActorKind.STAFF
    assert event.actor_id == str(success_user.pk)
    assert event.reason == "Customer asked for time"
    assert AuditEvent.verify_chain(ended_case) == (True, None)


def test_extend_retention_rejects_bad_days(client, success_user, ended_case):
    client.force_login(success_user)
    for days in ("0", "-3", "abc", ""):
        response = client.post(
            action_url(ended_case, "extend_retention"), {"days": days, "reason": "why not"}
        )
        assert response.status_code == 200, days
        assert response.context["form"].errors["days"], days
    ended_case.refresh_from_db()
    assert ended_case.retention_ends_at == utc(2024, 4, 30, 10)


def test_legal_hold_place_and_lift(client, success_user, ended_case):
    client.force_login(success_user)
    client.post(action_url(ended_case, "place_legal_hold"), {"reason": "Litigation 2024-17"})
    ended_case.refresh_from_db()
    assert ended_case.legal_hold is True
    assert ended_case.legal_hold_reason == "Litigation 2024-17"

    again = client.post(action_url(ended_case, "place_legal_hold"), {"reason": "twice"})
    assert again.status_code == 200
    assert "already in place" in again.content.decode()

    client.post(action_url(ended_case, "lift_legal_hold"), {"reason": "Case settled"})
    ended_case.refresh_from_db()
    assert ended_case.legal_hold is False
    actions = list(
        AuditEvent.objects.filter(case=ended_case, actor_kind="staff").values_list(
            "action", "reason"
        )
    )
    assert actions == [
        ("legal_hold_placed", "Litigation 2024-17"),
        ("legal_hold_lifted", "Case settled"),
    ]


def test_reactivate_by_staff(client, success_user, ended_case):
    client.force_login(success_user)
    client.post(action_url(ended_case, "reactivate"), {"reason": "Customer came back"})
    ended_case.refresh_from_db()
    assert ended_case.state == CaseState.REACTIVATED
    event = AuditEvent.objects.get(case=ended_case, action="reactivate")
    assert (event.actor_kind, event.reason) == (ActorKind.STAFF, "Customer came back")


def test_withdraw_by_staff(client, success_user, scheduled_case):
    client.force_login(success_user)
    client.post(action_url(scheduled_case, "withdraw"), {"reason": "Cancelled by mistake"})
    scheduled_case.refresh_from_db()
    assert scheduled_case.state == CaseState.WITHDRAWN


def test_rejected_transition_changes_nothing(client, success_user, scheduled_case):
    client.force_login(success_user)
    before = AuditEvent.objects.filter(case=scheduled_case).count()
    response = client.post(action_url(scheduled_case, "reactivate"), {"reason": "try"})
    assert response.status_code == 200
    assert "Nothing was changed" in response.content.decode()
    scheduled_case.refresh_from_db()
    assert scheduled_case.state == CaseState.SCHEDULED
    assert AuditEvent.objects.filter(case=scheduled_case).count() == before


def test_unknown_action_is_forbidden(client, admin_user_in_group, ended_case):
    client.force_login(admin_user_in_group)
    assert client.get(action_url(ended_case, "drop_table")).status_code == 403


def test_staff_without_permission_cannot_act(client, django_user_model, ended_case):
    viewer = django_user_model.objects.create_user("viewer", "v@example.com", "pw", is_staff=True)
    client.force_login(viewer)
    assert client.get(action_url(ended_case, "extend_retention")).status_code == 403
    assert (
        client.post(
            action_url(ended_case, "extend_retention"), {"days": "3", "reason": "x"}
        ).status_code
        == 403
    )


# Purge now


def test_customer_success_cannot_purge(client, success_user, ended_case):
    client.force_login(success_user)
    assert client.get(action_url(ended_case, "purge_now")).status_code == 403
    response = client.post(action_url(ended_case, "purge_now"), {"reason": "x", "confirm": "on"})
    assert response.status_code == 403
    ended_case.refresh_from_db()
    assert ended_case.purge_started_at is None


def test_purge_confirmation_shows_dry_run(client, admin_user_in_group, ended_case):
    client.force_login(admin_user_in_group)
    response = client.get(action_url(ended_case, "purge_now"))
    assert response.status_code == 200
    preview = response.context["preview"]
    counts = {name: count for name, _, count in preview.rows}
    # The customer's subscription and its ledger entries; the user is the account row.
    assert counts["subscriptions"] == 1
    assert counts["ledger-entries"] >= 1
    assert preview.total == sum(counts.values())
    assert preview.account_row is True
    html = response.content.decode()
    assert "What the purge deletes (dry run)" in html
    assert "offboarding.LedgerSubscription" in html
    assert "The account's own row is deleted too." in html
    ended_case.refresh_from_db()
    assert ended_case.purge_started_at is None


def test_purge_now_needs_confirmation(client, admin_user_in_group, ended_case):
    client.force_login(admin_user_in_group)
    response = client.post(action_url(ended_case, "purge_now"), {"reason": "Customer request"})
    assert response.context["form"].errors["confirm"]
    ended_case.refresh_from_db()
    assert ended_case.purge_started_at is None


def test_purge_now_ends_window_and_purges(client, admin_user_in_group, ended_case, frozen_clock):
    client.force_login(admin_user_in_group)
    response = client.post(
        action_url(ended_case, "purge_now"),
        {"reason": "Erasure request by email", "confirm": "on"},
    )
    assert response.status_code == 302

    ended_case.refresh_from_db()
    assert ended_case.state == CaseState.PURGED
    assert ended_case.retention_ends_at == frozen_clock.now()
    staff_event = AuditEvent.objects.get(case=ended_case, action="retention_ended_by_staff")
    assert staff_event.actor_id == str(admin_user_in_group.pk)
    assert staff_event.reason == "Erasure request by email"
    assert staff_event.data["from"] == "2024-04-30T10:00:00+00:00"
    assert AuditEvent.verify_chain(ended_case) == (True, None)


@pytest.mark.parametrize("blocker", ["legal_hold", "vault"])
def test_purge_now_refused(client, admin_user_in_group, ended_case, blocker):
    client.force_login(admin_user_in_group)
    actor = lifecycle.Actor.staff(admin_user_in_group)
    if blocker == "legal_hold":
        lifecycle.place_legal_hold(ended_case, actor=actor, reason="Court order")
    else:
        lifecycle.enter_vault(ended_case, actor=actor)
    ended_case.refresh_from_db()
    before = AuditEvent.objects.filter(case=ended_case).count()
    retention_end = ended_case.retention_ends_at

    response = client.post(
        action_url(ended_case, "purge_now"), {"reason": "try anyway", "confirm": "on"}
    )

    assert response.status_code == 200
    assert "Nothing was changed" in response.content.decode()
    ended_case.refresh_from_db()
    assert ended_case.purge_started_at is None
    assert ended_case.retention_ends_at == retention_end
    assert AuditEvent.objects.filter(case=ended_case).count() == before


# Bulk actions from the list


def test_bulk_extend_asks_reason_then_applies(client, success_user, make_customer, frozen_clock):
    cases = []
    for name in ("bulk1", "bulk2"):
        user = make_customer(name)
        case = lifecycle.open_case(user, user)
        cases.append(lifecycle.confirm_cancellation(case, actor=lifecycle.Actor.customer(user)))
    frozen_clock.at(utc(2024, 4, 2))
    cases = [lifecycle.reach_boundary(case) for case in cases]
    client.force_login(success_user)
    selected = [str(case.pk) for case in cases]

    form_page = client.post(
        reverse(CHANGELIST), {"action": "extend_retention", "_selected_action": selected}
    )
    assert form_page.status_code == 200
    assert b'name="apply"' in form_page.content

    done = client.post(
        reverse(CHANGELIST),
        {
            "action": "extend_retention",
            "_selected_action": selected,
            "apply": "yes",
            "days": "5",
            "reason": "Migration help",
        },
    )
    assert done.status_code == 302
    for case in cases:
        case.refresh_from_db()
        assert case.retention_ends_at == utc(2024, 5, 5, 10)


def test_bulk_action_reports_rejections(client, success_user, ended_case, scheduled_case):
    client.force_login(success_user)
    response = client.post(
        reverse(CHANGELIST),
        {
            "action": "reactivate",
            "_selected_action": [ended_case.pk, scheduled_case.pk],
            "apply": "yes",
            "reason": "Won back",
        },
        follow=True,
    )
    messages = [str(message) for message in response.context["messages"]]
    assert any("1 case(s) done" in message for message in messages)
    assert any("Rejected, nothing changed" in message for message in messages)
    scheduled_case.refresh_from_db()
    assert scheduled_case.state == CaseState.SCHEDULED


def test_purge_is_not_a_bulk_action(client, admin_user_in_group, ended_case):
    client.force_login(admin_user_in_group)
    response = client.get(reverse(CHANGELIST))
    choices = [value for value, _ in response.context["action_form"].fields["action"].choices]
    assert "purge_now" not in choices
    assert "extend_retention" in choices


# Audit events and steps


def test_audit_events_read_only_for_superusers(client, admin_user, ended_case):
    client.force_login(admin_user)
    event = AuditEvent.objects.filter(case=ended_case).first()
    base = "admin:offboarding_auditevent_"
    assert client.get(reverse(base + "changelist")).status_code == 200
    assert client.get(reverse(base + "add")).status_code == 403
    assert client.get(reverse(base + "delete", args=[event.pk])).status_code == 403
    change = client.get(reverse(base + "change", args=[event.pk]))
    assert change.status_code == 200
    assert b'name="_save"' not in change.content
    posted = client.post(reverse(base + "change", args=[event.pk]), {"reason": "edited"})
    assert posted.status_code == 403
    event.refresh_from_db()
    assert event.reason == ""


def test_retry_failed_step(client, success_user, ended_case):
    step = CaseStep.objects.create(
        case=ended_case,
        moment="boundary_reached",
        handler="revoke_sessions",
        status=CaseStep.Status.FAILED,
        attempts=5,
        next_attempt_at=utc(2024, 4, 1),
        last_error="OperationalError: timeout",
    )
    ended_case.record(
        "step_failed",
        actor=lifecycle.Actor.system(),
        needs_attention=True,
        attention_reason="boundary_reached: revoke_sessions failed",
    )
    client.force_login(success_user)
    changelist = reverse("admin:offboarding_casestep_changelist")

    form_page = client.post(
        changelist, {"action": "retry_failed_steps", "_selected_action": [step.pk]}
    )
    assert b'name="reason"' in form_page.content
    client.post(
        changelist,
        {
            "action": "retry_failed_steps",
            "_selected_action": [step.pk],
            "apply": "yes",
            "reason": "Database is back",
        },
    )

    step.refresh_from_db()
    assert step.status == CaseStep.Status.PENDING
    assert step.attempts == 0
    ended_case.refresh_from_db()
    assert ended_case.needs_attention is False
    event = AuditEvent.objects.get(case=ended_case, action="step_retried")
    assert (event.actor_id, event.reason) == (str(success_user.pk), "Database is back")


def test_retry_needs_permission(client, django_user_model, ended_case):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("viewer", "v@example.com", "pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_casestep"))
    client.force_login(viewer)
    response = client.get(reverse("admin:offboarding_casestep_changelist"))
    assert response.status_code == 200
    choices = (
        [value for value, _ in response.context["action_form"].fields["action"].choices]
        if response.context.get("action_form")
        else []
    )
    assert "retry_failed_steps" not in choices


def test_reissue_certificate_offered_only_when_purged(client, admin_user_in_group, ended_case):
    client.force_login(admin_user_in_group)
    html = client.get(change_url(ended_case)).content.decode()
    assert action_url(ended_case, "reissue_certificate") not in html
    response = client.post(action_url(ended_case, "reissue_certificate"), {"reason": "lost"})
    assert "not purged" in response.content.decode()
    assert not OffboardingCase.objects.filter(pk=ended_case.pk, state=CaseState.PURGED).exists()


# Notices sent again


def test_resend_notice_with_reason(client, success_user, ended_case):
    from offboarding.models import OutboxMessage

    sent = OutboxMessage.objects.create(
        case=ended_case,
        key="boundary-reminder",
        template="boundary_reminder",
        status="sent",
        due_at=utc(2024, 3, 30),
        next_attempt_at=utc(2024, 3, 30),
        sent_at=utc(2024, 3, 30),
    )
    pending = OutboxMessage.objects.create(
        case=ended_case,
        key="other",
        template="boundary_reminder",
        status="pending",
        due_at=utc(2024, 4, 3),
        next_attempt_at=utc(2024, 4, 3),
    )
    client.force_login(success_user)
    assert (
        action_url(ended_case, "resend_notice")
        in client.get(change_url(ended_case)).content.decode()
    )

    page = client.get(action_url(ended_case, "resend_notice"))
    choices = [value for value, _ in page.context["form"].fields["message"].choices if value]
    assert [choice.value for choice in choices] == [sent.pk]

    refused = client.post(
        action_url(ended_case, "resend_notice"), {"message": pending.pk, "reason": "again"}
    )
    assert refused.context["form"].errors["message"]

    client.post(
        action_url(ended_case, "resend_notice"),
        {"message": sent.pk, "reason": "Customer lost the email"},
    )
    sent.refresh_from_db()
    assert sent.status == "pending"
    reason_event = AuditEvent.objects.get(case=ended_case, action="notice_resend_reason")
    assert (reason_event.actor_id, reason_event.reason) == (
        str(success_user.pk),
        "Customer lost the email",
    )
    assert AuditEvent.objects.filter(case=ended_case, action="notice_resend_requested").exists()


def test_purge_now_queues_purge_steps(client, admin_user_in_group, ended_case, settings):
    settings.OFFBOARDING = {**settings.OFFBOARDING, "BUILTIN_STEP_HANDLERS": True}
    client.force_login(admin_user_in_group)
    response = client.post(
        action_url(ended_case, "purge_now"),
        {"reason": "Erasure request", "confirm": "on"},
        follow=True,
    )
    messages = [str(message) for message in response.context["messages"]]
    assert any("The purge has started" in message for message in messages)
    ended_case.refresh_from_db()
    assert ended_case.purge_started_at is not None
    assert CaseStep.objects.filter(case=ended_case, moment="retention_over").exists()


def test_action_on_unknown_case_is_404(client, admin_user_in_group, db):
    client.force_login(admin_user_in_group)
    for object_id in ("999999", "not-a-number"):
        url = reverse(
            "admin:offboarding_offboardingcase_action", args=[object_id, "extend_retention"]
        )
        assert client.get(url).status_code == 404


def test_reissue_certificate_after_purge(client, admin_user_in_group, ended_case):
    from offboarding.models import DeletionCertificate

    client.force_login(admin_user_in_group)
    client.post(action_url(ended_case, "purge_now"), {"reason": "Erasure", "confirm": "on"})
    ended_case.refresh_from_db()
    assert ended_case.state == CaseState.PURGED
    assert (
        action_url(ended_case, "reissue_certificate")
        in client.get(change_url(ended_case)).content.decode()
    )

    for _ in range(2):
        response = client.post(
            action_url(ended_case, "reissue_certificate"), {"reason": "Customer lost the PDF"}
        )
        assert response.status_code == 302
    certificate = DeletionCertificate.objects.get(case=ended_case)
    assert certificate.times_issued == 2
    events = AuditEvent.objects.filter(case=ended_case, action="deletion_certificate_reissued")
    assert events.count() == 2
    assert {event.actor_id for event in events} == {str(admin_user_in_group.pk)}
