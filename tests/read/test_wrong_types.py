"""Fields of the wrong JSON type are rejected with their name, never read as something else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chainwatch.events import SignIn
from chainwatch.read import read_file, registered_readers
from chainwatch.read.base import Rejected

SIGN_IN = {
    "id": "7d3e0000-0000-4000-8000-000000000201",
    "createdDateTime": "2026-10-01T09:00:00Z",
    "userPrincipalName": "dana@example.com",
    "ipAddress": "203.0.113.50",
    "isInteractive": True,
    "status": {"errorCode": 50126},
}
UAL = {
    "CreationTime": "2026-10-01T09:00:00",
    "Id": "5b1c0000-0000-4000-8000-000000000301",
    "Operation": "FileAccessed",
    "RecordType": 6,
    "UserId": "dana@example.com",
    "ClientIP": "203.0.113.50",
    "ObjectId": "https://example.sharepoint.com/sites/finance/plan.xlsx",
    "Workload": "SharePoint",
}


def _read_lines(path: Path, records: list[dict]) -> list:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    _, items = read_file(path, registered_readers())
    return list(items)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"status": {"errorCode": "bad"}}, "status.errorCode"),
        ({"status": None}, "status"),
        ({"status": {}}, "status"),
        ({"userPrincipalName": 42}, "userPrincipalName"),
        ({"userPrincipalName": ["dana@example.com"]}, "userPrincipalName"),
    ],
)
def test_sign_in_wrong_type_rejected(tmp_path: Path, changes: dict, field: str) -> None:
    [item] = _read_lines(tmp_path / "signins.jsonl", [SIGN_IN | changes])

    assert isinstance(item, Rejected)
    assert item.field == field
    assert item.record_id == SIGN_IN["id"]


def test_sign_in_failure_code_as_text_read(tmp_path: Path) -> None:
    [item] = _read_lines(tmp_path / "signins.jsonl", [SIGN_IN | {"status": {"errorCode": "50126"}}])

    assert isinstance(item, SignIn)
    assert item.success is False
    assert item.error_code == 50126


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"UserId": ["dana@example.com"]}, "UserId"),
        ({"UserId": 42}, "UserId"),
        ({"Operation": {"name": "FileAccessed"}}, "Operation"),
    ],
)
def test_ual_wrong_type_rejected(tmp_path: Path, changes: dict, field: str) -> None:
    [item] = _read_lines(tmp_path / "ual.jsonl", [UAL | changes])

    assert isinstance(item, Rejected)
    assert item.field == field
    assert "not text" in item.reason
