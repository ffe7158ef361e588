"""Export formats: how one data source's rows become CSV, JSON, NDJSON or XLSX bytes.

Every value is rendered from its model field's kind, the same way on every database:
times in UTC as ISO 8601 (``2024-03-05T12:00:00Z``), dates as ``YYYY-MM-DD``, booleans as
``true``/``false``, decimals with their stored digits. On PostgreSQL the CSV rows come
from ``COPY`` and are rendered by the SQL of :func:`rows.csv_copy_sql`, which produces the
same text as :func:`render_text` does in Python, except for the kinds its NOTE names.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula. CSV cells of text fields that start so get a leading apostrophe,
unless the whole cell is a plain number such as ``-42.5``. Cells of numeric fields are
never changed. XLSX stores such strings as text cells, never as formulas.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.db import models
from django.utils.duration import duration_iso_string

# Value kinds, from the model field's internal type.
TEXT = "text"
INTEGER = "integer"
DECIMAL = "decimal"
FLOAT = "float"
BOOLEAN = "boolean"
DATETIME = "datetime"
DATE = "date"
TIME = "time"
UUID = "uuid"
JSON = "json"
DURATION = "duration"
BINARY = "binary"

NUMERIC_KINDS = frozenset({INTEGER, DECIMAL, FLOAT})
# Kinds whose rendered text can start with a formula character and is neutralised.
NEUTRALISED_KINDS = frozenset({TEXT, JSON})

_KIND_BY_INTERNAL_TYPE = {
    "AutoField": INTEGER,
    "BigAutoField": INTEGER,
    "SmallAutoField": INTEGER,
    "IntegerField": INTEGER,
    "BigIntegerField": INTEGER,
    "SmallIntegerField": INTEGER,
    "PositiveIntegerField": INTEGER,
    "PositiveBigIntegerField": INTEGER,
    "PositiveSmallIntegerField": INTEGER,
    "DecimalField": DECIMAL,
    "FloatField": FLOAT,
    "BooleanField": BOOLEAN,
    "NullBooleanField": BOOLEAN,
    "DateTimeField": DATETIME,
    "DateField": DATE,
    "TimeField": TIME,
    "UUIDField": UUID,
    "JSONField": JSON,
    "DurationField": DURATION,
    "BinaryField": BINARY,
}

FORMATS = ("csv", "json", "ndjson", "xlsx")
EXTENSIONS = {"csv": "csv", "json": "json", "ndjson": "ndjson", "xlsx": "xlsx"}
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "ndjson": "application/x-ndjson",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

FORMULA_PREFIXES = frozenset("=+-@\t\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?\Z")
_CSV_NEEDS_QUOTES = re.compile(r'[",\r\n]')

# Excel's limits: rows per sheet including the header, and characters per cell.
XLSX_MAX_DATA_ROWS = 1_048_575
XLSX_MAX_CELL_CHARS = 32_767


def field_kind(field: models.Field) -> str:
    return _KIND_BY_INTERNAL_TYPE.get(field.get_internal_type(), TEXT)


@dataclass(frozen=True)
class Column:
    """One exported column: the ORM lookup it reads, its export name and its value kind."""

    lookup: str
    name: str
    kind: str


def is_formula_like(text: str) -> bool:
    """Return whether a spreadsheet would evaluate ``text`` as a formula."""
    return bool(text) and text[0] in FORMULA_PREFIXES and not _PLAIN_NUMBER.match(text)


def neutralise(text: str) -> str:
    """Prefix formula-like text with an apostrophe so spreadsheets show it as text."""
    return "'" + text if is_formula_like(text) else text


def format_datetime(value: datetime) -> str:
    """Render as ISO 8601 in UTC with a ``Z``, like ``2024-03-05T12:00:00.5Z``.

    Fractions of a second lose their trailing zeros, as in PostgreSQL's own output.
    """
    if settings.USE_TZ and value.tzinfo is not None:
        # isoformat() is implemented in C and far faster than strftime() per row.
        text = value.astimezone(UTC).replace(tzinfo=None).isoformat()
        suffix = "Z"
    else:
        text = value.isoformat()
        suffix = ""
    if value.microsecond:
        text = text.rstrip("0")
    return text + suffix


def _plain_text(kind: str, value: Any) -> str:
    """Render a non-null value as the text CSV and JSON strings carry, not neutralised."""
    if kind == BOOLEAN:
        return "true" if value else "false"
    if kind == DATETIME:
        return format_datetime(value)
    if kind == DATE:
        return value.isoformat()
    if kind == FLOAT:
        return repr(float(value))
    if kind == JSON:
        return json.dumps(value, ensure_ascii=False)
    if kind == DURATION:
        return duration_iso_string(value)
    if kind == BINARY:
        return bytes(value).hex()
    return str(value)


def render_text(kind: str, value: Any) -> str | None:
    """Render a value as one CSV cell's text, neutralised; None stands for SQL NULL."""
    if value is None:
        return None
    text = _plain_text(kind, value)
    return neutralise(text) if kind in NEUTRALISED_KINDS else text


def csv_cell(text: str | None) -> str:
    """Quote a cell as PostgreSQL's ``COPY ... (FORMAT csv)`` does, so both paths match."""
    if text is None:
        return ""
    if text == "" or text == "\\.":
        return f'"{text}"'
    if _CSV_NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_line(cells: Iterable[str | None]) -> str:
    return ",".join(csv_cell(cell) for cell in cells) + "\n"


def csv_header(columns: Sequence[Column]) -> bytes:
    return csv_line(neutralise(column.name) for column in columns).encode()


class ByteSink(Protocol):
    def write(self, data: bytes) -> Any: ...


# Rows rendered before their text is encoded and written in one call.
_BATCH_ROWS = 500


class RowWriter:
    """Base of the text formats: render rows, batch them and write UTF-8 to a sink."""

    def __init__(self, sink: ByteSink, columns: Sequence[Column]) -> None:
        self.sink = sink
        self.columns = list(columns)
        self.rows = 0

    def begin(self) -> None:
        """Write what comes before the first row."""

    def finish(self) -> None:
        """Write what comes after the last row."""

    def render_row(self, row: Sequence[Any]) -> str:
        raise NotImplementedError

    def write_rows(self, rows: Iterable[Sequence[Any]]) -> int:
        batch: list[str] = []
        for row in rows:
            batch.append(self.render_row(row))
            if len(batch) >= _BATCH_ROWS:
                self._flush(batch)
                batch = []
        if batch:
            self._flush(batch)
        return self.rows

    def _flush(self, batch: list[str]) -> None:
        self.sink.write(self._join(batch).encode())
        self.rows += len(batch)

    def _join(self, batch: list[str]) -> str:
        return "".join(batch)


class CsvWriter(RowWriter):
    """UTF-8 CSV without a byte order mark: a header row, LF line ends, RFC 4180 quoting."""

    def begin(self) -> None:
        self.sink.write(csv_header(self.columns))

    def render_row(self, row: Sequence[Any]) -> str:
        return csv_line(
            render_text(column.kind, value)
            for column, value in zip(self.columns, row, strict=True)
        )


# The C string encoder that json.dumps(..., ensure_ascii=False) uses, without its per-call setup.
_json_string = json.encoder.encode_basestring


def _json_number(value: Any) -> str:
    # NaN and infinities are not JSON numbers, so they are written as strings.
    if isinstance(value, Decimal):
        return str(value) if value.is_finite() else json.dumps(str(value))
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else json.dumps(repr(value))
    return str(int(value))


def json_encoder(kind: str) -> Callable[[Any], str]:
    """Return the function that renders a non-null value of ``kind`` as a JSON value."""
    if kind in NUMERIC_KINDS:
        return _json_number
    if kind == BOOLEAN:
        return lambda value: "true" if value else "false"
    if kind == JSON:
        return lambda value: json.dumps(value, ensure_ascii=False)
    if kind == TEXT:
        return lambda value: _json_string(str(value))
    if kind == DATETIME:
        return lambda value: '"' + format_datetime(value) + '"'
    return lambda value: _json_string(_plain_text(kind, value))


class NdjsonWriter(RowWriter):
    """One JSON object per line, keys in column order, UTF-8."""

    def __init__(self, sink: ByteSink, columns: Sequence[Column]) -> None:
        super().__init__(sink, columns)
        self._keys = [json.dumps(column.name, ensure_ascii=False) + ":" for column in columns]
        self._encoders = [json_encoder(column.kind) for column in columns]

    def render_object(self, row: Sequence[Any]) -> str:
        members = [
            key + ("null" if value is None else encode(value))
            for key, encode, value in zip(self._keys, self._encoders, row, strict=True)
        ]
        return "{" + ",".join(members) + "}"

    def render_row(self, row: Sequence[Any]) -> str:
        return self.render_object(row) + "\n"


class JsonWriter(NdjsonWriter):
    """One JSON array of objects, one object per line for readable diffs."""

    def begin(self) -> None:
        self.sink.write(b"[")

    def render_row(self, row: Sequence[Any]) -> str:
        return "\n" + self.render_object(row)

    def _join(self, batch: list[str]) -> str:
        text = ",".join(batch)
        return text if self.rows == 0 else "," + text

    def finish(self) -> None:
        self.sink.write(b"\n]\n" if self.rows else b"]\n")


TEXT_WRITERS: dict[str, type[RowWriter]] = {
    "csv": CsvWriter,
    "json": JsonWriter,
    "ndjson": NdjsonWriter,
}


def xlsx_value(kind: str, value: Any) -> Any:
    """Convert a value to what openpyxl stores: numbers, booleans, dates or text."""
    if value is None:
        return None
    if kind in NUMERIC_KINDS:
        if isinstance(value, Decimal) and not value.is_finite():
            return str(value)
        return value
    if kind == BOOLEAN:
        return bool(value)
    if kind == DATETIME:
        # Excel has no time zones, so the value is UTC, as the archive's README states.
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value
    if kind == DATE:
        return value
    return _plain_text(kind, value)


def write_xlsx(
    path: str,
    sheet_title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    max_data_rows: int = XLSX_MAX_DATA_ROWS,
) -> int:
    """Write ``rows`` to a new workbook at ``path``; return how many rows were written.

    Uses openpyxl's write-only mode, so memory stays flat. After ``max_data_rows`` rows a
    sheet is full and the rows continue on a new sheet named ``"<title> (2)"`` and so on,
    each with the header row. Formula-like and error-like strings become text cells.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    title = _sheet_title(sheet_title)
    sheet = None
    sheet_count = 0
    rows_in_sheet = 0
    written = 0
    kinds = [column.kind for column in columns]

    def text_cell(text: str) -> Any:
        # Excel rejects control characters and cells longer than 32,767 characters.
        text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)[:XLSX_MAX_CELL_CHARS]
        if is_formula_like(text) or text in ERROR_CODES:
            cell = WriteOnlyCell(sheet, value=text)
            cell.data_type = "s"
            cell.quotePrefix = True
            return cell
        return text

    for row in rows:
        if sheet is None or rows_in_sheet >= max_data_rows:
            sheet_count += 1
            name = title if sheet_count == 1 else f"{title} ({sheet_count})"
            sheet = workbook.create_sheet(name)
            sheet.append([text_cell(column.name) for column in columns])
            rows_in_sheet = 0
        values = []
        for kind, value in zip(kinds, row, strict=True):
            converted = xlsx_value(kind, value)
            values.append(text_cell(converted) if isinstance(converted, str) else converted)
        sheet.append(values)
        rows_in_sheet += 1
        written += 1

    if sheet is None:
        sheet = workbook.create_sheet(title)
        sheet.append([text_cell(column.name) for column in columns])
    _save_reproducibly(workbook, path)
    return written


# Fixed in the workbook's properties and its ZIP entries, so the same rows always give
# the same bytes (openpyxl would stamp the current time).
_FIXED_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


def _save_reproducibly(workbook: Any, path: str) -> None:
    import os
    import shutil
    import zipfile

    from openpyxl.writer.excel import ExcelWriter

    class FixedTimeZipFile(zipfile.ZipFile):
        def writestr(self, zinfo_or_arcname: Any, data: Any, *args: Any, **kwargs: Any) -> None:
            if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
                zinfo_or_arcname = self._entry(zinfo_or_arcname)
            super().writestr(zinfo_or_arcname, data, *args, **kwargs)

        def write(self, filename: Any, arcname: Any = None, *args: Any, **kwargs: Any) -> None:
            entry = self._entry(arcname)
            # The size lets zipfile choose ZIP64 for a sheet file above 4 GiB.
            entry.file_size = os.path.getsize(filename)
            with open(filename, "rb") as source, self.open(entry, "w") as target:
                shutil.copyfileobj(source, target, 1024 * 1024)

        def _entry(self, name: str) -> zipfile.ZipInfo:
            entry = zipfile.ZipInfo(name, date_time=_FIXED_TIMESTAMP)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            return entry

    fixed = datetime(*_FIXED_TIMESTAMP)
    workbook.properties.created = fixed
    workbook.properties.modified = fixed
    with FixedTimeZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(workbook, archive).save()


def _sheet_title(name: str) -> str:
    # Sheet titles are at most 31 characters; room is left for a " (12)" suffix.
    return re.sub(r"[\[\]:*?/\\]", "_", name)[:25] or "data"


def default_for_dates(value: Any) -> Any:
    """``json.dumps`` default for values outside JSON's types (used in the manifest)."""
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
