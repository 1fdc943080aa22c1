"""Opening a store: file creation, SQLite settings, schema version checks, reopening."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text, update

from chainwatch.errors import StoreError
from chainwatch.store import SCHEMA_VERSION, Store
from chainwatch.store.connect import store_url as resolve_url
from chainwatch.store.schema import meta
from tests.store.builders import sign_in


def set_schema_version(target: str, value: str) -> None:
    engine = create_engine(resolve_url(target))
    with engine.begin() as connection:
        connection.execute(update(meta).where(meta.c.key == "schema_version").values(value=value))
    engine.dispose()


def test_open_creates_sqlite_file_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Store.open(path).close()

    assert path.is_file()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_open_sets_sqlite_connection_pragmas(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "new.db")
    with store._engine.connect() as connection:
        synchronous = connection.execute(text("PRAGMA synchronous")).scalar_one()
        foreign_keys = connection.execute(text("PRAGMA foreign_keys")).scalar_one()
    store.close()

    assert synchronous == 1  # NORMAL
    assert foreign_keys == 1


def test_open_accepts_sqlite_url(tmp_path: Path) -> None:
    path = tmp_path / "by-url.db"
    with Store.open(f"sqlite:///{path}") as store:
        assert store.dialect == "sqlite"
    assert path.is_file()


def test_open_missing_directory_raises(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not found"):
        Store.open(tmp_path / "missing" / "chainwatch.db")


def test_open_non_database_file_raises(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is a text file, not a database\n" * 100)

    with pytest.raises(StoreError, match="cannot open database"):
        Store.open(path)


def test_open_invalid_url_raises() -> None:
    with pytest.raises(StoreError, match="invalid database URL"):
        Store.open("postgresql+psycopg://user@host:notaport/db")


def test_driverless_postgres_url_uses_psycopg() -> None:
    for url in ("postgresql://u:pw@127.0.0.1/db", "postgres://u:pw@127.0.0.1/db"):
        assert resolve_url(url).drivername == "postgresql+psycopg"


def test_unsupported_dialect_raises() -> None:
    with pytest.raises(StoreError, match="unsupported database"):
        Store.open("mysql+pymysql://u:pw@127.0.0.1/db")


def test_store_url_hides_password(store_url: str) -> None:
    with Store.open(store_url) as store:
        assert "pw" not in store.url or "***" in store.url


def test_open_records_schema_version(store: Store) -> None:
    assert store.get_meta("schema_version") == str(SCHEMA_VERSION)


def test_reopen_keeps_data(store_url: str) -> None:
    with Store.open(store_url) as store:
        run_id = store.start_run("read", ["exports"])
        store.add_events([sign_in("1"), sign_in("2", 5)], run_id)
        store.set_meta("tenant", "example.com")

    with Store.open(store_url) as reopened:
        assert [e.event_id for e in reopened.iter_events()] == [
            "entra-signin:1",
            "entra-signin:2",
        ]
        assert reopened.get_meta("tenant") == "example.com"
        assert reopened.get_meta("schema_version") == str(SCHEMA_VERSION)


def test_reopen_newer_schema_version_raises(store_url: str) -> None:
    Store.open(store_url).close()
    newer = SCHEMA_VERSION + 1
    set_schema_version(store_url, str(newer))

    with pytest.raises(StoreError) as caught:
        Store.open(store_url)

    message = str(caught.value)
    assert f"schema version {newer}" in message
    assert f"version {SCHEMA_VERSION} this chainwatch expects" in message
    assert "newer than" in message


def test_open_version_1_database_raises(store_url: str) -> None:
    Store.open(store_url).close()
    set_schema_version(store_url, "1")

    with pytest.raises(StoreError) as caught:
        Store.open(store_url)

    message = str(caught.value)
    assert "schema version 1, older than" in message
    assert f"version {SCHEMA_VERSION} this chainwatch expects" in message
    assert "a new database" in message


def test_reopen_newer_version_writes_nothing(store_url: str) -> None:
    Store.open(store_url).close()
    set_schema_version(store_url, "99")

    with pytest.raises(StoreError):
        Store.open(store_url)
    with pytest.raises(StoreError):
        Store.open(store_url)

    engine = create_engine(resolve_url(store_url))
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT value FROM meta WHERE key = 'schema_version'"))
        assert stored.scalar_one() == "99"
    engine.dispose()


def test_reopen_invalid_schema_version_raises(store_url: str) -> None:
    Store.open(store_url).close()
    set_schema_version(store_url, "v2-beta")

    with pytest.raises(StoreError, match="invalid schema version 'v2-beta'"):
        Store.open(store_url)


def test_set_meta_rejects_schema_version(store: Store) -> None:
    with pytest.raises(ValueError, match="schema_version"):
        store.set_meta("schema_version", "2")


def test_meta_overwrite_and_missing(store: Store) -> None:
    store.set_meta("last_run", "2024-05-14")
    store.set_meta("last_run", "2024-05-15")

    assert store.get_meta("last_run") == "2024-05-15"
    assert store.get_meta("never_set") is None
