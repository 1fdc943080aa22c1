"""Storing events: deduplication, round trips, ordering and streaming."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, event

from chainwatch.errors import StoreError
from chainwatch.events import Event
from chainwatch.store import Store
from chainwatch.store.batch import BATCH_SIZE
from tests.store.builders import (
    BASE_TIME,
    email,
    file_access,
    mail_sent,
    rule_change,
    sign_in,
)


def one_of_each() -> list[Event]:
    return [
        sign_in("1", 0),
        rule_change("2", 10),
        file_access("3", 20),
        email("4", 30),
        mail_sent("5", 40),
    ]


@contextmanager
def counting_selects() -> Iterator[list[str]]:
    """Collect the SELECT statements every engine runs while the block is active."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def test_add_events_twice_reports_duplicates(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    events = one_of_each()

    first = store.add_events(events, run_id)
    second = store.add_events(events, run_id)

    assert first == (5, 0)
    assert second == (0, 5)
    assert store.counts()["events"] == 5


def test_add_events_duplicate_within_one_call(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    original = sign_in("1", 0)
    repeat = replace(original, source="ual-json")

    assert store.add_events([original, repeat, sign_in("2", 1)], run_id) == (2, 1)
    stored = list(store.iter_events())
    assert stored[0].source == "entra-signin"  # the first copy stays


def test_add_events_across_batches(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    unique = BATCH_SIZE + 1500
    # Every even id appears a second time, after the first batch ends.
    events = [sign_in(str(i), i) for i in range(unique)]
    events += [sign_in(str(i), i) for i in range(0, unique, 2)]

    inserted, duplicates = store.add_events(iter(events), run_id)

    assert inserted == unique
    assert duplicates == len(events) - unique
    assert store.counts()["sign-in"] == unique


def test_events_round_trip_every_kind(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    events = one_of_each()
    store.add_events(events, run_id)

    assert list(store.iter_events()) == events


def test_round_trip_keeps_nul_and_surrogates(store: Store) -> None:
    run_id = store.start_run("read", ["inbox.mbox"])
    rule = rule_change("nul", 0)
    message = email("surrogate", 1)
    store.add_events([rule, message], run_id)

    stored_rule, stored_message = store.iter_events()

    assert stored_rule.keywords == ("invoice", "\x00")  # type: ignore[attr-defined]
    assert stored_message.sender_name == "IT Helpdesk \udce9"  # type: ignore[attr-defined]


def test_event_id_with_nul_is_stored(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    odd = replace(sign_in("x", 0), event_id="ual:a\x00b")

    assert store.add_events([odd], run_id) == (1, 0)
    assert store.add_events([odd], run_id) == (0, 1)
    assert [e.event_id for e in store.iter_events()] == ["ual:a\x00b"]
    store.mark_processed(["ual:a\x00b"])
    assert list(store.iter_unprocessed_events()) == []


def test_times_come_back_aware_utc(store_url: str) -> None:
    plus_two = timezone(timedelta(hours=2))
    local = replace(sign_in("tz", 0), time=datetime(2024, 5, 14, 11, 0, tzinfo=plus_two))
    with Store.open(store_url) as store:
        store.add_events([local], store.start_run("read", ["x"]))

    with Store.open(store_url) as reopened:
        (stored,) = reopened.iter_events()

    assert stored.time.tzinfo is UTC or stored.time.utcoffset() == timedelta(0)
    assert stored.time == datetime(2024, 5, 14, 9, 0, tzinfo=UTC)


def test_naive_event_time_raises(store: Store) -> None:
    run_id = store.start_run("read", ["x"])
    naive = replace(sign_in("naive", 0), time=datetime(2024, 5, 14, 9, 0))

    with pytest.raises(StoreError, match=r"entra-signin:naive.*naive datetime"):
        store.add_events([naive], run_id)


def test_add_events_unknown_run_raises(store: Store) -> None:
    with pytest.raises(StoreError, match="adding events of run 999"):
        store.add_events([sign_in("1")], 999)


def test_unprocessed_ordered_by_time_id(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    # Added out of order, with three events sharing one time.
    events = [
        sign_in("c", 5),
        sign_in("b", 5),
        mail_sent("z", -60),
        sign_in("a", 5),
        file_access("late", 3600),
        sign_in("B", 5),
    ]
    store.add_events(events, run_id)

    ids = [e.event_id for e in store.iter_unprocessed_events(batch_size=2)]

    assert ids == [
        "trace:z",
        "entra-signin:B",  # code point order: upper case before lower case
        "entra-signin:a",
        "entra-signin:b",
        "entra-signin:c",
        "ual:late",
    ]


def test_unprocessed_stream_in_batches(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    total = 23
    batch = 5
    # Microsecond steps and repeated times check the keyset edge.
    events = [sign_in(f"{i:03}", (i // 3) * 0.000001) for i in range(total)]
    store.add_events(reversed(events), run_id)

    with counting_selects() as selects:
        stream = store.iter_unprocessed_events(batch_size=batch)
        first = next(stream)
        selects_after_first = len(selects)
        rest = list(stream)

    assert first.event_id == "entra-signin:000"
    assert selects_after_first == 1
    assert [e.event_id for e in rest] == [e.event_id for e in events[1:]]
    assert len(selects) == math.ceil(total / batch)
    assert all("LIMIT" in statement.upper() for statement in selects)


def test_mark_processed_while_iterating(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    store.add_events([sign_in(str(i), i) for i in range(10)], run_id)

    seen = []
    for stored in store.iter_unprocessed_events(batch_size=3):
        seen.append(stored.event_id)
        store.mark_processed([stored.event_id])

    assert len(seen) == 10
    assert list(store.iter_unprocessed_events()) == []
    assert store.counts()["unprocessed"] == 0


def test_mark_processed_skips_those_events(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    store.add_events(one_of_each(), run_id)

    store.mark_processed(["entra-signin:1", "mail:4", "unknown:id"])

    remaining = [e.event_id for e in store.iter_unprocessed_events()]
    assert remaining == ["ual:2", "ual:3", "trace:5"]
    assert len(list(store.iter_events())) == 5


def test_mark_processed_many_ids(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    store.add_events([sign_in(str(i), i) for i in range(1200)], run_id)

    store.mark_processed(f"entra-signin:{i}" for i in range(1199))

    assert [e.event_id for e in store.iter_unprocessed_events()] == ["entra-signin:1199"]


def test_duplicate_does_not_reset_processed(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    store.add_events([sign_in("1")], run_id)
    store.mark_processed(["entra-signin:1"])

    store.add_events([sign_in("1")], store.start_run("read", ["again"]))

    assert list(store.iter_unprocessed_events()) == []


def test_iter_events_by_account(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    store.add_events(
        [
            sign_in("1", 0, user="dana@example.com"),
            sign_in("2", 1, user="erin@example.com"),
            mail_sent("3", 2),  # sender dana@example.com
            rule_change("4", 3),  # mailbox dana@example.com, actor admin@example.com
            email("5", 4, sender=None),
        ],
        run_id,
    )

    ids = [e.event_id for e in store.iter_events(account="dana@example.com")]

    assert ids == ["entra-signin:1", "trace:3", "ual:4"]


def test_iter_events_time_window(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    store.add_events([sign_in(str(i), i * 60) for i in range(5)], run_id)

    window = store.iter_events(
        start=BASE_TIME + timedelta(minutes=1), end=BASE_TIME + timedelta(minutes=3)
    )

    assert [e.event_id for e in window] == ["entra-signin:1", "entra-signin:2"]


def test_iter_events_window_in_other_zone(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    store.add_events([sign_in(str(i), i * 3600) for i in range(4)], run_id)
    plus_two = timezone(timedelta(hours=2))

    # 11:30+02:00 is 09:30 UTC, after sign-in 0 (09:00) and before sign-in 1 (10:00).
    window = store.iter_events(start=datetime(2024, 5, 14, 11, 30, tzinfo=plus_two))

    assert [e.event_id for e in window] == ["entra-signin:1", "entra-signin:2", "entra-signin:3"]


def test_iter_events_by_kind(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    store.add_events(one_of_each(), run_id)

    kinds = {e.kind for e in store.iter_events(kinds=["email", "mail-sent"])}

    assert kinds == {"email", "mail-sent"}
    assert list(store.iter_events(kinds=[])) == []


def test_iter_events_naive_start_raises(store: Store) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        list(store.iter_events(start=datetime(2024, 5, 14)))


def test_counts_per_kind(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    store.add_events([*one_of_each(), sign_in("extra", 99)], run_id)
    store.mark_processed(["entra-signin:1"])

    counts = store.counts()

    assert counts["sign-in"] == 2
    assert counts["email"] == 1
    assert counts["mailbox-rule"] == 1
    assert counts["events"] == 6
    assert counts["unprocessed"] == 5
    assert counts["rejected"] == 0
    assert counts["incidents"] == 0
