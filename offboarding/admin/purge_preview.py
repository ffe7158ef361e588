"""Row counts that a purge of a case's account would delete, shown before "Purge now"."""

from __future__ import annotations

import logging

from offboarding.models import OffboardingCase
from offboarding.purge.service import DryRun, dry_run

logger = logging.getLogger(__name__)


def preview(case: OffboardingCase) -> DryRun:
    """Count, per data source in purge order, the rows the purge would delete; delete nothing."""
    report = dry_run(case)
    logger.info(
        "Case %s: purge preview counted rows: %s, files: %s",
        case.public_id,
        report.total,
        report.files,
    )
    return report
