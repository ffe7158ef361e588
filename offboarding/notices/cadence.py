"""The default cadence, installed by ``offboarding_setup``."""

from __future__ import annotations

import logging

from offboarding.models.notices import CadenceStep, NoticeTrigger, OffsetDirection, OffsetUnit

logger = logging.getLogger(__name__)

T = NoticeTrigger
BEFORE = OffsetDirection.BEFORE
AFTER = OffsetDirection.AFTER
DAYS = OffsetUnit.DAYS
HOURS = OffsetUnit.HOURS

# (code, trigger, direction, offset, unit, template, required)
DEFAULT_CADENCE = [
    (
        "cancellation-confirmed",
        T.CANCELLATION_CONFIRMED,
        AFTER,
        0,
        HOURS,
        "cancellation_confirmed",
        True,
    ),
    ("access-ends-in-3-days", T.BOUNDARY_REACHED, BEFORE, 3, DAYS, "access_ending", True),
    ("access-ended", T.BOUNDARY_REACHED, AFTER, 0, HOURS, "access_ended", True),
    ("deletion-in-7-days", T.RETENTION_ENDING, BEFORE, 7, DAYS, "deletion_reminder", True),
    ("deletion-in-1-day", T.RETENTION_ENDING, BEFORE, 1, DAYS, "deletion_reminder", True),
    ("deletion-done", T.PURGED, AFTER, 0, HOURS, "deletion_certificate", True),
    ("pause-ends-in-7-days", T.PAUSE_ENDING, BEFORE, 7, DAYS, "pause_ending", True),
    ("winback-30-days", T.WINBACK, AFTER, 30, DAYS, "winback", False),
    ("winback-90-days", T.WINBACK, AFTER, 90, DAYS, "winback", False),
]


def install_default_cadence() -> int:
    """Create the default cadence steps that are missing; return how many were created.

    Steps that exist are left as staff edited them, so running this on every deploy is safe.
    """
    created = 0
    for position, (code, trigger, direction, offset, unit, template, required) in enumerate(
        DEFAULT_CADENCE, start=1
    ):
        _, was_created = CadenceStep.objects.get_or_create(
            code=code,
            defaults={
                "trigger": trigger,
                "direction": direction,
                "offset": offset,
                "unit": unit,
                "template": template,
                "required": required,
                "position": position * 10,
            },
        )
        created += was_created
    if created:
        logger.info("Installed %s default cadence steps", created)
    return created
