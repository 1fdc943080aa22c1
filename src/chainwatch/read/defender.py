"""Reader for Defender XDR email tables: streaming API records and Advanced Hunting exports.

Two shapes carry the same columns:

- the streaming API (Event Hub or storage), one envelope per row with ``category``
  ``AdvancedHunting-<Table>`` and the row under ``properties``;
- an Advanced Hunting or Sentinel query result exported as CSV or JSON, where the table
  is named by a ``Type`` column (Sentinel) or inferred from the columns present.

``EmailEvents``, ``EmailUrlInfo`` and ``UrlClickEvents`` become events (see
:mod:`chainwatch.read.defender_tables`); rows of other tables are skipped by name.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chainwatch.events import Origin
from chainwatch.read.base import ReadItem, Skipped
from chainwatch.read.defender_tables import DefenderRows, table_name
from chainwatch.read.envelope import is_mixed_capture
from chainwatch.read.siem_table import (
    TableRow,
    csv_columns,
    is_json_text,
    iter_table_rows,
    lower_keys,
    text,
)
from chainwatch.read.ual_input import decode_head

STREAMING_PREFIX = "advancedhunting-"
_JSON_MARKERS = ('"networkmessageid"', '"isclickedthrough"')
_CSV_MARKERS = (
    frozenset({"networkmessageid"}),
    frozenset({"accountupn", "url", "actiontype"}),
)


class DefenderReader:
    """Reads Defender XDR email, URL and click rows from the streaming API or exports."""

    name = "defender"

    def sniff(self, head: bytes, path: str) -> bool:
        if is_mixed_capture(head):
            return False  # the Azure Monitor reader reads every family of such a file
        text_head = decode_head(head)
        lowered = text_head.lower()
        if is_json_text(head):
            if f'"{STREAMING_PREFIX}' in lowered:
                return True
            if '"timestamp"' not in lowered:
                return False
            if any(m in lowered for m in _JSON_MARKERS):
                return True
            # Rows of other Advanced Hunting tables, read only to be skipped by name.
            return '"actiontype"' in lowered and (
                '"reportid"' in lowered or '"deviceid"' in lowered
            )
        columns = {name.lower() for name in csv_columns(text_head)}
        return "timestamp" in columns and any(m <= columns for m in _CSV_MARKERS)

    def read(self, path: Path) -> Iterator[ReadItem]:
        rows = DefenderRows(self.name)
        for item in iter_table_rows(path):
            if isinstance(item, TableRow):
                yield from defender_row(rows, item.fields, item.origin, item.raw)
            else:
                yield item
        yield from rows.finish()


def defender_row(
    rows: DefenderRows, record: dict[str, Any], origin: Origin, raw: bytes
) -> Iterator[ReadItem]:
    """Map one streaming envelope or exported row through ``rows``."""
    fields = lower_keys(record)
    category = text(fields.get("category"))
    properties = fields.get("properties")
    if category and isinstance(properties, dict):
        if not category.lower().startswith(STREAMING_PREFIX):
            yield from rows.finish()
            yield Skipped(origin, f"Azure Monitor {category} record")
            return
        declared = category[len(STREAMING_PREFIX) :]
        fields = lower_keys(properties)
    else:
        declared = text(fields.get("type"))

    table = table_name(declared, fields)
    if table is None:
        yield from rows.finish()
        action = text(fields.get("actiontype"))
        detail = f" (ActionType {action})" if action else ""
        yield Skipped(origin, f"Defender Advanced Hunting row of an unrecognised table{detail}")
        return
    yield from rows.add(table, fields, origin, raw)
