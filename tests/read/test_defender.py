"""Defender XDR email tables: streaming records, Advanced Hunting CSV and JSON exports."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainwatch.events import EmailMessage, Event, LinkClick, MessageLinks
from chainwatch.read import read_file, registered_readers
from chainwatch.read.defender import DefenderReader
from chainwatch.read.mail import EmlReader
from chainwatch.read.message_trace import MessageTraceReader
from chainwatch.read.timestamps import parse_timestamp
from chainwatch.read.ual import UalCsvReader

from .conftest import (
    corpus_file,
    corpus_files,
    events_of,
    field_case,
    read_all,
    rejected_of,
    skipped_of,
    sniffs,
)

READER = DefenderReader()
SEKOIA_DEFENDER = "sekoia-intake-formats/Microsoft/microsoft-365-defender/tests"

EMAIL_EVENTS_CSV = """\
Timestamp,NetworkMessageId,InternetMessageId,SenderFromAddress,SenderMailFromAddress,\
SenderDisplayName,SenderIPv4,SenderIPv6,RecipientEmailAddress,Subject,EmailDirection,\
DeliveryAction,AuthenticationDetails,ReportId
2024-05-14T08:55:01Z,6a1b0000-0000-4000-8000-000000000001,<INV-778@Vendor.example.org>,\
billing@vendor.example.org,bounce@mail.vendor.example.org,Vendor Billing,198.51.100.7,,\
dana@example.com,Updated bank details,Inbound,Delivered,\
"{""SPF"":""pass"",""DKIM"":""fail"",""DMARC"":""none"",""CompAuth"":""softpass""}",r-1
2024-05-14T08:55:03Z,6a1b0000-0000-4000-8000-000000000001,<INV-778@Vendor.example.org>,\
billing@vendor.example.org,bounce@mail.vendor.example.org,Vendor Billing,198.51.100.7,,\
Lee@Example.com,Updated bank details,Inbound,Delivered,\
"{""SPF"":""pass"",""DKIM"":""fail"",""DMARC"":""none"",""CompAuth"":""softpass""}",r-2
2024-05-14T09:01:00Z,6a1b0000-0000-4000-8000-000000000002,,news@example.net,\
news@example.net,,,2001:db8::25,dana@example.com,Weekly digest,Inbound,Junked,,r-3
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _only(items: list, kind: type) -> list:
    return [item for item in items if isinstance(item, kind)]


# EmailEvents


def test_email_rows_grouped_per_message(tmp_path: Path) -> None:
    path = _write(tmp_path, "email.csv", EMAIL_EVENTS_CSV)
    assert sniffs(READER, path)
    items = read_all(READER, path)
    assert rejected_of(items) == []
    messages = _only(items, EmailMessage)
    assert len(messages) == 2
    first, second = messages
    assert first.recipients == ("dana@example.com", "lee@example.com")
    assert first.time == datetime(2024, 5, 14, 8, 55, 1, tzinfo=UTC)
    assert second.recipients == ("dana@example.com",)


def test_email_fields_mapped(tmp_path: Path) -> None:
    message = _only(read_all(READER, _write(tmp_path, "e.csv", EMAIL_EVENTS_CSV)), EmailMessage)[0]
    assert message.event_id == "mail:inv-778@vendor.example.org"
    assert message.message_id == "inv-778@vendor.example.org"
    assert message.sender == "billing@vendor.example.org"
    assert message.envelope_sender == "bounce@mail.vendor.example.org"
    assert message.sender_name == "Vendor Billing"
    assert message.subject == "Updated bank details"
    assert message.sending_ip == "198.51.100.7"
    assert message.network_message_id == "6a1b0000-0000-4000-8000-000000000001"
    assert message.delivery_action == "Delivered"
    assert message.date_source == "defender"
    assert message.direction.value == "unknown"
    assert (message.auth.spf, message.auth.dkim, message.auth.dmarc) == ("pass", "fail", "none")
    assert message.auth.available


def test_email_without_message_id_or_auth(tmp_path: Path) -> None:
    second = _only(read_all(READER, _write(tmp_path, "e.csv", EMAIL_EVENTS_CSV)), EmailMessage)[1]
    assert second.event_id == "defender-mail:6a1b0000-0000-4000-8000-000000000002"
    assert second.message_id is None
    assert second.sending_ip == "2001:db8::25"
    assert second.auth.available is False
    assert second.delivery_action == "Junked"


def test_email_event_id_matches_eml(tmp_path: Path) -> None:
    eml = tmp_path / "copy.eml"
    eml.write_bytes(
        b"From: Vendor Billing <billing@vendor.example.org>\r\n"
        b"To: dana@example.com\r\n"
        b"Subject: Updated bank details\r\n"
        b"Date: Tue, 14 May 2024 08:54:58 +0000\r\n"
        b"Message-ID: <INV-778@Vendor.example.org>\r\n"
        b"\r\nPlease use the new account.\r\n"
    )
    from_eml = events_of(read_all(EmlReader(), eml))[0]
    path = _write(tmp_path, "e.csv", EMAIL_EVENTS_CSV)
    from_defender = _only(read_all(READER, path), EmailMessage)
    assert from_defender[0].event_id == from_eml.event_id


def test_interleaved_rows_give_same_event_id(tmp_path: Path) -> None:
    lines = EMAIL_EVENTS_CSV.splitlines()
    # Rows of message 1, then message 2, then message 1 again.
    path = _write(tmp_path, "e.csv", "\n".join([lines[0], lines[1], lines[3], lines[2]]) + "\n")
    messages = _only(read_all(READER, path), EmailMessage)
    assert [m.event_id for m in messages] == [
        "mail:inv-778@vendor.example.org",
        "defender-mail:6a1b0000-0000-4000-8000-000000000002",
        "mail:inv-778@vendor.example.org",
    ]
    assert messages[2].recipients == ("lee@example.com",)


def test_log_analytics_email_export_uses_timestamp(tmp_path: Path) -> None:
    text = (
        "TimeGenerated [UTC],Timestamp [UTC],NetworkMessageId,InternetMessageId,"
        "SenderFromAddress,RecipientEmailAddress,DeliveryAction,Type\n"
        '"5/14/2024, 9:30:00.000 AM","5/14/2024, 8:55:01.250 AM",'
        "6a1b0000-0000-4000-8000-000000000009,<x@example.org>,a@example.org,"
        "dana@example.com,Delivered,EmailEvents\n"
    )
    path = _write(tmp_path, "sentinel-email.csv", text)
    name, items = read_file(path, registered_readers())
    message = _only(list(items), EmailMessage)[0]
    assert name == READER.name
    assert message.time == datetime(2024, 5, 14, 8, 55, 1, 250000, tzinfo=UTC)


def test_email_row_without_timestamp_rejected(tmp_path: Path) -> None:
    text = "Timestamp,NetworkMessageId,SenderFromAddress,RecipientEmailAddress,DeliveryAction\n"
    text += ",6a1b0000-0000-4000-8000-00000000000a,a@example.org,dana@example.com,Delivered\n"
    rejected = rejected_of(read_all(READER, _write(tmp_path, "e.csv", text)))
    assert len(rejected) == 1
    assert rejected[0].field == "Timestamp"
    assert rejected[0].origin.position == "row 1"


# EmailUrlInfo and UrlClickEvents

URL_INFO_LINES = [
    {
        "Timestamp": "2024-05-14T08:55:01Z",
        "NetworkMessageId": "6A1B0000-0000-4000-8000-000000000001",
        "Url": "https://login.example.net/portal?id=1",
        "UrlDomain": "login.example.net",
        "UrlLocation": "Body",
        "ReportId": "u-1",
    },
    {
        "Timestamp": "2024-05-14T08:55:01Z",
        "NetworkMessageId": "6a1b0000-0000-4000-8000-000000000001",
        "Url": "mailto:billing@vendor.example.org",
        "UrlDomain": "vendor.example.org",
        "UrlLocation": "Body",
        "ReportId": "u-2",
    },
    {
        "Timestamp": "2024-05-14T08:55:01Z",
        "NetworkMessageId": "6a1b0000-0000-4000-8000-000000000001",
        "Url": "https://login.example.net/portal?id=1",
        "UrlDomain": "login.example.net",
        "UrlLocation": "Attachment",
        "ReportId": "u-3",
    },
]


def test_url_info_grouped_into_message_links(tmp_path: Path) -> None:
    path = tmp_path / "urls.json"
    path.write_bytes(orjson.dumps(URL_INFO_LINES))
    assert sniffs(READER, path)
    items = read_all(READER, path)
    links = _only(items, MessageLinks)
    assert len(links) == 1
    assert links[0].event_id == "defender-links:6a1b0000-0000-4000-8000-000000000001"
    assert [link.url for link in links[0].links] == [
        "https://login.example.net/portal?id=1",
        "mailto:billing@vendor.example.org",
    ]
    assert links[0].links[1].host == "vendor.example.org"


CLICK = {
    "Timestamp": "2024-05-14T09:02:10Z",
    "Url": "https://login.example.net/portal?id=1",
    "ActionType": "ClickAllowed",
    "AccountUpn": "Dana@Example.com",
    "Workload": "Email",
    "NetworkMessageId": "6a1b0000-0000-4000-8000-000000000001",
    "IPAddress": "203.0.113.50",
    "IsClickedThrough": "true",
    "UrlChain": '["https://login.example.net/portal?id=1"]',
    "ReportId": "c-17",
}


def test_click_mapped(tmp_path: Path) -> None:
    path = tmp_path / "clicks.jsonl"
    path.write_bytes(orjson.dumps(CLICK) + b"\n")
    assert sniffs(READER, path)
    click = _only(read_all(READER, path), LinkClick)[0]
    assert click.event_id == "click:c-17"
    assert click.user == "dana@example.com"
    assert click.host == "login.example.net"
    assert click.ip == "203.0.113.50"
    assert click.action == "ClickAllowed"
    assert click.clicked_through is True
    assert click.workload == "Email"
    assert click.network_message_id == "6a1b0000-0000-4000-8000-000000000001"


def test_click_without_report_id_hashed(tmp_path: Path) -> None:
    base = {key: value for key, value in CLICK.items() if key != "ReportId"}
    other = {**base, "IPAddress": "203.0.113.51"}
    path = tmp_path / "clicks.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(row) for row in (base, base, other)) + b"\n")
    ids = [click.event_id for click in _only(read_all(READER, path), LinkClick)]
    assert ids[0].startswith("click:sha256:")
    assert ids[0] == ids[1]
    assert ids[0] != ids[2]


def test_click_without_user_rejected(tmp_path: Path) -> None:
    path = tmp_path / "clicks.jsonl"
    path.write_bytes(orjson.dumps({**CLICK, "AccountUpn": ""}) + b"\n")
    rejected = rejected_of(read_all(READER, path))
    assert [r.field for r in rejected] == ["AccountUpn"]
    assert rejected[0].record_id == "c-17"


# Streaming envelopes and other tables


def test_streaming_records_envelope(tmp_path: Path) -> None:
    def envelope(table: str, properties: dict) -> dict:
        return {
            "time": "2024-05-14T09:30:00Z",
            "category": f"AdvancedHunting-{table}",
            "operationName": "Publish",
            "properties": properties,
        }

    records = [
        envelope("EmailUrlInfo", URL_INFO_LINES[0]),
        envelope("UrlClickEvents", CLICK),
        envelope("DeviceProcessEvents", {"Timestamp": "2024-05-14T09:00:00Z"}),
    ]
    path = tmp_path / "eventhub.json"
    path.write_bytes(orjson.dumps({"records": records}))
    items = read_all(READER, path)
    assert len(_only(items, MessageLinks)) == 1
    assert _only(items, LinkClick)[0].time == datetime(2024, 5, 14, 9, 2, 10, tzinfo=UTC)
    assert [s.what for s in skipped_of(items)] == ["Defender table DeviceProcessEvents"]


def test_sniff_leaves_other_exports() -> None:
    for name in ("FC-01.csv", "FC-02.csv", "FC-37.csv", "FC-19.jsonl", "FC-14.jsonl"):
        assert not sniffs(READER, field_case(name)), name


def test_other_readers_leave_defender_csv(tmp_path: Path) -> None:
    path = _write(tmp_path, "email.csv", EMAIL_EVENTS_CSV)
    assert not sniffs(MessageTraceReader(), path)
    assert not sniffs(UalCsvReader(), path)


def test_otrf_hunting_rows_skipped() -> None:
    path = corpus_file("otrf-security-datasets/extracted/Microsoft365DefenderEvents.json")
    name, items = read_file(path, registered_readers())
    items = list(items)
    assert name == READER.name
    assert len(skipped_of(items)) == 9
    assert rejected_of(items) == []


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2048))
def test_reader_never_raises(tmp_path: Path, data: bytes) -> None:
    for name in ("random.json", "random.csv"):
        path = tmp_path / name
        path.write_bytes(data)
        list(READER.read(path))


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=400))
def test_reader_never_raises_on_csv_text(tmp_path: Path, body: str) -> None:
    path = tmp_path / "random.csv"
    path.write_text(EMAIL_EVENTS_CSV.splitlines()[0] + "\n" + body, encoding="utf-8")
    list(READER.read(path))


# Peer golden files

# Sekoia's samples that carry an email category over device-event properties: they
# must be set aside, never turned into a message.
MISLABELLED = {"test_email_events.json", "test_email_url_info.json"}


def _sekoia_items(tmp_path: Path, path: Path) -> list:
    case = orjson.loads(path.read_bytes())
    raw = tmp_path / f"{path.stem}.json"
    raw.write_text(case["input"]["message"])
    name, items = read_file(raw, registered_readers())
    assert name == READER.name, path.name
    return list(items)


def _compare(name: str, event: Event, expected: dict) -> list[str]:
    problems: list[str] = []
    want_time = parse_timestamp(expected["@timestamp"])
    if event.time != want_time:
        problems.append(f"{name}: time {event.time.isoformat()} != {want_time.isoformat()}")
    want_ip = (expected.get("source") or {}).get("ip")
    email = expected.get("email") or {}
    if isinstance(event, EmailMessage):
        want_sender = (email.get("from") or {}).get("address", [None])[0]
        if event.sender != want_sender:
            problems.append(f"{name}: sender {event.sender!r} != {want_sender!r}")
        if event.sending_ip != want_ip:
            problems.append(f"{name}: ip {event.sending_ip!r} != {want_ip!r}")
        want_action = (expected.get("event") or {}).get("action")
        if event.delivery_action != want_action:
            problems.append(f"{name}: action {event.delivery_action!r} != {want_action!r}")
        if event.network_message_id != email.get("local_id"):
            problems.append(f"{name}: network message id {event.network_message_id!r}")
    if isinstance(event, LinkClick):
        want_user = ((expected.get("action") or {}).get("properties") or {}).get("AccountUPN")
        if event.user != want_user:
            problems.append(f"{name}: user {event.user!r} != {want_user!r}")
        if event.ip != want_ip:
            problems.append(f"{name}: ip {event.ip!r} != {want_ip!r}")
        want_action = (expected.get("action") or {}).get("type")
        if event.action != want_action:
            problems.append(f"{name}: action {event.action!r} != {want_action!r}")
    if isinstance(event, LinkClick | MessageLinks):
        want_url = (expected.get("url") or {}).get("full")
        urls = [event.url] if isinstance(event, LinkClick) else [x.url for x in event.links]
        if want_url not in urls:
            problems.append(f"{name}: url {urls!r} lacks {want_url!r}")
    return problems


def test_sekoia_defender_samples_match(tmp_path: Path) -> None:
    mismatches: list[str] = []
    compared = 0
    for path in corpus_files(SEKOIA_DEFENDER):
        items = _sekoia_items(tmp_path, path)
        assert len(items) == 1, path.name
        item = items[0]
        if path.name in MISLABELLED:
            assert rejected_of(items), f"{path.name}: {item}"
            continue
        assert not rejected_of(items), f"{path.name}: {item}"
        if isinstance(item, Event):
            compared += 1
            expected = orjson.loads(path.read_bytes())["expected"]
            mismatches.extend(_compare(path.name, item, expected))
    assert compared >= 4
    assert mismatches == []


def test_sekoia_mislabelled_identity_logon_skipped(tmp_path: Path) -> None:
    items = _sekoia_items(tmp_path, corpus_file(f"{SEKOIA_DEFENDER}/test_identity_logon.json"))
    assert [s.what for s in skipped_of(items)] == ["Defender table IdentityLogonEvents"]


def test_sekoia_mislabelled_email_reason(tmp_path: Path) -> None:
    items = _sekoia_items(tmp_path, corpus_file(f"{SEKOIA_DEFENDER}/test_email_events.json"))
    rejected = rejected_of(items)
    assert rejected[0].field == "NetworkMessageId"
    assert "another table" in rejected[0].reason
