"""Kill ``chainwatch analyze`` with SIGKILL part way, run it again, and expect a clean run's store.

One simulated tenant (seed 5, 50 mailboxes, 28 days) is analysed once without
interruption into ``clean.db``. Each scenario analyses the same files into its own
database, kills the process with SIGKILL at one or more points, then runs it to
completion. The resumed store must equal the clean one: event ids and payloads, rejected
records, detections (ids, scores, incidents), incidents (ids, severity, accounts) and
baselines. Kill points are timed from the progress lines on stderr, or from the store
itself for the scoring phase.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chainwatch.events import event_to_dict
from chainwatch.simulate import simulate_tenant
from chainwatch.store import Store

RUN_TIMEOUT_SECONDS = 300
SCORING_LINE = "scoring events against baselines"


@dataclass(frozen=True)
class KillPoint:
    """When to kill: after a stderr line starting with ``line`` and ``delay`` seconds more.

    With ``line`` empty, the kill waits until the store has events marked processed: with
    processed marks committed in batches that is inside the scoring phase, and with one
    atomic commit it is just after it.
    """

    name: str
    line: str
    delay: float = 0.0


INGEST_EARLY = KillPoint("ingest-early", "reading ", 0.5)
INGEST_LATE = KillPoint("ingest-late", "reading sample/data/message-trace")
SCORING_EARLY = KillPoint("scoring-early", SCORING_LINE, 0.3)
FIRST_COMMIT = KillPoint("first-commit", "")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a folder with the simulated tenant under ``sample/`` and a clean run's store."""
    root = tmp_path_factory.mktemp("kill-resume")
    simulate_tenant(root / "sample", seed=5, mailboxes=50, days=28)
    completed = _analyze(root, "clean.db")
    assert completed.returncode == 0, completed.stderr
    return root


def _command(database: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "chainwatch.cli",
        "analyze",
        "sample/data",
        "--config",
        "sample/chainwatch.toml",
        "--db",
        database,
    ]


def _analyze(root: Path, database: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _command(database),
        cwd=root,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )


def _run_and_kill(root: Path, database: str, point: KillPoint) -> int:
    """Start an analysis, SIGKILL it at ``point`` and return its exit status."""
    process = subprocess.Popen(
        _command(database),
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    trigger = threading.Event()

    def watch_progress() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            if point.line and line.startswith(point.line):
                trigger.set()
        trigger.set()  # the stream closed because the process ended before the kill point

    watcher = threading.Thread(target=watch_progress, daemon=True)
    watcher.start()
    try:
        if point.line:
            trigger.wait(RUN_TIMEOUT_SECONDS)
            time.sleep(point.delay)
        else:
            _wait_for_processed_events(root / database, process)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        return process.wait(RUN_TIMEOUT_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        watcher.join(5)


def _wait_for_processed_events(path: Path, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while process.poll() is None and time.monotonic() < deadline:
        if _processed_count(path) > 0:
            return
        time.sleep(0.02)


def _processed_count(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.1) as connection:
            row = connection.execute("SELECT count(*) FROM events WHERE processed").fetchone()
    except sqlite3.Error:
        return 0  # the table does not exist yet or the writer holds the lock
    return int(row[0])


def _snapshot(path: Path) -> dict[str, Any]:
    """Return everything the comparison covers, without run ids and timestamps of writes."""
    with Store.open(path) as store:
        events = {event.event_id: event_to_dict(event) for event in store.iter_events()}
        rejected = sorted(
            (row["file"], row["position"], row["field"], row["reason"], row["record_id"] or "")
            for row in store.list_rejected()
        )
        detections = sorted(
            (row["detection_id"], row["score"], row["incident_id"] or "")
            for row in store.list_detections()
        )
        incidents = sorted(
            (row["incident_id"], row["severity"], tuple(row["accounts"]))
            for row in store.list_incidents()
        )
        return {
            "events": events,
            "unprocessed": store.counts()["unprocessed"],
            "rejected": rejected,
            "detections": detections,
            "incidents": incidents,
            "baselines": store.load_baselines(),
        }


@pytest.fixture(scope="module")
def clean(workspace: Path) -> dict[str, Any]:
    return _snapshot(workspace / "clean.db")


def _resumed(workspace: Path, points: tuple[KillPoint, ...]) -> dict[str, Any]:
    database = "-".join(point.name for point in points) + ".db"
    for point in points:
        status = _run_and_kill(workspace, database, point)
        assert status == -signal.SIGKILL, f"{point.name}: the run ended before the kill point"
    completed = _analyze(workspace, database)
    assert completed.returncode == 0, completed.stderr
    return _snapshot(workspace / database)


SCENARIOS = [
    pytest.param((INGEST_EARLY,), id="ingest-early"),
    pytest.param((INGEST_LATE,), id="ingest-late"),
    pytest.param((INGEST_EARLY, INGEST_LATE), id="ingest-twice"),
    pytest.param((SCORING_EARLY,), id="scoring-early"),
    pytest.param((FIRST_COMMIT,), id="first-commit"),
    pytest.param((INGEST_LATE, SCORING_EARLY), id="ingest-then-scoring"),
]


@pytest.mark.parametrize("points", SCENARIOS)
def test_resume_matches_clean_run(
    workspace: Path, clean: dict[str, Any], points: tuple[KillPoint, ...]
) -> None:
    resumed = _resumed(workspace, points)

    assert resumed["events"].keys() == clean["events"].keys()
    assert resumed["events"] == clean["events"]
    assert resumed["unprocessed"] == 0
    assert resumed["rejected"] == clean["rejected"]
    assert resumed["detections"] == clean["detections"]
    assert resumed["incidents"] == clean["incidents"]
    assert resumed["baselines"] == clean["baselines"]
