"""Tests for TNEF (winmail.dat) decoding and its use in MIME messages."""

from __future__ import annotations

import base64
import struct
import time

import compressed_rtf
from hypothesis import given, settings
from hypothesis import strategies as st

from chainwatch.events import EmailMessage, Origin
from chainwatch.read.mail_parse import parse_messages
from chainwatch.read.tnef import IMESSAGE_SIG, MAX_TNEF_ATTACHMENTS, read_tnef

SIGNATURE = struct.pack("<IH", 0x223E9F78, 0x0001)


def _attribute(level: int, name: int, kind: int, data: bytes) -> bytes:
    checksum = sum(data) & 0xFFFF
    return struct.pack("<BHHI", level, name, kind, len(data)) + data + struct.pack("<H", checksum)


def _mapi_value(prop_type: int, prop_id: int, value: bytes) -> bytes:
    padded = value + b"\0" * (-len(value) % 4)
    return struct.pack("<HHII", prop_type, prop_id, 1, len(value)) + padded


def _mapi_list(*properties: bytes) -> bytes:
    return struct.pack("<I", len(properties)) + b"".join(properties)


def _header() -> bytes:
    return (
        SIGNATURE
        + _attribute(1, 0x9006, 0x0008, struct.pack("<I", 0x00010000))
        + _attribute(1, 0x9007, 0x0006, struct.pack("<II", 1252, 0))
        + _attribute(1, 0x8008, 0x0007, b"IPM.Microsoft Mail.Note\0")
    )


def _attachment(long_name: str, data: bytes) -> bytes:
    long_value = _mapi_value(0x001F, 0x3707, long_name.encode("utf-16-le") + b"\0\0")
    return (
        _attribute(2, 0x9002, 0x0002, b"\0" * 14)
        + _attribute(2, 0x8010, 0x0001, b"SHORT~1.HTM\0")
        + _attribute(2, 0x800F, 0x0006, data)
        + _attribute(2, 0x9005, 0x0006, _mapi_list(long_value))
    )


def _winmail() -> bytes:
    html = b'<a href="https://login.example.net/owa">Sign in to Outlook</a>'
    rtf = b'{\\rtf1 {\\field{\\*\\fldinst HYPERLINK "https://rtf.example.net/doc"}}}'
    props = _mapi_list(
        _mapi_value(0x0102, 0x1013, html),
        _mapi_value(0x0102, 0x1009, compressed_rtf.compress(rtf)),
    )
    page = b'<form action="https://collect.example.net/p"></form>'
    return (
        _header()
        + _attribute(1, 0x800C, 0x0002, b"Text body https://text.example.net/t\0")
        + _attribute(1, 0x9003, 0x0006, props)
        + _attachment("Remittance advice.html", page)
    )


def _mime_with_tnef(tnef: bytes) -> bytes:
    encoded = base64.encodebytes(tnef)
    return (
        b"From: Billing <billing@vendor.example.org>\r\nTo: dana@example.com\r\n"
        b"Subject: Remittance\r\nDate: Tue, 14 May 2024 09:40:00 +0000\r\n"
        b"Message-ID: <tnef-0001@vendor.example.org>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
        b'--b\r\nContent-Type: application/ms-tnef; name="winmail.dat"\r\n'
        b"Content-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="winmail.dat"\r\n\r\n' + encoded + b"--b--\r\n"
    )


def test_attachment_long_name() -> None:
    content = read_tnef(_winmail())
    assert content.attachments == ["Remittance advice.html"]
    assert content.defects == []


def test_body_links_html_text_rtf() -> None:
    hosts = {link.host for link in read_tnef(_winmail()).links.links()}
    assert "login.example.net" in hosts
    assert "text.example.net" in hosts
    assert "rtf.example.net" in hosts


def test_html_anchor_text_kept() -> None:
    links = {link.host: link for link in read_tnef(_winmail()).links.links()}
    assert links["login.example.net"].display_text == "Sign in to Outlook"


def test_mime_part_adds_names_and_links() -> None:
    (event,) = parse_messages(_mime_with_tnef(_winmail()), Origin("m.eml", ""))
    assert isinstance(event, EmailMessage)
    assert event.attachments == ("winmail.dat", "Remittance advice.html")
    assert "login.example.net" in {link.host for link in event.links}


def test_garbage_tnef_part_is_defect() -> None:
    (event,) = parse_messages(_mime_with_tnef(b"not tnef at all"), Origin("m.eml", ""))
    assert isinstance(event, EmailMessage)
    assert "tnef-invalid" in event.defects
    assert event.attachments == ("winmail.dat",)


def test_huge_property_count_fails_fast() -> None:
    hostile = _header() + _attribute(1, 0x9003, 0x0006, struct.pack("<I", 0xFFFFFFFF))
    started = time.monotonic()
    content = read_tnef(hostile)
    assert time.monotonic() - started < 1.0
    assert content.defects == ["tnef-invalid"]


def test_huge_multi_value_count_fails_fast() -> None:
    # One multi-valued PT_SHORT property announcing four billion values.
    properties = struct.pack("<IHHI", 1, 0x1002, 0x0E17, 0xFFFFFFFF)
    hostile = _header() + _attribute(1, 0x9003, 0x0006, properties)
    started = time.monotonic()
    content = read_tnef(hostile)
    assert time.monotonic() - started < 1.0
    assert content.defects == ["tnef-invalid"]


def test_huge_recipient_rows_fail_fast() -> None:
    hostile = _header() + _attribute(1, 0x9004, 0x0006, struct.pack("<I", 0xFFFFFFFF))
    content = read_tnef(hostile)
    assert content.defects == ["tnef-invalid"]


def test_embedded_messages_too_deep() -> None:
    inner = _header()
    for _ in range(6):
        embedded = _mapi_value(0x000D, 0x3701, IMESSAGE_SIG + inner)
        inner = _header() + _attribute(2, 0x9002, 0x0002, b"\0" * 14)
        inner += _attribute(2, 0x9005, 0x0006, _mapi_list(embedded))
    assert read_tnef(inner).defects == ["tnef-invalid"]


def test_attachments_capped() -> None:
    data = _header() + b"".join(
        _attachment(f"file-{index}.txt", b"x") for index in range(MAX_TNEF_ATTACHMENTS + 20)
    )
    content = read_tnef(data)
    assert len(content.attachments) == MAX_TNEF_ATTACHMENTS
    assert "tnef-attachments-capped" in content.defects


def test_oversized_tnef_not_decoded() -> None:
    content = read_tnef(SIGNATURE + b"\0" * (11 * 1024 * 1024))
    assert content.defects == ["tnef-capped"]
    assert content.attachments == []


def test_truncated_tnef_never_raises() -> None:
    data = _winmail()
    for cut in range(0, len(data), 7):
        content = read_tnef(data[:cut])
        assert isinstance(content.attachments, list)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=600))
def test_random_bytes_after_signature_never_raise(data: bytes) -> None:
    content = read_tnef(SIGNATURE + data)
    assert len(content.attachments) <= MAX_TNEF_ATTACHMENTS


@settings(max_examples=150, deadline=None)
@given(
    changes=st.lists(
        st.tuples(st.integers(0, len(_winmail()) - 1), st.integers(0, 255)), min_size=1, max_size=6
    )
)
def test_corrupted_winmail_never_raises(changes: list[tuple[int, int]]) -> None:
    data = bytearray(_winmail())
    for offset, value in changes:
        data[offset] = value
    started = time.monotonic()
    read_tnef(bytes(data))
    assert time.monotonic() - started < 2.0
