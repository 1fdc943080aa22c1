"""Stdlib parsers for the simulated export, written independently of the generator."""

from __future__ import annotations

import csv
import email
import json
import re
from email.message import Message
from email.utils import getaddresses
from html import unescape
from pathlib import Path
from typing import Any

FROM_LINE = re.compile(rb"^From \S+ \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$")


def audit_records(data: Path) -> list[dict[str, Any]]:
    records = []
    for path in sorted((data / "audit").glob("ual-*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            records.extend(json.loads(line) for line in handle)
    for path in sorted((data / "audit").glob("ual-portal-*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            records.extend(json.loads(row["AuditData"]) for row in csv.DictReader(handle))
    return records


def sign_ins(data: Path) -> list[dict[str, Any]]:
    records = []
    for path in sorted((data / "signins").glob("signins-*.json")):
        records.extend(json.loads(path.read_text(encoding="utf-8"))["value"])
    return records


def trace_rows(data: Path) -> list[dict[str, str]]:
    rows = []
    for path in sorted((data / "message-trace").glob("trace-*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            rows.extend(csv.DictReader(handle))
    return rows


def split_mboxrd(raw: bytes) -> list[bytes]:
    """Split an mboxrd file on From_ lines that follow a blank line, and unquote ``>From``."""
    messages: list[list[bytes]] = []
    previous_blank = True
    for line in raw.split(b"\n"):
        if previous_blank and FROM_LINE.match(line):
            messages.append([])
        elif messages:
            messages[-1].append(line[1:] if re.match(rb"^>+From ", line) else line)
        previous_blank = line == b""
    return [b"\n".join(lines).rstrip(b"\n") + b"\n" for lines in messages]


def parse(raw: bytes) -> Message:
    """Parse with the compat32 policy, which is several times faster than ``default``."""
    return email.message_from_bytes(raw)


def journal(data: Path) -> list[Message]:
    messages = []
    for path in sorted((data / "mail").glob("journal-*.mbox")):
        messages.extend(parse(raw) for raw in split_mboxrd(path.read_bytes()))
    return messages


def message_id(message: Message) -> str:
    return str(message["Message-ID"]).strip().strip("<>")


def addresses(message: Message, header: str) -> list[str]:
    return [address for _, address in getaddresses(message.get_all(header, []))]


def part(message: Message, content_type: str) -> str | None:
    for item in message.walk():
        if item.get_content_type() == content_type:
            payload = item.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode("ascii")
    return None


def links(message: Message) -> list[str]:
    html = part(message, "text/html")
    assert html is not None
    return [unescape(url) for url in re.findall(r'href="([^"]+)"', html)]
