"""Render simulated messages as RFC 5322 text and write mboxrd, Maildir and .eml files.

Messages are rendered by hand rather than with :mod:`email.generator`, because the
generator draws MIME boundaries from the global ``random`` module, which would make
output differ between runs with the same seed. Every body is ASCII, so 7bit
transfer encoding is valid. Lines end in LF, as mbox and Maildir files use.
"""

from __future__ import annotations

import base64
import html
import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime, formataddr
from pathlib import Path

from chainwatch.simulate.records import Message
from chainwatch.simulate.tenant import ESP_HOST, ESP_IPS, Mailbox

MX_HOST = "mx1.example.com"
MAILBOX_HOST = "mbx01.example.com"
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FROM_LINE = re.compile(r"^(>*From )", re.MULTILINE)


def _address_list(mailboxes: tuple[Mailbox, ...]) -> str:
    return ", ".join(formataddr((m.name, m.address)) for m in mailboxes)


def _header_date(moment: datetime, offset_minutes: int) -> str:
    return format_datetime(moment.astimezone(timezone(timedelta(minutes=offset_minutes))))


def _trace_headers(message: Message) -> list[str]:
    """Return Received and Authentication-Results headers, newest hop first."""
    when = format_datetime(message.time.astimezone(UTC))
    earlier = format_datetime((message.time - timedelta(seconds=2)).astimezone(UTC))
    token = message.message_id[:12]
    if message.direction != "inbound":
        return [
            f"Received: from {MAILBOX_HOST} by {MX_HOST} with Microsoft SMTP Server\n"
            f" id 15.20.8005.20; {when}",
            f"X-Originating-IP: [{message.sending_ip}]",
        ]
    domain = message.sender.domain
    if message.sending_ip in ESP_IPS:
        helo = f"mta{ESP_IPS.index(message.sending_ip) + 1}.{ESP_HOST.split('.', 1)[1]}"
        mail_from = f"bounces.{ESP_HOST.split('.', 1)[1]}"
    else:
        helo = f"mail.{domain}"
        mail_from = domain
    return [
        f"Received: from {MX_HOST} by {MAILBOX_HOST} with Microsoft SMTP Server\n"
        f" id 15.20.8005.20; {when}",
        f"Authentication-Results: {MX_HOST};\n"
        f" spf=pass (sender IP is {message.sending_ip}) smtp.mailfrom={mail_from};\n"
        f" dkim=pass (signature was verified) header.d={domain};\n"
        f" dmarc=pass action=none header.from={domain}",
        f"Received: from {helo} ({helo} [{message.sending_ip}])\n"
        f" by {MX_HOST} with ESMTPS id {token}; {earlier}",
    ]


def render_message(message: Message) -> bytes:
    """Render one message as RFC 5322 bytes with a multipart/alternative text and HTML body."""
    boundary = f"=_alt_{message.message_id.split('@')[0][:24]}"
    headers = [f"Return-Path: <{message.sender.address}>", *_trace_headers(message)]
    headers += [
        f"From: {formataddr((message.sender.name, message.sender.address))}",
        f"To: {_address_list(message.to)}",
    ]
    if message.cc:
        headers.append(f"Cc: {_address_list(message.cc)}")
    headers += [
        f"Subject: {message.subject}",
        f"Date: {_header_date(message.time, message.sender_utc_offset_minutes)}",
        f"Message-ID: <{message.message_id}>",
    ]
    if message.reply_to is not None:
        headers.append(f"Reply-To: {formataddr((message.reply_to.name, message.reply_to.address))}")
    if message.in_reply_to:
        references = " ".join(f"<{m}>" for m in (*message.references, message.in_reply_to))
        headers += [
            f"In-Reply-To: <{message.in_reply_to}>",
            f"References: {references}",
        ]
    if message.unsubscribe_url:
        headers += [
            f"List-Unsubscribe: <{message.unsubscribe_url}>",
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
            "Precedence: bulk",
        ]
    headers.append("MIME-Version: 1.0")
    if message.attachments:
        mixed = f"=_mixed_{message.message_id.split('@')[0][:24]}"
        headers.append(f'Content-Type: multipart/mixed; boundary="{mixed}"')
    else:
        headers.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')

    text = "\n\n".join(message.paragraphs)
    if message.links:
        text += "\n\n" + "\n".join(f"{anchor}: <{url}>" for url, anchor in message.links)
    html_paragraphs = "".join(
        "<p>" + html.escape(p).replace("\n", "<br>") + "</p>\n" for p in message.paragraphs
    )
    html_links = "".join(
        f'<p><a href="{html.escape(url)}">{html.escape(anchor)}</a></p>\n'
        for url, anchor in message.links
    )
    alternative = [
        f"--{boundary}",
        'Content-Type: text/plain; charset="us-ascii"',
        "Content-Transfer-Encoding: 7bit",
        "",
        text,
        "",
        f"--{boundary}",
        'Content-Type: text/html; charset="us-ascii"',
        "Content-Transfer-Encoding: 7bit",
        "",
        f"<html><body>\n{html_paragraphs}{html_links}</body></html>",
        "",
        f"--{boundary}--",
        "",
    ]
    preamble = ["\n".join(headers), "", "This is a multi-part message in MIME format.", ""]
    if message.attachments:
        parts = [
            *preamble,
            f"--{mixed}",
            f'Content-Type: multipart/alternative; boundary="{boundary}"',
            "",
            *alternative,
            *_attachment_parts(message, mixed),
        ]
    else:
        parts = [*preamble, *alternative]
    return "\n".join(parts).encode("ascii")


def _attachment_parts(message: Message, boundary: str) -> list[str]:
    """Return the MIME lines of each attachment, base64 in 76-character lines, and the end."""
    lines: list[str] = []
    for attachment in message.attachments:
        encoded = base64.b64encode(attachment.data).decode("ascii")
        lines += [
            f"--{boundary}",
            f'Content-Type: {attachment.content_type}; name="{attachment.filename}"',
            f'Content-Disposition: attachment; filename="{attachment.filename}"',
            "Content-Transfer-Encoding: base64",
            "",
            *(encoded[i : i + 76] for i in range(0, len(encoded), 76)),
            "",
        ]
    return [*lines, f"--{boundary}--", ""]


def asctime(moment: datetime) -> str:
    """Format a UTC time as mbox From_ lines do: ``Mon Oct  5 09:12:33 2026``."""
    moment = moment.astimezone(UTC)
    return (
        f"{_DAYS[moment.weekday()]} {_MONTHS[moment.month - 1]} {moment.day:2d} "
        f"{moment:%H:%M:%S} {moment.year}"
    )


def mboxrd_entry(message: Message, rendered: bytes) -> bytes:
    """Return one mboxrd member: From_ line, message with ``>From`` quoting, blank line."""
    body = _FROM_LINE.sub(r">\1", rendered.decode("ascii"))
    envelope = f"From {message.sender.address} {asctime(message.time)}\n"
    return (envelope + body + "\n").encode("ascii")


def write_maildir(folder: Path, items: list[tuple[Message, bytes]]) -> list[Path]:
    """Write messages into a Maildir folder's ``cur`` as read (``:2,S``) files."""
    for sub in ("cur", "new", "tmp"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    paths = []
    for index, (message, rendered) in enumerate(items, start=1):
        stamp = int(message.time.timestamp())
        path = folder / "cur" / f"{stamp}.M{index:06d}P4242.chainwatch-simulate:2,S"
        path.write_bytes(rendered)
        paths.append(path)
    return paths
