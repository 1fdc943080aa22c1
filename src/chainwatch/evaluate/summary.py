"""Per-scenario and total figures from a suite's run measurements."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median
from typing import Any

from chainwatch.evaluate.measure import RunMeasurement
from chainwatch.evaluate.scenarios import ATTACK

PER_MAILBOX_WEEKS = 1000.0  # false incidents are given per this many mailbox-weeks


@dataclass(frozen=True)
class ScenarioSummary:
    """All runs of one scenario (or of the whole suite) added up."""

    scenario: str
    kind: str  # "attack", "benign" or, for the totals, "all"
    runs: int
    compromised: int
    accounts_found: int
    runs_with_origin: int
    origins_named: int
    stages_expected: int
    stages_found: int
    median_hours_from_origin: float | None
    median_hours_from_sign_in: float | None
    false_incidents: int
    mailbox_weeks: float

    @property
    def recall(self) -> float | None:
        return self.accounts_found / self.compromised if self.compromised else None

    @property
    def false_per_thousand_mailbox_weeks(self) -> float:
        if not self.mailbox_weeks:
            return 0.0
        return self.false_incidents * PER_MAILBOX_WEEKS / self.mailbox_weeks

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "kind": self.kind,
            "runs": self.runs,
            "compromised": self.compromised,
            "accounts_found": self.accounts_found,
            "recall": _round(self.recall, 3),
            "runs_with_origin": self.runs_with_origin,
            "origins_named": self.origins_named,
            "stages_expected": self.stages_expected,
            "stages_found": self.stages_found,
            "median_hours_from_origin": self.median_hours_from_origin,
            "median_hours_from_sign_in": self.median_hours_from_sign_in,
            "false_incidents": self.false_incidents,
            "mailbox_weeks": round(self.mailbox_weeks, 1),
            "false_per_1000_mailbox_weeks": round(self.false_per_thousand_mailbox_weeks, 3),
        }


def summarise(measurements: list[RunMeasurement]) -> list[ScenarioSummary]:
    """Add up the runs of each scenario, in the order the scenarios first appear."""
    by_scenario: dict[str, list[RunMeasurement]] = {}
    for measurement in measurements:
        by_scenario.setdefault(measurement.scenario, []).append(measurement)
    return [_add_up(name, runs[0].kind, runs) for name, runs in by_scenario.items()]


def total(measurements: list[RunMeasurement]) -> ScenarioSummary:
    """Add up every run of the suite."""
    return _add_up("total", "all", measurements)


def _add_up(name: str, kind: str, runs: list[RunMeasurement]) -> ScenarioSummary:
    from_origin = [r.hours_from_origin for r in runs if r.hours_from_origin is not None]
    from_sign_in = [r.hours_from_sign_in for r in runs if r.hours_from_sign_in is not None]
    attacks = [r for r in runs if r.kind == ATTACK]
    return ScenarioSummary(
        scenario=name,
        kind=kind,
        runs=len(runs),
        compromised=sum(r.compromised for r in runs),
        accounts_found=sum(r.accounts_found for r in runs),
        runs_with_origin=sum(1 for r in runs if r.has_origin),
        origins_named=sum(1 for r in runs if r.origin_named),
        stages_expected=sum(len(r.expected_stages) for r in attacks),
        stages_found=sum(len(r.stages_found) for r in attacks),
        median_hours_from_origin=_round(median(from_origin), 2) if from_origin else None,
        median_hours_from_sign_in=_round(median(from_sign_in), 2) if from_sign_in else None,
        false_incidents=sum(r.false_incidents for r in runs),
        mailbox_weeks=sum(r.mailbox_weeks for r in runs),
    )


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
