"""The subscription shown on the billing page, read through the offboarding billing backend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from config.accounts.models import Organisation
from offboarding import clock
from offboarding.adapter import get_adapter
from offboarding.billing.base import NoSubscription
from offboarding.money import quantize

INTERVAL_LABELS = {"month": _("month"), "year": _("year")}


@dataclass(frozen=True)
class SubscriptionSummary:
    plan_name: str
    price: str
    interval_label: str
    status_label: str
    period_start: datetime
    period_end: datetime


def _local_date(moment: datetime, organisation: Organisation) -> str:
    return date_format(timezone.localtime(moment, organisation.zoneinfo), "DATE_FORMAT")


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
        # Rounded to the currency's minor unit, so yen show no decimals.
        price=f"{quantize(info.amount, info.currency)} {info.currency}",
        interval_label=INTERVAL_LABELS.get(info.interval, info.interval),
        status_label=status,
        period_start=info.current_period_start,
        period_end=info.current_period_end,
    )
