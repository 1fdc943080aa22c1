"""Notices with an event-time window: stored, listed in UTC, part of the duplicate key."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from chainwatch.errors import StoreError
from chainwatch.events import Origin
from chainwatch.read.base import Notice
from chainwatch.store import Store

CAPPED = Notice(
    origin=Origin(file="exports/ual.csv", position=""),
    message="export stops at 50000 rows of 61234 announced",
    start=datetime(2024, 5, 1, tzinfo=UTC),
    end=datetime(2024, 5, 14, 9, 30, tzinfo=UTC),
)


def test_notice_window_round_trip(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])

    store.add_notices([CAPPED], run_id)

    (listed,) = store.list_notices()
    assert listed["start"] == CAPPED.start
    assert listed["end"] == CAPPED.end
    assert listed["start"].utcoffset() == timedelta(0)
    assert listed["message"] == CAPPED.message
    assert listed["run_id"] == run_id


def test_notice_without_window_lists_none(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])

    store.add_notices([replace(CAPPED, start=None, end=None)], run_id)

    (listed,) = store.list_notices()
    assert listed["start"] is None
    assert listed["end"] is None


def test_notice_open_ended_window(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])

    store.add_notices([replace(CAPPED, end=None)], run_id)

    (listed,) = store.list_notices()
    assert listed["start"] == CAPPED.start
    assert listed["end"] is None


def test_notice_window_converted_to_utc(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    minus_five = timezone(timedelta(hours=-5))

    early = replace(CAPPED, start=datetime(2024, 5, 1, 3, 0, tzinfo=minus_five))

    store.add_notices([early], run_id)

    (listed,) = store.list_notices()
    assert listed["start"] == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    assert listed["start"].utcoffset() == timedelta(0)


def test_notices_differing_window_both_kept(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    later = replace(CAPPED, start=datetime(2024, 5, 2, tzinfo=UTC))

    assert store.add_notices([CAPPED, later, CAPPED], run_id) == 2
    assert store.add_notices([later], run_id) == 0
    assert store.counts()["notices"] == 2


def test_notice_same_instant_is_duplicate(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    plus_two = timezone(timedelta(hours=2))
    same_instant = replace(CAPPED, start=CAPPED.start.astimezone(plus_two))  # type: ignore[union-attr]

    assert store.add_notices([CAPPED, same_instant], run_id) == 1


def test_notice_naive_window_raises(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    naive = replace(CAPPED, end=datetime(2024, 5, 14, 9, 30))

    with pytest.raises(StoreError, match=r"exports/ual.csv.*'end'.*naive datetime"):
        store.add_notices([naive], run_id)
