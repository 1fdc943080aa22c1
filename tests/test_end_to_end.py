"""The main job end to end: simulate the bundled sample, analyse it, check the verdict.

These run the real readers, store, engine and correlation on real file formats, through
the command line, and compare the result with the simulator's ground truth.
"""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from chainwatch.cli import main
from chainwatch.simulate import simulate_tenant

ALERT = 50


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    simulate_tenant(out)  # the README's defaults
    return out


@pytest.fixture(scope="module")
def analysed(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    db = tmp_path_factory.mktemp("db") / "chainwatch.db"
    result = CliRunner().invoke(
        main,
        [
            "analyze",
            str(sample / "data"),
            "--config",
            str(sample / "chainwatch.toml"),
            "--db",
            str(db),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    return orjson.loads(result.stdout), db


def truth(sample: Path) -> dict:
    return json.loads((sample / "truth.json").read_text())


def test_sample_has_one_urgent_incident(analysed):
    document, _ = analysed
    urgent = [i for i in document["incidents"] if i["severity"] >= ALERT]
    assert len(urgent) == 1, [(i["title"], i["severity"]) for i in urgent]


def test_incident_holds_exactly_compromised_accounts(analysed, sample):
    document, _ = analysed
    incident = max(document["incidents"], key=lambda i: i["severity"])
    assert set(incident["accounts"]) == set(truth(sample)["compromised_accounts"])


def test_incident_names_origin_message(analysed, sample):
    document, _ = analysed
    incident = max(document["incidents"], key=lambda i: i["severity"])
    expected = truth(sample)
    assert incident["origin"]["message_id"] == expected["origin_message_id"].strip("<>").lower()
    assert incident["origin"]["sender"] == expected["origin_sender"]
    assert expected["lure_host"] in incident["origin"]["link_hosts"]


def test_incident_covers_every_chain_stage(analysed):
    document, _ = analysed
    incident = max(document["incidents"], key=lambda i: i["severity"])
    models = {d["model"] for d in incident["detections"]}
    assert {
        "account-hijack-link",
        "unusual-sign-in",
        "unusual-login-and-new-email-rule",
        "unusual-file-access-after-unusual-login",
        "unusual-login-location-and-new-unknown-link",
        "recipient-surge-from-unusual-login-location",
        "recipient-surge-with-suspicious-content",
    } <= models


def test_benign_lookalikes_stay_below_alert(analysed, sample):
    document, _ = analysed
    compromised = set(truth(sample)["compromised_accounts"])
    for lookalike in truth(sample)["benign_lookalikes"]:
        accounts = set(lookalike["accounts"]) - compromised
        for incident in document["incidents"]:
            if accounts & set(incident["accounts"]):
                assert incident["severity"] < ALERT, (lookalike["name"], incident["title"])


def test_every_detection_explains_itself_in_numbers(analysed):
    document, _ = analysed
    for incident in document["incidents"]:
        for detection in incident["detections"]:
            assert detection["explanation"], detection["model"]
            assert any(ch.isdigit() for ch in " ".join(detection["explanation"])), detection


def test_read_summary_counts_every_source(analysed):
    document, _ = analysed
    per_reader = document["read"]["per_reader"]
    for reader in (
        "entra-signin",
        "ual-json",
        "ual-csv",
        "message-trace",
        "mbox",
        "maildir",
        "eml",
    ):
        assert per_reader.get(reader, 0) > 0, reader
    assert document["read"]["rejected"] == 0


def test_rerun_changes_nothing(analysed, sample):
    document, db = analysed
    again = CliRunner().invoke(
        main,
        [
            "analyze",
            str(sample / "data"),
            "--config",
            str(sample / "chainwatch.toml"),
            "--db",
            str(db),
            "--json",
        ],
    )
    assert again.exit_code == 0, again.output
    second = orjson.loads(again.stdout)
    assert second["read"]["events"] == 0
    assert second["events_processed"] == 0
    assert second["incidents"] == document["incidents"]


def test_follow_up_commands_read_the_store(analysed):
    document, db = analysed
    runner = CliRunner()
    listed = runner.invoke(main, ["incidents", "--db", str(db)])
    assert listed.exit_code == 0, listed.output
    incident = max(document["incidents"], key=lambda i: i["severity"])
    assert incident["incident_id"] in listed.output

    shown = runner.invoke(main, ["show", incident["incident_id"][:8], "--db", str(db)])
    assert shown.exit_code == 0, shown.output
    assert "Origin message" in shown.output
