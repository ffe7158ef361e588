"""A worker killed midway: the export continues from its checkpoint, with identical files."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.db import connection
from django.utils import timezone

from offboarding.exports import service
from offboarding.models import Actor, DataExport, ExportStatus
from tests.exports.conftest import add_tricky_rows, fill_organisations

ROOT = Path(__file__).resolve().parents[2]
FORMATS = ["csv", "json", "ndjson", "xlsx"]

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def manage(*args: str, media_root: Path) -> subprocess.Popen:
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
        f"{database['PORT'] or 5432}/{database['NAME']}",
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DJANGO_MEDIA_ROOT": str(media_root),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def data_file_digests(export: DataExport) -> dict[str, str]:
    with storages["default"].open(export.storage_name, "rb") as stored:
        archive = zipfile.ZipFile(io.BytesIO(stored.read()))
    return {
        name: hashlib.sha256(archive.read(name)).hexdigest()
        for name in archive.namelist()
        if name not in ("manifest.json", "README.txt")
    }


def test_killed_export_resumes_identically(frozen_clock, settings):
    seeds = fill_organisations(["resume-a"], 12_000)
    add_tricky_rows(seeds[0].organisation_id)
    account_key = str(seeds[0].organisation_id)

    export = service.request_export(account_key, FORMATS, actor=Actor.system(), queue=False)
    worker = manage("offboarding_export", "--export", export.token, media_root=settings.MEDIA_ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        export.refresh_from_db()
        if export.progress_done >= 1:
            break
        assert worker.poll() is None, worker.communicate()
        time.sleep(0.01)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)

    export.refresh_from_db()
    assert export.status == ExportStatus.RUNNING
    assert 1 <= export.progress_done < export.progress_total
    finished_parts = dict(export.checkpoint["parts"])

    # The killed worker's lease would run out on its own; here it runs out at once.
    DataExport.objects.filter(pk=export.pk).update(lease_expires_at=timezone.now())
    resumed = manage(
        "offboarding_export", "--export", export.token, media_root=settings.MEDIA_ROOT
    )
    output, errors = resumed.communicate(timeout=240)
    assert resumed.returncode == 0, errors
    export.refresh_from_db()
    assert export.status == ExportStatus.READY, output
    assert export.attempts == 2
    assert export.progress_done == export.progress_total
    # Parts finished before the kill were kept, not written again.
    for path, part in finished_parts.items():
        assert export.checkpoint["parts"][path]["storage_name"] == part["storage_name"]

    uninterrupted = DataExport.objects.get(
        pk=service.run_export(
            service.request_export(account_key, FORMATS, actor=Actor.system(), queue=False).pk
        ).pk
    )
    assert uninterrupted.status == ExportStatus.READY
    resumed_digests = data_file_digests(export)
    assert len(resumed_digests) >= len(FORMATS) * 8
    assert resumed_digests == data_file_digests(uninterrupted)
