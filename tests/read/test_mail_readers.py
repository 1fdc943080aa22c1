"""Email readers: sniffing, mbox splitting, Maildir, header fields and fallbacks."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chainwatch.events import EmailMessage
from chainwatch.read.mail import (
    EmlReader,
    MaildirMessageReader,
    MboxReader,
    looks_like_header_block,
    parse_message,
)
from chainwatch.read.mail_mbox import from_line_time, is_from_line, iter_mbox
from chainwatch.read.mail_parse import MAX_MESSAGE_BYTES

from .conftest import events_of, read_all, rejected_of

SIMPLE = (
    b"From: Accounts <ap@vendor.example.org>\r\n"
    b"To: dana@example.com\r\n"
    b"Subject: Invoice\r\n"
    b"Date: Tue, 14 May 2024 09:05:00 +0200\r\n"
    b"Message-ID: <Simple-1@Vendor.Example.Org>\r\n"
    b"\r\n"
    b"See https://pay.example.net/i\r\n"
)


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _one(reader, path: Path) -> EmailMessage:
    items = read_all(reader, path)
    assert rejected_of(items) == []
    [message] = events_of(items)
    assert isinstance(message, EmailMessage)
    return message


def _maildir(tmp_path: Path) -> Path:
    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    return root


# Sniffing


@pytest.mark.parametrize(
    "head",
    [
        SIMPLE,
        b"Received: from a.example.org by b.example.com; Tue, 14 May 2024 09:05:00 +0000\n"
        b"Subject: x\n\nbody",
        b"\xef\xbb\xbfFrom: a@example.org\nTo: b@example.com\n\nbody",
        b"Microsoft Mail Internet Headers Version 2.0\r\nReceived: from x\r\nSubject: y\r\n\r\n",
        b"Subject: only one field\n\nbody",
    ],
)
def test_eml_sniff_accepts(head: bytes) -> None:
    assert EmlReader().sniff(head, "message.eml")


@pytest.mark.parametrize(
    "head",
    [
        b'{"value": [{"subject": "x"}]}',
        b"RecordId,CreationDate,RecordType,Operation,UserId,AuditData\n1,2,3,4,5,6\n",
        b"Host: example.com\nUser-Agent: curl\n\n",
        b"name: value\nother: thing\n",
        b"",
        b"just text\nFrom: a@example.org\n",
    ],
)
def test_eml_sniff_rejects(head: bytes) -> None:
    assert not looks_like_header_block(head)


def test_mbox_sniff_needs_from_line_then_headers() -> None:
    reader = MboxReader()

    assert reader.sniff(b"From ap@example.org Mon May 13 08:00:00 2024\n" + SIMPLE, "a.mbox")
    assert not reader.sniff(b"From ap@example.org Mon May 13 08:00:00 2024\n\nbody", "a.mbox")
    assert not reader.sniff(b"From the desk of the CFO\nSubject: x\n", "a.mbox")
    assert not reader.sniff(SIMPLE, "a.mbox")


def test_maildir_sniff_by_folder(tmp_path: Path) -> None:
    root = _maildir(tmp_path)
    in_maildir = _write(root, "cur/1715677500.M1P2.host:2,S", SIMPLE)
    loose_cur = _write(tmp_path / "other" / "cur", "msg", SIMPLE)

    assert MaildirMessageReader().sniff(SIMPLE, str(in_maildir))
    assert not EmlReader().sniff(SIMPLE, str(in_maildir))
    assert not MaildirMessageReader().sniff(SIMPLE, str(loose_cur))
    assert EmlReader().sniff(SIMPLE, str(loose_cur))


def test_maildir_message_read(tmp_path: Path) -> None:
    path = _write(_maildir(tmp_path), "new/1715677500.M1P2.host", SIMPLE)

    message = _one(MaildirMessageReader(), path)

    assert message.message_id == "simple-1@vendor.example.org"
    assert message.origin.position == ""


# Header fields


def test_eml_basic_fields(tmp_path: Path) -> None:
    message = _one(EmlReader(), _write(tmp_path, "a.eml", SIMPLE))

    assert message.event_id == "mail:simple-1@vendor.example.org"
    assert message.time == datetime(2024, 5, 14, 7, 5, tzinfo=UTC)
    assert message.date_source == "date"
    assert message.source == "mail"
    assert [link.url for link in message.links] == ["https://pay.example.net/i"]
    assert message.direction.value == "unknown"


def test_recipients_deduplicated_in_order(tmp_path: Path) -> None:
    data = SIMPLE.replace(
        b"To: dana@example.com\r\n",
        b"To: Dana <DANA@example.com>, lee@example.com\r\n"
        b"Cc: dana@example.com, =?utf-8?q?J=C3=B6rg?= <jorg@example.com>\r\n"
        b"Bcc: audit@example.com\r\n"
        b"Reply-To: Pay <pay@example.net>\r\n"
        b"Return-Path: <Bounce-1@mailer.example.net>\r\n",
    )

    message = _one(EmlReader(), _write(tmp_path, "a.eml", data))

    assert message.recipients == (
        "dana@example.com",
        "lee@example.com",
        "jorg@example.com",
        "audit@example.com",
    )
    assert message.reply_to == ("pay@example.net",)
    assert message.envelope_sender == "bounce-1@mailer.example.net"


def test_null_return_path_uses_sender(tmp_path: Path) -> None:
    data = SIMPLE.replace(
        b"Subject:", b"Return-Path: <>\r\nSender: relay@mailer.example.net\r\nSubject:"
    )

    message = _one(EmlReader(), _write(tmp_path, "a.eml", data))

    assert message.envelope_sender == "relay@mailer.example.net"


def test_authentication_results_top_most(tmp_path: Path) -> None:
    data = (
        b"Authentication-Results: mx.example.com; spf=pass (sender IP is 192.0.2.25)"
        b" smtp.mailfrom=vendor.example.org;\r\n dkim=FAIL header.d=vendor.example.org;"
        b" dmarc=fail action=quarantine header.from=vendor.example.org\r\n"
        b"Authentication-Results: mail.vendor.example.org; spf=none; dkim=pass; dmarc=pass\r\n"
        + SIMPLE
    )

    message = _one(EmlReader(), _write(tmp_path, "a.eml", data))

    assert message.auth.available is True
    assert message.auth.spf == "pass"
    assert message.auth.dkim == "fail"
    assert message.auth.dmarc == "fail"


def test_sending_ip_skips_private_hops(tmp_path: Path) -> None:
    data = (
        b"Received: from mx.example.com (10.0.0.5) by store.example.com;"
        b" Tue, 14 May 2024 09:05:03 +0000\r\n"
        b"Received: from out.vendor.example.org (out.vendor.example.org [203.0.113.9])\r\n"
        b" by mx.example.com with ESMTPS; Tue, 14 May 2024 09:05:02 +0000\r\n"
        b"Received: from laptop (unknown [192.168.1.20]) by out.vendor.example.org;"
        b" Tue, 14 May 2024 09:05:01 +0000\r\n" + SIMPLE
    )

    message = _one(EmlReader(), _write(tmp_path, "a.eml", data))

    assert message.sending_ip == "203.0.113.9"


def test_sending_ip_ipv6(tmp_path: Path) -> None:
    data = (
        b"Received: from EX1.vendor.example.org (2001:db8:4::25) by mx.example.com"
        b" (2001:db8:1::1) with Microsoft SMTP Server; Tue, 14 May 2024 09:05:02 +0000\r\n" + SIMPLE
    )

    message = _one(EmlReader(), _write(tmp_path, "a.eml", data))

    assert message.sending_ip == "2001:db8:4::25"


@pytest.mark.parametrize(
    "header",
    [
        b"List-Unsubscribe: <https://u.example.net/x>\r\n",
        b"List-Id: <news.vendor.example.org>\r\n",
        b"Precedence: list\r\n",
        b"Feedback-ID: 1:campaign:esp\r\n",
    ],
)
def test_bulk_headers(tmp_path: Path, header: bytes) -> None:
    message = _one(EmlReader(), _write(tmp_path, "a.eml", header + SIMPLE))

    assert message.is_bulk is True


def test_not_bulk_without_list_headers(tmp_path: Path) -> None:
    message = _one(EmlReader(), _write(tmp_path, "a.eml", b"Precedence: first-class\r\n" + SIMPLE))

    assert message.is_bulk is False


def test_missing_message_id_uses_content_digest(tmp_path: Path) -> None:
    data = SIMPLE.replace(b"Message-ID: <Simple-1@Vendor.Example.Org>\r\n", b"")

    message = _one(EmlReader(), _write(tmp_path, "a.eml", data))
    again = _one(EmlReader(), _write(tmp_path, "b.eml", data))

    assert message.message_id is None
    assert message.event_id.startswith("mail:sha256:")
    assert len(message.event_id) == len("mail:sha256:") + 64
    assert message.event_id == again.event_id


def test_attachment_names(tmp_path: Path) -> None:
    data = (
        b"From: a@example.org\r\nMessage-ID: <att@example.org>\r\n"
        b"Date: Tue, 14 May 2024 09:05:00 +0000\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
        b"--b\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="=?utf-8?q?Rechnung_M=C3=A4rz.pdf?="\r\n'
        b"\r\n%PDF\r\n"
        b"--b\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename*=utf-8''%C3%BCbersicht.pdf\r\n\r\n%PDF\r\n"
        b"--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment\r\n\r\nPNG\r\n"
        b'--b\r\nContent-Type: text/html; name="Email.htm"\r\n\r\n<form action="https://harvest.example.net/p"></form>\r\n'
        b"--b--\r\n"
    )

    message = _one(EmlReader(), _write(tmp_path, "a.eml", data))

    assert message.attachments == (
        "Rechnung März.pdf",
        "übersicht.pdf",
        "attachment-1.png",
        "Email.htm",
    )
    # Links in an attached HTML page count: it is the usual credential-harvest lure.
    assert [link.host for link in message.links] == ["harvest.example.net"]


def test_file_time_when_no_dates(tmp_path: Path) -> None:
    data = SIMPLE.replace(b"Date: Tue, 14 May 2024 09:05:00 +0200\r\n", b"")
    path = _write(tmp_path, "a.eml", data)
    os.utime(path, (1715677500, 1715677500))

    message = _one(EmlReader(), path)

    assert message.time == datetime.fromtimestamp(1715677500, UTC)
    assert message.date_source == "file"
    assert "missing-date" in message.defects


def test_envelope_line_time_before_file_time(tmp_path: Path) -> None:
    data = b"From ap@vendor.example.org  Tue May 14 09:40:00 2024\n" + SIMPLE.replace(
        b"Date: Tue, 14 May 2024 09:05:00 +0200\r\n", b""
    )

    message = _one(EmlReader(), _write(tmp_path, "a.eml", data))

    assert message.time == datetime(2024, 5, 14, 9, 40, tzinfo=UTC)
    assert message.date_source == "received"


def test_parse_message_returns_outer_only(tmp_path: Path) -> None:
    from chainwatch.events import Origin

    path = _write(tmp_path, "a.eml", SIMPLE)

    result = parse_message(SIMPLE, Origin(str(path), ""))

    assert isinstance(result, EmailMessage)
    assert result.message_id == "simple-1@vendor.example.org"


def test_parse_message_rejects_headerless_bytes() -> None:
    from chainwatch.events import Origin
    from chainwatch.read.base import Rejected

    result = parse_message(b"\x00\x01 no headers here\n", Origin("blob", "record 1"))

    assert isinstance(result, Rejected)
    assert result.field == "headers"
    assert result.origin.file == "blob"


def test_eml_over_size_limit_rejected(tmp_path: Path) -> None:
    path = tmp_path / "big.eml"
    with path.open("wb") as handle:
        handle.write(SIMPLE)
        handle.write(b"x" * (MAX_MESSAGE_BYTES + 10))

    items = read_all(EmlReader(), path)

    [rejected] = rejected_of(items)
    assert events_of(items) == []
    assert rejected.field == "size"
    assert rejected.origin.file == str(path)


# mbox


def test_from_line_variants() -> None:
    assert is_from_line(b"From MAILER-DAEMON Fri Jul  8 12:08:34 2011\n")
    assert is_from_line(b"From - Thu Aug 22 13:17:22 2002\r\n")
    assert is_from_line(b"From a@example.org  Thu Aug 22 13:17:22 2002\n")
    assert is_from_line(b"From a@example.org Thu Aug 22 13:17 PDT 2002 remote from x\n")
    assert not is_from_line(b"From the attached statement you can see two open items.\n")
    assert not is_from_line(b"From: a@example.org\n")


def test_from_line_time() -> None:
    assert from_line_time(b"From a@example.org Tue May 14 09:40:00 2024\n") == datetime(
        2024, 5, 14, 9, 40, tzinfo=UTC
    )
    assert from_line_time(b"From a@example.org Tue Feb 30 09:40:00 2024\n") is None


def test_mbox_split_requires_blank_line_before() -> None:
    data = (
        b"From a@example.org Tue May 14 09:40:00 2024\n"
        b"Subject: one\n\n"
        b"line\n"
        b"From b@example.org Tue May 14 09:41:00 2024\n"
        b"still message one\n\n"
        b"From c@example.org Tue May 14 09:42:00 2024\n"
        b"Subject: two\n\nbody\n"
    )

    members = list(iter_mbox(io.BytesIO(data)))

    assert [m.number for m in members] == [1, 2]
    assert b"From b@example.org" in members[0].data
    assert members[0].data.endswith(b"still message one\n")
    assert members[1].envelope_time == datetime(2024, 5, 14, 9, 42, tzinfo=UTC)


def test_mbox_unescape_one_level() -> None:
    data = (
        b"From a@example.org Tue May 14 09:40:00 2024\nSubject: x\n\n>From a\n>>From b\n>Fromage\n"
    )

    [member] = list(iter_mbox(io.BytesIO(data)))

    assert member.data == b"Subject: x\n\nFrom a\n>From b\n>Fromage\n"


def test_mbox_unescape_off_for_mboxo() -> None:
    data = b"From a@example.org Tue May 14 09:40:00 2024\nSubject: x\n\n>From a\n"

    [member] = list(iter_mbox(io.BytesIO(data), unescape_from=False))

    assert member.data.endswith(b">From a\n")


def test_mbox_crlf_line_endings(tmp_path: Path) -> None:
    data = (
        b"From a@example.org Tue May 14 09:40:00 2024\r\n" + SIMPLE + b"\r\n"
        b"From b@example.org Tue May 14 09:41:00 2024\r\n"
        + SIMPLE.replace(b"Simple-1", b"Simple-2")
    )

    messages = events_of(read_all(MboxReader(), _write(tmp_path, "crlf.mbox", data)))

    assert [m.message_id for m in messages] == [
        "simple-1@vendor.example.org",
        "simple-2@vendor.example.org",
    ]


def test_mbox_long_line_streamed(tmp_path: Path) -> None:
    # A line longer than one read chunk must not be split into a false From_ line.
    long_line = b"y" * (3 * 1024 * 1024) + b"From a@example.org Tue May 14 09:40:00 2024\n"
    data = b"From a@example.org Tue May 14 09:40:00 2024\n" + SIMPLE + long_line

    items = read_all(MboxReader(), _write(tmp_path, "long.mbox", data))

    assert len(events_of(items)) == 1
    assert rejected_of(items) == []


def test_mbox_oversize_message_rejected_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "big.mbox"
    with path.open("wb") as handle:
        handle.write(b"From a@example.org Tue May 14 09:40:00 2024\n" + SIMPLE)
        line = b"z" * 1023 + b"\n"
        for _ in range(MAX_MESSAGE_BYTES // len(line) + 2):
            handle.write(line)
        handle.write(b"\nFrom b@example.org Tue May 14 09:41:00 2024\n")
        handle.write(SIMPLE.replace(b"Simple-1", b"Simple-2"))

    items = read_all(MboxReader(), path)

    [rejected] = rejected_of(items)
    assert rejected.origin.position == "message 1"
    assert rejected.field == "size"
    assert [m.message_id for m in events_of(items)] == ["simple-2@vendor.example.org"]
