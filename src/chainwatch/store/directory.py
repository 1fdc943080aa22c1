"""Directory entries: one row per user principal name, the entry kept as JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chainwatch.errors import StoreError
from chainwatch.events import DirectoryEntry, Origin
from chainwatch.store.batch import Row
from chainwatch.store.codec import column_text, dumps_json, loads_json

_FLAGS = ("is_vip", "is_shared_mailbox", "is_service_account")
_OPTIONAL_TEXT = ("display_name", "department", "manager")


def entry_to_dict(entry: DirectoryEntry) -> dict[str, Any]:
    """Convert ``entry`` into plain JSON-ready values, ``origin`` as {file, position}."""
    return {
        "upn": entry.upn,
        "origin": {"file": entry.origin.file, "position": entry.origin.position},
        "aliases": list(entry.aliases),
        **{name: getattr(entry, name) for name in _OPTIONAL_TEXT},
        **{name: getattr(entry, name) for name in _FLAGS},
    }


def entry_from_dict(data: dict[str, Any]) -> DirectoryEntry:
    """Rebuild an entry from :func:`entry_to_dict` output.

    Raises ``KeyError`` for a missing ``upn`` or ``origin`` and ``TypeError`` or
    ``ValueError`` for values of the wrong type.
    """
    origin = data["origin"]
    aliases = data.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise TypeError(f"'aliases' must be a list of strings, got {aliases!r}")
    for name in _FLAGS:
        if not isinstance(data.get(name, False), bool):
            raise TypeError(f"{name!r} must be true or false, got {data[name]!r}")
    return DirectoryEntry(
        upn=_text(data["upn"], "upn"),
        origin=Origin(
            file=_text(origin["file"], "file"), position=_text(origin["position"], "position")
        ),
        aliases=tuple(aliases),
        **{name: _optional_text(data.get(name), name) for name in _OPTIONAL_TEXT},
        **{name: data.get(name, False) for name in _FLAGS},
    )


def directory_row(entry: DirectoryEntry, run_id: int, updated_at: datetime) -> Row:
    """Build the ``directory`` row for ``entry``, or raise :class:`StoreError` if it is invalid."""
    if not isinstance(entry.upn, str) or not entry.upn:
        raise StoreError(
            f"directory entry from {entry.origin.file} {entry.origin.position}: "
            f"field 'upn' must be a non-empty string, got {entry.upn!r}"
        )
    try:
        payload = dumps_json(entry_to_dict(entry))
    except TypeError as exc:
        raise StoreError(f"directory entry {entry.upn!r}: cannot serialise as JSON: {exc}") from exc
    return {
        "upn": column_text(entry.upn),
        "run_id": run_id,
        "payload": payload,
        "updated_at": updated_at,
    }


def decode_entry(upn: str, payload: str) -> DirectoryEntry:
    """Rebuild a stored entry, or raise :class:`StoreError` naming its ``upn``."""
    try:
        return entry_from_dict(loads_json(payload))
    except (KeyError, TypeError, ValueError) as exc:
        raise StoreError(
            f"stored directory entry {upn!r} has an invalid payload "
            f"({type(exc).__name__}: {exc}); it was written by another chainwatch "
            "version or changed by hand"
        ) from exc


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name!r} must be a string, got {value!r}")
    return value


def _optional_text(value: Any, name: str) -> str | None:
    return None if value is None else _text(value, name)
