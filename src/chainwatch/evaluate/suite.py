"""Evaluation suites: which scenarios run with which seed and tenant size.

``ci`` runs every scenario once on the smallest tenant the simulator accepts (50
mailboxes, 28 days), so it stays quick enough for the test suite. ``full`` runs every
scenario on several seeds and tenant sizes, at least :data:`MIN_FULL_RUNS` runs in all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from chainwatch.evaluate.scenarios import scenario_catalogue

SUITES = ("ci", "full")
START = date(2026, 9, 21)  # the simulator's default first day
CI_SEED = 7
CI_SIZE = (50, 28)  # mailboxes, days: the simulator's minimum
# Each scenario runs on each of these (seed, mailboxes, days), in this order. Seeds differ
# from the ci suite's, so the full suite does not repeat its tenants.
FULL_RUNS: tuple[tuple[int, int, int], ...] = (
    (11, 60, 28),
    (19, 80, 35),
)
# Scenarios whose activity needs a longer period to show in full. Month-end invoices
# repeat at every month end, and three of them need about 72 days from the default start.
FULL_MIN_DAYS = {"month-end-invoices": 72}
EXTRA_SEEDS_FROM = 23  # seeds added when too few scenarios exist for MIN_FULL_RUNS
MIN_FULL_RUNS = 20


@dataclass(frozen=True, order=True)
class SuiteEntry:
    """One simulation to analyse and compare with its ground truth."""

    scenario: str
    seed: int
    mailboxes: int
    days: int
    start: date = START

    @property
    def label(self) -> str:
        return f"{self.scenario}/seed{self.seed}/{self.mailboxes}x{self.days}d"


def build_suite(name: str) -> list[SuiteEntry]:
    """Return the entries of suite ``name`` ("ci" or "full").

    Raises ``ValueError`` for another name.
    """
    scenarios = list(scenario_catalogue())
    if name == "ci":
        mailboxes, days = CI_SIZE
        return [SuiteEntry(s, CI_SEED, mailboxes, days) for s in scenarios]
    if name == "full":
        return _full_suite(scenarios)
    raise ValueError(f"unknown suite {name!r}; expected one of {', '.join(SUITES)}")


def _full_suite(scenarios: list[str]) -> list[SuiteEntry]:
    entries = [
        SuiteEntry(scenario, seed, mailboxes, max(days, FULL_MIN_DAYS.get(scenario, days)))
        for scenario in scenarios
        for seed, mailboxes, days in FULL_RUNS
    ]
    # With few scenarios, more seeds on the small tenant make up the minimum run count.
    seed = EXTRA_SEEDS_FROM
    while scenarios and len(entries) < MIN_FULL_RUNS:
        for scenario in scenarios:
            entries.append(SuiteEntry(scenario, seed, *CI_SIZE))
        seed += 1
    return entries
