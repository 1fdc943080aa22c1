"""Reader for Log Analytics and Sentinel table exports (portal CSV, JSON arrays or lines).

- ``SigninLogs`` and ``AADNonInteractiveUserSignInLogs`` become sign-ins, timed by
  ``CreatedDateTime``, because ``TimeGenerated`` is when Log Analytics ingested the row.
- ``OfficeActivity`` rows are turned back into Unified Audit Log records and mapped by
  the UAL reader's own functions. ``OfficeId`` is the UAL ``Id``, so one record read
  from both sources gets one ``event_id``.
- ``EmailEvents``, ``EmailUrlInfo`` and ``UrlClickEvents`` go to the Defender mapping.
- ``AuditLogs`` rows of OAuth consent become app consents; other activities and every
  other table are skipped, naming the activity or table.

The table comes from the ``Type`` column or, where a query dropped or replaced it, from
the columns present.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chainwatch.read.base import ReadItem, Rejected, Skipped
from chainwatch.read.defender_tables import DefenderRows, table_name
from chainwatch.read.entra_audit import entra_audit_item
from chainwatch.read.siem_office_activity import office_activity_item
from chainwatch.read.siem_table import (
    TableRow,
    csv_columns,
    is_json_text,
    iter_table_rows,
    lower_keys,
    table_time,
    text,
)
from chainwatch.read.signin import USER_SIGN_IN_CATEGORIES, sign_in_event
from chainwatch.read.ual_input import FieldError, decode_head

_SIGN_IN_COLUMNS = frozenset({"createddatetime", "userprincipalname"})
_AUDIT_COLUMNS = frozenset({"operationname", "initiatedby"})


class LogAnalyticsReader:
    """Reads Log Analytics / Sentinel exports of sign-in, OfficeActivity and email tables."""

    name = "log-analytics"

    def sniff(self, head: bytes, path: str) -> bool:
        text_head = decode_head(head)
        if is_json_text(head):
            lowered = text_head.lower()
            return '"timegenerated"' in lowered or '"officeid"' in lowered
        columns = {name.lower() for name in csv_columns(text_head)}
        return "timegenerated" in columns or "officeid" in columns

    def read(self, path: Path) -> Iterator[ReadItem]:
        defender = DefenderRows(self.name)
        for item in iter_table_rows(path):
            if not isinstance(item, TableRow):
                yield item
                continue
            fields = lower_keys(item.fields)
            table = _table(fields)
            if table in MODELLED_DEFENDER_TABLES:
                yield from defender.add(table, fields, item.origin, item.raw)
                continue
            yield from defender.finish()
            yield self._row_item(table, fields, item)
        yield from defender.finish()

    def _row_item(self, table: str, fields: dict[str, Any], item: TableRow) -> ReadItem:
        category = table.lower()
        if category in USER_SIGN_IN_CATEGORIES:
            return self._sign_in(category, fields, item)
        if category == "officeactivity":
            # The source names the audit log, so coverage and sign-in counting treat these
            # rows like the Unified Audit Log they copy.
            return office_activity_item(fields, item.origin, item.raw, "office-activity")
        if category == "auditlogs":
            return entra_audit_item(fields, item.origin, self.name, item.raw)
        if not table:
            return Skipped(item.origin, "Log Analytics row of an unrecognised table")
        return Skipped(item.origin, f"Log Analytics table {table}")

    def _sign_in(self, category: str, fields: dict[str, Any], item: TableRow) -> ReadItem:
        record_id = text(fields.get("id")) or None
        try:
            created = table_time(fields.get("createddatetime"), "CreatedDateTime")
            row = {**fields, "createddatetime": created.isoformat()}
            return sign_in_event(row, row, category, item.origin, self.name)
        except FieldError as exc:
            return Rejected(
                item.origin, exc.reason, field=exc.field, record_id=record_id, raw=item.raw
            )


MODELLED_DEFENDER_TABLES = ("EmailEvents", "EmailUrlInfo", "UrlClickEvents")


def _table(fields: dict[str, Any]) -> str:
    """Name the table of one row, or return ``""`` when nothing identifies it.

    Distinctive columns win over ``Type``, because a query may project a column of its
    own under that name, as in AuditLogs exports whose ``Type`` is ``ServicePrincipal``.
    """
    keys = set(fields)
    if "officeid" in keys:
        return "OfficeActivity"
    if keys >= _AUDIT_COLUMNS:
        return "AuditLogs"
    declared = text(fields.get("type"))
    if declared.lower() in USER_SIGN_IN_CATEGORIES:
        return declared
    if keys >= _SIGN_IN_COLUMNS:
        return "SigninLogs"
    return declared or table_name("", fields) or ""
