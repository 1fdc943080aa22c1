"""Normalised events: the contract between the readers and every later stage.

Readers turn each source record into one of these frozen records. Enrichment returns
copies with more fields filled (``dataclasses.replace``); nothing mutates an event.
Every event carries the source's own record id in ``event_id`` (prefixed by the source
kind, so ids from different sources never collide) and is deduplicated on it.

All times are timezone-aware UTC ``datetime`` values. Addresses and user principal
names are lower-cased. Text that an attacker controls (subjects, display names, rule
names, URLs) is stored verbatim and escaped only when presented.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar


class Direction(StrEnum):
    """Direction of a message relative to the organisation's accepted domains."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INTERNAL = "internal"
    EXTERNAL = "external"  # neither side is ours: forwarded or relayed copies
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a record was read: the file and the line, row or member inside it."""

    file: str
    position: str  # "line 12", "row 4", "record 3", "message 2", or "" for a whole file


@dataclass(frozen=True, slots=True)
class Location:
    """A network location, from the record itself or from enrichment."""

    country: str | None = None  # ISO 3166-1 alpha-2, upper case
    city: str | None = None
    asn: int | None = None
    as_name: str | None = None
    network_label: str | None = None  # a ``known_networks`` label such as "office"
    source: str | None = None  # "record", "known_networks", "mmdb", "geoip2fast"


@dataclass(frozen=True, slots=True)
class Client:
    """The software that made a request, parsed from a user agent or client string."""

    user_agent: str | None = None
    family: str | None = None  # browser or client family, e.g. "Chrome", "Outlook"
    os: str | None = None  # operating system family, e.g. "Windows", "iOS"
    app: str | None = None  # the application signed in to, e.g. "Office 365 Exchange Online"
    # Entra clientAppUsed: "Browser", "Mobile Apps and Desktop clients", "IMAP4",
    # "Authenticated SMTP" and other legacy protocols that bypass modern authentication.
    protocol: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """Fields every normalised event has."""

    kind: ClassVar[str] = "event"

    event_id: str
    time: datetime
    source: str  # reader name, e.g. "ual-json", "entra-signin", "message-trace", "mail"
    origin: Origin


@dataclass(frozen=True, slots=True)
class SignIn(Event):
    """An interactive or non-interactive sign-in attempt by one account."""

    kind: ClassVar[str] = "sign-in"

    user: str
    ip: str | None
    ip_raw: str | None = None
    port: int | None = None
    location: Location = field(default_factory=Location)
    client: Client = field(default_factory=Client)
    success: bool = True
    error_code: int | None = None
    interactive: bool = True
    session_id: str | None = None
    correlation_id: str | None = None


@dataclass(frozen=True, slots=True)
class MailboxRuleChange(Event):
    """A new, changed or removed inbox rule, or mailbox-level forwarding.

    ``actor`` made the change and ``mailbox`` is whose mail the rule acts on; they
    differ when an administrator changes someone else's mailbox.
    """

    kind: ClassVar[str] = "mailbox-rule"

    actor: str
    mailbox: str
    operation: str  # New-InboxRule, Set-InboxRule, UpdateInboxRules, Set-Mailbox, ...
    rule_name: str | None = None
    ip: str | None = None
    ip_raw: str | None = None
    forward_to: tuple[str, ...] = ()
    redirect_to: tuple[str, ...] = ()
    forward_as_attachment_to: tuple[str, ...] = ()
    delete: bool = False
    move_to_folder: str | None = None  # normalised: no leading ":\\", original case
    mark_as_read: bool = False
    stop_processing: bool = False
    keywords: tuple[str, ...] = ()  # subject or body words the rule matches
    from_addresses: tuple[str, ...] = ()
    match_all: bool = False  # a condition that matches every message (empty or NUL words)
    removed: bool = False
    details_lost: bool = False  # the record was truncated and rule parameters are unknown
    parameters: tuple[tuple[str, str], ...] = ()  # the raw Name/Value pairs, in order
    location: Location = field(default_factory=Location)


@dataclass(frozen=True, slots=True)
class FileAccess(Event):
    """A file or mailbox item read, previewed, downloaded or synced by one account."""

    kind: ClassVar[str] = "file-access"

    user: str
    operation: str  # FileAccessed, FileDownloaded, MailItemsAccessed, ...
    ip: str | None = None
    ip_raw: str | None = None
    object_id: str | None = None  # URL, path or folder
    workload: str | None = None
    item_count: int = 1
    throttled: bool = False
    access_type: str | None = None  # MailItemsAccessed: "Bind" (one item) or "Sync" (a folder)
    message_ids: tuple[str, ...] = ()  # Internet Message-IDs of mail items read, when logged
    client: Client = field(default_factory=Client)
    location: Location = field(default_factory=Location)
    app_id: str | None = None  # the application that read on the user's behalf (ClientAppId)


@dataclass(frozen=True, slots=True)
class Link:
    """One URL found in a message, with its host split for baselines."""

    url: str
    host: str
    registered_domain: str | None = None
    display_text: str | None = None


@dataclass(frozen=True, slots=True)
class AuthResults:
    """SPF, DKIM and DMARC verdicts from ``Authentication-Results``; ``None`` if absent."""

    spf: str | None = None
    dkim: str | None = None
    dmarc: str | None = None
    available: bool = True  # False where the export has no headers to judge by


@dataclass(frozen=True, slots=True)
class EmailMessage(Event):
    """One email message with its content: an .eml, an mbox member or a Maildir file."""

    kind: ClassVar[str] = "email"

    message_id: str | None  # Message-ID without angle brackets, lower-cased
    sender: str | None  # From address
    sender_name: str | None = None
    envelope_sender: str | None = None  # Return-Path or Sender
    reply_to: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()  # To, Cc and Bcc addresses, deduplicated
    subject: str | None = None
    links: tuple[Link, ...] = ()
    attachments: tuple[str, ...] = ()
    auth: AuthResults = field(default_factory=AuthResults)
    sending_ip: str | None = None  # the first external hop in Received
    is_bulk: bool = False  # List-Unsubscribe, Precedence: bulk/list, Feedback-ID
    date_source: str = "date"  # "date", "received" or "file"
    nested_depth: int = 0  # 1 for a message forwarded as an attachment
    defects: tuple[str, ...] = ()
    direction: Direction = Direction.UNKNOWN
    network_message_id: str | None = None  # Exchange Online's id, shared by Defender tables
    delivery_action: str | None = None  # Defender verdict: Delivered, Junked, Blocked, ...
    # The start of the plain text (or text of the HTML), whitespace collapsed, for content
    # cues such as a payment-change request; bounded by the reader, never logged.
    text_excerpt: str | None = None
    attachment_types: tuple[str, ...] = ()  # content types of the attachments, in order


@dataclass(frozen=True, slots=True)
class MailSent(Event):
    """A message trace row or audited send: who sent to whom, without the content."""

    kind: ClassVar[str] = "mail-sent"

    sender: str
    recipients: tuple[str, ...]
    message_id: str | None = None
    subject: str | None = None
    status: str | None = None
    from_ip: str | None = None
    size: int | None = None
    direction: Direction = Direction.UNKNOWN


@dataclass(frozen=True, slots=True)
class MessageLinks(Event):
    """Links of one message reported apart from the message (Defender EmailUrlInfo).

    The pipeline attaches them to the :class:`EmailMessage` with the same
    ``network_message_id`` before scoring.
    """

    kind: ClassVar[str] = "email-links"

    network_message_id: str
    links: tuple[Link, ...] = ()


@dataclass(frozen=True, slots=True)
class LinkClick(Event):
    """A user clicking a link in a message (Defender UrlClickEvents, Safe Links)."""

    kind: ClassVar[str] = "link-click"

    user: str
    url: str
    host: str
    ip: str | None = None
    ip_raw: str | None = None
    action: str | None = None  # ClickAllowed, ClickBlocked, ClickBlockedByTenantPolicy, ...
    clicked_through: bool = False  # the user went on past a warning page
    network_message_id: str | None = None
    workload: str | None = None  # Email, Office, Teams
    registered_domain: str | None = None
    location: Location = field(default_factory=Location)


@dataclass(frozen=True, slots=True)
class AppConsent(Event):
    """A user or administrator granting an application access (OAuth consent)."""

    kind: ClassVar[str] = "app-consent"

    user: str  # who consented
    app_name: str | None = None
    app_id: str | None = None
    scopes: tuple[str, ...] = ()  # permissions granted, e.g. Mail.Read, offline_access
    admin_consent: bool = False  # consented for the whole organisation
    ip: str | None = None
    location: Location = field(default_factory=Location)


@dataclass(frozen=True, slots=True)
class MailboxItemsDeleted(Event):
    """Mail items deleted or moved to Deleted Items (SoftDelete, HardDelete, ...)."""

    kind: ClassVar[str] = "mail-delete"

    user: str  # who deleted
    mailbox: str  # whose mailbox
    operation: str  # SoftDelete, HardDelete, MoveToDeletedItems
    folder: str | None = None  # the folder the items were in, e.g. "Sent Items"
    item_count: int = 1
    subjects: tuple[str, ...] = ()  # subjects of the deleted items, when logged (bounded)
    ip: str | None = None
    location: Location = field(default_factory=Location)


EVENT_TYPES: dict[str, type[Event]] = {
    cls.kind: cls
    for cls in (
        SignIn,
        MailboxRuleChange,
        FileAccess,
        EmailMessage,
        MailSent,
        MessageLinks,
        LinkClick,
        AppConsent,
        MailboxItemsDeleted,
    )
}


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """One person or mailbox from a directory export (CSV or Graph users JSON).

    Not an event: the pipeline uses entries to map every alias an account appears under
    (object id, PUID, proxy addresses, earlier UPNs) to one user principal name, and
    models read the flags.
    """

    upn: str  # lower-cased user principal name, the canonical account name
    origin: Origin
    aliases: tuple[str, ...] = ()  # lower-cased object ids, PUIDs, SMTP addresses
    display_name: str | None = None
    department: str | None = None
    manager: str | None = None  # the manager's UPN when known
    is_vip: bool = False
    is_shared_mailbox: bool = False
    is_service_account: bool = False


def event_to_dict(event: Event) -> dict[str, Any]:
    """Convert an event into plain JSON-ready values, with its kind under ``"kind"``."""
    out = _to_plain(event)
    out["kind"] = event.kind
    return out


def _to_plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple):
        return [_to_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def event_from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event stored by :func:`event_to_dict`.

    Raises ``KeyError`` for an unknown kind and ``TypeError`` for missing fields.
    """
    cls = EVENT_TYPES[data["kind"]]
    return _from_plain(cls, data)


_NESTED: dict[str, type] = {
    "origin": Origin,
    "location": Location,
    "client": Client,
    "auth": AuthResults,
}


def _from_plain(cls: type, data: dict[str, Any]) -> Any:
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        if f.name in _NESTED and isinstance(value, dict):
            value = _NESTED[f.name](**value)
        elif f.name == "links":
            value = tuple(Link(**v) for v in value)
        elif f.name == "time":
            value = datetime.fromisoformat(value)
        elif f.name == "direction":
            value = Direction(value)
        elif isinstance(value, list):
            value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        kwargs[f.name] = value
    return cls(**kwargs)
