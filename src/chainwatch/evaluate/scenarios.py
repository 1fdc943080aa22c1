"""The simulator's scenarios as the evaluation sees them: name, kind and expected stages."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from chainwatch.simulate import SimulationResult, simulate_tenant

DEFAULT_SCENARIO = "vendor-hijack"
ATTACK = "attack"
BENIGN = "benign"

try:
    from chainwatch.simulate.scenarios import SCENARIOS as _REGISTRY
except ImportError:
    # TODO: remove this fallback once chainwatch.simulate.scenarios is in the tree. Until
    # then only the default chain exists, and simulate_tenant takes no scenario argument.
    _REGISTRY = None
# TODO: remove with the fallback above once simulate_tenant takes ``scenario``; until then
# every scenario but the default is listed and cannot be simulated.
_SIMULATES_SCENARIOS = "scenario" in inspect.signature(simulate_tenant).parameters


@dataclass(frozen=True)
class ScenarioInfo:
    """One simulated scenario: an attack variant or a benign tenant."""

    name: str
    kind: str  # "attack" or "benign"
    description: str
    expected_stages: tuple[str, ...]  # chain stages a full detection covers, in order


_DEFAULT_ONLY = {
    DEFAULT_SCENARIO: ScenarioInfo(
        name=DEFAULT_SCENARIO,
        kind=ATTACK,
        description=(
            "A hijacked vendor mails a lure; three accounts are taken over, read files, "
            "hide replies with inbox rules and mail the lure on."
        ),
        expected_stages=("delivery", "sign-in", "collection", "persistence", "spread"),
    )
}


def scenario_catalogue() -> dict[str, ScenarioInfo]:
    """Return every scenario the simulator can write, by name, in registry order."""
    if _REGISTRY is None or not _SIMULATES_SCENARIOS:
        return dict(_DEFAULT_ONLY)
    return {name: _info(name, scenario) for name, scenario in _REGISTRY.items()}


def _info(name: str, scenario: Any) -> ScenarioInfo:
    return ScenarioInfo(
        name=name,
        kind=str(scenario.kind),
        description=str(scenario.description),
        expected_stages=tuple(scenario.expected_stages),
    )


def simulate_scenario(
    out_dir: Path, scenario: str, *, seed: int, mailboxes: int, days: int, start: date
) -> SimulationResult:
    """Write one scenario's tenant export and truth.json under ``out_dir``.

    Raises ``KeyError`` for a scenario the simulator does not have.
    """
    catalogue = scenario_catalogue()
    if scenario not in catalogue:
        raise KeyError(
            f"unknown scenario {scenario!r}; the simulator has {', '.join(catalogue) or 'none'}"
        )
    if not _SIMULATES_SCENARIOS:
        if scenario != DEFAULT_SCENARIO:
            raise NotImplementedError(
                f"this simulator writes only {DEFAULT_SCENARIO!r}; {scenario!r} needs "
                "simulate_tenant(..., scenario=NAME)"
            )
        return simulate_tenant(out_dir, seed=seed, mailboxes=mailboxes, days=days, start=start)
    return simulate_tenant(
        out_dir, seed=seed, mailboxes=mailboxes, days=days, start=start, scenario=scenario
    )
