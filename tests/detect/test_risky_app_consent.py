"""Risky app consent against a month of history: which grants, to which app, after what."""

from __future__ import annotations

from datetime import timedelta

import pytest

from .builders import ATTACKER, HISTORY_END, USERS, Run, by_model, month_of_history, sign_in
from .identity_builders import consent

MODEL = "risky-app-consent"
MORNING = HISTORY_END + timedelta(hours=9)
USER = USERS[0]


@pytest.fixture
def run() -> Run:
    trained = Run()
    trained.feed(month_of_history())
    return trained


def test_new_mail_app_scores(run: Run) -> None:
    [detection] = by_model(run.feed([consent(USER, MORNING)]), MODEL)

    assert 40 <= detection.score < 60
    assert detection.stage == "persistence"
    assert ("app", "a1b2c3d4-0000-4000-8000-00000000aaaa") in detection.entities


def test_explanation_has_scopes_and_counts(run: Run) -> None:
    [detection] = by_model(run.feed([consent(USER, MORNING)]), MODEL)
    text = " ".join(detection.explanation)

    assert "Mail.Read (0.5)" in text
    assert "0 other accounts consented before" in text
    assert "novelty 1.00" in text


def test_sign_in_only_scopes_ignored(run: Run) -> None:
    event = consent(USER, MORNING, scopes=("openid", "profile", "email", "User.Read"))

    assert run.score(MODEL, event) is None


def test_after_unusual_sign_in_scores_high(run: Run) -> None:
    run.feed([sign_in(USER, MORNING, **ATTACKER)])
    event = consent(USER, MORNING + timedelta(minutes=20), ip=ATTACKER["ip"])
    [detection] = by_model(run.feed([event]), MODEL)

    assert detection.score >= 75
    assert any("unusual sign-in" in reason for reason in detection.explanation)
    assert len(detection.event_ids) == 2


def test_after_lure_scores_higher(run: Run) -> None:
    plain = run.score(MODEL, consent(USER, MORNING))
    run.book.edit("account", USER)["lure-received"] = [
        {
            "time": (MORNING - timedelta(hours=3)).isoformat(),
            "model": "account-hijack-link",
            "score": 80,
        }
    ]
    lured = run.score(MODEL, consent(USER, MORNING))

    assert plain is not None
    assert lured is not None
    assert lured.score > plain.score
    assert any("account-hijack-link" in reason for reason in lured.explanation)


def test_familiar_app_scores_lower(run: Run) -> None:
    first = run.score(MODEL, consent(USER, MORNING))
    run.feed([consent(u, MORNING + timedelta(minutes=i)) for i, u in enumerate(USERS[1:6])])
    later = run.score(MODEL, consent(USER, MORNING + timedelta(hours=1)))

    assert first is not None
    assert later is not None
    assert later.score < first.score


def test_admin_consent_well_known_app_low(run: Run) -> None:
    run.feed([consent(u, MORNING + timedelta(minutes=i)) for i, u in enumerate(USERS[1:6])])
    event = consent(
        USERS[7],
        MORNING + timedelta(hours=2),
        scopes=("Mail.ReadWrite", "Files.Read.All"),
        admin_consent=True,
    )
    detection = run.score(MODEL, event)

    assert detection is None or detection.score < 20


def test_admin_consent_new_app_scores(run: Run) -> None:
    event = consent(USERS[7], MORNING, scopes=("Mail.ReadWrite",), admin_consent=True)
    detection = run.score(MODEL, event)

    assert detection is not None
    assert detection.score >= 60
    assert "for all users" in detection.summary


def test_google_gmail_scope_scores(run: Run) -> None:
    event = consent(
        USER, MORNING, app_name="Inbox Helper", app_id="4711.apps.googleusercontent.com",
        scopes=("https://mail.google.com/",),
    )  # fmt: skip
    detection = run.score(MODEL, event)

    assert detection is not None
    assert detection.score >= 60


def test_suspicious_consent_not_learned(run: Run) -> None:
    run.feed([sign_in(USER, MORNING, **ATTACKER)])
    run.feed([consent(USER, MORNING + timedelta(minutes=20), ip=ATTACKER["ip"])])

    assert run.book.get("app-consent", "a1b2c3d4-0000-4000-8000-00000000aaaa") is None


def test_consent_remembered_as_context(run: Run) -> None:
    run.feed([sign_in(USER, MORNING, **ATTACKER)])
    run.feed([consent(USER, MORNING + timedelta(minutes=20), ip=ATTACKER["ip"])])
    entries = run.book.get("account", USER)["risky-consent"]

    assert [entry["app"] for entry in entries] == ["Mail Sorter"]
