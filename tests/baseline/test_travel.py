"""Travel plausibility from country centres and radii."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chainwatch.baseline.geography import COUNTRY_AREAS, great_circle_km
from chainwatch.baseline.travel import trip_between

from ..detect.builders import Run, score_of, sign_in
from .helpers import daily_signins

NOON = datetime(2024, 4, 15, 12, tzinfo=UTC)
USER = "dana@example.com"
MODEL = "unusual-sign-in"


def last_in(country: str, hours_before: float) -> dict:
    return {"time": (NOON - timedelta(hours=hours_before)).isoformat(), "country": country}


def test_great_circle_london_area() -> None:
    # GB and NG centres are about 5,200 km apart on a sphere of radius 6,371 km.
    distance = great_circle_km(COUNTRY_AREAS["GB"], COUNTRY_AREAS["NG"])

    assert distance == pytest.approx(5200, abs=150)


def test_every_area_is_valid() -> None:
    for code, area in COUNTRY_AREAS.items():
        assert len(code) == 2 and code.isupper(), code
        assert -90 <= area.latitude <= 90, code
        assert -180 <= area.longitude <= 180, code
        assert 0 < area.radius_km <= 5000, code


def test_trip_one_hour_is_impossible() -> None:
    trip = trip_between(last_in("GB", 1), "NG", NOON)

    assert trip is not None
    assert trip.impossible
    assert not trip.plausible_flight


def test_trip_two_days_is_plausible() -> None:
    trip = trip_between(last_in("GB", 48), "NG", NOON)

    assert trip is not None
    assert trip.plausible_flight
    assert not trip.impossible


def test_neighbours_never_impossible() -> None:
    # Centres minus radii: GB and FR overlap, so no minimum distance remains.
    trip = trip_between(last_in("GB", 0.1), "FR", NOON)

    assert trip is not None
    assert trip.min_km == 0
    assert not trip.impossible


@pytest.mark.parametrize(
    ("last", "country"),
    [
        ({"time": NOON.isoformat(), "country": "DE"}, "DE"),  # same country
        ({"time": NOON.isoformat(), "country": "DE"}, None),  # unknown country
        ({"time": NOON.isoformat(), "country": "DE"}, "XX"),  # not in the table
        (None, "DE"),  # no trusted sign-in yet
    ],
)
def test_no_trip(last: dict | None, country: str | None) -> None:
    assert trip_between(last, country, NOON) is None


def test_zero_hours_speed_is_infinite() -> None:
    trip = trip_between(last_in("GB", 0), "NG", NOON)

    assert trip is not None
    assert trip.impossible
    assert "any speed" in trip.describe()


def trained() -> Run:
    run = Run()
    run.feed(daily_signins(USER, NOON - timedelta(days=20, hours=3), 20))
    return run


def test_impossible_travel_adds_evidence() -> None:
    run = trained()
    last = run.book.get("signin", USER)["last_trusted"]
    soon = datetime.fromisoformat(last["time"]) + timedelta(hours=1)
    later = datetime.fromisoformat(last["time"]) + timedelta(hours=2)
    quick = run.score(MODEL, sign_in(USER, soon, country="NG", asn=64510, ip="203.0.113.9"))
    # Same sign-in, but with a trusted sign-in in NG in between: no trip at all.
    run.book.edit("signin", USER)["last_trusted"] = {"time": soon.isoformat(), "country": "NG"}
    control = run.score(MODEL, sign_in(USER, later, country="NG", asn=64510, ip="203.0.113.9"))

    assert quick is not None
    assert control is not None
    assert any(line.startswith("impossible travel: GB -> NG") for line in quick.explanation)
    assert quick.score > control.score


def test_plausible_trip_lowers_country_weight() -> None:
    run = trained()
    last = datetime.fromisoformat(run.book.get("signin", USER)["last_trusted"]["time"])
    # A client the account never used, so the travelling-owner discount does not apply.
    away = {"country": "US", "asn": 64505, "ip": "203.0.113.70", "family": "Firefox"}
    quick = run.score(MODEL, sign_in(USER, last + timedelta(hours=1), **away))
    flown = run.score(MODEL, sign_in(USER, last + timedelta(hours=14), **away))

    assert quick is not None
    assert flown is not None
    assert any(line.startswith("plausible trip") for line in flown.explanation)
    assert flown.score < quick.score


def test_labelled_signin_keeps_last_trusted() -> None:
    from ..detect.builders import settings

    run = Run(settings(known_networks={"203.0.113.99/32": "anonymizing-relay"}))
    run.feed(daily_signins(USER, NOON - timedelta(days=10), 9, country="DE"))
    before = run.book.get("signin", USER)["last_trusted"]

    run.feed([sign_in(USER, NOON, ip="203.0.113.99", country="US")])

    assert run.book.get("signin", USER)["last_trusted"] == before


def flown_to_us(run: Run, hours: float = 14, **fields: object):
    """A US hotel sign-in ``hours`` after the last trusted sign-in in GB."""
    last = datetime.fromisoformat(run.book.get("signin", USER)["last_trusted"]["time"])
    away = {"country": "US", "asn": 64505, "ip": "203.0.113.70", **fields}
    return sign_in(USER, last + timedelta(hours=hours), **away)  # type: ignore[arg-type]


def test_travelling_owner_below_context_floor() -> None:
    run = trained()
    detection = run.score(MODEL, flown_to_us(run))

    assert detection is not None
    assert detection.score < 50
    assert any(line.startswith("travelling owner") for line in detection.explanation)


def test_unknown_client_after_trip_stays_high() -> None:
    run = trained()
    owner = run.score(MODEL, flown_to_us(run))
    stranger = run.score(MODEL, flown_to_us(run, family="python-requests", os="Linux"))

    assert stranger is not None
    assert stranger.score >= 50
    assert stranger.score > score_of(owner)


def test_token_sign_in_after_trip_not_owner() -> None:
    # A refresh proves no one was present, so a first token from abroad gets no discount.
    run = trained()
    detection = run.score(MODEL, flown_to_us(run, interactive=False))

    assert detection is not None
    assert detection.score >= 50
    assert not any(line.startswith("travelling owner") for line in detection.explanation)


def test_owner_on_flagged_network_not_discounted() -> None:
    run = trained()
    run.book.edit("flagged-network", "AS64505").update(
        {"time": NOON.isoformat(), "first": NOON.isoformat(), "accounts": ["eve@example.com"]}
    )
    detection = run.score(MODEL, flown_to_us(run))

    assert detection is not None
    assert detection.score >= 50
    assert not any(line.startswith("travelling owner") for line in detection.explanation)


def test_next_day_at_hotel_stays_low() -> None:
    run = trained()
    arrival = flown_to_us(run)
    run.feed([arrival])
    next_day = sign_in(
        USER, arrival.time + timedelta(hours=20), country="US", asn=64505, ip="203.0.113.70"
    )
    token = sign_in(
        USER,
        arrival.time + timedelta(hours=21),
        country="US",
        asn=64505,
        ip="203.0.113.70",
        interactive=False,
    )

    assert run.book.get("signin", USER)["last_trusted"]["network"] == "AS64505"
    assert score_of(run.score(MODEL, next_day)) < 50
    assert score_of(run.score(MODEL, token)) < 50


def test_other_client_from_same_network_not_discounted() -> None:
    run = trained()
    stranger = flown_to_us(run, hours=10, family="python-requests", os="Linux")
    run.feed([stranger])
    detection = run.score(MODEL, flown_to_us(run))

    assert detection is not None
    assert detection.score >= 50
    assert not any(line.startswith("travelling owner") for line in detection.explanation)
