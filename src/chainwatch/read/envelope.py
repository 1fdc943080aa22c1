"""Azure Monitor envelopes that mix record families in one file.

A diagnostic-settings export to a storage account or Event Hub can hold sign-ins,
directory audit records and Defender tables side by side. The per-table readers
decline such a file so that the envelope reader, which reads every family, gets it.
Only the first bytes are inspected: a family that first appears later in the file is
skipped, by name, by the reader that took the file.
"""

from __future__ import annotations

import re

_CATEGORY = re.compile(rb'"category"\s*:\s*"([^"]{1,100})"', re.IGNORECASE)


def record_family(category: str) -> str:
    """Group a diagnostic category: sign-ins, audit records, Defender tables, other."""
    lowered = category.lower()
    if lowered.endswith("signinlogs"):
        return "sign-in"
    if lowered.startswith("advancedhunting-"):
        return "defender"
    if lowered == "auditlogs":
        return "audit"
    return "other"


def is_mixed_capture(head: bytes) -> bool:
    """True when the first bytes hold envelopes of more than one record family."""
    families = {record_family(m.decode("utf-8", "replace")) for m in _CATEGORY.findall(head)}
    # "other" also matches category fields nested inside records, so it never counts.
    return len(families - {"other"}) > 1
