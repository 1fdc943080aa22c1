"""Entra sign-in reader: the three export shapes, field cases and peer golden files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainwatch.events import SignIn
from chainwatch.read.base import Skipped
from chainwatch.read.signin import SignInReader
from chainwatch.read.timestamps import parse_timestamp
from chainwatch.read.ual import UalJsonReader

from .conftest import (
    corpus_file,
    corpus_files,
    events_of,
    field_case,
    read_all,
    rejected_of,
    sniffs,
)

READER = SignInReader()


def _sign_ins(path: Path) -> list[SignIn]:
    events = events_of(read_all(READER, path))
    assert all(isinstance(e, SignIn) for e in events)
    return events  # type: ignore[return-value]


# FC-19: Graph, diagnostic settings and Log Analytics give one record.


def test_fc19_three_shapes_same_record() -> None:
    graph, diagnostic, log_analytics = _sign_ins(field_case("FC-19.jsonl"))
    for event in (graph, diagnostic, log_analytics):
        assert event.event_id == "signin:7d3e0000-0000-4000-8000-000000001901"
        assert event.time == datetime(2024, 5, 14, 9, 10, 2, tzinfo=UTC)
        assert event.user == "dana@example.com"
        assert event.ip == "203.0.113.50"
        assert event.location.country == "NL"
        assert event.location.city == "Amsterdam"
        assert event.interactive is True
        assert event.error_code == 0
        assert event.success is True


def test_fc19_diagnostic_time_is_not_processing_time() -> None:
    diagnostic = _sign_ins(field_case("FC-19.jsonl"))[1]
    assert diagnostic.time != datetime(2024, 5, 14, 9, 11, 47, 190445, tzinfo=UTC)


def test_fc19_sniffed_as_sign_ins_not_audit() -> None:
    path = field_case("FC-19.jsonl")
    assert sniffs(READER, path)
    assert not sniffs(UalJsonReader(), path)


# FC-21: error codes and the interactive flag.


def test_fc21_error_codes_and_interactive() -> None:
    events = _sign_ins(field_case("FC-21.jsonl"))
    assert len(events) == 15
    refresh = [e for e in events if e.error_code in (70043, 70044)]
    password = [e for e in events if e.error_code == 50126]
    assert len(refresh) == 12
    assert all(not e.interactive for e in refresh)
    assert all(not e.success for e in refresh)
    assert len(password) == 3
    assert all(e.interactive for e in password)
    assert {e.ip for e in password} == {"203.0.113.66"}


def test_fc10_sign_in_wrapper(tmp_path: Path) -> None:
    sign_in = orjson.loads(field_case("FC-10.json").read_bytes())["signin"]
    path = tmp_path / "signin.json"
    path.write_bytes(orjson.dumps(sign_in))
    (event,) = _sign_ins(path)
    assert event.time == datetime(2024, 3, 10, 1, 25, tzinfo=UTC)
    assert event.location.country == "NL"


# Envelopes and shapes built here.


def test_graph_page_with_odata_keys(tmp_path: Path) -> None:
    page = {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns",
        "@odata.nextLink": "https://graph.microsoft.com/v1.0/auditLogs/signIns?$skiptoken=x",
        "value": [
            {
                "id": "a1",
                "createdDateTime": "2024-05-14T09:00:00Z",
                "userPrincipalName": "Lee@Example.com",
                "ipAddress": "2001:db8::5",
                "isInteractive": False,
                "clientAppUsed": "IMAP4",
                "userAgent": "Thunderbird",
                "status": {"errorCode": 50126},
                "autonomousSystemNumber": 64500,
                "location": {"countryOrRegion": "de", "city": "Berlin"},
            },
            {
                "id": "a2",
                "createdDateTime": "2024-05-14T09:01:00Z",
                "userPrincipalName": "lee@example.com",
                "ipAddress": "198.51.100.4",
                "isInteractive": True,
                "status": {"errorCode": 0},
            },
        ],
    }

    path = tmp_path / "page.json"
    path.write_bytes(orjson.dumps(page, option=orjson.OPT_INDENT_2))
    assert sniffs(READER, path)

    first, second = _sign_ins(path)
    assert first.user == "lee@example.com"
    assert first.success is False
    assert first.interactive is False
    assert first.location.asn == 64500
    assert first.location.country == "DE"
    assert first.location.source == "record"
    assert first.client.user_agent == "Thunderbird"
    assert second.event_id == "signin:a2"


def test_log_analytics_status_as_text(tmp_path: Path) -> None:
    record = {
        "TimeGenerated": "2024-05-14T09:12:30Z",
        "Type": "SigninLogs",
        "Id": "la-1",
        "CreatedDateTime": "2024-05-14T09:10:02Z",
        "UserPrincipalName": "dana@example.com",
        "IPAddress": "203.0.113.50",
        "IsInteractive": "false",
        "Status": '{"errorCode":50126,"failureReason":"Invalid username or password."}',
        "AutonomousSystemNumber": 64501,
        "SessionId": "s-1",
    }
    path = tmp_path / "la.json"
    path.write_bytes(orjson.dumps([record]))
    (event,) = _sign_ins(path)
    assert event.error_code == 50126
    assert event.interactive is False
    assert event.location.asn == 64501
    assert event.session_id == "s-1"


def test_non_sign_in_category_skipped(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_bytes(
        orjson.dumps({"category": "AuditLogs", "time": "2024-05-14T09:00:00Z", "properties": {}})
    )
    items = read_all(READER, path)
    assert isinstance(items[0], Skipped)


def test_missing_created_time_rejected(tmp_path: Path) -> None:
    path = tmp_path / "no-time.jsonl"
    path.write_bytes(orjson.dumps({"id": "x", "userPrincipalName": "a@example.com"}))
    rejected = rejected_of(read_all(READER, path))
    assert rejected[0].field == "createdDateTime"
    assert rejected[0].record_id == "x"


def test_broken_line_rejected(tmp_path: Path) -> None:
    good = orjson.dumps(
        {"id": "y", "createdDateTime": "2024-05-14T09:00:00Z", "userPrincipalName": "a@example.com"}
    )
    path = tmp_path / "broken.jsonl"
    path.write_bytes(good + b"\n{oops\n" + good + b"\n")
    items = read_all(READER, path)
    assert [r.origin.position for r in rejected_of(items)] == ["line 2"]
    assert len(events_of(items)) == 2


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=2048))
def test_reader_never_raises(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "random.json"
    path.write_bytes(data)
    list(READER.read(path))


# Peer golden files.

SEKOIA_AZURE_AD = "sekoia-intake-formats/Azure/azure-ad/tests"
SEKOIA_GRAPH = "sekoia-intake-formats/Microsoft/microsoft-entraid-graphapi/tests"


# Sekoia takes the event time from the diagnostic envelope's ``time``, which is when
# Azure processed the record (here 2.5 minutes later). chainwatch uses
# ``properties.createdDateTime``, the sign-in itself, so the peer is wrong on these.
PEER_USES_PROCESSING_TIME = {"sign-in_activity6.json"}


def _compare(name: str, event: SignIn, expected: dict) -> list[str]:
    problems = []
    want_time = parse_timestamp(expected["@timestamp"])
    if name in PEER_USES_PROCESSING_TIME:
        assert event.time < want_time, name
    elif event.time != want_time:
        problems.append(f"{name}: time {event.time.isoformat()} != {want_time.isoformat()}")
    want_user = (expected.get("user") or {}).get("email")
    if want_user is not None and event.user != want_user.lower():
        problems.append(f"{name}: user {event.user!r} != {want_user!r}")
    want_ip = (expected.get("source") or {}).get("ip")
    if event.ip != want_ip:
        problems.append(f"{name}: ip {event.ip!r} != {want_ip!r}")
    want_outcome = (expected.get("event") or {}).get("outcome")
    outcome = "success" if event.success else "failure"
    if want_outcome is not None and outcome != want_outcome:
        problems.append(f"{name}: outcome {outcome} != {want_outcome}")
    return problems


def test_sekoia_sign_ins_read_and_match(tmp_path: Path) -> None:
    files = corpus_files(SEKOIA_AZURE_AD) + [
        p for p in corpus_files(SEKOIA_GRAPH) if p.name == "test_signin.json"
    ]
    mismatches: list[str] = []
    compared = 0
    for path in files:
        case = orjson.loads(path.read_bytes())
        raw = tmp_path / f"{path.stem}.json"
        raw.write_text(case["input"]["message"])
        items = read_all(READER, raw)
        assert len(items) == 1, path.name
        assert not rejected_of(items), f"{path.name}: {items[0]}"
        item = items[0]
        # Service principal sign-ins, audit logs and risk events are skipped on purpose.
        if isinstance(item, SignIn):
            compared += 1
            mismatches.extend(_compare(path.name, item, case["expected"]))
    assert compared >= 4
    assert mismatches == []


def test_cribl_graph_sign_ins_read(tmp_path: Path) -> None:
    samples = orjson.loads(
        corpus_file("cribl-microsoft-graph-rest-io/data/samples/7cieEB.json").read_bytes()
    )
    path = tmp_path / "signins.jsonl"
    path.write_bytes(b"\n".join(s["_raw"].encode() for s in samples) + b"\n")
    assert sniffs(READER, path)
    events = _sign_ins(path)
    assert len(events) == len(samples)
    assert events[0].time == datetime(2025, 8, 15, 15, 20, 26, tzinfo=UTC)
    assert events[0].location.country == "US"


def test_elastic_sign_in_log_reads() -> None:
    path = corpus_file(
        "elastic-integrations/packages/azure/data_stream/signinlogs/_dev/test/pipeline/"
        "test-signinlogs-raw.log"
    )
    items = read_all(READER, path)
    assert rejected_of(items) == []
    first = _sign_ins(path)[0]
    # createdDateTime carries -05:00; the envelope time is not used.
    assert first.time == datetime(2019, 10, 18, 9, 45, 48, 72989, tzinfo=UTC)
    assert first.error_code == 50140
