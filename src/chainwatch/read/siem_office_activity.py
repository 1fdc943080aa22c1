"""Conversion of Sentinel ``OfficeActivity`` rows back into Unified Audit Log records.

Sentinel stores the UAL record with renamed columns (``OfficeId`` for ``Id``,
``OfficeWorkload`` for ``Workload``, ``OfficeObjectId`` for ``ObjectId``,
``Client_IPAddress`` for ``ClientIPAddress``), nested values as JSON text, and the
record's ``CreationTime`` as ``TimeGenerated``. Once converted, the row goes through
:func:`~chainwatch.read.ual_records.audit_record_to_item`, so both sources produce the
same event with the same ``ual:<Id>`` event id.
"""

from __future__ import annotations

from typing import Any

from chainwatch.events import Origin
from chainwatch.read.base import ReadItem, Rejected
from chainwatch.read.siem_table import json_cell, table_time, text
from chainwatch.read.ual_input import FieldError
from chainwatch.read.ual_records import audit_record_to_item

# Lower-cased OfficeActivity column -> UAL AuditData key.
RENAMED_COLUMNS = {
    "officeid": "Id",
    "officeworkload": "Workload",
    "officeobjectid": "ObjectId",
    "client_ipaddress": "ClientIPAddress",
    "logon_type": "LogonType",
}
# UAL keys the mapping reads, by lower-cased name, so their case is restored.
UAL_KEYS = {
    key.lower(): key
    for key in (
        "Operation",
        "UserId",
        "ClientIP",
        "ClientIPAddress",
        "ActorIpAddress",
        "MailboxOwnerUPN",
        "ClientInfoString",
        "ClientAppId",
        "UserAgent",
        "ObjectId",
        "Workload",
        "InterSystemsId",
        "ErrorNumber",
        "LogonError",
        "OperationCount",
        "RecordType",
        "ResultStatus",
        "UserKey",
    )
}
# Columns holding JSON text in OfficeActivity.
NESTED_COLUMNS = {
    key.lower(): key
    for key in (
        "Parameters",
        "Folders",
        "OperationProperties",
        "ExtendedProperties",
        "DeviceProperties",
        "Item",
        "AffectedItems",
        "ModifiedProperties",
    )
}


def office_activity_item(
    fields: dict[str, Any], origin: Origin, raw: bytes, source: str
) -> ReadItem:
    """Map one OfficeActivity row with lower-cased column names to an event or item."""
    record_id = text(fields.get("officeid")) or None
    try:
        record = audit_record_from_row(fields)
    except FieldError as exc:
        return Rejected(origin, exc.reason, field=exc.field, record_id=record_id, raw=raw)
    return audit_record_to_item(record, origin, source)


def audit_record_from_row(fields: dict[str, Any]) -> dict[str, Any]:
    """Rebuild the UAL ``AuditData`` keys the UAL mapping reads from one row.

    Raises :class:`FieldError` for an invalid time or invalid JSON text in a nested column.
    """
    record: dict[str, Any] = {}
    for column, value in fields.items():
        if column.endswith("_") and column[:-1] in fields:
            continue  # Sentinel's duplicate of a column, such as UserId_
        if column in NESTED_COLUMNS:
            record[NESTED_COLUMNS[column]] = json_cell(value, NESTED_COLUMNS[column])
            continue
        key = RENAMED_COLUMNS.get(column) or UAL_KEYS.get(column) or column
        record[key] = value.strip() if isinstance(value, str) else value

    count = text(record.get("OperationCount"))
    record["OperationCount"] = (
        int(count) if count.isascii() and count.isdigit() else record.get("OperationCount")
    )
    if text(fields.get("creationtime")):
        time = table_time(fields["creationtime"], "CreationTime")
    else:
        time = table_time(fields.get("timegenerated"), "TimeGenerated")
    record["CreationTime"] = time.isoformat()
    return record
