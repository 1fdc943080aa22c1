"""File input shared by the Microsoft 365 readers: encodings, JSON documents and lines, CSV.

The Unified Audit Log, Entra sign-in and message trace readers all receive the same
kinds of files: a JSON array, JSON lines, an OData page (``{"value": [...]}`` or
``{"d": {"results": [...]}}``), or a CSV written by PowerShell or a portal. Those files
may start with a UTF-8 BOM or be UTF-16 (Windows PowerShell 5.1 ``Out-File``). This
module turns them into records or :class:`~chainwatch.read.base.Rejected` items; a
property test with random bytes checks that bad content does not raise.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import orjson

from chainwatch.events import Origin
from chainwatch.read.base import MAX_JSON_DOCUMENT_BYTES, ReadItem, Rejected

MAX_LINE_BYTES = 16 * 1024 * 1024
MAX_JSON_DEPTH = 64
MAX_CSV_FIELD_CHARS = 64 * 1024 * 1024
# A Rejected item keeps at most this much of the record, enough to show and search.
MAX_RAW_BYTES = 16 * 1024 * 1024  # as large as the longest line a reader accepts

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_JSON_ERROR_LINE = re.compile(r"line (\d+)")


class FieldError(Exception):
    """A record that cannot become an event because one field is missing or invalid."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


# Decodes one stripped JSON line into an item, or returns None to leave the line to the
# generic path. Readers pass one to read the common record shapes without a whole dict.
LineProjection = Callable[[bytes, Origin], ReadItem | None]


@dataclass(frozen=True, slots=True)
class JsonRecord:
    """One JSON object read from a file, with where it was and its raw bytes."""

    origin: Origin
    value: Any
    raw: bytes


def decode_head(head: bytes) -> str:
    """Decode the first bytes of a file for sniffing, tolerating a BOM and UTF-16."""
    if head.startswith(_UTF16_BOMS):
        return head.decode("utf-16", errors="ignore")
    return head.decode("utf-8-sig", errors="ignore")


def exceeds_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Return whether ``value`` nests lists or objects deeper than ``limit`` levels."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def load_json(data: bytes | str, field: str) -> Any:
    """Parse JSON text, raising :class:`FieldError` for invalid or too deeply nested input.

    Bytes that are not UTF-8 (a Latin-1 name in an otherwise valid record) become U+FFFD,
    so one bad byte costs one character, not the record.
    """
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if not isinstance(data, bytes) or "UTF-8" not in str(exc):
            raise FieldError(field, f"invalid JSON: {exc}") from None
        try:
            value = orjson.loads(data.decode("utf-8", "replace"))
        except orjson.JSONDecodeError as again:
            raise FieldError(field, f"invalid JSON: {again}") from None
    if may_exceed_depth(data) and exceeds_depth(value):
        raise FieldError(field, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return value


def may_exceed_depth(data: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Return False when JSON text has too few brackets to nest deeper than ``limit``.

    Each level of nesting opens a ``[`` or ``{``, so text with at most ``limit`` of
    them cannot exceed the limit. Brackets inside strings only make this count high,
    which sends the value to :func:`exceeds_depth` for the exact check. Counting runs
    in C and spares most records the walk over every value.
    """
    if isinstance(data, bytes):
        return data.count(b"{") + data.count(b"[") > limit
    return data.count("{") + data.count("[") > limit


def iter_json_records(
    path: Path, project: LineProjection | None = None
) -> Iterator[JsonRecord | ReadItem]:
    """Yield every JSON object in a file: a whole document, JSON lines, or OData pages.

    A file whose first line is a complete JSON value is read as JSON lines, one
    ``Rejected`` per bad line. Anything else is one document, loaded whole up to
    ``MAX_JSON_DOCUMENT_BYTES``. With ``project``, each JSON line within the length
    and depth limits is first offered to it, and its item is yielded in place of the
    ``JsonRecord``; lines it returns ``None`` for are read as without it.
    """
    file = str(path)
    try:
        with _open_utf8_lines(path) as lines:
            first = lines.readline(MAX_LINE_BYTES + 1)
            if _is_complete_json(first) or len(first) > MAX_LINE_BYTES:
                if project is None:
                    yield from _iter_json_lines(file, first, lines)
                else:
                    yield from _iter_projected_lines(file, first, lines, project)
                return
    except OSError as exc:
        yield Rejected(Origin(file, ""), f"cannot read file: {exc.strerror or exc}")
        return
    yield from _iter_json_document(path)


def _open_utf8_lines(path: Path) -> io.BufferedReader | _TranscodedLines:
    handle = path.open("rb")
    start = handle.peek(4)[:4] if hasattr(handle, "peek") else b""
    if start.startswith(_UTF16_BOMS):
        return _TranscodedLines(handle)
    if start.startswith(codecs.BOM_UTF8):
        handle.read(len(codecs.BOM_UTF8))
    return handle


class _TranscodedLines:
    """Lines of a UTF-16 file, re-encoded as UTF-8 bytes for orjson."""

    def __init__(self, handle: io.BufferedReader) -> None:
        self._handle = handle
        self._text = io.TextIOWrapper(handle, encoding="utf-16", errors="replace", newline="")

    def readline(self, limit: int = -1) -> bytes:
        return self._text.readline(limit).encode("utf-8")

    def read(self, size: int = -1) -> bytes:
        return self._text.read(size).encode("utf-8")

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline(MAX_LINE_BYTES + 1):
            yield line

    def __enter__(self) -> _TranscodedLines:
        return self

    def __exit__(self, *_: object) -> None:
        self._text.close()


def _is_complete_json(line: bytes) -> bool:
    stripped = line.strip()
    if not stripped or len(line) > MAX_LINE_BYTES:
        return False
    try:
        orjson.loads(stripped)
    except orjson.JSONDecodeError as exc:
        if "UTF-8" not in str(exc):
            return False
        try:
            orjson.loads(stripped.decode("utf-8", "replace"))
        except orjson.JSONDecodeError:
            return False
    return True


def _iter_json_lines(
    file: str, first: bytes, lines: io.BufferedReader | _TranscodedLines
) -> Iterator[JsonRecord | Rejected]:
    number = 1
    line = first
    while line:
        yield from _json_line_records(file, number, line, lines)
        number += 1
        line = lines.readline(MAX_LINE_BYTES + 1)


def _iter_projected_lines(
    file: str,
    first: bytes,
    lines: io.BufferedReader | _TranscodedLines,
    project: LineProjection,
) -> Iterator[JsonRecord | ReadItem]:
    """Read JSON lines as :func:`_iter_json_lines` does, offering each line to ``project``.

    Only lines within ``MAX_LINE_BYTES`` and with at most ``MAX_JSON_DEPTH`` brackets
    reach ``project``, so the limits of the generic path hold for both.
    """
    number = 1
    line = first
    while line:
        item = None
        if len(line) <= MAX_LINE_BYTES and not may_exceed_depth(line):
            item = project(line.strip(), Origin(file, f"line {number}"))
        if item is None:
            yield from _json_line_records(file, number, line, lines)
        else:
            yield item
        number += 1
        line = lines.readline(MAX_LINE_BYTES + 1)


def _json_line_records(
    file: str, number: int, line: bytes, lines: io.BufferedReader | _TranscodedLines
) -> Iterator[JsonRecord | Rejected]:
    position = f"line {number}"
    if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
        _skip_to_line_end(lines)
        reason = f"line longer than {MAX_LINE_BYTES // (1024 * 1024)} MiB; not loaded"
        yield Rejected(Origin(file, position), reason, raw=line[:4096])
        return

    stripped = line.strip()
    if not stripped:
        return
    try:
        value = load_json(stripped, "")
    except FieldError as exc:
        yield Rejected(Origin(file, position), exc.reason, raw=stripped[:MAX_RAW_BYTES])
        return
    yield from _expand(file, position, value, stripped)


def _skip_to_line_end(lines: io.BufferedReader | _TranscodedLines) -> None:
    while chunk := lines.readline(1024 * 1024):
        if chunk.endswith(b"\n"):
            return


def _iter_json_document(path: Path) -> Iterator[JsonRecord | Rejected]:
    file = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_JSON_DOCUMENT_BYTES:
            limit = MAX_JSON_DOCUMENT_BYTES // (1024 * 1024)
            reason = f"JSON document larger than {limit} MiB; split it or export JSON lines"
            yield Rejected(Origin(file, ""), reason)
            return
        with _open_utf8_lines(path) as handle:
            data = handle.read()
    except OSError as exc:
        yield Rejected(Origin(file, ""), f"cannot read file: {exc.strerror or exc}")
        return

    if not data.strip():
        return
    try:
        value = load_json(data, "")
    except FieldError as exc:
        found = _JSON_ERROR_LINE.search(exc.reason)
        position = f"line {found[1]}" if found else ""
        yield from _salvage_document(file, data, position, exc.reason)
        return
    yield from _expand(file, "", value, b"")


# The array of records inside a page: Graph "value", Azure Monitor "records", Google "items".
_RECORD_ARRAY = re.compile(rb'"(?:value|records|items)"\s*:\s*\[')


def _salvage_document(
    file: str, data: bytes, position: str, reason: str
) -> Iterator[JsonRecord | Rejected]:
    """Read the complete records before the point where a broken document fails.

    An interrupted download cuts a JSON array in the middle; everything before the cut is
    still valid, record by record. The rest is set aside as one rejected item.
    """
    stripped = data.lstrip()
    if stripped.startswith(b"["):
        start = len(data) - len(stripped) + 1
    else:
        found = _RECORD_ARRAY.search(data, 0, 64 * 1024)
        start = found.end() if found else -1
    recovered = 0
    offset = start
    if start >= 0:
        text = data.decode("utf-8", "replace")
        # Offsets below are in characters of ``text``; map the byte start onto it.
        offset = len(data[:start].decode("utf-8", "replace"))
        decoder = json.JSONDecoder()
        while True:
            while offset < len(text) and text[offset] in " \t\r\n,":
                offset += 1
            if offset >= len(text) or text[offset] == "]":
                break
            try:
                value, end = decoder.raw_decode(text, offset)
            except (ValueError, RecursionError):
                break
            recovered += 1
            where = Origin(file, f"record {recovered}")
            if exceeds_depth(value):
                reason_deep = f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
                yield Rejected(where, reason_deep, raw=text[offset:end].encode()[:MAX_RAW_BYTES])
            else:
                yield _record(file, where.position, value, b"")
            offset = end
        tail = text[offset:].encode("utf-8")
    else:
        tail = data
    if recovered:
        reason = (
            f"{reason}; the {recovered} complete records before it were read, the remaining "
            f"{len(tail)} bytes are set aside (re-export, or export JSON lines)"
        )
    else:
        reason = f"{reason}; no record of this file could be read ({len(data)} bytes)"
    yield Rejected(Origin(file, position), reason, raw=tail[:MAX_RAW_BYTES])


def _expand(file: str, position: str, value: Any, raw: bytes) -> Iterator[JsonRecord | Rejected]:
    """Yield the records inside one parsed value: an array, an OData page or one object."""
    members = _members(value)
    if members is None:
        yield _record(file, position, value, raw)
        return
    for index, member in enumerate(members, start=1):
        where = f"{position}, record {index}" if position else f"record {index}"
        nested = _members(member)
        if nested is None:
            yield _record(file, where, member, b"")
            continue
        for inner_index, inner in enumerate(nested, start=1):
            yield _record(file, f"{where}.{inner_index}", inner, b"")


def _members(value: Any) -> list[Any] | None:
    if isinstance(value, list):
        return value
    if not isinstance(value, dict):
        return None
    page = value.get("value")
    if isinstance(page, list) and (
        len(value) == 1 or any(key.startswith("@odata.") for key in value)
    ):
        return page
    records = value.get("records")
    if isinstance(records, list) and len(value) == 1:
        return records  # Event Hub capture and storage-account diagnostic blobs
    odata_v2 = value.get("d")
    if isinstance(odata_v2, dict):
        results = odata_v2.get("results")
        return results if isinstance(results, list) else [odata_v2]
    return None


def _record(file: str, position: str, value: Any, raw: bytes) -> JsonRecord | Rejected:
    origin = Origin(file, position)
    if not raw:
        try:
            raw = orjson.dumps(value)[:MAX_RAW_BYTES]
        except TypeError:  # integers beyond 64 bits, NaN: the stdlib encoder writes them
            raw = json.dumps(value, default=repr).encode("utf-8", "replace")[:MAX_RAW_BYTES]
    if not isinstance(value, dict):
        kind = type(value).__name__
        return Rejected(origin, f"expected a JSON object, found {kind}", raw=raw[:MAX_RAW_BYTES])
    return JsonRecord(origin, value, raw[:MAX_RAW_BYTES])


def open_csv_text(path: Path) -> TextIO:
    """Open a CSV export as text: UTF-8 with or without BOM, or UTF-16 with a BOM.

    Undecodable bytes become U+FFFD so that one bad byte costs one field, not the file.
    """
    csv.field_size_limit(max(csv.field_size_limit(), MAX_CSV_FIELD_CHARS))
    with path.open("rb") as probe:
        start = probe.read(4)
    encoding = "utf-16" if start.startswith(_UTF16_BOMS) else "utf-8-sig"
    return path.open(encoding=encoding, errors="replace", newline="")


def read_csv_header(text: TextIO) -> list[str]:
    """Read the header row, skipping the ``#TYPE`` line of Windows PowerShell 5.1.

    Header names lose a stray BOM, surrounding quotes and whitespace, so a file
    re-saved by Excel still maps by name.
    """
    line = text.readline()
    if line.startswith("#TYPE"):
        line = text.readline()
    try:
        names = next(csv.reader([line]), [])
    except csv.Error:
        return []
    return [name.replace("\ufeff", "").strip().strip('"').strip() for name in names]


def csv_header_of(head: str) -> list[str]:
    """Return the header names of a CSV from the text of its first bytes, for sniffing."""
    lines = head.splitlines()
    if lines and lines[0].startswith("#TYPE"):
        lines = lines[1:]
    if not lines:
        return []
    return read_csv_header(io.StringIO(lines[0]))


def is_truthy(value: Any) -> bool:
    """Read the booleans of M365 exports: ``True``, ``"True"``, ``"true"``, ``"1"``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return isinstance(value, str) and value.strip().lower() in ("true", "1", "yes")
