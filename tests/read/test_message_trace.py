"""Message trace reader: CSV exports, reporting web service JSON, and peer samples."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainwatch.events import MailSent
from chainwatch.read.base import Rejected
from chainwatch.read.message_trace import MessageTraceReader
from chainwatch.read.signin import SignInReader
from chainwatch.read.timestamps import parse_timestamp
from chainwatch.read.ual import UalCsvReader, UalJsonReader

from .conftest import (
    corpus_file,
    corpus_files,
    events_of,
    field_case,
    read_all,
    rejected_of,
    sniffs,
)

READER = MessageTraceReader()

CMDLET_CSV = (
    '"Organization","MessageId","Received","SenderAddress","RecipientAddress","Subject",'
    '"Status","ToIP","FromIP","Size","MessageTraceId","StartDate","EndDate","Index"\r\n'
    '"example.com","<AB12@Mail.Example.com>","5/14/2024 9:50:00 AM","Dana@Example.com",'
    '"contact1@partner.example.org","Updated payment instructions","Delivered","",'
    '"203.0.113.50","9100","8c1f0000-0000-4000-8000-000000000001","5/13/2024 9:00:00 AM",'
    '"5/15/2024 9:00:00 AM","0"\r\n'
    '"example.com","<AB12@Mail.Example.com>","5/14/2024 9:50:00 AM","Dana@Example.com",'
    '"contact2@partner.example.org","Updated payment instructions","Delivered","",'
    '"203.0.113.50","9100","8c1f0000-0000-4000-8000-000000000001","5/13/2024 9:00:00 AM",'
    '"5/15/2024 9:00:00 AM","1"\r\n'
)


def _mail(path: Path) -> list[MailSent]:
    events = events_of(read_all(READER, path))
    assert all(isinstance(e, MailSent) for e in events)
    return events  # type: ignore[return-value]


def test_cmdlet_csv_one_event_per_recipient(tmp_path: Path) -> None:
    path = tmp_path / "trace.csv"
    path.write_text("#TYPE Deserialized.MessageTrace\r\n" + CMDLET_CSV)
    assert sniffs(READER, path)
    first, second = _mail(path)
    assert first.recipients == ("contact1@partner.example.org",)
    assert second.recipients == ("contact2@partner.example.org",)
    assert first.event_id == (
        "trace:8c1f0000-0000-4000-8000-000000000001:contact1@partner.example.org"
    )
    assert first.time == datetime(2024, 5, 14, 9, 50, tzinfo=UTC)
    assert first.sender == "dana@example.com"
    assert first.message_id == "ab12@mail.example.com"
    assert first.from_ip == "203.0.113.50"
    assert first.size == 9100
    assert first.status == "Delivered"


def test_fc37_rows_without_trace_id(tmp_path: Path) -> None:
    events = _mail(field_case("FC-37.csv"))
    assert len(events) == 18
    assert len({e.event_id for e in events}) == 18
    assert all(e.event_id.startswith("trace:sha256:") for e in events)
    dana = [e for e in events if e.sender == "dana@example.com"]
    assert len(dana) == 6


def test_fc37_hash_ids_stable_across_reads() -> None:
    path = field_case("FC-37.csv")
    assert [e.event_id for e in _mail(path)] == [e.event_id for e in _mail(path)]


def test_csv_not_taken_by_other_readers(tmp_path: Path) -> None:
    path = tmp_path / "trace.csv"
    path.write_text(CMDLET_CSV)
    assert not sniffs(UalCsvReader(), path)
    assert not sniffs(SignInReader(), path)


def test_reporting_service_odata_page(tmp_path: Path) -> None:
    page = {
        "d": {
            "results": [
                {
                    "__metadata": {"type": "TenantReporting.MessageTrace"},
                    "MessageId": "<x1@example.com>",
                    "Received": "/Date(1715680200000)/",
                    "SenderAddress": "dana@example.com",
                    "RecipientAddress": "contact1@partner.example.org",
                    "Status": "Delivered",
                    "FromIP": None,
                    "Size": 100,
                    "MessageTraceId": "t-1",
                }
            ]
        }
    }
    path = tmp_path / "page.json"
    path.write_bytes(orjson.dumps(page))
    assert sniffs(READER, path)
    assert not sniffs(UalJsonReader(), path)
    (event,) = _mail(path)
    assert event.time == datetime(2024, 5, 14, 9, 50, tzinfo=UTC)
    assert event.from_ip is None


def test_missing_recipient_rejected(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "Received,SenderAddress,RecipientAddress,Subject,Status\n"
        "2024-05-14T09:50:00Z,dana@example.com,,Hello,Delivered\n"
        "not a date,dana@example.com,x@example.org,Hello,Delivered\n"
        "2024-05-14T09:51:00Z,dana@example.com,y@example.org,Hello,Delivered\n"
    )
    items = read_all(READER, path)
    rejected = rejected_of(items)
    assert [(r.origin.position, r.field) for r in rejected] == [
        ("row 1", "RecipientAddress"),
        ("row 2", "Received"),
    ]
    assert len(events_of(items)) == 1


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=2048))
def test_reader_never_raises(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "random.bin"
    path.write_bytes(data)
    list(READER.read(path))
    csv_path = tmp_path / "random.csv"
    csv_path.write_bytes(b"Received,SenderAddress,RecipientAddress\n" + data)
    list(READER.read(csv_path))


# Peer samples.


def test_sekoia_message_trace_matches(tmp_path: Path) -> None:
    mismatches = []
    files = corpus_files("sekoia-intake-formats/Office 365/message-trace/tests")
    assert files
    for path in files:
        case = orjson.loads(path.read_bytes())
        raw = tmp_path / f"{path.stem}.json"
        raw.write_text(case["input"]["message"])
        (event,) = _mail(raw)
        expected = case["expected"]
        if event.time != parse_timestamp(expected["@timestamp"]):
            mismatches.append(f"{path.name}: time {event.time.isoformat()}")
        want_sender = expected["email"]["from"]["address"][0]
        if event.sender != want_sender.lower():
            mismatches.append(f"{path.name}: sender {event.sender}")
        want_ip = (expected.get("source") or {}).get("ip")
        if event.from_ip != want_ip:
            mismatches.append(f"{path.name}: ip {event.from_ip}")
        want_id = expected["email"].get("message_id", "").strip("<>").lower() or None
        if event.message_id != want_id:
            mismatches.append(f"{path.name}: message_id {event.message_id}")
    assert mismatches == []


def test_cribl_message_trace_reads(tmp_path: Path) -> None:
    samples = orjson.loads(corpus_file("cribl-o365-rest/data/samples/bxGVkT.json").read_bytes())
    path = tmp_path / "trace.jsonl"
    path.write_bytes(b"\n".join(s["_raw"].encode() for s in samples) + b"\n")
    items = read_all(READER, path)
    assert rejected_of(items) == []
    events = _mail(path)
    assert len(events) == len(samples)
    mismatches = [
        (e.event_id, e.time.timestamp(), s["_time"])
        for e, s in zip(events, samples, strict=True)
        if abs(e.time.timestamp() - s["_time"]) > 0.001
    ]
    assert mismatches == []
    assert all(e.message_id and not e.message_id.startswith("<") for e in events)


def test_unbalanced_quote_does_not_swallow_rows(tmp_path: Path) -> None:
    rows = ["Received,SenderAddress,RecipientAddress,Subject,Status,MessageTraceId"]
    for i in range(10):
        subject = '"Re: quote' if i == 1 else f"Hello {i}"
        rows.append(
            f"2026-10-01T09:0{i}:00Z,dana@example.com,r{i}@example.org,{subject},Delivered,"
            f"0000000{i}-0000-4000-8000-000000000000"
        )
    path = tmp_path / "trace.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    items = list(MessageTraceReader().read(path))
    rejected = [item for item in items if isinstance(item, Rejected)]
    assert len(items) == 10
    assert len(rejected) == 1
    assert rejected[0].origin.position == "row 2"
    assert "unbalanced quote" in rejected[0].reason
