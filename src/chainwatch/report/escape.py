"""Make attacker-controlled text safe to print on a terminal or embed in a report.

Subjects, display names, rule names and URLs can carry ANSI escape sequences, carriage
returns that overwrite earlier output, and Unicode bidirectional controls that reorder
what the reader sees. :func:`safe_text` replaces every such character with a visible
escape and shortens overlong values.
"""

from __future__ import annotations

import unicodedata

MAX_FIELD_CHARS = 300
_BIDI_AND_INVISIBLE = {
    *range(0x200B, 0x2010),  # zero-width spaces and joiners, LRM, RLM
    *range(0x202A, 0x202F),  # embeddings and overrides
    *range(0x2066, 0x206A),  # isolates
    0xFEFF,
}


def safe_text(value: object, limit: int = MAX_FIELD_CHARS) -> str:
    """Return ``value`` as one printable line: control characters escaped, length capped."""
    text = "" if value is None else str(value)
    out: list[str] = []
    for char in text:
        code = ord(char)
        if code in _BIDI_AND_INVISIBLE or (
            unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") and char != " "
        ):
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    result = "".join(out)
    if len(result) > limit:
        result = result[: limit - 1] + "…"
    return result
