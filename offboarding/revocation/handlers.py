"""Step handlers of the boundary: one step per built-in revoker, one for the host's.

Each built-in revoker is its own step, so a failing one is retried on its own while the
others finish. The host's revokers (``OFFBOARDING["REVOKERS"]``) share one step that runs
each of them, records each success, and fails at the end if any failed, so a retry runs
them all again. That is safe because revokers are idempotent.
"""

from __future__ import annotations

import logging
from typing import Any

from offboarding.conf import app_settings
from offboarding.revocation.base import load_revoker, run_revoker
from offboarding.revocation.sessions import SessionRevoker
from offboarding.revocation.sso import SocialAccountRevoker
from offboarding.revocation.tokens import ApiTokenRevoker
from offboarding.steps import step_handler

logger = logging.getLogger(__name__)


class HostRevokerFailed(Exception):
    """One or more of the host's revokers raised; the others ran and were recorded."""


@step_handler("boundary_reached", name="revoke_sessions")
def revoke_sessions(case: Any, step: Any) -> dict[str, Any]:
    return run_revoker(case, SessionRevoker())


@step_handler("boundary_reached", name="revoke_sso")
def revoke_sso(case: Any, step: Any) -> dict[str, Any]:
    return run_revoker(case, SocialAccountRevoker())


@step_handler("boundary_reached", name="revoke_api_tokens")
def revoke_api_tokens(case: Any, step: Any) -> dict[str, Any]:
    return run_revoker(case, ApiTokenRevoker())


@step_handler("boundary_reached", name="revoke_host_access")
def revoke_host_access(case: Any, step: Any) -> dict[str, Any]:
    results: dict[str, Any] = {}
    failed: list[str] = []
    for path in app_settings.REVOKERS:
        try:
            results[path] = run_revoker(case, load_revoker(path))
        except Exception:
            logger.exception("Host revoker %s failed for case %s", path, case.public_id)
            failed.append(path)
    if failed:
        raise HostRevokerFailed(f"Revokers failed: {', '.join(failed)}; the others were recorded.")
    return results
