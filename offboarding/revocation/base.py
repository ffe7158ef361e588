"""The revoker interface and the record every revoker run leaves."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.module_loading import import_string

from offboarding import clock
from offboarding.adapter import get_adapter

logger = logging.getLogger(__name__)


@dataclass
class Revoked:
    """What one revoker run revoked: how many items, and ids or kinds without personal data."""

    count: int = 0
    detail: dict[str, Any] = field(default_factory=dict)


class Revoker:
    """Revokes one kind of access of an account's members at the boundary.

    Subclasses set ``name`` and implement :meth:`revoke`. A revoker must be idempotent:
    a second run for the same case finds nothing left to revoke and returns a count of 0.
    """

    name: str = ""

    def revoke(self, case: Any, account: Any) -> Revoked:
        raise NotImplementedError

    def member_ids(self, account: Any) -> list[Any]:
        return list(get_adapter().get_members(account).values_list("pk", flat=True))


class CallableRevoker(Revoker):
    """Wraps a host function ``revoke(case, account) -> int | Revoked`` as a revoker."""

    def __init__(self, name: str, func: Callable[[Any, Any], Any]) -> None:
        self.name = name
        self.func = func

    def revoke(self, case: Any, account: Any) -> Revoked:
        outcome = self.func(case, account)
        if isinstance(outcome, Revoked):
            return outcome
        return Revoked(count=int(outcome or 0))


def load_revoker(path: str) -> Revoker:
    """Import the revoker named by ``path``: a :class:`Revoker` subclass or a function."""
    target = import_string(path)
    if isinstance(target, type) and issubclass(target, Revoker):
        revoker = target()
        revoker.name = revoker.name or path
        return revoker
    if callable(target):
        return CallableRevoker(path, target)
    raise TypeError(f"Revoker {path!r} is neither a Revoker subclass nor a function.")


def record_revocation(case: Any, revoker_name: str, revoked: Revoked) -> Any:
    """Add this run's count to the case's record for ``revoker_name``, creating it once."""
    from offboarding.models import RevocationRecord

    with transaction.atomic():
        record, created = RevocationRecord.objects.select_for_update().get_or_create(
            case=case,
            revoker=revoker_name,
            defaults={"count": revoked.count, "detail": revoked.detail, "revoked_at": clock.now()},
        )
        if not created:
            detail = {**record.detail, **revoked.detail} if revoked.count else record.detail
            RevocationRecord.objects.filter(pk=record.pk).update(
                count=F("count") + revoked.count,
                runs=F("runs") + 1,
                detail=detail,
            )
            record.refresh_from_db()
    return record


def run_revoker(case: Any, revoker: Revoker) -> dict[str, Any]:
    """Run ``revoker`` for the case's account and record it; skip if access came back."""
    case.refresh_from_db()
    if case.has_product_access():
        # A reactivation between the boundary and this retry: revoking now would lock out
        # a paying customer.
        logger.info(
            "Revoker %s skipped for case %s: access restored", revoker.name, case.public_id
        )
        return {"revoker": revoker.name, "skipped": "product access restored"}

    account = get_adapter().get_account(case.account_key)
    if account is None:
        revoked = Revoked(0, {"account": "not found"})
    else:
        revoked = revoker.revoke(case, account)
    record = record_revocation(case, revoker.name, revoked)
    logger.info(
        "Revoker %s for case %s done, items revoked: %s",
        revoker.name,
        case.public_id,
        revoked.count,
    )
    return {"revoker": revoker.name, "count": revoked.count, "total": record.count}
