"""OAuth consent and mailbox item deletions from the Unified Audit Log and Entra audits."""

from __future__ import annotations

from pathlib import Path

import orjson

from chainwatch.events import AppConsent, MailboxItemsDeleted
from chainwatch.read.base import Rejected, Skipped
from chainwatch.read.signin import SignInReader
from chainwatch.read.ual import UalJsonReader

from .conftest import corpus_file, read_all, sniffs

SEKOIA_O365 = "sekoia-intake-formats/Office 365/o365/tests"
READER = UalJsonReader()


def _read_records(tmp_path: Path, *records: dict) -> list:
    path = tmp_path / "audit.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in records) + b"\n")
    return read_all(READER, path)


def _read_sekoia(tmp_path: Path, name: str) -> list:
    case = orjson.loads(corpus_file(f"{SEKOIA_O365}/{name}").read_bytes())
    path = tmp_path / f"{name}l"
    path.write_text(case["input"]["message"].strip() + "\n")
    return read_all(READER, path)


def _consent_record(**overrides: object) -> dict:
    record = {
        "CreationTime": "2024-05-14T10:02:00",
        "Id": "c0000000-0000-4000-8000-000000000001",
        "Operation": "Add delegated permission grant.",
        "RecordType": 8,
        "ResultStatus": "Success",
        "Workload": "AzureActiveDirectory",
        "UserId": "Dana@example.com",
        "ClientIP": "203.0.113.50",
        "ModifiedProperties": [
            {"Name": "DelegatedPermissionGrant.Scope", "NewValue": "Mail.Read offline_access"},
            {"Name": "DelegatedPermissionGrant.ConsentType", "NewValue": "Principal"},
            {"Name": "ServicePrincipal.DisplayName", "NewValue": "Mail Sorter"},
            {"Name": "ServicePrincipal.AppId", "NewValue": "A1B2C3D4-0000-4000-8000-00000000AAAA"},
        ],
        "Target": [{"ID": "Microsoft Graph", "Type": 1}],
    }
    record.update(overrides)
    return record


def _delete_record(**overrides: object) -> dict:
    record = {
        "CreationTime": "2024-05-14T11:30:00",
        "Id": "d0000000-0000-4000-8000-000000000001",
        "Operation": "MoveToDeletedItems",
        "RecordType": 3,
        "Workload": "Exchange",
        "UserId": "dana@example.com",
        "MailboxOwnerUPN": "Dana@example.com",
        "ClientIP": "[2001:db8::7]:443",
        "Folder": {"Id": "f1", "Path": "\\Sent Items"},
        "AffectedItems": [
            {"Id": f"i{n}", "Subject": f"Invoice {n}", "ParentFolder": {"Path": "\\Sent Items"}}
            for n in range(3)
        ],
    }
    record.update(overrides)
    return record


# Consent.


def test_sekoia_consent_to_application(tmp_path: Path) -> None:
    [consent] = _read_sekoia(tmp_path, "ad_2.json")
    assert isinstance(consent, AppConsent)
    assert consent.user == "john.doe@example.com"
    assert consent.app_name == "APPNAME"
    assert consent.app_id == "11111111-1111-1111-1111-111111111111"
    assert consent.scopes == ("openid", "profile", "email", "offline_access")
    assert consent.admin_consent is False
    assert consent.event_id == "ual:99999999-9999-9999-9999-999999999999"


def test_delegated_grant_names_client_app(tmp_path: Path) -> None:
    [consent] = _read_records(tmp_path, _consent_record())
    assert isinstance(consent, AppConsent)
    assert consent.app_name == "Mail Sorter"
    assert consent.app_id == "a1b2c3d4-0000-4000-8000-00000000aaaa"
    assert consent.scopes == ("Mail.Read", "offline_access")
    assert consent.user == "dana@example.com"
    assert consent.ip == "203.0.113.50"


def test_all_principals_grant_is_admin_consent(tmp_path: Path) -> None:
    properties = [
        {"Name": "DelegatedPermissionGrant.Scope", "NewValue": "Mail.ReadWrite"},
        {"Name": "DelegatedPermissionGrant.ConsentType", "NewValue": "AllPrincipals"},
    ]
    [consent] = _read_records(tmp_path, _consent_record(ModifiedProperties=properties))
    assert isinstance(consent, AppConsent)
    assert consent.admin_consent is True


def test_permissions_after_arrow_only(tmp_path: Path) -> None:
    permissions = (
        "[[Id: a, ConsentType: Principal, Scope: User.Read, CreatedDateTime: ]] => "
        "[[Id: a, ConsentType: Principal, Scope: User.Read Mail.ReadWrite, CreatedDateTime: ]]"
    )
    properties = [
        {"Name": "ConsentContext.IsAdminConsent", "Value": "True"},  # Value, not NewValue
        {"Name": "ConsentAction.Permissions", "Value": permissions},
    ]
    record = _consent_record(
        Operation="Consent to application.",
        ModifiedProperties=properties,
        Target=[{"ID": "ServicePrincipal", "Type": 2}, {"ID": "Sorter", "Type": 1}],
        ObjectId="b0000000-0000-4000-8000-00000000bbbb",
    )
    [consent] = _read_records(tmp_path, record)
    assert isinstance(consent, AppConsent)
    assert consent.scopes == ("User.Read", "Mail.ReadWrite")
    assert consent.admin_consent is True
    assert consent.app_name == "Sorter"
    assert consent.app_id == "b0000000-0000-4000-8000-00000000bbbb"


def test_failed_consent_skipped(tmp_path: Path) -> None:
    [item] = _read_records(tmp_path, _consent_record(ResultStatus="Failure"))
    assert isinstance(item, Skipped)


def test_consent_without_user_rejected(tmp_path: Path) -> None:
    [item] = _read_records(tmp_path, _consent_record(UserId=""))
    assert isinstance(item, Rejected)
    assert item.field == "UserId"


def test_odd_modified_properties_still_read(tmp_path: Path) -> None:
    record = _consent_record(ModifiedProperties="not a list", Target={"ID": 3})
    [consent] = _read_records(tmp_path, record)
    assert isinstance(consent, AppConsent)
    assert consent.scopes == ()
    assert consent.app_id is None


def test_graph_directory_audit_consent(tmp_path: Path) -> None:
    audit = {
        "id": "Directory_5c1f_ABCDE_1",
        "category": "ApplicationManagement",
        "result": "success",
        "activityDisplayName": "Consent to application",
        "activityDateTime": "2024-05-14T10:01:59.123Z",
        "initiatedBy": {
            "user": {"userPrincipalName": "Dana@example.com", "ipAddress": "203.0.113.50"},
            "app": None,
        },
        "targetResources": [
            {
                "id": "e0000000-0000-4000-8000-00000000eeee",
                "displayName": "Mail Sorter",
                "type": "ServicePrincipal",
                "modifiedProperties": [
                    {"displayName": "ConsentContext.IsAdminConsent", "newValue": '"False"'},
                    {
                        "displayName": "ConsentAction.Permissions",
                        "newValue": '"[] => [[Id: x, ConsentType: Principal, Scope: Mail.Read '
                        'Mail.Send offline_access, CreatedDateTime: ]]; "',
                    },
                    {
                        "displayName": "TargetId.ServicePrincipalNames",
                        "newValue": '"a1b2c3d4-0000-4000-8000-00000000aaaa"',
                    },
                ],
            }
        ],
    }
    path = tmp_path / "directoryAudits.json"
    path.write_bytes(orjson.dumps({"value": [audit]}))
    assert sniffs(SignInReader(), path)
    [consent] = read_all(SignInReader(), path)
    assert isinstance(consent, AppConsent)
    assert consent.user == "dana@example.com"
    assert consent.app_name == "Mail Sorter"
    assert consent.app_id == "a1b2c3d4-0000-4000-8000-00000000aaaa"
    assert consent.scopes == ("Mail.Read", "Mail.Send", "offline_access")
    assert consent.admin_consent is False
    assert consent.ip == "203.0.113.50"
    assert consent.event_id == "entra-audit:Directory_5c1f_ABCDE_1"


def test_directory_audit_bad_time_rejected(tmp_path: Path) -> None:
    audit = {
        "id": "Directory_1",
        "activityDisplayName": "Consent to application",
        "activityDateTime": "yesterday",
        "initiatedBy": {"user": {"userPrincipalName": "dana@example.com"}},
    }
    path = tmp_path / "directoryAudits.json"
    path.write_bytes(orjson.dumps([audit]))
    [item] = read_all(SignInReader(), path)
    assert isinstance(item, Rejected)
    assert item.field == "activityDateTime"
    assert item.record_id == "Directory_1"


def test_directory_audit_by_app_skipped(tmp_path: Path) -> None:
    audit = {
        "id": "Directory_2",
        "activityDisplayName": "Add delegated permission grant",
        "activityDateTime": "2024-05-14T10:01:59Z",
        "initiatedBy": {"app": {"displayName": "Provisioning"}, "user": None},
    }
    path = tmp_path / "directoryAudits.json"
    path.write_bytes(orjson.dumps([audit]))
    [item] = read_all(SignInReader(), path)
    assert isinstance(item, Skipped)


# Deletions.


def test_sekoia_hard_delete(tmp_path: Path) -> None:
    [deleted] = _read_sekoia(tmp_path, "exchange_item_group.json")
    assert isinstance(deleted, MailboxItemsDeleted)
    assert deleted.operation == "HardDelete"
    assert deleted.folder == "Recoverable Items\\Deletions"
    assert deleted.item_count == 1
    assert deleted.subjects == ()  # the only subject is empty
    assert deleted.ip == "192.0.2.1"


def test_sekoia_soft_delete_subject(tmp_path: Path) -> None:
    [deleted] = _read_sekoia(tmp_path, "exchange_item_group_2.json")
    assert isinstance(deleted, MailboxItemsDeleted)
    assert deleted.operation == "SoftDelete"
    assert deleted.folder == "Draft"
    assert deleted.subjects == ("Re: HI",)
    assert deleted.user == "user1"
    assert deleted.mailbox == "user1"


def test_move_to_deleted_items_from_sent(tmp_path: Path) -> None:
    [deleted] = _read_records(tmp_path, _delete_record())
    assert isinstance(deleted, MailboxItemsDeleted)
    assert deleted.folder == "Sent Items"
    assert deleted.item_count == 3
    assert deleted.subjects == ("Invoice 0", "Invoice 1", "Invoice 2")
    assert deleted.mailbox == "dana@example.com"
    assert deleted.ip == "2001:db8::7"


def test_delegate_deletion_keeps_owner(tmp_path: Path) -> None:
    record = _delete_record(UserId="admin@example.com")
    [deleted] = _read_records(tmp_path, record)
    assert isinstance(deleted, MailboxItemsDeleted)
    assert deleted.user == "admin@example.com"
    assert deleted.mailbox == "dana@example.com"


def test_subjects_capped_at_fifty(tmp_path: Path) -> None:
    items = [{"Id": f"i{n}", "Subject": f"S{n}"} for n in range(70)]
    [deleted] = _read_records(tmp_path, _delete_record(AffectedItems=items))
    assert isinstance(deleted, MailboxItemsDeleted)
    assert deleted.item_count == 70
    assert len(deleted.subjects) == 50


def test_folder_from_items_when_missing(tmp_path: Path) -> None:
    [deleted] = _read_records(tmp_path, _delete_record(Folder=None))
    assert isinstance(deleted, MailboxItemsDeleted)
    assert deleted.folder == "Sent Items"


def test_deletion_without_items_counts_one(tmp_path: Path) -> None:
    [deleted] = _read_records(tmp_path, _delete_record(AffectedItems="garbled"))
    assert isinstance(deleted, MailboxItemsDeleted)
    assert deleted.item_count == 1
    assert deleted.subjects == ()


def test_deletion_bad_time_rejected(tmp_path: Path) -> None:
    [item] = _read_records(tmp_path, _delete_record(CreationTime="soon"))
    assert isinstance(item, Rejected)
    assert item.field == "CreationTime"
    assert item.record_id == "d0000000-0000-4000-8000-000000000001"
