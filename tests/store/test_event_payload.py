"""The orjson payload path writes the same text as the dict path, for every event kind."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from chainwatch.events import (
    EVENT_TYPES,
    AppConsent,
    Event,
    Location,
    MailboxItemsDeleted,
    event_from_dict,
    event_to_dict,
)
from chainwatch.store.codec import dumps_json, loads_json
from chainwatch.store.ingest import event_payload
from chainwatch.store.schema import to_utc
from tests.store.builders import (
    email,
    file_access,
    link_click,
    mail_sent,
    message_links,
    origin,
    rule_change,
    sign_in,
)

WHEN = datetime(2026, 3, 2, 9, 30, 15, 250_000, tzinfo=UTC)


def consent() -> AppConsent:
    return AppConsent(
        event_id="ual:consent-1",
        time=WHEN,
        source="ual-json",
        origin=origin(),
        user="dana@example.com",
        app_name="Mail Helper",
        scopes=("Mail.Read", "offline_access"),
        admin_consent=True,
        location=Location(country="GB", asn=64496),
    )


def deletion() -> MailboxItemsDeleted:
    return MailboxItemsDeleted(
        event_id="ual:delete-1",
        time=WHEN,
        source="ual-json",
        origin=origin(),
        user="dana@example.com",
        mailbox="dana@example.com",
        operation="HardDelete",
        folder="Sent Items",
        item_count=3,
        subjects=("Invoice 4471", "Re: bank details"),
    )


ONE_OF_EACH: list[Event] = [
    sign_in("s"),
    rule_change("r"),
    file_access("f"),
    email("e"),
    mail_sent("m"),
    message_links("l"),
    link_click("c"),
    consent(),
    deletion(),
]


def dict_path_payload(event: Event) -> str:
    plain = event_to_dict(event)
    plain["time"] = to_utc(event.time).isoformat()
    return dumps_json(plain)


def test_samples_cover_every_kind() -> None:
    assert {event.kind for event in ONE_OF_EACH} == set(EVENT_TYPES)


@pytest.mark.parametrize("event", ONE_OF_EACH, ids=lambda e: e.kind)
def test_payload_matches_dict_path(event: Event) -> None:
    assert event_payload(event, to_utc(event.time)) == dict_path_payload(event)


@pytest.mark.parametrize("event", ONE_OF_EACH, ids=lambda e: e.kind)
def test_payload_round_trips(event: Event) -> None:
    assert event_from_dict(loads_json(event_payload(event, to_utc(event.time)))) == event


def test_payload_with_microseconds_matches() -> None:
    event = replace(sign_in("micro"), time=WHEN)

    assert event_payload(event, WHEN) == dict_path_payload(event)


def test_payload_of_other_zone_is_utc() -> None:
    local = WHEN.astimezone(timezone(timedelta(hours=2)))
    event = replace(sign_in("zone"), time=local)

    stored = loads_json(event_payload(event, to_utc(local)))

    assert stored["time"] == "2026-03-02T09:30:15.250000+00:00"


def test_payload_keeps_lone_surrogate() -> None:
    event = replace(email("surrogate"), subject="Invoice \udcff")

    payload = event_payload(event, to_utc(event.time))

    assert payload == dict_path_payload(event)
    assert "\\udcff" in payload
