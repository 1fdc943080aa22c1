"""Learning state of sign-in baselines and the ``chainwatch baseline`` command."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from click.testing import CliRunner

from chainwatch.baseline.learning import learning_state
from chainwatch.cli import main
from chainwatch.store import Store

from ..detect.builders import Run
from .helpers import daily_signins

START = datetime(2024, 4, 1, tzinfo=UTC)
USER = "dana@example.com"


def state(n: int, first_days_ago: float, last_days_ago: float) -> dict:
    now = START + timedelta(days=100)
    return {
        "n": n,
        "first": (now - timedelta(days=first_days_ago)).isoformat(),
        "last": (now - timedelta(days=last_days_ago)).isoformat(),
    }


NOW = START + timedelta(days=100)


def test_state_learning_few_signins() -> None:
    assert learning_state(state(4, 60, 1), NOW, 5, 30.0) == "learning"


def test_state_learning_young() -> None:
    assert learning_state(state(50, 6, 0), NOW, 5, 30.0) == "learning"


def test_state_established() -> None:
    assert learning_state(state(50, 60, 2), NOW, 5, 30.0) == "established"


def test_state_stale() -> None:
    assert learning_state(state(50, 90, 31), NOW, 5, 30.0) == "stale"


def test_state_missing() -> None:
    assert learning_state(None, NOW, 5, 30.0) == "learning"


def saved_db(tmp_path: Path) -> Path:
    run = Run()
    run.feed(daily_signins(USER, START, 20, asn=64501))
    run.feed(daily_signins("erin@example.com", START, 25))
    db = tmp_path / "chainwatch.db"
    store = Store.open(f"sqlite:///{db}")
    try:
        store.save_baselines(dict(run.book.all_items()))
    finally:
        store.close()
    return db


def test_cli_baseline_json(tmp_path: Path) -> None:
    db = saved_db(tmp_path)

    result = CliRunner().invoke(main, ["baseline", "Dana@Example.com", "--db", str(db), "--json"])

    assert result.exit_code == 0, result.output
    summary = orjson.loads(result.stdout)
    assert summary["state"] == "established"
    assert summary["sign_ins"] == 40
    assert summary["features"]["network"][0]["value"] == "AS64501"
    assert summary["features"]["network"][0]["count"] == 40
    # Counts decay to erin's newest sign-in, five days after dana's.
    assert summary["features"]["network"][0]["weight"] < 40


def test_cli_baseline_text(tmp_path: Path) -> None:
    db = saved_db(tmp_path)

    result = CliRunner().invoke(main, ["baseline", USER, "--db", str(db)])

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{USER}: established")
    assert "network: AS64501 40 (weight" in result.output
    assert "peer group: (none" in result.output


def test_cli_baseline_unknown_account(tmp_path: Path) -> None:
    db = saved_db(tmp_path)

    result = CliRunner().invoke(main, ["baseline", "nobody@example.com", "--db", str(db)])

    assert result.exit_code == 2
    assert "no sign-in baseline for 'nobody@example.com'" in result.output


def test_state_stale_while_others_sign_in() -> None:
    run = Run()
    run.feed(daily_signins(USER, START, 10))
    run.feed(daily_signins("erin@example.com", START, 60))
    erin_last = datetime.fromisoformat(run.book.get("signin", "erin@example.com")["last"])

    assert learning_state(run.book.get("signin", USER), erin_last, 5, 30.0) == "stale"
