"""Reader for Exchange Online message trace, as CSV or as reporting web service JSON.

``Get-MessageTrace | Export-Csv`` and the portal download have one row per recipient
with ``Received, SenderAddress, RecipientAddress, Subject, Status, MessageId,
MessageTraceId, FromIP, ToIP, Size``. The reporting web service
(``Reporting.svc/MessageTrace``) returns the same fields as JSON, with ``Received``
either ISO 8601 without a zone or as ``/Date(ms)/``. Each row becomes one
:class:`~chainwatch.events.MailSent` with one recipient.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from chainwatch.events import MailSent, Origin
from chainwatch.read.base import ReadItem, Rejected
from chainwatch.read.ip import parse_ip
from chainwatch.read.timestamps import parse_timestamp
from chainwatch.read.ual_input import (
    MAX_RAW_BYTES,
    FieldError,
    JsonRecord,
    csv_header_of,
    decode_head,
    iter_json_records,
    open_csv_text,
    read_csv_header,
)

REQUIRED_COLUMNS = ("received", "senderaddress", "recipientaddress")


class MessageTraceReader:
    """Reads Exchange Online message trace rows from CSV or JSON."""

    name = "message-trace"

    def sniff(self, head: bytes, path: str) -> bool:
        text = decode_head(head)
        stripped = text.lstrip()
        if stripped.startswith(("[", "{")):
            return '"RecipientAddress"' in text and '"SenderAddress"' in text
        header = {name.lower() for name in csv_header_of(text)}
        return all(column in header for column in REQUIRED_COLUMNS)

    def read(self, path: Path) -> Iterator[ReadItem]:
        try:
            with path.open("rb") as probe:
                head = probe.read(4096)
        except OSError as exc:
            yield Rejected(Origin(str(path), ""), f"cannot read file: {exc.strerror or exc}")
            return
        if decode_head(head).lstrip().startswith(("[", "{")):
            yield from self._read_json(path)
        else:
            yield from self._read_csv(path)

    def _read_json(self, path: Path) -> Iterator[ReadItem]:
        for item in iter_json_records(path):
            if not isinstance(item, JsonRecord):
                yield item
                continue
            row = {str(key).lower(): value for key, value in item.value.items()}
            yield self._row_item(row, item.origin, item.raw)

    def _read_csv(self, path: Path) -> Iterator[ReadItem]:
        file = str(path)
        try:
            text = open_csv_text(path)
        except OSError as exc:
            yield Rejected(Origin(file, ""), f"cannot read file: {exc.strerror or exc}")
            return
        with text:
            header = [name.lower() for name in read_csv_header(text)]
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                yield Rejected(Origin(file, "row 0"), "missing column", field=missing[0])
                return
            yield from self._csv_rows(file, header, text)

    def _csv_rows(self, file: str, header: list[str], text: TextIO) -> Iterator[ReadItem]:
        lines = _TrackedLines(text)
        reader = csv.reader(lines)
        number = 0
        while True:
            number += 1
            origin = Origin(file, f"row {number}")
            lines.consumed.clear()
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
            if len(lines.consumed) > MAX_ROW_LINES and any("\n" in cell for cell in cells):
                # An unbalanced quote made one row swallow the lines after it. Set the
                # broken line aside and read the swallowed lines as the rows they are.
                swallowed = list(lines.consumed)
                yield Rejected(
                    origin,
                    f"unbalanced quote: this row ran over {len(swallowed)} lines; the line is "
                    "set aside and the lines after it are read as rows",
                    raw=swallowed[0].encode("utf-8", errors="replace")[:MAX_RAW_BYTES],
                )
                for line in swallowed[1:]:
                    number += 1
                    yield from self._line_row(file, header, line, number)
                continue
            row = dict(zip(header, cells, strict=False))
            raw = ",".join(cells).encode("utf-8", errors="replace")[:MAX_RAW_BYTES]
            yield self._row_item(row, origin, raw)

    def _line_row(self, file: str, header: list[str], line: str, number: int) -> Iterator[ReadItem]:
        origin = Origin(file, f"row {number}")
        raw = line.encode("utf-8", errors="replace")[:MAX_RAW_BYTES]
        try:
            cells = next(csv.reader([line]), [])
        except csv.Error as exc:
            yield Rejected(origin, f"invalid CSV: {exc}", raw=raw)
            return
        if any(cell.strip() for cell in cells):
            yield self._row_item(dict(zip(header, cells, strict=False)), origin, raw)

    def _row_item(self, row: dict[str, Any], origin: Origin, raw: bytes) -> ReadItem:
        trace_id = _text(row.get("messagetraceid")) or None
        try:
            return trace_event(row, origin, self.name)
        except FieldError as exc:
            return Rejected(origin, exc.reason, field=exc.field, record_id=trace_id, raw=raw)


# A message trace row fits on one line; a subject with line breaks is rare. A row that
# runs over more lines than this is an unbalanced quote swallowing the rows after it.
MAX_ROW_LINES = 3


class _TrackedLines:
    """Feeds lines to ``csv.reader`` and remembers which lines the current row used."""

    def __init__(self, text: TextIO) -> None:
        self._text = text
        self.consumed: list[str] = []

    def __iter__(self) -> _TrackedLines:
        return self

    def __next__(self) -> str:
        line = next(self._text)
        self.consumed.append(line)
        return line


def _text(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()


def trace_event(row: dict[str, Any], origin: Origin, source: str) -> MailSent:
    """Build a :class:`MailSent` from one message trace row with lower-cased column names."""
    received = _text(row.get("received"))
    if not received:
        raise FieldError("Received", "missing")
    try:
        time = parse_timestamp(received)
    except ValueError as exc:
        raise FieldError("Received", str(exc)) from None

    recipient = _text(row.get("recipientaddress")).lower()
    if not recipient:
        raise FieldError("RecipientAddress", "missing")
    # A bounce or system message has an empty sender ("<>"), which is kept as "".
    sender = _text(row.get("senderaddress")).strip("<>").lower()

    size_text = _text(row.get("size"))
    subject = row.get("subject")
    return MailSent(
        event_id=_event_id(row, recipient),
        time=time,
        source=source,
        origin=origin,
        sender=sender,
        recipients=(recipient,),
        message_id=_text(row.get("messageid")).strip("<>").lower() or None,
        subject=subject if isinstance(subject, str) else None,
        status=_text(row.get("status")) or None,
        from_ip=parse_ip(_text(row.get("fromip")))[0],
        size=int(size_text) if size_text.isascii() and size_text.isdigit() else None,
    )


# Columns that describe the export session, not the message: the same row exported
# twice differs only in these.
EXPORT_SESSION_COLUMNS = frozenset(
    {
        "index",
        "startdate",
        "enddate",
        "__metadata",
        "runspaceid",
        "pscomputername",
        "psshowcomputername",
    }
)


def _event_id(row: dict[str, Any], recipient: str) -> str:
    trace_id = _text(row.get("messagetraceid")).lower()
    if trace_id:
        return f"trace:{trace_id}:{recipient}"
    # Without a trace id, identical rows (the same export read twice) share one id.
    normalised = "\x1f".join(
        f"{key}={_text(value)}"
        for key, value in sorted(row.items())
        if key not in EXPORT_SESSION_COLUMNS
    )
    return "trace:sha256:" + hashlib.sha256(normalised.encode("utf-8")).hexdigest()
