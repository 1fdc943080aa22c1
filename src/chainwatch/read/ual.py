"""Readers for the Microsoft 365 Unified Audit Log (UAL).

:class:`UalJsonReader` reads Management Activity API records: a JSON array (one content
blob), JSON lines, or single objects. :class:`UalCsvReader` reads the two CSV layouts,
the Purview portal export (``RecordId, CreationDate, RecordType, Operation, UserId,
AuditData, ...``) and ``Search-UnifiedAuditLog | Export-Csv`` (``RunspaceId, RecordType,
CreationDate, UserIds, Operations, AuditData, ResultIndex, ResultCount, Identity, ...``).
Columns are mapped by name. Event fields come from the ``AuditData`` JSON, not from the
wrapper columns, whose dates follow the exporting machine's locale.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

from chainwatch.events import Origin
from chainwatch.read.base import Notice, ReadItem, Rejected
from chainwatch.read.ip import parse_ip
from chainwatch.read.timestamps import parse_timestamp
from chainwatch.read.ual_input import (
    MAX_RAW_BYTES,
    FieldError,
    JsonRecord,
    csv_header_of,
    decode_head,
    iter_json_records,
    load_json,
    open_csv_text,
    read_csv_header,
)
from chainwatch.read.ual_projection import project_audit_line
from chainwatch.read.ual_records import (
    RULE_OPERATIONS,
    audit_record_to_item,
    build_rule_change,
)
from chainwatch.read.ual_rules import RuleSettings

# Search-UnifiedAuditLog and the portal stop at these row counts per query.
EXPORT_CAPS = (5000, 50000)
_SALVAGE = re.compile(r'"(?P<key>CreationTime|ClientIP|ClientIPAddress)"\s*:\s*"(?P<value>[^"]*)"')


class UalJsonReader:
    """Reads Unified Audit Log records exported as JSON (Management Activity API)."""

    name = "ual-json"

    def sniff(self, head: bytes, path: str) -> bool:
        text = decode_head(head).lstrip()
        if not text.startswith(("[", "{")):
            return False
        return '"CreationTime"' in text and '"Operation"' in text

    def read(self, path: Path) -> Iterator[ReadItem]:
        project = partial(project_audit_line, source=self.name)
        for item in iter_json_records(path, project):
            if isinstance(item, JsonRecord):
                yield audit_record_to_item(item.value, item.origin, self.name)
            else:
                yield item


@dataclass(frozen=True, slots=True)
class _Columns:
    """Column positions of the wrapper fields in one CSV layout, found by header name."""

    audit_data: int
    record_id: int | None
    creation_date: int | None
    operation: int | None
    user: int | None
    result_index: int | None
    result_count: int | None


def _columns(header: list[str]) -> _Columns | None:
    index = {name.lower(): position for position, name in enumerate(header)}
    if "auditdata" not in index:
        return None

    def first(*names: str) -> int | None:
        return next((index[n] for n in names if n in index), None)

    return _Columns(
        audit_data=index["auditdata"],
        record_id=first("recordid", "identity"),
        creation_date=first("creationdate"),
        operation=first("operation", "operations"),
        user=first("userid", "userids"),
        result_index=first("resultindex"),
        result_count=first("resultcount"),
    )


class UalCsvReader:
    """Reads Unified Audit Log CSV exports from the Purview portal or PowerShell."""

    name = "ual-csv"

    def sniff(self, head: bytes, path: str) -> bool:
        header = {name.lower() for name in csv_header_of(decode_head(head))}
        return "auditdata" in header and "creationdate" in header

    def read(self, path: Path) -> Iterator[ReadItem]:
        file = str(path)
        try:
            text = open_csv_text(path)
        except OSError as exc:
            yield Rejected(Origin(file, ""), f"cannot read file: {exc.strerror or exc}")
            return
        with text:
            columns = _columns(read_csv_header(text))
            if columns is None:
                yield Rejected(Origin(file, "row 0"), "missing column", field="AuditData")
                return
            yield from _CsvPass(file, columns).rows(csv.reader(text))


class _CsvPass:
    """One pass over the data rows of a UAL CSV, with the counts the coverage notices need."""

    def __init__(self, file: str, columns: _Columns) -> None:
        self.file = file
        self.columns = columns
        self.rows_read = 0
        self.truncated = 0
        self.max_index = 0
        self.max_count = 0
        self.first_time: datetime | None = None  # event-time window the file covers
        self.last_time: datetime | None = None

    def rows(self, reader: Iterator[list[str]]) -> Iterator[ReadItem]:
        number = 0
        while True:
            number += 1
            origin = Origin(self.file, f"row {number}")
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                yield Rejected(origin, f"invalid CSV: {exc}")
                continue
            if not any(cell.strip() for cell in row):
                number -= 1
                continue
            self.rows_read += 1
            item = self._row(row, origin)
            time = getattr(item, "time", None)
            if isinstance(time, datetime):
                self.first_time = min(time, self.first_time or time)
                self.last_time = max(time, self.last_time or time)
            yield item
        yield from self._notices()

    def _cell(self, row: list[str], position: int | None) -> str:
        if position is None or position >= len(row):
            return ""
        return row[position].strip()

    def _row(self, row: list[str], origin: Origin) -> ReadItem:
        columns = self.columns
        self._count_coverage(row)
        audit_text = self._cell(row, columns.audit_data)
        record_id = self._cell(row, columns.record_id) or None
        raw = ",".join(row).encode("utf-8", errors="replace")[:MAX_RAW_BYTES]
        if not audit_text:
            return Rejected(origin, "missing", field="AuditData", record_id=record_id, raw=raw)
        try:
            record = load_json(audit_text, "AuditData")
        except FieldError as exc:
            partial = self._from_wrapper(row, origin, audit_text)
            if partial is not None:
                self.truncated += 1
                return partial
            return Rejected(origin, exc.reason, field=exc.field, record_id=record_id, raw=raw)
        if not isinstance(record, dict):
            return Rejected(
                origin, "expected a JSON object", field="AuditData", record_id=record_id, raw=raw
            )
        return audit_record_to_item(record, origin, UalCsvReader.name)

    def _count_coverage(self, row: list[str]) -> None:
        index = self._cell(row, self.columns.result_index)
        count = self._cell(row, self.columns.result_count)
        if index.isascii() and index.isdigit():
            self.max_index = max(self.max_index, int(index))
        if count.isascii() and count.isdigit():
            self.max_count = max(self.max_count, int(count))

    def _from_wrapper(self, row: list[str], origin: Origin, audit_text: str) -> ReadItem | None:
        """Build a rule event with ``details_lost`` from the wrapper of a truncated row.

        Only rule operations get one: a rule whose parameters were cut off must still
        count as "inbox rule created, details unknown". Other operations are rejected.
        """
        columns = self.columns
        operation = self._cell(row, columns.operation)
        record_id = self._cell(row, columns.record_id)
        actor = self._cell(row, columns.user).lower()
        if operation not in RULE_OPERATIONS or not record_id or not actor:
            return None

        salvaged = {m["key"]: m["value"] for m in _SALVAGE.finditer(audit_text)}
        time_text = salvaged.get("CreationTime") or self._cell(row, columns.creation_date)
        try:
            time = parse_timestamp(time_text)
        except ValueError:
            return None
        ip_raw = salvaged.get("ClientIP") or salvaged.get("ClientIPAddress")
        ip, _ = parse_ip(ip_raw)
        common = {
            "event_id": f"ual:{record_id}",
            "time": time,
            "source": UalCsvReader.name,
            "origin": origin,
        }
        return build_rule_change(
            common,
            actor=actor,
            mailbox=actor,
            operation=operation,
            settings=RuleSettings(details_lost=True),
            ip=ip,
            ip_raw=ip_raw,
        )

    def _window_text(self) -> str:
        if self.first_time is None or self.last_time is None:
            return ""
        return (
            f" (records from {self.first_time:%Y-%m-%d %H:%M} to "
            f"{self.last_time:%Y-%m-%d %H:%M} UTC)"
        )

    def _notices(self) -> Iterator[Notice]:
        origin = Origin(self.file, "")
        window = (self.first_time, self.last_time)
        if self.truncated:
            message = (
                f"AuditData truncated in {self.truncated} of {self.rows_read} rows; "
                "those rule events carry details_lost"
            )
            yield Notice(origin, message, kind="data-loss", start=window[0], end=window[1])
        if self.max_count and self.max_index < self.max_count:
            message = (
                f"incomplete export: highest ResultIndex {self.max_index} "
                f"< ResultCount {self.max_count}{self._window_text()}"
            )
            yield Notice(origin, message, start=window[0], end=window[1])
        elif self.columns.result_count is None and self.rows_read in EXPORT_CAPS:
            message = (
                f"possibly incomplete export: exactly {self.rows_read} rows, a known export "
                f"cap; split the search into shorter time windows{self._window_text()}"
            )
            yield Notice(origin, message, start=window[0], end=window[1])
