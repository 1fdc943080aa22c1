"""Export shapes found while documenting the inputs: each once misread."""

from __future__ import annotations

import json
from pathlib import Path

from chainwatch.events import EmailMessage, SignIn
from chainwatch.read import read_file, registered_readers
from chainwatch.read.base import Rejected

SIGN_IN = {
    "id": "7d3e0000-0000-4000-8000-000000000101",
    "createdDateTime": "2026-10-01T09:00:00Z",
    "userPrincipalName": "dana@example.com",
    "ipAddress": "203.0.113.50",
    "isInteractive": True,
    "status": {"errorCode": 0},
}


def read(path: Path) -> tuple[str | None, list]:
    name, items = read_file(path, registered_readers())
    return name, list(items)


def test_event_hub_records_wrapper_is_unpacked(tmp_path: Path):
    path = tmp_path / "capture.json"
    envelope = {"category": "SignInLogs", "time": "2026-10-01T09:01:00Z", "properties": SIGN_IN}
    path.write_text(json.dumps({"records": [envelope, envelope | {"time": "x"}]}))
    name, items = read(path)
    assert name == "entra-signin"
    assert [type(i) for i in items] == [SignIn, SignIn]
    assert items[0].time.isoformat() == "2026-10-01T09:00:00+00:00"


def test_status_flattened_by_convertto_json_is_rejected(tmp_path: Path):
    path = tmp_path / "signins.json"
    flattened = SIGN_IN | {"status": "Microsoft.Graph.PowerShell.Models.MicrosoftGraphSignInStatus"}
    path.write_text(json.dumps([flattened]))
    _, items = read(path)
    [item] = items
    assert isinstance(item, Rejected)
    assert item.field == "status"
    assert "ConvertTo-Json -Depth" in item.reason


def test_outlook_header_text_is_read(tmp_path: Path):
    path = tmp_path / "headers.txt"
    path.write_bytes(
        b"Microsoft Mail Internet Headers Version 2.0\r\n"
        b"From: AP <ap@vendor.example.org>\r\n"
        b"To: dana@example.com\r\n"
        b"Subject: Remittance\r\n"
        b"Date: Tue, 14 May 2024 09:07:30 +0000\r\n"
        b"Message-ID: <abc@vendor.example.org>\r\n\r\n"
    )
    name, items = read(path)
    assert name == "eml"
    [message] = items
    assert isinstance(message, EmailMessage)
    assert message.sender == "ap@vendor.example.org"
    assert message.message_id == "abc@vendor.example.org"


def test_trace_rows_from_two_sessions_share_ids(tmp_path: Path):
    header = '"RunspaceId","Received","SenderAddress","RecipientAddress","Subject","Status"\n'
    row = '"2026-10-01T09:00:00Z","dana@example.com","lee@example.com","Hi","Delivered"\n'
    first = tmp_path / "a.csv"
    second = tmp_path / "b.csv"
    first.write_text(header + '"11111111-1111-1111-1111-111111111111",' + row)
    second.write_text(header + '"22222222-2222-2222-2222-222222222222",' + row)
    [event_a] = read(first)[1]
    [event_b] = read(second)[1]
    assert event_a.event_id == event_b.event_id
