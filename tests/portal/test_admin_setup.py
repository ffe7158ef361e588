"""Admin pages of offers and the survey, and the idempotent install of the survey reasons."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from offboarding.models.portal import STRIPE_REASONS, SurveyReason

pytestmark = pytest.mark.django_db

EDITABLE = ["saveoffer", "surveyreason", "surveyquestion"]
READ_ONLY = ["surveyresponse", "offerevent"]


def test_setup_installs_reasons_once():
    call_command("offboarding_setup", verbosity=0)
    SurveyReason.objects.filter(code="other").update(label="Something else")
    call_command("offboarding_setup", verbosity=0)
    assert list(SurveyReason.objects.values_list("code", flat=True)) == [
        code for code, _label in STRIPE_REASONS
    ]
    assert SurveyReason.objects.get(code="other").label == "Something else"


def test_admin_pages(admin_client):
    for model in EDITABLE + READ_ONLY:
        response = admin_client.get(reverse(f"admin:offboarding_{model}_changelist"))
        assert response.status_code == 200, model
    for model in EDITABLE:
        assert admin_client.get(reverse(f"admin:offboarding_{model}_add")).status_code == 200, (
            model
        )
    for model in READ_ONLY:
        assert admin_client.get(reverse(f"admin:offboarding_{model}_add")).status_code == 403, (
            model
        )


def test_admin_rejects_incomplete_discount(admin_client):
    response = admin_client.post(
        reverse("admin:offboarding_saveoffer_add"),
        {
            "kind": "discount",
            "headline": "",
            "active": "on",
            "order": "0",
            "pause_days": "",
            "discount_percent": "",
            "discount_months": "",
            "plan_codes": "[]",
            "reason_codes": "[]",
        },
    )
    assert response.status_code == 200
    assert b"A discount needs a percent and a number of months." in response.content


def test_setup_installs_default_offers_only_into_empty_table():
    from offboarding.models.portal import SaveOffer

    call_command("offboarding_setup", verbosity=0)
    assert sorted(SaveOffer.objects.values_list("kind", flat=True)) == ["pause", "vault"]

    SaveOffer.objects.filter(kind="vault").delete()
    call_command("offboarding_setup", verbosity=0)
    assert list(SaveOffer.objects.values_list("kind", flat=True)) == ["pause"]
