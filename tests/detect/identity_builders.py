"""Synthetic consent and deletion events for the identity-side model tests."""

from __future__ import annotations

import hashlib
from datetime import datetime

from chainwatch.events import AppConsent, MailboxItemsDeleted, Origin


def _event_id(prefix: str, *parts: object) -> str:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:16]
    return f"{prefix}:{digest}"


def consent(
    user: str,
    time: datetime,
    *,
    app_name: str = "Mail Sorter",
    app_id: str = "a1b2c3d4-0000-4000-8000-00000000aaaa",
    scopes: tuple[str, ...] = ("Mail.Read", "offline_access"),
    admin_consent: bool = False,
    ip: str | None = "198.51.100.10",
) -> AppConsent:
    """A ``Consent to application.`` audit record."""
    return AppConsent(
        event_id=_event_id("ual", user, time.isoformat(), app_id, scopes),
        time=time,
        source="ual-json",
        origin=Origin("synthetic/ual", ""),
        user=user,
        app_name=app_name,
        app_id=app_id,
        scopes=scopes,
        admin_consent=admin_consent,
        ip=ip,
    )


def deletion(
    mailbox: str,
    time: datetime,
    *,
    folder: str | None = "Sent Items",
    items: int = 5,
    ip: str | None = "198.51.100.10",
    operation: str = "MoveToDeletedItems",
) -> MailboxItemsDeleted:
    """A mailbox item deletion audit record by the mailbox owner."""
    return MailboxItemsDeleted(
        event_id=_event_id("ual", mailbox, time.isoformat(), folder, items),
        time=time,
        source="ual-json",
        origin=Origin("synthetic/ual", ""),
        user=mailbox,
        mailbox=mailbox,
        operation=operation,
        folder=folder,
        item_count=items,
        subjects=tuple(f"Invoice {n}" for n in range(min(items, 3))),
        ip=ip,
    )
