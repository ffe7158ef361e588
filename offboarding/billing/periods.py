"""Billing period arithmetic, anchored on the first period start.

Period n runs from ``anchor + n * length`` to ``anchor + (n + 1) * length``, each computed
from the anchor and clamped to the month's end. Chaining from the previous, already clamped
end would drift: Jan 31 → Feb 29 → Mar 29 instead of Mar 31.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime

MONTH = "month"
YEAR = "year"
MONTHS_PER_INTERVAL = {MONTH: 1, YEAR: 12}


@dataclass(frozen=True)
class Period:
    index: int
    start: datetime
    end: datetime

    def contains(self, at: datetime) -> bool:
        return self.start <= at < self.end


def add_months(anchor: datetime, months: int) -> datetime:
    """Return ``anchor`` moved by ``months`` calendar months, clamped to the month's end."""
    month_index = anchor.month - 1 + months
    year = anchor.year + month_index // 12
    month = month_index % 12 + 1
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return anchor.replace(year=year, month=month, day=day)


def months_per_interval(interval: str) -> int:
    try:
        return MONTHS_PER_INTERVAL[interval]
    except KeyError:
        raise ValueError(
            f"Unknown billing interval {interval!r}; expected one of {sorted(MONTHS_PER_INTERVAL)}."
        ) from None


def periods_covering(months: int, interval: str) -> int:
    """Return how many periods of ``interval`` a span of ``months`` months covers, at least 1."""
    step = months_per_interval(interval)
    return max(1, -(-months // step))


def period(anchor: datetime, interval: str, index: int) -> Period:
    """Return period number ``index`` (0 is the first) of a subscription anchored at ``anchor``."""
    if index < 0:
        raise ValueError(f"Period index must be 0 or more, got {index}.")
    step = months_per_interval(interval)
    return Period(
        index=index,
        start=add_months(anchor, index * step),
        end=add_months(anchor, (index + 1) * step),
    )


def period_at(anchor: datetime, interval: str, at: datetime) -> Period:
    """Return the period that contains ``at``; ``at`` before the anchor gives period 0."""
    if at < anchor:
        return period(anchor, interval, 0)

    step = months_per_interval(interval)
    months_apart = (at.year - anchor.year) * 12 + (at.month - anchor.month)
    index = max(months_apart // step - 1, 0)
    current = period(anchor, interval, index)
    while not current.contains(at):
        index += 1
        current = period(anchor, interval, index)
    return current
