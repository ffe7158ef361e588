"""Jurisdiction profiles: the cancel-flow rules that apply to an account.

The adapter names a profile per account (``adapter.get_jurisdiction(account)``). The rules
every profile shares: cancelling never asks for a password, "continue cancelling" sits
beside every offer and takes one click, the exit survey can be skipped, and a durable
confirmation with date and time is sent.

Sources of the profile rules:

- "de": §312k BGB (since 1 July 2022). The cancel button leads straight to a confirmation
  page that asks only for what identifies the contract, the kind of termination and the
  end date, then a "cancel now" button, then a confirmation on a durable medium. LG Köln,
  29 July 2022, held that the flow must work without a password. Offers come only after
  the cancellation is done.
- "california": Bus. & Prof. Code §17600 ff. as amended by AB 2863 (in force 1 July
  2025). A save offer may be shown if it does not obstruct the cancellation.
- "eu": Directive (EU) 2023/2673, Art. 11a of the Consumer Rights Directive (from
  19 June 2026). A "withdraw from contract here" function during the 14-day withdrawal
  period, a confirm step, and an acknowledgement on a durable medium.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class JurisdictionProfile:
    """The cancel-flow rules of one jurisdiction."""

    name: str
    label: str | Promise
    # Whether save offers may be shown before the cancellation is confirmed. When False,
    # offers are shown only after it, as a way back.
    offers_before_confirmation: bool
    # Whether the start page asks for an optional reason so offers can fit it.
    asks_reason_before_offers: bool
    # Days after the contract start in which the customer may withdraw; 0 offers no
    # withdrawal flow.
    withdrawal_days: int = 0
    # Label of the final button of the cancel flow.
    confirm_label: str | Promise = _("Cancel subscription")


PROFILES: dict[str, JurisdictionProfile] = {
    "default": JurisdictionProfile(
        name="default",
        label=_("Default"),
        offers_before_confirmation=True,
        asks_reason_before_offers=True,
    ),
    "california": JurisdictionProfile(
        name="california",
        label=_("California"),
        offers_before_confirmation=True,
        asks_reason_before_offers=True,
    ),
    "eu": JurisdictionProfile(
        name="eu",
        label=_("European Union"),
        offers_before_confirmation=True,
        asks_reason_before_offers=True,
        withdrawal_days=14,
    ),
    "de": JurisdictionProfile(
        name="de",
        label=_("Germany"),
        offers_before_confirmation=False,
        asks_reason_before_offers=False,
        withdrawal_days=14,
        confirm_label=_("Cancel now"),
    ),
}


def get_profile(name: str) -> JurisdictionProfile:
    """Return the profile called ``name``; an unknown name gets the default profile."""
    return PROFILES.get(name, PROFILES["default"])
