"""Azure Monitor captures that mix sign-ins, audit records and Defender tables."""

from __future__ import annotations

import json
from pathlib import Path

from chainwatch.events import LinkClick, SignIn
from chainwatch.read import read_file, registered_readers
from chainwatch.read.envelope import is_mixed_capture, record_family

SIGN_IN = {
    "time": "2026-10-01T09:01:00Z",
    "category": "SignInLogs",
    "operationName": "Sign-in activity",
    "resourceId": "/tenants/00000000-0000-4000-8000-000000000001",
    "properties": {
        "id": "7d3e0000-0000-4000-8000-000000000001",
        "createdDateTime": "2026-10-01T09:00:00Z",
        "userPrincipalName": "dana@example.com",
        "ipAddress": "203.0.113.50",
        "isInteractive": True,
        "status": {"errorCode": 0},
    },
}
CLICK = {
    "time": "2026-10-01T09:02:00Z",
    "category": "AdvancedHunting-UrlClickEvents",
    "operationName": "Publish",
    "properties": {
        "Timestamp": "2026-10-01T09:02:00Z",
        "ReportId": "r1",
        "AccountUpn": "dana@example.com",
        "Url": "https://x.example/a",
        "ActionType": "ClickAllowed",
        "IPAddress": "203.0.113.50",
        "NetworkMessageId": "n1",
        "Workload": "Email",
    },
}


def test_families():
    assert record_family("NonInteractiveUserSignInLogs") == "sign-in"
    assert record_family("AdvancedHunting-EmailEvents") == "defender"
    assert record_family("AuditLogs") == "audit"


def test_single_family_is_not_mixed():
    head = (json.dumps(SIGN_IN) + "\n" + json.dumps(SIGN_IN)).encode()
    assert not is_mixed_capture(head)


def test_mixed_capture_keeps_every_family(tmp_path: Path):
    path = tmp_path / "capture.json"
    path.write_text(json.dumps(SIGN_IN) + "\n" + json.dumps(CLICK) + "\n", encoding="utf-8")
    name, items = read_file(path, registered_readers())
    kinds = [type(item) for item in items]
    assert name == "azure-monitor"
    assert kinds == [SignIn, LinkClick]
