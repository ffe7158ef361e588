"""Step handlers of the purge ("retention_over") and of the certificate ("purged")."""

from __future__ import annotations

import logging
from typing import Any

from offboarding.purge.certificate import issue_certificate, send_certificate
from offboarding.purge.service import purge_case
from offboarding.steps import step_handler

logger = logging.getLogger(__name__)


@step_handler("retention_over", name="purge_account_data")
def purge_account_data(case: Any, step: Any) -> dict[str, Any]:
    return purge_case(case)


@step_handler("purged", name="issue_deletion_certificate")
def issue_deletion_certificate(case: Any, step: Any) -> dict[str, Any]:
    certificate = issue_certificate(case)
    send_certificate(case, certificate)
    return {"certificate_sha256": certificate.sha256}
