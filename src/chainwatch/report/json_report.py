"""The ``--json`` document, described field by field in ``docs/json-schema.md``."""

from __future__ import annotations

from typing import Any

import orjson

SCHEMA = "chainwatch.analysis/1"


def read_summary_dict(read: Any) -> dict[str, Any]:
    return {
        "files": read.files,
        "events": read.events,
        "duplicates": read.duplicates,
        "skipped": read.skipped,
        "skipped_kinds": dict(sorted(read.skipped_kinds.items(), key=lambda kv: -kv[1])),
        "rejected": read.rejected,
        "upgraded": read.upgraded,
        "per_reader": read.per_reader,
        "notices": read.notices,
        "rejections": read.rejections,
    }


def analysis_document(
    *,
    run_id: int | None,
    org_domains: tuple[str, ...],
    org_domains_inferred: bool,
    read: dict[str, Any] | None,
    events_processed: int | None,
    incidents: list[dict[str, Any]],
    alert_severity: int,
    coverage: list[dict[str, Any]] | None = None,
    replayed: int = 0,
    warnings: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "warnings": warnings or [],
        "coverage": coverage or [],
        "replayed": replayed,
        "schema": SCHEMA,
        "run_id": run_id,
        "organisation_domains": list(org_domains),
        "organisation_domains_inferred": org_domains_inferred,
        "alert_severity": alert_severity,
        "read": read,
        "events_processed": events_processed,
        "incidents": incidents,
    }


def dumps(document: dict[str, Any]) -> str:
    """Serialise with sorted keys and two-space indentation, ending in a newline."""
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"
