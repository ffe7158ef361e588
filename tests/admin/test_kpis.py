"""Each KPI against figures computed by hand from a handful of rows."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from offboarding import kpis
from offboarding.models import CaseState, OfferEvent, SurveyReason, SurveyResponse
from tests.admin.factories import case_in_state
from tests.conftest import utc

MARCH = kpis.Period.from_dates(date(2024, 3, 1), date(2024, 3, 31))
MID_MARCH = utc(2024, 3, 10)
EMPTY = kpis.Period.from_dates(date(2030, 1, 1), date(2030, 1, 31))


def answer(nps, *, at=MID_MARCH, reason="", skipped=False):
    case = case_in_state(CaseState.REQUESTED, requested_at=at)
    return SurveyResponse.objects.create(
        case=case, nps=nps, reason_code=reason, skipped=skipped, answered_at=at
    )


def test_period_from_dates_is_half_open():
    assert MARCH.start == utc(2024, 3, 1)
    assert MARCH.end == utc(2024, 4, 1)


def test_period_rejects_end_before_start():
    with pytest.raises(ValueError):
        kpis.Period(utc(2024, 3, 2), utc(2024, 3, 1))


def test_percent_rounds_half_away_from_zero():
    assert kpis.percent(1, 8) == Decimal("12.5")
    assert kpis.percent(1, 16) == Decimal("6.3")
    assert kpis.percent(2, 3) == Decimal("66.7")
    assert kpis.percent(0, 0) is None


# NPS


def test_nps_counts_promoters_minus_detractors(db):
    for score in (10, 9, 8, 7, 6, 0):
        answer(score)
    answer(None, skipped=True)  # skipped: not an answer
    answer(10, at=utc(2024, 4, 1))  # first second after the period

    result = kpis.nps(MARCH)

    assert (result.promoters, result.passives, result.detractors) == (2, 2, 2)
    assert result.answers == 6
    assert result.score == 0


def test_nps_whole_number_hand_computed(db):
    # 3 promoters, 1 detractor of 4 answers: 100 * (3 - 1) / 4 = 50.
    for score in (9, 9, 10, 5):
        answer(score)
    assert kpis.nps(MARCH).score == 50


def test_nps_rounds_half_away_from_zero(db):
    # 1 promoter and 7 passives: 100 * 1 / 8 = 12.5, shown as 13.
    answer(9)
    for _ in range(7):
        answer(8)
    assert kpis.nps(MARCH).score == 13


def test_nps_negative_half_rounds_away_from_zero(db):
    # 1 detractor and 7 passives: -12.5, shown as -13.
    answer(3)
    for _ in range(7):
        answer(7)
    assert kpis.nps(MARCH).score == -13


def test_nps_one_third_rounds_down(db):
    # 2 promoters, 1 detractor: 100 / 3 = 33.3, shown as 33.
    for score in (10, 10, 0):
        answer(score)
    assert kpis.nps(MARCH).score == 33


def test_nps_empty_period_has_no_score(db):
    answer(10)
    result = kpis.nps(EMPTY)
    assert result.answers == 0
    assert result.score is None


# Reasons


def test_reasons_counted_most_frequent_first(db):
    SurveyReason.objects.create(code="too_expensive", label="It's too expensive")
    for code in ("too_expensive", "unused", "too_expensive", "", "removed_code"):
        answer(None, reason=code)
    answer(None, reason="unused", at=utc(2024, 2, 29, 23, 59))  # before the period

    rows = kpis.reasons(MARCH)

    assert [(row.code, row.label, row.count) for row in rows] == [
        ("too_expensive", "It's too expensive", 2),
        ("removed_code", "removed_code", 1),
        ("unused", "unused", 1),
    ]


def test_reasons_empty_period(db):
    assert kpis.reasons(EMPTY) == []


# Win-back rate


def test_winback_counts_reactivations_inside_the_window(db, frozen_clock, settings):
    settings.OFFBOARDING = {**settings.OFFBOARDING, "WINBACK_WINDOW_DAYS": 90}
    frozen_clock.at(utc(2024, 12, 1))
    boundary = {"boundary_at": utc(2024, 3, 10)}
    case_in_state(CaseState.ENDED, requested_at=utc(2024, 2, 1), **boundary)
    case_in_state(CaseState.PURGED, requested_at=utc(2024, 2, 1), **boundary)
    case_in_state(
        CaseState.REACTIVATED, requested_at=utc(2024, 2, 1), **boundary, closed_at=utc(2024, 3, 20)
    )  # 10 days after the boundary: won back
    case_in_state(
        CaseState.REACTIVATED,
        requested_at=utc(2024, 2, 1),
        **boundary,
        closed_at=utc(2024, 6, 8, 0, 0, 1),
    )  # 90 days and 1 s: too late
    case_in_state(
        CaseState.ENDED, requested_at=utc(2024, 1, 1), boundary_at=utc(2024, 2, 20)
    )  # boundary before the period
    case_in_state(
        CaseState.WITHDRAWN, requested_at=utc(2024, 3, 1), boundary_at=utc(2024, 3, 10)
    )  # never ended

    result = kpis.winback_rate(MARCH)

    assert (result.part, result.whole) == (1, 4)
    assert result.percent == Decimal("25.0")


def test_winback_window_edge_counts(db, frozen_clock, settings):
    settings.OFFBOARDING = {**settings.OFFBOARDING, "WINBACK_WINDOW_DAYS": 30}
    frozen_clock.at(utc(2024, 12, 1))
    case_in_state(
        CaseState.REACTIVATED,
        requested_at=utc(2024, 2, 1),
        boundary_at=utc(2024, 3, 10),
        closed_at=utc(2024, 4, 9),
    )
    assert kpis.winback_rate(MARCH).part == 1


def test_winback_ignores_boundaries_still_ahead(db, frozen_clock):
    frozen_clock.at(utc(2024, 3, 15))
    case_in_state(CaseState.SCHEDULED, requested_at=utc(2024, 3, 1), boundary_at=utc(2024, 3, 20))
    result = kpis.winback_rate(MARCH)
    assert result.whole == 0
    assert result.percent is None


# Save rate


def test_save_rate_over_flows_started(db):
    saved_by_pause = case_in_state(CaseState.SAVED, requested_at=utc(2024, 3, 2))
    saved_twice = case_in_state(CaseState.SAVED, requested_at=utc(2024, 3, 3))
    declined = case_in_state(CaseState.SCHEDULED, requested_at=utc(2024, 3, 4))
    case_in_state(CaseState.ABANDONED, requested_at=utc(2024, 3, 5))
    earlier = case_in_state(CaseState.SAVED, requested_at=utc(2024, 2, 5))
    at = utc(2024, 3, 6)
    OfferEvent.objects.create(case=saved_by_pause, kind="pause", action="shown", at=at)
    OfferEvent.objects.create(case=saved_by_pause, kind="pause", action="accepted", at=at)
    OfferEvent.objects.create(case=saved_twice, kind="discount", action="accepted", at=at)
    OfferEvent.objects.create(case=saved_twice, kind="pause", action="accepted", at=at)
    OfferEvent.objects.create(case=declined, kind="pause", action="declined", at=at)
    OfferEvent.objects.create(case=earlier, kind="pause", action="accepted", at=at)

    result = kpis.save_rate(MARCH)

    assert result.flows == 4
    assert result.saved == 2
    assert result.percent == Decimal("50.0")
    assert result.by_offer == [("pause", 2), ("discount", 1)]


def test_save_rate_empty_period(db):
    result = kpis.save_rate(EMPTY)
    assert (result.flows, result.saved, result.percent) == (0, 0, None)


# Cancellations per week


def test_cancellations_per_week_fills_empty_weeks(db):
    period = kpis.Period.from_dates(date(2024, 3, 4), date(2024, 3, 24))
    for confirmed in (utc(2024, 3, 4, 0, 0), utc(2024, 3, 10, 23, 59), utc(2024, 3, 20)):
        case_in_state(
            CaseState.SCHEDULED,
            requested_at=confirmed - timedelta(minutes=5),
            confirmed_at=confirmed,
        )
    case_in_state(
        CaseState.SCHEDULED, requested_at=utc(2024, 3, 25), confirmed_at=utc(2024, 3, 25)
    )  # after the period

    assert kpis.cancellations_per_week(period) == [
        (date(2024, 3, 4), 2),
        (date(2024, 3, 11), 0),
        (date(2024, 3, 18), 1),
    ]


def test_cancellations_week_starts_monday_before_period(db):
    period = kpis.Period.from_dates(date(2024, 3, 6), date(2024, 3, 12))  # Wed .. Tue
    case_in_state(
        CaseState.SCHEDULED, requested_at=utc(2024, 3, 6), confirmed_at=utc(2024, 3, 6, 8)
    )
    assert kpis.cancellations_per_week(period) == [(date(2024, 3, 4), 1), (date(2024, 3, 11), 0)]


def test_cancellations_empty_period_lists_zero_weeks(db):
    weeks = kpis.cancellations_per_week(EMPTY)
    assert len(weeks) == 5
    assert all(count == 0 for _, count in weeks)


# Deletions on the scheduled day


def test_deletions_compared_by_utc_day(db):
    def purged(due, done):
        case_in_state(
            CaseState.PURGED,
            requested_at=utc(2024, 1, 1),
            retention_ends_at=due,
            purge_started_at=done,
            purged_at=done,
            closed_at=done,
        )

    purged(utc(2024, 3, 10, 10), utc(2024, 3, 10, 23, 59))  # on the day
    purged(utc(2024, 3, 11, 0, 0), utc(2024, 3, 11, 0, 5))  # on the day
    purged(utc(2024, 3, 10, 23, 0), utc(2024, 3, 11, 0, 30))  # late by a day
    purged(utc(2024, 3, 20), utc(2024, 3, 15))  # early (purged by staff)
    purged(utc(2024, 2, 20), utc(2024, 2, 20))  # before the period

    result = kpis.deletions_on_schedule(MARCH)

    assert (result.on_day, result.late, result.early) == (2, 1, 1)
    assert result.purged == 4
    assert result.percent == Decimal("50.0")


def test_deletions_empty_period(db):
    result = kpis.deletions_on_schedule(EMPTY)
    assert result.purged == 0
    assert result.percent is None


# Percentiles


def test_interpolated_percentile_matches_percentile_cont():
    values = [timedelta(seconds=s) for s in range(1, 11)]
    # percentile_cont: position p * (n - 1); 0.5 * 9 = 4.5 -> 5.5 s; 0.9 * 9 = 8.1 -> 9.1 s.
    assert kpis.interpolated_percentile(values, 0.5) == timedelta(seconds=5.5)
    assert kpis.interpolated_percentile(values, 0.9) == timedelta(seconds=9.1)
    assert kpis.interpolated_percentile([timedelta(hours=2)], 0.9) == timedelta(hours=2)
    assert kpis.interpolated_percentile([], 0.5) is None


# Time to export


def test_time_to_export_median_and_p90(db):
    from offboarding.models import DataExport

    requested = utc(2024, 3, 5, 9)
    for minutes, downloaded_after in ((10, 60), (20, None), (30, 120), (40, 180)):
        DataExport.objects.create(
            account_key=f"acct-export-{minutes}",
            requested_at=requested,
            ready_at=requested + timedelta(minutes=minutes),
            first_downloaded_at=(
                requested + timedelta(minutes=downloaded_after) if downloaded_after else None
            ),
        )
    DataExport.objects.create(account_key="acct-export-pending", requested_at=requested)
    DataExport.objects.create(
        account_key="acct-export-april", requested_at=utc(2024, 4, 2), ready_at=utc(2024, 4, 3)
    )

    result = kpis.time_to_export(MARCH)

    assert result.requested == 5
    assert result.to_ready.count == 4
    # percentile_cont over 10, 20, 30, 40 min: median 25 min; 0.9 * 3 = 2.7 -> 30 + 0.7 * 10.
    assert result.to_ready.median == timedelta(minutes=25)
    assert result.to_ready.p90 == timedelta(minutes=37)
    assert result.to_first_download.count == 3
    # 60, 120, 180 min: median 120 min; 0.9 * 2 = 1.8 -> 120 + 0.8 * 60 = 168 min.
    assert result.to_first_download.median == timedelta(minutes=120)
    assert result.to_first_download.p90 == timedelta(minutes=168)


def test_time_to_export_empty_period(db):
    result = kpis.time_to_export(EMPTY)
    assert result.requested == 0
    assert result.to_ready.median is None
    assert result.to_first_download.p90 is None
