"""Re-applying erasures after a database restore, from tombstones.

A backup restored after a purge brings the purged rows back. Tombstones record each
purge without personal data: the keyed hash of the account key, never the key itself.
:func:`reapply` finds the account again through the case, when the restored database
still has it, or else by hashing the keys of the account model's rows, and deletes the
account's data once more. Running it twice deletes nothing the second time.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from offboarding import clock
from offboarding.adapter import get_adapter
from offboarding.models import OffboardingCase, Tombstone
from offboarding.models.retention import hash_account_key
from offboarding.purge.engine import purge_account_rows
from offboarding.purge.files import delete_pending_files

logger = logging.getLogger(__name__)

TOMBSTONE_FIELDS = (
    "case_public_id",
    "account_key_hash",
    "retention_days",
    "boundary_at",
    "retention_ends_at",
    "purge_started_at",
    "purged_at",
    "counts",
    "account_row_deleted",
)


@dataclass
class Reapplied:
    case_public_id: str
    found: bool
    rows: int = 0
    account_row: bool = False


def export_tombstones(path: str) -> int:
    """Write every tombstone to ``path`` as JSON lines; keep the file outside the backups."""
    count = 0
    with open(path, "w", encoding="utf-8") as output:
        for tombstone in Tombstone.objects.order_by("pk").iterator(chunk_size=1000):
            row = {name: getattr(tombstone, name) for name in TOMBSTONE_FIELDS}
            output.write(json.dumps(row, default=str, sort_keys=True) + "\n")
            count += 1
    return count


def import_tombstones(path: str) -> int:
    """Add the tombstones of a JSON-lines file that the database lacks; return how many."""
    added = 0
    with open(path, encoding="utf-8") as source:
        for number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                values = {name: row[name] for name in TOMBSTONE_FIELDS}
            except (ValueError, KeyError) as error:
                raise ValueError(f"{path}, line {number}: invalid tombstone ({error}).") from None
            public_id = values.pop("case_public_id")
            _, created = Tombstone.objects.get_or_create(case_public_id=public_id, defaults=values)
            added += created
    return added


def account_keys_by_hash(hashes: set[str]) -> dict[str, str]:
    """Return account key by hash for the account rows whose key hashes into ``hashes``.

    NOTE: this hashes ``str(pk)``, the default adapter's account key; an adapter whose
    keys are not the primary key finds accounts only through their restored case.
    """
    found: dict[str, str] = {}
    if not hashes:
        return found
    model = get_adapter().get_account_model()
    for pk in model._default_manager.values_list("pk", flat=True).iterator(chunk_size=2000):
        digest = hash_account_key(str(pk))
        if digest in hashes:
            found[digest] = str(pk)
    return found


def reapply(tombstones: Iterable[Tombstone], *, dry_run: bool = False) -> list[Reapplied]:
    """Delete again the data of every account a tombstone names; return what was found."""
    tombstones = list(tombstones)
    keys: dict[str, str] = {}
    cases = OffboardingCase.objects.filter(
        public_id__in=[tombstone.case_public_id for tombstone in tombstones]
    ).values_list("account_key", flat=True)
    for case_account_key in cases:
        keys[hash_account_key(case_account_key)] = case_account_key
    missing = {t.account_key_hash for t in tombstones} - set(keys)
    keys.update(account_keys_by_hash(missing))

    results = []
    for tombstone in tombstones:
        account_key = keys.get(tombstone.account_key_hash)
        result = Reapplied(tombstone.case_public_id, found=account_key is not None)
        if account_key is not None and not dry_run:
            result.rows = purge_account_rows(account_key).total
            result.account_row = _delete_account_row(account_key, tombstone)
            delete_pending_files(None)
            Tombstone.objects.filter(pk=tombstone.pk).update(reapplied_at=clock.now())
            logger.info(
                "Erasure of case %s re-applied, rows: %s", tombstone.case_public_id, result.rows
            )
        results.append(result)
    return results


def _delete_account_row(account_key: str, tombstone: Tombstone) -> bool:
    adapter = get_adapter()
    account = adapter.get_account(account_key)
    if account is None or not tombstone.account_row_deleted:
        return False
    with transaction.atomic():
        account.delete()
    return True
