"""Golden cases: raw records from peer projects' test suites with the values they expect.

Each loader walks one peer's test files under the shared corpus and yields a
:class:`GoldenCase` per record, or counts the record as not applicable when it comes from
a product chainwatch does not read (Proofpoint, Mimecast, Vade, Cisco ESA, on-premises
Exchange and Postfix logs, and non-Microsoft, non-Google SaaS logs). Expected values are
the peer's own output for the canonical fields in :data:`FIELDS`, as text.
"""

from __future__ import annotations

import configparser
import contextlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

# time, user (account or sender), source IP, action or operation, outcome ("success" or
# "failure"), country (ISO 3166-1 alpha-2) and Internet message id.
FIELDS = ("time", "user", "ip", "action", "outcome", "country", "message_id")


@dataclass(frozen=True)
class GoldenCase:
    """One raw record and the values a peer expects for it."""

    peer: str  # "sekoia", "panther", "elastic", "wazuh" or "cribl"
    file: str  # path relative to the corpus folder
    record: str  # which record inside ``file``, e.g. "test 2 'Failed login'" or "line 3"
    raw: bytes  # the record as one JSON line, without the newline
    expected: dict[str, str] = field(default_factory=dict)


@dataclass
class CorpusCases:
    """Every golden case of the corpus and the records counted as not applicable."""

    cases: list[GoldenCase] = field(default_factory=list)
    not_applicable: Counter[str] = field(default_factory=Counter)


def load_corpus(corpus: Path) -> CorpusCases:
    """Collect the golden cases of every peer under ``corpus``."""
    result = CorpusCases()
    for loader in (sekoia_cases, panther_cases, elastic_cases, wazuh_cases, cribl_cases):
        loader(corpus, result)
    return result


# Value lookup


def dig(record: Any, dotted: str) -> Any:
    """Return the value at a dotted path of nested dicts, case-insensitively, or ``None``."""
    value = record
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        lowered = {str(key).lower(): item for key, item in value.items()}
        value = lowered.get(part.lower())
    return value


def _text(value: Any) -> str | None:
    """Return a scalar (or the first item of a list) as text; ``None`` when absent or empty."""
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None or isinstance(value, dict):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip()
    return text or None


def expected_from(record: Any, paths: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Pick the first present path per canonical field, e.g. ``{"ip": ("source.ip",)}``."""
    expected: dict[str, str] = {}
    for name, candidates in paths.items():
        for path in candidates:
            value = _text(dig(record, path))
            if value is not None:
                expected[name] = value
                break
    return expected


def json_line(value: Any) -> bytes:
    """Serialise a record as one compact JSON line."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# Elastic Common Schema fields, used by Sekoia's and Elastic's expected documents.
ECS_PATHS: dict[str, tuple[str, ...]] = {
    "time": ("@timestamp",),
    "user": ("user.email", "user.name", "email.from.address"),
    "ip": ("source.ip",),
    "action": ("event.action",),
    "outcome": ("event.outcome",),
    "country": ("source.geo.country_iso_code",),
    "message_id": ("email.message_id",),
}

# Unified Audit Log fields as a collector that keeps the record verbatim exposes them.
UAL_PATHS: dict[str, tuple[str, ...]] = {
    "time": ("CreationTime",),
    "user": ("UserId",),
    "ip": ("ClientIP", "ClientIPAddress", "ActorIpAddress"),
    "action": ("Operation",),
}


# Sekoia intake-formats: {"input": {"message": "<raw JSON text>"}, "expected": {...}}

SEKOIA_NOT_APPLICABLE = {
    "ProofPoint": "Proofpoint TAP",
    "Mimecast": "Mimecast email security",
    "VadeSecure": "Vade Secure for Microsoft 365",
}


def sekoia_cases(corpus: Path, result: CorpusCases) -> None:
    root = corpus / "sekoia-intake-formats"
    for path in sorted(root.glob("**/tests/*.json")):
        vendor = path.relative_to(root).parts[0]
        if vendor in SEKOIA_NOT_APPLICABLE:
            result.not_applicable[SEKOIA_NOT_APPLICABLE[vendor]] += 1
            continue
        document = json.loads(path.read_text(encoding="utf-8"))
        message = document["input"]["message"]
        raw = message if isinstance(message, str) else json.dumps(message)
        # Invalid JSON is kept as written: the readers must reject it, not raise.
        with contextlib.suppress(json.JSONDecodeError):
            raw = json.dumps(json.loads(raw), ensure_ascii=False)
        result.cases.append(
            GoldenCase(
                peer="sekoia",
                file=str(path.relative_to(corpus)),
                record="input.message",
                raw=raw.replace("\n", " ").encode("utf-8"),
                expected=expected_from(document.get("expected", {}), ECS_PATHS),
            )
        )


# Panther rule tests: Tests: [{Name, ExpectedResult, Log}]; the Log is Panther's parsed record.

PANTHER_APPLICABLE_PREFIXES = (
    "Microsoft365.",
    "Azure.Audit",
    "GSuite.",
    "MicrosoftDefenderXDR.",
    "MicrosoftGraph.",
)

PANTHER_PATHS: dict[str, dict[str, tuple[str, ...]]] = {
    "Microsoft365.": UAL_PATHS,
    "Azure.Audit": {
        "time": ("p_event_time",),
        "user": ("properties.userPrincipalName",),
        "ip": ("properties.ipAddress",),
        "country": ("properties.location.countryOrRegion",),
    },
    "GSuite.": {
        "time": ("p_event_time", "id.time"),
        "user": ("actor.email",),
        "ip": ("ipAddress",),
    },
}


def panther_cases(corpus: Path, result: CorpusCases) -> None:
    root = corpus / "panther-analysis"
    for path in sorted(root.glob("**/*.yml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        log_types = spec.get("LogTypes") or []
        for number, test in enumerate(spec.get("Tests") or [], start=1):
            log = test.get("Log")
            if isinstance(log, str):
                log = json.loads(log)
            log_type = str(
                dig(log, "p_log_type") or (log_types[0] if len(log_types) == 1 else "unknown")
            )
            if not log_type.startswith(PANTHER_APPLICABLE_PREFIXES):
                result.not_applicable[f"Panther {log_type}"] += 1
                continue
            paths = next(
                (p for prefix, p in PANTHER_PATHS.items() if log_type.startswith(prefix)), {}
            )
            result.cases.append(
                GoldenCase(
                    peer="panther",
                    file=str(path.relative_to(corpus)),
                    record=f"test {number} {test.get('Name', '')!r}",
                    raw=json_line(log),
                    expected=expected_from(log, paths),
                )
            )


# Elastic integrations: .log inputs (with -expected.json when present) and *-events JSON.


def elastic_cases(corpus: Path, result: CorpusCases) -> None:
    root = corpus / "elastic-integrations"
    for path in sorted(root.glob("**/_dev/test/pipeline/*.log")):
        expected_path = path.with_name(path.name + "-expected.json")
        expected_docs: list[Any] = []
        if expected_path.is_file():
            expected_docs = json.loads(expected_path.read_text(encoding="utf-8"))["expected"]
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        for number, line in enumerate(lines, start=1):
            expected = (
                expected_from(expected_docs[number - 1], ECS_PATHS)
                if number <= len(expected_docs)
                else {}
            )
            result.cases.append(
                GoldenCase(
                    peer="elastic",
                    file=str(path.relative_to(corpus)),
                    record=f"line {number}",
                    raw=line.encode("utf-8"),
                    expected=expected,
                )
            )
    for path in sorted(root.glob("**/_dev/test/pipeline/*.json")):
        if path.name.endswith("-expected.json"):
            continue
        events = json.loads(path.read_text(encoding="utf-8")).get("events", [])
        for number, event in enumerate(events, start=1):
            original = dig(event, "event.original")
            if not isinstance(original, str):
                continue
            # The o365audit object is the record as Elastic's collector decoded it.
            result.cases.append(
                GoldenCase(
                    peer="elastic",
                    file=str(path.relative_to(corpus)),
                    record=f"event {number}",
                    raw=original.replace("\n", " ").encode("utf-8"),
                    expected=expected_from(event.get("o365audit") or {}, UAL_PATHS),
                )
            )


# Wazuh ruleset tests: INI sections with "log N pass = <raw line>".

WAZUH_NOT_APPLICABLE = {
    "exchange.ini": "on-premises Exchange logs",
    "postfix.ini": "Postfix logs",
    "exim.ini": "Exim logs",
    "dovecot.ini": "Dovecot logs",
}


def wazuh_cases(corpus: Path, result: CorpusCases) -> None:
    root = corpus / "wazuh" / "ruleset" / "testing" / "tests"
    for path in sorted(root.glob("*.ini")):
        for section, line in _wazuh_log_lines(path):
            if path.name in WAZUH_NOT_APPLICABLE:
                result.not_applicable[WAZUH_NOT_APPLICABLE[path.name]] += 1
                continue
            try:
                wrapper = json.loads(line)
            except json.JSONDecodeError:
                wrapper = None
            record: Any = line
            if isinstance(wrapper, dict):
                # {"integration": "office365", "office365": {...}}: the record is the inner object.
                integration = wrapper.get("integration")
                record = wrapper.get(integration, wrapper) if integration else wrapper
            raw = json_line(record) if isinstance(record, dict) else line.encode("utf-8")
            expected = expected_from(record, UAL_PATHS) if path.name == "office365.ini" else {}
            result.cases.append(
                GoldenCase(
                    peer="wazuh",
                    file=str(path.relative_to(corpus)),
                    record=f"[{section}]",
                    raw=raw,
                    expected=expected,
                )
            )


def _wazuh_log_lines(path: Path) -> Iterator[tuple[str, str]]:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    for section in parser.sections():
        for key, value in parser.items(section):
            if key.startswith("log ") and key.endswith(" pass"):
                yield section, value


# Cribl pack samples: JSON arrays of events with the original record in ``_raw`` and the
# time Cribl assigned in ``_time`` (epoch seconds); the other keys are verbatim copies.

CRIBL_NOT_APPLICABLE = {"cribl-cisco-esa-mailtext": "Cisco ESA mail logs"}
CRIBL_PATHS: dict[str, tuple[str, ...]] = {
    "user": ("SenderAddress", "userPrincipalName"),
    "ip": ("FromIP", "ipAddress"),
    "action": ("Status",),
    "country": ("location.countryOrRegion",),
    "message_id": ("MessageId",),
}


def cribl_cases(corpus: Path, result: CorpusCases) -> None:
    for path in sorted(corpus.glob("cribl-*/data/samples/*.json")):
        pack = path.relative_to(corpus).parts[0]
        events = json.loads(path.read_text(encoding="utf-8"))
        if pack in CRIBL_NOT_APPLICABLE:
            result.not_applicable[CRIBL_NOT_APPLICABLE[pack]] += len(events)
            continue
        for number, event in enumerate(events, start=1):
            original = event.get("_raw")
            if not isinstance(original, str):
                continue
            try:
                record = json.loads(original)
            except json.JSONDecodeError:
                record = {}
            expected = expected_from(record, CRIBL_PATHS)
            if isinstance(event.get("_time"), int | float):
                # Cribl keeps milliseconds; rounding the float undoes binary fractions.
                millis = round(event["_time"] * 1000)
                epoch = datetime(1970, 1, 1, tzinfo=UTC)
                expected["time"] = (epoch + timedelta(milliseconds=millis)).isoformat(
                    timespec="milliseconds"
                )
            result.cases.append(
                GoldenCase(
                    peer="cribl",
                    file=str(path.relative_to(corpus)),
                    record=f"event {number}",
                    raw=original.replace("\n", " ").encode("utf-8"),
                    expected=expected,
                )
            )
