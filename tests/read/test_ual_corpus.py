"""Unified Audit Log records from public peer parsers, compared with their expected output.

Each Sekoia intake-format test contains one raw Management Activity API record (as a JSON
string) and the fields Sekoia's parser extracts. Every record must read without an
exception, and for the records chainwatch models the time, user, source IP, operation
and outcome must agree with Sekoia. All mismatches are collected and reported together.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import orjson
import pytest

from chainwatch.events import Event, FileAccess, MailboxRuleChange, MailSent, SignIn
from chainwatch.read.base import Skipped
from chainwatch.read.timestamps import parse_timestamp
from chainwatch.read.ual import UalJsonReader

from .conftest import corpus_files

SEKOIA_O365 = "sekoia-intake-formats/Office 365/o365/tests"
READER = UalJsonReader()


def _read_raw(tmp_path: Path, name: str, raw: str) -> list:
    path = tmp_path / f"{name}.jsonl"
    path.write_text(raw.strip() + "\n")
    return list(READER.read(path))


def _operation(event: Event) -> str | None:
    if isinstance(event, MailboxRuleChange | FileAccess):
        return event.operation
    return None


def _user(event: Event) -> str:
    if isinstance(event, MailboxRuleChange):
        return event.actor
    if isinstance(event, MailSent):
        return event.sender
    return event.user  # type: ignore[attr-defined]


def _ip(event: Event) -> str | None:
    if isinstance(event, MailSent):
        return event.from_ip
    return event.ip  # type: ignore[attr-defined]


def _compare(name: str, event: Event, expected: dict) -> list[str]:
    problems: list[str] = []

    want_time = parse_timestamp(expected["@timestamp"])
    if event.time != want_time:
        problems.append(f"{name}: time {event.time.isoformat()} != {want_time.isoformat()}")

    want_user = (expected.get("user") or {}).get("name")
    if want_user is not None and _user(event) != want_user.lower():
        problems.append(f"{name}: user {_user(event)!r} != {want_user!r}")

    want_ip = (expected.get("source") or {}).get("ip")
    if _ip(event) != want_ip:
        problems.append(f"{name}: ip {_ip(event)!r} != {want_ip!r}")

    want_operation = (expected.get("event") or {}).get("action")
    ours = _operation(event)
    if ours is not None and ours != want_operation:
        problems.append(f"{name}: operation {ours!r} != {want_operation!r}")

    want_outcome = (expected.get("event") or {}).get("outcome")
    if isinstance(event, SignIn) and want_outcome is not None:
        outcome = "success" if event.success else "failure"
        if outcome != want_outcome:
            problems.append(f"{name}: outcome {outcome} != {want_outcome}")
    return problems


def test_sekoia_o365_records_read_and_match(tmp_path: Path) -> None:
    files = corpus_files(SEKOIA_O365)
    assert files, "no Sekoia O365 test files found"

    mismatches: list[str] = []
    modelled = 0
    for path in files:
        case = orjson.loads(path.read_bytes())
        items = _read_raw(tmp_path, path.stem, case["input"]["message"])
        assert len(items) == 1, path.name
        item = items[0]
        if isinstance(item, Skipped):
            continue
        assert isinstance(item, Event), f"{path.name}: {item}"
        modelled += 1
        mismatches.extend(_compare(path.name, item, case["expected"]))

    assert modelled >= 8
    assert mismatches == []


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("user_logged_in.json", SignIn),
        ("user_login_failed.json", SignIn),
        ("file_previewed.json", FileAccess),
        ("file_sync_download_full.json", FileAccess),
        ("exchange_item_aggregated.json", FileAccess),
    ],
)
def test_sekoia_o365_modelled_kinds(tmp_path: Path, name: str, kind: type) -> None:
    path = next((p for p in corpus_files(SEKOIA_O365) if p.name == name), None)
    if path is None:
        pytest.skip(f"{name} not in corpus")
    case = orjson.loads(path.read_bytes())
    items = _read_raw(tmp_path, path.stem, case["input"]["message"])
    assert isinstance(items[0], kind)


def test_sekoia_login_failed_error_code(tmp_path: Path) -> None:
    path = next((p for p in corpus_files(SEKOIA_O365) if p.name == "user_login_failed.json"), None)
    if path is None:
        pytest.skip("user_login_failed.json not in corpus")
    case = orjson.loads(path.read_bytes())
    event = _read_raw(tmp_path, path.stem, case["input"]["message"])[0]
    assert isinstance(event, SignIn)
    assert event.error_code == 500121
    assert event.success is False
    assert event.session_id == "b3a9b2b4-57c9-406b-9a2d-106b7f612248"


def test_time_is_aware(tmp_path: Path) -> None:
    for path in corpus_files(SEKOIA_O365)[:10]:
        case = orjson.loads(path.read_bytes())
        for item in _read_raw(tmp_path, path.stem, case["input"]["message"]):
            if isinstance(item, Event):
                assert isinstance(item.time, datetime)
                assert item.time.utcoffset() is not None
