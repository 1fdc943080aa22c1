"""The readable report printed by ``chainwatch analyze`` and ``chainwatch show``."""

from __future__ import annotations

from typing import Any

from chainwatch.report.escape import safe_text

SEVERITY_LABELS = ((80, "critical"), (50, "high"), (25, "medium"), (0, "low"))


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """Return "1 file" or "3 files"."""
    return f"{count} {noun if count == 1 else plural_noun or noun + 's'}"


def severity_label(severity: int) -> str:
    return next(label for floor, label in SEVERITY_LABELS if severity >= floor)


def render_read_summary(read: dict[str, Any]) -> list[str]:
    upgraded = f" ({read['upgraded']} replaced by a fuller copy)" if read.get("upgraded") else ""
    lines = [
        f"Read {plural(read['files'], 'file')}: {plural(read['events'], 'new event')}, "
        f"{plural(read['duplicates'], 'copy', 'copies')} of records already read{upgraded}, "
        f"{plural(read['skipped'], 'record')} of operations not analysed, "
        f"{read['rejected']} rejected.",
    ]
    if read.get("skipped_kinds"):
        kinds = list(read["skipped_kinds"].items())
        parts = ", ".join(f"{safe_text(what, 80)} {count}" for what, count in kinds[:6])
        more = f", and {len(kinds) - 6} more kinds" if len(kinds) > 6 else ""
        lines.append(f"  not analysed: {parts}{more}")
    if read.get("per_reader"):
        parts = ", ".join(f"{name} {count}" for name, count in read["per_reader"].items())
        lines.append(f"  by reader: {parts}")
    for notice in read.get("notices", [])[:20]:
        lines.append(f"  coverage: {safe_text(notice)}")
    rejections = read.get("rejections", [])
    for rejection in rejections[:10]:
        lines.append(f"  rejected: {safe_text(rejection)}")
    if read["rejected"] > 10:
        lines.append(f"  ... {read['rejected'] - 10} more: run 'chainwatch rejected' to list them")
    return lines


def render_incident_line(incident: dict[str, Any]) -> str:
    accounts = ", ".join(safe_text(a, 60) for a in incident["accounts"][:4])
    more = len(incident["accounts"]) - 4
    if more > 0:
        accounts += f" +{more}"
    return (
        f"{incident['incident_id']}  {incident['severity']:>3} "
        f"{severity_label(incident['severity']):<8}"
        f" {incident['first_time'][:16]}  {safe_text(incident['title'], 80)}"
        + (f"  [{accounts}]" if accounts else "")
    )


def render_incident(incident: dict[str, Any]) -> list[str]:
    """Render one incident in full: summary, origin, detections with numbers, timeline."""
    lines = [
        f"{incident['incident_id']}  severity {incident['severity']} "
        f"({severity_label(incident['severity'])})  {safe_text(incident['title'])}",
        f"  accounts: {', '.join(safe_text(a) for a in incident['accounts']) or '-'}",
        f"  first {incident['first_time']}  last {incident['last_time']}  "
        f"dwell {incident.get('dwell_hours', 0)} h",
        "",
        "  " + safe_text(incident["summary"], 4000),
        "",
    ]
    origin = incident.get("origin")
    if origin:
        hosts = ", ".join(safe_text(h) for h in origin.get("link_hosts", [])) or "-"
        lines += [
            "  Origin message",
            f"    sender      {safe_text(origin.get('sender'))}",
            f"    message id  {safe_text(origin.get('message_id'))}",
            f"    subject     {safe_text(origin.get('subject'))}",
            f"    time        {origin.get('time') or '-'}",
            f"    link hosts  {hosts}",
            f"    recipients  {_recipients(origin.get('recipients') or [])}",
            f"    traced by   {safe_text(origin.get('traced_by'))}",
            "",
        ]
    lines.append("  Detections")
    for detection in incident["detections"]:
        repeat = ""
        if detection.get("repeat_count"):
            until = f", last {detection['last_time'][:16]}" if detection.get("last_time") else ""
            repeat = f" (+{detection['repeat_count']} similar{until})"
        lines.append(
            f"    {detection['time'][:16]}  {detection['score']:>3}  {detection['model']}  "
            f"{safe_text(detection['account'], 60)}{repeat}"
        )
        lines.append(f"      {safe_text(detection['summary'], 200)}")
        for reason in detection["explanation"]:
            lines.append(f"      - {safe_text(reason, 400)}")
    if incident.get("coverage"):
        lines.append("")
        lines.append("  Coverage gaps in this incident's window (findings there may be missing)")
        for gap in incident["coverage"][:20]:
            lines.append(f"    - {safe_text(gap, 400)}")
    lines.append("")
    lines.append("  Severity: " + "; ".join(incident.get("severity_explanation", [])))
    lines.append("")
    lines.append("  Timeline")
    for entry in incident["timeline"]:
        lines.append(
            f"    {entry['time'][:19]}  {entry['stage']:<11} {safe_text(entry['account'], 50):<34} "
            f"{safe_text(entry['what'], 200)}"
        )
    return lines


def render_coverage(gaps: list[dict[str, Any]], limit: int = 20) -> list[str]:
    """List what the input could not show, so that "nothing found" is read correctly."""
    if not gaps:
        return ["Coverage: every channel present, no silent days or capped exports found."]
    lines = [f"Coverage gaps ({len(gaps)}): findings cannot be ruled out where the input is blind."]
    for gap in gaps[:limit]:
        lines.append(f"  - {safe_text(gap['message'], 400)}")
    if len(gaps) > limit:
        lines.append(f"  ... {len(gaps) - limit} more in the --json output")
    return lines


def _recipients(recipients: list[str], limit: int = 5) -> str:
    """Return the first recipients and how many more there are."""
    if not recipients:
        return "-"
    text = ", ".join(safe_text(r) for r in recipients[:limit])
    more = len(recipients) - limit
    return f"{text} and {more} more" if more > 0 else text
