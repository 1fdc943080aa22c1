"""Scores never see the future: a run cut off during the attack scores its past identically.

The evaluation's hours-to-detect figures are only honest if a detection at time T depends
on nothing after T. This analyses a simulated tenant in full, then analyses a second
store holding only the events before a cut-off a couple of hours into the takeover, and
compares the detections before the cut-off.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from chainwatch.detect.base import Detection
from chainwatch.evaluate.measure import ALERT_SEVERITY
from chainwatch.evaluate.scenarios import DEFAULT_SCENARIO, simulate_scenario
from chainwatch.evaluate.suite import CI_SEED, CI_SIZE, START
from chainwatch.evaluate.truth import first_attacker_sign_in, load_truth
from chainwatch.pipeline import SIGNIN_LOG_DAYS_KEY, analyse, run_analysis
from chainwatch.settings import load_settings
from chainwatch.store import Store

CUT_AFTER_SIGN_IN = timedelta(hours=2)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("lookahead")
    mailboxes, days = CI_SIZE
    simulation = simulate_scenario(
        folder / "tenant",
        DEFAULT_SCENARIO,
        seed=CI_SEED,
        mailboxes=mailboxes,
        days=days,
        start=START,
    )
    truth = load_truth(simulation.truth_path)
    settings = load_settings(simulation.settings_path)

    with Store.open(folder / "full.db") as full:
        run_analysis(full, [simulation.data_dir], settings)
        sign_in = first_attacker_sign_in(full, truth)
        assert sign_in is not None, "the simulated chain has no attacker sign-in"
        cutoff = sign_in + CUT_AFTER_SIGN_IN
        full_detections = _detections(full)
        with Store.open(folder / "cut.db") as cut:
            _copy_events_before(full, cut, cutoff)
            analyse(cut, settings)
            cut_detections = _detections(cut)
    before = {k: d for k, d in full_detections.items() if d.time < cutoff}
    return before, cut_detections, cutoff


def _detections(store: Store) -> dict[str, Detection]:
    found = (Detection.from_dict(row) for row in store.list_detections())
    return {d.detection_id: d for d in found}


def _copy_events_before(source: Store, target: Store, cutoff: datetime) -> None:
    run_id = target.start_run("analyze", ["events before the cut-off"])
    target.add_events(list(source.iter_events(end=cutoff)), run_id)
    target.save_directory(source.load_directory(), run_id)
    days = source.get_meta(SIGNIN_LOG_DAYS_KEY)
    if days:
        target.set_meta(SIGNIN_LOG_DAYS_KEY, days)


def test_cut_run_catches_attack_before_cutoff(runs):
    _, cut, _ = runs
    assert any(d.score >= ALERT_SEVERITY for d in cut.values())


def test_cut_run_has_no_later_detection(runs):
    _, cut, cutoff = runs
    assert all(d.time < cutoff for d in cut.values())


def test_same_detections_before_cutoff(runs):
    before, cut, _ = runs
    assert sorted(cut) == sorted(before)


def test_same_findings_before_cutoff(runs):
    before, cut, _ = runs
    for detection_id, detection in cut.items():
        full = before[detection_id]
        assert (full.model, full.time, full.account, full.stage, full.event_ids) == (
            detection.model,
            detection.time,
            detection.account,
            detection.stage,
            detection.event_ids,
        ), detection_id


def test_same_scores_before_cutoff(runs):
    # Repeats after the cut-off fold into an earlier detection and may raise its score,
    # so scores and explanations are compared where both runs folded the same repeats.
    before, cut, _ = runs
    compared = 0
    for detection_id, detection in cut.items():
        full = before[detection_id]
        if full.repeat_count != detection.repeat_count:
            continue
        compared += 1
        assert full.score == detection.score, detection_id
        assert full.explanation == detection.explanation, detection_id
    assert compared > 0
