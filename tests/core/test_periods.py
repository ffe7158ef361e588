import pytest

from offboarding.billing import periods
from tests.conftest import utc


def test_monthly_periods_anchored_on_month_end():
    anchor = utc(2024, 1, 31, 10)
    ends = [periods.period(anchor, "month", index).end for index in range(4)]
    assert ends == [
        utc(2024, 2, 29, 10),
        utc(2024, 3, 31, 10),
        utc(2024, 4, 30, 10),
        utc(2024, 5, 31, 10),
    ]


def test_yearly_periods_anchored_on_leap_day():
    anchor = utc(2024, 2, 29)
    renewals = [periods.period(anchor, "year", index).end for index in range(4)]
    assert renewals == [utc(2025, 2, 28), utc(2026, 2, 28), utc(2027, 2, 28), utc(2028, 2, 29)]


def test_period_at_finds_containing_period():
    anchor = utc(2024, 1, 31, 10)
    current = periods.period_at(anchor, "month", utc(2024, 3, 5))
    assert (current.index, current.start, current.end) == (
        1,
        utc(2024, 2, 29, 10),
        utc(2024, 3, 31, 10),
    )


def test_period_at_on_exact_boundary_starts_next_period():
    anchor = utc(2024, 1, 31, 10)
    current = periods.period_at(anchor, "month", utc(2024, 3, 31, 10))
    assert current.start == utc(2024, 3, 31, 10)
    assert current.end == utc(2024, 4, 30, 10)


def test_period_at_before_anchor_is_first_period():
    current = periods.period_at(utc(2024, 1, 31), "month", utc(2023, 12, 1))
    assert current.index == 0


def test_period_rejects_unknown_interval():
    with pytest.raises(ValueError, match="Unknown billing interval 'week'"):
        periods.period(utc(2024, 1, 1), "week", 0)


def test_period_rejects_negative_index():
    with pytest.raises(ValueError, match="0 or more"):
        periods.period(utc(2024, 1, 1), "month", -1)
