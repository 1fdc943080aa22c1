"""Rows of Log Analytics, Sentinel and Defender Advanced Hunting table exports.

The portals export a query result as CSV or JSON. In the CSV, datetime columns carry
the display zone as a unit suffix (``TimeGenerated [UTC]``), datetimes are written in
the display format (``5/14/2024, 9:10:02.000 AM``), and nested columns (``Status``,
``LocationDetails``, ``Folders``) are JSON text. JSON exports are arrays or lines of
objects keyed by column name. This module turns both into :class:`TableRow` values
with the suffixes removed, so table readers map columns by their plain names.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from chainwatch.events import Origin
from chainwatch.read.base import Rejected
from chainwatch.read.timestamps import parse_timestamp
from chainwatch.read.ual_input import (
    MAX_RAW_BYTES,
    FieldError,
    JsonRecord,
    decode_head,
    exceeds_depth,
    iter_json_records,
    open_csv_text,
    read_csv_header,
)

_UNIT_SUFFIX = re.compile(r"\s*\[(?P<unit>[^\]]*)\]\s*$")
# The portal's display format puts a comma between date and time: "5/14/2024, 9:10:02 AM".
_DISPLAY_DATE_COMMA = re.compile(r"^(\d{1,2}/\d{1,2}/\d{4}),\s*")


@dataclass(frozen=True, slots=True)
class TableRow:
    """One exported row: column names without unit suffixes, mapped to their values."""

    origin: Origin
    fields: dict[str, Any]
    raw: bytes


def column_name(header: str) -> tuple[str, str | None]:
    """Split ``"TimeGenerated [UTC]"`` into ``("TimeGenerated", "UTC")``."""
    match = _UNIT_SUFFIX.search(header)
    if match is None:
        return header.strip(), None
    return header[: match.start()].strip(), match["unit"].strip()


def csv_columns(head: str) -> list[str]:
    """Return the plain column names of a CSV from the text of its first bytes."""
    lines = head.splitlines()
    if lines and lines[0].startswith("#TYPE"):
        lines = lines[1:]
    if not lines:
        return []
    try:
        names = next(csv.reader([lines[0]]), [])
    except csv.Error:
        return []
    return [column_name(name.replace("\ufeff", "").strip().strip('"'))[0] for name in names]


def is_json_text(head: bytes) -> bool:
    return decode_head(head).lstrip().startswith(("[", "{"))


def iter_table_rows(path: Path) -> Iterator[TableRow | Rejected]:
    """Yield every row of a CSV or JSON table export, or a ``Rejected`` per bad row."""
    file = str(path)
    try:
        with path.open("rb") as probe:
            head = probe.read(4096)
    except OSError as exc:
        yield Rejected(Origin(file, ""), f"cannot read file: {exc.strerror or exc}")
        return
    if is_json_text(head):
        for item in iter_json_records(path):
            if isinstance(item, JsonRecord):
                yield TableRow(item.origin, item.value, item.raw)
            else:
                yield item
        return
    yield from _iter_csv_rows(path)


def _iter_csv_rows(path: Path) -> Iterator[TableRow | Rejected]:
    file = str(path)
    try:
        text = open_csv_text(path)
    except OSError as exc:
        yield Rejected(Origin(file, ""), f"cannot read file: {exc.strerror or exc}")
        return
    with text:
        headers = read_csv_header(text)
        names: list[str] = []
        for header in headers:
            name, unit = column_name(header)
            if unit is not None and unit.lower() not in ("utc", ""):
                reason = (
                    f"column {header!r} holds times in the display zone {unit!r}, whose "
                    "offset the file does not record; export again with the display "
                    "time set to UTC"
                )
                yield Rejected(Origin(file, "row 0"), reason, field=header)
                return
            names.append(name)
        yield from _csv_data_rows(file, names, csv.reader(text))


def _csv_data_rows(
    file: str, names: list[str], reader: Iterator[list[str]]
) -> Iterator[TableRow | Rejected]:
    number = 0
    while True:
        number += 1
        origin = Origin(file, f"row {number}")
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Rejected(origin, f"invalid CSV: {exc}")
            continue
        if not any(cell.strip() for cell in cells):
            number -= 1
            continue
        raw = ",".join(cells).encode("utf-8", errors="replace")[:MAX_RAW_BYTES]
        yield TableRow(origin, dict(zip(names, cells, strict=False)), raw)


def text(value: Any) -> str:
    """Return a scalar cell as stripped text; ``None``, objects and lists become ``""``."""
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()


def json_cell(value: Any, field: str) -> Any:
    """Return a nested column: parsed from JSON text, or as it is if already parsed.

    Empty text becomes ``None``. Raises :class:`FieldError` for invalid or too deeply
    nested JSON text.
    """
    if isinstance(value, str):
        stripped = value.strip()
        if not stripped:
            return None
        if stripped[0] not in "[{":
            return value
        try:
            parsed = orjson.loads(stripped)
        except orjson.JSONDecodeError as exc:
            raise FieldError(field, f"invalid JSON text: {exc}") from None
        if exceeds_depth(parsed):
            raise FieldError(field, "JSON text nested too deeply")
        return parsed
    return value


def table_time(value: Any, field: str) -> datetime:
    """Parse a datetime cell in ISO 8601 or the portal's ``M/D/YYYY, h:mm:ss.fff AM`` form.

    Raises :class:`FieldError` naming ``field`` when the cell is empty or invalid.
    """
    raw = text(value)
    if not raw:
        raise FieldError(field, "missing")
    # NOTE: the portal writes dates in the browser's locale. A day-first date is
    # rejected when its day is above 12. Otherwise it is read month-first and may be wrong.
    try:
        return parse_timestamp(_DISPLAY_DATE_COMMA.sub(r"\1 ", raw))
    except ValueError as exc:
        raise FieldError(field, str(exc)) from None


def lower_keys(record: dict[str, Any]) -> dict[str, Any]:
    return {str(key).lower(): value for key, value in record.items()}
