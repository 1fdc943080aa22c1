"""Google Workspace reader: export shapes, typed parameters, event mapping, bad input."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainwatch.events import AppConsent, FileAccess, MailboxRuleChange, SignIn
from chainwatch.read import read_file, registered_readers
from chainwatch.read.google import GoogleReportsReader
from chainwatch.read.google_activity import flatten_parameters, parse_activity
from chainwatch.read.ual_input import FieldError

from .conftest import (
    events_of,
    field_case,
    notices_of,
    read_all,
    rejected_of,
    skipped_of,
    sniffs,
)

READER = GoogleReportsReader()
FIXTURE_CHECK = [HealthCheck.function_scoped_fixture]
LOGIN_EVENT_ID = "google:login:-4127530901123456789:2024-05-14T09:10:02.481000Z:0:login_success"


def _activity(
    application: str,
    name: str,
    parameters: list[dict[str, Any]] | None = None,
    *,
    qualifier: str = "1001",
    email: str | None = "erin@example.com",
    ip: str | None = "198.51.100.7",
    time: str = "2024-05-14T10:00:00.000Z",
) -> dict[str, Any]:
    activity: dict[str, Any] = {
        "kind": "admin#reports#activity",
        "id": {"time": time, "uniqueQualifier": qualifier, "applicationName": application},
        "actor": {"email": email} if email is not None else {"callerType": "KEY"},
        "events": [{"type": "t", "name": name, "parameters": parameters or []}],
    }
    if ip is not None:
        activity["ipAddress"] = ip
    return activity


def _write(tmp_path: Path, value: Any, name: str = "export.json") -> Path:
    path = tmp_path / name
    path.write_bytes(orjson.dumps(value))
    return path


def _write_lines(tmp_path: Path, values: list[Any], name: str = "export.jsonl") -> Path:
    path = tmp_path / name
    path.write_bytes(b"\n".join(orjson.dumps(v) for v in values) + b"\n")
    return path


def _read_one(tmp_path: Path, activity: dict[str, Any]) -> Any:
    items = read_all(READER, _write(tmp_path, [activity]))
    assert len(items) == 1, items
    return items[0]


# An empty page, then a login and a forwarding change; the same login from Cloud Logging.


def test_empty_page_gives_nothing() -> None:
    items = read_all(READER, field_case("FC-25.json"))
    assert rejected_of(items) == []
    assert skipped_of(items) == []
    assert len(events_of(items)) == 2


def test_reports_login_values() -> None:
    login = events_of(read_all(READER, field_case("FC-25.json")))[0]
    assert isinstance(login, SignIn)
    assert login.time == datetime(2024, 5, 14, 9, 10, 2, 481000, tzinfo=UTC)
    assert login.user == "dana@example.com"
    assert login.ip == "2001:db8:4::17"
    assert login.success is True
    assert login.client.protocol == "google_password"
    assert login.event_id == LOGIN_EVENT_ID
    assert login.origin.position == "record 2, item 1"


def test_cloud_logging_same_login() -> None:
    reports = events_of(read_all(READER, field_case("FC-25.json")))[0]
    items = read_all(READER, field_case("FC-25.cloudlogging.json"))
    assert rejected_of(items) == []
    (cloud,) = events_of(items)
    assert isinstance(cloud, SignIn)
    assert cloud.event_id == reports.event_id
    assert cloud.time == reports.time
    assert cloud.user == reports.user
    assert cloud.ip == reports.ip
    assert cloud.success == reports.success
    assert cloud.client == reports.client


def test_cloud_logging_ignores_receive_timestamp() -> None:
    (cloud,) = events_of(read_all(READER, field_case("FC-25.cloudlogging.json")))
    assert cloud.time != datetime(2024, 5, 14, 10, 2, 59, 100000, tzinfo=UTC)


def test_forwarding_is_rule_change() -> None:
    forwarding = events_of(read_all(READER, field_case("FC-25.json")))[1]
    assert isinstance(forwarding, MailboxRuleChange)
    assert forwarding.operation == "email_forwarding_out_of_domain"
    assert forwarding.actor == "dana@example.com"
    assert forwarding.mailbox == "dana@example.com"
    assert forwarding.forward_to == ("drop@example.net",)
    assert forwarding.ip == "203.0.113.50"
    assert forwarding.time == datetime(2024, 5, 14, 9, 14, 40, 100000, tzinfo=UTC)


def test_reports_parameters_flatten() -> None:
    pages = orjson.loads(field_case("FC-25.json").read_bytes())
    activity = parse_activity(pages[1]["items"][0])
    parameters = activity.events[0].parameters
    assert parameters["login_type"] == "google_password"
    assert parameters["login_challenge_method"] == ["password", "idv_preregistered_phone"]
    assert parameters["is_suspicious"] is False
    assert parameters["is_second_factor"] is True


def test_cloud_logging_parameters_flatten() -> None:
    entry = orjson.loads(field_case("FC-25.cloudlogging.json").read_bytes())
    parameters = parse_activity(entry).events[0].parameters
    assert parameters["login_challenge_method"] == ["password", "idv_preregistered_phone"]
    assert parameters["is_suspicious"] is False


def test_both_shapes_sniffed_as_google() -> None:
    readers = registered_readers()
    for name in ("FC-25.json", "FC-25.cloudlogging.json"):
        reader_name, _ = read_file(field_case(name), readers)
        assert reader_name == "google-workspace", name


# Parameter types.


def test_flatten_int_values_become_int() -> None:
    flat = flatten_parameters(
        [
            {"name": "count", "intValue": "42"},
            {"name": "negative", "intValue": "-7"},
            {"name": "native", "intValue": 1593695305123456},
            {"name": "many", "multiIntValue": ["1", "2"]},
        ],
        "parameters",
    )
    assert flat["count"] == 42
    assert flat["negative"] == -7
    assert flat["native"] == 1593695305123456
    assert flat["many"] == [1, 2]


def test_flatten_message_values_nest() -> None:
    flat = flatten_parameters(
        [
            {
                "name": "scope_data",
                "multiMessageValue": [
                    {"parameter": [{"name": "scope_name", "value": "https://mail.example/"}]},
                    {"parameter": [{"name": "product_bucket", "multiValue": ["GMAIL"]}]},
                ],
            },
            {"name": "single", "messageValue": {"parameter": [{"name": "a", "boolValue": True}]}},
        ],
        "parameters",
    )
    assert flat["scope_data"] == [
        {"scope_name": "https://mail.example/"},
        {"product_bucket": ["GMAIL"]},
    ]
    assert flat["single"] == {"a": True}


def test_flatten_invalid_int_names_field() -> None:
    with pytest.raises(FieldError) as caught:
        flatten_parameters([{"name": "count", "intValue": "twelve"}], "events[0].parameters")
    assert caught.value.field == "events[0].parameters.count.intValue"


def test_invalid_int_rejects_activity(tmp_path: Path) -> None:
    activity = _activity("login", "login_success", [{"name": "n", "intValue": "x1"}])
    item = _read_one(tmp_path, activity)
    assert item.field == "events[0].parameters.n.intValue"
    assert item.record_id == "1001"
    assert item.origin.position == "line 1, record 1"


# Export shapes.


def test_page_lines_and_token_notice(tmp_path: Path) -> None:
    pages = [
        {"kind": "admin#reports#activities", "etag": '"e1"'},
        {
            "kind": "admin#reports#activities",
            "items": [_activity("login", "login_success", qualifier="1")],
            "nextPageToken": "token-2",
        },
    ]
    items = read_all(READER, _write_lines(tmp_path, pages))
    assert len(events_of(items)) == 1
    assert events_of(items)[0].origin.position == "line 2, item 1"
    (notice,) = notices_of(items)
    assert "nextPageToken" in notice.message


def test_final_page_without_token_no_notice(tmp_path: Path) -> None:
    page = {"kind": "admin#reports#activities", "items": [_activity("login", "logout")]}
    pages = [{**page, "nextPageToken": "token-2"}, page]
    items = read_all(READER, _write(tmp_path, pages))
    assert notices_of(items) == []
    assert len(skipped_of(items)) == 2


def test_single_page_object(tmp_path: Path) -> None:
    page = {"kind": "admin#reports#activities", "items": [_activity("login", "login_failure")]}
    (event,) = events_of(read_all(READER, _write(tmp_path, page)))
    assert isinstance(event, SignIn)
    assert event.success is False


def test_activity_lines(tmp_path: Path) -> None:
    lines = [_activity("login", "login_success", qualifier=str(n)) for n in range(3)]
    items = read_all(READER, _write_lines(tmp_path, lines))
    assert [e.origin.position for e in events_of(items)] == ["line 1", "line 2", "line 3"]


def test_events_object_not_list(tmp_path: Path) -> None:
    activity = _activity("login", "login_success")
    activity["events"] = activity["events"][0]
    event = _read_one(tmp_path, activity)
    assert isinstance(event, SignIn)


def test_one_event_record(tmp_path: Path) -> None:
    record = {
        "id": {
            "applicationName": "drive",
            "time": "2022-12-20 17:27:47.080000000",
            "uniqueQualifier": "-73",
        },
        "actor": {"email": "erin@example.com"},
        "name": "download",
        "type": "access",
        "parameters": {"doc_id": "doc-1", "doc_title": "Payroll.xlsx"},
    }
    event = _read_one(tmp_path, record)
    assert isinstance(event, FileAccess)
    assert event.object_id == "Payroll.xlsx"
    assert event.time == datetime(2022, 12, 20, 17, 27, 47, 80000, tzinfo=UTC)


def test_flattened_columns_ignored(tmp_path: Path) -> None:
    activity = _activity("login", "login_success", [{"name": "login_type", "value": "saml"}])
    activity.update(event_name="login_failure", login_type="google_password", ipAddress_s="x")
    event = _read_one(tmp_path, activity)
    assert event.success is True
    assert event.client.protocol == "saml"


def test_multi_event_activity_ids_differ(tmp_path: Path) -> None:
    activity = _activity("drive", "view", [{"name": "doc_id", "value": "d1"}])
    activity["events"].append({"type": "access", "name": "download", "parameters": []})
    first, second = events_of(read_all(READER, _write(tmp_path, [activity])))
    assert first.event_id.endswith(":0:view")
    assert second.event_id.endswith(":1:download")
    assert second.object_id is None


def test_cloud_logging_non_workspace_skipped(tmp_path: Path) -> None:
    entry = {
        "protoPayload": {
            "serviceName": "storage.googleapis.com",
            "methodName": "storage.objects.get",
            "metadata": {"uniqQualifier": "absent"},
        },
        "timestamp": "2024-05-14T10:00:00Z",
    }
    (item,) = read_all(READER, _write(tmp_path, [entry]))
    assert item.what == "Cloud Logging entry storage.googleapis.com storage.objects.get"


def test_cloud_logging_time_from_activity_id(tmp_path: Path) -> None:
    entry = orjson.loads(field_case("FC-25.cloudlogging.json").read_bytes())
    del entry["timestamp"]
    (event,) = events_of(read_all(READER, _write(tmp_path, entry)))
    assert event.event_id == LOGIN_EVENT_ID


# Mapping: sign-ins.


@pytest.mark.parametrize(
    ("name", "status", "success"),
    [
        ("login_challenge", "passed", True),
        ("login_challenge", "Challenge Failed.", False),
        ("login_verification", "Challenge Passed.", True),
        ("login_verification", "failed", False),
    ],
)
def test_challenge_status_sets_success(
    tmp_path: Path, name: str, status: str, success: bool
) -> None:
    parameters = [{"name": "login_challenge_status", "value": status}]
    event = _read_one(tmp_path, _activity("login", name, parameters))
    assert isinstance(event, SignIn)
    assert event.success is success


def test_challenge_without_status_rejected(tmp_path: Path) -> None:
    item = _read_one(tmp_path, _activity("login", "login_challenge"))
    assert item.field == "events[0].parameters.login_challenge_status"
    assert item.reason == "missing"


@pytest.mark.parametrize(
    "name",
    [
        "suspicious_login",
        "account_disabled_hijacked",
        "gov_attack_warning",
        "risky_sensitive_action_allowed",
        "logout",
    ],
)
def test_login_warnings_skipped(tmp_path: Path, name: str) -> None:
    item = _read_one(tmp_path, _activity("login", name))
    assert item.what == f"Google login {name}"


def test_sign_in_user_lowercased_and_location(tmp_path: Path) -> None:
    activity = _activity("login", "login_success", email="Erin@Example.COM")
    activity["networkInfo"] = {"ipAsn": [64500], "regionCode": "nl"}
    event = _read_one(tmp_path, activity)
    assert event.user == "erin@example.com"
    assert event.location.country == "NL"
    assert event.location.asn == 64500


def test_sign_in_without_actor_rejected(tmp_path: Path) -> None:
    item = _read_one(tmp_path, _activity("login", "login_success", email=None))
    assert item.field == "actor.email"


def test_sign_in_invalid_ip_kept_raw(tmp_path: Path) -> None:
    event = _read_one(tmp_path, _activity("login", "login_success", ip="not-an-ip"))
    assert event.ip is None
    assert event.ip_raw == "not-an-ip"


# Mapping: forwarding, Gmail settings and Drive.


def test_forwarding_change_user_email_parameter(tmp_path: Path) -> None:
    parameters = [
        {"name": "email_forwarding_destination_address", "value": "Out@Example.NET"},
        {"name": "user_email", "value": "frank@example.com"},
    ]
    event = _read_one(tmp_path, _activity("user_accounts", "email_forwarding_change", parameters))
    assert isinstance(event, MailboxRuleChange)
    assert event.mailbox == "frank@example.com"
    assert event.actor == "erin@example.com"
    assert event.forward_to == ("out@example.net",)


def test_admin_forwarding_setting(tmp_path: Path) -> None:
    parameters = [
        {"name": "SETTING_NAME", "value": "EMAIL_FORWARDING"},
        {"name": "USER_EMAIL", "value": "frank@example.com"},
        {"name": "NEW_VALUE", "value": "drop@example.net"},
    ]
    event = _read_one(tmp_path, _activity("admin", "CHANGE_GMAIL_SETTING", parameters))
    assert isinstance(event, MailboxRuleChange)
    assert event.operation == "CHANGE_GMAIL_SETTING"
    assert event.mailbox == "frank@example.com"
    assert event.forward_to == ("drop@example.net",)
    assert event.removed is False
    assert ("SETTING_NAME", "EMAIL_FORWARDING") in event.parameters


def test_admin_routing_rule_deleted(tmp_path: Path) -> None:
    parameters = [
        {"name": "SETTING_NAME", "value": "MESSAGE_SECURITY_RULE"},
        {"name": "USER_DEFINED_SETTING_NAME", "value": "route-all"},
    ]
    event = _read_one(tmp_path, _activity("admin", "DELETE_GMAIL_SETTING", parameters))
    assert event.removed is True
    assert event.rule_name == "route-all"
    assert event.mailbox == "erin@example.com"


def test_admin_filter_actions(tmp_path: Path) -> None:
    filter_value = {
        "criteria": {"from": "ceo@example.org"},
        "action": {"addLabelIds": ["TRASH"], "removeLabelIds": ["UNREAD", "INBOX"]},
    }
    parameters = [
        {"name": "SETTING_NAME", "value": "EMAIL_FILTER"},
        {"name": "NEW_VALUE", "value": orjson.dumps(filter_value).decode()},
    ]
    event = _read_one(tmp_path, _activity("admin", "CREATE_GMAIL_SETTING", parameters))
    assert event.delete is True
    assert event.mark_as_read is True
    assert event.move_to_folder == "Archive"


@pytest.mark.parametrize("setting", ["ENABLE_IMAP_ACCESS", "SPAM_FILTER_LEVEL"])
def test_admin_other_gmail_setting_skipped(tmp_path: Path, setting: str) -> None:
    parameters = [{"name": "SETTING_NAME", "value": setting}]
    item = _read_one(tmp_path, _activity("admin", "CHANGE_GMAIL_SETTING", parameters))
    assert item.what == "Google admin CHANGE_GMAIL_SETTING"


@pytest.mark.parametrize("name", ["download", "view", "copy", "print", "preview"])
def test_drive_reads_are_file_access(tmp_path: Path, name: str) -> None:
    parameters = [{"name": "doc_id", "value": "1AbC"}]
    event = _read_one(tmp_path, _activity("drive", name, parameters))
    assert isinstance(event, FileAccess)
    assert event.operation == name
    assert event.object_id == "1AbC"
    assert event.workload == "Drive"
    assert event.user == "erin@example.com"


def test_drive_edit_skipped(tmp_path: Path) -> None:
    item = _read_one(tmp_path, _activity("drive", "edit"))
    assert item.what == "Google drive edit"


def test_token_authorize_is_app_consent(tmp_path: Path) -> None:
    parameters = [
        {"name": "app_name", "value": "Mail Helper"},
        {"name": "client_id", "value": "4711-abc.apps.googleusercontent.com"},
        {"name": "scope", "multiValue": ["https://mail.google.com/", "openid"]},
    ]
    consent = _read_one(tmp_path, _activity("token", "authorize", parameters))
    assert isinstance(consent, AppConsent)
    assert consent.app_name == "Mail Helper"
    assert consent.app_id == "4711-abc.apps.googleusercontent.com"
    assert consent.scopes == ("https://mail.google.com/", "openid")
    assert consent.user == "erin@example.com"
    assert consent.admin_consent is False


def test_token_authorize_scope_data_only(tmp_path: Path) -> None:
    scope_data = [
        {
            "parameter": [
                {"name": "scope_name", "value": "https://www.googleapis.com/auth/gmail.readonly"}
            ]
        }
    ]
    parameters = [
        {"name": "app_name", "value": "Mail Helper"},
        {"name": "scope_data", "multiMessageValue": scope_data},
    ]
    consent = _read_one(tmp_path, _activity("token", "authorize", parameters))
    assert isinstance(consent, AppConsent)
    assert consent.scopes == ("https://www.googleapis.com/auth/gmail.readonly",)


def test_token_revoke_skipped(tmp_path: Path) -> None:
    item = _read_one(tmp_path, _activity("token", "revoke"))
    assert item.what == "Google token revoke"


# Bad input.


def test_missing_time_rejected(tmp_path: Path) -> None:
    activity = _activity("login", "login_success")
    del activity["id"]["time"]
    item = _read_one(tmp_path, activity)
    assert item.field == "id.time"
    assert item.record_id == "1001"


def test_invalid_time_rejected(tmp_path: Path) -> None:
    item = _read_one(tmp_path, _activity("login", "login_success", time="yesterday"))
    assert item.field == "id.time"
    assert "yesterday" in item.reason


def test_no_events_rejected(tmp_path: Path) -> None:
    activity = _activity("login", "login_success")
    activity["events"] = []
    item = _read_one(tmp_path, activity)
    assert item.field == "events"


def test_bad_item_rest_processed(tmp_path: Path) -> None:
    page = {
        "kind": "admin#reports#activities",
        "items": ["not an object", {"kind": "x"}, _activity("login", "login_success")],
    }
    items = read_all(READER, _write(tmp_path, page))
    assert len(rejected_of(items)) == 2
    assert len(events_of(items)) == 1
    assert rejected_of(items)[0].origin.position == "line 1, item 1"


def test_bad_json_line_rest_processed(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    good = orjson.dumps(_activity("login", "login_success"))
    path.write_bytes(good + b"\n{broken\n" + good.replace(b"1001", b"1002") + b"\n")
    items = read_all(READER, path)
    assert [r.origin.position for r in rejected_of(items)] == ["line 2"]
    assert len(events_of(items)) == 2


def test_items_not_list_rejected(tmp_path: Path) -> None:
    (item,) = read_all(READER, _write(tmp_path, {"kind": "admin#reports#activities", "items": 3}))
    assert item.field == "items"


# Sniffing.


def test_sniff_rejects_microsoft_audit(tmp_path: Path) -> None:
    record = {"CreationTime": "2024-05-14T09:12:33", "Operation": "New-InboxRule", "Id": "x"}
    assert not sniffs(READER, _write(tmp_path, [record]))


def test_sniff_rejects_quoted_google_record(tmp_path: Path) -> None:
    wrapper = {"input": {"message": orjson.dumps(_activity("login", "login_success")).decode()}}
    assert not sniffs(READER, _write(tmp_path, wrapper))


def test_sniff_accepts_activity_without_kind(tmp_path: Path) -> None:
    activity = _activity("login", "login_success")
    del activity["kind"]
    assert sniffs(READER, _write(tmp_path, [activity]))


@settings(max_examples=200, deadline=None, suppress_health_check=FIXTURE_CHECK)
@given(data=st.binary(max_size=2048))
def test_arbitrary_bytes_never_raise(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.json"
    path.write_bytes(data)
    for item in READER.read(path):
        assert item is not None


@settings(max_examples=200, deadline=None, suppress_health_check=FIXTURE_CHECK)
@given(
    value=st.recursive(
        st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=8),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    ["id", "events", "name", "parameters", "value", "intValue", "items", "kind"]
                ),
                children,
                max_size=4,
            )
        ),
        max_leaves=20,
    )
)
def test_arbitrary_activity_never_raises(tmp_path: Path, value: Any) -> None:
    activity = _activity("login", "login_challenge")
    activity["events"] = value
    path = _write(tmp_path, [activity, {"kind": "admin#reports#activities", "items": value}])
    for item in READER.read(path):
        assert item is not None


def test_missing_qualifier_uses_digest(tmp_path: Path) -> None:
    activity = _activity("login", "login_success")
    del activity["id"]["uniqueQualifier"]
    first = _read_one(tmp_path, activity)
    again = _read_one(tmp_path, activity)
    assert first.event_id.startswith("google:login:sha256:")
    assert first.event_id == again.event_id
