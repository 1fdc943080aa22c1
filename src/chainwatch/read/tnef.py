"""Attachment names and body links of TNEF data (``winmail.dat``, ``application/ms-tnef``).

Outlook wraps a rich-text message's attachments and body in TNEF, so a lure can hide
its HTML page or link inside ``winmail.dat``. Decoding is done by ``tnefparse``
(LGPL-3.0, used unmodified as a dependency), and a compressed RTF body is expanded by
``compressed-rtf`` (MIT).

tnefparse 1.4.0 trusts the property counts in the data: a count of four billion
makes it loop four billion times even past the end of the data. Before handing data
to it, :func:`check_tnef` walks the same structure and rejects any count that the
remaining bytes cannot hold, so decoding time stays bounded by the input size.
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass, field
from typing import Any

from tnefparse.tnef import TNEF

from chainwatch.read.mail_links import LinkCollector, anchors_in_html, urls_in_html, urls_in_text

log = logging.getLogger(__name__)

TNEF_SIGNATURE = 0x223E9F78
MAX_TNEF_BYTES = 10 * 1024 * 1024
MAX_TNEF_ATTACHMENTS = 100
MAX_EMBEDDED_DEPTH = 3

# TNEF attribute ids ([MS-OXTNEF] 2.1.3.3) whose data is a MAPI property list.
ATT_MAPI_PROPS = 0x9003
ATT_RECIP_TABLE = 0x9004
ATT_ATTACHMENT = 0x9005
# Bytes before an embedded message's own TNEF stream inside PR_ATTACH_DATA_OBJ.
IMESSAGE_SIG = b"\x07\x03\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46"

# Size in bytes of one value of each fixed-size MAPI property type.
_FIXED_SIZES = {
    0x0002: 2,
    0x000B: 2,
    0x0003: 4,
    0x0004: 4,
    0x000A: 4,
    0x0005: 8,
    0x0006: 8,
    0x0007: 8,
    0x0014: 8,
    0x0040: 8,
    0x0048: 16,
}
_VARIABLE_TYPES = frozenset({0x0000, 0x000D, 0x001E, 0x001F, 0x0102})
_MULTI_VALUE = 0x1000
_NAMED = 0x8000


class TnefError(ValueError):
    """TNEF data whose structure claims more than its bytes hold."""


@dataclass(slots=True)
class TnefContent:
    """Attachment names, body links and defects that one TNEF part adds to its message."""

    attachments: list[str] = field(default_factory=list)
    links: LinkCollector = field(default_factory=LinkCollector)
    defects: list[str] = field(default_factory=list)


def _uint32(data: bytes, offset: int) -> int:
    if offset + 4 > len(data):
        raise TnefError(f"data ends at {len(data)} bytes inside a length at {offset}")
    return int(struct.unpack_from("<I", data, offset)[0])


def _check_value(data: bytes, offset: int, prop_type: int, depth: int) -> int:
    """Check one variable-size value and return the offset after it."""
    length = _uint32(data, offset)
    offset += 4
    padded = length + (-length % 4)
    if offset + padded > len(data) + 3:
        raise TnefError(f"value of {length} bytes runs past the end of the data")
    value = data[offset : offset + length]
    if prop_type in (0x000D, 0x0102) and value.startswith(IMESSAGE_SIG):
        check_tnef(value[len(IMESSAGE_SIG) :], depth + 1)
    return offset + padded


def _check_property_list(data: bytes, offset: int, depth: int) -> int:
    """Check a MAPI property list as tnefparse will read it, and return the offset after it."""
    count = _uint32(data, offset)
    offset += 4
    if count > (len(data) - offset) // 4:
        raise TnefError(f"{count} MAPI properties announced in {len(data) - offset} bytes")
    for _ in range(count):
        if offset + 4 > len(data):
            raise TnefError("MAPI property list ends early")
        prop_type, prop_id = struct.unpack_from("<HH", data, offset)
        offset += 4
        if prop_id >= _NAMED:
            offset += 16
            if _uint32(data, offset) == 0:
                offset += 8
            else:
                name_length = _uint32(data, offset + 4)
                offset += 8 + name_length + (-name_length % 4)
        values = 1
        multi = bool(prop_type & _MULTI_VALUE)
        if multi:
            prop_type ^= _MULTI_VALUE
            values = _uint32(data, offset)
            offset += 4
        if prop_type in _FIXED_SIZES:
            size = _FIXED_SIZES[prop_type]
            if values * size > len(data) - offset + size:
                raise TnefError(f"{values} values of {size} bytes announced")
            offset += values * size
            if values % 2 and size == 2:
                offset += 2
        elif prop_type in _VARIABLE_TYPES:
            if not multi:
                values = _uint32(data, offset)
                offset += 4
            if values > (len(data) - offset) // 4 + 1:
                raise TnefError(f"{values} values announced in {len(data) - offset} bytes")
            for _ in range(values):
                offset = _check_value(data, offset, prop_type, depth)
        else:
            return offset  # tnefparse stops at an unknown type, and so does this walk
    return offset


def check_tnef(data: bytes, depth: int = 0) -> None:
    """Raise :class:`TnefError` if the counts in ``data`` are larger than its bytes allow."""
    if depth > MAX_EMBEDDED_DEPTH:
        raise TnefError(f"messages embedded deeper than {MAX_EMBEDDED_DEPTH} levels")
    if _uint32(data, 0) != TNEF_SIGNATURE:
        raise TnefError("TNEF signature missing")
    offset = 6
    while offset + 12 < len(data):
        name = struct.unpack_from("<H", data, offset + 1)[0]
        length = min(len(data) - offset, _uint32(data, offset + 5) + 11)
        payload = data[offset + 9 : offset + length - 2]
        if name in (ATT_MAPI_PROPS, ATT_ATTACHMENT):
            _check_property_list(payload, 0, depth)
        elif name == ATT_RECIP_TABLE:
            rows = _uint32(payload, 0)
            if rows > len(payload) // 4:
                raise TnefError(f"{rows} recipient rows announced in {len(payload)} bytes")
            row_offset = 4
            for _ in range(rows):
                row_offset = _check_property_list(payload, row_offset, depth)
        offset += length


def _text(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, bytes):
        return value.decode("cp1252", errors="replace")
    return value if isinstance(value, str) else ""


def _attachment_names(tnef: TNEF, content: TnefContent) -> None:
    for index, attachment in enumerate(tnef.attachments, start=1):
        if index > MAX_TNEF_ATTACHMENTS:
            content.defects.append("tnef-attachments-capped")
            return
        try:
            name = _text(attachment.long_filename())
        except (UnicodeError, ValueError, struct.error):
            name = ""
        name = " ".join(name.replace("\x00", "").split())
        content.attachments.append(name or f"tnef-attachment-{index}.bin")


def _add_body_links(tnef: TNEF, content: TnefContent) -> None:
    html = _text(tnef.htmlbody)
    if html:
        content.links.add_urls(urls_in_html(html))
        content.links.add_display_texts(anchors_in_html(html))
    body = _text(tnef.body)
    if body:
        content.links.add_urls(urls_in_text(body))
    if tnef._rtfbody:
        # RTF keeps link targets as HYPERLINK "url" fields, which plain-text search finds.
        rtf = tnef.rtfbody
        content.links.add_urls(urls_in_text(_text(rtf)[:MAX_TNEF_BYTES]))


def read_tnef(data: bytes) -> TnefContent:
    """Return the attachment names, body links and defects of TNEF ``data``.

    Never raises: broken or hostile data becomes the defect ``"tnef-invalid"``, and
    data over :data:`MAX_TNEF_BYTES` the defect ``"tnef-capped"`` without decoding.
    """
    content = TnefContent()
    if len(data) > MAX_TNEF_BYTES:
        content.defects.append("tnef-capped")
        return content
    try:
        check_tnef(data)
        tnef = TNEF(data, do_checksum=False)
        _attachment_names(tnef, content)
        _add_body_links(tnef, content)
    except Exception as exc:  # hostile input must never stop a reader, whatever it triggers
        log.debug("TNEF data could not be decoded: %s", exc)
        content.defects.append("tnef-invalid")
    return content
