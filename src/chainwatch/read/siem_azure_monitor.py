"""Reader for Azure Monitor diagnostic-settings records of any category.

Event Hub captures and storage-account blobs hold ``{"records": [...]}`` or one record
per line: an envelope with ``time``, ``category``, ``operationName`` and the source
record under ``properties``. The Entra sign-in reader claims files that contain user
sign-ins. This reader takes the rest, such as a file of directory audit records, and
handles every category that may be mixed into one capture:

- ``SignInLogs`` and ``NonInteractiveUserSignInLogs`` become sign-ins;
- ``AdvancedHunting-*`` rows go to the Defender mapping;
- ``AuditLogs`` of OAuth consent become app consents, other activities are skipped
  naming the activity, and any other category is skipped by name
  (``ServicePrincipalSignInLogs``, ``ManagedIdentitySignInLogs``, ``UserRiskEvents``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from chainwatch.read.base import ReadItem, Rejected, Skipped
from chainwatch.read.defender import STREAMING_PREFIX, defender_row
from chainwatch.read.defender_tables import DefenderRows
from chainwatch.read.entra_audit import entra_audit_item
from chainwatch.read.siem_table import lower_keys, text
from chainwatch.read.signin import (
    USER_SIGN_IN_CATEGORIES,
    audit_fields,
    sign_in_event,
    unmodelled_category,
)
from chainwatch.read.ual_input import FieldError, JsonRecord, decode_head, iter_json_records


class AzureMonitorReader:
    """Reads Azure Monitor diagnostic records: Entra audit and sign-in categories, Defender."""

    name = "azure-monitor"

    def sniff(self, head: bytes, path: str) -> bool:
        text_head = decode_head(head).lstrip()
        if not text_head.startswith(("[", "{")):
            return False
        lowered = text_head.lower()
        return (
            '"category"' in lowered
            and '"properties"' in lowered
            and ('"operationname"' in lowered or '"resourceid"' in lowered)
        )

    def read(self, path: Path) -> Iterator[ReadItem]:
        defender = DefenderRows(self.name)
        for item in iter_json_records(path):
            if not isinstance(item, JsonRecord):
                yield item
                continue
            fields = lower_keys(item.value)
            category = text(fields.get("category"))
            if category.lower().startswith(STREAMING_PREFIX):
                yield from defender_row(defender, item.value, item.origin, item.raw)
                continue
            yield from defender.finish()
            yield self._record(category, fields, item)
        yield from defender.finish()

    def _record(self, category: str, fields: dict, item: JsonRecord) -> ReadItem:
        if not category:
            return Rejected(item.origin, "missing", field="category", raw=item.raw)
        lowered = category.lower()
        if lowered == "auditlogs":
            return entra_audit_item(audit_fields(fields), item.origin, self.name, item.raw)
        if lowered not in USER_SIGN_IN_CATEGORIES:
            if lowered.endswith("signinlogs"):
                return Skipped(item.origin, unmodelled_category(category, fields))
            return Skipped(item.origin, f"Azure Monitor {category} record")

        properties = fields.get("properties")
        if not isinstance(properties, dict):
            return Rejected(item.origin, "missing or not an object", field="properties")
        sign_in = lower_keys(properties)
        record_id = text(sign_in.get("id")) or None
        try:
            return sign_in_event(sign_in, fields, lowered, item.origin, self.name)
        except FieldError as exc:
            return Rejected(
                item.origin, exc.reason, field=exc.field, record_id=record_id, raw=item.raw
            )
