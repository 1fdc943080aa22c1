"""Charset handling for mail: label aliases, tolerant decoding and RFC 2047 encoded words.

Mail in the wild carries charset labels that Python does not know (``uft-8``, ``1``)
or maps to a codec that is too narrow. For example, the standard library maps
``ks_c_5601-1987`` to ``euc_kr``, which cannot decode the CP949-only syllables that
Outlook sends under that label.
Nothing here raises for a bad label or bad bytes: decoding falls back and the caller
gets a defect string to record instead.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re

# Labels Python does not know, or maps to a narrower codec than mail senders mean.
LABEL_ALIASES: dict[str, str] = {
    "ks_c_5601-1987": "cp949",
    "ks_c_5601-1989": "cp949",
    "x-sjis": "cp932",
    "x-gbk": "gbk",
}

# Codecs replaced by their superset, because text labelled with the narrow one often
# uses the wider one's characters. The pairs follow the WHATWG Encoding Standard label
# table, which browsers apply to the same mislabelled text.
CODEC_WIDENINGS: dict[str, str] = {
    "euc_kr": "cp949",
    "gb2312": "gbk",
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "iso8859-9": "cp1254",
    "tis-620": "cp874",
    "iso8859-11": "cp874",
    "shift_jis": "cp932",
}

FALLBACK_CHARSET = "cp1252"

# An encoded word anywhere in a header, also glued to the text before or after it, as
# the ``email.policy.default`` header parser accepts it. Language tags (``utf-8*en``)
# are allowed in the charset.
_ENCODED_WORD = re.compile(r"=\?([^?\s]*)\?([bBqQ])\?(.*?)\?=")
_QP_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")


def normalise_label(label: str | None) -> str:
    """Return a charset label trimmed, unquoted and lower-cased, or ``""`` if absent."""
    if not label:
        return ""
    return label.strip().strip("\"'").strip().lower()


def resolve_codec(label: str | None) -> str | None:
    """Return the Python text codec for a mail charset label, or ``None`` if unknown.

    Codecs that do not turn bytes into text (``base64``, ``rot13``, ``zlib``) count as
    unknown, because ``codecs.lookup`` accepts their names.
    """
    name = normalise_label(label)
    if not name:
        return None
    name = LABEL_ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True):
        return None
    return CODEC_WIDENINGS.get(info.name, info.name)


def decode_bytes(data: bytes, label: str | None) -> tuple[str, str | None]:
    """Decode ``data`` labelled with charset ``label``, never raising.

    Returns the text and a defect string (``"charset:<label>"``) when the label is
    unknown. Unknown labels are tried as strict UTF-8 first, then as cp1252 with
    replacement characters. A missing label is treated as unknown but without a defect.
    """
    codec = resolve_codec(label)
    if codec is not None:
        return data.decode(codec, errors="replace"), None

    label_text = " ".join(normalise_label(label).split())[:40]
    defect = f"charset:{label_text}" if label_text else None
    try:
        return data.decode("utf-8"), defect
    except UnicodeDecodeError:
        return data.decode(FALLBACK_CHARSET, errors="replace"), defect


def decode_raw_header(value: str) -> str:
    """Turn a header value from the compat32 bytes parser into real text.

    The parser keeps non-ASCII header bytes as lone surrogates. They are UTF-8 in
    modern mail (RFC 6532) and usually cp1252 in old mail.
    """
    if value.isascii():
        return value
    raw = value.encode("utf-8", errors="surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode(FALLBACK_CHARSET, errors="replace")


def _decode_word_payload(encoding: str, payload: str) -> bytes:
    if encoding in "bB":
        compact = "".join(payload.split())
        compact += "=" * (-len(compact) % 4)
        try:
            return base64.b64decode(compact, validate=False)
        except (binascii.Error, ValueError):
            return payload.encode("ascii", errors="replace")
    raw = payload.replace("_", " ").encode("utf-8", errors="surrogateescape")
    return _QP_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)


def decode_encoded_words(value: str, defects: list[str] | None = None) -> str:
    """Decode RFC 2047 encoded words in an unfolded header value.

    Whitespace between two adjacent encoded words is dropped, as RFC 2047 section 6.2
    requires, and adjacent words in the same charset are joined before decoding, so
    a multi-byte character split across two words survives. An encoded word glued to
    plain text and an empty encoded word decode as ``email.policy.default`` decodes
    them. Unknown charsets add a ``charset:<label>`` entry to ``defects``.
    """
    if "=?" not in value:
        return value

    pieces: list[str] = []
    pending_label: str | None = None
    pending_bytes = bytearray()
    position = 0

    def flush() -> None:
        nonlocal pending_label
        if pending_label is None:
            return
        text, defect = decode_bytes(bytes(pending_bytes), pending_label.split("*", 1)[0])
        if defect and defects is not None and defect not in defects:
            defects.append(defect)
        pieces.append(text)
        pending_label = None
        pending_bytes.clear()

    for match in _ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        label, encoding, payload = match.groups()
        if between and not (pending_label is not None and between.isspace()):
            flush()
            pieces.append(between)
        if pending_label is not None and normalise_label(label) != normalise_label(pending_label):
            flush()
        if pending_label is None:
            pending_label = label
        pending_bytes.extend(_decode_word_payload(encoding, payload))
        position = match.end()

    flush()
    pieces.append(value[position:])
    return "".join(pieces)
