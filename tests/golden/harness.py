"""Run every golden case through chainwatch's readers and collect what differs.

Each raw record is written to its own file as one JSON line and read with
``read_file(path, registered_readers())``, so readers added later are compared without
changes here. Rejected and skipped records are counted and listed; a reader that raises
is recorded as an error, which the test treats as a failure.
"""

from __future__ import annotations

import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from chainwatch.events import Event
from chainwatch.read import read_file, registered_readers
from chainwatch.read.base import Rejected, Skipped
from tests.golden.cases import CorpusCases, GoldenCase
from tests.golden.compare import compare_event


@dataclass(frozen=True)
class Mismatch:
    """One field on which our event and the peer's expected value differ."""

    peer: str
    file: str
    record: str
    field: str
    ours: str
    theirs: str

    def describe(self) -> str:
        return (
            f"{self.file} {self.record}: {self.field}: ours {self.ours!r}, theirs {self.theirs!r}"
        )


@dataclass
class GoldenReport:
    """Counts and lists from one pass over the corpus."""

    records: int = 0  # records handed to the readers
    records_compared: int = 0  # records with at least one field compared
    fields_compared: int = 0
    events: int = 0
    per_reader: Counter[str] = field(default_factory=Counter)
    compared_per_field: Counter[str] = field(default_factory=Counter)
    mismatches: list[Mismatch] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    no_event: list[str] = field(default_factory=list)  # records that yielded no item at all
    errors: list[str] = field(default_factory=list)
    not_applicable: Counter[str] = field(default_factory=Counter)

    def summary_lines(self) -> list[str]:
        lines = [
            f"golden: {self.records_compared} records compared, {self.fields_compared} fields "
            f"compared, {len(self.mismatches)} mismatches",
            f"golden: {self.records} records read, {self.events} events "
            f"({', '.join(f'{k} {v}' for k, v in sorted(self.per_reader.items()))}), "
            f"{len(self.rejected)} rejected, {len(self.skipped)} skipped, "
            f"{len(self.no_event)} without any item, {len(self.errors)} reader errors",
            "golden: fields compared: "
            + ", ".join(f"{k} {v}" for k, v in sorted(self.compared_per_field.items())),
            "golden: not applicable: "
            + ", ".join(f"{k} {v}" for k, v in sorted(self.not_applicable.items())),
        ]
        lines += [f"golden mismatch: {m.describe()}" for m in self.mismatches]
        lines += [f"golden rejected: {line}" for line in self.rejected]
        lines += [f"golden skipped: {line}" for line in _grouped(self.skipped)]
        lines += [f"golden error: {line}" for line in self.errors]
        return lines


def _grouped(lines: list[str]) -> list[str]:
    counts = Counter(line.split(": ", 1)[-1] for line in lines)
    return [f"{what} ({count} records)" for what, count in sorted(counts.items())]


def run_golden(corpus_cases: CorpusCases, work_dir: Path) -> GoldenReport:
    """Read every case with the registered readers and compare the events it yields."""
    report = GoldenReport(not_applicable=Counter(corpus_cases.not_applicable))
    readers = registered_readers()
    for number, case in enumerate(corpus_cases.cases):
        path = work_dir / f"record-{number:05d}.json"
        path.write_bytes(case.raw + b"\n")
        report.records += 1
        try:
            _read_case(case, path, readers, report)
        except Exception:  # a reader must never raise, so record it and go on
            report.errors.append(f"{case.file} {case.record}: {traceback.format_exc(limit=-3)}")
    return report


def _read_case(case: GoldenCase, path: Path, readers: list, report: GoldenReport) -> None:
    where = f"{case.file} {case.record}"
    reader_name, items = read_file(path, readers)
    seen = False
    compared = False
    for item in items:
        seen = True
        if isinstance(item, Rejected):
            what = f"field {item.field!r}: " if item.field else ""
            report.rejected.append(f"{where}: {what}{item.reason}")
        elif isinstance(item, Skipped):
            report.skipped.append(f"{where}: {item.what}")
        elif isinstance(item, Event):
            report.events += 1
            report.per_reader[reader_name or "unknown"] += 1
            for result in compare_event(item, case.expected):
                compared = True
                report.fields_compared += 1
                report.compared_per_field[result.field] += 1
                if not result.equal:
                    report.mismatches.append(
                        Mismatch(
                            case.peer,
                            case.file,
                            case.record,
                            result.field,
                            result.ours,
                            result.theirs,
                        )
                    )
    if compared:
        report.records_compared += 1
    if not seen:
        report.no_event.append(where)
