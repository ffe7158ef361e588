"""Organisations and memberships: role constraints, and the demo's offboarding adapter."""

from __future__ import annotations

import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import RequestFactory

from config.accounts.current import SESSION_KEY
from config.accounts.models import Membership, Organisation
from config.offboarding_adapter import DemoAdapter
from offboarding.adapter import get_adapter


def test_second_owner_rejected(make_organisation, make_member, django_user_model):
    organisation = make_organisation()
    make_member(organisation, "owner")
    other = django_user_model.objects.create_user("other@example.com", "other@example.com")

    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=other, organisation=organisation, role="owner")

    assert organisation.memberships.filter(role="owner").count() == 1


def test_owner_may_own_two_organisations(make_organisation, make_member):
    northwind = make_organisation("Northwind")
    globex = make_organisation("Globex")
    owner = make_member(northwind, "owner")

    Membership.objects.create(user=owner, organisation=globex, role="owner")

    assert Membership.objects.filter(user=owner, role="owner").count() == 2


def test_many_admins_and_members_allowed(make_organisation, make_member):
    organisation = make_organisation()
    for role in ["admin", "admin", "member", "member"]:
        make_member(organisation, role)

    assert organisation.memberships.count() == 4


def test_same_user_twice_rejected(make_organisation, make_member):
    organisation = make_organisation()
    user = make_member(organisation, "member")

    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, organisation=organisation, role="admin")


def test_unknown_role_rejected(make_organisation, django_user_model):
    organisation = make_organisation()
    user = django_user_model.objects.create_user("x@example.com", "x@example.com")

    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, organisation=organisation, role="superhero")


def test_invalid_timezone_fails_validation(db):
    organisation = Organisation(name="Tyrell", slug="tyrell", timezone="Mars/Olympus_Mons")

    with pytest.raises(ValidationError) as error:
        organisation.full_clean()

    assert "timezone" in error.value.message_dict


def test_settings_select_demo_adapter():
    assert isinstance(get_adapter(), DemoAdapter)


@pytest.fixture
def team(make_organisation, make_member):
    organisation = make_organisation(
        "Globex",
        timezone="America/Los_Angeles",
        jurisdiction="california",
        language="en",
        billing_address="400 Market Street\n\nSan Francisco, CA 94105",
        country_code="US",
    )
    return {
        "organisation": organisation,
        "owner": make_member(organisation, "owner", "globex-owner@example.com"),
        "admin": make_member(organisation, "admin"),
        "member": make_member(organisation, "member"),
    }


def test_adapter_only_owner_can_offboard(team, django_user_model):
    adapter = DemoAdapter()
    organisation = team["organisation"]
    outsider = django_user_model.objects.create_user("out@example.com", "out@example.com")

    assert adapter.can_offboard(team["owner"], organisation) is True
    assert adapter.can_offboard(team["admin"], organisation) is False
    assert adapter.can_offboard(team["member"], organisation) is False
    assert adapter.can_offboard(outsider, organisation) is False


def test_adapter_people_of_account(team):
    adapter = DemoAdapter()
    organisation = team["organisation"]

    assert adapter.get_owner(organisation) == team["owner"]
    assert set(adapter.get_members(organisation)) == {team["owner"], team["admin"], team["member"]}
    assert adapter.get_contact_emails(organisation) == ["globex-owner@example.com"]


def test_adapter_locale_and_jurisdiction(team):
    adapter = DemoAdapter()
    organisation = team["organisation"]

    assert adapter.get_timezone(organisation) == zoneinfo.ZoneInfo("America/Los_Angeles")
    assert adapter.get_jurisdiction(organisation) == "california"
    assert adapter.get_language(organisation) == "en"
    assert adapter.get_account_label(organisation) == "Globex"
    assert adapter.get_account(adapter.get_account_key(organisation)) == organisation


def test_adapter_invoice_parties(team):
    adapter = DemoAdapter()

    seller = adapter.get_seller_details()
    buyer = adapter.get_buyer_details(team["organisation"])

    assert seller.name == "Acme Projects GmbH"
    assert seller.vat_id == "DE123456789"
    assert seller.country_code == "DE"
    assert buyer.name == "Globex"
    assert buyer.address_lines == ["400 Market Street", "San Francisco, CA 94105"]
    assert buyer.email == "globex-owner@example.com"


def test_adapter_business_with_vat_id(team):
    adapter = DemoAdapter()
    organisation = team["organisation"]
    assert adapter.is_consumer(organisation)

    organisation.vat_id = "DE987654321"
    organisation.save(update_fields=["vat_id"])

    assert not adapter.is_consumer(organisation)


def test_adapter_account_follows_session_choice(team, make_organisation):
    adapter = DemoAdapter()
    owner = team["owner"]
    initech = make_organisation("Initech")
    Membership.objects.create(user=owner, organisation=initech, role="member")
    request = RequestFactory().get("/")
    request.session = {}

    assert adapter.get_account_for_user(request, owner) == team["organisation"]
    request.session[SESSION_KEY] = initech.pk
    assert adapter.get_account_for_user(request, owner) == initech
    # A stale choice (no longer a member) falls back to the first membership.
    request.session[SESSION_KEY] = initech.pk + 1000
    assert adapter.get_account_for_user(request, owner) == team["organisation"]


def test_adapter_no_account_for_outsider(db, django_user_model):
    outsider = django_user_model.objects.create_user("solo@example.com", "solo@example.com")

    assert DemoAdapter().get_account_for_user(None, outsider) is None
