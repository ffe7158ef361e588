"""The subscription shown on the billing page, read through the offboarding billing backend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from django.utils.translation import gettext_lazy as _

from config.accounts.models import Organisation
from offboarding import clock
from offboarding.adapter import get_adapter
from offboarding.billing.base import NoSubscription
from offboarding.formatting import format_date, format_price


@dataclass(frozen=True)
class SubscriptionSummary:
    plan_name: str
    price: str
    status_label: str
    period_start: datetime
    period_end: datetime
    # The organisation's zone, in which the page shows the period's dates.
    time_zone: tzinfo


def _local_date(moment: datetime, organisation: Organisation) -> str:
    return format_date(moment, organisation.zoneinfo)


def get_subscription_summary(organisation: Organisation) -> SubscriptionSummary | None:
    """Return what the billing page shows, or None for an organisation without a subscription."""
    adapter = get_adapter()
    try:
        info = adapter.get_billing_backend().get_subscription(
            adapter.get_account_key(organisation), clock.now()
        )
    except NoSubscription:
        return None

    if info.cancel_at is not None:
        status = _("Ends on %(date)s") % {"date": _local_date(info.cancel_at, organisation)}
    elif info.pause_ends_at is not None:
        status = _("Paused until %(date)s") % {
            "date": _local_date(info.pause_ends_at, organisation)
        }
    elif info.is_trial:
        status = _("Trial")
    else:
        status = _("Active")
    return SubscriptionSummary(
        plan_name=info.plan_name,
        price=format_price(info.amount, info.currency, info.interval),
        status_label=status,
        period_start=info.current_period_start,
        period_end=info.current_period_end,
        time_zone=organisation.zoneinfo,
    )
