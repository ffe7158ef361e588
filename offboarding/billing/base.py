"""The billing backend interface: the operations the app requests of the host's billing system."""

from __future__ import annotations

from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class StatementLine:
    """A charge or credit of the last period; positive charges, negative credits.

    ``tax_category`` is the VAT category code of UNCL 5305 as EN 16931 uses it (S, Z, E,
    AE, K, G, O, L or M). Blank means "S" when ``tax_rate`` is above 0 and "Z" otherwise.
    ``tax_exemption_reason`` (text) and ``tax_exemption_reason_code`` (a VATEX code such
    as "VATEX-EU-AE") state why no VAT is charged; category "E" requires one of them.
    """

    kind: str
    description: str
    amount: Decimal
    tax_rate: Decimal = Decimal("0")
    quantity: Decimal = Decimal("1")
    period_start: datetime | None = None
    period_end: datetime | None = None
    tax_category: str = ""
    tax_exemption_reason: str = ""
    tax_exemption_reason_code: str = ""


@dataclass(frozen=True)
class StatementPayment:
    """Money that moved: a payment received or a refund paid out, as a positive amount."""

    description: str
    amount: Decimal
    occurred_at: datetime


@dataclass(frozen=True)
class ClosedItem:
    """A subscription item that ends, with the moment it ends."""

    reference: str
    description: str
    closed_at: datetime


@dataclass(frozen=True)
class ClosingStatement:
    """The last period of an ended subscription, as the billing system records it.

    ``prices_include_tax`` is True when line amounts are gross (tax included) and False
    when they are net.
    """

    account_key: str
    currency: str
    lines: list[StatementLine] = field(default_factory=list)
    payments: list[StatementPayment] = field(default_factory=list)
    refunds: list[StatementPayment] = field(default_factory=list)
    closed_items: list[ClosedItem] = field(default_factory=list)
    prices_include_tax: bool = True
    period_start: datetime | None = None
    period_end: datetime | None = None


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

    def apply_discount(
        self, account_key: str, *, percent: int, months: int, now: datetime
    ) -> None:
        raise BillingError("This billing backend does not offer discounts.")

    def downgrade_options(self, account_key: str, now: datetime) -> list[DowngradeOption]:
        return []

    def downgrade(self, account_key: str, *, plan_code: str, now: datetime) -> None:
        raise BillingError("This billing backend does not offer downgrades.")

    def reactivate(self, account_key: str, *, plan_code: str | None, now: datetime) -> None:
        raise NotImplementedError

    def closing_statement(self, account_key: str, now: datetime) -> ClosingStatement:
        """Return the last period's charges, credits, payments and refunds for the final
        invoice, and the subscription items that end; called at the boundary."""
        raise NotImplementedError
