"""Sent items deleted within hours of a recipient surge or lure send by the same account."""

from __future__ import annotations

from datetime import timedelta

import pytest

from .builders import ATTACKER, HISTORY_END, USERS, Run, by_model, month_of_history, sign_in
from .identity_builders import deletion
from .test_surge import burst

MODEL = "sent-items-deleted-after-surge"
MORNING = HISTORY_END + timedelta(hours=9)
USER = USERS[0]


@pytest.fixture
def run() -> Run:
    trained = Run()
    trained.feed(month_of_history())
    return trained


@pytest.fixture
def spread(run: Run) -> Run:
    """The account signed in from the attacker's network and mailed 60 new people."""
    run.feed([sign_in(USER, MORNING, **ATTACKER)])
    found = run.feed(burst(USER, MORNING + timedelta(hours=1)))
    assert any(d.stage == "spread" and d.score >= 50 for d in found)
    return run


def test_sent_items_deleted_after_surge(spread: Run) -> None:
    event = deletion(USER, MORNING + timedelta(hours=2), ip=ATTACKER["ip"])
    [detection] = by_model(spread.feed([event]), MODEL)

    assert detection.score >= 60
    assert detection.stage == "spread"
    assert "5 items deleted from Sent Items" in detection.explanation[0]


def test_without_context_not_scored(run: Run) -> None:
    assert run.score(MODEL, deletion(USER, MORNING)) is None


def test_few_inbox_items_not_scored(spread: Run) -> None:
    event = deletion(USER, MORNING + timedelta(hours=2), folder="Inbox", items=2)

    assert spread.score(MODEL, event) is None


def test_many_inbox_items_scored(spread: Run) -> None:
    event = deletion(USER, MORNING + timedelta(hours=2), folder="Inbox", items=40)
    detection = spread.score(MODEL, event)

    assert detection is not None
    assert detection.score >= 50


def test_long_after_surge_not_scored(spread: Run) -> None:
    event = deletion(USER, MORNING + timedelta(hours=20), ip="198.51.100.10")

    assert spread.score(MODEL, event) is None


def test_from_unusual_sign_in_address(run: Run) -> None:
    run.feed([sign_in(USER, MORNING, **ATTACKER)])
    event = deletion(USER, MORNING + timedelta(days=2), ip=ATTACKER["ip"])
    detection = run.score(MODEL, event)

    assert detection is not None
    assert "the address of the unusual sign-in" in detection.explanation[1]


def test_other_account_not_scored(spread: Run) -> None:
    event = deletion(USERS[1], MORNING + timedelta(hours=2), ip="198.51.100.11")

    assert spread.score(MODEL, event) is None


@pytest.mark.parametrize(
    ("folder", "expected"),
    [("Sent Items", True), ("\\Sent Items", True), ("SENT", True), ("Inbox\\Sent", True),
     ("Inbox", False), (None, False), ("Sent Items Archive", False)],
)  # fmt: skip
def test_sent_folder_names(folder: str | None, expected: bool) -> None:
    from chainwatch.detect.sent_items_deleted import is_sent_folder

    assert is_sent_folder(folder) is expected
