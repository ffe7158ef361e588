"""Export archives: data files built as compressed parts, then one ZIP with a manifest.

A part is one data source in one format. It is rendered, hashed (SHA-256 and CRC-32 of
the file the customer will extract) and deflated in one pass into a temporary file,
which is then saved to the export storage. The archive copies each part's compressed
bytes as they are and adds the attachments, ``manifest.json`` and ``README.txt``. Every
step streams through fixed-size buffers, so memory does not grow with the data.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import posixpath
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any, BinaryIO, cast

from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db.models import FileField
from django.template.loader import render_to_string
from django.utils import translation

from offboarding.conf import app_settings
from offboarding.exports import formats, rows
from offboarding.exports.zipwriter import DEFLATED, STORED, Readable, ZipWriter
from offboarding.registry import DataSource

logger = logging.getLogger(__name__)

MANIFEST_SCHEMA_VERSION = 1
_READ_CHUNK = 1024 * 1024
# Top folder of the attachments in the archive.
ATTACHMENTS_FOLDER = "files"


def export_storage() -> Storage:
    return storages[app_settings.STORAGE_ALIAS]


@dataclass
class PartInfo:
    """A finished part: where it is stored and what the extracted file contains."""

    path: str
    source: str
    format: str
    storage_name: str
    method: int
    rows: int
    bytes: int
    sha256: str
    crc32: int
    compressed_size: int
    part_sha256: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class PartSink:
    """Hash, count and (optionally) deflate bytes into a binary file in one pass."""

    def __init__(self, output: BinaryIO, *, level: int | None) -> None:
        self.output = output
        # Number of data rows in the bytes, which write_part sets.
        self.rows = 0
        self.sha256 = hashlib.sha256()
        self.part_sha256 = hashlib.sha256()
        self.crc32 = 0
        self.size = 0
        self.compressed_size = 0
        self._compressor = (
            zlib.compressobj(level, zlib.DEFLATED, -15) if level is not None else None
        )

    @property
    def method(self) -> int:
        return DEFLATED if self._compressor is not None else STORED

    def write(self, data: bytes | bytearray) -> None:
        self.sha256.update(data)
        self.crc32 = zlib.crc32(data, self.crc32)
        self.size += len(data)
        self._emit(self._compressor.compress(data) if self._compressor is not None else data)

    def close(self) -> None:
        if self._compressor is not None:
            self._emit(self._compressor.flush())

    def _emit(self, data: bytes | bytearray) -> None:
        if data:
            self.part_sha256.update(data)
            self.compressed_size += len(data)
            self.output.write(data)


def _chunks(stream: Readable) -> Iterator[bytes]:
    while chunk := stream.read(_READ_CHUNK):
        yield chunk


def archive_path(source: DataSource, fmt: str) -> str:
    return f"{fmt}/{source.name}.{formats.EXTENSIONS[fmt]}"


def write_part(source: DataSource, fmt: str, account_key: str, output: BinaryIO) -> PartSink:
    """Render the account's rows of ``source`` in ``fmt`` into ``output`` and return the sink."""
    columns = rows.columns_of(source)
    level = app_settings.EXPORT_COMPRESSION_LEVEL
    if fmt == "xlsx":
        sink = PartSink(
            output, level=None
        )  # XLSX is a ZIP already; deflating it again gains nothing.
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as workbook:
            count = formats.write_xlsx(
                workbook.name, source.name, columns, rows.iter_rows(source, account_key, columns)
            )
            workbook.seek(0)
            for chunk in _chunks(workbook):
                sink.write(chunk)
    elif fmt == "csv" and rows.uses_copy(source):
        sink = PartSink(output, level=level)
        sink.write(formats.csv_header(columns))
        count = 0
        for batch, batch_rows in rows.copy_csv_batches(source, account_key, columns):
            sink.write(batch)
            count += batch_rows
    else:
        sink = PartSink(output, level=level)
        writer = formats.TEXT_WRITERS[fmt](sink, columns)
        writer.begin()
        count = writer.write_rows(rows.iter_rows(source, account_key, columns))
        writer.finish()
    sink.close()
    sink.rows = count
    return sink


def build_part(source: DataSource, fmt: str, account_key: str, storage_dir: str) -> PartInfo:
    """Write one part to a temporary file and save it to the export storage."""
    path = archive_path(source, fmt)
    with tempfile.TemporaryFile() as scratch:
        sink = write_part(source, fmt, account_key, scratch)
        scratch.seek(0)
        storage_name = export_storage().save(
            f"{storage_dir}/parts/{source.name}.{fmt}.part", File(scratch)
        )
    return PartInfo(
        path=path,
        source=source.name,
        format=fmt,
        storage_name=storage_name,
        method=sink.method,
        rows=sink.rows,
        bytes=sink.size,
        sha256=sink.sha256.hexdigest(),
        crc32=sink.crc32,
        compressed_size=sink.compressed_size,
        part_sha256=sink.part_sha256.hexdigest(),
    )


class PartCorrupted(Exception):
    """A stored part's bytes no longer match the checksum recorded when it was written."""

    def __init__(self, part: PartInfo) -> None:
        self.part = part
        super().__init__(f"Stored part {part.storage_name!r} does not match its checksum.")


class _VerifyingReader:
    """Read a stored part while hashing it, to compare with the recorded checksum."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.sha256 = hashlib.sha256()

    def read(self, size: int) -> bytes:
        data = self.stream.read(size)
        self.sha256.update(data)
        return data


@dataclass
class ArchiveResult:
    storage_name: str
    file_count: int
    size_bytes: int
    manifest: dict[str, Any]


def attachment_archive_path(
    source: DataSource, field_name: str, row_pk: Any, stored_name: str
) -> str:
    """Return an attachment's path in the archive: ``files/<source>/<row pk>/<file name>``.

    The stored name's folders are the storage's layout, not the customer's, so only its
    last segment is kept. The row's primary key (the ``id`` column of most data files)
    ties the file to its row. A source with several file fields gets one more folder,
    named after the field, so that two files of one row never share a path. Segments are
    never empty, ``.`` or ``..`` and contain no slash, so the path stays inside ``files/``.
    """
    file_name = posixpath.basename(stored_name.replace("\\", "/")) or field_name
    folders = [source.name, str(row_pk)]
    if len(source.file_fields) > 1:
        folders.append(field_name)
    return "/".join([ATTACHMENTS_FOLDER, *map(_path_segment, folders), _path_segment(file_name)])


def _path_segment(text: str) -> str:
    text = text.replace("/", "_").replace("\\", "_")
    return "_" if text in ("", ".", "..") else text


def _attachments(
    sources: list[DataSource], account_key: str
) -> Iterator[tuple[DataSource, str, Any, str]]:
    """Yield (source, field name, row pk, stored name) for each file of the account, by pk."""
    for source in sources:
        for field_name in source.file_fields:
            names = (
                source.queryset(account_key)
                .exclude(**{field_name: ""})
                .exclude(**{f"{field_name}__isnull": True})
                .values_list("pk", field_name)
            )
            for pk, stored_name in names.iterator(chunk_size=app_settings.EXPORT_CHUNK_SIZE):
                yield source, field_name, pk, stored_name


def assemble(
    *,
    export_token: str,
    account_key: str,
    parts: list[PartInfo],
    sources: list[DataSource],
    generated_at: Any,
    formats_chosen: list[str],
    language: str,
    storage_dir: str,
) -> ArchiveResult:
    """Build the archive from stored parts and the account's attachments; save it."""
    storage = export_storage()
    level = app_settings.EXPORT_COMPRESSION_LEVEL
    files: list[dict[str, Any]] = []
    missing: list[dict[str, Any]] = []

    with tempfile.TemporaryFile() as scratch:
        archive = ZipWriter(scratch, modified_at=generated_at)
        for part in parts:
            with storage.open(part.storage_name, "rb") as stored:
                reader = _VerifyingReader(stored)
                archive.add_compressed(
                    part.path,
                    reader,
                    method=part.method,
                    crc32=part.crc32,
                    compressed_size=part.compressed_size,
                    file_size=part.bytes,
                )
            if reader.sha256.hexdigest() != part.part_sha256:
                raise PartCorrupted(part)
            files.append(
                {
                    "path": part.path,
                    "kind": "data",
                    "source": part.source,
                    "format": part.format,
                    "rows": part.rows,
                    "bytes": part.bytes,
                    "sha256": part.sha256,
                }
            )

        # NOTE: attachments are not checkpointed; a run stopped while assembling copies
        # them all again, which costs time for accounts with many large files.
        for source, field_name, pk, stored_name in _attachments(sources, account_key):
            field_storage = cast(FileField, source.model._meta.get_field(field_name)).storage
            path = attachment_archive_path(source, field_name, pk, stored_name)
            try:
                size = field_storage.size(stored_name)
                handle = field_storage.open(stored_name, "rb")
            except (FileNotFoundError, OSError):
                logger.warning(
                    "Export %s: attachment of %s row %s is missing from storage",
                    export_token[:8],
                    source.name,
                    pk,
                )
                missing.append({"source": source.name, "row_pk": pk, "field": field_name})
                continue
            digest = hashlib.sha256()
            with handle:
                entry = archive.add_stream(
                    path, _chunks(handle), size_hint=size, level=level, on_data=digest.update
                )
            files.append(
                {
                    "path": path,
                    "kind": "attachment",
                    "source": source.name,
                    "row_pk": pk,
                    "field": field_name,
                    "rows": None,
                    "bytes": entry.file_size,
                    "sha256": digest.hexdigest(),
                }
            )

        manifest = {
            "schema_version": MANIFEST_SCHEMA_VERSION,
            "account_key": account_key,
            "export": export_token,
            "generated_at": formats.format_datetime(generated_at),
            "formats": formats_chosen,
            "sources": [
                {
                    "name": source.name,
                    "model": source.model._meta.label,
                    "columns": list(source.fields.values()),
                }
                for source in sources
            ],
            "files": files,
            "missing_attachments": missing,
        }
        archive.add_bytes(
            "manifest.json",
            json.dumps(
                manifest, ensure_ascii=False, indent=2, default=formats.default_for_dates
            ).encode(),
            level=level,
        )
        archive.add_bytes("README.txt", _readme(manifest, language).encode(), level=level)
        archive.close()
        size = scratch.tell()
        scratch.seek(0)
        storage_name = storage.save(f"{storage_dir}/data-export.zip", File(scratch))

    return ArchiveResult(
        storage_name=storage_name,
        file_count=len(archive.entries),
        size_bytes=size,
        manifest=manifest,
    )


def _readme(manifest: dict[str, Any], language: str) -> str:
    # The README describes only the folders of the chosen formats, and files/ only when
    # the archive contains attachments.
    chosen = set(manifest["formats"])
    context = {
        "manifest": manifest,
        "formats": {fmt: fmt in chosen for fmt in formats.FORMATS},
        "has_attachments": any(item["kind"] == "attachment" for item in manifest["files"]),
    }
    with translation.override(language):
        return render_to_string("offboarding/exports/README.txt", context)


def _files_in(storage: Storage, directory: str) -> list[str]:
    try:
        _, files = storage.listdir(directory)
    except (FileNotFoundError, NotImplementedError):
        return []
    return [f"{directory}/{name}" for name in files]


def delete_stale_archives(storage_dir: str) -> int:
    """Delete archives a stopped run saved but never recorded, before a new one is built."""
    storage = export_storage()
    stale = _files_in(storage, storage_dir)
    for name in stale:
        storage.delete(name)
    return len(stale)


def delete_export_files(storage_dir: str, names: list[str], *, with_archives: bool = False) -> int:
    """Delete an export's part files (and with ``with_archives`` its archives); return the count.

    Also deletes stray files left in the export's directory by a worker that was
    stopped between saving a file and recording it.
    """
    storage = export_storage()
    deleted = 0
    candidates = [name for name in names if name] + _files_in(storage, f"{storage_dir}/parts")
    if with_archives:
        candidates += _files_in(storage, storage_dir)
    for name in dict.fromkeys(candidates):
        if storage.exists(name):
            storage.delete(name)
            deleted += 1
    remove_empty_directories(
        storage,
        [f"{storage_dir}/parts", storage_dir] if with_archives else [f"{storage_dir}/parts"],
    )
    return deleted


def remove_empty_directories(storage: Storage, directories: list[str]) -> None:
    """Remove ``directories`` (in order) from local storage where they are empty.

    A file system storage keeps a directory after its last file is deleted. Object
    stores have no directories, and their storages have no ``path()``.
    """
    for directory in directories:
        try:
            path = storage.path(directory)
        except NotImplementedError:
            return
        try:
            os.rmdir(path)
        except OSError:
            # Not empty (another export's files, a worker still saving), or already gone.
            continue
