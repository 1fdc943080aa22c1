"""Log Analytics / Sentinel table exports: SigninLogs, OfficeActivity, AuditLogs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainwatch.events import AppConsent, FileAccess, MailboxRuleChange, SignIn
from chainwatch.read import read_file, registered_readers
from chainwatch.read.message_trace import MessageTraceReader
from chainwatch.read.siem_log_analytics import LogAnalyticsReader
from chainwatch.read.signin import SignInReader
from chainwatch.read.ual import UalCsvReader, UalJsonReader

from .conftest import (
    corpus_file,
    events_of,
    field_case,
    read_all,
    rejected_of,
    skipped_of,
    sniffs,
)

READER = LogAnalyticsReader()
OTRF = "otrf-security-datasets/extracted"

# A portal "Export to CSV (all columns)" of SigninLogs, trimmed to the columns read.
SIGNIN_CSV = """\
TenantId,SourceSystem,TimeGenerated [UTC],ResourceId,OperationName,Category,ResultType,\
Id,CreatedDateTime [UTC],UserPrincipalName,AppDisplayName,ClientAppUsed,IPAddress,\
IsInteractive,LocationDetails,Status,Type
00000000-0000-0000-0000-000000000000,Azure AD,"5/14/2024, 9:12:30.441 AM",\
/tenants/x/providers/Microsoft.aadiam,Sign-in activity,SignInLogs,0,\
7d3e0000-0000-4000-8000-000000001901,"5/14/2024, 9:10:02.000 AM",Dana@example.com,\
Office 365 Exchange Online,Browser,203.0.113.50,true,\
"{""city"":""Amsterdam"",""state"":""Noord-Holland"",""countryOrRegion"":""NL""}",\
"{""errorCode"":0}",SigninLogs
00000000-0000-0000-0000-000000000000,Azure AD,"5/14/2024, 11:40:10.000 PM",\
/tenants/x/providers/Microsoft.aadiam,Sign-in activity,NonInteractiveUserSignInLogs,50126,\
7d3e0000-0000-4000-8000-000000001902,"5/14/2024, 11:39:58.120 PM",dana@example.com,\
Office 365 Exchange Online,IMAP4,198.51.100.9,false,"{}",\
"{""errorCode"":50126,""failureReason"":""Invalid username or password.""}",\
AADNonInteractiveUserSignInLogs
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _sign_ins(path: Path) -> list[SignIn]:
    return [item for item in read_all(READER, path) if isinstance(item, SignIn)]


# SigninLogs


def test_signin_csv_sniffed_and_read(tmp_path: Path) -> None:
    path = _write(tmp_path, "SigninLogs.csv", SIGNIN_CSV)
    name, items = read_file(path, registered_readers())
    items = list(items)
    assert name == READER.name
    assert rejected_of(items) == []
    assert len(events_of(items)) == 2


def test_signin_csv_time_from_created(tmp_path: Path) -> None:
    first, second = _sign_ins(_write(tmp_path, "s.csv", SIGNIN_CSV))
    assert first.time == datetime(2024, 5, 14, 9, 10, 2, tzinfo=UTC)
    assert second.time == datetime(2024, 5, 14, 23, 39, 58, 120000, tzinfo=UTC)


def test_signin_csv_fields(tmp_path: Path) -> None:
    first, second = _sign_ins(_write(tmp_path, "s.csv", SIGNIN_CSV))
    assert first.event_id == "signin:7d3e0000-0000-4000-8000-000000001901"
    assert first.user == "dana@example.com"
    assert first.ip == "203.0.113.50"
    assert first.location.country == "NL"
    assert first.location.city == "Amsterdam"
    assert first.success is True
    assert first.interactive is True
    assert first.client.protocol == "Browser"
    assert second.success is False
    assert second.error_code == 50126
    assert second.interactive is False
    assert second.client.protocol == "IMAP4"


def test_signin_csv_dedupes_with_graph_json() -> None:
    # FC-19 contains the same sign-in as Graph JSON; its id must equal the CSV row's.
    graph = [
        e for e in read_all(SignInReader(), field_case("FC-19.jsonl")) if isinstance(e, SignIn)
    ]
    assert graph[0].event_id == "signin:7d3e0000-0000-4000-8000-000000001901"
    assert graph[0].client.protocol == "Browser"


def test_local_time_export_rejected(tmp_path: Path) -> None:
    text = SIGNIN_CSV.replace("TimeGenerated [UTC]", "TimeGenerated [Local Time]")
    items = read_all(READER, _write(tmp_path, "s.csv", text))
    assert len(items) == 1
    assert items[0].field == "TimeGenerated [Local Time]"
    assert "UTC" in items[0].reason


def test_day_first_date_rejected(tmp_path: Path) -> None:
    text = SIGNIN_CSV.replace('"5/14/2024, 9:10:02.000 AM"', '"14/05/2024, 09:10:02.000"')
    items = read_all(READER, _write(tmp_path, "s.csv", text))
    rejected = rejected_of(items)
    assert [r.field for r in rejected] == ["CreatedDateTime"]
    assert rejected[0].record_id == "7d3e0000-0000-4000-8000-000000001901"
    assert len(events_of(items)) == 1


def test_signin_json_lines_with_type(tmp_path: Path) -> None:
    row = {
        "TimeGenerated": "2024-05-14T09:12:30.441Z",
        "Id": "7d3e0000-0000-4000-8000-000000001903",
        "CreatedDateTime": "2024-05-14T09:10:02Z",
        "UserPrincipalName": "dana@example.com",
        "IPAddress": "203.0.113.50",
        "ClientAppUsed": "Authenticated SMTP",
        "ResultType": "0",
        "Type": "AADNonInteractiveUserSignInLogs",
    }
    path = tmp_path / "rows.jsonl"
    path.write_bytes(orjson.dumps(row) + b"\n")
    name, items = read_file(path, registered_readers())
    sign_in = events_of(list(items))[0]
    assert name == SignInReader.name  # JSON sign-in rows of every shape go there
    assert isinstance(sign_in, SignIn)
    assert sign_in.interactive is False
    assert sign_in.client.protocol == "Authenticated SMTP"
    assert sign_in.time == datetime(2024, 5, 14, 9, 10, 2, tzinfo=UTC)


# OfficeActivity


def test_otrf_office_activity_mail_items() -> None:
    path = corpus_file(f"{OTRF}/OfficeActivityEvents.json")
    name, items = read_file(path, registered_readers())
    access = events_of(list(items))
    assert name == READER.name
    assert len(access) == 1
    event = access[0]
    assert isinstance(event, FileAccess)
    assert event.event_id == "ual:699e0b10-1c53-403e-976f-ce0847a92b44"
    assert event.time == datetime(2021, 8, 2, 13, 32, 7, tzinfo=UTC)
    assert event.user == "pgustavo@simulandlabs.com"
    assert event.ip == "1.2.3.4"
    assert event.operation == "MailItemsAccessed"
    assert event.access_type == "Bind"
    assert event.object_id == "\\Inbox"
    assert event.item_count == 7
    assert len(event.message_ids) == 6  # one Message-ID is listed twice
    # ClientAppId names the reading app; AppId is Microsoft Graph, the API it called.
    assert event.app_id == "5a95e683-08ad-424e-a441-1d1aec52c02c"
    assert "ab1cd23ef4567dac24353b8ad047ddeb0b1eb9@ab1cd23ef4567.abcdef12.prod.outlook.com" in (
        event.message_ids
    )


def test_office_activity_equals_ual_record(tmp_path: Path) -> None:
    """The same record read as UAL JSON and as an OfficeActivity row gives one event."""
    row = orjson.loads(corpus_file(f"{OTRF}/OfficeActivityEvents.json").read_bytes())
    audit = {
        "CreationTime": "2021-08-02T13:32:07",
        "Id": row["OfficeId"],
        "Operation": row["Operation"],
        "RecordType": 50,
        "UserId": row["UserId"],
        "Workload": row["OfficeWorkload"],
        "ClientIPAddress": row["Client_IPAddress"],
        "ClientInfoString": row["ClientInfoString"],
        "MailboxOwnerUPN": row["MailboxOwnerUPN"],
        "OperationProperties": orjson.loads(row["OperationProperties"]),
        "Folders": orjson.loads(row["Folders"]),
        "AppId": row["AppId"],
        "ClientAppId": row["ClientAppId"],
    }
    ual_path = tmp_path / "ual.json"
    ual_path.write_bytes(orjson.dumps([audit]))
    from_ual = events_of(read_all(UalJsonReader(), ual_path))[0]
    from_sentinel = events_of(read_all(READER, corpus_file(f"{OTRF}/OfficeActivityEvents.json")))[0]
    assert from_sentinel.event_id == from_ual.event_id
    assert from_sentinel.time == from_ual.time
    assert from_sentinel.user == from_ual.user  # type: ignore[attr-defined]
    assert from_sentinel.ip == from_ual.ip  # type: ignore[attr-defined]
    assert from_sentinel.message_ids == from_ual.message_ids  # type: ignore[attr-defined]
    assert from_sentinel.access_type == from_ual.access_type  # type: ignore[attr-defined]
    assert from_sentinel.app_id == from_ual.app_id  # type: ignore[attr-defined]


OFFICE_ACTIVITY_CSV = """\
TenantId,TimeGenerated [UTC],Operation,UserId,ClientIP,OfficeWorkload,RecordType,OfficeId,\
Parameters,OriginatingServer,ResultStatus,Type
00000000-0000-0000-0000-000000000000,"5/14/2024, 9:12:33.000 AM",New-InboxRule,\
dana@example.com,203.0.113.50:51234,Exchange,ExchangeAdmin,\
4d2c6f0e-1a7b-4c3e-9f10-2b5d7e8a9c01,"[{""Name"":""Name"",""Value"":""..""},\
{""Name"":""From"",""Value"":""billing@vendor.example.org""},\
{""Name"":""MoveToFolder"",""Value"":""RSS Feeds""},\
{""Name"":""MarkAsRead"",""Value"":""True""}]","AM0PR01MB1234 (15.20.7544.000)\r\n",True,\
OfficeActivity
00000000-0000-0000-0000-000000000000,"5/14/2024, 9:13:00.000 AM",New-InboxRule,\
dana@example.com,203.0.113.50,Exchange,ExchangeAdmin,4d2c6f0e-1a7b-4c3e-9f10-2b5d7e8a9c02,\
"[{""Name"":""Name"",""Value"":1",AM0PR01MB1234,True,OfficeActivity
00000000-0000-0000-0000-000000000000,"5/14/2024, 9:14:00.000 AM",FolderBind,\
dana@example.com,203.0.113.50,Exchange,ExchangeItemAggregated,\
4d2c6f0e-1a7b-4c3e-9f10-2b5d7e8a9c03,,,True,OfficeActivity
"""


def test_office_activity_csv_rule(tmp_path: Path) -> None:
    path = _write(tmp_path, "OfficeActivity.csv", OFFICE_ACTIVITY_CSV)
    name, items = read_file(path, registered_readers())
    items = list(items)
    assert name == READER.name
    rules = [item for item in items if isinstance(item, MailboxRuleChange)]
    assert len(rules) == 1
    rule = rules[0]
    assert rule.event_id == "ual:4d2c6f0e-1a7b-4c3e-9f10-2b5d7e8a9c01"
    assert rule.time == datetime(2024, 5, 14, 9, 12, 33, tzinfo=UTC)
    assert rule.ip == "203.0.113.50"
    assert rule.move_to_folder == "RSS Feeds"
    assert rule.mark_as_read is True
    assert rule.from_addresses == ("billing@vendor.example.org",)


def test_office_activity_bad_json_rejected(tmp_path: Path) -> None:
    items = read_all(READER, _write(tmp_path, "o.csv", OFFICE_ACTIVITY_CSV))
    rejected = rejected_of(items)
    assert len(rejected) == 1
    assert rejected[0].field == "Parameters"
    assert rejected[0].record_id == "4d2c6f0e-1a7b-4c3e-9f10-2b5d7e8a9c02"
    assert rejected[0].origin.position == "row 2"


def test_office_activity_unmodelled_skipped(tmp_path: Path) -> None:
    items = read_all(READER, _write(tmp_path, "o.csv", OFFICE_ACTIVITY_CSV))
    assert [s.what for s in skipped_of(items)] == ["UAL operation FolderBind"]


# MailItemsAccessed from the Unified Audit Log itself


def test_ual_mail_items_access_type_and_ids() -> None:
    events = events_of(read_all(UalJsonReader(), field_case("FC-14.jsonl")))
    access = [e for e in events if isinstance(e, FileAccess)]
    assert [a.access_type for a in access[:3]] == ["Bind", "Sync", "Bind"]
    assert access[0].message_ids == ("inv-2024-0513@vendor.example.org", "payroll-may@example.com")
    assert access[1].message_ids == ()
    assert access[2].throttled is True


# AuditLogs and other tables


def test_otrf_audit_logs_skipped_by_activity() -> None:
    path = corpus_file(f"{OTRF}/AADAuditEvents.json")
    name, items = read_file(path, registered_readers())
    items = list(items)
    assert name == READER.name
    assert [item.what for item in skipped_of(items)] == [
        "Entra directory audit activity 'Update application – Certificates and secrets management'",
        "Entra directory audit activity 'Update application – Certificates and secrets management'",
        "Entra directory audit activity 'Update application'",
    ]


def test_otrf_delegated_grant_is_app_consent() -> None:
    items = read_all(READER, corpus_file(f"{OTRF}/AADAuditEvents.json"))
    [grant] = events_of(items)
    assert isinstance(grant, AppConsent)
    assert grant.user == "pgustavo@simulandlabs.com"
    assert grant.scopes == ("User.Read", "Mail.ReadWrite")
    assert grant.admin_consent is True  # ConsentType AllPrincipals
    assert grant.app_id == "0d2f5969-011b-460d-ac74-3291d227d49f"
    assert (
        grant.event_id
        == "entra-audit:Directory_630d7f0c-acc4-4596-85ab-7e5d839b4291_9VRQI_37762000"
    )


def test_unknown_table_skipped_by_name(tmp_path: Path) -> None:
    row = {"TimeGenerated": "2024-05-14T09:00:00Z", "Type": "SecurityEvent", "EventID": 4624}
    path = tmp_path / "rows.json"
    path.write_bytes(orjson.dumps([row]))
    assert [s.what for s in skipped_of(read_all(READER, path))] == [
        "Log Analytics table SecurityEvent"
    ]


def test_sniff_leaves_other_exports() -> None:
    for name in ("FC-01.csv", "FC-02.csv", "FC-07.csv", "FC-11.csv", "FC-37.csv", "FC-14.jsonl"):
        assert not sniffs(READER, field_case(name)), name


def test_other_readers_leave_sentinel_csv(tmp_path: Path) -> None:
    for text in (SIGNIN_CSV, OFFICE_ACTIVITY_CSV):
        path = _write(tmp_path, "export.csv", text)
        assert not sniffs(UalCsvReader(), path)
        assert not sniffs(MessageTraceReader(), path)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2048))
def test_reader_never_raises(tmp_path: Path, data: bytes) -> None:
    for name in ("random.json", "random.csv"):
        path = tmp_path / name
        path.write_bytes(data)
        list(READER.read(path))


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=400))
def test_reader_never_raises_on_rows(tmp_path: Path, body: str) -> None:
    for header in (SIGNIN_CSV.splitlines()[0], OFFICE_ACTIVITY_CSV.splitlines()[0]):
        path = tmp_path / "rows.csv"
        path.write_text(header + "\n" + body, encoding="utf-8")
        list(READER.read(path))
