"""Protected baselines: no learning for an account after a high detection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chainwatch.baseline.protect import PROTECT_DAYS, protected_until

from ..detect.builders import ATTACKER, Run, sign_in
from .helpers import daily_signins

START = datetime(2024, 4, 1, tzinfo=UTC)
USER = "dana@example.com"
ATTACK = START + timedelta(days=20, hours=3)


def attacked() -> Run:
    run = Run()
    run.feed(daily_signins(USER, START, 20))
    found = run.feed([sign_in(USER, ATTACK, **ATTACKER)])
    assert max(d.score for d in found) >= 60
    return run


def test_high_detection_protects_account() -> None:
    run = attacked()

    assert (
        protected_until(run.book, USER, ATTACK + timedelta(days=1))
        == (ATTACK + timedelta(days=PROTECT_DAYS)).isoformat()
    )


def test_protected_account_not_learned() -> None:
    run = attacked()
    before = run.book.get("signin", USER)["n"]

    run.feed([sign_in(USER, ATTACK + timedelta(days=2))])

    assert run.book.get("signin", USER)["n"] == before


def test_protection_ends() -> None:
    run = attacked()
    before = run.book.get("signin", USER)["n"]

    run.feed([sign_in(USER, ATTACK + timedelta(days=PROTECT_DAYS, hours=1))])

    assert run.book.get("signin", USER)["n"] == before + 1


def test_other_accounts_still_learn() -> None:
    run = attacked()
    run.feed(daily_signins("erin@example.com", START, 1))
    before = run.book.get("signin", "erin@example.com")["n"]

    run.feed([sign_in("erin@example.com", ATTACK + timedelta(days=2))])

    assert run.book.get("signin", "erin@example.com")["n"] == before + 1
