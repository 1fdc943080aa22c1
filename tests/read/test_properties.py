"""Property tests for every registered reader.

1. Arbitrary bytes, JSON-shaped text and truncated valid records never raise out of
   ``read``; every item is an event, rejection, skip, notice or directory entry.
2. A valid generated record of each Microsoft format (UAL JSON and CSV, Entra sign-in
   JSON, message trace CSV, .eml) reads as one event that survives
   ``event_to_dict`` / JSON / ``event_from_dict`` unchanged.
3. JSON key order and whitespace, and CSV line endings and a UTF-8 BOM, do not change
   the events read.

Readers come from ``registered_readers()``, so readers added later are covered by (1)
without changes here.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import tempfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainwatch.events import (
    DirectoryEntry,
    EmailMessage,
    Event,
    FileAccess,
    MailboxRuleChange,
    MailSent,
    Origin,
    SignIn,
    event_from_dict,
    event_to_dict,
)
from chainwatch.read import read_file, registered_readers
from chainwatch.read.base import Notice, Reader, Rejected, Skipped

ITEM_TYPES = (Event, Rejected, Skipped, Notice, DirectoryEntry)
FAST = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
READERS = registered_readers()


def _read_all(reader: Reader, data: bytes, name: str = "input.json") -> list[Any]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        return list(reader.read(path))


def _read_events(data: bytes, name: str) -> list[Event]:
    """Read ``data`` as a file named ``name`` through the dispatcher, keeping events only."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        _, items = read_file(path, registered_readers())
        found = list(items)
    rejected = [item.describe() for item in found if isinstance(item, Rejected)]
    assert rejected == []
    return [item for item in found if isinstance(item, Event)]


def _without_file(event: Event) -> Event:
    """Drop the temporary file name but keep the row or line the event came from."""
    return replace(event, origin=Origin("", event.origin.position))


def _without_origin(event: Event) -> Event:
    return replace(event, origin=Origin("", ""))


# 1. Bad input never raises

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "CreationTime",
                    "Operation",
                    "Id",
                    "UserId",
                    "ClientIP",
                    "id",
                    "createdDateTime",
                    "userPrincipalName",
                    "status",
                    "Received",
                    "SenderAddress",
                    "RecipientAddress",
                    "properties",
                    "category",
                    "Timestamp",
                    "NetworkMessageId",
                    "value",
                ]
            )
            | st.text(max_size=8),
            children,
            max_size=6,
        )
    ),
    max_leaves=20,
)


@pytest.mark.parametrize("reader", READERS, ids=[reader.name for reader in READERS])
@FAST
@given(data=st.binary(max_size=2048))
def test_arbitrary_bytes_never_raise(reader: Reader, data: bytes) -> None:
    for item in _read_all(reader, data):
        assert isinstance(item, ITEM_TYPES)


@pytest.mark.parametrize("reader", READERS, ids=[reader.name for reader in READERS])
@FAST
@given(values=st.lists(JSON_VALUES, min_size=1, max_size=3), lines=st.booleans())
def test_json_shaped_input_never_raises(reader: Reader, values: list[Any], lines: bool) -> None:
    text = "\n".join(json.dumps(v) for v in values) if lines else json.dumps(values)
    for item in _read_all(reader, text.encode("utf-8")):
        assert isinstance(item, ITEM_TYPES)


# 2. Valid records of each Microsoft format

NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.", min_size=1, max_size=12).filter(
    lambda s: not s.startswith(".") and not s.endswith(".") and ".." not in s
)
ADDRESSES = st.builds(
    lambda local, domain: f"{local}@{domain}",
    NAMES,
    st.sampled_from(["example.com", "example.org", "sub.example.net", "partner.example"]),
)
IPS = st.one_of(
    st.integers(0, 255).map(lambda n: f"192.0.2.{n}"),
    st.integers(0, 255).map(lambda n: f"203.0.113.{n}"),
    st.integers(1, 0xFFFF).map(lambda n: f"2001:db8::{n:x}"),
)
TIMES = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)).map(
    lambda t: t.replace(tzinfo=UTC)
)
IDS = st.uuids().map(str)
# Text that an attacker controls: any printable Unicode, commas, quotes and tabs included.
FREE_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029")
    | st.sampled_from([",", '"', "'", ";", "\t"]),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() == s and s.strip())


def _ual_time(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S")


@st.composite
def ual_records(draw: st.DrawFn) -> dict[str, Any]:
    """One Management Activity API record of an operation chainwatch models."""
    operation = draw(
        st.sampled_from(["UserLoggedIn", "UserLoginFailed", "FileDownloaded", "New-InboxRule"])
    )
    user = draw(ADDRESSES)
    record: dict[str, Any] = {
        "CreationTime": _ual_time(draw(TIMES)),
        "Id": draw(IDS),
        "Operation": operation,
        "RecordType": 15,
        "UserId": user,
        "ClientIP": draw(IPS),
        "Workload": "AzureActiveDirectory",
    }
    if operation == "FileDownloaded":
        record["Workload"] = "SharePoint"
        record["ObjectId"] = f"https://example.sharepoint.com/sites/x/{draw(NAMES)}.docx"
    if operation == "New-InboxRule":
        record["Workload"] = "Exchange"
        record["Parameters"] = [
            {"Name": "Name", "Value": draw(FREE_TEXT)},
            {"Name": "ForwardTo", "Value": draw(ADDRESSES)},
            {"Name": "DeleteMessage", "Value": "True"},
        ]
    return record


@st.composite
def sign_in_records(draw: st.DrawFn) -> dict[str, Any]:
    """One Entra sign-in as Microsoft Graph returns it."""
    error_code = draw(st.sampled_from([0, 50126, 50074, 53003]))
    return {
        "id": draw(IDS),
        "createdDateTime": draw(TIMES).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "userPrincipalName": draw(ADDRESSES),
        "appDisplayName": "Office 365 Exchange Online",
        "ipAddress": draw(IPS),
        "clientAppUsed": "Browser",
        "userAgent": draw(FREE_TEXT),
        "isInteractive": draw(st.booleans()),
        "status": {"errorCode": error_code, "failureReason": "Other." if error_code else None},
        "location": {
            "city": draw(FREE_TEXT),
            "countryOrRegion": draw(st.sampled_from(["GB", "US", "NG", "DE"])),
        },
    }


@st.composite
def trace_rows(draw: st.DrawFn) -> dict[str, str]:
    """One message trace row as ``Get-MessageTrace | Export-Csv`` writes it."""
    return {
        "Received": draw(TIMES).strftime("%m/%d/%Y %I:%M:%S %p"),
        "SenderAddress": draw(ADDRESSES),
        "RecipientAddress": draw(ADDRESSES),
        "Subject": draw(FREE_TEXT),
        "Status": draw(st.sampled_from(["Delivered", "Failed", "FilteredAsSpam"])),
        "ToIP": "",
        "FromIP": draw(IPS),
        "Size": str(draw(st.integers(1, 10_000_000))),
        "MessageId": f"<{draw(IDS)}@example.com>",
        "MessageTraceId": draw(IDS),
    }


def _csv_bytes(header: list[str], rows: list[list[str]], *, crlf: bool, bom: bool) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8")
    return codecs.BOM_UTF8 + data if bom else data


PURVIEW_HEADER = ["RecordId", "CreationDate", "RecordType", "Operation", "UserId", "AuditData"]


def _purview_rows(records: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [r["Id"], r["CreationTime"], "15", r["Operation"], r["UserId"], json.dumps(r)]
        for r in records
    ]


def _assert_round_trip(event: Event) -> None:
    plain = event_to_dict(event)
    assert event_from_dict(plain) == event
    assert event_from_dict(json.loads(json.dumps(plain))) == event


@FAST
@given(record=ual_records())
def test_ual_json_round_trip(record: dict[str, Any]) -> None:
    events = _read_events(json.dumps(record).encode("utf-8") + b"\n", "audit.jsonl")
    assert len(events) == 1
    assert isinstance(events[0], SignIn | FileAccess | MailboxRuleChange)
    _assert_round_trip(events[0])


@FAST
@given(records=st.lists(ual_records(), min_size=1, max_size=4, unique_by=lambda r: r["Id"]))
def test_ual_csv_round_trip(records: list[dict[str, Any]]) -> None:
    data = _csv_bytes(PURVIEW_HEADER, _purview_rows(records), crlf=False, bom=False)
    events = _read_events(data, "audit.csv")
    assert len(events) == len(records)
    for event in events:
        _assert_round_trip(event)


@FAST
@given(record=sign_in_records())
def test_sign_in_round_trip(record: dict[str, Any]) -> None:
    events = _read_events(json.dumps(record).encode("utf-8") + b"\n", "signins.json")
    assert len(events) == 1
    assert isinstance(events[0], SignIn)
    _assert_round_trip(events[0])


@FAST
@given(rows=st.lists(trace_rows(), min_size=1, max_size=4, unique_by=lambda r: r["MessageTraceId"]))
def test_message_trace_round_trip(rows: list[dict[str, str]]) -> None:
    header = list(rows[0])
    data = _csv_bytes(header, [list(r.values()) for r in rows], crlf=False, bom=False)
    events = _read_events(data, "trace.csv")
    assert len(events) == len(rows)
    for event, row in zip(events, rows, strict=True):
        assert isinstance(event, MailSent)
        assert event.subject == row["Subject"]
        _assert_round_trip(event)


@FAST
@given(
    sender=ADDRESSES,
    recipient=ADDRESSES,
    subject=FREE_TEXT,
    sent=TIMES.map(lambda t: t.replace(microsecond=0)),
    host=NAMES,
)
def test_eml_round_trip(
    sender: str, recipient: str, subject: str, sent: datetime, host: str
) -> None:
    message = MimeMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = format_datetime(sent)
    message["Message-ID"] = f"<{host}.1@example.com>"
    message.set_content(f"See https://{host}.example.net/login?id=1 today.\n")
    events = _read_events(message.as_bytes(), "message.eml")
    assert len(events) == 1
    event = events[0]
    assert isinstance(event, EmailMessage)
    assert event.time == sent
    assert event.subject == subject
    _assert_round_trip(event)


# 3. Layout changes that must not change the events


@FAST
@given(
    record=st.one_of(ual_records(), sign_in_records()),
    order=st.randoms(use_true_random=False),
    indent=st.sampled_from([None, 1, 4, "\t"]),
    separators=st.sampled_from([(",", ":"), (", ", ": "), (" ,", " : ")]),
)
def test_json_layout_does_not_change_event(
    record: dict[str, Any], order: Any, indent: Any, separators: tuple[str, str]
) -> None:
    compact = _read_events(json.dumps(record).encode("utf-8"), "record.json")
    assert len(compact) == 1
    keys = list(record)
    order.shuffle(keys)
    shuffled = {key: record[key] for key in keys}
    text = json.dumps(shuffled, indent=indent, separators=separators)
    relaid = _read_events(f"\n  {text}\n\n".encode(), "record.json")
    assert [_without_origin(e) for e in relaid] == [_without_origin(e) for e in compact]


@FAST
@given(
    records=st.lists(ual_records(), min_size=1, max_size=4, unique_by=lambda r: r["Id"]),
    rows=st.lists(trace_rows(), min_size=1, max_size=4, unique_by=lambda r: r["MessageTraceId"]),
)
def test_csv_crlf_and_bom_do_not_change_events(
    records: list[dict[str, Any]], rows: list[dict[str, str]]
) -> None:
    tables = [
        ("audit.csv", PURVIEW_HEADER, _purview_rows(records)),
        ("trace.csv", list(rows[0]), [list(r.values()) for r in rows]),
    ]
    for name, header, cells in tables:
        plain = _read_events(_csv_bytes(header, cells, crlf=False, bom=False), name)
        resaved = _read_events(_csv_bytes(header, cells, crlf=True, bom=True), name)
        assert len(plain) == len(cells)
        assert [_without_file(e) for e in resaved] == [_without_file(e) for e in plain]


@pytest.mark.parametrize("reader", READERS, ids=[reader.name for reader in READERS])
@FAST
@given(record=st.one_of(ual_records(), sign_in_records()), cut=st.floats(0.0, 1.0))
def test_truncated_record_never_raises(reader: Reader, record: dict[str, Any], cut: float) -> None:
    data = json.dumps(record).encode("utf-8")
    for item in _read_all(reader, data[: int(len(data) * cut)]):
        assert isinstance(item, ITEM_TYPES)


def test_readers_registered() -> None:
    names = {reader.name for reader in READERS}
    assert {"ual-json", "ual-csv", "entra-signin", "message-trace", "eml"} <= names


def test_shifted_time_changes_event() -> None:
    # Guards the comparisons above: a real change to a record must show in its event.
    record = {
        "CreationTime": "2024-05-14T09:12:33",
        "Id": "8b2f0c1e-0000-4000-8000-000000000001",
        "Operation": "UserLoggedIn",
        "UserId": "dana@example.com",
        "ClientIP": "192.0.2.10",
    }
    later = record | {"CreationTime": _ual_time(datetime(2024, 5, 14, 9, 12, 33) + timedelta(1))}
    first = _read_events(json.dumps(record).encode(), "a.json")
    second = _read_events(json.dumps(later).encode(), "a.json")
    assert len(first) == 1
    assert [_without_origin(e) for e in first] != [_without_origin(e) for e in second]
