"""Good-Turing probability of an unseen value, from the values an account saw once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.signin import learn_signin, signin_rarities
from chainwatch.detect.unusual_signin import UnusualSignIn

from ..detect.builders import settings, sign_in
from .helpers import daily_signins

START = datetime(2024, 4, 1, tzinfo=UTC)
HOMEBODY = "home@example.com"
TRAVELLER = "away@example.com"
TRIP_COUNTRIES = ("FR", "ES", "IT", "PT", "IE", "BE")


def traveller_history() -> list:
    """Twenty days at home, then one sign-in in each of six countries, days apart."""
    events = daily_signins(TRAVELLER, START, 20)
    for index, country in enumerate(TRIP_COUNTRIES):
        events.append(sign_in(TRAVELLER, START + timedelta(days=21 + 2 * index), country=country))
    return events


def country_rarity(book: BaselineBook, user: str, country: str):
    event = sign_in(user, START + timedelta(days=40), country=country)
    return next(r for r in signin_rarities(book, event) if r.feature == "country")


def test_unseen_probability_formula() -> None:
    book = BaselineBook()
    for event in traveller_history():
        learn_signin(book, event)

    rarity = country_rarity(book, TRAVELLER, "NL")

    # N1 = 6 countries seen once, N = 40 home sign-ins + 6.
    assert rarity.singletons == 6
    assert rarity.remembered == 46
    assert rarity.unseen_probability == pytest.approx(7 / 48)


def test_unseen_probability_without_singletons() -> None:
    book = BaselineBook()
    for event in daily_signins(HOMEBODY, START, 20):
        learn_signin(book, event)

    assert country_rarity(book, HOMEBODY, "NL").unseen_probability == pytest.approx(1 / 42)


def test_unseen_value_probability_scales_prior() -> None:
    book = BaselineBook()
    for event in daily_signins(HOMEBODY, START, 20):
        learn_signin(book, event)
    rarity = country_rarity(book, HOMEBODY, "NL")

    # Alone in the organisation: the prior is (0 + 0.5) / (0 + 1).
    assert rarity.probability == pytest.approx(rarity.unseen_probability * 0.5)


def learned(*streams: list) -> BaselineBook:
    """Learn every sign-in directly, as if none had scored high enough to be held back."""
    book = BaselineBook()
    for stream in streams:
        for event in sorted(stream, key=lambda e: e.time):
            learn_signin(book, event)
    return book


def test_traveller_new_country_scores_lower() -> None:
    book = learned(traveller_history(), daily_signins(HOMEBODY, START, 32))
    model = UnusualSignIn(settings=settings())
    when = START + timedelta(days=40)

    traveller = model.score(book, sign_in(TRAVELLER, when, country="NL"))
    homebody = model.score(book, sign_in(HOMEBODY, when, country="NL"))

    assert traveller is not None
    assert homebody is not None
    assert traveller.score < homebody.score


def test_explanation_gives_unseen_probability() -> None:
    book = learned(traveller_history())
    model = UnusualSignIn(settings=settings())
    detection = model.score(book, sign_in(TRAVELLER, START + timedelta(days=40), country="NL"))

    assert detection is not None
    text = " ".join(detection.explanation)
    assert "new-value probability 0.146 (6 values seen once in 46)" in text
