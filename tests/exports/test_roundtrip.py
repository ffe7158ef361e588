"""Round trip: every row of every registered model comes back out of the archive."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import zipfile
from datetime import UTC, datetime
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.storage import storages

from offboarding.exports import archive as archive_module
from offboarding.exports import formats, rows, service
from offboarding.models import Actor, DataExport, ExportStatus
from offboarding.registry import DataSource, get_registry
from tests.exports.conftest import FORMULA

ALL_FORMATS = ["csv", "json", "ndjson", "xlsx"]


def run_export(account_key: str, chosen=ALL_FORMATS) -> tuple[DataExport, zipfile.ZipFile]:
    export = service.request_export(account_key, chosen, actor=Actor.system(), queue=False)
    assert service.run_export(export.pk) is not None
    export.refresh_from_db()
    assert export.status == ExportStatus.READY
    data = storages["default"].open(export.storage_name, "rb").read()
    return export, zipfile.ZipFile(io.BytesIO(data))


def expected_rows(source, account_key):
    columns = rows.columns_of(source)
    return columns, list(rows.iter_rows(source, account_key, columns))


def as_json_value(kind, value):
    """What the JSON files hold for a database value."""
    if value is None or kind in (formats.INTEGER, formats.BOOLEAN, formats.TEXT):
        return value
    if kind == formats.DECIMAL:
        return Decimal(value)
    if kind == formats.DATETIME:
        return formats.format_datetime(value)
    return formats._plain_text(kind, value)


def as_xlsx_value(kind, value):
    if value == "":
        return None  # A spreadsheet has no empty-string cells.
    if value is None or kind in (formats.INTEGER, formats.BOOLEAN, formats.TEXT):
        return value
    if kind == formats.DECIMAL:
        return float(value)
    if kind == formats.DATETIME:
        # Excel keeps times to the millisecond.
        value = value.astimezone(UTC).replace(tzinfo=None)
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    if kind == formats.DATE:
        return datetime(value.year, value.month, value.day)
    return formats._plain_text(kind, value)


@pytest.fixture
def exported(demo_accounts):
    seeds, tricky = demo_accounts
    account_key = str(seeds[0].organisation_id)
    export, archive = run_export(account_key)
    return account_key, export, archive, tricky


def test_every_row_in_every_format(exported):
    account_key, export, archive, _ = exported
    assert archive.testzip() is None
    for source in get_registry().sources():
        columns, expected = expected_rows(source, account_key)
        assert expected, f"{source.name} has no rows to compare"
        names = [column.name for column in columns]

        with archive.open(f"csv/{source.name}.csv") as handle:
            table = list(csv.reader(io.TextIOWrapper(handle, encoding="utf-8", newline="")))
        assert table[0] == names
        assert table[1:] == [
            [
                formats.render_text(column.kind, value) or ""
                for column, value in zip(columns, row, strict=True)
            ]
            for row in expected
        ]

        objects = json.loads(archive.read(f"json/{source.name}.json"), parse_float=Decimal)
        assert objects == [
            {
                column.name: as_json_value(column.kind, value)
                for column, value in zip(columns, row, strict=True)
            }
            for row in expected
        ]
        lines = archive.read(f"ndjson/{source.name}.ndjson").decode().splitlines()
        assert [json.loads(line, parse_float=Decimal) for line in lines] == objects

        with archive.open(f"xlsx/{source.name}.xlsx") as handle:
            workbook = openpyxl.load_workbook(io.BytesIO(handle.read()), read_only=True)
        sheet_rows = list(workbook[workbook.sheetnames[0]].iter_rows(values_only=True))
        assert list(sheet_rows[0]) == names
        # A read-only sheet drops trailing empty cells, so rows are padded back.
        padded = [list(row) + [None] * (len(names) - len(row)) for row in sheet_rows[1:]]
        assert padded == [
            [as_xlsx_value(column.kind, value) for column, value in zip(columns, row, strict=True)]
            for row in expected
        ]


def test_other_accounts_rows_left_out(exported, demo_accounts):
    account_key, export, archive, _ = exported
    other_key = str(demo_accounts[0][1].organisation_id)
    organisation = json.loads(archive.read("json/organisation.json"))
    assert [row["id"] for row in organisation] == [int(account_key)]
    tasks = json.loads(archive.read("json/tasks.json"))
    from config.workspace.models import Task

    other_ids = set(
        Task.objects.filter(project__organisation_id=other_key).values_list("pk", flat=True)
    )
    assert other_ids
    assert not other_ids & {row["id"] for row in tasks}


def test_manifest_counts_and_checksums(exported):
    account_key, export, archive, _ = exported
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["schema_version"] == 1
    assert manifest["account_key"] == account_key
    assert manifest["export"] == export.token
    listed = {entry["path"]: entry for entry in manifest["files"]}
    for source in get_registry().sources():
        count = source.queryset(account_key).count()
        for fmt in ALL_FORMATS:
            entry = listed[f"{fmt}/{source.name}.{fmt}"]
            assert entry["rows"] == count
    for path, entry in listed.items():
        content = archive.read(path)
        assert entry["bytes"] == len(content), path
        assert entry["sha256"] == hashlib.sha256(content).hexdigest(), path
    assert set(archive.namelist()) == set(listed) | {"manifest.json", "README.txt"}
    assert export.file_count == len(archive.namelist())
    assert export.size_bytes == storages["default"].size(export.storage_name)


def test_attachments_in_archive(exported):
    account_key, export, archive, _ = exported
    from config.workspace.models import Attachment

    attachments = Attachment.objects.filter(task__project__organisation_id=account_key)
    assert attachments.count() > 0
    manifest = json.loads(archive.read("manifest.json"))
    listed = {entry["path"]: entry for entry in manifest["files"] if entry["kind"] == "attachment"}
    expected_paths = set()
    for attachment in attachments:
        path = f"files/attachments/{attachment.pk}/{os.path.basename(attachment.file.name)}"
        expected_paths.add(path)
        with attachment.file.open("rb") as stored:
            assert archive.read(path) == stored.read()
        assert listed[path]["row_pk"] == attachment.pk
        assert listed[path]["field"] == "file"
    assert set(listed) == expected_paths
    assert not [name for name in archive.namelist() if name.startswith("attachments/")]


@pytest.mark.parametrize(
    "stored_name, row_pk, expected",
    [
        ("attachments/1/17/report.pdf", 5, "files/receipts/5/report.pdf"),
        ("report.pdf", 5, "files/receipts/5/report.pdf"),
        ("../../etc/passwd", 5, "files/receipts/5/passwd"),
        ("folder/..", 5, "files/receipts/5/_"),
        ("folder/", 5, "files/receipts/5/pdf"),
        ("a\\b\\c.txt", 5, "files/receipts/5/c.txt"),
        ("x.pdf", "a/b", "files/receipts/a_b/x.pdf"),
        ("x.pdf", "..", "files/receipts/_/x.pdf"),
    ],
)
def test_attachment_archive_path(stored_name, row_pk, expected):
    source = DataSource(
        name="receipts", model_label="shop.Receipt", account_path="customer", file_fields=("pdf",)
    )
    assert archive_module.attachment_archive_path(source, "pdf", row_pk, stored_name) == expected


def test_attachment_path_names_field_when_several():
    source = DataSource(
        name="receipts",
        model_label="shop.Receipt",
        account_path="customer",
        file_fields=("pdf", "scan"),
    )
    paths = {
        archive_module.attachment_archive_path(source, field, 5, "x.pdf")
        for field in source.file_fields
    }
    assert paths == {"files/receipts/5/pdf/x.pdf", "files/receipts/5/scan/x.pdf"}


def test_readme_explains_files(exported):
    _, _, archive, _ = exported
    readme = archive.read("README.txt").decode()
    assert "manifest.json" in readme
    assert "SHA-256" in readme
    assert "- tasks:" in readme
    assert "files/<kind of data>/<row id>/<file name>" in readme


def test_formula_inert_and_negative_number_kept(exported):
    account_key, export, archive, tricky = exported
    task_id = tricky["task"].pk
    with archive.open("csv/tasks.csv") as handle:
        table = list(csv.DictReader(io.TextIOWrapper(handle, encoding="utf-8", newline="")))
    row = next(row for row in table if row["id"] == str(task_id))
    assert row["title"] == "'" + FORMULA
    assert row["remaining_hours"] == "-42.50"
    assert float(row["remaining_hours"]) == -42.5
    assert row["description"] == 'Line one\nline "two", with a comma'

    with archive.open("csv/comments.csv") as handle:
        comments = list(csv.DictReader(io.TextIOWrapper(handle, encoding="utf-8", newline="")))
    assert next(c for c in comments if c["id"] == str(tricky["comment"].pk))["body"] == "-42.5"
    with archive.open("csv/activity.csv") as handle:
        activity = list(csv.DictReader(io.TextIOWrapper(handle, encoding="utf-8", newline="")))
    assert (
        next(a for a in activity if a["id"] == str(tricky["entry"].pk))["target"] == "'@SUM(A1:A9)"
    )

    workbook = openpyxl.load_workbook(io.BytesIO(archive.read("xlsx/tasks.xlsx")))
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    cells = next(r for r in sheet.iter_rows(min_row=2) if r[header.index("id")].value == task_id)
    title = cells[header.index("title")]
    assert title.value == FORMULA
    assert title.data_type == "s"
    remaining = cells[header.index("remaining_hours")]
    assert remaining.data_type == "n"
    assert remaining.value == -42.5
    sheet_xml = zipfile.ZipFile(io.BytesIO(archive.read("xlsx/tasks.xlsx"))).read(
        "xl/worksheets/sheet1.xml"
    )
    assert b"<f>" not in sheet_xml
