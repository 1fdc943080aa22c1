"""Typed projections of UAL and Graph sign-in JSON lines against the generic path.

Each case writes JSON lines, reads them with the reader (projection first) and with
the generic path alone, and compares every item. Records that must fall back are
also checked to return ``None`` from the projection itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainwatch.events import FileAccess, Origin, SignIn
from chainwatch.read.base import ReadItem, Rejected, Skipped
from chainwatch.read.signin import SignInReader
from chainwatch.read.signin_projection import project_sign_in_line
from chainwatch.read.ual import UalJsonReader
from chainwatch.read.ual_input import JsonRecord, iter_json_records
from chainwatch.read.ual_projection import project_audit_line
from chainwatch.read.ual_records import audit_record_to_item

ORIGIN = Origin("test.jsonl", "line 1")

UAL_FILE_ACCESS: dict[str, Any] = {
    "CreationTime": "2026-03-02T07:00:02",
    "Id": "564b09cf-a246-4c1e-a791-bd7b0cf39f41",
    "Operation": "MailItemsAccessed",
    "RecordType": 50,
    "ResultStatus": "Succeeded",
    "Workload": "Exchange",
    "ClientIP": "2001:db8:0:166d::1",
    "UserId": "Dana@Example.com",
    "ClientInfoString": "Client=OWA;Action=ViaProxy",
    "ClientAppId": "A1B2C3D4-0000-4000-8000-00000000AAAA",
    "OperationCount": 3,
    "OperationProperties": [
        {"Name": "MailAccessType", "Value": "Bind"},
        {"Name": "IsThrottled", "Value": "False"},
    ],
    "Folders": [
        {
            "Path": "\\Inbox",
            "FolderItems": [
                {"InternetMessageId": "<A1@example.com>"},
                {"InternetMessageId": "<a1@example.com>"},
            ],
        },
        {"Path": "\\Archive", "FolderItems": []},
    ],
}

UAL_SIGN_IN: dict[str, Any] = {
    "CreationTime": "2026-03-02T07:00:06",
    "Id": "c0ee195e-12b0-4856-bab2-5f809e542586",
    "Operation": "UserLoginFailed",
    "Workload": "AzureActiveDirectory",
    "ClientIP": "",
    "ActorIpAddress": "203.0.113.15:4431",
    "UserId": "dana@example.com",
    "LogonError": "InvalidUserNameOrPassword",
    "InterSystemsId": "7a712223-4cdc-4e6e-99db-96aea51d47e9",
    "ExtendedProperties": [
        {"Name": "UserAgent", "Value": "first"},
        {"Name": "UserAgent", "Value": "Mozilla/5.0 (X11; Linux x86_64)"},
    ],
    "DeviceProperties": [{"Name": "SessionId", "Value": "s-1"}],
}

GRAPH_SIGN_IN: dict[str, Any] = {
    "id": "06a3b4df-12c7-44e9-a3c4-a27ea2c58931",
    "createdDateTime": "2026-03-02T07:00:06.123Z",
    "userDisplayName": "Dana",
    "userPrincipalName": "Dana@Example.com",
    "appDisplayName": "OfficeHome",
    "clientAppUsed": "Browser",
    "ipAddress": "2001:db8::1",
    "isInteractive": False,
    "correlationId": "7a712223-4cdc-4e6e-99db-96aea51d47e9",
    "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
    "autonomousSystemNumber": 64496,
    "status": {"errorCode": 50126, "failureReason": "Invalid username or password."},
    "location": {"city": "London", "state": "London", "countryOrRegion": "gb"},
    "deviceDetail": {"operatingSystem": "Windows10", "browser": "Chrome 129.0.0"},
}


def _line(record: Any) -> bytes:
    """Return ``record`` as one JSON line; the standard library writes integers of any size."""
    return json.dumps(record).encode()


def _with(record: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**record, **changes}


def _without(record: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != key}


def _generic_items(path: Path, convert: Callable[[JsonRecord], ReadItem]) -> Iterator[ReadItem]:
    for item in iter_json_records(path):
        yield convert(item) if isinstance(item, JsonRecord) else item


def _ual_generic(record: JsonRecord) -> ReadItem:
    return audit_record_to_item(record.value, record.origin, UalJsonReader.name)


def _sign_in_generic(record: JsonRecord) -> ReadItem:
    return SignInReader()._record(record)


def _write_lines(tmp_path: Path, lines: list[bytes]) -> Path:
    path = tmp_path / "records.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _assert_same_as_generic(tmp_path: Path, reader: Any, lines: list[bytes]) -> list[ReadItem]:
    path = _write_lines(tmp_path, lines)
    convert = _ual_generic if isinstance(reader, UalJsonReader) else _sign_in_generic
    projected = list(reader.read(path))
    generic = list(_generic_items(path, convert))
    assert projected == generic
    return projected


# Records the projections read themselves.


def test_ual_mail_access_projected() -> None:
    item = project_audit_line(_line(UAL_FILE_ACCESS), ORIGIN, "ual-json")
    assert isinstance(item, FileAccess)
    assert item.message_ids == ("a1@example.com",)
    assert item.item_count == 2
    assert item.object_id == "\\Inbox;\\Archive"
    assert item.app_id == "a1b2c3d4-0000-4000-8000-00000000aaaa"


def test_ual_sign_in_projected() -> None:
    item = project_audit_line(_line(UAL_SIGN_IN), ORIGIN, "ual-json")
    assert isinstance(item, SignIn)
    assert item.client.user_agent == "Mozilla/5.0 (X11; Linux x86_64)"
    assert item.error_code == 50126
    assert item.ip == "203.0.113.15"
    assert item.port == 4431


def test_ual_unmodelled_operation_skipped() -> None:
    record = _with(UAL_FILE_ACCESS, Operation="FolderBind")
    item = project_audit_line(_line(record), ORIGIN, "ual-json")
    assert item == Skipped(ORIGIN, "UAL operation FolderBind")


def test_graph_sign_in_projected() -> None:
    item = project_sign_in_line(_line(GRAPH_SIGN_IN), ORIGIN, "entra-signin")
    assert isinstance(item, SignIn)
    assert item.location.country == "GB"
    assert item.success is False
    assert item.interactive is False


def test_projected_lines_match_generic(tmp_path: Path) -> None:
    ual = [_line(UAL_FILE_ACCESS), _line(UAL_SIGN_IN)]
    ual.append(_line(_with(UAL_FILE_ACCESS, Operation="FolderBind")))
    items = _assert_same_as_generic(tmp_path, UalJsonReader(), ual)
    assert len(items) == 3
    items = _assert_same_as_generic(tmp_path, SignInReader(), [_line(GRAPH_SIGN_IN)])
    assert isinstance(items[0], SignIn)


# Records that must fall back, with the generic path's result as the reference.

UAL_FALLBACKS = {
    "number for a text field": _with(UAL_FILE_ACCESS, UserId=12345),
    "missing user": _without(UAL_FILE_ACCESS, "UserId"),
    "missing id": _without(UAL_FILE_ACCESS, "Id"),
    "invalid time": _with(UAL_FILE_ACCESS, CreationTime="2026-13-45T99:00:00"),
    "folders as JSON text": _with(UAL_FILE_ACCESS, Folders='[{"Path": "\\\\Inbox"}]'),
    "folder item not an object": _with(
        UAL_FILE_ACCESS, Folders=[{"Path": "\\Inbox", "FolderItems": ["x"]}]
    ),
    "pair without a name": _with(UAL_SIGN_IN, ExtendedProperties=[{"Value": "x"}]),
    "pair with a number value": _with(
        UAL_SIGN_IN, ExtendedProperties=[{"Name": "UserAgent", "Value": 5}]
    ),
    "count as a boolean": _with(UAL_FILE_ACCESS, OperationCount=True, Folders=[]),
    "count beyond 64 bits": _with(UAL_FILE_ACCESS, OperationCount=2**64 + 1, Folders=[]),
    "rule operation": _with(UAL_SIGN_IN, Operation="New-InboxRule"),
    "consent operation": _with(UAL_SIGN_IN, Operation="Consent to application."),
    "content listing": _with(UAL_SIGN_IN, contentUri="https://example.com/c", contentType="x"),
    "OData page": {"value": [UAL_SIGN_IN], "@odata.nextLink": "https://example.com/n"},
}


@pytest.mark.parametrize("case", sorted(UAL_FALLBACKS))
def test_ual_fallback_matches_generic(case: str, tmp_path: Path) -> None:
    line = _line(UAL_FALLBACKS[case])
    assert project_audit_line(line, ORIGIN, "ual-json") is None
    _assert_same_as_generic(tmp_path, UalJsonReader(), [line])


SIGN_IN_FALLBACKS = {
    "number for a text field": _with(GRAPH_SIGN_IN, userPrincipalName=5),
    "missing created time": _without(GRAPH_SIGN_IN, "createdDateTime"),
    "interactive as text": _with(GRAPH_SIGN_IN, isInteractive="true"),
    "location as text": _with(GRAPH_SIGN_IN, location="GB"),
    "location with another key": _with(GRAPH_SIGN_IN, location={"CountryOrRegion": "GB"}),
    "status as text": _with(GRAPH_SIGN_IN, status="Microsoft.Graph.SignInStatus"),
    "status as JSON text": _with(GRAPH_SIGN_IN, status='{"errorCode": 0}'),
    "second spelling of a key": _with(GRAPH_SIGN_IN, UserAgent="other agent"),
    "unlisted property": _with(GRAPH_SIGN_IN, futureProperty=1),
    "diagnostic envelope": {
        "category": "SignInLogs",
        "time": "2026-03-02T07:01:00Z",
        "properties": GRAPH_SIGN_IN,
    },
    "Log Analytics row": {
        "Id": "x-1",
        "CreatedDateTime": "2026-03-02T07:00:06Z",
        "UserPrincipalName": "dana@example.com",
        "IPAddress": "203.0.113.9",
        "IsInteractive": "true",
    },
}


@pytest.mark.parametrize("case", sorted(SIGN_IN_FALLBACKS))
def test_sign_in_fallback_matches_generic(case: str, tmp_path: Path) -> None:
    line = _line(SIGN_IN_FALLBACKS[case])
    assert project_sign_in_line(line, ORIGIN, "entra-signin") is None
    _assert_same_as_generic(tmp_path, SignInReader(), [line])


def test_deep_value_rejected_on_both_paths(tmp_path: Path) -> None:
    deep = b'{"DeepField": ' + b"[" * 70 + b"]" * 70 + b"}"
    line = _line(UAL_SIGN_IN)[:-1] + b"," + deep[1:]
    items = _assert_same_as_generic(tmp_path, UalJsonReader(), [line])
    assert isinstance(items[0], Rejected)
    assert "deeper than 64" in items[0].reason


def test_huge_value_matches_generic(tmp_path: Path) -> None:
    record = _with(GRAPH_SIGN_IN, userAgent="A" * 2_000_000)
    items = _assert_same_as_generic(tmp_path, SignInReader(), [_line(record)])
    assert isinstance(items[0], SignIn)


def test_invalid_utf8_matches_generic(tmp_path: Path) -> None:
    line = _line(_with(GRAPH_SIGN_IN, userDisplayName="Dana X"))
    line = line.replace(b"Dana X", b"Dana \xff")
    _assert_same_as_generic(tmp_path, SignInReader(), [line])
    line = _line(_with(GRAPH_SIGN_IN, userAgent="agent X")).replace(b"X", b"\xff")
    _assert_same_as_generic(tmp_path, SignInReader(), [line])


def test_error_number_two_signs_not_code(tmp_path: Path) -> None:
    items = _assert_same_as_generic(
        tmp_path, UalJsonReader(), [_line(_with(UAL_SIGN_IN, ErrorNumber="--5"))]
    )
    assert isinstance(items[0], SignIn)
    assert items[0].error_code == 50126


def test_duplicate_key_last_wins_on_both(tmp_path: Path) -> None:
    line = _line(UAL_SIGN_IN)[:-1] + b',"UserId":"second@example.com"}'
    items = _assert_same_as_generic(tmp_path, UalJsonReader(), [line])
    assert isinstance(items[0], SignIn)
    assert items[0].user == "second@example.com"


# Random values in the fields the projections read must give the generic result.

_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["", " ", "0", "-1", "--5", "true", "2026-03-02T07:00:06Z", "203.0.113.7"]),
    st.lists(st.dictionaries(st.sampled_from(["Name", "Value", "Path"]), st.text(max_size=5))),
    st.dictionaries(st.sampled_from(["errorCode", "city", "countryOrRegion"]), st.integers()),
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    base=st.sampled_from([UAL_FILE_ACCESS, UAL_SIGN_IN]),
    key=st.sampled_from(sorted(set(UAL_FILE_ACCESS) | set(UAL_SIGN_IN))),
    value=_VALUES,
)
def test_ual_random_field_matches_generic(
    base: dict[str, Any], key: str, value: Any, tmp_path: Path
) -> None:
    _assert_same_as_generic(tmp_path, UalJsonReader(), [_line(_with(base, **{key: value}))])


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(sorted(GRAPH_SIGN_IN)), value=_VALUES)
def test_sign_in_random_field_matches_generic(key: str, value: Any, tmp_path: Path) -> None:
    line = _line(_with(GRAPH_SIGN_IN, **{key: value}))
    _assert_same_as_generic(tmp_path, SignInReader(), [line])
