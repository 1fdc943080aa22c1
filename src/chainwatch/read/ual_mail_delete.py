"""Map Exchange mailbox item deletions in the Unified Audit Log to events.

``SoftDelete`` (into Recoverable Items), ``HardDelete`` (purged) and ``MoveToDeletedItems``
name the folder the items were in under ``Folder.Path`` (``\\Sent Items``) and list them
in ``AffectedItems[]`` with ``Subject`` and ``ParentFolder.Path``. ``UserId`` deleted the
items and ``MailboxOwnerUPN`` owns the mailbox; they differ for delegates and admins.
"""

from __future__ import annotations

from typing import Any

from chainwatch.events import MailboxItemsDeleted
from chainwatch.read.ip import parse_ip

DELETE_OPERATIONS = frozenset({"SoftDelete", "HardDelete", "MoveToDeletedItems"})
MAX_SUBJECTS = 50
MAX_SUBJECT_CHARS = 200


def mail_delete(
    record: dict[str, Any], operation: str, user: str, common: dict[str, Any]
) -> MailboxItemsDeleted:
    """Build a :class:`MailboxItemsDeleted` from one deletion record."""
    affected = record.get("AffectedItems")
    items = [i for i in affected if isinstance(i, dict)] if isinstance(affected, list) else []
    folder = _folder_path(record.get("Folder"))
    if folder is None:
        folder = next((p for p in (_folder_path(i.get("ParentFolder")) for i in items) if p), None)
    subjects = [
        i["Subject"][:MAX_SUBJECT_CHARS]
        for i in items
        if isinstance(i.get("Subject"), str) and i["Subject"].strip()
    ]
    owner = record.get("MailboxOwnerUPN")
    mailbox = owner.strip().lower() if isinstance(owner, str) and owner.strip() else user
    ip_raw = record.get("ClientIP") or record.get("ClientIPAddress")
    ip, _ = parse_ip(ip_raw if isinstance(ip_raw, str) else None)
    return MailboxItemsDeleted(
        **common,
        user=user,
        mailbox=mailbox,
        operation=operation,
        folder=folder,
        item_count=len(items) or 1,
        subjects=tuple(subjects[:MAX_SUBJECTS]),
        ip=ip,
    )


def _folder_path(value: Any) -> str | None:
    """Return a folder path without its leading backslash: ``\\Sent Items`` is ``Sent Items``."""
    if not isinstance(value, dict) or not isinstance(value.get("Path"), str):
        return None
    return value["Path"].strip().lstrip("\\").strip() or None
