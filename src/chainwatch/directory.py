"""Account identity: map every alias an account appears under to one name.

Logs name the same person by user principal name, object id GUID, PUID or an old
address (a UAL ``UserId`` can be an object id while the sign-in log has the UPN). With
a directory export read, :class:`Directory` rewrites those aliases to the UPN before
scoring, so one person has one baseline. Without one, names pass through unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from chainwatch.events import (
    DirectoryEntry,
    EmailMessage,
    Event,
    FileAccess,
    LinkClick,
    MailboxRuleChange,
    MailSent,
    SignIn,
)


class Directory:
    """Alias-to-UPN lookup and per-account flags from directory entries."""

    def __init__(self, entries: Iterable[DirectoryEntry] = ()) -> None:
        self.entries: dict[str, DirectoryEntry] = {}
        self._canonical: dict[str, str] = {}
        for entry in entries:
            self.add(entry)

    def add(self, entry: DirectoryEntry) -> None:
        upn = entry.upn.lower()
        self.entries[upn] = entry
        self._canonical[upn] = upn
        for alias in entry.aliases:
            self._canonical.setdefault(alias.lower(), upn)

    def __len__(self) -> int:
        return len(self.entries)

    def canonical(self, name: str | None) -> str | None:
        """Return the UPN ``name`` stands for, or ``name`` itself when unknown."""
        if not name:
            return name
        return self._canonical.get(name.lower(), name)

    def entry(self, account: str) -> DirectoryEntry | None:
        return self.entries.get(account.lower())

    def canonicalise(self, event: Event) -> Event:
        """Return ``event`` with its account names replaced by their UPNs."""
        if not self._canonical:
            return event
        if isinstance(event, SignIn | FileAccess | LinkClick):
            user = self.canonical(event.user)
            return event if user == event.user else replace(event, user=user)
        if isinstance(event, MailboxRuleChange):
            actor, mailbox = self.canonical(event.actor), self.canonical(event.mailbox)
            if (actor, mailbox) == (event.actor, event.mailbox):
                return event
            return replace(event, actor=actor, mailbox=mailbox)
        if isinstance(event, EmailMessage | MailSent):
            sender = self.canonical(event.sender)
            recipients = tuple(dict.fromkeys(self.canonical(r) or r for r in event.recipients))
            if sender == event.sender and recipients == event.recipients:
                return event
            return replace(event, sender=sender, recipients=recipients)
        return event
