"""Token replay: non-interactive sign-ins from networks the account never used interactively."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from chainwatch.detect.identity_context import remember_identity_context

from .builders import ATTACKER, HISTORY_END, USERS, Run, by_model, score_of, sign_in, signin_history

MODEL = "token-replay-sign-in"
UNUSUAL = "unusual-sign-in"
MORNING = HISTORY_END + timedelta(hours=9)
USER = USERS[0]
# A network in the home country that two other accounts sign in from every day, so
# unusual-sign-in scores a first use from it below 50.
REPLAY = {"ip": "203.0.113.80", "country": "GB", "asn": 64520, "family": "Chrome", "os": "Windows"}


@pytest.fixture
def run() -> Run:
    trained = Run()
    second_network = signin_history(USERS[10:12], per_day=1, asn=64520, ip="203.0.113.81")
    trained.feed([*signin_history(), *second_network])
    return trained


def test_replay_from_network_never_interactive(run: Run) -> None:
    event = sign_in(USER, MORNING, interactive=False, **REPLAY)
    unusual = run.score(UNUSUAL, event)
    detection = run.score(MODEL, event)

    assert score_of(unusual) < 50
    assert detection is not None
    assert detection.score >= 15
    assert any("0 of 90 interactive sign-ins" in r for r in detection.explanation)


def test_silent_when_unusual_signin_reports_it(run: Run) -> None:
    found = run.feed([sign_in(USER, MORNING, interactive=False, **ATTACKER)])

    assert by_model(found, UNUSUAL)[0].score >= 50
    assert by_model(found, MODEL) == []


def test_interactive_sign_in_before_explains_it(run: Run) -> None:
    run.feed([sign_in(USER, MORNING, **REPLAY)])
    event = sign_in(USER, MORNING + timedelta(hours=2), interactive=False, **REPLAY)

    assert run.score(MODEL, event) is None


def test_interactive_sign_in_not_scored(run: Run) -> None:
    assert run.score(MODEL, sign_in(USER, MORNING, **REPLAY)) is None


def test_usual_network_not_scored(run: Run) -> None:
    event = sign_in(USER, MORNING, interactive=False, ip="198.51.100.10")

    assert run.score(MODEL, event) is None


def test_new_account_not_scored() -> None:
    fresh = Run()
    event = sign_in(USER, MORNING, interactive=False, **ATTACKER)

    assert fresh.score(MODEL, event) is None


def test_established_network_not_scored(run: Run) -> None:
    # A phone refreshing tokens over its carrier every day is the account's own pattern.
    carrier = {**REPLAY, "ip": "203.0.113.90", "asn": 64530}
    for day in range(8):
        when = HISTORY_END - timedelta(days=8 - day)
        run.feed([sign_in(USER, when, interactive=False, **carrier)])

    assert run.score(MODEL, sign_in(USER, MORNING, interactive=False, **carrier)) is None


def test_replay_remembered_as_unusual_signin(run: Run) -> None:
    event = run.enricher.enrich(sign_in(USER, MORNING, interactive=False, **REPLAY))
    detection = run.score(MODEL, event)
    assert detection is not None
    strong = replace(detection, score=70)
    remember_identity_context(run.book, event, [strong], frozenset({"example.com"}))
    [remembered] = run.book.get("account", USER)["unusual-signin"]

    assert remembered["model"] == MODEL
    assert remembered["ip"] == REPLAY["ip"]
    assert run.book.get("flagged-network", "AS64520")["accounts"] == [USER]
