"""The app's one clock.

Every read of "now" in the app goes through :func:`now`. With ``OFFBOARDING["CLOCK"] =
"system"`` it is the wall clock. With ``"database"`` it is the wall clock shifted or frozen
by the single :class:`~offboarding.models.ClockState` row, like a billing test clock: the
demo and the tests move it forward and every process (web server, workers, beat) sees the
same time, so a whole retention window can be walked in minutes.

Leases, retry delays and measurements use the wall clock (``django.utils.timezone.now``),
because they are about real elapsed time, not about the customer's timeline.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone

from offboarding.conf import app_settings

logger = logging.getLogger(__name__)

SYSTEM = "system"
DATABASE = "database"


def now() -> datetime:
    """Return the current time, aware and in UTC, as the app's clock sees it."""
    wall = timezone.now()
    if app_settings.CLOCK != DATABASE:
        return wall

    from offboarding.models import ClockState

    row = (
        ClockState.objects.filter(pk=ClockState.SINGLETON_ID)
        .values_list("frozen_at", "offset")
        .first()
    )
    if row is None:
        return wall
    frozen_at, offset = row
    if frozen_at is not None:
        return frozen_at
    return wall + offset


def _require_movable() -> None:
    if app_settings.CLOCK != DATABASE:
        raise RuntimeError(
            'The clock can only be moved with OFFBOARDING["CLOCK"] = "database"; '
            f"it is {app_settings.CLOCK!r}."
        )


def freeze(at: datetime) -> datetime:
    """Stop the clock at ``at`` (aware) until it is advanced, unfrozen or reset."""
    _require_movable()
    if timezone.is_naive(at):
        raise ValueError("The clock takes aware datetimes only.")
    from offboarding.models import ClockState

    ClockState.objects.update_or_create(
        pk=ClockState.SINGLETON_ID, defaults={"frozen_at": at, "offset": timedelta(0)}
    )
    logger.info("Clock frozen at %s", at.isoformat())
    return at


def advance(delta: timedelta) -> datetime:
    """Move the clock forward by ``delta``, frozen or running, and return the new now."""
    _require_movable()
    if delta < timedelta(0):
        raise ValueError("The clock only moves forward; due work already done stays done.")
    from offboarding.models import ClockState

    state, _ = ClockState.objects.get_or_create(pk=ClockState.SINGLETON_ID)
    if state.frozen_at is not None:
        state.frozen_at += delta
    else:
        state.offset += delta
    state.save(update_fields=["frozen_at", "offset"])
    logger.info("Clock advanced by %s", delta)
    return now()


def unfreeze() -> datetime:
    """Let a frozen clock run again from the time it shows."""
    _require_movable()
    from offboarding.models import ClockState

    state = ClockState.objects.filter(pk=ClockState.SINGLETON_ID).first()
    if state is not None and state.frozen_at is not None:
        state.offset = state.frozen_at - timezone.now()
        state.frozen_at = None
        state.save(update_fields=["frozen_at", "offset"])
    return now()


def reset() -> datetime:
    """Put the clock back on the wall clock."""
    _require_movable()
    from offboarding.models import ClockState

    ClockState.objects.filter(pk=ClockState.SINGLETON_ID).delete()
    logger.info("Clock reset to the wall clock")
    return now()
