"""Typed msgspec projection of the common Unified Audit Log records, read from JSON lines.

Most of an audit log is sign-ins, file access and ``MailItemsAccessed``, plus operations
chainwatch skips. For those, :func:`project_audit_line` decodes only the fields the
mapping in :mod:`chainwatch.read.ual_records` reads, into :class:`AuditProjection`, and
builds the same event or ``Skipped`` item that mapping builds from the whole record.

Any record that does not fit returns ``None``, and the caller reads it through the
generic path, which then produces the identical event, ``Rejected`` or ``Skipped``
item. Records that do not fit include a field of another JSON type, a missing or invalid
required field, an OData page or content listing, and any other operation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

import msgspec

from chainwatch.events import FileAccess, Origin, SignIn
from chainwatch.read.app_consent import consent_activity
from chainwatch.read.base import ReadItem, Skipped
from chainwatch.read.interned import EMPTY_LOCATION, interned_client
from chainwatch.read.ip import parse_ip
from chainwatch.read.timestamps import parse_timestamp
from chainwatch.read.ual_input import is_truthy
from chainwatch.read.ual_records import (
    FILE_OPERATIONS,
    LOGON_ERROR_CODES,
    MODELLED_OPERATIONS,
    SIGN_IN_OPERATIONS,
)

# orjson returns integers beyond 64 bits as ``float``, so a wider integer must go to the
# generic path to be read as orjson reads it. msgspec bounds must fit in an int64.
JsonInt = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
# An empty Raw marks an absent key, because a present value is never empty.
ABSENT = msgspec.Raw()


class NameValue(msgspec.Struct):
    """One ``{Name, Value}`` entry of ``ExtendedProperties`` and similar lists."""

    Name: str
    Value: str | None = None


class FolderItem(msgspec.Struct):
    """One mail item in ``Folders[].FolderItems`` of ``MailItemsAccessed``."""

    InternetMessageId: str | None = None


class Folder(msgspec.Struct):
    """One folder in ``Folders`` of ``MailItemsAccessed``."""

    Path: str | None = None
    FolderItems: list[FolderItem] | None = None


class AuditProjection(msgspec.Struct):
    """The ``AuditData`` fields the sign-in and file-access mapping reads.

    ``contentUri``, ``value``, ``records`` and ``d`` are kept only to notice content
    listings and OData pages, which the generic path reads.
    """

    CreationTime: str | None = None
    Id: str | None = None
    Operation: str | None = None
    UserId: str | None = None
    ClientIP: str | None = None
    ClientIPAddress: str | None = None
    ActorIpAddress: str | None = None
    ObjectId: str | None = None
    Workload: str | None = None
    UserAgent: str | None = None
    ClientInfoString: str | None = None
    ClientAppId: str | None = None
    ErrorNumber: str | None = None
    LogonError: str | None = None
    InterSystemsId: str | None = None
    OperationCount: JsonInt | None = None
    ExtendedProperties: list[NameValue] | None = None
    DeviceProperties: list[NameValue] | None = None
    OperationProperties: list[NameValue] | None = None
    Folders: list[Folder] | None = None
    contentUri: msgspec.Raw = ABSENT
    value: msgspec.Raw = ABSENT
    records: msgspec.Raw = ABSENT
    d: msgspec.Raw = ABSENT


_DECODER = msgspec.json.Decoder(AuditProjection)


def project_audit_line(data: bytes, origin: Origin, source: str) -> ReadItem | None:
    """Decode one JSON line into an event or ``Skipped``, or return ``None`` to fall back.

    The caller has already enforced the line length and nesting depth limits.
    NOTE: msgspec skips unread fields without converting numbers, so a number beyond
    the double range (1e400) in such a field is read here, while orjson on the generic
    path rejects the line as invalid JSON.
    """
    try:
        record = _DECODER.decode(data)
    except msgspec.DecodeError:
        return None
    if record.contentUri or record.value or record.records or record.d:
        return None

    operation = (record.Operation or "").strip()
    build: Callable[..., ReadItem]
    if operation in FILE_OPERATIONS:
        build = _file_access
    elif operation in SIGN_IN_OPERATIONS:
        build = _sign_in
    elif operation and operation not in MODELLED_OPERATIONS:
        if consent_activity(operation) is not None:
            return None
        return Skipped(origin, f"UAL operation {operation}")
    else:
        return None

    record_id = (record.Id or "").strip()
    created = (record.CreationTime or "").strip()
    user = (record.UserId or "").strip().lower()
    if not (record_id and created and user):
        return None
    try:
        time = parse_timestamp(created)
    except ValueError:
        return None
    return build(record, operation, user, f"ual:{record_id}", time, origin, source)


def _client_address(record: AuditProjection) -> tuple[str | None, int | None, str | None]:
    for raw in (record.ClientIP, record.ClientIPAddress, record.ActorIpAddress):
        if raw is not None and raw.strip():
            ip, port = parse_ip(raw)
            return ip, port, raw
    return None, None, record.ClientIP


def _last_value(pairs: list[NameValue] | None, name: str) -> str:
    """Return the value of the last pair named ``name``, as ``dict(pairs)`` would keep it."""
    found = ""
    for pair in pairs or ():
        if pair.Name == name:
            found = pair.Value or ""
    return found


def _sign_in(
    record: AuditProjection,
    operation: str,
    user: str,
    event_id: str,
    time: datetime,
    origin: Origin,
    source: str,
) -> SignIn:
    ip, port, raw = _client_address(record)
    error_number = (record.ErrorNumber or "").strip()
    digits = error_number.removeprefix("-")
    if digits.isascii() and digits.isdigit():
        error_code: int | None = int(error_number)
    else:
        error_code = LOGON_ERROR_CODES.get((record.LogonError or "").strip())
    return SignIn(
        event_id=event_id,
        time=time,
        source=source,
        origin=origin,
        user=user,
        ip=ip,
        ip_raw=raw,
        port=port,
        client=interned_client(_last_value(record.ExtendedProperties, "UserAgent") or None),
        location=EMPTY_LOCATION,
        success=operation == "UserLoggedIn",
        error_code=error_code,
        session_id=_last_value(record.DeviceProperties, "SessionId") or None,
        correlation_id=(record.InterSystemsId or "").strip() or None,
    )


def _file_access(
    record: AuditProjection,
    operation: str,
    user: str,
    event_id: str,
    time: datetime,
    origin: Origin,
    source: str,
) -> FileAccess:
    ip, _, raw = _client_address(record)
    object_id = (record.ObjectId or "").strip() or None
    item_count = 1
    throttled = False
    access_type = None
    message_ids: tuple[str, ...] = ()
    app_id = None
    if operation == "MailItemsAccessed":
        app_id = (record.ClientAppId or "").strip().lower() or None
        properties = record.OperationProperties
        throttled = is_truthy(_last_value(properties, "IsThrottled"))
        access_type = _last_value(properties, "MailAccessType") or None
        folders = record.Folders or []
        paths = [folder.Path for folder in folders if folder.Path]
        object_id = ";".join(paths) or object_id
        item_count = _mail_item_count(record, folders)
        message_ids = _message_ids(folders)
    user_agent = (record.UserAgent or "").strip() or (record.ClientInfoString or "").strip()
    return FileAccess(
        event_id=event_id,
        time=time,
        source=source,
        origin=origin,
        user=user,
        operation=operation,
        ip=ip,
        ip_raw=raw,
        object_id=object_id,
        workload=(record.Workload or "").strip() or None,
        item_count=item_count,
        throttled=throttled,
        access_type=access_type,
        message_ids=message_ids,
        client=interned_client(user_agent or None),
        location=EMPTY_LOCATION,
        app_id=app_id,
    )


def _mail_item_count(record: AuditProjection, folders: list[Folder]) -> int:
    items = sum(len(folder.FolderItems) for folder in folders if folder.FolderItems is not None)
    if items:
        return items
    count = record.OperationCount
    return count if count is not None and count > 0 else 1


def _message_ids(folders: list[Folder]) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for folder in folders:
        for item in folder.FolderItems or ():
            value = item.InternetMessageId
            if value is not None and value.strip("<> \t"):
                found[value.strip().strip("<>").strip().lower()] = None
    return tuple(found)
