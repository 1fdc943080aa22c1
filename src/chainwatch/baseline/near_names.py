"""Find the names within Levenshtein distance 2 of a query without comparing with each.

Each name of length ``n`` (at least 3) is cut into three fixed segments that depend only
on ``n``. Two edits change at most two segments, so a name within distance 2 of the
query keeps one segment intact, and that segment occurs in the query shifted by at
most two positions. A query therefore looks up, for each length ``n`` within 2 of its
own, each segment position shifted by -2 to +2: at most 75 dictionary lookups,
however many names there are. The result is a superset that the caller checks with
the exact distance. Names shorter than 3 characters are always returned.
"""

from __future__ import annotations

from functools import lru_cache

MAX_DISTANCE = 2
SEGMENTS = MAX_DISTANCE + 1


@lru_cache(maxsize=256)
def _segments(length: int) -> tuple[tuple[int, int], ...]:
    """Return ``(start, size)`` of the segments of a name of ``length`` characters."""
    size, longer = divmod(length, SEGMENTS)
    bounds = []
    start = 0
    for index in range(SEGMENTS):
        end = start + size + (1 if index >= SEGMENTS - longer else 0)
        bounds.append((start, end - start))
        start = end
    return tuple(bounds)


class NearNames:
    """Names indexed by their segments, for near-match candidates."""

    def __init__(self) -> None:
        self._names: set[str] = set()
        self._short: list[str] = []
        self._by_segment: dict[tuple[int, int, str], list[str]] = {}

    def __len__(self) -> int:
        return len(self._names)

    def add(self, name: str) -> None:
        if name in self._names:
            return
        self._names.add(name)
        if len(name) < SEGMENTS:
            self._short.append(name)
            return
        for index, (start, size) in enumerate(_segments(len(name))):
            key = (len(name), index, name[start : start + size])
            self._by_segment.setdefault(key, []).append(name)

    def candidates(self, query: str) -> set[str]:
        """Return every name within distance 2 of ``query``, and possibly others."""
        found = set(self._short)
        length = len(query)
        for name_length in range(max(SEGMENTS, length - MAX_DISTANCE), length + MAX_DISTANCE + 1):
            for index, (start, size) in enumerate(_segments(name_length)):
                first = max(0, start - MAX_DISTANCE)
                last = min(length - size, start + MAX_DISTANCE)
                for at in range(first, last + 1):
                    names = self._by_segment.get((name_length, index, query[at : at + size]))
                    if names:
                        found.update(names)
        return found
