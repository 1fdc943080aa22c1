"""Mapping of one Unified Audit Log ``AuditData`` record to a normalised event.

The same mapping serves the Management Activity API JSON and the ``AuditData`` column
of the CSV exports. Operations chainwatch does not model become ``Skipped``; a record
missing a field the event needs becomes ``Rejected`` naming that field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from chainwatch.events import Client, Event, FileAccess, MailboxRuleChange, MailSent, Origin, SignIn
from chainwatch.read.app_consent import consent_activity
from chainwatch.read.base import ReadItem, Rejected, Skipped
from chainwatch.read.ip import parse_ip
from chainwatch.read.timestamps import parse_timestamp
from chainwatch.read.ual_consent import ual_consent
from chainwatch.read.ual_input import FieldError, is_truthy
from chainwatch.read.ual_mail_delete import DELETE_OPERATIONS, mail_delete
from chainwatch.read.ual_rules import (
    RuleSettings,
    decode_cmdlet_parameters,
    decode_operation_properties,
    has_forwarding_parameters,
    name_value_pairs,
)

SIGN_IN_OPERATIONS = frozenset({"UserLoggedIn", "UserLoginFailed"})
RULE_CMDLETS = frozenset(
    {
        "New-InboxRule",
        "Set-InboxRule",
        "Remove-InboxRule",
        "Enable-InboxRule",
        "Disable-InboxRule",
        "Set-Mailbox",
    }
)
RULE_OPERATIONS = RULE_CMDLETS | {"UpdateInboxRules"}
FILE_OPERATIONS = frozenset(
    {
        "FileAccessed",
        "FileDownloaded",
        "FilePreviewed",
        "FileSyncDownloadedFull",
        "MailItemsAccessed",
    }
)
SEND_OPERATIONS = frozenset({"Send", "SendAs", "SendOnBehalf"})
MODELLED_OPERATIONS = (
    SIGN_IN_OPERATIONS | RULE_OPERATIONS | FILE_OPERATIONS | SEND_OPERATIONS | DELETE_OPERATIONS
)

# Entra error codes for the LogonError names that UAL sign-in records carry without an
# ErrorNumber. Names and codes as listed in Microsoft's AADSTS error code reference.
# NOTE: partial; an unlisted name leaves error_code empty.
LOGON_ERROR_CODES = {
    "InvalidUserNameOrPassword": 50126,
    "UserAccountNotFound": 50034,
    "IdsLocked": 50053,
    "InvalidPasswordExpiredPassword": 50055,
    "UserDisabled": 50057,
    "UserStrongAuthClientAuthNRequiredInterrupt": 50074,
    "UserStrongAuthClientAuthNRequired": 50076,
    "AuthenticationFailedSasError": 500121,
}


def audit_record_to_item(record: dict[str, Any], origin: Origin, source: str) -> ReadItem:
    """Convert one ``AuditData`` object into an event, ``Skipped`` or ``Rejected``."""
    record_id = record.get("Id") if isinstance(record.get("Id"), str) else None
    if "contentUri" in record and "contentType" in record:
        return Skipped(origin, "UAL content listing entry (the records are in its contentUri)")
    try:
        return _to_event(record, origin, source)
    except FieldError as exc:
        raw = orjson.dumps(record)[:65536]
        return Rejected(origin, exc.reason, field=exc.field, record_id=record_id, raw=raw)


def _to_event(record: dict[str, Any], origin: Origin, source: str) -> ReadItem:
    for key in ("Operation", "Id", "UserId"):
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            raise FieldError(key, f"is {type(value).__name__} {_shown(value)}, not text")
    operation = _text(record, "Operation")
    if not operation:
        raise FieldError("Operation", "missing")
    consent = consent_activity(operation)
    if operation not in MODELLED_OPERATIONS and consent is None:
        return Skipped(origin, f"UAL operation {operation}")

    record_id = _text(record, "Id")
    if not record_id:
        raise FieldError("Id", "missing")
    common = {
        "event_id": f"ual:{record_id}",
        "time": record_time(record),
        "source": source,
        "origin": origin,
    }
    user = _text(record, "UserId").lower()
    if not user:
        raise FieldError("UserId", "missing")

    if operation in SIGN_IN_OPERATIONS:
        return _sign_in(record, operation, user, common)
    if operation in FILE_OPERATIONS:
        return _file_access(record, operation, user, common)
    if operation in SEND_OPERATIONS:
        return _mail_sent(record, user, common)
    if operation in DELETE_OPERATIONS:
        return mail_delete(record, operation, user, common)
    if consent is not None:
        return ual_consent(record, consent, user, common)
    return _rule_change(record, operation, user, common, origin)


def _shown(value: Any) -> str:
    """Return a short printable form of a rejected value."""
    return repr(value)[:80]


def record_time(record: dict[str, Any]) -> datetime:
    """Return the event time from ``CreationTime``; a time without a zone is UTC."""
    text = _text(record, "CreationTime")
    if not text:
        raise FieldError("CreationTime", "missing")
    try:
        return parse_timestamp(text)
    except ValueError as exc:
        raise FieldError("CreationTime", str(exc)) from None


def _text(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else str(value)


def client_address(record: dict[str, Any]) -> tuple[str | None, int | None, str | None]:
    """Return ``(ip, port, raw)`` from ``ClientIP``, ``ClientIPAddress`` or ``ActorIpAddress``."""
    for key in ("ClientIP", "ClientIPAddress", "ActorIpAddress"):
        raw = record.get(key)
        if isinstance(raw, str) and raw.strip():
            ip, port = parse_ip(raw)
            return ip, port, raw
    raw_empty = record.get("ClientIP")
    return None, None, raw_empty if isinstance(raw_empty, str) else None


def _sign_in(record: dict[str, Any], operation: str, user: str, common: dict[str, Any]) -> Event:
    ip, port, raw = client_address(record)
    extended = dict(name_value_pairs(record.get("ExtendedProperties")))
    device = dict(name_value_pairs(record.get("DeviceProperties")))
    return SignIn(
        **common,
        user=user,
        ip=ip,
        ip_raw=raw,
        port=port,
        client=Client(user_agent=extended.get("UserAgent") or None),
        success=operation == "UserLoggedIn",
        error_code=_error_code(record),
        session_id=device.get("SessionId") or None,
        correlation_id=_text(record, "InterSystemsId") or None,
    )


def _error_code(record: dict[str, Any]) -> int | None:
    number = _text(record, "ErrorNumber")
    digits = number.removeprefix("-")  # one sign only: int() rejects "--5"
    if digits.isascii() and digits.isdigit():
        return int(number)
    return LOGON_ERROR_CODES.get(_text(record, "LogonError"))


def _file_access(
    record: dict[str, Any], operation: str, user: str, common: dict[str, Any]
) -> Event:
    ip, _, raw = client_address(record)
    object_id = _text(record, "ObjectId") or None
    item_count = 1
    throttled = False
    access_type = None
    message_ids: tuple[str, ...] = ()
    app_id = None
    if operation == "MailItemsAccessed":
        # ClientAppId is the app that read the mail. AppId is often the API it used,
        # such as Microsoft Graph (00000003-0000-0000-c000-000000000000).
        app_id = _text(record, "ClientAppId").lower() or None
        properties = dict(name_value_pairs(record.get("OperationProperties")))
        throttled = is_truthy(properties.get("IsThrottled", ""))
        access_type = properties.get("MailAccessType") or None
        folders = _folders(record.get("Folders"))
        paths = [str(f["Path"]) for f in folders if f.get("Path")]
        object_id = ";".join(paths) or object_id
        item_count = _mail_item_count(record, folders)
        message_ids = _folder_message_ids(folders)
    user_agent = _text(record, "UserAgent") or _text(record, "ClientInfoString") or None
    return FileAccess(
        **common,
        user=user,
        operation=operation,
        ip=ip,
        ip_raw=raw,
        object_id=object_id,
        workload=_text(record, "Workload") or None,
        item_count=item_count,
        throttled=throttled,
        access_type=access_type,
        message_ids=message_ids,
        client=Client(user_agent=user_agent),
        app_id=app_id,
    )


def _folder_message_ids(folders: list[dict[str, Any]]) -> tuple[str, ...]:
    """Return the Internet Message-IDs in ``Folders[].FolderItems[]``, bare and lower-cased."""
    found: dict[str, None] = {}
    for folder in folders:
        items = folder.get("FolderItems")
        if not isinstance(items, list):
            continue
        for item in items:
            value = item.get("InternetMessageId") if isinstance(item, dict) else None
            if isinstance(value, str) and value.strip("<> \t"):
                found[value.strip().strip("<>").strip().lower()] = None
    return tuple(found)


def _folders(value: Any) -> list[dict[str, Any]]:
    # Sentinel's OfficeActivity table stores Folders as JSON text.
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            return []
    return [f for f in value if isinstance(f, dict)] if isinstance(value, list) else []


def _mail_item_count(record: dict[str, Any], folders: list[dict[str, Any]]) -> int:
    items = sum(len(f["FolderItems"]) for f in folders if isinstance(f.get("FolderItems"), list))
    if items:
        return items
    # Sync and throttled records list no items; OperationCount is the number of accesses.
    count = record.get("OperationCount")
    return count if isinstance(count, int) and count > 0 else 1


def _mail_sent(record: dict[str, Any], user: str, common: dict[str, Any]) -> Event:
    ip, _, _ = client_address(record)
    item = record.get("Item") if isinstance(record.get("Item"), dict) else {}
    message_id = _text(item, "InternetMessageId").strip("<>").lower() or None
    sender = _text(record, "MailboxOwnerUPN").lower() or user
    return MailSent(
        **common,
        sender=sender,
        recipients=_item_recipients(item),
        message_id=message_id,
        subject=item.get("Subject") if isinstance(item.get("Subject"), str) else None,
        from_ip=ip,
        size=item.get("SizeInBytes") if isinstance(item.get("SizeInBytes"), int) else None,
    )


def _item_recipients(item: dict[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    for key in ("Recipients", "ToRecipients", "CcRecipients", "BccRecipients"):
        value = item.get(key)
        if isinstance(value, list):
            entries = value
        elif isinstance(value, str):
            entries = [value]
        else:
            entries = []
        for entry in entries:
            if isinstance(entry, dict):
                entry = entry.get("Address") or entry.get("EmailAddress") or ""
            address = str(entry).strip().lower()
            if address and address not in found:
                found.append(address)
    return tuple(found)


def _rule_change(
    record: dict[str, Any], operation: str, actor: str, common: dict[str, Any], origin: Origin
) -> ReadItem:
    if operation == "UpdateInboxRules":
        settings = decode_operation_properties(name_value_pairs(record.get("OperationProperties")))
    else:
        pairs = name_value_pairs(record.get("Parameters"))
        if operation == "Set-Mailbox" and not has_forwarding_parameters(pairs):
            return Skipped(origin, "UAL operation Set-Mailbox without forwarding parameters")
        settings = decode_cmdlet_parameters(operation, pairs)
        if settings.rule_name is None and operation != "Set-Mailbox":
            settings.rule_name = _rule_name_from_identity(record, dict(pairs))

    ip, _, raw = client_address(record)
    return build_rule_change(
        common,
        actor=actor,
        mailbox=target_mailbox(record, operation, actor),
        operation=operation,
        settings=settings,
        ip=ip,
        ip_raw=raw,
    )


def build_rule_change(
    common: dict[str, Any],
    *,
    actor: str,
    mailbox: str,
    operation: str,
    settings: RuleSettings,
    ip: str | None,
    ip_raw: str | None,
) -> MailboxRuleChange:
    """Build a :class:`MailboxRuleChange` from decoded rule settings."""
    return MailboxRuleChange(
        **common,
        actor=actor,
        mailbox=mailbox,
        operation=operation,
        rule_name=settings.rule_name,
        ip=ip,
        ip_raw=ip_raw,
        forward_to=tuple(settings.forward_to),
        redirect_to=tuple(settings.redirect_to),
        forward_as_attachment_to=tuple(settings.forward_as_attachment_to),
        delete=settings.delete,
        move_to_folder=settings.move_to_folder,
        mark_as_read=settings.mark_as_read,
        stop_processing=settings.stop_processing,
        keywords=tuple(settings.keywords),
        from_addresses=tuple(settings.from_addresses),
        match_all=settings.match_all,
        removed=settings.removed,
        details_lost=settings.details_lost,
        parameters=tuple(settings.parameters),
    )


def _rule_name_from_identity(record: dict[str, Any], parameters: dict[str, str]) -> str | None:
    # Set/Remove/Enable/Disable-InboxRule name the rule as "mailbox\rule" in Identity or ObjectId.
    for value in (parameters.get("Identity", ""), _text(record, "ObjectId")):
        if "\\" in value:
            return value.rsplit("\\", 1)[1] or None
    return None


def target_mailbox(record: dict[str, Any], operation: str, actor: str) -> str:
    """Return whose mailbox a rule acts on, which differs from the actor for admin changes.

    Candidates, in order: the ``Mailbox`` parameter, ``MailboxOwnerUPN``, the mailbox part
    of ``Identity`` and of ``ObjectId``. An address wins. An alias path such as
    ``example.com/dana`` that matches the actor's local part means the actor's own mailbox.
    """
    parameters = dict(name_value_pairs(record.get("Parameters")))
    identity = parameters.get("Identity", "")
    if operation != "Set-Mailbox":
        identity = identity.rsplit("\\", 1)[0] if "\\" in identity else ""
    object_id = _text(record, "ObjectId")
    object_mailbox = object_id.rsplit("\\", 1)[0] if "\\" in object_id else object_id
    if operation == "UpdateInboxRules":
        object_mailbox = ""

    candidates = [
        parameters.get("Mailbox", ""),
        _text(record, "MailboxOwnerUPN"),
        identity,
        object_mailbox,
    ]
    candidates = [c.strip().lower() for c in candidates if c and c.strip()]
    for candidate in candidates:
        if "@" in candidate:
            return candidate
    actor_alias = actor.split("@", 1)[0]
    for candidate in candidates:
        alias = candidate.rsplit("/", 1)[-1]
        # NOTE: an alias that differs from the actor's is kept as written, not resolved.
        return actor if alias == actor_alias else candidate
    return actor
