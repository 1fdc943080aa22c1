"""Time decay of sign-in counts: lazy, pure on read, and forgetting old values."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.counts import decay_factor
from chainwatch.baseline.signin import decayed_weights, learn_signin, signin_rarities

from ..detect.builders import Run, sign_in
from .helpers import daily_signins

USER = "dana@example.com"
JANUARY = datetime(2023, 1, 2, tzinfo=UTC)
NEXT_YEAR = datetime(2024, 1, 8, tzinfo=UTC)


def learn_all(book: BaselineBook, events, half_life_days: float = 30.0) -> None:
    for event in events:
        learn_signin(book, event, half_life_days=half_life_days)


def rarity_of(book: BaselineBook, event, feature: str, half_life_days: float = 30.0):
    return next(r for r in signin_rarities(book, event, half_life_days) if r.feature == feature)


def test_decay_factor_one_half_life() -> None:
    since = JANUARY.isoformat()

    assert decay_factor(since, JANUARY + timedelta(days=30), 30.0) == pytest.approx(0.5)


def test_decay_factor_never_grows() -> None:
    # An event older than the last decay (out of order) keeps the counts as they are.
    assert decay_factor(JANUARY.isoformat(), JANUARY - timedelta(days=3), 30.0) == 1.0


def test_decay_factor_without_time() -> None:
    assert decay_factor(None, JANUARY, 30.0) == 1.0


def test_isp_left_a_year_ago_is_novel() -> None:
    book = BaselineBook()
    learn_all(book, daily_signins(USER, JANUARY, 30, asn=64501))
    learn_all(book, daily_signins(USER, NEXT_YEAR, 30, asn=64502))
    old_isp = sign_in(USER, NEXT_YEAR + timedelta(days=31), asn=64501)

    rarity = rarity_of(book, old_isp, "network")

    assert rarity.novel
    assert "AS64501" not in book.get("signin", USER)["features"]["network"]


def test_isp_left_a_year_ago_without_decay_control() -> None:
    # With a half-life of ten years the same history still remembers the old ISP.
    book = BaselineBook()
    learn_all(book, daily_signins(USER, JANUARY, 30, asn=64501), half_life_days=3650)
    learn_all(book, daily_signins(USER, NEXT_YEAR, 30, asn=64502), half_life_days=3650)
    old_isp = sign_in(USER, NEXT_YEAR + timedelta(days=31), asn=64501)

    assert not rarity_of(book, old_isp, "network", half_life_days=3650).novel


def test_read_decays_without_learning() -> None:
    book = BaselineBook()
    learn_all(book, daily_signins(USER, JANUARY, 10, asn=64501))
    state = book.get("signin", USER)
    later = JANUARY + timedelta(days=9 + 30, hours=14)

    weights = decayed_weights(state, "network", later, 30.0)

    assert weights["AS64501"] == pytest.approx(state["weights"]["network"]["AS64501"] / 2)


def test_rarities_do_not_change_state() -> None:
    book = BaselineBook()
    learn_all(book, daily_signins(USER, JANUARY, 10, asn=64501))
    before = copy.deepcopy(dict(book.all_items()))

    signin_rarities(book, sign_in(USER, NEXT_YEAR, asn=64501), 30.0)

    assert dict(book.all_items()) == before


def test_recent_value_outweighs_faded_one() -> None:
    # Sixty old sign-ins on one ISP, then ten recent ones on another: the recent ISP
    # has the higher probability although it has fewer raw sign-ins.
    book = BaselineBook()
    learn_all(book, daily_signins(USER, JANUARY, 30, asn=64501))
    learn_all(book, daily_signins(USER, JANUARY + timedelta(days=150), 5, asn=64502))
    now = JANUARY + timedelta(days=155)

    old = rarity_of(book, sign_in(USER, now, asn=64501), "network")
    recent = rarity_of(book, sign_in(USER, now, asn=64502), "network")

    assert old.entity_count > recent.entity_count
    assert recent.probability > old.probability


def test_forgotten_value_leaves_org_count() -> None:
    book = BaselineBook()
    learn_all(book, daily_signins(USER, JANUARY, 5, asn=64501))
    assert book.get("org", "signin")["features"]["network"]["AS64501"] == 1

    learn_all(book, daily_signins(USER, NEXT_YEAR, 1, asn=64502))

    assert "AS64501" not in book.get("org", "signin")["features"]["network"]
    assert book.get("org", "signin")["features"]["network"]["AS64502"] == 1


def test_state_saved_before_decay_is_read() -> None:
    # A state from an earlier version has raw counts and no decayed weights.
    book = BaselineBook(
        {
            ("signin", USER): {
                "n": 40,
                "days": 20,
                "first": JANUARY.isoformat(),
                "last": (JANUARY + timedelta(days=20)).isoformat(),
                "features": {"network": {"AS64501": 40}, "country": {"GB": 40}},
            },
            ("org", "signin"): {"users": 1, "features": {"network": {"AS64501": 1}}},
        }
    )
    event = sign_in(USER, JANUARY + timedelta(days=21), asn=64501)

    assert rarity_of(book, event, "network").entity_count == 40

    learn_signin(book, event)
    assert book.get("signin", USER)["weights"]["network"]["AS64501"] > 40


def test_engine_uses_half_life_setting() -> None:
    from ..detect.builders import settings

    weights = []
    for half_life in (7, 30):
        run = Run(settings(detection={"half_life_days": half_life}))
        run.feed(daily_signins(USER, JANUARY, 20, asn=64501))
        weights.append(run.book.get("signin", USER)["weights"]["network"]["AS64501"])

    assert weights[0] < weights[1] < 40
