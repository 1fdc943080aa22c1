"""Directory entries: round trip, later entries win, invalid entries and payloads."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import update

from chainwatch.errors import StoreError
from chainwatch.events import DirectoryEntry, Origin
from chainwatch.store import Store
from chainwatch.store.schema import directory


def entry(upn: str = "dana@example.com", **changes: object) -> DirectoryEntry:
    full = DirectoryEntry(
        upn=upn,
        origin=Origin(file="directory/users.csv", position="row 2"),
        aliases=("5b7c0c1e-0000-4000-8000-00000000000a", "10032001a2b3c4d5", "d.k@example.com"),
        display_name="Dana K\udce9",  # an undecodable byte kept by surrogateescape
        department="Finance",
        manager="erin@example.com",
        is_vip=True,
        is_shared_mailbox=False,
        is_service_account=True,
    )
    return replace(full, **changes)  # type: ignore[arg-type]


def test_directory_round_trip(store: Store) -> None:
    run_id = store.start_run("read", ["directory/users.csv"])
    saved = [entry(), entry("erin@example.com", aliases=(), manager=None, is_vip=False)]

    assert store.save_directory(saved, run_id) == 2

    assert store.load_directory() == saved


def test_directory_minimal_entry(store: Store) -> None:
    run_id = store.start_run("read", ["users.json"])
    origin = Origin(file="users.json", position="")
    minimal = DirectoryEntry(upn="shared@example.com", origin=origin)

    store.save_directory([minimal], run_id)

    assert store.load_directory() == [minimal]


def test_directory_empty_store(store: Store) -> None:
    assert store.load_directory() == []


def test_directory_ordered_by_upn(store: Store) -> None:
    run_id = store.start_run("read", ["users.csv"])
    upns = ["zoe@example.com", "Adam@example.com", "bob@example.com"]

    store.save_directory([entry(upn) for upn in upns], run_id)

    assert [e.upn for e in store.load_directory()] == sorted(upns)


def test_directory_later_call_wins(store: Store) -> None:
    first_run = store.start_run("read", ["old/users.csv"])
    store.save_directory([entry(department="Finance")], first_run)
    second_run = store.start_run("read", ["new/users.csv"])

    store.save_directory([entry(department="Treasury", is_vip=False)], second_run)

    (stored,) = store.load_directory()
    assert stored.department == "Treasury"
    assert stored.is_vip is False


def test_directory_later_entry_in_call_wins(store: Store) -> None:
    run_id = store.start_run("read", ["users.csv"])

    written = store.save_directory([entry(department="Finance"), entry(department="Legal")], run_id)

    assert written == 1
    assert [e.department for e in store.load_directory()] == ["Legal"]


def test_directory_upn_with_nul(store: Store) -> None:
    run_id = store.start_run("read", ["users.csv"])
    odd = entry("a\x00b@example.com")

    store.save_directory([odd], run_id)

    assert store.load_directory() == [odd]


def test_directory_empty_upn_raises(store: Store) -> None:
    run_id = store.start_run("read", ["users.csv"])

    with pytest.raises(StoreError, match=r"users.csv row 2: field 'upn'"):
        store.save_directory([entry("")], run_id)


def test_directory_unknown_run_raises(store: Store) -> None:
    with pytest.raises(StoreError, match="saving directory entries of run 4321"):
        store.save_directory([entry()], 4321)


def test_directory_invalid_payload_raises(store: Store) -> None:
    store.save_directory([entry()], store.start_run("read", ["users.csv"]))
    with store._engine.begin() as connection:
        connection.execute(update(directory).values(payload='{"upn": "dana@example.com"}'))

    with pytest.raises(StoreError, match=r"stored directory entry 'dana@example.com'.*KeyError"):
        store.load_directory()


def test_directory_flag_of_wrong_type_raises(store: Store) -> None:
    store.save_directory([entry()], store.start_run("read", ["users.csv"]))
    payload = (
        '{"upn": "dana@example.com", "origin": {"file": "u.csv", "position": ""}, "is_vip": "yes"}'
    )
    with store._engine.begin() as connection:
        connection.execute(update(directory).values(payload=payload))

    with pytest.raises(StoreError, match="'is_vip' must be true or false"):
        store.load_directory()
