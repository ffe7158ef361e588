"""The cancel flow through Django's test client: offers, confirmation, survey, status actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from offboarding.models import AuditEvent, CaseState, LedgerSubscription, OffboardingCase, SaveKind
from offboarding.models.notices import OutboxMessage
from offboarding.models.portal import OfferEvent, SaveOffer, SurveyQuestion, SurveyResponse
from offboarding.services import lifecycle
from tests.conftest import utc
from tests.portal.conftest import PERIOD_END, after_period, case_of

pytestmark = pytest.mark.django_db


def test_cancel_page_states_plan_and_dates(client, customer, reasons):
    client.force_login(customer)
    response = client.get(reverse("offboarding:cancel"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Team (monthly)" in page
    assert "March 31, 2024" in page
    assert "April 30, 2024" in page  # data kept 30 days after the boundary
    assert 'type="password"' not in page
    assert "Cancel subscription" in page


def test_cancel_without_offers_confirms_at_period_end(client, customer, reasons):
    client.force_login(customer)
    response = client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})
    case = case_of(customer)
    assert response.status_code == 302
    assert response["Location"] == reverse("offboarding:survey", args=[case.public_id])
    assert case.state == CaseState.SCHEDULED
    assert case.boundary_at == PERIOD_END
    assert not case.immediate
    notices = OutboxMessage.objects.filter(case=case)
    assert [n.key for n in notices] == ["cancellation_confirmation"]


def test_cancel_twice_opens_one_case_and_one_email(client, customer, reasons):
    client.force_login(customer)
    first = client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})
    second = client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})
    assert first.status_code == 302
    assert second.status_code == 302
    assert OffboardingCase.objects.count() == 1
    assert OutboxMessage.objects.filter(key="cancellation_confirmation").count() == 1


def test_immediate_cancel_ends_access_now(client, customer, reasons, clock_now):
    client.force_login(customer)
    client.post(reverse("offboarding:cancel"), {"when": "immediately"})
    case = case_of(customer)
    assert case.state == CaseState.ENDED
    assert case.boundary_at == clock_now.now()
    assert case.immediate


def test_immediate_cancel_refused_when_not_allowed(client, customer, reasons, settings):
    settings.OFFBOARDING = {"CLOCK": "database", "ALLOW_IMMEDIATE_CANCEL": False}
    client.force_login(customer)
    response = client.post(reverse("offboarding:cancel"), {"when": "immediately"})
    assert response.status_code == 400
    assert not OffboardingCase.objects.exists()


def test_offers_precede_confirmation_and_decline_confirms(
    client, customer, reasons, pause_offer, vault_offer
):
    client.force_login(customer)
    response = client.post(reverse("offboarding:cancel"), {"when": "end_of_period", "reason": ""})
    case = case_of(customer)
    assert case.state == CaseState.REQUESTED
    assert response["Location"].startswith(reverse("offboarding:offers", args=[case.public_id]))

    page = client.get(response["Location"]).content.decode()
    assert page.count("Continue cancelling") == 2
    assert "Pause for 60 days" in page
    shown = OfferEvent.objects.filter(case=case, action="shown")
    assert {event.offer_id for event in shown} == {pause_offer.pk, vault_offer.pk}

    declined = client.post(
        reverse("offboarding:offer-decline", args=[case.public_id]), {"when": "end_of_period"}
    )
    case.refresh_from_db()
    assert declined["Location"] == reverse("offboarding:survey", args=[case.public_id])
    assert case.state == CaseState.SCHEDULED
    assert OfferEvent.objects.filter(case=case, action="declined").count() == 2


def test_accept_pause_saves_the_case(client, customer, reasons, pause_offer, clock_now):
    client.force_login(customer)
    client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})
    case = case_of(customer)
    client.get(reverse("offboarding:offers", args=[case.public_id]))
    response = client.post(
        reverse("offboarding:offer-accept", args=[case.public_id]),
        {"offer": pause_offer.pk, "days": 60},
    )
    case.refresh_from_db()
    assert response["Location"] == reverse("offboarding:status", args=[case.public_id])
    assert case.state == CaseState.SAVED
    assert case.saved_as == SaveKind.PAUSED
    assert case.pause_ends_at == clock_now.now() + timedelta(days=60)
    accepted = OfferEvent.objects.get(case=case, action="accepted")
    assert accepted.detail == {"days": 60}
    assert not OutboxMessage.objects.filter(key="cancellation_confirmation").exists()


def test_pause_length_not_on_offer_is_refused(client, customer, reasons, pause_offer):
    client.force_login(customer)
    client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})
    case = case_of(customer)
    client.post(
        reverse("offboarding:offer-accept", args=[case.public_id]),
        {"offer": pause_offer.pk, "days": 45},
    )
    case.refresh_from_db()
    assert case.state == CaseState.REQUESTED
    assert not OfferEvent.objects.filter(action="accepted").exists()


def test_no_pause_offer_within_cooldown(
    client, customer, reasons, pause_offer, vault_offer, clock_now
):
    client.force_login(customer)
    client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})
    case = case_of(customer)
    client.post(
        reverse("offboarding:offer-accept", args=[case.public_id]),
        {"offer": pause_offer.pk, "days": 30},
    )
    client.post(reverse("offboarding:resume", args=[case.public_id]))
    case.refresh_from_db()
    assert case.closed_at is not None

    clock_now.advance(timedelta(days=40))
    client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})
    second = OffboardingCase.objects.open().get(account_key=str(customer.pk))
    page = client.get(reverse("offboarding:offers", args=[second.public_id])).content.decode()
    assert "Pause for" not in page
    assert "data vault" in page


def test_offer_limited_to_a_reason(client, customer, reasons, monthly_plan):
    discount = SaveOffer.objects.create(
        kind=SaveOffer.Kind.DISCOUNT,
        discount_percent=30,
        discount_months=3,
        reason_codes=["too_expensive"],
    )
    client.force_login(customer)
    response = client.post(
        reverse("offboarding:cancel"), {"when": "end_of_period", "reason": "unused"}
    )
    case = case_of(customer)
    assert case.state == CaseState.SCHEDULED  # no offer fits "unused"
    assert response["Location"] == reverse("offboarding:survey", args=[case.public_id])
    assert not OfferEvent.objects.filter(offer=discount).exists()


def test_discount_offer_for_its_reason(client, make_customer, reasons):
    customer = make_customer("bob")
    discount = SaveOffer.objects.create(
        kind=SaveOffer.Kind.DISCOUNT,
        discount_percent=30,
        discount_months=3,
        reason_codes=["too_expensive"],
    )
    client.force_login(customer)
    client.post(
        reverse("offboarding:cancel"), {"when": "end_of_period", "reason": "too_expensive"}
    )
    case = case_of(customer)
    client.get(reverse("offboarding:offers", args=[case.public_id]))
    client.post(reverse("offboarding:offer-accept", args=[case.public_id]), {"offer": discount.pk})
    case.refresh_from_db()
    assert case.saved_as == SaveKind.DISCOUNTED
    assert LedgerSubscription.objects.get(account_key=str(customer.pk)).discount_percent == 30
    assert SurveyResponse.objects.get(case=case).reason_code == "too_expensive"


def test_survey_answer_and_skip(client, make_customer, reasons):
    question = SurveyQuestion.objects.create(
        text="Which tool next?", kind=SurveyQuestion.Kind.CHOICE, choices=["A", "B"]
    )
    ann, bob = make_customer("ann"), make_customer("bob")
    for user in (ann, bob):
        client.force_login(user)
        client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})

    client.force_login(ann)
    url = reverse("offboarding:survey", args=[case_of(ann).public_id])
    response = client.post(
        url,
        {
            "reason": "missing_features",
            "comment": "Needs Gantt charts",
            "nps": "7",
            f"question_{question.pk}": "B",
        },
    )
    assert response.status_code == 302
    answer = SurveyResponse.objects.get(case=case_of(ann))
    assert (answer.reason_code, answer.nps, answer.answers) == (
        "missing_features",
        7,
        {str(question.pk): "B"},
    )
    assert not answer.skipped

    client.force_login(bob)
    client.post(reverse("offboarding:survey", args=[case_of(bob).public_id]), {"skip": "1"})
    assert SurveyResponse.objects.get(case=case_of(bob)).skipped


def test_survey_comment_too_long_changes_nothing(client, customer, reasons):
    client.force_login(customer)
    client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})
    url = reverse("offboarding:survey", args=[case_of(customer).public_id])
    response = client.post(url, {"reason": "other", "comment": "x" * 5001})
    assert response.status_code == 400
    assert not SurveyResponse.objects.exists()
    assert case_of(customer).state == CaseState.SCHEDULED


def test_undo_pending_cancellation(client, customer, reasons):
    client.force_login(customer)
    client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})
    case = case_of(customer)
    client.post(reverse("offboarding:withdraw", args=[case.public_id]))
    case.refresh_from_db()
    assert case.state == CaseState.WITHDRAWN
    assert LedgerSubscription.objects.get(account_key=str(customer.pk)).cancel_at is None


def test_reactivate_after_boundary(client, customer, reasons, clock_now):
    client.force_login(customer)
    client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})
    case = case_of(customer)
    clock_now.advance(after_period())
    lifecycle.reach_boundary(case)  # what the due-work scan does; its step handlers do not run
    case.refresh_from_db()
    assert case.state == CaseState.ENDED

    page = client.get(reverse("offboarding:status", args=[case.public_id])).content.decode()
    assert "Reactivate my account" in page
    assert "Undo the cancellation" not in page
    client.post(reverse("offboarding:reactivate", args=[case.public_id]))
    case.refresh_from_db()
    assert case.state == CaseState.REACTIVATED


def test_undo_after_boundary_is_refused(client, customer, reasons, clock_now):
    client.force_login(customer)
    client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})
    case = case_of(customer)
    clock_now.advance(after_period())
    client.post(reverse("offboarding:withdraw", args=[case.public_id]))
    case.refresh_from_db()
    assert case.state == CaseState.SCHEDULED


def test_vault_in_and_out(client, customer, reasons, clock_now):
    client.force_login(customer)
    client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})
    case = case_of(customer)
    client.post(reverse("offboarding:vault", args=[case.public_id]))
    case.refresh_from_db()
    assert case.state == CaseState.VAULTED
    assert case.retention_ends_at is None

    client.post(reverse("offboarding:leave-vault", args=[case.public_id]))
    case.refresh_from_db()
    assert case.state == CaseState.ENDED
    assert case.retention_ends_at == clock_now.now() + timedelta(days=30)


def test_resume_pause_early(client, customer, reasons, pause_offer):
    client.force_login(customer)
    client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})
    case = case_of(customer)
    client.post(
        reverse("offboarding:offer-accept", args=[case.public_id]),
        {"offer": pause_offer.pk, "days": 90},
    )
    page = client.get(reverse("offboarding:status", args=[case.public_id])).content.decode()
    assert "Resume now" in page
    assert "Cancel instead" in page
    client.post(reverse("offboarding:resume", args=[case.public_id]))
    case.refresh_from_db()
    assert case.closed_at is not None
    assert not case.is_paused


def test_cancel_instead_of_pause(client, customer, reasons, pause_offer):
    client.force_login(customer)
    client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})
    case = case_of(customer)
    client.post(
        reverse("offboarding:offer-accept", args=[case.public_id]),
        {"offer": pause_offer.pk, "days": 30},
    )
    response = client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})
    case.refresh_from_db()
    assert response["Location"] == reverse("offboarding:survey", args=[case.public_id])
    assert case.state == CaseState.SCHEDULED


def test_receipt_states_date_contract_and_end(client, customer, reasons):
    client.force_login(customer)
    client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})
    case = case_of(customer)
    page = client.get(reverse("offboarding:receipt", args=[case.public_id])).content.decode()
    assert "Confirmation of your cancellation" in page
    assert "Team (monthly)" in page
    assert "March 5, 2024, noon" in page
    assert "March 31, 2024, 10 a.m." in page
    assert case.public_id in page


def test_delete_now_needs_recent_authentication(client, customer, reasons, clock_now):
    client.force_login(customer)
    client.post(reverse("offboarding:cancel"), {"when": "immediately"})
    case = case_of(customer)
    url = reverse("offboarding:delete-data", args=[case.public_id])

    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    case.refresh_from_db()
    assert case.retention_ends_at > clock_now.now()

    client.post(response["Location"], {"password": "pw-not-asked"})
    page = client.get(url)
    assert page.status_code == 200
    client.post(url, {"confirm": "on"})
    case.refresh_from_db()
    assert case.retention_ends_at == clock_now.now()
    assert AuditEvent.objects.filter(case=case, action="retention_shortened").count() == 1


def test_cancel_entry_tag_links_to_portal(customer):
    from django.template import Context, Template

    tag = Template("{% load offboarding %}{% offboarding_cancel_entry %}")
    html = tag.render(Context({"user": customer}))
    assert f'href="{reverse("offboarding:portal")}"' in html
    assert "Cancel subscription" in html


def test_cancel_entry_tag_hidden_from_anonymous():
    from django.contrib.auth.models import AnonymousUser
    from django.template import Context, Template

    tag = Template("{% load offboarding %}{% offboarding_cancel_entry %}")
    assert "Cancel subscription" not in tag.render(Context({"user": AnonymousUser()}))
    assert "Cancel subscription" not in tag.render(Context({}))


def test_missing_panel_renders_nothing(monkeypatch):
    from django.template import Context, Template

    from offboarding.templatetags import offboarding as tags

    monkeypatch.setitem(tags.PANEL_TEMPLATES, "export", "offboarding/portal/_absent_panel.html")
    html = Template('{% load offboarding %}[{% offboarding_panel "export" %}]').render(Context({}))
    assert html == "[]"


def test_portal_landing_sends_to_open_case(client, customer, reasons):
    client.force_login(customer)
    assert client.get(reverse("offboarding:portal"))["Location"] == reverse("offboarding:cancel")
    client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})
    case = case_of(customer)
    landing = client.get(reverse("offboarding:portal"))
    assert landing["Location"] == reverse("offboarding:status", args=[case.public_id])


def test_dates_shown_in_account_time_zone(client, customer, reasons, settings):
    settings.TIME_ZONE = "America/Los_Angeles"
    client.force_login(customer)
    page = client.get(reverse("offboarding:cancel")).content.decode()
    # 31 March 2024 10:00 UTC is 3 a.m. in Los Angeles (PDT).
    assert "March 31, 2024, 3 a.m." in page
    assert "America/Los_Angeles" in page


def test_withdrawal_window(client, make_customer, reasons, settings, clock_now):
    settings.OFFBOARDING = {"CLOCK": "database", "ADAPTER": "tests.portal.adapters.EuAdapter"}
    fresh = make_customer("eve", subscribed_at=utc(2024, 3, 1, 9))
    client.force_login(fresh)
    page = client.get(reverse("offboarding:cancel")).content.decode()
    assert "Withdraw from contract here" in page

    response = client.post(reverse("offboarding:contract-withdrawal"), {"confirm": "on"})
    case = case_of(fresh)
    assert response["Location"] == reverse("offboarding:receipt", args=[case.public_id])
    assert case.state == CaseState.ENDED
    assert case.immediate
    assert OutboxMessage.objects.filter(case=case, key="withdrawal_acknowledgement").count() == 1
    receipt = client.get(response["Location"]).content.decode()
    assert "Acknowledgement of your withdrawal" in receipt

    clock_now.advance(timedelta(days=20))
    late = make_customer("len", subscribed_at=utc(2024, 3, 1, 9))
    client.force_login(late)
    assert client.get(reverse("offboarding:contract-withdrawal")).status_code == 404


def test_withdrawal_not_offered_to_business(client, make_customer, reasons, settings):
    settings.OFFBOARDING = {
        "CLOCK": "database",
        "ADAPTER": "tests.portal.adapters.EuBusinessAdapter",
    }
    business = make_customer("bob", subscribed_at=utc(2024, 3, 1, 9))
    client.force_login(business)

    page = client.get(reverse("offboarding:cancel")).content.decode()
    assert "Withdraw from contract here" not in page

    response = client.post(reverse("offboarding:contract-withdrawal"), {"confirm": "on"})
    assert response.status_code == 404
    assert "No withdrawal period is running" in response.content.decode()
    assert not OffboardingCase.objects.filter(account_key=str(business.pk)).exists()
    subscription = LedgerSubscription.objects.get(account_key=str(business.pk))
    assert subscription.status == "active"
    assert subscription.cancel_at is None


def test_confirmation_email_is_sent_once_with_dates(
    client, customer, reasons, settings, mailoutbox
):

    from offboarding import jobs
    from offboarding.notices.cadence import install_default_cadence

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    install_default_cadence()
    client.force_login(customer)
    client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})
    client.post(reverse("offboarding:cancel"), {"when": "end_of_period"})

    # The default cadence also has a confirmation step; it must see the portal's message.
    jobs.scan_due_work()
    jobs.scan_due_work()

    confirmations = [m for m in mailoutbox if m.subject == "Your cancellation is confirmed"]
    assert len(confirmations) == 1
    assert "March 31, 2024" in confirmations[0].body or "31 March 2024" in confirmations[0].body
