from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from offboarding import clock
from tests.conftest import utc


@pytest.fixture
def database_clock(db, settings):
    settings.OFFBOARDING = {"CLOCK": "database"}


def test_system_clock_is_wall_clock(settings):
    settings.OFFBOARDING = {"CLOCK": "system"}
    assert abs(clock.now() - timezone.now()) < timedelta(seconds=1)


def test_system_clock_cannot_move(settings):
    settings.OFFBOARDING = {"CLOCK": "system"}
    with pytest.raises(RuntimeError, match='"database"'):
        clock.advance(timedelta(days=1))


def test_database_clock_freezes_and_advances(database_clock):
    clock.freeze(utc(2024, 3, 5, 12))
    assert clock.now() == utc(2024, 3, 5, 12)
    clock.advance(timedelta(days=30))
    assert clock.now() == utc(2024, 4, 4, 12)


def test_database_clock_runs_with_offset(database_clock):
    clock.advance(timedelta(days=10))
    shifted = clock.now() - timezone.now()
    assert timedelta(days=10) - timedelta(seconds=1) < shifted <= timedelta(days=10)


def test_database_clock_unfreeze_continues_from_shown_time(database_clock):
    clock.freeze(utc(2030, 1, 1))
    clock.unfreeze()
    assert abs(clock.now() - utc(2030, 1, 1)) < timedelta(seconds=2)


def test_database_clock_never_moves_back(database_clock):
    with pytest.raises(ValueError, match="only moves forward"):
        clock.advance(timedelta(seconds=-1))


def test_freeze_rejects_naive_datetime(database_clock):
    from datetime import datetime

    with pytest.raises(ValueError, match="aware"):
        clock.freeze(datetime(2024, 1, 1))


def test_reset_returns_to_wall_clock(database_clock):
    clock.freeze(utc(2020, 1, 1))
    clock.reset()
    assert abs(clock.now() - timezone.now()) < timedelta(seconds=1)


def test_clock_command_moves_clock(database_clock, capsys):
    call_command("offboarding_clock", freeze="2024-03-05T12:00:00+00:00")
    call_command("offboarding_clock", days=2, hours=1)
    assert clock.now() == utc(2024, 3, 7, 13)
    assert "2024-03-07T13:00:00+00:00" in capsys.readouterr().out


def test_clock_command_rejects_bad_time(database_clock):
    with pytest.raises(CommandError):
        call_command("offboarding_clock", freeze="next tuesday")
    with pytest.raises(CommandError, match="aware"):
        call_command("offboarding_clock", freeze="2024-03-05T12:00:00")


def test_clock_to_lists_next_moments(customer, frozen_clock, capsys):
    from offboarding.models import Actor
    from offboarding.services import lifecycle

    case = lifecycle.open_case(customer, customer)
    lifecycle.confirm_cancellation(case, actor=Actor.customer(customer))

    call_command("offboarding_clock", to="2024-03-29T10:00:00+00:00")
    assert clock.now() == utc(2024, 3, 29, 10)
    out = capsys.readouterr().out
    assert "Clock: 2024-03-29T10:00:00+00:00" in out
    assert "2024-03-31T10:00:00+00:00  (in 2\xa0days)" in out
    assert "access ends" in out

    # Past the boundary, until the due work runs, the moment is listed as due.
    call_command("offboarding_clock", to="2024-04-01T00:00:00+00:00")
    assert "(due, run offboarding_run_due)  " in capsys.readouterr().out


def test_clock_to_rejects_past_or_naive(frozen_clock):
    frozen_clock.at(utc(2024, 3, 5, 12))
    with pytest.raises(CommandError, match="only moves forward"):
        call_command("offboarding_clock", to="2024-03-01T00:00:00+00:00")
    with pytest.raises(CommandError, match="aware"):
        call_command("offboarding_clock", to="2024-03-09T00:00:00")
    assert clock.now() == utc(2024, 3, 5, 12)
