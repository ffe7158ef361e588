"""The demo product's adapter: the hooks that describe its accounts to the offboarding app.

The account is an :class:`~config.accounts.models.Organisation`. Its owner is the only
member who may cancel, and every member loses product access at the boundary.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models

from config.accounts.current import get_current_organisation
from config.accounts.models import Membership, Organisation, Role
from offboarding.adapter import DefaultOffboardingAdapter, PartyDetails

SELLER = PartyDetails(
    name="Acme Projects GmbH",
    address_lines=["Friedrichstraße 123", "10117 Berlin", "Germany"],
    country_code="DE",
    vat_id="DE123456789",
    email="billing@example.com",
    legal_registration_id="HRB 123456 B",
)


class DemoAdapter(DefaultOffboardingAdapter):
    def get_account_for_user(self, request, user: Any) -> Organisation | None:
        return get_current_organisation(request, user)

    def can_offboard(self, user: Any, account: models.Model) -> bool:
        if not getattr(user, "is_authenticated", False):
            return False
        return Membership.objects.filter(user=user, organisation=account, role=Role.OWNER).exists()

    def get_account_label(self, account: Organisation) -> str:
        return account.name

    def get_owner(self, account: Organisation) -> Any:
        membership = account.owner_membership()
        return membership.user if membership is not None else None

    def get_members(self, account: Organisation) -> models.QuerySet:
        return get_user_model()._default_manager.filter(memberships__organisation=account)

    def get_contact_emails(self, account: Organisation) -> list[str]:
        owner = self.get_owner(account)
        return [owner.email] if owner is not None and owner.email else []

    def get_language(self, account: Organisation) -> str:
        return account.language

    def get_timezone(self, account: Organisation) -> zoneinfo.ZoneInfo:
        return account.zoneinfo

    def get_jurisdiction(self, account: Organisation) -> str:
        return account.jurisdiction

    def is_consumer(self, account: Organisation) -> bool:
        # An organisation that gave a VAT ID buys as a business.
        return not account.vat_id

    def get_seller_details(self) -> PartyDetails:
        return SELLER

    def get_buyer_details(self, account: Organisation) -> PartyDetails:
        contacts = self.get_contact_emails(account)
        return PartyDetails(
            name=account.name,
            address_lines=[
                line.strip() for line in account.billing_address.splitlines() if line.strip()
            ],
            country_code=account.country_code,
            vat_id=account.vat_id,
            email=account.billing_email or (contacts[0] if contacts else ""),
        )
