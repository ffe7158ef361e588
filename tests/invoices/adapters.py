"""Test adapters whose seller and buyer have postal addresses, VAT IDs where they need them."""

from __future__ import annotations

from dataclasses import replace

from offboarding.adapter import DefaultOffboardingAdapter, PartyDetails


class AddressedAdapter(DefaultOffboardingAdapter):
    def get_seller_details(self) -> PartyDetails:
        return PartyDetails(
            name="Acme Projects GmbH",
            address_lines=["Friedrichstraße 123", "10117 Berlin", "Germany"],
            country_code="DE",
            vat_id="DE123456789",
            email="billing@example.com",
        )

    def get_buyer_details(self, account) -> PartyDetails:
        return PartyDetails(
            name="Beispiel GmbH",
            address_lines=["Hauptstraße 1", "80331 München"],
            country_code="de",
            vat_id="DE987654321",
            email=account.email,
        )


class FrenchBusinessAdapter(AddressedAdapter):
    """A German seller and a business buyer in France, for reverse charge (AE) and K."""

    def get_buyer_details(self, account) -> PartyDetails:
        return PartyDetails(
            name="Exemple SARL",
            address_lines=["1 rue de la Paix", "75002 Paris"],
            country_code="FR",
            vat_id="FR40303265045",
            email=account.email,
        )


class OutsideEuAdapter(AddressedAdapter):
    """A German seller with a commercial register number and a buyer in Japan."""

    def get_seller_details(self) -> PartyDetails:
        return replace(super().get_seller_details(), legal_registration_id="HRB 123456 B")

    def get_buyer_details(self, account) -> PartyDetails:
        return PartyDetails(
            name="Initech K.K.",
            address_lines=["1-2-3 Shibuya", "Tokyo 150-0002"],
            country_code="JP",
            email=account.email,
        )


class UnregisteredSellerAdapter(AddressedAdapter):
    """A seller without a VAT ID, such as a small business exempt from VAT."""

    def get_seller_details(self) -> PartyDetails:
        return replace(super().get_seller_details(), vat_id="")
