"""A test adapter whose seller and buyer have postal addresses and VAT ids."""

from __future__ import annotations

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
