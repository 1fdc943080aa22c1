"""Write the timeline as the files responders export, one file per ISO week.

- ``audit/ual-<week>.jsonl``: Management Activity API records, one per line, oldest first;
  one week goes instead to ``audit/ual-portal-<week>.csv`` in the Purview portal layout.
- ``signins/signins-<week>.json``: one Microsoft Graph beta ``signIns`` page, newest first.
- ``message-trace/trace-<week>.csv``: ``Get-MessageTrace | Export-Csv -NoTypeInformation``,
  one row per recipient, newest first.
- ``mail/journal-<week>.mbox``: every message in mboxrd form, oldest first.
- ``entra/auditlogs-<week>.json``: Entra ID audit records in Azure Monitor envelopes, when any.
"""

from __future__ import annotations

import csv
import io
import json
import zlib
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from chainwatch.simulate.mailformat import mboxrd_entry
from chainwatch.simulate.records import Message

GRAPH_CONTEXT = "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns"
PORTAL_HEADER = (
    "RecordId",
    "CreationDate",
    "RecordType",
    "Operation",
    "UserId",
    "AuditData",
    "AssociatedAdminUnits",
    "AssociatedAdminUnitsNames",
)
TRACE_HEADER = (
    "PSComputerName",
    "RunspaceId",
    "PSShowComputerName",
    "Organization",
    "MessageId",
    "Received",
    "SenderAddress",
    "RecipientAddress",
    "Subject",
    "Status",
    "ToIP",
    "FromIP",
    "Size",
    "MessageTraceId",
    "StartDate",
    "EndDate",
    "Index",
)


def week_label(day: date) -> str:
    """Return the ISO week of ``day`` as ``2026-W41``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_monday(label: str) -> date:
    return date.fromisocalendar(int(label[:4]), int(label[6:]), 1)


def _by_week(items: Iterable[Any], day_of: Any) -> dict[str, list[Any]]:
    weeks: dict[str, list[Any]] = defaultdict(list)
    for item in items:
        weeks[week_label(day_of(item))].append(item)
    return dict(sorted(weeks.items()))


def _write_text(path: Path, text: str, *, bom: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8-sig" if bom else "utf-8"))
    return path


def write_audit(data_dir: Path, records: list[dict[str, Any]], portal_week: str) -> list[Path]:
    """Write UAL records per week as JSON lines, and ``portal_week`` as a portal CSV."""
    paths = []
    weeks = _by_week(records, lambda r: date.fromisoformat(r["CreationTime"][:10]))
    for label, items in weeks.items():
        items.sort(key=lambda r: (r["CreationTime"], r["Id"]))
        if label == portal_week:
            paths.append(_write_portal_csv(data_dir / "audit" / f"ual-portal-{label}.csv", items))
            continue
        lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in items)
        paths.append(_write_text(data_dir / "audit" / f"ual-{label}.jsonl", lines))
    return paths


def _write_portal_csv(path: Path, records: list[dict[str, Any]]) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(PORTAL_HEADER)
    for record in reversed(records):
        writer.writerow(
            (
                record["Id"],
                record["CreationTime"] + ".0000000Z",
                record["RecordType"],
                record["Operation"],
                record["UserId"],
                json.dumps(record, ensure_ascii=False, separators=(",", ":")),
                "",
                "",
            )
        )
    return _write_text(path, buffer.getvalue(), bom=True)


def write_sign_ins(data_dir: Path, records: list[dict[str, Any]]) -> list[Path]:
    """Write one Graph ``signIns`` page per week, newest first as Graph returns them."""
    paths = []
    weeks = _by_week(records, lambda r: date.fromisoformat(r["createdDateTime"][:10]))
    for label, items in weeks.items():
        items.sort(key=lambda r: (r["createdDateTime"], r["id"]), reverse=True)
        page = {"@odata.context": GRAPH_CONTEXT, "value": items}
        text = json.dumps(page, ensure_ascii=False, indent=1) + "\n"
        paths.append(_write_text(data_dir / "signins" / f"signins-{label}.json", text))
    return paths


def _trace_time(moment: datetime) -> str:
    return moment.strftime("%m/%d/%Y %H:%M:%S")


def _to_ip(message: Message, recipient_domain: str) -> str:
    """Return the receiving server for outbound rows: a stable address per outside domain."""
    if message.direction != "outbound" or recipient_domain == "example.com":
        return ""
    return f"203.0.113.{100 + zlib.crc32(recipient_domain.encode()) % 50}"


def write_trace(
    data_dir: Path, messages: list[Message], runspace_ids: dict[str, str], trace_ids: Any
) -> list[Path]:
    """Write message trace rows per week; ``trace_ids`` yields a fresh MessageTraceId per call."""
    paths = []
    for label, items in _by_week(messages, lambda m: m.time.date()).items():
        monday = week_monday(label)
        window = (_trace_time_day(monday), _trace_time_day(monday + timedelta(days=7)))
        rows = []
        for message in items:
            for recipient in message.recipients:
                rows.append((message, recipient))
        rows.sort(key=lambda row: (row[0].time, row[0].message_id, row[1].address), reverse=True)
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
        writer.writerow(TRACE_HEADER)
        for index, (message, recipient) in enumerate(rows):
            writer.writerow(
                (
                    "outlook.office365.com",
                    runspace_ids[label],
                    "False",
                    "example.onmicrosoft.com",
                    f"<{message.message_id}>",
                    _trace_time(message.time),
                    message.sender.address,
                    recipient.address,
                    message.subject,
                    "Delivered",
                    _to_ip(message, recipient.domain),
                    message.sending_ip,
                    message.size,
                    trace_ids(),
                    window[0],
                    window[1],
                    index,
                )
            )
        path = data_dir / "message-trace" / f"trace-{label}.csv"
        paths.append(_write_text(path, buffer.getvalue()))
    return paths


def _trace_time_day(day: date) -> str:
    return f"{day:%m/%d/%Y} 00:00:00"


def write_journal(data_dir: Path, rendered: list[tuple[Message, bytes]]) -> list[Path]:
    """Write every message into a weekly mboxrd journal, oldest first."""
    paths = []
    for label, items in _by_week(rendered, lambda pair: pair[0].time.date()).items():
        items.sort(key=lambda pair: (pair[0].time, pair[0].message_id))
        path = data_dir / "mail" / f"journal-{label}.mbox"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            for message, raw in items:
                handle.write(mboxrd_entry(message, raw))
        paths.append(path)
    return paths


def write_directory_audit(
    data_dir: Path, records: list[dict[str, Any]], tenant_id: str
) -> list[Path]:
    """Write Entra ID audit records per week as Azure Monitor diagnostic records.

    Each ``directoryAudit`` object goes under ``properties`` of an envelope with
    ``category: AuditLogs``, as a diagnostic setting streams them to a storage account.
    """
    paths = []
    weeks = _by_week(records, lambda r: date.fromisoformat(r["activityDateTime"][:10]))
    for label, items in weeks.items():
        items.sort(key=lambda r: (r["activityDateTime"], r["id"]))
        envelopes = [
            {
                "time": record["activityDateTime"],
                "resourceId": f"/tenants/{tenant_id}/providers/Microsoft.aadiam",
                "operationName": record["activityDisplayName"],
                "operationVersion": "1.0",
                "category": "AuditLogs",
                "tenantId": tenant_id,
                "resultSignature": "None",
                "durationMs": 0,
                "callerIpAddress": record["initiatedBy"]["user"]["ipAddress"],
                "correlationId": record["correlationId"],
                "level": "Informational",
                "properties": record,
            }
            for record in items
        ]
        text = json.dumps({"records": envelopes}, ensure_ascii=False, indent=1) + "\n"
        paths.append(_write_text(data_dir / "entra" / f"auditlogs-{label}.json", text))
    return paths
