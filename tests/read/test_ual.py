"""Unified Audit Log readers against the field cases and deliberately broken files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainwatch.events import FileAccess, MailboxRuleChange, SignIn
from chainwatch.read.ual import UalCsvReader, UalJsonReader

from .conftest import (
    events_of,
    field_case,
    notices_of,
    read_all,
    rejected_of,
    skipped_of,
    sniffs,
)

JSON = UalJsonReader()
CSV = UalCsvReader()


def _rule(items: list) -> MailboxRuleChange:
    events = events_of(items)
    assert len(events) == 1
    event = events[0]
    assert isinstance(event, MailboxRuleChange)
    return event


def _audit_line(**fields: object) -> bytes:
    record: dict[str, object] = {
        "CreationTime": "2024-05-14T09:00:00",
        "Id": "0a000000-0000-4000-8000-0000000000aa",
        "Operation": "New-InboxRule",
        "UserId": "dana@example.com",
        "ClientIP": "203.0.113.50",
    }
    record.update(fields)
    return orjson.dumps({k: v for k, v in record.items() if v is not None})


# FC-01: the same record as portal CSV and as API JSON gives the same event.


def test_fc01_csv_and_json_identical() -> None:
    from_csv = _rule(read_all(CSV, field_case("FC-01.csv")))
    from_json = _rule(read_all(JSON, field_case("FC-01.json")))
    assert from_csv.event_id == from_json.event_id
    for name in ("time", "operation", "actor", "mailbox", "ip", "parameters", "move_to_folder"):
        assert getattr(from_csv, name) == getattr(from_json, name), name


def test_fc01_values() -> None:
    event = _rule(read_all(JSON, field_case("FC-01.json")))
    assert event.event_id == "ual:4d2c6f0e-1a7b-4c3e-9f10-2b5d7e8a9c01"
    assert event.time == datetime(2024, 5, 14, 9, 12, 33, tzinfo=UTC)
    assert event.operation == "New-InboxRule"
    assert event.actor == "dana@example.com"
    assert event.ip == "203.0.113.45"
    assert event.rule_name == "."
    assert event.from_addresses == ("ap@vendor.example.org",)
    assert event.move_to_folder == "RSS Feeds"
    assert event.mark_as_read is True
    assert event.stop_processing is True
    assert dict(event.parameters) == {
        "Name": ".",
        "From": "ap@vendor.example.org",
        "MoveToFolder": "RSS Feeds",
        "MarkAsRead": "True",
        "StopProcessingRules": "True",
    }


def test_fc01_sniff_by_content() -> None:
    assert sniffs(CSV, field_case("FC-01.csv"))
    assert sniffs(JSON, field_case("FC-01.json"))
    assert not sniffs(JSON, field_case("FC-01.csv"))
    assert not sniffs(CSV, field_case("FC-01.json"))


# FC-02: cmdlet layout with a BOM and all fields quoted.


def test_fc02_cmdlet_layout_with_bom() -> None:
    path = field_case("FC-02.csv")
    assert sniffs(CSV, path)
    event = _rule(read_all(CSV, path))
    assert event.actor == "dana@example.com"
    assert event.operation == "New-InboxRule"
    assert event.time == datetime(2024, 5, 14, 10, 2, 11, tzinfo=UTC)
    assert event.move_to_folder == "Archive"
    assert event.keywords == ("invoice", "payment")


def test_cmdlet_layout_with_type_line(tmp_path: Path) -> None:
    body = field_case("FC-02.csv").read_bytes().removeprefix(b"\xef\xbb\xbf")
    path = tmp_path / "export.csv"
    path.write_bytes(
        b"#TYPE Deserialized.Microsoft.Exchange.Management.UnifiedAuditLogRecord\r\n" + body
    )
    assert sniffs(CSV, path)
    assert len(events_of(read_all(CSV, path))) == 1


def test_csv_columns_mapped_by_name(tmp_path: Path) -> None:
    rows = list(field_case("FC-01.csv").read_text().splitlines())
    import csv
    import io

    table = list(csv.reader(io.StringIO("\n".join(rows))))
    reordered = [[row[5], row[0], row[3], row[1], row[4], row[2]] for row in table]
    out = io.StringIO()
    csv.writer(out).writerows(reordered)
    path = tmp_path / "reordered.csv"
    path.write_text(out.getvalue())
    assert _rule(read_all(CSV, path)).event_id == "ual:4d2c6f0e-1a7b-4c3e-9f10-2b5d7e8a9c01"


def test_utf16_cmdlet_export(tmp_path: Path) -> None:
    text = field_case("FC-02.csv").read_bytes().decode("utf-8-sig")
    path = tmp_path / "utf16.csv"
    path.write_bytes(text.encode("utf-16"))
    assert sniffs(CSV, path)
    assert len(events_of(read_all(CSV, path))) == 1


# FC-03: AuditData cut off mid-JSON.


def test_fc03_truncated_rule_keeps_wrapper() -> None:
    items = read_all(CSV, field_case("FC-03.csv"))
    events = events_of(items)
    assert len(events) == 2
    truncated = events[1]
    assert isinstance(truncated, MailboxRuleChange)
    assert truncated.details_lost is True
    assert truncated.event_id == "ual:c3d4e5f6-0718-4293-a4b5-c6d7e8f90a1b"
    assert truncated.operation == "New-InboxRule"
    assert truncated.actor == "dana@example.com"
    assert truncated.time == datetime(2024, 5, 14, 11, 40, 9, tzinfo=UTC)
    assert truncated.origin.position == "row 2"


def test_fc03_complete_row_not_flagged() -> None:
    first = events_of(read_all(CSV, field_case("FC-03.csv")))[0]
    assert isinstance(first, MailboxRuleChange)
    assert first.details_lost is False


def test_fc03_notice_counts_truncated_rows() -> None:
    messages = [n.message for n in notices_of(read_all(CSV, field_case("FC-03.csv")))]
    assert any("1 of 2" in message for message in messages)


def test_truncated_non_rule_row_rejected(tmp_path: Path) -> None:
    path = tmp_path / "portal.csv"
    path.write_text(
        "RecordId,CreationDate,RecordType,Operation,UserId,AuditData\n"
        'id-1,2024-05-14T09:00:00Z,15,UserLoggedIn,dana@example.com,"{""CreationTime"":""2024"\n'
    )
    items = read_all(CSV, path)
    rejected = rejected_of(items)
    assert len(rejected) == 1
    assert rejected[0].field == "AuditData"
    assert rejected[0].origin.position == "row 1"
    assert events_of(items) == []


# FC-04: client IP shapes.


def test_fc04_client_ip_shapes() -> None:
    items = read_all(JSON, field_case("FC-04.jsonl"))
    assert rejected_of(items) == []
    by_id = {e.event_id[-3:]: e for e in events_of(items)}
    assert by_id["401"].ip == "198.51.100.23"
    assert by_id["401"].ip_raw == "198.51.100.23:40231"
    assert by_id["403"].ip == "2001:db8:4::17"
    assert by_id["406"].ip == "203.0.113.9"
    assert by_id["406"].ip_raw == "::ffff:203.0.113.9"


def test_fc04_empty_ip_record_kept(tmp_path: Path) -> None:
    path = tmp_path / "empty-ip.jsonl"
    path.write_bytes(_audit_line(ClientIP=""))
    event = _rule(read_all(JSON, path))
    assert event.ip is None


# FC-06: duplicates keep identical ids so the store can dedupe.


def test_fc06_duplicates_share_event_id() -> None:
    events = events_of(read_all(JSON, field_case("FC-06.jsonl")))
    ids = [e.event_id for e in events]
    assert len(ids) == 5
    assert len(set(ids)) == 3
    failed = {e.event_id for e in events if isinstance(e, SignIn) and not e.success}
    assert len(failed) == 2


def test_fc06_logon_error_code() -> None:
    event = events_of(read_all(JSON, field_case("FC-06.jsonl")))[0]
    assert isinstance(event, SignIn)
    assert event.error_code == 50126


# FC-07: capped export.


def test_fc07_incomplete_export_notice() -> None:
    [notice] = notices_of(read_all(CSV, field_case("FC-07.csv")))
    assert notice.message.startswith(
        "incomplete export: highest ResultIndex 50000 < ResultCount 83348"
    )
    assert "(records from 2024-05-02" in notice.message
    assert notice.start is not None
    assert notice.start.date().isoformat() == "2024-05-02"
    assert notice.end is not None
    assert notice.end >= notice.start


def test_complete_export_has_no_notice() -> None:
    notices = notices_of(read_all(CSV, field_case("FC-02.csv")))
    assert notices == []


# FC-09: user identifiers are kept, lower-cased, not resolved here.


def test_fc09_users_lower_cased() -> None:
    users = [e.user for e in events_of(read_all(JSON, field_case("FC-09.jsonl")))]
    assert users == [
        "dana@example.com",
        "3f2b8c1d-5e6a-4b7c-9d0e-1f2a3b4c5d6e",
        "dana@example.com",
        "dana@example.com",
    ]


# FC-10 and FC-11: time from CreationTime, zone-less means UTC.


def test_fc10_zoneless_creation_time_is_utc(non_utc_timezone: None, tmp_path: Path) -> None:
    audit = orjson.loads(field_case("FC-10.json").read_bytes())["audit"]
    path = tmp_path / "audit.json"
    path.write_bytes(orjson.dumps([audit]))
    event = _rule(read_all(JSON, path))
    assert event.time == datetime(2024, 3, 10, 1, 30, tzinfo=UTC)
    assert event.delete is True


def test_fc11_time_from_audit_data_not_wrapper() -> None:
    events = events_of(read_all(CSV, field_case("FC-11.csv")))
    assert [e.time for e in events] == [
        datetime(2024, 4, 3, 21, 15, 2, tzinfo=UTC),
        datetime(2024, 4, 12, 7, 5, 44, tzinfo=UTC),
    ]


def test_fc11_set_mailbox_forwarding() -> None:
    event = events_of(read_all(CSV, field_case("FC-11.csv")))[0]
    assert isinstance(event, MailboxRuleChange)
    assert event.operation == "Set-Mailbox"
    assert event.forward_to == ("drop@example.net",)
    assert event.mailbox == "dana@example.com"


# FC-14: MailItemsAccessed.


def test_fc14_mail_items_accessed() -> None:
    events = events_of(read_all(JSON, field_case("FC-14.jsonl")))
    assert all(isinstance(e, FileAccess) for e in events)
    bind, sync, throttled = events
    assert isinstance(bind, FileAccess)
    assert isinstance(sync, FileAccess)
    assert isinstance(throttled, FileAccess)
    assert bind.item_count == 2
    assert bind.ip == "203.0.113.50"
    assert bind.throttled is False
    assert sync.object_id == "\\Finance"
    assert throttled.throttled is True


# FC-15: rules made in Outlook.


def test_fc15_update_inbox_rules_decoded() -> None:
    events = events_of(read_all(JSON, field_case("FC-15.jsonl")))
    created, _ = events
    assert isinstance(created, MailboxRuleChange)
    assert created.rule_name == "."
    assert created.forward_to == ("drop@example.net",)
    assert created.delete is True
    assert created.keywords == ("invoice", "payment")
    assert created.details_lost is False


def test_fc15_empty_modify_marks_details_lost() -> None:
    modified = events_of(read_all(JSON, field_case("FC-15.jsonl")))[1]
    assert isinstance(modified, MailboxRuleChange)
    assert modified.details_lost is True
    assert ("RuleId", "1189000000000001") in modified.parameters


# FC-17: hiding destinations and match-all conditions.


def test_fc17_folder_prefix_stripped() -> None:
    first = events_of(read_all(JSON, field_case("FC-17.jsonl")))[0]
    assert isinstance(first, MailboxRuleChange)
    assert first.move_to_folder == "Calendar"
    assert first.mark_as_read is True
    assert first.keywords == ("invoice", "remittance", "bank")


def test_fc17_nul_word_is_match_all() -> None:
    second = events_of(read_all(JSON, field_case("FC-17.jsonl")))[1]
    assert isinstance(second, MailboxRuleChange)
    assert second.match_all is True
    assert second.move_to_folder == "Conversation History"
    assert second.keywords == ()


def test_fc17_cleanup_rule_parsed() -> None:
    third = events_of(read_all(JSON, field_case("FC-17.jsonl")))[2]
    assert isinstance(third, MailboxRuleChange)
    assert third.delete is True
    assert third.match_all is False
    assert third.from_addresses == ("news@shop.example.org",)


# FC-18: actor and mailbox differ for admin changes.


def test_fc18_admin_actor_and_target_mailbox() -> None:
    admin, own = events_of(read_all(JSON, field_case("FC-18.jsonl")))
    assert isinstance(admin, MailboxRuleChange)
    assert isinstance(own, MailboxRuleChange)
    assert admin.actor == "helpdesk-admin@example.com"
    assert admin.mailbox == "lee@example.com"
    assert admin.forward_to == ("team-lead@example.com",)
    assert own.actor == "dana@example.com"
    assert own.mailbox == "dana@example.com"
    assert own.forward_to == ("dana.private@example.net",)


def test_set_inbox_rule_mailbox_from_identity(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_bytes(
        _audit_line(
            Operation="Set-InboxRule",
            UserId="admin@example.com",
            Parameters=[
                {"Name": "Identity", "Value": "lee@example.com\\Leave cover"},
                {"Name": "RedirectTo", "Value": '"Lee" [SMTP:Lee.Private@Example.net]'},
                {"Name": "ForwardAsAttachmentTo", "Value": "a@example.org;b@example.org"},
            ],
        )
    )
    event = _rule(read_all(JSON, path))
    assert event.mailbox == "lee@example.com"
    assert event.rule_name == "Leave cover"
    assert event.redirect_to == ("lee.private@example.net",)
    assert event.forward_as_attachment_to == ("a@example.org", "b@example.org")


def test_remove_inbox_rule_marked_removed(tmp_path: Path) -> None:
    path = tmp_path / "remove.jsonl"
    path.write_bytes(
        _audit_line(
            Operation="Remove-InboxRule",
            Parameters=[{"Name": "Identity", "Value": "dana@example.com\\."}],
        )
    )
    event = _rule(read_all(JSON, path))
    assert event.removed is True
    assert event.rule_name == "."


def test_set_mailbox_without_copy_hides_mail(tmp_path: Path) -> None:
    path = tmp_path / "forward.jsonl"
    path.write_bytes(
        _audit_line(
            Operation="Set-Mailbox",
            Parameters=[
                {"Name": "Identity", "Value": "lee@example.com"},
                {"Name": "ForwardingSmtpAddress", "Value": "smtp:drop@example.net"},
                {"Name": "DeliverToMailboxAndForward", "Value": "False"},
            ],
        )
    )
    event = _rule(read_all(JSON, path))
    assert event.mailbox == "lee@example.com"
    assert event.forward_to == ("drop@example.net",)
    assert event.delete is True


def test_empty_subject_words_match_all(tmp_path: Path) -> None:
    path = tmp_path / "empty-words.jsonl"
    path.write_bytes(_audit_line(Parameters=[{"Name": "SubjectContainsWords", "Value": ""}]))
    assert _rule(read_all(JSON, path)).match_all is True


# Sign-ins, sends and other operations.


def test_user_login_failed_fields(tmp_path: Path) -> None:
    path = tmp_path / "login.jsonl"
    path.write_bytes(
        _audit_line(
            Operation="UserLoginFailed",
            ErrorNumber="50126",
            InterSystemsId="corr-1",
            ExtendedProperties=[{"Name": "UserAgent", "Value": "Mozilla/5.0 (X11)"}],
            DeviceProperties=[{"Name": "SessionId", "Value": "sess-1"}],
        )
    )
    event = events_of(read_all(JSON, path))[0]
    assert isinstance(event, SignIn)
    assert event.success is False
    assert event.error_code == 50126
    assert event.client.user_agent == "Mozilla/5.0 (X11)"
    assert event.session_id == "sess-1"
    assert event.correlation_id == "corr-1"


def test_send_becomes_mail_sent(tmp_path: Path) -> None:
    from chainwatch.events import MailSent

    path = tmp_path / "send.jsonl"
    path.write_bytes(
        _audit_line(
            Operation="Send",
            ClientIPAddress="203.0.113.50",
            ClientIP=None,
            Item={
                "InternetMessageId": "<ABC@Example.com>",
                "Subject": "Updated payment instructions",
                "Recipients": ["Contact1@partner.example.org"],
            },
        )
    )
    event = events_of(read_all(JSON, path))[0]
    assert isinstance(event, MailSent)
    assert event.message_id == "abc@example.com"
    assert event.recipients == ("contact1@partner.example.org",)
    assert event.from_ip == "203.0.113.50"


def test_unmodelled_operation_skipped(tmp_path: Path) -> None:
    path = tmp_path / "other.jsonl"
    path.write_bytes(_audit_line(Operation="FolderBind"))
    items = read_all(JSON, path)
    assert [s.what for s in skipped_of(items)] == ["UAL operation FolderBind"]


# Bad input.


def test_broken_json_line_rejected_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_bytes(_audit_line() + b"\n{not json\n" + _audit_line(Id="second") + b"\n")
    items = read_all(JSON, path)
    rejected = rejected_of(items)
    assert [r.origin.position for r in rejected] == ["line 2"]
    assert len(events_of(items)) == 2


def test_missing_creation_time_rejected(tmp_path: Path) -> None:
    path = tmp_path / "no-time.jsonl"
    path.write_bytes(_audit_line(CreationTime=None))
    rejected = rejected_of(read_all(JSON, path))
    assert len(rejected) == 1
    assert rejected[0].field == "CreationTime"
    assert rejected[0].record_id == "0a000000-0000-4000-8000-0000000000aa"


def test_invalid_creation_time_rejected(tmp_path: Path) -> None:
    path = tmp_path / "bad-time.jsonl"
    path.write_bytes(_audit_line(CreationTime="yesterday"))
    rejected = rejected_of(read_all(JSON, path))
    assert rejected[0].field == "CreationTime"
    assert "yesterday" in rejected[0].reason


def test_csv_unparseable_audit_data_rejected(tmp_path: Path) -> None:
    path = tmp_path / "garbage.csv"
    path.write_text(
        "RecordId,CreationDate,RecordType,Operation,UserId,AuditData\n"
        "id-1,2024-05-14T09:00:00Z,1,New-InboxRule,,not json at all\n"
    )
    rejected = rejected_of(read_all(CSV, path))
    assert len(rejected) == 1
    assert rejected[0].origin.position == "row 1"
    assert rejected[0].field == "AuditData"


def test_huge_line_rejected_not_loaded(tmp_path: Path) -> None:
    path = tmp_path / "huge.jsonl"
    huge = b'{"CreationTime": "' + b"x" * (17 * 1024 * 1024) + b'"}'
    path.write_bytes(_audit_line() + b"\n" + huge + b"\n" + _audit_line(Id="after") + b"\n")
    items = read_all(JSON, path)
    rejected = rejected_of(items)
    assert [r.origin.position for r in rejected] == ["line 2"]
    assert "16 MiB" in rejected[0].reason
    assert len(rejected[0].raw) <= 4096
    assert len(events_of(items)) == 2


def test_depth_bomb_rejected(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    bomb = b'{"CreationTime": "2024-05-14T09:00:00", "x": ' + b"[" * 70 + b"]" * 70 + b"}"
    path.write_bytes(bomb + b"\n" + _audit_line() + b"\n")
    items = read_all(JSON, path)
    rejected = rejected_of(items)
    assert len(rejected) == 1
    assert "64 levels" in rejected[0].reason
    assert len(events_of(items)) == 1


def test_depth_bomb_in_csv_audit_data_rejected(tmp_path: Path) -> None:
    path = tmp_path / "deep.csv"
    deep = "[" * 70 + "]" * 70
    path.write_text(
        "RecordId,CreationDate,RecordType,Operation,UserId,AuditData\n"
        f'id-1,2024-05-14T09:00:00Z,1,FolderBind,dana@example.com,"{deep}"\n'
    )
    rejected = rejected_of(read_all(CSV, path))
    assert rejected[0].field == "AuditData"
    assert "64 levels" in rejected[0].reason


def test_pretty_printed_broken_document_rejected_once(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('[\n  {"CreationTime": "2024-05-14T09:00:00",\n  "Id": \n')
    items = read_all(JSON, path)
    assert len(items) == 1
    assert len(rejected_of(items)) == 1


def test_json_array_of_non_objects_rejected(tmp_path: Path) -> None:
    path = tmp_path / "numbers.json"
    path.write_text("[\n1,\n2\n]")
    assert len(rejected_of(read_all(JSON, path))) == 2


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=2048))
def test_json_reader_never_raises(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "random.bin"
    path.write_bytes(data)
    list(JSON.read(path))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=2048))
def test_csv_reader_never_raises(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "random.csv"
    path.write_bytes(b"RecordId,CreationDate,Operation,UserId,AuditData\n" + data)
    list(CSV.read(path))


@pytest.mark.parametrize("prefix", [b"", b"\xef\xbb\xbf", b"\xff\xfe"])
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=1024))
def test_readers_never_raise_with_bom_prefixes(tmp_path: Path, prefix: bytes, data: bytes) -> None:
    path = tmp_path / "random.json"
    path.write_bytes(prefix + b"[" + data)
    list(JSON.read(path))
    list(CSV.read(path))
