"""Every scenario: quick, deterministic, readable without rejections, truth ids present.

Each scenario is generated once per session at 50 mailboxes and 28 days and read back
with the product's own readers (``chainwatch.read.read_paths``).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chainwatch.correlate.narrative import STAGE_ORDER
from chainwatch.events import Event
from chainwatch.read import read_paths
from chainwatch.read.base import Rejected
from chainwatch.simulate import SimulationResult, simulate_tenant
from chainwatch.simulate.attack import ATTACK_STYLES
from chainwatch.simulate.scenarios import DEFAULT_SCENARIO, SCENARIOS, get_scenario
from chainwatch.simulate.truth import PAYMENT_CHANGE_SCENARIOS
from tests.simulate import loaders

NAMES = sorted(SCENARIOS)
LABEL_KEYS = ("scenario", "kind", "expected_stages", "attack_start")
# Recorded before scenarios existed: sha256 over "<relative path> <sha256>\n" lines of every
# file but truth.json, and the sha256 of truth.json without the scenario labels.
DEFAULT_SMALL = (
    "17a5729cd71e8aaa406ad2a476680137b81e9927ad83f4e1345cc9557689a1ce",
    "0a97d292d44433b307baf7b6ee99ab5edd1137ae9e84b8951966fb4e596ec892",
)
DEFAULT_FULL = (
    "51c6d1839c38dc8f3e36f89123145cb1a09ea3da18fb7ad6c78efc793fbf6399",
    "a5269107e0acfa09d1619c44cf56dfd1d36eee6e94f4e3081d50f32952b95250",
)


@dataclass
class Generated:
    result: SimulationResult
    truth: dict[str, Any]
    seconds: float
    rejected: list[str]
    events: list[Event]


_CACHE: dict[str, Generated] = {}


def generated(root: Path, name: str) -> Generated:
    """Generate scenario ``name`` once per session under ``root`` and read it back."""
    if name not in _CACHE:
        began = time.perf_counter()
        result = simulate_tenant(root / name, seed=5, mailboxes=50, days=28, scenario=name)
        seconds = time.perf_counter() - began
        rejected: list[str] = []
        events: list[Event] = []
        for _, _, item in read_paths([result.data_dir]):
            if isinstance(item, Rejected):
                rejected.append(item.describe())
            elif isinstance(item, Event):
                events.append(item)
        truth = json.loads(result.truth_path.read_text(encoding="utf-8"))
        _CACHE[name] = Generated(result, truth, seconds, rejected, events)
    return _CACHE[name]


def tree_digest(root: Path) -> tuple[str, str]:
    """Return the digest of every file except truth.json, and truth.json's without labels."""
    lines = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != "truth.json":
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            lines.append(f"{path.relative_to(root).as_posix()} {digest}\n")
    files = hashlib.sha256("".join(lines).encode()).hexdigest()
    truth = json.loads((root / "truth.json").read_text(encoding="utf-8"))
    for key in LABEL_KEYS:
        truth.pop(key)
    text = json.dumps(truth, indent=2) + "\n"
    return files, hashlib.sha256(text.encode()).hexdigest()


# --- The registry ---


def test_registry_has_twenty_scenarios() -> None:
    assert len(SCENARIOS) >= 20


def test_registry_names_match_keys() -> None:
    assert all(name == scenario.name for name, scenario in SCENARIOS.items())


@pytest.mark.parametrize("name", NAMES)
def test_registry_stages_known(name: str) -> None:
    stages = SCENARIOS[name].expected_stages
    assert set(stages) <= set(STAGE_ORDER)
    assert stages == tuple(s for s in STAGE_ORDER if s in stages)


@pytest.mark.parametrize("name", NAMES)
def test_registry_kind_matches_stages(name: str) -> None:
    scenario = SCENARIOS[name]
    assert scenario.kind in ("attack", "benign")
    assert bool(scenario.expected_stages) == (scenario.kind == "attack")


def test_registry_every_attack_has_generator() -> None:
    generators = {DEFAULT_SCENARIO, *ATTACK_STYLES, *PAYMENT_CHANGE_SCENARIOS}
    attacks = {n for n, s in SCENARIOS.items() if s.kind == "attack"}
    assert attacks == generators


def test_registry_unknown_name_rejected() -> None:
    with pytest.raises(ValueError, match="unknown scenario 'nope'"):
        get_scenario("nope")


def test_simulate_unknown_scenario(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="choose one of"):
        simulate_tenant(tmp_path, mailboxes=50, days=28, scenario="nope")


# --- The default scenario keeps its output ---


def test_default_small_unchanged(tmp_path: Path) -> None:
    simulate_tenant(tmp_path / "small", mailboxes=50, days=28)
    files, truth = tree_digest(tmp_path / "small")
    assert files == DEFAULT_SMALL[0]
    assert truth == DEFAULT_SMALL[1]


def test_default_full_unchanged(tmp_path: Path) -> None:
    simulate_tenant(tmp_path / "full")
    files, truth = tree_digest(tmp_path / "full")
    assert files == DEFAULT_FULL[0]
    assert truth == DEFAULT_FULL[1]


# --- Every scenario ---


@pytest.mark.parametrize("name", NAMES)
def test_scenario_quick(scenario_root: Path, name: str) -> None:
    assert generated(scenario_root, name).seconds < 10


@pytest.mark.parametrize("name", NAMES)
def test_scenario_reads_without_rejections(scenario_root: Path, name: str) -> None:
    assert generated(scenario_root, name).rejected == []


@pytest.mark.parametrize("name", NAMES)
def test_scenario_deterministic(scenario_root: Path, tmp_path: Path, name: str) -> None:
    first = generated(scenario_root, name).result.out_dir
    simulate_tenant(tmp_path / name, seed=5, mailboxes=50, days=28, scenario=name)
    assert tree_digest(first) == tree_digest(tmp_path / name)


@pytest.mark.parametrize("name", NAMES)
def test_scenario_labels(scenario_root: Path, name: str) -> None:
    truth = generated(scenario_root, name).truth
    scenario = SCENARIOS[name]
    assert truth["scenario"] == name
    assert truth["kind"] == scenario.kind
    assert truth["expected_stages"] == list(scenario.expected_stages)
    assert (truth["attack_start"] is None) == (scenario.kind == "benign")


@pytest.mark.parametrize("name", [n for n in NAMES if SCENARIOS[n].kind == "benign"])
def test_benign_has_no_compromise(scenario_root: Path, name: str) -> None:
    truth = generated(scenario_root, name).truth
    assert truth["compromised_accounts"] == []
    assert truth["origin_message_id"] is None
    assert truth["chain"] is None


@pytest.mark.parametrize("name", [n for n in NAMES if SCENARIOS[n].kind == "attack"])
def test_attack_truth_ids_exist(scenario_root: Path, name: str) -> None:
    item = generated(scenario_root, name)
    data = item.result.data_dir
    truth = item.truth
    chain = truth["chain"]
    audit_ids = {r["Id"] for r in loaders.audit_records(data)}
    sign_in_ids = {r["id"] for r in loaders.sign_ins(data)}
    message_ids = {loaders.message_id(m) for m in loaders.journal(data)}
    directory_ids = {
        record["properties"]["id"]
        for path in sorted((data / "entra").glob("auditlogs-*.json"))
        for record in json.loads(path.read_text(encoding="utf-8"))["records"]
    }

    assert truth["origin_message_id"] in message_ids
    assert set(chain["sign_in_ids"]) <= sign_in_ids
    for key in ("file_access_ids", "mail_items_accessed_ids", "inbox_rule_ids"):
        assert set(chain[key]) <= audit_ids, key
    for key in ("consent_ids", "deletion_ids", "other_audit_ids"):
        assert set(chain.get(key, [])) <= audit_ids, key
    for key in ("internal_message_ids", "external_message_ids", "other_message_ids"):
        assert set(chain.get(key, [])) <= message_ids, key
    assert set(chain.get("directory_audit_ids", [])) <= directory_ids


@pytest.mark.parametrize("name", [n for n in NAMES if SCENARIOS[n].kind == "attack"])
def test_attack_start_is_origin_time(scenario_root: Path, name: str) -> None:
    item = generated(scenario_root, name)
    origin = next(
        m
        for m in loaders.journal(item.result.data_dir)
        if loaders.message_id(m) == item.truth["origin_message_id"]
    )
    trace = [
        row
        for row in loaders.trace_rows(item.result.data_dir)
        if row["MessageId"] == f"<{item.truth['origin_message_id']}>"
    ]
    assert origin is not None
    assert trace[0]["Received"][:10] == _trace_date(item.truth["attack_start"])


def _trace_date(iso: str) -> str:
    return f"{iso[5:7]}/{iso[8:10]}/{iso[:4]}"


@pytest.mark.parametrize("name", [n for n in NAMES if SCENARIOS[n].kind == "attack"])
def test_attack_stages_have_records(scenario_root: Path, name: str) -> None:
    """Each expected stage has the truth records that show it."""
    chain = generated(scenario_root, name).truth["chain"]
    stages = SCENARIOS[name].expected_stages
    shown = {
        "sign-in": bool(chain["sign_in_ids"]),
        "collection": bool(chain["file_access_ids"] or chain["mail_items_accessed_ids"]),
        "persistence": bool(chain["inbox_rule_ids"] or chain.get("consent_ids")),
        "spread": bool(chain["internal_message_ids"] or chain["external_message_ids"]),
    }
    for stage, present in shown.items():
        assert present == (stage in stages), stage
