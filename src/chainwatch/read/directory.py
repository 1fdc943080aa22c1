"""Reader for directory exports: who each account is, under every name it appears as.

Inputs:

- CSV from the Entra admin center "Download users" (camelCase columns) or from
  ``Get-MgUser | Export-Csv`` / ``Get-MsolUser | Export-Csv`` (PascalCase columns,
  ``ObjectId`` and ``ImmutableId`` in the older modules);
- Microsoft Graph ``/users`` JSON: ``{"value": [...]}`` pages, arrays or JSON lines.

Column names are matched without regard to case, spaces, underscores or hyphens, so
"User principal name" and "userPrincipalName" are the same column. Every row becomes a
:class:`~chainwatch.events.DirectoryEntry` whose aliases (object id, mail, every proxy
address, immutable id, PUID, NetId) are lower-cased for lookups.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chainwatch.events import DirectoryEntry, Origin
from chainwatch.read.base import Notice, ReadItem, Rejected
from chainwatch.read.siem_table import TableRow, csv_columns, is_json_text, iter_table_rows, text
from chainwatch.read.ual_input import FieldError, decode_head, is_truthy, load_json

# Columns whose values are other names of the same account, normalised.
ALIAS_COLUMNS = ("id", "objectid", "mail", "onpremisesimmutableid", "immutableid", "puid", "netid")
# Columns found in log exports but never in a user list: their presence means the file
# is a message trace, audit log or sign-in export, not a directory.
_LOG_COLUMNS = frozenset(
    {"auditdata", "recipientaddress", "senderaddress", "operation", "operations", "ipaddress"}
)
_USER_COLUMNS = frozenset(
    {
        "id",
        "objectid",
        "mail",
        "proxyaddresses",
        "displayname",
        "accountenabled",
        "usertype",
        "onpremisesimmutableid",
        "immutableid",
        "recipienttypedetails",
    }
)
_JSON_USER_KEYS = ('"proxyaddresses"', '"accountenabled"', '"displayname"', '"mail"')
_JSON_LOG_KEYS = ('"ipaddress"', '"operation"', '"creationtime"', '"recipientaddress"')
# A PowerShell array written by Export-Csv without -join: the addresses are lost.
_UNEXPANDED_ARRAY = re.compile(r"^System\.(String|Object)\[\]$")
_PROXY_SEPARATORS = re.compile(r"[;\r\n]+")


def column_key(name: str) -> str:
    """Normalise a column name: lower case without spaces, underscores or hyphens."""
    return re.sub(r"[\s_\-]+", "", name).lower()


class DirectoryReader:
    """Reads user directory exports (Entra CSV, Get-MgUser CSV, Graph users JSON)."""

    name = "directory"

    def sniff(self, head: bytes, path: str) -> bool:
        text_head = decode_head(head)
        if is_json_text(head):
            lowered = text_head.lower()
            return (
                '"userprincipalname"' in lowered
                and any(key in lowered for key in _JSON_USER_KEYS)
                and not any(key in lowered for key in _JSON_LOG_KEYS)
            )
        columns = {column_key(name) for name in csv_columns(text_head)}
        return (
            "userprincipalname" in columns
            and bool(columns & _USER_COLUMNS)
            and not columns & _LOG_COLUMNS
        )

    def read(self, path: Path) -> Iterator[ReadItem]:
        unexpanded = 0
        rows = 0
        for item in iter_table_rows(path):
            if not isinstance(item, TableRow):
                yield item
                continue
            rows += 1
            fields = {column_key(str(key)): value for key, value in item.fields.items()}
            if _UNEXPANDED_ARRAY.match(text(fields.get("proxyaddresses"))):
                unexpanded += 1
            try:
                yield directory_entry(fields, item.origin)
            except FieldError as exc:
                record_id = text(fields.get("id")) or text(fields.get("objectid")) or None
                yield Rejected(
                    item.origin, exc.reason, field=exc.field, record_id=record_id, raw=item.raw
                )
        if unexpanded:
            message = (
                f"proxyAddresses holds 'System.String[]' in {unexpanded} of {rows} rows, so "
                "those accounts lack their SMTP aliases; export again with "
                "@{n='ProxyAddresses';e={$_.ProxyAddresses -join ';'}}"
            )
            yield Notice(Origin(str(path), ""), message, kind="data-loss")


def directory_entry(fields: dict[str, Any], origin: Origin) -> DirectoryEntry:
    """Build a :class:`DirectoryEntry` from one row with normalised column names."""
    upn = text(fields.get("userprincipalname")).lower()
    if not upn:
        raise FieldError("userPrincipalName", "missing")

    aliases: dict[str, None] = {}
    for column in ALIAS_COLUMNS:
        value = text(fields.get(column)).lower()
        if value and value != upn:
            aliases[value] = None
    for address in proxy_addresses(fields.get("proxyaddresses")):
        if address != upn:
            aliases[address] = None

    return DirectoryEntry(
        upn=upn,
        origin=origin,
        aliases=tuple(aliases),
        display_name=text(fields.get("displayname")) or None,
        department=text(fields.get("department")) or None,
        manager=_manager(fields.get("manager")),
        is_vip=_flag(fields, "vip", "isvip"),
        is_shared_mailbox=(
            text(fields.get("recipienttypedetails")).lower() == "sharedmailbox"
            or _flag(fields, "shared", "isshared", "issharedmailbox")
        ),
        is_service_account=_flag(fields, "service", "isserviceaccount", "serviceaccount"),
    )


def proxy_addresses(value: Any) -> list[str]:
    """Return proxy addresses without their type prefix (``SMTP:``, ``smtp:``, ``SIP:``).

    Accepts a list (Graph JSON), JSON text of a list, or ``;``-separated text.
    """
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            value = load_json(value.strip(), "proxyAddresses")
        except FieldError:
            value = value.strip().strip("[]")
    if isinstance(value, list):
        entries = [text(entry) for entry in value]
    elif isinstance(value, str) and not _UNEXPANDED_ARRAY.match(value.strip()):
        entries = _PROXY_SEPARATORS.split(value)
    else:
        entries = []

    found: list[str] = []
    for entry in entries:
        entry = entry.strip().strip("\"'")
        prefix, colon, rest = entry.partition(":")
        address = rest if colon and prefix.isalnum() else entry
        address = address.strip().lower()
        if address and address not in found:
            found.append(address)
    return found


def _manager(value: Any) -> str | None:
    if isinstance(value, dict):  # Graph $expand=manager
        lowered = {str(key).lower(): item for key, item in value.items()}
        value = lowered.get("userprincipalname") or lowered.get("displayname")
    name = text(value)
    if "@" in name:
        return name.lower()
    # NOTE: a manager given by display name is kept as written; the pipeline cannot
    # resolve it to an account unless display names are unique.
    return name or None


def _flag(fields: dict[str, Any], *columns: str) -> bool:
    return any(is_truthy(fields.get(column)) for column in columns)
