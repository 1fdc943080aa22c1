"""Open a store database: turn a path or URL into an engine and check its schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from chainwatch.errors import StoreError
from chainwatch.store.batch import SUPPORTED_DIALECTS
from chainwatch.store.schema import SCHEMA_VERSION, SCHEMA_VERSION_KEY, meta, metadata

# A URL without a driver would select psycopg2, which chainwatch does not depend on.
_DRIVERLESS_POSTGRES = ("postgresql://", "postgres://")


def store_url(target: str | Path) -> URL:
    """Return the database URL for a file path or a SQLAlchemy URL string."""
    if isinstance(target, str) and "://" in target:
        for prefix in _DRIVERLESS_POSTGRES:
            if target.startswith(prefix):
                target = "postgresql+psycopg://" + target[len(prefix) :]
        try:
            url = make_url(target)
        except (ArgumentError, ValueError) as exc:
            raise StoreError(f"invalid database URL {target!r}: {exc}") from exc
        if url.get_backend_name() not in SUPPORTED_DIALECTS:
            raise StoreError(
                f"unsupported database {describe_url(url)!r}: use a SQLite file or a "
                "postgresql+psycopg:// URL"
            )
        return url

    path = Path(target).expanduser()
    if not str(target).strip():
        raise StoreError("empty database path: give --db a file name such as chainwatch.db")
    if path.is_dir():
        raise StoreError(f"cannot use {str(path)!r} as a database: it is a directory")
    if not path.parent.is_dir():
        raise StoreError(
            f"cannot create database {str(path)!r}: directory {str(path.parent)!r} not found"
        )
    return URL.create("sqlite+pysqlite", database=str(path))


def describe_url(url: URL) -> str:
    """Return ``url`` as text with any password masked, for messages; a SQLite file's path."""
    if url.get_backend_name() == "sqlite" and url.database:
        return url.database
    return url.render_as_string(hide_password=True)


def create_store_engine(url: URL) -> Engine:
    """Create the engine for ``url``, with SQLite connection settings applied."""
    try:
        engine = create_engine(url)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise StoreError(
            f"no database driver for {describe_url(url)!r}: {exc}. "
            "For PostgreSQL install chainwatch[postgres] (psycopg)."
        ) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _configure_sqlite)
    return engine


def _configure_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets readers go on while one run writes. With WAL, synchronous=NORMAL
        # can lose the last commits on power loss but never corrupts the file.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def ensure_schema(engine: Engine) -> None:
    """Create missing tables and record the schema version, or raise :class:`StoreError`.

    A database whose recorded version differs from :data:`SCHEMA_VERSION` is rejected
    before anything is written to it.
    """
    where = describe_url(engine.url)
    try:
        with engine.begin() as connection:
            found = _recorded_version(connection, where)
            if found is None:
                foreign = sorted(
                    name
                    for name in inspect(connection).get_table_names()
                    if name not in metadata.tables
                )
                if foreign:
                    raise StoreError(
                        f"database {where!r} is not a chainwatch database (it has the tables "
                        f"{', '.join(foreign[:5])}); nothing was written. Give --db a new file "
                        "or an empty database"
                    )
            if found is not None and found != SCHEMA_VERSION:
                newer = "newer than" if found > SCHEMA_VERSION else "older than"
                raise StoreError(
                    f"database {where!r} has schema version {found}, {newer} the version "
                    f"{SCHEMA_VERSION} this chainwatch expects; use a chainwatch release "
                    f"with schema version {found} or a new database"
                )
            metadata.create_all(connection, checkfirst=True)
            if found is None:
                connection.execute(
                    meta.insert().values(key=SCHEMA_VERSION_KEY, value=str(SCHEMA_VERSION))
                )
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open database {where!r}: {exc}") from exc


def _recorded_version(connection: Any, where: str) -> int | None:
    if not inspect(connection).has_table(meta.name):
        return None
    value = connection.execute(
        select(meta.c.value).where(meta.c.key == SCHEMA_VERSION_KEY)
    ).scalar_one_or_none()
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise StoreError(
            f"database {where!r} has an invalid schema version {value!r}; "
            "it was not written by chainwatch"
        ) from None
