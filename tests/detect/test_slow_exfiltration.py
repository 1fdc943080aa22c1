"""Slow exfiltration: small reads on several days from a network the account never used."""

from __future__ import annotations

from datetime import timedelta

import pytest

from .builders import (
    ATTACKER,
    HISTORY_END,
    USERS,
    Run,
    by_model,
    file_access,
    sign_in,
    signin_history,
)

MODEL = "slow-exfiltration"
HOURLY = "unusual-file-access-after-unusual-login"
MORNING = HISTORY_END + timedelta(hours=9)
USER = USERS[0]


@pytest.fixture
def run() -> Run:
    trained = Run()
    home_reads = [
        file_access(user, time.replace(minute=30), items=3, ip=time_ip)
        for user in USERS[:3]
        for time, time_ip in [(s.time, s.ip) for s in signin_history([user], per_day=1)]
    ]
    trained.feed([*signin_history(), *home_reads])
    return trained


def attacker_reads(days: int, items: int = 6, user: str = USER) -> list:
    return [
        file_access(user, MORNING + timedelta(days=day, hours=2), items=items, ip=ATTACKER["ip"])
        for day in range(days)
    ]


def test_three_days_after_unusual_sign_in(run: Run) -> None:
    run.feed([sign_in(USER, MORNING, **ATTACKER)])
    found = run.feed(attacker_reads(3))
    [detection] = by_model(found, MODEL)

    assert detection.score >= 60
    assert detection.stage == "collection"
    assert ("network", "AS64511") in detection.entities
    assert "on 3 days within 10" in detection.explanation[0]


def test_hourly_model_stays_silent(run: Run) -> None:
    run.feed([sign_in(USER, MORNING, **ATTACKER)])
    found = run.feed(attacker_reads(3))

    assert by_model(found, HOURLY) == []


def test_two_days_not_enough(run: Run) -> None:
    run.feed([sign_in(USER, MORNING, **ATTACKER)])

    assert by_model(run.feed(attacker_reads(2)), MODEL) == []


def test_known_network_not_scored(run: Run) -> None:
    reads = [
        file_access(USER, MORNING + timedelta(days=day), items=6, ip="198.51.100.10")
        for day in range(4)
    ]

    assert by_model(run.feed(reads), MODEL) == []


def test_surge_left_to_hourly_model(run: Run) -> None:
    run.feed([sign_in(USER, MORNING, **ATTACKER)])
    run.feed(attacker_reads(2))
    burst = file_access(USER, MORNING + timedelta(days=2, hours=2), items=200, ip=ATTACKER["ip"])

    assert run.score(MODEL, burst) is None


def test_travelling_owner_discounted(run: Run) -> None:
    hotel = {**ATTACKER, "family": "Chrome", "os": "Windows"}
    signins = [sign_in(USER, MORNING + timedelta(days=day), **hotel) for day in range(3)]
    run.feed([*signins, *attacker_reads(3)])
    [detection] = run.detections(MODEL) or [None]

    assert detection is None or detection.score < 40
    if detection is not None:
        assert "travelling owner" in detection.explanation[-1]


def test_new_account_not_tracked() -> None:
    fresh = Run()
    fresh.feed([sign_in(USER, MORNING - timedelta(days=1))])

    assert by_model(fresh.feed(attacker_reads(4)), MODEL) == []
