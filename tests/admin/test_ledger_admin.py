"""The local ledger's subscriptions in the admin: listed with their entries, never edited."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from offboarding.billing.local import LocalLedgerBackend
from offboarding.models import Plan
from tests.conftest import utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscription(frozen_clock):
    frozen_clock.at(utc(2024, 3, 10))
    Plan.objects.create(
        code="team", name="Team", amount=Decimal("30"), currency="EUR", interval="month"
    )
    ledger = LocalLedgerBackend()
    subscription = ledger.subscribe("acct-7", "team", utc(2024, 1, 1), trial=False)
    ledger.materialise(subscription, utc(2024, 3, 10))
    return subscription


def test_subscription_list_and_entries(admin_client, subscription):
    listing = admin_client.get(reverse("admin:offboarding_ledgersubscription_changelist"))
    detail = admin_client.get(
        reverse("admin:offboarding_ledgersubscription_change", args=[subscription.pk])
    )

    assert listing.status_code == 200
    assert "acct-7" in listing.content.decode()
    assert detail.status_code == 200
    page = detail.content.decode()
    # January, February and March are charged and paid: six entries, all shown.
    assert subscription.entries.count() == 6
    for index in range(6):
        assert f'id="entries-{index}"' in page
    assert 'id="entries-6"' not in page
    assert 'name="_save"' not in page


def test_subscription_cannot_be_added_changed_deleted(admin_client, subscription):
    add = admin_client.get(reverse("admin:offboarding_ledgersubscription_add"))
    change = admin_client.post(
        reverse("admin:offboarding_ledgersubscription_change", args=[subscription.pk]),
        {"status": "canceled"},
    )
    delete = admin_client.post(
        reverse("admin:offboarding_ledgersubscription_delete", args=[subscription.pk]),
        {"post": "yes"},
    )

    assert add.status_code == 403
    assert change.status_code == 403
    assert delete.status_code == 403
    subscription.refresh_from_db()
    assert subscription.status == "active"
