"""Fixtures shared by every test package.

``store_url`` runs a test once per store backend: a SQLite file in ``tmp_path`` and,
when ``CHAINWATCH_TEST_POSTGRES_URL`` names a PostgreSQL database, a fresh schema in
that database that is dropped after the test. Without the variable the PostgreSQL
case is skipped. ``bash .ci/run`` starts a throwaway server and sets it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from chainwatch.store import Store

POSTGRES_URL_VARIABLE = "CHAINWATCH_TEST_POSTGRES_URL"


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield the target of an empty store: a SQLite file path or a PostgreSQL URL."""
    if request.param == "sqlite":
        yield str(tmp_path / "chainwatch.db")
        return

    admin_url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not admin_url:
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set; bash .ci/run sets it")
    yield from _postgres_schema(admin_url)


def _postgres_schema(admin_url: str) -> Iterator[str]:
    # A schema per test keeps tests independent without a CREATE DATABASE per
    # test. The store finds its tables through search_path, set per connection.
    schema = f"chainwatch_test_{uuid.uuid4().hex[:12]}"
    url = make_url(admin_url)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    admin = create_engine(url)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception:
        admin.dispose()
        raise

    try:
        test_url = url.update_query_dict({"options": f"-csearch_path={schema}"})
        yield test_url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """Yield an open, empty store on each backend and close it after the test."""
    opened = Store.open(store_url)
    try:
        yield opened
    finally:
        opened.close()
