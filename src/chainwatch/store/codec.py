"""JSON and text encoding for values that go into the store.

Readers keep attacker-controlled text verbatim, so strings may contain NUL characters
and lone surrogates (from ``surrogateescape`` decoding of undecodable bytes). Neither
survives every backend as is: PostgreSQL ``text`` rejects NUL, and both drivers reject
lone surrogates because they cannot be encoded as UTF-8. JSON payloads keep such
strings exactly (as ``\\u`` escapes). Plain text columns use :func:`column_text`,
which makes them storable at the cost of an escape.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from enum import Enum
from typing import Any, overload

import orjson


def dumps_json(value: Any) -> str:
    """Serialise ``value`` as JSON text, keeping lone surrogates and NUL as escapes.

    Raises ``TypeError`` for a value neither encoder can serialise.
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")
    except TypeError:
        # orjson rejects lone surrogates and integers beyond 64 bits. The standard
        # encoder writes both, with ensure_ascii escaping every surrogate as \udcXX.
        return json.dumps(value, ensure_ascii=True, default=_plain_default)


def loads_json(text: str) -> Any:
    """Parse JSON text written by :func:`dumps_json`."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        # orjson rejects escaped lone surrogates, which dumps_json writes on purpose.
        return json.loads(text)


def _plain_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


@overload
def column_text(value: str) -> str: ...
@overload
def column_text(value: None) -> None: ...
@overload
def column_text(value: str | None) -> str | None: ...
def column_text(value: str | None) -> str | None:
    """Return ``value`` in a form every backend stores in a text column.

    NUL becomes the four characters ``\\x00`` and a lone surrogate its ``\\udcXX``
    escape, so such values are altered but stay distinct from ordinary text. Valid
    text without NUL is returned unchanged.
    """
    if value is None:
        return None
    if "\x00" in value:
        value = value.replace("\x00", "\\x00")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value
