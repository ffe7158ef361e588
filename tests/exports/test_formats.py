"""Formats: neutralised CSV cells, PostgreSQL-compatible quoting, JSON and XLSX details."""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from datetime import UTC, datetime
from decimal import Decimal

import openpyxl
import pytest

from offboarding.exports import formats
from offboarding.exports.zipwriter import DEFLATED, ZipWriter


@pytest.mark.parametrize(
    "text, expected",
    [
        ('=HYPERLINK("http://example.invalid")', '\'=HYPERLINK("http://example.invalid")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tindented", "'\tindented"),
        ("\rcarriage", "'\rcarriage"),
        ("-42.5", "-42.5"),
        ("+7", "+7"),
        ("-", "'-"),
        ("plain text", "plain text"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_neutralise(text, expected):
    assert formats.neutralise(text) == expected


def test_numbers_never_neutralised():
    assert formats.render_text(formats.DECIMAL, Decimal("-42.50")) == "-42.50"
    assert formats.render_text(formats.INTEGER, -3) == "-3"
    assert formats.render_text(formats.FLOAT, -0.5) == "-0.5"


@pytest.mark.parametrize(
    "cell, expected",
    [
        (None, ""),
        ("", '""'),
        ("\\.", '"\\."'),
        ("a,b", '"a,b"'),
        ('say "hi"', '"say ""hi"""'),
        ("two\nlines", '"two\nlines"'),
        ("cr\ronly", '"cr\ronly"'),
        ("plain", "plain"),
    ],
)
def test_csv_cell_quoting(cell, expected):
    assert formats.csv_cell(cell) == expected


def test_datetime_rendering():
    moment = datetime(2024, 3, 5, 12, 0, 0, tzinfo=UTC)
    assert formats.format_datetime(moment) == "2024-03-05T12:00:00Z"
    assert formats.format_datetime(moment.replace(microsecond=1500)) == "2024-03-05T12:00:00.0015Z"


def columns(*pairs):
    return [formats.Column(name, name, kind) for name, kind in pairs]


def test_json_writer_empty_and_rows():
    cols = columns(("id", formats.INTEGER), ("amount", formats.DECIMAL), ("note", formats.TEXT))
    empty = io.BytesIO()
    writer = formats.JsonWriter(empty, cols)
    writer.begin()
    writer.write_rows([])
    writer.finish()
    assert json.loads(empty.getvalue()) == []

    sink = io.BytesIO()
    writer = formats.JsonWriter(sink, cols)
    writer.begin()
    assert writer.write_rows([(i, Decimal("-42.50"), "=1+1") for i in range(1201)]) == 1201
    writer.finish()
    loaded = json.loads(sink.getvalue(), parse_float=Decimal)
    assert len(loaded) == 1201
    assert loaded[0] == {"id": 0, "amount": Decimal("-42.50"), "note": "=1+1"}


def test_xlsx_continues_on_next_sheet(tmp_path):
    path = tmp_path / "tasks.xlsx"
    cols = columns(("id", formats.INTEGER), ("title", formats.TEXT))
    written = formats.write_xlsx(
        str(path), "tasks", cols, ((i, f"task {i}") for i in range(7)), max_data_rows=3
    )
    assert written == 7
    workbook = openpyxl.load_workbook(path, read_only=True)
    assert workbook.sheetnames == ["tasks", "tasks (2)", "tasks (3)"]
    ids = []
    for name in workbook.sheetnames:
        sheet_rows = list(workbook[name].iter_rows(values_only=True))
        assert sheet_rows[0] == ("id", "title")
        ids += [row[0] for row in sheet_rows[1:]]
    assert ids == list(range(7))


def test_xlsx_text_cells_for_formulas_and_errors(tmp_path):
    path = tmp_path / "notes.xlsx"
    cols = columns(("note", formats.TEXT), ("amount", formats.DECIMAL))
    formats.write_xlsx(
        str(path),
        "notes",
        cols,
        [("=1+1", Decimal("-42.5")), ("#N/A", None), ("bad\x01char", None)],
    )
    sheet = openpyxl.load_workbook(path).active
    assert [(cell.value, cell.data_type) for cell in sheet["A"][1:]] == [
        ("=1+1", "s"),
        ("#N/A", "s"),
        ("bad\ufffdchar", "s"),
    ]
    assert sheet["B2"].value == -42.5
    assert sheet["B2"].data_type == "n"


def test_zip_writer_zip64_header_read_back():
    output = io.BytesIO()
    archive = ZipWriter(output)
    data = "über,data\n".encode() * 50
    compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
    body = compressor.compress(data) + compressor.flush()
    archive.add_compressed(
        "csv/über.csv",
        io.BytesIO(body),
        method=DEFLATED,
        crc32=zlib.crc32(data),
        compressed_size=len(body),
        file_size=len(data),
    )
    # A size hint above 4 GiB forces ZIP64 sizes in the local header.
    archive.add_stream("attachments/big.bin", [b"x" * 10, b"y" * 10], size_hint=5 * 2**30, level=1)
    archive.close()
    with zipfile.ZipFile(io.BytesIO(output.getvalue())) as read_back:
        assert read_back.testzip() is None
        assert read_back.read("csv/über.csv") == data
        assert read_back.read("attachments/big.bin") == b"x" * 10 + b"y" * 10
        assert all(info.flag_bits & 0x800 for info in read_back.infolist())
        assert {info.date_time for info in read_back.infolist()} == {(1980, 1, 1, 0, 0, 0)}


@pytest.mark.postgres
@pytest.mark.parametrize("iso_utc_session", [True, False])
def test_copy_rendering_matches_python(db, iso_utc_session):
    from django.db import connection

    from offboarding.exports.rows import _rendered_sql

    values = [
        ("timestamptz", formats.DATETIME, datetime(2024, 3, 5, 12, 0, 0, tzinfo=UTC)),
        ("timestamptz", formats.DATETIME, datetime(2024, 3, 5, 12, 0, 0, 500000, tzinfo=UTC)),
        ("timestamptz", formats.DATETIME, datetime(999, 1, 2, 3, 4, 5, 10, tzinfo=UTC)),
        ("date", formats.DATE, datetime(2024, 3, 5).date()),
        ("boolean", formats.BOOLEAN, False),
        ("numeric", formats.DECIMAL, Decimal("-42.50")),
        ("text", formats.TEXT, "=1+1"),
        ("text", formats.TEXT, "-42.5"),
        ("text", formats.TEXT, "\tx"),
    ]
    with connection.cursor() as cursor:
        for sql_type, kind, value in values:
            expression = _rendered_sql(kind, f"%s::{sql_type}", iso_utc_session=iso_utc_session)
            # COPY writes every value as text, so the SELECT casts to text too.
            cursor.execute(
                f"SELECT ({expression.replace('%s', '(%s)')})::text",
                [value] * expression.count("%s"),
            )
            assert cursor.fetchone()[0] == formats.render_text(kind, value), (sql_type, value)
