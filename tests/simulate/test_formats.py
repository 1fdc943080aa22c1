"""Every file under data/ parses with the standard library and has the documented shape."""

from __future__ import annotations

import csv
import json
import mailbox
import re
import tomllib
from email.message import Message
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from chainwatch.settings import settings_from_mapping
from chainwatch.simulate import SimulationResult
from tests.simulate import loaders

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
UAL_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")
TRACE_TIME = re.compile(r"^\d\d/\d\d/\d{4} \d\d:\d\d:\d\d$")
UAL_COMMON = ("CreationTime", "Id", "Operation", "RecordType", "UserId", "ClientIP", "Workload")
SIGN_IN_KEYS = (
    "id",
    "createdDateTime",
    "userPrincipalName",
    "userId",
    "appDisplayName",
    "clientAppUsed",
    "ipAddress",
    "isInteractive",
    "correlationId",
    "userAgent",
    "autonomousSystemNumber",
    "status",
    "location",
    "deviceDetail",
)
TRACE_HEADER = [
    "PSComputerName",
    "RunspaceId",
    "PSShowComputerName",
    "Organization",
    "MessageId",
    "Received",
    "SenderAddress",
    "RecipientAddress",
    "Subject",
    "Status",
    "ToIP",
    "FromIP",
    "Size",
    "MessageTraceId",
    "StartDate",
    "EndDate",
    "Index",
]


def test_data_holds_only_export_folders(exported: Path) -> None:
    assert sorted(p.name for p in exported.iterdir()) == [
        "audit",
        "mail",
        "message-trace",
        "signins",
    ]


def test_result_lists_every_data_file(small_tenant: SimulationResult, exported: Path) -> None:
    on_disk = sorted(p for p in exported.rglob("*") if p.is_file())
    assert list(small_tenant.files) == on_disk


def test_ual_json_lines_have_common_fields(exported: Path) -> None:
    files = sorted((exported / "audit").glob("ual-*.jsonl"))
    assert len(files) >= 3
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            record = json.loads(line)
            missing = [k for k in UAL_COMMON if k not in record]
            assert missing == [], f"{path.name} line {number}"
            assert UAL_TIME.match(record["CreationTime"]), f"{path.name} line {number}"
            assert UUID.match(record["Id"]), f"{path.name} line {number}"


def test_ual_operation_shapes(exported: Path) -> None:
    records = loaders.audit_records(exported)
    by_operation: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_operation.setdefault(record["Operation"], []).append(record)

    logged_in = by_operation["UserLoggedIn"][0]
    assert logged_in["RecordType"] == 15
    assert logged_in["ActorIpAddress"] == logged_in["ClientIP"]
    assert any(p["Name"] == "UserAgent" for p in logged_in["ExtendedProperties"])

    for operation in ("FileAccessed", "FileDownloaded"):
        access = by_operation[operation][0]
        assert access["RecordType"] == 6
        assert access["ObjectId"].startswith("https://example.sharepoint.com/sites/")
        assert access["ObjectId"].startswith(access["SiteUrl"])
        assert access["ObjectId"].endswith(access["SourceFileName"])

    rule = by_operation["New-InboxRule"][0]
    assert rule["RecordType"] == 1
    assert re.match(r"^example\.com/[^\\]+\\.+$", rule["ObjectId"])
    assert any(p["Name"] == "Name" for p in rule["Parameters"])

    forwarding = by_operation["Set-Mailbox"][0]
    names = {p["Name"] for p in forwarding["Parameters"]}
    assert {"Identity", "ForwardingAddress", "DeliverToMailboxAndForward"} <= names

    bind = by_operation["MailItemsAccessed"][0]
    assert bind["RecordType"] == 50
    assert bind["OperationProperties"][0] == {"Name": "MailAccessType", "Value": "Bind"}
    assert bind["Folders"][0]["FolderItems"][0]["InternetMessageId"].startswith("<")


def test_portal_csv_layout(exported: Path) -> None:
    files = sorted((exported / "audit").glob("ual-portal-*.csv"))
    assert len(files) == 1
    raw = files[0].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfRecordId,CreationDate,RecordType,Operation,UserId,")
    with files[0].open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    for row in rows:
        data = json.loads(row["AuditData"])
        assert row["RecordId"] == data["Id"]
        assert row["CreationDate"] == data["CreationTime"] + ".0000000Z"
        assert int(row["RecordType"]) == data["RecordType"]


def test_portal_week_not_also_json(exported: Path) -> None:
    portal = next((exported / "audit").glob("ual-portal-*.csv"))
    week = portal.stem.removeprefix("ual-portal-")
    assert not (exported / "audit" / f"ual-{week}.jsonl").exists()


def test_sign_in_pages_graph_shape(exported: Path) -> None:
    files = sorted((exported / "signins").glob("signins-*.json"))
    assert len(files) >= 4
    for path in files:
        page = json.loads(path.read_text(encoding="utf-8"))
        assert page["@odata.context"].endswith("#auditLogs/signIns")
        for record in page["value"]:
            missing = [k for k in SIGN_IN_KEYS if k not in record]
            assert missing == [], f"{path.name} {record.get('id')}"
            assert record["createdDateTime"].endswith("Z")
            assert isinstance(record["autonomousSystemNumber"], int)
            assert 64496 <= record["autonomousSystemNumber"] <= 64511


def test_sign_ins_include_failures_and_refreshes(exported: Path) -> None:
    records = loaders.sign_ins(exported)
    failures = [r for r in records if r["status"]["errorCode"] == 50126]
    refreshes = [r for r in records if not r["isInteractive"]]
    assert failures
    assert len(refreshes) > 100


def test_trace_csv_layout(exported: Path) -> None:
    files = sorted((exported / "message-trace").glob("trace-*.csv"))
    assert len(files) >= 4
    for path in files:
        raw = path.read_text(encoding="utf-8")
        assert raw.startswith('"PSComputerName","RunspaceId",')
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            assert reader.fieldnames == TRACE_HEADER
            for row in reader:
                assert TRACE_TIME.match(row["Received"]), row["Received"]
                assert row["MessageId"].startswith("<"), row["MessageId"]
                assert row["MessageId"].endswith(">"), row["MessageId"]
                assert int(row["Size"]) > 0


def test_mbox_messages_complete(journal: list[Message]) -> None:
    assert len(journal) > 1000
    for message in journal:
        mid = loaders.message_id(message)
        assert mid, message["Subject"]
        assert parsedate_to_datetime(message["Date"]).tzinfo is not None, mid
        assert message.get_content_type() == "multipart/alternative", mid
        assert loaders.part(message, "text/plain"), mid
        assert loaders.part(message, "text/html"), mid


def test_mbox_stdlib_count_matches(exported: Path) -> None:
    for path in sorted((exported / "mail").glob("journal-*.mbox")):
        box = mailbox.mbox(path, create=False)
        try:
            stdlib_count = len(box)
        finally:
            box.close()
        assert stdlib_count == len(loaders.split_mboxrd(path.read_bytes())), path.name


def test_mbox_quotes_from_lines(exported: Path) -> None:
    raw = b"".join(p.read_bytes() for p in (exported / "mail").glob("journal-*.mbox"))
    assert b"\n>From the attached statement" in raw
    assert b"\nFrom the attached statement" not in raw


def test_journal_message_ids_unique(journal: list[Message]) -> None:
    ids = [loaders.message_id(m) for m in journal]
    assert len(ids) == len(set(ids))


def test_journal_matches_trace(exported: Path, journal: list[Message]) -> None:
    journal_ids = {loaders.message_id(m) for m in journal}
    trace_ids = {row["MessageId"].strip("<>") for row in loaders.trace_rows(exported)}
    assert journal_ids == trace_ids


def test_trace_row_per_recipient(exported: Path, journal: list[Message]) -> None:
    expected = {
        (loaders.message_id(m), address)
        for m in journal
        for address in loaders.addresses(m, "To") + loaders.addresses(m, "Cc")
    }
    rows = loaders.trace_rows(exported)
    found = {(row["MessageId"].strip("<>"), row["RecipientAddress"]) for row in rows}
    assert found == expected
    assert len(rows) == len(expected)


def test_inbound_auth_and_received(journal: list[Message]) -> None:
    inbound = [m for m in journal if not loaders.addresses(m, "From")[0].endswith("@example.com")]
    assert inbound
    for message in inbound:
        assert "spf=pass" in str(message["Authentication-Results"])
        bottom = message.get_all("Received")[-1]
        assert re.search(r"\[198\.51\.100\.\d+\]", str(bottom)), bottom


def test_maildir_duplicates_journal(
    small_tenant: SimulationResult, truth: dict[str, Any], journal: list[Message]
) -> None:
    folder = small_tenant.out_dir / truth["files"]["sent_items_maildir"]
    assert sorted(p.name for p in folder.iterdir()) == ["cur", "new", "tmp"]
    sent = [loaders.parse(p.read_bytes()) for p in sorted((folder / "cur").iterdir())]
    patient_zero = truth["chain"]["patient_zero"]
    expected = {
        loaders.message_id(m) for m in journal if loaders.addresses(m, "From") == [patient_zero]
    }
    assert {loaders.message_id(m) for m in sent} == expected
    assert len(sent) == len(expected)


def test_settings_file_loads(small_tenant: SimulationResult) -> None:
    data = tomllib.loads(small_tenant.settings_path.read_text(encoding="utf-8"))
    settings = settings_from_mapping(data)
    assert settings.org_domains == ("example.com",)
    labels = {str(network): label for network, label in settings.known_networks}
    assert labels == {"203.0.113.0/26": "office", "203.0.113.192/27": "corporate-vpn"}
