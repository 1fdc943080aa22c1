"""Email readers on hostile input: bombs stay bounded and nothing raises out of ``read``."""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainwatch.events import EmailMessage
from chainwatch.read.base import Rejected
from chainwatch.read.mail import EmlReader, MaildirMessageReader, MboxReader
from chainwatch.read.mail_parse import MAX_MIME_PARTS, MAX_NESTED_DEPTH

from .conftest import events_of, read_all, rejected_of

READERS = (EmlReader(), MboxReader(), MaildirMessageReader())
# Generous bound for one hostile message on a slow CI runner; typical runs take < 0.5 s.
SECONDS_PER_MESSAGE = 10.0


def _nested_forwards(levels: int) -> bytes:
    message = b"From: last@example.org\r\nSubject: bottom\r\n\r\nhttps://deep.example.net/x\r\n"
    for level in range(levels):
        message = (
            b"From: fwd%d@example.org\r\nMessage-ID: <fwd-%d@example.org>\r\n"
            b"Date: Tue, 14 May 2024 09:05:00 +0000\r\n"
            b"Content-Type: message/rfc822\r\n\r\n" % (level, level)
        ) + message
    return message


def _nested_multiparts(levels: int) -> bytes:
    body = b"Content-Type: text/plain\r\n\r\nhttps://deep.example.net/y\r\n"
    for level in range(levels):
        body = (
            b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (level, level)
            + body
            + b"\r\n--b%d--\r\n" % level
        )
    return b"From: a@example.org\r\nMessage-ID: <deep@example.org>\r\n" + body


def _read_timed(tmp_path: Path, data: bytes) -> list:
    path = tmp_path / "hostile.eml"
    path.write_bytes(data)
    started = time.monotonic()
    items = read_all(EmlReader(), path)
    assert time.monotonic() - started < SECONDS_PER_MESSAGE
    return items


def test_forward_nesting_capped(tmp_path: Path) -> None:
    items = _read_timed(tmp_path, _nested_forwards(50))
    messages = events_of(items)

    assert rejected_of(items) == []
    assert [m.nested_depth for m in messages] == list(range(MAX_NESTED_DEPTH + 1))
    assert "nesting-capped" in messages[-1].defects


def test_forward_nesting_beyond_parser_recursion(tmp_path: Path) -> None:
    items = _read_timed(tmp_path, _nested_forwards(3000))
    [message] = events_of(items)

    assert message.message_id == "fwd-2999@example.org"
    assert "nesting-capped" in message.defects


def test_multipart_nesting_capped(tmp_path: Path) -> None:
    items = _read_timed(tmp_path, _nested_multiparts(50))
    [message] = events_of(items)

    assert message.message_id == "deep@example.org"
    assert "nesting-capped" in message.defects


def test_multipart_nesting_beyond_parser_recursion(tmp_path: Path) -> None:
    items = _read_timed(tmp_path, _nested_multiparts(3000))
    [message] = events_of(items)

    assert "nesting-capped" in message.defects


def test_many_parts_capped(tmp_path: Path) -> None:
    parts = b"".join(
        b"--bb\r\nContent-Type: text/plain\r\n\r\nhttps://p%d.example.net/\r\n" % i
        for i in range(5000)
    )
    data = (
        b"From: a@example.org\r\nMessage-ID: <parts@example.org>\r\n"
        b"Content-Type: multipart/mixed; boundary=bb\r\n\r\n" + parts + b"--bb--\r\n"
    )

    [message] = events_of(_read_timed(tmp_path, data))

    assert "parts-capped" in message.defects
    assert "links-capped" in message.defects
    assert len(message.links) == 500
    assert MAX_MIME_PARTS == 1000


def test_huge_header_line_capped(tmp_path: Path) -> None:
    data = (
        b"From: a@example.org\r\nSubject: "
        + b"A" * (2 * 1024 * 1024)
        + b"\r\nMessage-ID: <long@example.org>\r\n\r\nhttps://body.example.net/\r\n"
    )

    [message] = events_of(_read_timed(tmp_path, data))

    assert "header-capped" in message.defects
    assert message.message_id == "long@example.org"
    assert message.subject is not None
    assert len(message.subject) < 1024 * 1024
    assert [link.host for link in message.links] == ["body.example.net"]


def test_huge_text_part_capped(tmp_path: Path) -> None:
    data = (
        b"From: a@example.org\r\nMessage-ID: <text@example.org>\r\n\r\n"
        + b"word " * (11 * 1024 * 1024 // 5)
        + b"https://after-cap.example.net/\r\n"
    )

    [message] = events_of(_read_timed(tmp_path, data))

    assert "text-capped" in message.defects
    assert message.links == ()


def test_bad_transfer_encoding_and_base64(tmp_path: Path) -> None:
    data = (
        b"From: a@example.org\r\nMessage-ID: <enc@example.org>\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        b"!!!not base64 https://x.example.net/\r\n"
        b"--b\r\nContent-Type: text/html; charset=zzz\r\nContent-Transfer-Encoding: hexa\r\n\r\n"
        b'<a href="https://y.example.net/">y</a>\r\n'
    )

    items = _read_timed(tmp_path, data)
    [message] = events_of(items)

    assert "transfer-encoding:hexa" in message.defects
    assert "charset:zzz" in message.defects
    assert "truncated" in message.defects
    assert "y.example.net" in [link.host for link in message.links]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.binary(max_size=4096))
def test_arbitrary_bytes_never_raise(tmp_path: Path, data: bytes) -> None:
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    paths = (tmp_path / "fuzz.eml", tmp_path / "fuzz.mbox", maildir / "cur" / "fuzz")

    for reader, path in zip(READERS, paths, strict=True):
        path.write_bytes(data)
        for item in reader.read(path):
            assert isinstance(item, EmailMessage | Rejected)
            if isinstance(item, Rejected):
                assert item.reason


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    lines=st.lists(
        st.sampled_from(
            [
                b"From a@example.org Tue May 14 09:40:00 2024",
                b"From: a@example.org",
                b"Subject: =?utf-8?B?w5w=?==?x?q?",
                b"Content-Type: multipart/mixed; boundary=b",
                b"Content-Type: message/rfc822",
                b"Content-Transfer-Encoding: base64",
                b"Date: 2024/05/14",
                b"--b",
                b"--b--",
                b">From x",
                b"",
                b"\xff\xfe",
                b'<a href="https://[x">',
            ]
        ),
        max_size=60,
    ),
    newline=st.sampled_from([b"\n", b"\r\n"]),
)
def test_mail_shaped_input_never_raises(tmp_path: Path, lines: list[bytes], newline: bytes) -> None:
    path = tmp_path / "shaped.mbox"
    path.write_bytes(newline.join(lines))

    for reader in READERS[:2]:
        for item in reader.read(path):
            assert isinstance(item, EmailMessage | Rejected)
