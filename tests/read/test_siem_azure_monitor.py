"""Azure Monitor diagnostic-settings records: sign-ins, directory audit and other categories."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainwatch.events import AppConsent, EmailMessage, SignIn
from chainwatch.read import read_file, registered_readers
from chainwatch.read.siem_azure_monitor import AzureMonitorReader
from chainwatch.read.signin import SignInReader

from .conftest import (
    corpus_file,
    corpus_files,
    events_of,
    field_case,
    read_all,
    rejected_of,
    skipped_of,
    sniffs,
)

READER = AzureMonitorReader()
SEKOIA_AZURE_AD = "sekoia-intake-formats/Azure/azure-ad/tests"


def _envelope(category: str, properties: dict, **extra: object) -> dict:
    return {
        "time": "2024-05-14T09:11:47.1904455Z",
        "resourceId": "/tenants/00000000-0000-0000-0000-000000000000/providers/Microsoft.aadiam",
        "operationName": extra.pop("operationName", "Sign-in activity"),
        "category": category,
        "properties": properties,
        **extra,
    }


CONSENT = _envelope(
    "AuditLogs",
    {
        "id": "Directory_0d1e",
        "activityDateTime": "2024-05-14T09:20:00Z",
        "activityDisplayName": "Consent to application",
        "initiatedBy": {"user": {"userPrincipalName": "dana@example.com"}},
    },
    operationName="Consent to application",
)
APP_ROLE = _envelope(
    "AuditLogs",
    {"activityDisplayName": "Add app role assignment grant to user"},
    operationName="Add app role assignment grant to user",
)
ROLE_MEMBER = _envelope(
    "AuditLogs",
    {"activityDisplayName": "Add member to role"},
    operationName="Add member to role",
)
SERVICE_PRINCIPAL = _envelope(
    "ServicePrincipalSignInLogs",
    {"id": "sp-1", "createdDateTime": "2024-05-14T09:00:00Z", "servicePrincipalName": "app"},
)
MANAGED_IDENTITY = _envelope(
    "ManagedIdentitySignInLogs",
    {"id": "mi-1", "createdDateTime": "2024-05-14T09:00:00Z", "servicePrincipalName": "vm"},
)
USER_SIGN_IN = _envelope(
    "SignInLogs",
    {
        "id": "7d3e0000-0000-4000-8000-000000001910",
        "createdDateTime": "2024-05-14T09:10:02.0000000+00:00",
        "userPrincipalName": "Dana@example.com",
        "ipAddress": "203.0.113.50",
        "clientAppUsed": "Exchange ActiveSync",
        "status": {"errorCode": 0},
        "location": {"city": "Amsterdam", "countryOrRegion": "NL"},
    },
    resultType="0",
)
EMAIL_ROW = _envelope(
    "AdvancedHunting-EmailEvents",
    {
        "Timestamp": "2024-05-14T08:55:01Z",
        "NetworkMessageId": "6a1b0000-0000-4000-8000-000000000001",
        "InternetMessageId": "<inv-778@vendor.example.org>",
        "SenderFromAddress": "billing@vendor.example.org",
        "RecipientEmailAddress": "dana@example.com",
        "DeliveryAction": "Delivered",
    },
    operationName="Publish",
)


def _capture(tmp_path: Path, records: list[dict]) -> Path:
    path = tmp_path / "PT1H.json"
    path.write_bytes(orjson.dumps({"records": records}))
    return path


def test_audit_capture_goes_to_this_reader(tmp_path: Path) -> None:
    path = _capture(tmp_path, [CONSENT, APP_ROLE])
    name, _ = read_file(path, registered_readers())
    assert name == READER.name


def test_audit_activity_named(tmp_path: Path) -> None:
    items = read_all(READER, _capture(tmp_path, [ROLE_MEMBER]))
    assert [s.what for s in skipped_of(items)] == [
        "Entra directory audit activity 'Add member to role'",
    ]


def test_audit_consent_is_app_consent(tmp_path: Path) -> None:
    [consent] = events_of(read_all(READER, _capture(tmp_path, [CONSENT])))
    assert isinstance(consent, AppConsent)
    assert consent.event_id == "entra-audit:Directory_0d1e"
    assert consent.user == "dana@example.com"


def test_audit_consent_without_id_rejected(tmp_path: Path) -> None:
    [rejected] = rejected_of(read_all(READER, _capture(tmp_path, [APP_ROLE])))
    assert rejected.field == "id"


def test_workload_sign_ins_skipped_by_category(tmp_path: Path) -> None:
    items = read_all(READER, _capture(tmp_path, [SERVICE_PRINCIPAL, MANAGED_IDENTITY]))
    assert [s.what for s in skipped_of(items)] == [
        "Entra ServicePrincipalSignInLogs record",
        "Entra ManagedIdentitySignInLogs record",
    ]


def test_mixed_capture_all_categories(tmp_path: Path) -> None:
    records = [CONSENT, USER_SIGN_IN, EMAIL_ROW, MANAGED_IDENTITY]
    items = read_all(READER, _capture(tmp_path, records))
    assert rejected_of(items) == []
    sign_ins = [e for e in events_of(items) if isinstance(e, SignIn)]
    messages = [e for e in events_of(items) if isinstance(e, EmailMessage)]
    assert len(sign_ins) == 1
    assert len(messages) == 1
    assert len([e for e in events_of(items) if isinstance(e, AppConsent)]) == 1
    assert len(skipped_of(items)) == 1


def test_sign_in_from_envelope(tmp_path: Path) -> None:
    items = read_all(READER, _capture(tmp_path, [ROLE_MEMBER, USER_SIGN_IN]))
    sign_in = events_of(items)[0]
    assert isinstance(sign_in, SignIn)
    assert sign_in.time == datetime(2024, 5, 14, 9, 10, 2, tzinfo=UTC)
    assert sign_in.user == "dana@example.com"
    assert sign_in.location.country == "NL"
    assert sign_in.location.city == "Amsterdam"
    assert sign_in.success is True
    assert sign_in.client.protocol == "Exchange ActiveSync"


def test_sign_in_reader_names_audit_activity(tmp_path: Path) -> None:
    # A capture that starts with sign-ins goes to the sign-in reader, which must
    # describe the audit records mixed into it the same way.
    path = _capture(tmp_path, [USER_SIGN_IN, ROLE_MEMBER, CONSENT])
    items = read_all(SignInReader(), path)
    assert [s.what for s in skipped_of(items)] == [
        "Entra directory audit activity 'Add member to role'"
    ]
    assert [type(e).__name__ for e in events_of(items)] == ["SignIn", "AppConsent"]


def test_record_without_category_rejected(tmp_path: Path) -> None:
    record = {key: value for key, value in CONSENT.items() if key != "category"}
    rejected = rejected_of(read_all(READER, _capture(tmp_path, [record])))
    assert [r.field for r in rejected] == ["category"]


def test_fc19_shapes_carry_protocol() -> None:
    events = events_of(read_all(SignInReader(), field_case("FC-19.jsonl")))
    assert [e.client.protocol for e in events] == ["Browser", None, None]  # type: ignore[attr-defined]


def test_sniff_leaves_audit_log_records() -> None:
    for name in ("FC-09.jsonl", "FC-14.jsonl", "FC-15.jsonl"):
        assert not sniffs(READER, field_case(name)), name


def test_sekoia_azure_ad_none_rejected(tmp_path: Path) -> None:
    problems: list[str] = []
    for path in corpus_files(SEKOIA_AZURE_AD):
        case = orjson.loads(path.read_bytes())
        raw = tmp_path / f"{path.stem}.json"
        raw.write_text(case["input"]["message"])
        name, items = read_file(raw, registered_readers())
        items = list(items)
        if name is None or rejected_of(items):
            problems.append(f"{path.name}: {name} {items[:1]}")
    assert problems == []


def test_sekoia_app_role_is_app_consent(tmp_path: Path) -> None:
    case = orjson.loads(corpus_file(f"{SEKOIA_AZURE_AD}/app_role.json").read_bytes())
    raw = tmp_path / "app_role.json"
    raw.write_text(case["input"]["message"])
    [consent] = events_of(read_all(READER, raw))
    assert isinstance(consent, AppConsent)
    assert consent.app_name == "Apps_Test_SOC"
    assert consent.app_id == "77777777-7777-7777-7777-777777777777"
    assert consent.scopes == ("SMTP.SendAsApp",)
    assert consent.admin_consent is True
    assert consent.user == "jdoe-aad@example.onmicrosoft.com"
    assert consent.ip == "5.6.7.8"


def test_sekoia_protocols(tmp_path: Path) -> None:
    expected = {
        "sign-in_activity2.json": "Browser",
        "sign-in_activity6.json": "Mobile Apps and Desktop clients",
        "empty_geolocalisation.json": "Exchange Web Services",
    }
    found = {}
    for name in expected:
        case = orjson.loads(corpus_file(f"{SEKOIA_AZURE_AD}/{name}").read_bytes())
        raw = tmp_path / name
        raw.write_text(case["input"]["message"])
        event = events_of(read_all(SignInReader(), raw))[0]
        found[name] = event.client.protocol  # type: ignore[attr-defined]
    assert found == expected


def test_elastic_and_cribl_protocol(tmp_path: Path) -> None:
    elastic = corpus_file(
        "elastic-integrations/packages/azure/data_stream/signinlogs/_dev/test/pipeline/"
        "test-signinlogs-raw.log"
    )
    protocols = {e.client.protocol for e in events_of(read_all(SignInReader(), elastic))}  # type: ignore[attr-defined]
    assert protocols == {"Browser"}

    samples = orjson.loads(
        corpus_file("cribl-microsoft-graph-rest-io/data/samples/7cieEB.json").read_bytes()
    )
    path = tmp_path / "signins.jsonl"
    path.write_bytes(b"\n".join(s["_raw"].encode() for s in samples) + b"\n")
    events = events_of(read_all(SignInReader(), path))
    assert [e.client.protocol for e in events] == ["Browser", "Browser"]  # type: ignore[attr-defined]


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2048))
def test_reader_never_raises(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "random.json"
    path.write_bytes(data)
    list(READER.read(path))


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.dictionaries(
        st.sampled_from(["category", "properties", "operationName", "time", "resultType"]),
        st.one_of(
            st.none(),
            st.text(max_size=20),
            st.integers(min_value=-(2**63), max_value=2**63 - 1),
            st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
        ),
        max_size=5,
    )
)
def test_reader_never_raises_on_envelopes(tmp_path: Path, record: dict) -> None:
    path = tmp_path / "records.json"
    path.write_bytes(orjson.dumps({"records": [record, CONSENT]}))
    list(READER.read(path))
