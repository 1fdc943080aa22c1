"""The whole pipeline on each store backend: SQLite and, when configured, PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chainwatch.pipeline import run_analysis
from chainwatch.settings import load_settings
from chainwatch.simulate import simulate_tenant
from chainwatch.store import Store


@pytest.fixture(scope="module")
def small_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("small-sample")
    simulate_tenant(out, seed=3, mailboxes=50, days=28)
    return out


def test_pipeline_finds_chain_on_backend(store_url: str, small_sample: Path):
    truth = json.loads((small_sample / "truth.json").read_text())
    settings = load_settings(small_sample / "chainwatch.toml")
    with Store.open(store_url) as store:
        first = run_analysis(store, [small_sample / "data"], settings)
        urgent = [i for i in first.incidents if i.severity >= 50]
        assert len(urgent) == 1
        assert set(urgent[0].accounts) == set(truth["compromised_accounts"])
        assert urgent[0].origin is not None
        assert urgent[0].origin.message_id == truth["origin_message_id"].strip("<>").lower()

        again = run_analysis(store, [small_sample / "data"], settings)
        assert again.read.events == 0
        assert again.events_processed == 0
        assert [i.to_dict() for i in again.incidents] == [i.to_dict() for i in first.incidents]
        assert len(store.list_incidents()) == len(first.incidents)


def test_baselines_continue_across_exports(tmp_path: Path, small_sample: Path):
    """Analysing the export in two halves gives the same verdict as one run."""
    data = small_sample / "data"
    files = sorted(p for p in data.rglob("*") if p.is_file())
    signins = [p for p in files if "signins" in p.parts]
    rest = [p for p in files if p not in signins]
    settings = load_settings(small_sample / "chainwatch.toml")
    truth = json.loads((small_sample / "truth.json").read_text())

    with Store.open(tmp_path / "split.db") as store:
        run_analysis(store, signins, settings)
        second = run_analysis(store, rest, settings)
    urgent = [i for i in second.incidents if i.severity >= 50]
    assert len(urgent) == 1
    assert set(truth["compromised_accounts"]) <= set(urgent[0].accounts)


def test_late_audit_records_complete_the_chain(tmp_path: Path, small_sample: Path):
    """The audit log arriving days after everything else still joins the chain."""
    data = small_sample / "data"
    files = sorted(p for p in data.rglob("*") if p.is_file())
    audit = [p for p in files if "audit" in p.parts]
    rest = [p for p in files if p not in audit]
    settings = load_settings(small_sample / "chainwatch.toml")
    truth = json.loads((small_sample / "truth.json").read_text())

    with Store.open(tmp_path / "late.db") as store:
        first = run_analysis(store, rest, settings)
        late = run_analysis(store, audit, settings)
    assert first.replayed == 0
    assert late.replayed > 0  # the earlier events were scored again with the audit log
    [incident] = [i for i in late.incidents if i.severity >= 50]
    assert set(truth["compromised_accounts"]) <= set(incident.accounts)
    models = {d.model for d in incident.detections}
    assert "unusual-login-and-new-email-rule" in models
