"""Suite composition and the evaluate command's output, with canned measurements."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from chainwatch.cli import main
from chainwatch.evaluate import runner
from chainwatch.evaluate.measure import RunMeasurement
from chainwatch.evaluate.scenarios import scenario_catalogue
from chainwatch.evaluate.suite import MIN_FULL_RUNS, build_suite


def test_ci_runs_every_scenario_once():
    scenarios = [entry.scenario for entry in build_suite("ci")]
    assert sorted(scenarios) == sorted(scenario_catalogue())


def test_ci_uses_smallest_tenant():
    for entry in build_suite("ci"):
        assert (entry.mailboxes, entry.days) == (50, 28), entry.label


def test_full_covers_every_scenario():
    scenarios = {entry.scenario for entry in build_suite("full")}
    assert scenarios == set(scenario_catalogue())


def test_full_has_minimum_runs():
    assert len(build_suite("full")) >= MIN_FULL_RUNS


def test_full_entries_are_distinct():
    entries = build_suite("full")
    assert len(set(entries)) == len(entries)


def test_unknown_suite_rejected():
    with pytest.raises(ValueError, match="unknown suite"):
        build_suite("nightly")


def canned(scenario: str, kind: str, false_incidents: int = 0) -> RunMeasurement:
    attack = kind == "attack"
    return RunMeasurement(
        label=f"{scenario}/seed7/50x28d",
        scenario=scenario,
        kind=kind,
        seed=7,
        mailboxes=50,
        days=28,
        compromised=3 if attack else 0,
        accounts_found=3 if attack else 0,
        has_origin=attack,
        origin_named=attack,
        expected_stages=("delivery", "sign-in") if attack else (),
        stages_found=("delivery",) if attack else (),
        hours_from_origin=96.5 if attack else None,
        hours_from_sign_in=0.2 if attack else None,
        false_incidents=false_incidents,
        seconds=12.0,
        cpu_seconds=10.0,
    )


@pytest.fixture
def canned_suite(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_run_suite(entries, jobs=None, progress=None):
        results = [canned("vendor-hijack", "attack"), canned("saas-adoption", "benign", 1)]
        for result in results:
            if progress:
                progress(result)
        return results

    monkeypatch.setattr(runner, "run_suite", fake_run_suite)
    monkeypatch.setattr("chainwatch.evaluate.run_suite", fake_run_suite)


def test_evaluate_writes_page(canned_suite, tmp_path: Path):
    output = tmp_path / "detection-quality.md"
    result = CliRunner().invoke(main, ["evaluate", "--output", str(output)])
    assert result.exit_code == 0, result.output
    page = output.read_text()
    assert "| vendor-hijack | attack | 1 | 3/3 | 1/1 | 1/2 | 96.5 / 0.2 | 0.00 (0) |" in page
    # 1 false incident in 50 mailboxes x 4 weeks is 5 per 1,000 mailbox-weeks.
    assert "| saas-adoption | benign | 1 | - | - | - | - / - | 5.00 (1) |" in page
    assert "Command: `chainwatch evaluate --suite ci`" in page
    assert "20 CPU seconds" in page  # 2 runs of 10 CPU seconds


def test_evaluate_prints_table(canned_suite, tmp_path: Path):
    result = CliRunner().invoke(main, ["evaluate", "--output", str(tmp_path / "page.md")])
    total = [line for line in result.stdout.splitlines() if line.startswith("total")]
    assert len(total) == 1
    assert "3/3" in total[0]
    assert "2.50 (1)" in total[0]  # 1 false incident in 400 mailbox-weeks


def test_evaluate_json(canned_suite, tmp_path: Path):
    result = CliRunner().invoke(main, ["evaluate", "--json", "--output", str(tmp_path / "page.md")])
    document = orjson.loads(result.stdout)
    assert document["total"]["recall"] == 1.0
    assert document["total"]["false_incidents"] == 1
    assert [s["scenario"] for s in document["scenarios"]] == ["vendor-hijack", "saas-adoption"]
    assert document["environment"]["chainwatch"]


def test_evaluate_missing_output_folder(canned_suite, tmp_path: Path):
    output = tmp_path / "missing" / "page.md"
    result = CliRunner().invoke(main, ["evaluate", "--output", str(output)])
    assert result.exit_code == 2
    assert "not found" in result.stderr
