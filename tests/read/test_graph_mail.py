"""Tests for the Microsoft Graph message JSON reader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainwatch.events import EmailMessage
from chainwatch.read import read_file, registered_readers
from chainwatch.read.base import Rejected, Skipped
from chainwatch.read.graph_mail import GraphMailReader
from chainwatch.read.mail_parse import parse_messages
from tests.read.conftest import field_case


def _message(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": "AAMkADGraphTest0001",
        "receivedDateTime": "2024-05-14T09:40:02Z",
        "sentDateTime": "2024-05-14T09:40:00Z",
        "internetMessageId": "<Graph-0001@Vendor.Example.org>",
        "subject": "Invoice 4471",
        "from": {"emailAddress": {"name": "Billing", "address": "Billing@Vendor.Example.org"}},
        "sender": {"emailAddress": {"name": "Billing", "address": "billing@vendor.example.org"}},
        "toRecipients": [{"emailAddress": {"address": "dana@example.com"}}],
        "ccRecipients": [{"emailAddress": {"address": "Erin@example.com"}}],
        "bccRecipients": [{"emailAddress": {"address": "dana@example.com"}}],
        "body": {
            "contentType": "html",
            "content": (
                '<p>See <a href="https://files.example.net/inv">the invoice on OneDrive</a></p>'
            ),
        },
    }
    record.update(overrides)
    return record


def _read(path: Path) -> list[Any]:
    return list(GraphMailReader().read(path))


def _events(path: Path) -> list[EmailMessage]:
    return [item for item in _read(path) if isinstance(item, EmailMessage)]


def test_fc34_sent_reply_has_auth_unavailable() -> None:
    name, items = read_file(field_case("FC-34.json"), registered_readers())
    events = [item for item in items if isinstance(item, EmailMessage)]
    assert name == "graph-mail"
    sent = events[0]
    assert sent.auth.available is False
    assert sent.sending_ip is None
    assert sent.sender == "dana@example.com"
    assert sent.envelope_sender is None
    assert sent.recipients == ("billing@vendor.example.org",)
    assert sent.event_id == "mail:sent0001@exampleprd01.prod.outlook.example"
    assert sent.subject == "RE: New bank details"


def test_fc34_received_message_uses_partial_headers() -> None:
    _, items = read_file(field_case("FC-34.json"), registered_readers())
    received = [item for item in items if isinstance(item, EmailMessage)][1]
    assert received.sender == "billing@vendor.example.org"
    assert received.envelope_sender == "bounce-7781@mailer.example.net"
    assert received.auth.available is True
    assert received.auth.dmarc == "pass"
    assert received.auth.spf == "pass"
    assert received.sending_ip == "192.0.2.25"
    assert received.time.isoformat() == "2024-05-14T09:40:02+00:00"
    assert [link.host for link in received.links] == ["pay.example.net"]


def test_single_object_fields(tmp_path: Path) -> None:
    path = tmp_path / "message.json"
    path.write_text(json.dumps(_message()))
    (event,) = _events(path)
    assert event.event_id == "mail:graph-0001@vendor.example.org"
    assert event.sender == "billing@vendor.example.org"
    assert event.sender_name == "Billing"
    assert event.envelope_sender is None
    assert event.recipients == ("dana@example.com", "erin@example.com")
    assert event.links[0].host == "files.example.net"
    assert event.links[0].display_text == "the invoice on OneDrive"
    assert event.date_source == "received"
    assert event.origin.position == "line 1"  # one-line JSON is read as JSON lines


def test_event_id_matches_mime_copy(tmp_path: Path) -> None:
    path = tmp_path / "message.json"
    path.write_text(json.dumps(_message()))
    (graph_event,) = _events(path)
    mime = (
        b"From: Billing <billing@vendor.example.org>\r\nTo: dana@example.com\r\n"
        b"Subject: Invoice 4471\r\nDate: Tue, 14 May 2024 09:40:00 +0000\r\n"
        b"Message-ID: <Graph-0001@Vendor.Example.org>\r\n\r\nhello\r\n"
    )
    (mime_event,) = parse_messages(mime, graph_event.origin)
    assert isinstance(mime_event, EmailMessage)
    assert graph_event.event_id == mime_event.event_id


def test_odata_page_and_sent_time_fallback(tmp_path: Path) -> None:
    draft = _message(receivedDateTime=None, internetMessageId="<two@example.com>")
    page = {
        "@odata.context": "https://graph.example/$metadata#users('x')/messages",
        "value": [_message(), draft],
    }
    path = tmp_path / "page.json"
    path.write_text(json.dumps(page))
    events = _events(path)
    assert len(events) == 2
    assert events[1].time.isoformat() == "2024-05-14T09:40:00+00:00"
    assert events[1].date_source == "date"
    assert events[1].origin.position == "line 1, record 2"


def test_json_lines_with_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "messages.jsonl"
    lines = [
        json.dumps(_message()),
        '{"internetMessageId": "<broken@example.com>", ',
        json.dumps(_message(internetMessageId="<three@example.com>")),
    ]
    path.write_text("\n".join(lines) + "\n")
    items = _read(path)
    assert sum(isinstance(item, EmailMessage) for item in items) == 2
    rejected = [item for item in items if isinstance(item, Rejected)]
    assert len(rejected) == 1
    assert rejected[0].origin.position == "line 2"


def test_missing_times_rejected_naming_field(tmp_path: Path) -> None:
    path = tmp_path / "message.json"
    path.write_text(json.dumps([_message(receivedDateTime=None, sentDateTime=None)]))
    (item,) = _read(path)
    assert isinstance(item, Rejected)
    assert item.field == "receivedDateTime"
    assert item.record_id == "<Graph-0001@Vendor.Example.org>"


def test_invalid_time_rejected(tmp_path: Path) -> None:
    path = tmp_path / "message.json"
    path.write_text(json.dumps([_message(receivedDateTime="yesterday"), _message()]))
    items = _read(path)
    assert isinstance(items[0], Rejected)
    assert items[0].field == "receivedDateTime"
    assert isinstance(items[1], EmailMessage)


def test_headers_give_bulk_and_return_path(tmp_path: Path) -> None:
    headers = [
        {"name": "Return-Path", "value": "<bounces@mailer.example.net>"},
        {"name": "List-Unsubscribe", "value": "<https://mailer.example.net/u>"},
        {"name": "Received", "value": "from relay ([198.51.100.7]) by mx.example.com"},
        {"name": 7, "value": "not a header"},
    ]
    path = tmp_path / "message.json"
    path.write_text(json.dumps(_message(internetMessageHeaders=headers)))
    (event,) = _events(path)
    assert event.is_bulk is True
    assert event.envelope_sender == "bounces@mailer.example.net"
    assert event.sending_ip == "198.51.100.7"
    assert event.auth.available is False
    assert "invalid-header-entry" in event.defects


def test_attachments_expanded_and_not(tmp_path: Path) -> None:
    expanded = _message(
        hasAttachments=True,
        attachments=[
            {"@odata.type": "#microsoft.graph.fileAttachment", "name": "Invoice 4471.html"},
            {"@odata.type": "#microsoft.graph.itemAttachment"},
        ],
    )
    unexpanded = _message(hasAttachments=True, internetMessageId="<other@example.com>")
    path = tmp_path / "messages.json"
    path.write_text(json.dumps([expanded, unexpanded]))
    first, second = _events(path)
    assert first.attachments == ("Invoice 4471.html", "attachment-2.bin")
    assert second.attachments == ()
    assert "attachments-not-expanded" in second.defects


def test_text_body_links(tmp_path: Path) -> None:
    body = {"contentType": "text", "content": "Pay here: https://pay.example.net/new."}
    path = tmp_path / "message.json"
    path.write_text(json.dumps(_message(body=body)))
    (event,) = _events(path)
    assert [link.url for link in event.links] == ["https://pay.example.net/new"]


def test_removed_entry_skipped(tmp_path: Path) -> None:
    path = tmp_path / "delta.json"
    removed = {"id": "AAMkADgone", "@removed": {"reason": "deleted"}}
    path.write_text(json.dumps({"value": [removed, _message()], "@odata.deltaLink": "x"}))
    items = _read(path)
    assert isinstance(items[0], Skipped)
    assert isinstance(items[1], EmailMessage)


def test_non_object_member_rejected(tmp_path: Path) -> None:
    path = tmp_path / "messages.json"
    path.write_text(json.dumps([_message(), "text", 5]))
    items = _read(path)
    assert sum(isinstance(item, Rejected) for item in items) == 2


def test_message_without_id_uses_graph_id(tmp_path: Path) -> None:
    path = tmp_path / "message.json"
    path.write_text(json.dumps(_message(internetMessageId=None)))
    (event,) = _events(path)
    assert event.event_id == "mail:graph:AAMkADGraphTest0001"
    assert event.message_id is None


def test_sniff_rejects_sign_in_json() -> None:
    head = b'[{"createdDateTime": "2024-05-14T09:40:02Z", "userPrincipalName": "a@example.com"}]'
    assert GraphMailReader().sniff(head, "signins.json") is False


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    fields=st.dictionaries(
        st.sampled_from(
            [
                "receivedDateTime",
                "sentDateTime",
                "internetMessageId",
                "from",
                "sender",
                "toRecipients",
                "body",
                "attachments",
                "internetMessageHeaders",
                "subject",
                "replyTo",
            ]
        ),
        json_values,
    )
)
def test_random_fields_never_raise(tmp_path: Path, fields: dict[str, Any]) -> None:
    path = tmp_path / "random.json"
    path.write_text(json.dumps([_message(**fields)]))
    items = _read(path)
    assert len(items) == 1


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=400))
def test_random_bytes_never_raise(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "random.json"
    path.write_bytes(b'[{"internetMessageId": ' + data)
    for item in _read(path):
        assert isinstance(item, (EmailMessage, Rejected, Skipped))


def test_sniff_rejects_audit_record_casing() -> None:
    head = b'[{"InternetMessageId": "<a@example.com>", "Subject": "x", "Timestamp": "t"}]'
    assert GraphMailReader().sniff(head, "emailevents.json") is False


def test_sniff_accepts_select_without_message_id() -> None:
    head = b'{"value": [{"receivedDateTime": "2024-05-14T09:40:02Z", "toRecipients": []}]}'
    assert GraphMailReader().sniff(head, "page.json") is True
