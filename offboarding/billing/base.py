"""The billing backend interface: what the app asks of the host's billing system."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


class BillingError(Exception):
    """The billing system refused or failed an operation; nothing was changed."""


class NoSubscription(BillingError):
    """The account has no active subscription."""


@dataclass(frozen=True)
class SubscriptionInfo:
    """An account's subscription as the app needs to see it."""

    reference: str
    plan_code: str
    plan_name: str
    amount: Decimal
    currency: str
    interval: str
    current_period_start: datetime
    current_period_end: datetime
    cancel_at: datetime | None = None
    pause_ends_at: datetime | None = None
    is_trial: bool = False


@dataclass(frozen=True)
class DowngradeOption:
    plan_code: str
    plan_name: str
    amount: Decimal
    currency: str
    interval: str


class BillingBackend:
    """Base class of billing backends; each method acts on one account, by its key.

    Every method must be idempotent: asked twice, it leaves the billing system as once.
    """

    supports_pause = True
    supports_discount = False
    supports_downgrade = False

    def get_subscription(self, account_key: str, now: datetime) -> SubscriptionInfo:
        raise NotImplementedError

    def cancel(self, account_key: str, *, immediately: bool, now: datetime) -> datetime:
        """Cancel the subscription; return the boundary (period end, or ``now``)."""
        raise NotImplementedError

    def undo_cancel(self, account_key: str, now: datetime) -> None:
        raise NotImplementedError

    def pause(self, account_key: str, *, until: datetime, now: datetime) -> None:
        raise NotImplementedError

    def resume(self, account_key: str, now: datetime) -> None:
        raise NotImplementedError

    def apply_discount(self, account_key: str, *, percent: int, months: int, now: datetime) -> None:
        raise BillingError("This billing backend does not offer discounts.")

    def downgrade_options(self, account_key: str, now: datetime) -> list[DowngradeOption]:
        return []

    def downgrade(self, account_key: str, *, plan_code: str, now: datetime) -> None:
        raise BillingError("This billing backend does not offer downgrades.")

    def reactivate(self, account_key: str, *, plan_code: str | None, now: datetime) -> None:
        raise NotImplementedError
