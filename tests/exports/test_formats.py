"""Formats: neutralised CSV cells, PostgreSQL-compatible quoting, JSON and XLSX details."""

from __future__ import annotations

import io
import json
import zipfile
import zlib
import zoneinfo
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


def test_zip_writer_dates_entries_in_utc():
    output = io.BytesIO()
    # 00:31:15 in Berlin is 23:31:15 UTC the day before; DOS times keep even seconds.
    moment = datetime(2027, 1, 2, 0, 31, 15, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
    archive = ZipWriter(output, modified_at=moment)
    archive.add_bytes("README.txt", b"hello", level=1)
    archive.add_stream("files/a.bin", [b"data"], size_hint=4, level=1)
    archive.close()
    with zipfile.ZipFile(io.BytesIO(output.getvalue())) as read_back:
        assert read_back.testzip() is None
        dates = {info.date_time for info in read_back.infolist()}
    assert dates == {(2027, 1, 1, 23, 31, 14)}


COPY_RENDERING_CASES = [
    ("timestamptz", formats.DATETIME, datetime(2024, 3, 5, 12, 0, 0, tzinfo=UTC)),
    ("timestamptz", formats.DATETIME, datetime(2024, 3, 5, 12, 0, 0, 500000, tzinfo=UTC)),
    ("timestamptz", formats.DATETIME, datetime(2024, 3, 5, 23, 59, 59, 120000, tzinfo=UTC)),
    ("timestamptz", formats.DATETIME, datetime(999, 1, 2, 3, 4, 5, 10, tzinfo=UTC)),
    ("timestamptz", formats.DATETIME, None),
    ("date", formats.DATE, datetime(2024, 3, 5).date()),
    ("date", formats.DATE, None),
    ("boolean", formats.BOOLEAN, False),
    ("boolean", formats.BOOLEAN, True),
    ("boolean", formats.BOOLEAN, None),
    ("numeric", formats.DECIMAL, Decimal("-42.50")),
    ("integer", formats.INTEGER, -3),
    ("text", formats.TEXT, "=1+1"),
    ("text", formats.TEXT, "-42.5"),
    ("text", formats.TEXT, "+7"),
    ("text", formats.TEXT, "-"),
    ("text", formats.TEXT, "\tx"),
    ("text", formats.TEXT, "\rx"),
    ("text", formats.TEXT, "@SUM(A1)"),
    ("text", formats.TEXT, "a=b"),
    ("text", formats.TEXT, "émoji 🙂"),
    ("text", formats.TEXT, ""),
    ("text", formats.TEXT, None),
    ("varchar", formats.TEXT, "+deploy"),
    ("jsonb", formats.JSON, -1),
    ("jsonb", formats.JSON, {"a": "=1"}),
]


def copy_rendered(cursor, sql_type, kind, value, *, iso_date_style):
    from offboarding.exports.rows import _rendered_sql

    expression = _rendered_sql(kind, f"%s::{sql_type}", iso_date_style=iso_date_style)
    parameter = json.dumps(value) if sql_type == "jsonb" and value is not None else value
    # COPY writes every value as text, so the SELECT casts to text too.
    cursor.execute(
        f"SELECT ({expression.replace('%s', '(%s)')})::text",
        [parameter] * expression.count("%s"),
    )
    return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.parametrize(
    "date_style, time_zone",
    [("ISO, MDY", "UTC"), ("ISO, DMY", "America/New_York"), ("SQL, DMY", "Asia/Kolkata")],
)
def test_copy_rendering_matches_python(db, date_style, time_zone):
    from django.db import connection

    from offboarding.exports.rows import session_uses_iso_dates

    with connection.cursor() as cursor:
        # set_config(..., true) acts as SET LOCAL, so the settings end with the transaction.
        cursor.execute("SELECT set_config('DateStyle', %s, true)", [date_style])
        cursor.execute("SELECT set_config('TimeZone', %s, true)", [time_zone])
        iso_date_style = session_uses_iso_dates(connection)
        assert iso_date_style == date_style.startswith("ISO")
        for sql_type, kind, value in COPY_RENDERING_CASES:
            rendered = copy_rendered(cursor, sql_type, kind, value, iso_date_style=iso_date_style)
            assert rendered == formats.render_text(kind, value), (sql_type, value)


@pytest.mark.postgres
@pytest.mark.parametrize("iso_date_style", [True, False])
def test_copy_rendering_naive_times(db, settings, iso_date_style):
    from django.db import connection

    # Without USE_TZ the ORM reads a timestamptz as naive time in the session's zone.
    settings.USE_TZ = False
    moment = datetime(2024, 3, 5, 12, 0, 0, 250000, tzinfo=UTC)
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('TimeZone', 'Asia/Kolkata', true)")
        rendered = copy_rendered(
            cursor, "timestamptz", formats.DATETIME, moment, iso_date_style=iso_date_style
        )
    assert rendered == "2024-03-05T17:30:00.25"
