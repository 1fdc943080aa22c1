"""Google Workspace reader on public samples: Sekoia, Sentinel, Elastic and Panther.

The samples are read in place from ``../shared/corpus`` and never copied, because
Sekoia and SecureHats publish them without a licence.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from chainwatch.events import AppConsent, Event, FileAccess, MailboxRuleChange, SignIn
from chainwatch.read.base import Rejected
from chainwatch.read.google import GoogleReportsReader
from chainwatch.read.google_activity import parse_activity
from chainwatch.read.ip import parse_ip
from chainwatch.read.timestamps import parse_timestamp
from chainwatch.read.ual_input import FieldError

from .conftest import (
    corpus_file,
    corpus_files,
    events_of,
    read_all,
    rejected_of,
    skipped_of,
    sniffs,
)

READER = GoogleReportsReader()
SEKOIA = "sekoia-intake-formats/Google Cloud/google-report/tests"
SENTINEL = "securehats-sentinel-playground/samples/GWorkspace"
ELASTIC_LOGIN = (
    "elastic-integrations/packages/google_workspace/data_stream/login/_dev/test/pipeline/"
    "test-login.log"
)

# Where Sekoia's expected output differs from chainwatch on purpose. For Meet events
# Sekoia takes the participant's address and identifier from the ``ip_address`` and
# ``identifier`` parameters. chainwatch reads only the activity's ``ipAddress`` and
# ``actor.email``, which are absent there, and skips Meet events anyway.
SEKOIA_DIFFERENCES = {
    ("test_end_call.json", "user"),
    ("test_end_call.json", "ip"),
    ("test_meet_sample1.json", "ip"),
}


def _sekoia_cases() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    cases = []
    for path in corpus_files(SEKOIA):
        document = orjson.loads(path.read_bytes())
        raw = orjson.loads(document["input"]["message"])
        cases.append((path.name, raw, document["expected"]))
    return cases


def _actions(expected: dict[str, Any]) -> list[str] | None:
    action = expected.get("event", {}).get("action")
    if action is None:
        return None
    return sorted(action) if isinstance(action, list) else [action]


def test_sekoia_activities_match_expected() -> None:
    mismatches: list[str] = []
    for name, raw, expected in _sekoia_cases():
        activity = parse_activity(raw)
        found = {
            "time": activity.time,
            "user": activity.actor_email,
            "ip": parse_ip(activity.ip_raw)[0],
            "action": sorted(event.name for event in activity.events),
        }
        wanted = {
            "time": parse_timestamp(expected["@timestamp"]),
            "user": (expected.get("user", {}).get("email") or "").lower() or None,
            "ip": expected.get("source", {}).get("ip"),
            "action": _actions(expected),
        }
        for key, value in wanted.items():
            if value is None or (name, key) in SEKOIA_DIFFERENCES:
                continue
            if found[key] != value:
                mismatches.append(f"{name}: {key} is {found[key]!r}, Sekoia has {value!r}")
    assert mismatches == []


def test_sekoia_documented_differences_still_differ() -> None:
    cases = {name: (raw, expected) for name, raw, expected in _sekoia_cases()}
    raw, expected = cases["test_meet_sample1.json"]
    assert parse_activity(raw).ip_raw is None
    assert expected["source"]["ip"] == "192.0.2.1"


def test_sekoia_files_read_without_rejections(tmp_path: Path) -> None:
    counts: Counter[str] = Counter()
    for name, raw, _ in _sekoia_cases():
        path = tmp_path / name
        path.write_bytes(orjson.dumps(raw))
        assert sniffs(READER, path), name
        items = read_all(READER, path)
        assert rejected_of(items) == [], name
        counts.update(type(item).__name__ for item in items)
    assert counts == Counter({"Skipped": 47, "FileAccess": 1, "AppConsent": 1})


def test_sekoia_drive_view_values(tmp_path: Path) -> None:
    cases = {name: (raw, expected) for name, raw, expected in _sekoia_cases()}
    raw, expected = cases["test_drive_view_document.json"]
    path = tmp_path / "view.json"
    path.write_bytes(orjson.dumps(raw))
    (event,) = events_of(read_all(READER, path))
    assert isinstance(event, FileAccess)
    assert event.time == parse_timestamp(expected["@timestamp"])
    assert event.user == expected["user"]["email"]
    assert event.ip == expected["source"]["ip"]
    assert event.operation == expected["event"]["action"]
    assert event.object_id == expected["file"]["name"]


def test_sekoia_token_grant_is_app_consent(tmp_path: Path) -> None:
    cases = {name: raw for name, raw, _ in _sekoia_cases()}
    path = tmp_path / "token.json"
    path.write_bytes(orjson.dumps(cases["test_token_sample1.json"]))
    (item,) = read_all(READER, path)
    assert isinstance(item, AppConsent)
    assert item.app_name == "Test Log Workspace"
    assert item.user == "john.doe@test.com"
    assert item.scopes == (
        "https://www.googleapis.com/auth/admin.reports.audit.readonly",
        "https://www.googleapis.com/auth/admin.reports.usage.readonly",
    )


def test_sekoia_wrappers_not_claimed() -> None:
    for path in corpus_files(SEKOIA):
        assert not sniffs(READER, path), path.name


# SecureHats Sentinel playground: arrays of activities with flattened columns beside them.


@pytest.mark.parametrize(
    ("name", "counts"),
    [
        ("GWorkspace_ReportsAPI_admin_CL.json", {"Skipped": 3}),
        ("GWorkspace_ReportsAPI_calendar_CL.json", {"Skipped": 3}),
        ("GWorkspace_ReportsAPI_drive_CL.json", {"Skipped": 10}),
        ("GWorkspace_ReportsAPI_login_CL.json", {"SignIn": 3}),
        ("GWorkspace_ReportsAPI_mobile_CL.json", {"Skipped": 3}),
        ("GWorkspace_ReportsAPI_token_CL.json", {"AppConsent": 1, "Skipped": 2}),
        ("GWorkspace_ReportsAPI_user_accounts_CL.json", {"Skipped": 2}),
    ],
)
def test_sentinel_sample_counts(name: str, counts: dict[str, int]) -> None:
    path = corpus_file(f"{SENTINEL}/{name}")
    assert sniffs(READER, path)
    items = read_all(READER, path)
    assert Counter(type(item).__name__ for item in items) == Counter(counts)


def test_sentinel_login_values() -> None:
    items = read_all(READER, corpus_file(f"{SENTINEL}/GWorkspace_ReportsAPI_login_CL.json"))
    success, verification, earlier = events_of(items)
    assert isinstance(verification, SignIn)
    assert success.user == "user7@company.com"
    assert success.ip == "52.52.52.52"
    assert success.client.protocol == "google_password"
    assert verification.success is True
    assert earlier.time == parse_timestamp("2020-11-09T22:46:21.209Z")


def test_sentinel_shared_qualifier_ids_differ() -> None:
    # Two activities share uniqueQualifier and time but hold different events.
    items = read_all(READER, corpus_file(f"{SENTINEL}/GWorkspace_ReportsAPI_login_CL.json"))
    ids = [event.event_id for event in events_of(items)]
    assert len(set(ids)) == 3


def test_sentinel_token_what() -> None:
    items = read_all(READER, corpus_file(f"{SENTINEL}/GWorkspace_ReportsAPI_token_CL.json"))
    whats = [item.what for item in skipped_of(items)]
    assert whats == ["Google token revoke", "Google token revoke"]
    [notion] = [item for item in items if isinstance(item, AppConsent)]
    assert notion.app_name == "Notion"
    assert (
        notion.app_id == "905154081809-858sm3f0qnalqd9d44d9gecjtrdji9tf.apps.googleusercontent.com"
    )
    assert "openid" in notion.scopes


# Elastic: JSON lines with ``events`` as one object.


def test_elastic_login_log() -> None:
    path = corpus_file(ELASTIC_LOGIN)
    assert sniffs(READER, path)
    items = read_all(READER, path)
    assert rejected_of(items) == []
    sign_ins = events_of(items)
    assert [e.client.protocol for e in sign_ins] == [
        "exchange",
        "exchange",
        "exchange",
        "exchange",
        "google_password",
        "google_password",
    ]
    assert [e.success for e in sign_ins] == [False, True, True, True, True, True]
    assert len(skipped_of(items)) == 11


def test_elastic_warnings_not_sign_ins() -> None:
    items = read_all(READER, corpus_file(ELASTIC_LOGIN))
    whats = {item.what for item in skipped_of(items)}
    assert "Google login suspicious_login" in whats
    assert "Google login account_disabled_hijacked" in whats
    assert "Google login gov_attack_warning" in whats
    assert "Google login risky_sensitive_action_allowed" in whats


def test_elastic_verification_user_and_ip() -> None:
    last = events_of(read_all(READER, corpus_file(ELASTIC_LOGIN)))[-1]
    assert last.user == "tl.zeous.daclitan@company.com"
    assert last.ip == "81.2.69.144"
    assert last.time == parse_timestamp("2025-02-27T05:59:58.481Z")


# Panther rule tests: ``Tests: [{Name, ExpectedResult, Log}]`` in YAML, one event per log.
# PyYAML is not a dependency, so _panther_logs reads only the Log blocks written in flow
# style (JSON with trailing commas); block-style logs are counted and left unread.

_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def _panther_logs(path: Path) -> tuple[list[tuple[str, Any]], int]:
    """Return ``(test name, log)`` for each flow-style Log, and the count of other logs."""
    lines = path.read_text(encoding="utf-8").splitlines()
    logs: list[tuple[str, Any]] = []
    block_style = 0
    test_name = ""
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if line.startswith("  - Name:"):
            test_name = line.split(":", 1)[1].strip()
        if line.strip() != "Log:":
            continue
        indent = len(line) - len(line.lstrip())
        block: list[str] = []
        while index < len(lines) and (
            not lines[index].strip() or len(lines[index]) - len(lines[index].lstrip()) > indent
        ):
            block.append(lines[index])
            index += 1
        text = "\n".join(block).strip()
        if text.startswith("{"):
            logs.append((test_name, orjson.loads(_TRAILING_COMMA.sub(r"\1", text))))
        else:
            block_style += 1
    return logs, block_style


def _panther_files() -> list[Path]:
    files = corpus_files("panther-analysis/rules/gsuite_activityevent_rules", "*.yml")
    return files + corpus_files("panther-analysis/rules/gsuite_reports_rules", "*.yml")


def _read_panther(tmp_path: Path) -> list[tuple[str, str, list[Any]]]:
    results = []
    for path in _panther_files():
        logs, _ = _panther_logs(path)
        for number, (test_name, log) in enumerate(logs):
            file = tmp_path / f"{path.stem}-{number}.json"
            file.write_bytes(orjson.dumps(log))
            results.append((path.name, test_name, read_all(READER, file)))
    return results


def test_panther_logs_never_raise(tmp_path: Path) -> None:
    results = _read_panther(tmp_path)
    kinds: Counter[str] = Counter()
    for _, _, items in results:
        kinds.update(type(item).__name__ for item in items)
    assert len(results) == 134
    assert sum(kinds.values()) >= len(results)
    assert kinds["FileAccess"] == 2
    assert kinds["MailboxRuleChange"] == 2


def test_panther_timed_logs_parse() -> None:
    # Some hand-written logs have no id.time, and a record without a time is unusable.
    # Every log that has one must parse.
    failures: list[str] = []
    for path in _panther_files():
        for test_name, log in _panther_logs(path)[0]:
            if "time" not in log.get("id", {}):
                continue
            try:
                parse_activity(log)
            except FieldError as exc:
                failures.append(f"{path.name} {test_name!r}: {exc}")
    assert failures == []


def test_panther_block_style_logs_counted() -> None:
    block_style = sum(_panther_logs(path)[1] for path in _panther_files())
    assert block_style == 22


def test_panther_default_routing_rule(tmp_path: Path) -> None:
    changes: list[Event] = []
    for name, _, items in _read_panther(tmp_path):
        if name == "gsuite_workspace_gmail_default_routing_rule.yml":
            changes.extend(e for e in events_of(items) if isinstance(e, MailboxRuleChange))
    assert [c.operation for c in changes] == ["CREATE_GMAIL_SETTING", "DELETE_GMAIL_SETTING"]
    assert [c.removed for c in changes] == [False, True]
    assert all(c.actor == "user@example.io" for c in changes)


def test_panther_forwarding_logs_rejected_for_time(tmp_path: Path) -> None:
    # These forwarding logs carry no id.time, so they cannot become events.
    for name, test_name, items in _read_panther(tmp_path):
        if name != "gsuite_external_forwarding.yml" or "External Address" not in test_name:
            continue
        (item,) = items
        assert isinstance(item, Rejected), test_name
        assert item.field == "id.time", test_name
