"""The simulator's scenarios as the evaluation runs them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from chainwatch.simulate import SimulationResult, simulate_tenant
from chainwatch.simulate.scenarios import DEFAULT_SCENARIO, SCENARIOS, Scenario

__all__ = [
    "ATTACK",
    "BENIGN",
    "DEFAULT_SCENARIO",
    "Scenario",
    "scenario_catalogue",
    "simulate_scenario",
]

ATTACK = "attack"
BENIGN = "benign"


def scenario_catalogue() -> dict[str, Scenario]:
    """Return every scenario the simulator can write, by name, in registry order."""
    return dict(SCENARIOS)


def simulate_scenario(
    out_dir: Path, scenario: str, *, seed: int, mailboxes: int, days: int, start: date
) -> SimulationResult:
    """Write one scenario's tenant export and truth.json under ``out_dir``.

    Raises ``ValueError`` for a scenario the simulator does not have.
    """
    return simulate_tenant(
        out_dir, seed=seed, mailboxes=mailboxes, days=days, start=start, scenario=scenario
    )
