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
from typing import Any

State = dict[str, Any]


class BaselineBook:
    """In-memory view of all baseline states, with change tracking for saving."""

    def __init__(self, states: Mapping[tuple[str, str], State] | None = None) -> None:
        self._states: dict[tuple[str, str], State] = dict(states or {})
        self._dirty: set[tuple[str, str]] = set()

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
        return sum(1 for ns, _ in self._states if ns == namespace)

    def items(self, namespace: str) -> Iterator[tuple[str, State]]:
        for (ns, key), state in self._states.items():
            if ns == namespace:
                yield key, state
