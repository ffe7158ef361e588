"""A ZIP writer that takes entries already deflated, so parts are compressed only once.

Python's ``zipfile`` compresses whatever it is given. An export compresses each data
file while it is produced (see :mod:`offboarding.exports.archive`), stores that part,
and later copies the compressed bytes into the archive as they are. Resuming an export
therefore never compresses a finished part again. Entries use UTF-8 names (flag bit 11),
one timestamp for every entry (the time the export was made, in UTC, because an MS-DOS
timestamp names no zone), and ZIP64 records only where a size, an offset or the entry
count needs them (PKWARE APPNOTE 6.3.9, sections 4.3, 4.4.6 and 4.5.3).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO, Protocol


class Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...


STORED = 0
DEFLATED = 8

_LIMIT_32 = 0xFFFFFFFF
_LIMIT_16 = 0xFFFF
_UTF8_FLAG = 0x0800
# The MS-DOS date field counts years from 1980; earlier times are written as 1980-01-01.
_DOS_EPOCH = datetime(1980, 1, 1, tzinfo=UTC)
_VERSION_DEFAULT = 20
_VERSION_ZIP64 = 45
_VERSION_MADE_BY = (3 << 8) | _VERSION_ZIP64  # Unix, spec 4.5
_FILE_ATTRIBUTES = (0o100644 & 0xFFFF) << 16
_COPY_CHUNK = 1024 * 1024


@dataclass
class EntryInfo:
    name: str
    method: int
    crc32: int
    compressed_size: int
    file_size: int
    header_offset: int


def dos_date_time(moment: datetime) -> tuple[int, int]:
    """Return the MS-DOS (date, time) fields of ``moment`` in UTC, to the even second below."""
    utc = max(moment.astimezone(UTC), _DOS_EPOCH)
    date = ((utc.year - 1980) << 9) | (utc.month << 5) | utc.day
    time = (utc.hour << 11) | (utc.minute << 5) | (utc.second // 2)
    return date, time


class ZipWriter:
    """Write ZIP entries to a seekable binary file, then the central directory on close().

    Every entry is dated ``modified_at`` (an aware datetime), or 1980-01-01 00:00 without it.
    """

    def __init__(self, output: BinaryIO, *, modified_at: datetime | None = None) -> None:
        self.output = output
        self.entries: list[EntryInfo] = []
        self._names: set[str] = set()
        self._dos_date, self._dos_time = dos_date_time(modified_at or _DOS_EPOCH)

    def add_compressed(
        self,
        name: str,
        source: Readable,
        *,
        method: int,
        crc32: int,
        compressed_size: int,
        file_size: int,
    ) -> EntryInfo:
        """Copy ``compressed_size`` bytes of ready-made entry data from ``source``."""
        entry = self._begin(name, method, crc32, compressed_size, file_size)
        remaining = compressed_size
        while remaining:
            chunk = source.read(min(_COPY_CHUNK, remaining))
            if not chunk:
                raise ValueError(f"Entry {name!r} ended {remaining} bytes early.")
            self.output.write(chunk)
            remaining -= len(chunk)
        return entry

    def add_stream(
        self,
        name: str,
        chunks: Iterable[bytes],
        *,
        size_hint: int,
        level: int,
        on_data: Callable[[bytes], object] | None = None,
    ) -> EntryInfo:
        """Deflate ``chunks`` into a new entry; its header is patched once the sizes are known.

        ``size_hint`` (the expected uncompressed size) decides up front whether the
        entry needs ZIP64 sizes. ``on_data`` is called with every uncompressed chunk, for checksums.
        """
        zip64 = size_hint * 1.05 > _LIMIT_32
        entry = self._begin(name, DEFLATED, 0, 0, 0, force_zip64=zip64)
        compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
        crc = 0
        size = 0
        written = 0
        for chunk in chunks:
            if on_data is not None:
                on_data(chunk)
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
            compressed = compressor.compress(chunk)
            self.output.write(compressed)
            written += len(compressed)
        tail = compressor.flush()
        self.output.write(tail)
        written += len(tail)
        if not zip64 and (size > _LIMIT_32 or written > _LIMIT_32):
            raise ValueError(f"Entry {name!r} outgrew its size hint of {size_hint} bytes.")
        entry.crc32, entry.compressed_size, entry.file_size = crc, written, size
        self._patch_local_header(entry, zip64)
        return entry

    def add_bytes(self, name: str, data: bytes, *, level: int) -> EntryInfo:
        compressed = zlib.compressobj(level, zlib.DEFLATED, -15)
        body = compressed.compress(data) + compressed.flush()
        entry = self._begin(name, DEFLATED, zlib.crc32(data), len(body), len(data))
        self.output.write(body)
        return entry

    def close(self) -> None:
        """Write the central directory and the end records; the output stays open."""
        directory_offset = self.output.tell()
        for entry in self.entries:
            self.output.write(self._central_header(entry))
        directory_size = self.output.tell() - directory_offset
        count = len(self.entries)
        needs_zip64 = (
            count >= _LIMIT_16 or directory_offset >= _LIMIT_32 or directory_size >= _LIMIT_32
        )
        if needs_zip64:
            record_offset = self.output.tell()
            self.output.write(
                struct.pack(
                    "<IQHHIIQQQQ",
                    0x06064B50,
                    44,
                    _VERSION_MADE_BY,
                    _VERSION_ZIP64,
                    0,
                    0,
                    count,
                    count,
                    directory_size,
                    directory_offset,
                )
            )
            self.output.write(struct.pack("<IIQI", 0x07064B50, 0, record_offset, 1))
        self.output.write(
            struct.pack(
                "<IHHHHIIH",
                0x06054B50,
                0,
                0,
                min(count, _LIMIT_16),
                min(count, _LIMIT_16),
                min(directory_size, _LIMIT_32),
                min(directory_offset, _LIMIT_32),
                0,
            )
        )

    # Headers

    def _begin(
        self,
        name: str,
        method: int,
        crc32: int,
        compressed_size: int,
        file_size: int,
        *,
        force_zip64: bool = False,
    ) -> EntryInfo:
        if name in self._names:
            raise ValueError(f"Duplicate archive entry {name!r}.")
        self._names.add(name)
        entry = EntryInfo(name, method, crc32, compressed_size, file_size, self.output.tell())
        zip64 = force_zip64 or compressed_size >= _LIMIT_32 or file_size >= _LIMIT_32
        encoded = name.encode()
        extra = struct.pack("<HHQQ", 0x0001, 16, file_size, compressed_size) if zip64 else b""
        self.output.write(
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                _VERSION_ZIP64 if zip64 else _VERSION_DEFAULT,
                _UTF8_FLAG,
                method,
                self._dos_time,
                self._dos_date,
                crc32,
                _LIMIT_32 if zip64 else compressed_size,
                _LIMIT_32 if zip64 else file_size,
                len(encoded),
                len(extra),
            )
        )
        self.output.write(encoded + extra)
        self.entries.append(entry)
        return entry

    def _patch_local_header(self, entry: EntryInfo, zip64: bool) -> None:
        end = self.output.tell()
        self.output.seek(entry.header_offset + 14)
        if zip64:
            self.output.write(struct.pack("<I", entry.crc32))
            self.output.seek(entry.header_offset + 30 + len(entry.name.encode()) + 4)
            self.output.write(struct.pack("<QQ", entry.file_size, entry.compressed_size))
        else:
            self.output.write(
                struct.pack("<III", entry.crc32, entry.compressed_size, entry.file_size)
            )
        self.output.seek(end)

    def _central_header(self, entry: EntryInfo) -> bytes:
        extra_values = []
        file_size, compressed_size, offset = (
            entry.file_size,
            entry.compressed_size,
            entry.header_offset,
        )
        if file_size >= _LIMIT_32:
            extra_values.append(file_size)
            file_size = _LIMIT_32
        if compressed_size >= _LIMIT_32:
            extra_values.append(compressed_size)
            compressed_size = _LIMIT_32
        if offset >= _LIMIT_32:
            extra_values.append(offset)
            offset = _LIMIT_32
        extra = b""
        if extra_values:
            extra = struct.pack(
                f"<HH{len(extra_values)}Q", 0x0001, 8 * len(extra_values), *extra_values
            )
        encoded = entry.name.encode()
        version = _VERSION_ZIP64 if extra else _VERSION_DEFAULT
        return (
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                _VERSION_MADE_BY,
                version,
                _UTF8_FLAG,
                entry.method,
                self._dos_time,
                self._dos_date,
                entry.crc32,
                compressed_size,
                file_size,
                len(encoded),
                len(extra),
                0,
                0,
                0,
                _FILE_ATTRIBUTES,
                offset,
            )
            + encoded
            + extra
        )
