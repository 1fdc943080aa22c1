"""Baseline states: round trip, upsert and batching."""

from __future__ import annotations

import pytest

from chainwatch.errors import StoreError
from chainwatch.store import Store
from chainwatch.store.batch import BATCH_SIZE


def test_baselines_round_trip(store: Store) -> None:
    states = {
        ("signin", "dana@example.com"): {
            "countries": {"NL": 41, "DE": 2},
            "asns": [64500, 64501],
            "last_seen": "2024-05-14T09:10:02+00:00",
            "score": 0.25,
            "nested": {"empty": [], "none": None, "flag": True},
        },
        ("sender", "example.org"): {"first_seen": "2023-01-02T00:00:00+00:00", "count": 3},
    }

    store.save_baselines(states)

    assert store.load_baselines() == states


def test_baselines_empty_store(store: Store) -> None:
    assert store.load_baselines() == {}


def test_save_baselines_replaces_state(store: Store) -> None:
    key = ("signin", "dana@example.com")
    store.save_baselines({key: {"countries": {"NL": 1}}, ("signin", "erin@example.com"): {}})

    store.save_baselines({key: {"countries": {"NL": 2, "BE": 1}}})

    loaded = store.load_baselines()
    assert loaded[key] == {"countries": {"NL": 2, "BE": 1}}
    assert loaded[("signin", "erin@example.com")] == {}
    assert len(loaded) == 2


def test_same_key_in_two_namespaces(store: Store) -> None:
    store.save_baselines({("signin", "k"): {"a": 1}, ("volume", "k"): {"a": 2}})

    loaded = store.load_baselines()

    assert loaded[("signin", "k")] == {"a": 1}
    assert loaded[("volume", "k")] == {"a": 2}


def test_save_baselines_across_batches(store: Store) -> None:
    states = {("volume", f"user{i}@example.com"): {"n": i} for i in range(BATCH_SIZE + 10)}
    store.save_baselines(states)

    states[("volume", "user0@example.com")] = {"n": -1}
    store.save_baselines(states)

    loaded = store.load_baselines()
    assert len(loaded) == BATCH_SIZE + 10
    assert loaded[("volume", "user0@example.com")] == {"n": -1}
    assert loaded[("volume", f"user{BATCH_SIZE + 9}@example.com")] == {"n": BATCH_SIZE + 9}


def test_baseline_state_with_large_int_and_surrogate(store: Store) -> None:
    # orjson rejects both, so the store falls back to the standard encoder.
    state = {"big": 2**70, "name": "caf\udce9"}
    store.save_baselines({("sender", "x"): state})

    assert store.load_baselines()[("sender", "x")] == state


def test_baseline_state_not_json_raises(store: Store) -> None:
    with pytest.raises(StoreError, match=r"baseline \('signin', 'x'\)"):
        store.save_baselines({("signin", "x"): {"bad": object()}})
