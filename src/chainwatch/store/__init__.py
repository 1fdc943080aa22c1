"""Persistent storage for chainwatch: SQLite by default, PostgreSQL in production.

Open a store with :meth:`Store.open` on a file path or a database URL. See
``docs/store.md`` for the tables and the guarantees of each method.
"""

from chainwatch.store.findings import AmbiguousIdError
from chainwatch.store.schema import SCHEMA_VERSION
from chainwatch.store.store import Store

__all__ = ["SCHEMA_VERSION", "AmbiguousIdError", "Store"]
