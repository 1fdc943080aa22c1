"""Committing analysis results atomically, the processed watermark and resets."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from chainwatch.errors import StoreError
from chainwatch.store import Store
from tests.store.builders import BASE_TIME, rule_change, sign_in, truncated_rule
from tests.store.test_findings import detection, incident

STATES = {("signin", "dana@example.com"): {"countries": {"NL": 3}}}


class SimulatedCrash(Exception):
    """Raised by a test hook to stop a transaction before it commits."""


def stored_with_times(store: Store, count: int) -> list[str]:
    run_id = store.start_run("read", ["exports"])
    store.add_events([sign_in(str(i), i * 60) for i in range(count)], run_id)
    return [f"entra-signin:{i}" for i in range(count)]


def unprocessed_ids(store: Store) -> list[str]:
    return [e.event_id for e in store.iter_unprocessed_events()]


@contextmanager
def crash_on_commit(engine: Engine) -> Iterator[None]:
    """Make every COMMIT on ``engine`` fail, as if the process died just before it."""

    def crash(connection: Any) -> None:
        raise SimulatedCrash("killed before COMMIT")

    event.listen(engine, "commit", crash)
    try:
        yield
    finally:
        event.remove(engine, "commit", crash)


# commit_analysis


def test_commit_analysis_saves_and_marks(store: Store) -> None:
    ids = stored_with_times(store, 4)
    saved = detection("d1", "2024-05-14T09:01:00+00:00")

    store.commit_analysis(STATES, [saved], (BASE_TIME + timedelta(minutes=2), ids[2]))

    assert store.load_baselines() == STATES
    assert store.list_detections() == [saved]
    assert unprocessed_ids(store) == [ids[3]]


def test_commit_analysis_upserts(store: Store) -> None:
    store.commit_analysis(STATES, [detection("d1", "2024-05-14T09:00:00+00:00")], None)
    key = ("signin", "dana@example.com")

    store.commit_analysis(
        {key: {"countries": {"NL": 4}}}, [detection("d1", "2024-05-14T09:00:00Z", score=90)], None
    )

    assert store.load_baselines() == {key: {"countries": {"NL": 4}}}
    (stored,) = store.list_detections()
    assert stored["score"] == 90


def test_commit_analysis_through_none_marks_nothing(store: Store) -> None:
    ids = stored_with_times(store, 3)

    store.commit_analysis(STATES, [], None)

    assert unprocessed_ids(store) == ids
    assert store.load_baselines() == STATES


def test_commit_analysis_ties_in_time_by_id(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    store.add_events([sign_in(name, 0) for name in ("a", "b", "c")], run_id)

    store.commit_analysis({}, [], (BASE_TIME, "entra-signin:b"))

    assert unprocessed_ids(store) == ["entra-signin:c"]


def test_commit_analysis_through_other_zone(store: Store) -> None:
    ids = stored_with_times(store, 3)
    plus_two = timezone(timedelta(hours=2))
    # 11:01+02:00 is 09:01 UTC, the time of the second event.
    through = (datetime(2024, 5, 14, 11, 1, tzinfo=plus_two), ids[1])

    store.commit_analysis({}, [], through)

    assert unprocessed_ids(store) == [ids[2]]


def test_commit_analysis_naive_through_raises(store: Store) -> None:
    ids = stored_with_times(store, 1)

    with pytest.raises(ValueError, match="naive datetime"):
        store.commit_analysis(STATES, [], (datetime(2024, 5, 14, 10, 0), ids[0]))
    assert store.load_baselines() == {}


def test_commit_analysis_keeps_processed_flag(store: Store) -> None:
    ids = stored_with_times(store, 3)
    store.mark_processed([ids[2]])

    store.commit_analysis({}, [], (BASE_TIME, ids[0]))

    assert unprocessed_ids(store) == [ids[1]]
    assert store.counts()["unprocessed"] == 1


def test_commit_analysis_invalid_detection_saves_nothing(store: Store) -> None:
    ids = stored_with_times(store, 3)
    valid = detection("d1", "2024-05-14T09:00:00+00:00")
    missing_model = {
        k: v for k, v in detection("d2", "2024-05-14T09:01:00Z").items() if k != "model"
    }

    with pytest.raises(StoreError, match="'model'"):
        store.commit_analysis(
            STATES, [valid, missing_model], (BASE_TIME + timedelta(hours=1), ids[2])
        )

    assert store.load_baselines() == {}
    assert store.list_detections() == []
    assert unprocessed_ids(store) == ids


def test_commit_analysis_crash_before_commit(store: Store) -> None:
    ids = stored_with_times(store, 3)
    saved = detection("d1", "2024-05-14T09:00:00+00:00")

    with crash_on_commit(store._engine), pytest.raises(SimulatedCrash):
        store.commit_analysis(STATES, [saved], (BASE_TIME + timedelta(hours=1), ids[2]))

    assert store.load_baselines() == {}
    assert store.list_detections() == []
    assert unprocessed_ids(store) == ids


def test_commit_analysis_update_uses_index(store: Store) -> None:
    ids = stored_with_times(store, 50)
    captured: list[tuple[str, Any]] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("UPDATE EVENTS"):
            captured.append((statement, parameters))

    event.listen(store._engine, "before_cursor_execute", capture)
    try:
        store.commit_analysis({}, [], (BASE_TIME + timedelta(minutes=10), ids[10]))
    finally:
        event.remove(store._engine, "before_cursor_execute", capture)
    ((statement, parameters),) = captured

    with store._engine.begin() as connection:
        if store.dialect == "postgresql":
            # The planner scans a 50-row table instead of using an index, so forbid scans.
            connection.execute(text("SET LOCAL enable_seqscan = off"))
            plan = " ".join(
                str(row[0])
                for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters)
            )
        else:
            plan = " ".join(
                str(row[-1])
                for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            )

    assert "ix_events_unprocessed" in plan
    assert "time" in plan.split("ix_events_unprocessed", 1)[1]


# watermark and earliest unprocessed


def test_watermark_and_earliest_empty_store(store: Store) -> None:
    assert store.processed_watermark() is None
    assert store.earliest_unprocessed() is None


def test_watermark_after_commit(store: Store) -> None:
    ids = stored_with_times(store, 4)

    store.commit_analysis({}, [], (BASE_TIME + timedelta(minutes=1), ids[1]))

    assert store.processed_watermark() == (BASE_TIME + timedelta(minutes=1), ids[1])
    assert store.earliest_unprocessed() == (BASE_TIME + timedelta(minutes=2), ids[2])


def test_watermark_times_are_aware_utc(store: Store) -> None:
    ids = stored_with_times(store, 2)
    store.commit_analysis({}, [], (BASE_TIME, ids[0]))

    watermark = store.processed_watermark()
    earliest = store.earliest_unprocessed()

    assert watermark is not None
    assert earliest is not None
    assert watermark[0].utcoffset() == timedelta(0)
    assert earliest[0].utcoffset() == timedelta(0)


def test_watermark_breaks_time_ties_by_id(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    store.add_events([sign_in(name, 0) for name in ("b", "a", "c")], run_id)

    store.mark_processed(["entra-signin:a", "entra-signin:c"])

    assert store.processed_watermark() == (BASE_TIME, "entra-signin:c")
    assert store.earliest_unprocessed() == (BASE_TIME, "entra-signin:b")


def test_late_event_lands_before_watermark(store: Store) -> None:
    ids = stored_with_times(store, 3)
    store.commit_analysis({}, [], (BASE_TIME + timedelta(minutes=2), ids[2]))
    assert store.earliest_unprocessed() is None

    late = sign_in("late", -3600)
    store.add_events([late], store.start_run("read", ["late-export"]))

    watermark = store.processed_watermark()
    earliest = store.earliest_unprocessed()
    assert watermark == (BASE_TIME + timedelta(minutes=2), ids[2])
    assert earliest == (late.time, late.event_id)
    assert earliest < watermark


def test_upgrade_moves_earliest_unprocessed_back(store: Store) -> None:
    run_id = store.start_run("read", ["search.csv"])
    store.add_events([truncated_rule("r1", 0), sign_in("1", 60)], run_id)
    store.commit_analysis({}, [], (BASE_TIME + timedelta(minutes=1), "entra-signin:1"))

    store.add_events([rule_change("r1", 0)], store.start_run("read", ["ual.jsonl"]))

    assert store.earliest_unprocessed() == (BASE_TIME, "ual:r1")
    assert store.processed_watermark() == (BASE_TIME + timedelta(minutes=1), "entra-signin:1")


# reset_analysis


def test_reset_analysis_clears_results(store: Store) -> None:
    ids = stored_with_times(store, 3)
    store.commit_analysis(STATES, [detection("d1", "2024-05-14T09:00:00Z")], (BASE_TIME, ids[0]))
    store.save_incidents([incident("inc-1", 50, "2024-05-14T09:00:00+00:00")])
    store.mark_processed(ids)
    store.set_meta("tenant", "example.com")

    assert store.reset_analysis() == 3

    assert store.load_baselines() == {}
    assert store.list_detections() == []
    assert store.list_incidents() == []
    assert unprocessed_ids(store) == ids
    assert store.processed_watermark() is None
    assert store.get_meta("tenant") == "example.com"


def test_reset_analysis_keeps_events(store: Store) -> None:
    stored_with_times(store, 2)
    before = list(store.iter_events())

    store.reset_analysis()

    assert list(store.iter_events()) == before
    assert store.counts()["events"] == 2


def test_reset_analysis_empty_store(store: Store) -> None:
    assert store.reset_analysis() == 0


def test_reset_analysis_crash_keeps_everything(store: Store) -> None:
    ids = stored_with_times(store, 2)
    store.commit_analysis(STATES, [detection("d1", "2024-05-14T09:00:00Z")], (BASE_TIME, ids[0]))

    with crash_on_commit(store._engine), pytest.raises(SimulatedCrash):
        store.reset_analysis()

    assert store.load_baselines() == STATES
    assert len(store.list_detections()) == 1
    assert unprocessed_ids(store) == [ids[1]]
