"""Offboarding KPIs over a period, each aggregated in the database.

Every KPI function takes a :class:`Period` (a half-open UTC interval) and returns the
counts it is built from, with the derived figure as a property. A figure whose denominator
is zero is ``None``, never a division error, so an empty period renders as "no data".

Rounding: percentages are rounded half away from zero to one decimal place; the
offboarding NPS is rounded half away from zero to a whole number (NPS 33.5 -> 34,
-33.5 -> -34).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Count, DurationField, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncDate, TruncWeek

from offboarding import clock
from offboarding.conf import app_settings
from offboarding.models import CaseState, DataExport, OffboardingCase
from offboarding.models.portal import OfferEvent, SurveyReason, SurveyResponse

logger = logging.getLogger(__name__)

# States a case can be in once its boundary has passed: these are the "ended" cases that
# the win-back rate counts, whatever happened to them afterwards.
POST_BOUNDARY_STATES = (
    CaseState.ENDED,
    CaseState.VAULTED,
    CaseState.REACTIVATED,
    CaseState.PURGED,
)

# On SQLite the export percentiles are computed in Python over at most this many rows
# (the newest in the period), which keeps memory bounded on a database meant for demos.
PYTHON_PERCENTILE_ROW_LIMIT = 50_000


@dataclass(frozen=True)
class Period:
    """A half-open interval ``[start, end)`` of aware UTC datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("A KPI period takes aware datetimes only.")
        if self.end <= self.start:
            raise ValueError(f"A KPI period must end after it starts: {self.start} .. {self.end}.")

    @classmethod
    def from_dates(cls, first_day: date, last_day: date) -> Period:
        """Return the period from the start of ``first_day`` to the end of ``last_day`` (UTC)."""
        start = datetime.combine(first_day, time.min, tzinfo=UTC)
        end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=UTC)
        return cls(start, end)

    def q(self, field_name: str) -> Q:
        """Return a filter that keeps rows whose ``field_name`` falls in this period."""
        return Q(**{f"{field_name}__gte": self.start, f"{field_name}__lt": self.end})


def percent(part: int, whole: int) -> Decimal | None:
    """Return ``part / whole`` in percent, rounded half away from zero to one decimal."""
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# Offboarding NPS


@dataclass(frozen=True)
class NpsResult:
    promoters: int
    passives: int
    detractors: int

    @property
    def answers(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def score(self) -> int | None:
        """Promoters (9-10) minus detractors (0-6) in percent of the answers, whole number."""
        if not self.answers:
            return None
        exact = Decimal(100) * (self.promoters - self.detractors) / self.answers
        return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def nps(period: Period) -> NpsResult:
    """Count the NPS answers of the exit surveys answered in ``period``, in one query.

    A survey skipped, or answered without a score, is not an answer.
    """
    counts = SurveyResponse.objects.filter(period.q("answered_at")).aggregate(
        promoters=Count("pk", filter=Q(nps__gte=9)),
        passives=Count("pk", filter=Q(nps__gte=7, nps__lte=8)),
        detractors=Count("pk", filter=Q(nps__lte=6)),
    )
    return NpsResult(**counts)


# Reasons


@dataclass(frozen=True)
class ReasonCount:
    code: str
    label: str
    count: int


def reasons(period: Period) -> list[ReasonCount]:
    """Return how often each reason code was given in surveys answered in ``period``.

    Most frequent first; a code that staff have since removed keeps its code as label.
    """
    labels = SurveyReason.objects.filter(code=OuterRef("reason_code")).values("label")[:1]
    rows = (
        SurveyResponse.objects.filter(period.q("answered_at"))
        .exclude(reason_code="")
        .values_list("reason_code")
        .annotate(count=Count("pk"), label=Subquery(labels))
        .order_by("-count", "reason_code")
    )
    return [ReasonCount(code, label or code, count) for code, count, label in rows]


# Win-back rate


@dataclass(frozen=True)
class RateResult:
    part: int
    whole: int

    @property
    def percent(self) -> Decimal | None:
        return percent(self.part, self.whole)


def winback_rate(period: Period) -> RateResult:
    """Return the cases reactivated within the win-back window over the cases ended in ``period``.

    A case ended in the period when its boundary falls in it and it went past the boundary
    (ended, vaulted, reactivated or purged). It counts as won back when it was reactivated
    no later than ``WINBACK_WINDOW_DAYS`` after its boundary; a reactivated case's
    ``closed_at`` is the moment of the reactivation. Cases ended recently can still be won
    back, so the rate of a recent period may still grow.
    """
    window = timedelta(days=int(app_settings.WINBACK_WINDOW_DAYS))
    ended = OffboardingCase.objects.filter(
        period.q("boundary_at"),
        state__in=POST_BOUNDARY_STATES,
        boundary_at__lte=clock.now(),
    )
    counts = ended.aggregate(
        whole=Count("pk"),
        part=Count(
            "pk",
            filter=Q(state=CaseState.REACTIVATED, closed_at__lte=F("boundary_at") + window),
        ),
    )
    return RateResult(part=counts["part"], whole=counts["whole"])


# Save rate


@dataclass(frozen=True)
class SaveRateResult:
    flows: int
    saved: int
    by_offer: list[tuple[str, int]] = field(default_factory=list)

    @property
    def percent(self) -> Decimal | None:
        return percent(self.saved, self.flows)


def save_rate(period: Period) -> SaveRateResult:
    """Return the flows started in ``period`` and how many of them accepted an offer.

    A flow is a case requested in the period; it counts as saved when it accepted an offer
    (an "accepted" offer event), even if the customer cancelled after a pause later. A
    case that accepted two offers counts once in the rate and once per offer kind.
    """
    in_period = Q(case__requested_at__gte=period.start, case__requested_at__lt=period.end)
    accepted = OfferEvent.objects.filter(in_period, action=OfferEvent.Action.ACCEPTED)
    by_kind = (
        accepted.values_list("kind")
        .annotate(cases=Count("case_id", distinct=True))
        .order_by("-cases", "kind")
    )
    return SaveRateResult(
        flows=OffboardingCase.objects.filter(period.q("requested_at")).count(),
        saved=accepted.aggregate(cases=Count("case_id", distinct=True))["cases"],
        by_offer=list(by_kind),
    )


# Cancellations per week


def cancellations_per_week(period: Period) -> list[tuple[date, int]]:
    """Return (Monday of the week, confirmed cancellations) for every week of ``period``.

    Weeks start on Monday in UTC; weeks without a cancellation are listed with 0, and the
    first and last weeks may be cut by the period's ends.
    """
    rows = (
        OffboardingCase.objects.filter(period.q("confirmed_at"))
        .annotate(week=TruncWeek("confirmed_at", tzinfo=UTC))
        .values_list("week")
        .annotate(cancellations=Count("pk"))
        .order_by("week")
    )
    counted = {_as_date(week): count for week, count in rows}
    first_monday = period.start.date() - timedelta(days=period.start.weekday())
    weeks = []
    monday = first_monday
    while datetime.combine(monday, time.min, tzinfo=UTC) < period.end:
        weeks.append((monday, counted.get(monday, 0)))
        monday += timedelta(days=7)
    return weeks


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


# Deletions on the scheduled day


@dataclass(frozen=True)
class DeletionResult:
    on_day: int
    late: int
    early: int

    @property
    def purged(self) -> int:
        return self.on_day + self.late + self.early

    @property
    def percent(self) -> Decimal | None:
        return percent(self.on_day, self.purged)


def deletions_on_schedule(period: Period) -> DeletionResult:
    """Compare the UTC day of each purge in ``period`` with the day its retention window ended."""
    purged = OffboardingCase.objects.filter(
        period.q("purged_at"), retention_ends_at__isnull=False
    ).annotate(
        purged_day=TruncDate("purged_at", tzinfo=UTC),
        due_day=TruncDate("retention_ends_at", tzinfo=UTC),
    )
    counts = purged.aggregate(
        on_day=Count("pk", filter=Q(purged_day=F("due_day"))),
        late=Count("pk", filter=Q(purged_day__gt=F("due_day"))),
        early=Count("pk", filter=Q(purged_day__lt=F("due_day"))),
    )
    return DeletionResult(**counts)


# Percentiles of durations


@dataclass(frozen=True)
class DurationSummary:
    """Median and 90th percentile (linear interpolation, like ``percentile_cont``)."""

    count: int
    median: timedelta | None
    p90: timedelta | None


class PercentileCont(Aggregate):
    """PostgreSQL's ``percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)``."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError(f"A percentile fraction lies in [0, 1], not {fraction}.")
        # The fraction is a float formatted by us, never user input, so it is safe in SQL.
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def interpolated_percentile(sorted_values: list[timedelta], fraction: float) -> timedelta | None:
    """Return the ``fraction`` percentile of ``sorted_values`` as ``percentile_cont`` does."""
    if not sorted_values:
        return None
    position = fraction * (len(sorted_values) - 1)
    lower = int(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    weight = position - lower
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * weight


def summarise_durations(rows: QuerySet, start_field: str, end_field: str) -> DurationSummary:
    """Return the median and 90th percentile of ``end_field - start_field`` over ``rows``.

    Rows whose end is null are left out. PostgreSQL computes the figures with
    ``percentile_cont``; other databases read at most ``PYTHON_PERCENTILE_ROW_LIMIT`` rows.
    """
    rows = rows.filter(**{f"{end_field}__isnull": False})
    duration = F(end_field) - F(start_field)
    if connection.vendor == "postgresql":
        figures = rows.aggregate(
            count=Count("pk"),
            median=PercentileCont(duration, 0.5),
            p90=PercentileCont(duration, 0.9),
        )
        return DurationSummary(**figures)

    pairs = rows.order_by(f"-{start_field}").values_list(start_field, end_field)
    values = sorted(end - start for start, end in pairs[:PYTHON_PERCENTILE_ROW_LIMIT])
    return DurationSummary(
        count=len(values),
        median=interpolated_percentile(values, 0.5),
        p90=interpolated_percentile(values, 0.9),
    )


# Time to export


@dataclass(frozen=True)
class ExportTimes:
    requested: int
    to_ready: DurationSummary
    to_first_download: DurationSummary


def time_to_export(period: Period) -> ExportTimes:
    """Return how long exports requested in ``period`` took to be ready and to be downloaded.

    Each duration counts from the request; an export not ready (or never downloaded) yet
    is left out of that figure but counted in ``requested``.
    """
    exports = DataExport.objects.filter(period.q("requested_at"))
    return ExportTimes(
        requested=exports.count(),
        to_ready=summarise_durations(exports, "requested_at", "ready_at"),
        to_first_download=summarise_durations(exports, "requested_at", "first_downloaded_at"),
    )
