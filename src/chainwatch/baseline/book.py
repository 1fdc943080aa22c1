"""The baseline book: every learned state, as plain dicts keyed by (namespace, key).

Namespaces: ``signin`` (per account), ``org`` (organisation-wide totals), ``ip``
(locations learned from sign-in records), ``sender`` and ``sender-domain`` (external
senders), ``link-host`` and ``link-domain`` (organisation-wide link rarity),
``outbound`` and ``file-volume`` (per-account hourly volumes), ``account`` (recent
suspicious context per account) and ``fired`` (when each detection last fired).

The whole book is a plain mapping so it can be saved to any store, sharded by key
across workers, or replaced by a key-value state of a streaming engine.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Protocol, TypeVar

State = dict[str, Any]


class KeyIndex(Protocol):
    """A lookup structure derived from the keys of one namespace (see :meth:`key_index`)."""

    def add(self, key: str, state: State) -> None:
        """Take in a key new to the namespace, with its state."""


IndexT = TypeVar("IndexT", bound=KeyIndex)


class BaselineBook:
    """In-memory view of all baseline states, with change tracking for saving."""

    def __init__(self, states: Mapping[tuple[str, str], State] | None = None) -> None:
        self._states: dict[tuple[str, str], State] = dict(states or {})
        self._dirty: set[tuple[str, str]] = set()
        # Derived lookups, never saved. A new book, such as one loaded from the store,
        # starts without them. Each is built on first use and kept up to date by
        # :meth:`edit`. ``_namespaces`` maps each namespace that :meth:`items` walked to
        # its states by key in insertion order, so a walk costs the size of its namespace.
        self._namespaces: dict[str, dict[str, State]] = {}
        self._key_indexes: dict[str, dict[type, KeyIndex]] = {}

    def get(self, namespace: str, key: str) -> State | None:
        """Return a state for reading; callers must not modify it."""
        return self._states.get((namespace, key))

    def edit(self, namespace: str, key: str) -> State:
        """Return a state for changing, creating it empty if missing."""
        pair = (namespace, key)
        self._dirty.add(pair)
        state = self._states.get(pair)
        if state is None:
            state = {}
            self._states[pair] = state
            indexed = self._namespaces.get(namespace)
            if indexed is not None:
                indexed[key] = state
            key_indexes = self._key_indexes.get(namespace)
            if key_indexes:
                for index in key_indexes.values():
                    index.add(key, state)
        return state

    def dirty_items(self) -> Iterator[tuple[tuple[str, str], State]]:
        for pair in sorted(self._dirty):
            yield pair, self._states[pair]

    def clear_dirty(self) -> None:
        self._dirty.clear()

    def all_items(self) -> Iterator[tuple[tuple[str, str], State]]:
        """Yield every state with its (namespace, key), for saving or inspection."""
        yield from self._states.items()

    def count(self, namespace: str) -> int:
        return len(self._namespace(namespace))

    def items(self, namespace: str) -> Iterator[tuple[str, State]]:
        """Yield the (key, state) pairs of one namespace in the order they were created."""
        yield from self._namespace(namespace).items()

    def key_index(self, namespace: str, kind: type[IndexT]) -> IndexT:
        """Return the ``kind`` index of ``namespace``'s keys, building it on first use.

        ``kind()`` makes an empty index; it is given every key of the namespace in
        insertion order, then each key that :meth:`edit` creates later. An index receives
        only keys, with their states at the time they were added.
        """
        indexes = self._key_indexes.setdefault(namespace, {})
        index = indexes.get(kind)
        if index is None:
            index = kind()
            for key, state in self.items(namespace):
                index.add(key, state)
            indexes[kind] = index
        return index  # type: ignore[return-value]

    def _namespace(self, namespace: str) -> dict[str, State]:
        indexed = self._namespaces.get(namespace)
        if indexed is None:
            indexed = {key: state for (ns, key), state in self._states.items() if ns == namespace}
            self._namespaces[namespace] = indexed
        return indexed
