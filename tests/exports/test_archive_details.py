"""Export archive details for the customer: entry dates, README folders, the portal line."""

from __future__ import annotations

import io
import zipfile

from django.core.files.storage import storages
from django.template import Context, Template

from offboarding.exports import service
from offboarding.models import Actor, DataExport, ExportStatus
from tests.conftest import utc


def export_of(account_key: str, chosen: list[str]) -> tuple[DataExport, zipfile.ZipFile]:
    export = service.request_export(account_key, chosen, actor=Actor.system(), queue=False)
    assert service.run_export(export.pk) is not None
    export.refresh_from_db()
    assert export.status == ExportStatus.READY
    data = storages["default"].open(export.storage_name, "rb").read()
    return export, zipfile.ZipFile(io.BytesIO(data))


def test_entries_dated_when_export_made(demo_accounts, frozen_clock):
    seeds, _ = demo_accounts
    frozen_clock.at(utc(2026, 12, 4, 23, 32, 10))

    _, archive = export_of(str(seeds[0].organisation_id), ["csv", "json"])

    dates = {info.date_time for info in archive.infolist()}
    assert dates == {(2026, 12, 4, 23, 32, 10)}


def test_readme_lists_only_chosen_formats(demo_accounts):
    seeds, _ = demo_accounts

    _, archive = export_of(str(seeds[0].organisation_id), ["csv", "json"])
    readme = archive.read("README.txt").decode()

    assert "- csv/:" in readme
    assert "- json/:" in readme
    assert "ndjson/" not in readme
    assert "xlsx/" not in readme
    assert "Excel keeps times" not in readme
    assert "apostrophe" in readme


def test_readme_without_csv_skips_csv_notes(demo_accounts):
    seeds, _ = demo_accounts

    _, archive = export_of(str(seeds[0].organisation_id), ["ndjson", "xlsx"])
    readme = archive.read("README.txt").decode()

    assert "- ndjson/:" in readme
    assert "- xlsx/:" in readme
    assert "csv/" not in readme
    assert "- json/" not in readme
    assert "apostrophe" not in readme
    assert "Excel keeps times" in readme


def test_portal_line_names_archive_formats():
    export = DataExport(formats=["json", "csv", "xlsx"])
    template = Template("{% load offboarding_exports %}{{ export|export_format_names }}")

    assert template.render(Context({"export": export})) == "CSV, JSON, XLSX"
