"""Tests for the Outlook .msg reader on compound files built by the test writer."""

from __future__ import annotations

import struct
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainwatch.events import EmailMessage, Origin
from chainwatch.read import iter_file, read_file, registered_readers
from chainwatch.read.base import Rejected
from chainwatch.read.mail_parse import parse_messages
from chainwatch.read.outlook_msg import OutlookMsgReader
from tests.read.test_outlook_msg_cfb import build_compound_file

PT_LONG = 0x0003
PT_SYSTIME = 0x0040
DELIVERED = datetime(2024, 5, 14, 9, 40, 2, tzinfo=UTC)
HEADERS = (
    "Received: from mail.vendor.example.org ([192.0.2.25]) by mx.example.com; "
    "Tue, 14 May 2024 09:40:02 +0000\r\n"
    "Authentication-Results: mx.example.com; spf=pass smtp.mailfrom=vendor.example.org;\r\n"
    " dkim=pass header.d=vendor.example.org; dmarc=pass header.from=vendor.example.org\r\n"
    "From: Billing <billing@vendor.example.org>\r\n"
    "To: dana@example.com\r\n"
    "Subject: New bank details\r\n"
    "Date: Tue, 14 May 2024 09:40:00 +0000\r\n"
    "Message-ID: <MSG-0001@vendor.example.org>\r\n"
    "Content-Type: multipart/alternative; boundary=x\r\n"
)


def _filetime(moment: datetime) -> bytes:
    ticks = int((moment - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds() * 10_000_000)
    return struct.pack("<q", ticks)


def _properties(header_bytes: int, fixed: list[tuple[int, int, bytes]]) -> bytes:
    data = b"\0" * header_bytes
    for prop_type, prop_id, value in fixed:
        data += struct.pack("<HHI", prop_type, prop_id, 6) + value.ljust(8, b"\0")
    return data


def _unicode(prefix: str, prop_id: int, text: str) -> dict[str, bytes]:
    return {f"{prefix}__substg1.0_{prop_id:04X}001F": text.encode("utf-16-le") + b"\0\0"}


def _recipient(prefix: str, index: int, address: str) -> dict[str, bytes]:
    storage = f"{prefix}__recip_version1.0_#{index:08X}/"
    streams = {storage + "__properties_version1.0": _properties(8, [])}
    streams.update(_unicode(storage, 0x39FE, address))
    return streams


def _attachment(prefix: str, index: int, name: str, data: bytes) -> dict[str, bytes]:
    storage = f"{prefix}__attach_version1.0_#{index:08X}/"
    streams = {storage + "__properties_version1.0": _properties(8, [(PT_LONG, 0x3705, b"\1")])}
    streams.update(_unicode(storage, 0x3707, name))
    streams[storage + "__substg1.0_37010102"] = data
    return streams


def _message_streams(prefix: str = "", header_bytes: int = 32) -> dict[str, bytes]:
    """Return a message without Internet headers, as Outlook saves a draft or sent item."""
    fixed = [
        (PT_SYSTIME, 0x0E06, _filetime(DELIVERED)),
        (PT_LONG, 0x3FFD, struct.pack("<i", 1252)),
    ]
    streams = {prefix + "__properties_version1.0": _properties(header_bytes, fixed)}
    streams.update(_unicode(prefix, 0x0037, "Invoice 4471"))
    streams.update(_unicode(prefix, 0x0C1F, "Billing@Vendor.Example.org"))
    streams.update(_unicode(prefix, 0x0C1A, "Billing"))
    streams.update(_unicode(prefix, 0x1035, "<MSG-0002@vendor.example.org>"))
    streams.update(_unicode(prefix, 0x1000, "Pay at https://pay.example.net/new today."))
    streams[prefix + "__substg1.0_10130102"] = (
        b'<a href="https://files.example.net/inv">Open in OneDrive</a>'
    )
    streams.update(_recipient(prefix, 0, "dana@example.com"))
    streams.update(_recipient(prefix, 1, "Hidden.Bcc@example.com"))
    return streams


def _write(tmp_path: Path, streams: dict[str, bytes], name: str = "message.msg") -> Path:
    path = tmp_path / name
    path.write_bytes(build_compound_file(streams))
    return path


def _read(path: Path) -> list[EmailMessage | Rejected]:
    return list(OutlookMsgReader().read(path))  # type: ignore[arg-type]


def test_properties_message_fields(tmp_path: Path) -> None:
    (event,) = _read(_write(tmp_path, _message_streams()))
    assert isinstance(event, EmailMessage)
    assert event.event_id == "mail:msg-0002@vendor.example.org"
    assert event.sender == "billing@vendor.example.org"
    assert event.sender_name == "Billing"
    assert event.subject == "Invoice 4471"
    assert event.time == DELIVERED
    assert event.date_source == "received"
    assert event.recipients == ("dana@example.com", "hidden.bcc@example.com")
    assert event.auth.available is False
    assert {link.host for link in event.links} == {"files.example.net", "pay.example.net"}
    assert event.source == "outlook-msg"


def test_html_body_anchor_text_kept(tmp_path: Path) -> None:
    (event,) = _read(_write(tmp_path, _message_streams()))
    assert isinstance(event, EmailMessage)
    by_host = {link.host: link for link in event.links}
    assert by_host["files.example.net"].display_text == "Open in OneDrive"


def test_transport_headers_match_mime_copy(tmp_path: Path) -> None:
    streams = _message_streams()
    streams.update(_unicode("", 0x007D, HEADERS))
    (event,) = _read(_write(tmp_path, streams))
    assert isinstance(event, EmailMessage)
    (mime,) = parse_messages(HEADERS.encode() + b"\r\nbody\r\n", Origin("x.eml", ""))
    assert isinstance(mime, EmailMessage)
    assert event.event_id == mime.event_id
    assert event.auth.dmarc == "pass"
    assert event.sending_ip == "192.0.2.25"
    assert event.subject == "New bank details"
    assert event.recipients == ("dana@example.com", "hidden.bcc@example.com")
    assert event.source == "outlook-msg"


def test_string8_uses_message_codepage(tmp_path: Path) -> None:
    streams = _message_streams()
    del streams["__substg1.0_0037001F"]
    streams["__substg1.0_0037001E"] = "Счёт на оплату".encode("cp1251") + b"\0"
    fixed = [(PT_SYSTIME, 0x0E06, _filetime(DELIVERED)), (PT_LONG, 0x3FFD, struct.pack("<i", 1251))]
    streams["__properties_version1.0"] = _properties(32, fixed)
    (event,) = _read(_write(tmp_path, streams))
    assert isinstance(event, EmailMessage)
    assert event.subject == "Счёт на оплату"


def test_submit_time_when_not_delivered(tmp_path: Path) -> None:
    streams = _message_streams()
    submitted = datetime(2024, 5, 14, 9, 50, tzinfo=UTC)
    streams["__properties_version1.0"] = _properties(
        32, [(PT_SYSTIME, 0x0039, _filetime(submitted))]
    )
    (event,) = _read(_write(tmp_path, streams))
    assert isinstance(event, EmailMessage)
    assert event.time == submitted
    assert event.date_source == "date"


def test_attachments_and_html_attachment_links(tmp_path: Path) -> None:
    streams = _message_streams()
    streams.update(_attachment("", 0, "Invoice 4471.pdf", b"%PDF-1.4"))
    page = b'<form action="https://login.example.net/collect"></form>'
    streams.update(_attachment("", 1, "Remittance.html", page))
    (event,) = _read(_write(tmp_path, streams))
    assert isinstance(event, EmailMessage)
    assert event.attachments == ("Invoice 4471.pdf", "Remittance.html")
    assert "login.example.net" in {link.host for link in event.links}


def test_embedded_message_is_own_event(tmp_path: Path) -> None:
    streams = _message_streams()
    storage = "__attach_version1.0_#00000000/"
    streams[storage + "__properties_version1.0"] = _properties(8, [(PT_LONG, 0x3705, b"\5")])
    streams.update(_unicode(storage, 0x3001, "Fwd original"))
    inner_prefix = storage + "__substg1.0_3701000D/"
    inner = _message_streams(inner_prefix, header_bytes=24)
    inner.update(_unicode(inner_prefix, 0x0037, "Inner lure"))
    inner.update(_unicode(inner_prefix, 0x1035, "<inner@phish.example.net>"))
    streams.update(inner)
    outer, nested = _read(_write(tmp_path, streams))
    assert isinstance(outer, EmailMessage)
    assert isinstance(nested, EmailMessage)
    assert outer.attachments == ("Fwd original",)
    assert nested.nested_depth == 1
    assert nested.subject == "Inner lure"
    assert nested.event_id == "mail:inner@phish.example.net"
    assert nested.origin.position == "Fwd original"


def test_embedded_method_without_storage_is_defect(tmp_path: Path) -> None:
    streams = _message_streams()
    storage = "__attach_version1.0_#00000000/"
    streams[storage + "__properties_version1.0"] = _properties(8, [(PT_LONG, 0x3705, b"\5")])
    (event,) = _read(_write(tmp_path, streams))
    assert isinstance(event, EmailMessage)
    assert "embedded-message-missing" in event.defects


def test_no_time_falls_back_to_file_time(tmp_path: Path) -> None:
    streams = _message_streams()
    streams["__properties_version1.0"] = b"\0" * 7  # broken: shorter than its header
    (event,) = _read(_write(tmp_path, streams))
    assert isinstance(event, EmailMessage)
    assert event.date_source == "file"


def test_ole_without_message_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, {"WordDocument": b"\0" * 100}, "doc.doc")
    (item,) = _read(path)
    assert isinstance(item, Rejected)
    assert "not an Outlook message" in item.reason


def test_truncated_msg_rejected(tmp_path: Path) -> None:
    data = build_compound_file(_message_streams())
    path = tmp_path / "cut.msg"
    path.write_bytes(data[: len(data) // 3])
    items = _read(path)
    assert all(isinstance(item, (Rejected, EmailMessage)) for item in items)
    assert items


def test_dispatcher_picks_msg_and_zip_member(tmp_path: Path) -> None:
    path = _write(tmp_path, _message_streams())
    name, items = read_file(path, registered_readers())
    assert name == "outlook-msg"
    assert len(list(items)) == 1
    archive = tmp_path / "mail.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(path, "saved/message.msg")
    ((member_reader, shown, event),) = list(iter_file(archive, registered_readers()))
    assert member_reader == "outlook-msg"
    assert shown == f"{archive}!saved/message.msg"
    assert isinstance(event, EmailMessage)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=3000))
def test_random_bytes_after_magic_never_raise(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "random.msg"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + data)
    for item in _read(path):
        assert isinstance(item, (EmailMessage, Rejected))


VALID = build_compound_file(_message_streams())


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    changes=st.lists(
        st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), min_size=1, max_size=8
    )
)
def test_corrupted_streams_never_raise(tmp_path: Path, changes: list[tuple[int, int]]) -> None:
    data = bytearray(VALID)
    for offset, value in changes:
        data[offset] = value
    path = tmp_path / "corrupt.msg"
    path.write_bytes(bytes(data))
    for item in _read(path):
        assert isinstance(item, (EmailMessage, Rejected))
