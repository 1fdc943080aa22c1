"""Runs: start, finish and the stored summary."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select

from chainwatch.errors import StoreError
from chainwatch.store import Store
from chainwatch.store.codec import loads_json
from chainwatch.store.connect import store_url as resolve_url
from chainwatch.store.schema import runs


def stored_runs(target: str) -> list[dict]:
    engine = create_engine(resolve_url(target))
    with engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(select(runs))]
    engine.dispose()
    return rows


def test_start_run_returns_new_ids(store: Store) -> None:
    first = store.start_run("read", ["a.jsonl"])
    second = store.start_run("detect", [])

    assert second != first


def test_finish_run_stores_summary(store_url: str) -> None:
    with Store.open(store_url) as store:
        run_id = store.start_run("read", ["exports/ual.jsonl", "inbox.mbox"])
        store.finish_run(run_id, {"events": 12, "rejected": 1, "per_reader": {"ual-json": 12}})

    (row,) = stored_runs(store_url)
    assert row["command"] == "read"
    assert loads_json(row["inputs"]) == ["exports/ual.jsonl", "inbox.mbox"]
    assert loads_json(row["summary"]) == {
        "events": 12,
        "rejected": 1,
        "per_reader": {"ual-json": 12},
    }
    assert row["finished_at"] >= row["started_at"]
    assert row["started_at"].utcoffset().total_seconds() == 0


def test_finish_unknown_run_raises(store: Store) -> None:
    with pytest.raises(StoreError, match="run 41 not found"):
        store.finish_run(41, {})
