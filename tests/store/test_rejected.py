"""Rejected records and notices: raw bytes kept exactly, deduplication, listing."""

from __future__ import annotations

import pytest

from chainwatch.errors import StoreError
from chainwatch.events import Origin
from chainwatch.read.base import Notice, Rejected
from chainwatch.store import Store

AWKWARD_RAW = b'{"Id": "\xff\xfe", "Op\x00": "New-InboxRule"}\r\n\x00\x80\xc3('


def rejected(
    position: str = "line 7", raw: bytes = AWKWARD_RAW, reason: str = "invalid JSON"
) -> Rejected:
    return Rejected(
        origin=Origin(file="exports/ual.jsonl", position=position),
        reason=reason,
        field="AuditData",
        record_id="7d3e-1901",
        raw=raw,
    )


def test_raw_bytes_preserved_exactly(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    every_byte = bytes(range(256))
    store.add_rejected([rejected("line 1", AWKWARD_RAW), rejected("line 2", every_byte)], run_id)

    first, second = store.list_rejected(include_raw=True)

    assert first["raw"] == AWKWARD_RAW
    assert second["raw"] == every_byte
    assert isinstance(first["raw"], bytes)


def test_empty_raw_is_stored(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    store.add_rejected([rejected(raw=b"")], run_id)

    assert store.list_rejected(include_raw=True)[0]["raw"] == b""


def test_rejected_fields_listed_without_raw(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    store.add_rejected([rejected()], run_id)

    (row,) = store.list_rejected()

    assert row == {
        "run_id": run_id,
        "file": "exports/ual.jsonl",
        "position": "line 7",
        "field": "AuditData",
        "reason": "invalid JSON",
        "record_id": "7d3e-1901",
    }


def test_rejected_twice_reports_duplicates(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    items = [rejected("line 1"), rejected("line 2"), rejected("line 1")]

    assert store.add_rejected(items, run_id) == (2, 1)
    assert store.add_rejected(items, store.start_run("read", ["again"])) == (0, 3)
    assert store.counts()["rejected"] == 2


def test_rejected_differing_raw_is_not_duplicate(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    items = [
        rejected(raw=b"a"),
        rejected(raw=b"a\x00"),
        rejected(raw=b"b"),
        rejected(raw=b"a", reason="missing field"),
    ]

    assert store.add_rejected(items, run_id) == (4, 0)


def test_rejected_keeps_order_and_limit(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    store.add_rejected([rejected(f"line {i}") for i in range(1, 6)], run_id)

    positions = [row["position"] for row in store.list_rejected(limit=3)]

    assert positions == ["line 1", "line 2", "line 3"]


def test_rejected_text_with_nul_is_stored(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    item = rejected(reason="unexpected character '\x00' in header")

    assert store.add_rejected([item], run_id) == (1, 0)
    assert store.list_rejected()[0]["reason"] == "unexpected character '\\x00' in header"


def test_file_name_with_surrogate_is_stored(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    item = Rejected(origin=Origin(file="mail/caf\udce9.eml", position=""), reason="not a message")

    assert store.add_rejected([item], run_id) == (1, 0)
    assert store.list_rejected()[0]["file"] == "mail/caf\\udce9.eml"


def test_rejected_unknown_run_raises(store: Store) -> None:
    with pytest.raises(StoreError):
        store.add_rejected([rejected()], 12345)


def test_notices_deduplicated(store: Store) -> None:
    run_id = store.start_run("read", ["exports"])
    capped = Notice(
        origin=Origin(file="exports/ual.csv", position=""),
        message="export stops at 50000 rows of 61234 announced",
    )
    other = Notice(origin=Origin(file="exports/ual.csv", position=""), message="x", kind="time")

    assert store.add_notices([capped, other, capped], run_id) == 2
    assert store.add_notices([capped], run_id) == 0
    assert [n["message"] for n in store.list_notices()] == [capped.message, "x"]
    assert store.list_notices()[1]["kind"] == "time"
    assert store.counts()["notices"] == 2
