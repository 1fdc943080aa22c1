"""Unusual sign-in against a month of history: 20 users in GB on AS64496 with Chrome."""

from __future__ import annotations

from datetime import timedelta

import pytest

from .builders import (
    ATTACKER,
    HISTORY_END,
    USERS,
    Run,
    by_model,
    score_of,
    settings,
    sign_in,
    signin_history,
)

MODEL = "unusual-sign-in"
MORNING = HISTORY_END + timedelta(hours=9)


@pytest.fixture
def run() -> Run:
    trained = Run(settings(known_networks={"203.0.113.192/27": "corporate-vpn"}))
    trained.feed(signin_history())
    return trained


def test_new_country_network_client_scores_high(run: Run) -> None:
    [detection] = by_model(run.feed([sign_in(USERS[0], MORNING, **ATTACKER)]), MODEL)

    assert detection.score >= 80
    assert detection.account == USERS[0]


def test_explanation_counts_history(run: Run) -> None:
    [detection] = by_model(run.feed([sign_in(USERS[0], MORNING, **ATTACKER)]), MODEL)

    text = " ".join(detection.explanation)
    assert "country NL: 0 of 90 sign-ins" in text
    assert "network AS64511: 0 of 90 sign-ins" in text
    assert "client python-requests: 0 of 90 sign-ins" in text


def test_usual_signin_raises_nothing(run: Run) -> None:
    assert run.feed([sign_in(USERS[0], MORNING, ip="198.51.100.10")]) == []


def test_known_network_label_is_not_scored(run: Run) -> None:
    vpn = {**ATTACKER, "ip": "203.0.113.200"}
    event = run.enricher.enrich(sign_in(USERS[0], MORNING, **vpn))

    assert event.location.network_label == "corporate-vpn"
    assert run.score(MODEL, sign_in(USERS[0], MORNING, **vpn)) is None


def test_known_network_control_scores(run: Run) -> None:
    # The same sign-in one address outside the labelled /27 does score.
    outside = {**ATTACKER, "ip": "203.0.113.191"}
    assert run.score(MODEL, sign_in(USERS[0], MORNING, **outside)) is not None


def test_failed_signin_never_scores(run: Run) -> None:
    failed = sign_in(USERS[0], MORNING, **ATTACKER, success=False)

    assert run.score(MODEL, failed) is None
    assert run.feed([failed]) == []


def test_failed_signin_is_not_learned(run: Run) -> None:
    before = run.book.get("signin", USERS[0])["n"]
    run.feed(sign_in(USERS[0], MORNING + timedelta(minutes=i), **ATTACKER, success=False)
             for i in range(20))  # fmt: skip

    assert run.book.get("signin", USERS[0])["n"] == before
    after = run.score(MODEL, sign_in(USERS[0], MORNING + timedelta(hours=1), **ATTACKER))
    assert after is not None
    assert "country NL: 0 of 90" in " ".join(after.explanation)


def test_network_of_many_users_scores_lower() -> None:
    """A new ASN that ten colleagues use is weaker evidence than one nobody used."""
    run = Run()
    run.feed(signin_history(USERS[:10]))
    run.feed(signin_history(USERS[10:], asn=64499))  # another ISP in the same country
    user = USERS[0]

    shared = run.score(MODEL, sign_in(user, MORNING, asn=64499))
    novel = run.score(MODEL, sign_in(user, MORNING, asn=64498))

    assert score_of(novel) > 0
    assert score_of(shared) < score_of(novel)


def test_second_user_same_flagged_network(run: Run) -> None:
    run.feed([sign_in(USERS[0], MORNING, **ATTACKER)])
    second = {**ATTACKER, "ip": "203.0.113.51"}
    [detection] = by_model(run.feed([sign_in(USERS[1], MORNING + timedelta(hours=2), **second)]),
                           MODEL)  # fmt: skip

    reason = next(line for line in detection.explanation if line.startswith("same network"))
    assert "AS64511" in reason
    assert USERS[0] in reason


def test_same_flagged_network_raises_score() -> None:
    """The shared-network reason adds weight, not only text."""
    alone = Run()
    alone.feed(signin_history())
    flagged = Run()
    flagged.feed(signin_history())
    flagged.feed([sign_in(USERS[0], MORNING, **ATTACKER)])
    mild = {"ip": "203.0.113.51", "asn": 64511}  # only the network is new

    assert score_of(flagged.score(MODEL, sign_in(USERS[1], MORNING, **mild))) > score_of(
        alone.score(MODEL, sign_in(USERS[1], MORNING, **mild))
    )


def test_attacker_country_stays_unusual(run: Run) -> None:
    first = by_model(run.feed([sign_in(USERS[0], MORNING, **ATTACKER)]), MODEL)
    # Two days later, past the 12-hour repeat fold, the attacker signs in again.
    second = by_model(run.feed([sign_in(USERS[0], MORNING + timedelta(days=2), **ATTACKER)]),
                      MODEL)  # fmt: skip

    assert first
    assert second
    assert second[0].score >= first[0].score - 1
    assert "country NL: 0 of" in " ".join(second[0].explanation)


def test_attacker_signin_not_in_baseline(run: Run) -> None:
    run.feed([sign_in(USERS[0], MORNING, **ATTACKER)])
    countries = run.book.get("signin", USERS[0])["features"]["country"]

    assert "NL" not in countries


def test_ordinary_signins_are_learned(run: Run) -> None:
    before = run.book.get("signin", USERS[0])["n"]
    run.feed([sign_in(USERS[0], MORNING, ip="198.51.100.10")])

    assert run.book.get("signin", USERS[0])["n"] == before + 1


def test_peer_group_from_directory() -> None:
    """The engine takes peer groups from directory departments into the explanation."""
    from chainwatch.baseline.book import BaselineBook
    from chainwatch.detect.engine import Engine
    from chainwatch.directory import Directory
    from chainwatch.events import DirectoryEntry, Origin

    origin = Origin(file="synthetic/directory", position="")
    directory = Directory(
        DirectoryEntry(upn=user, origin=origin, department="Finance" if i < 5 else "Sales")
        for i, user in enumerate(USERS)
    )
    run = Run()
    run.engine = Engine(run.settings, BaselineBook(), directory)
    run.feed(signin_history())

    detection = run.score(MODEL, sign_in(USERS[0], MORNING, **ATTACKER))

    assert detection is not None
    text = " ".join(detection.explanation)
    assert "prior from peer group 'finance': 0 of 4" in text
    assert "baseline established, half-life 30 days, peer group 'finance'" in text
