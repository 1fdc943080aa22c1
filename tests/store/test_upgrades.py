"""A richer copy of a stored event replaces it, and a poorer or equal copy does not."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from chainwatch.events import Client, FileAccess, Link, Location
from chainwatch.store import Store
from chainwatch.store.batch import BATCH_SIZE
from chainwatch.store.richness import event_richness
from chainwatch.store.schema import events as events_table
from tests.store.builders import (
    BASE_TIME,
    email,
    file_access,
    rule_change,
    sign_in,
    truncated_rule,
)


def stored_columns(store: Store, event_id: str) -> dict:
    query = select(events_table).where(events_table.c.event_id == event_id)
    with store._engine.connect() as connection:
        return dict(connection.execute(query).one()._mapping)


# event_richness


def test_richness_truncated_rule_is_zero() -> None:
    assert event_richness(truncated_rule("1")) == 0


def test_richness_full_rule_beats_truncated() -> None:
    assert event_richness(rule_change("1")) > event_richness(truncated_rule("1"))


def test_richness_details_lost_overrides_fields() -> None:
    lost = replace(rule_change("1"), details_lost=True)

    assert event_richness(lost) == 0


def test_richness_ignores_defaults_and_empty() -> None:
    bare = FileAccess(
        event_id="ual:1",
        time=BASE_TIME,
        source="ual-json",
        origin=rule_change("1").origin,
        user="erin@example.com",
        operation="FileAccessed",
    )
    # Explicit values equal to the defaults, empty text and False add nothing.
    same = replace(bare, item_count=1, throttled=False, object_id=None, workload="")

    assert event_richness(same) == event_richness(bare)


def test_richness_counts_non_default_values() -> None:
    bare = replace(file_access("1"), ip=None, object_id=None, item_count=1)

    assert event_richness(replace(bare, item_count=3)) == event_richness(bare) + 1
    assert event_richness(replace(bare, throttled=True)) == event_richness(bare) + 1
    assert event_richness(replace(bare, message_ids=("a@example.org",))) == (
        event_richness(bare) + 1
    )


def test_richness_counts_nested_fields() -> None:
    bare = replace(sign_in("1"), location=Location(), client=Client())
    located = replace(bare, location=Location(country="NL", city="Amsterdam", asn=64500))

    assert event_richness(located) == event_richness(bare) + 3
    assert event_richness(replace(bare, client=Client(protocol="IMAP4"))) == (
        event_richness(bare) + 1
    )


def test_richness_adds_one_per_link() -> None:
    message = email("1")
    extra = Link(url="https://b.example.net/", host="b.example.net")
    no_links = replace(message, links=())

    assert event_richness(message) == event_richness(no_links) + 2  # the field and one link
    assert event_richness(replace(message, links=(*message.links, extra))) == (
        event_richness(message) + 1
    )


def test_richness_counts_zero_over_none() -> None:
    without = replace(sign_in("1"), error_code=None)

    assert event_richness(replace(without, error_code=0)) == event_richness(without) + 1


# add_events


def test_truncated_rule_upgraded_by_full_copy(store: Store) -> None:
    first_run = store.start_run("read", ["ual-search.csv"])
    store.add_events([truncated_rule("r1")], first_run)
    store.mark_processed(["ual:r1"])

    second_run = store.start_run("read", ["ual.jsonl"])
    counts = store.add_events([rule_change("r1")], second_run)

    assert counts == (0, 1)
    assert store.upgraded_events == 1
    (stored,) = store.iter_events()
    assert stored == rule_change("r1")
    assert [e.event_id for e in store.iter_unprocessed_events()] == ["ual:r1"]


def test_upgrade_replaces_columns_keeps_run(store: Store) -> None:
    first_run = store.start_run("read", ["ual-search.csv"])
    store.add_events([truncated_rule("r1")], first_run)
    store.add_events([rule_change("r1")], store.start_run("read", ["ual.jsonl"]))

    columns = stored_columns(store, "ual:r1")

    assert columns["source"] == "ual-json"
    assert columns["richness"] == event_richness(rule_change("r1"))
    assert columns["run_id"] == first_run


def test_poorer_copy_does_not_replace(store: Store) -> None:
    run_id = store.start_run("read", ["ual.jsonl"])
    store.add_events([rule_change("r1")], run_id)
    store.mark_processed(["ual:r1"])

    counts = store.add_events([truncated_rule("r1")], store.start_run("read", ["search.csv"]))

    assert counts == (0, 1)
    assert store.upgraded_events == 0
    assert list(store.iter_events()) == [rule_change("r1")]
    assert list(store.iter_unprocessed_events()) == []


def test_equal_copy_does_not_replace(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    store.add_events([sign_in("1")], run_id)
    store.mark_processed(["entra-signin:1"])
    same_richness = replace(sign_in("1"), source="ual-json", session_id="other")

    assert store.add_events([same_richness], run_id) == (0, 1)
    assert store.upgraded_events == 0
    (stored,) = store.iter_events()
    assert stored.source == "entra-signin"
    assert list(store.iter_unprocessed_events()) == []


def test_richer_copy_later_in_same_call(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])

    counts = store.add_events([truncated_rule("r1"), rule_change("r1")], run_id)

    assert counts == (1, 1)
    assert store.upgraded_events == 1
    assert list(store.iter_events()) == [rule_change("r1")]


def test_poorer_copy_later_in_same_call(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])

    counts = store.add_events([rule_change("r1"), truncated_rule("r1")], run_id)

    assert counts == (1, 1)
    assert store.upgraded_events == 0
    assert list(store.iter_events()) == [rule_change("r1")]


def test_upgrade_moves_account_and_time(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    # A copy without headers: no From address and the time of the file.
    header_less = replace(
        email("m1"),
        sender=None,
        sender_name=None,
        date_source="file",
        time=BASE_TIME + timedelta(hours=5),
    )
    store.add_events([header_less, sign_in("later", 3600)], run_id)

    store.add_events([email("m1")], run_id)

    assert [e.event_id for e in store.iter_events(account="it@example.org")] == ["mail:m1"]
    assert [e.event_id for e in store.iter_events()] == ["mail:m1", "entra-signin:later"]
    assert stored_columns(store, "mail:m1")["time"] == BASE_TIME


def test_upgrades_counted_across_chunks(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    total = BATCH_SIZE + 10
    poor = [replace(sign_in(str(i), i), location=Location()) for i in range(total)]
    # The richer copies of ids 0-19 arrive in the second chunk of this call.
    rich = [sign_in(str(i), i) for i in range(20)]

    counts = store.add_events([*poor, *rich], run_id)

    assert counts == (total, 20)
    assert store.upgraded_events == 20
    assert store.counts()["events"] == total


def test_upgraded_events_totals_since_open(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    store.add_events([truncated_rule("r1"), truncated_rule("r2")], run_id)

    store.add_events([rule_change("r1")], run_id)
    store.add_events([rule_change("r2"), rule_change("r1")], run_id)

    assert store.upgraded_events == 2
