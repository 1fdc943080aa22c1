"""Lure fingerprints: recognise copies of a lure even when the URL changes per recipient.

A taken-over mailbox resends the lure it received, often with a fresh link per
recipient or a different host. A fingerprint keeps what stays the same: the normalised
subject, the link hosts and a MinHash signature of the text's word shingles. A sent
message matches a remembered lure when the normalised subject is the same and either
a host is shared or the text is similar, or when the text alone is very similar.
Message trace rows carry only the subject, so they match on a distinctive subject.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.counts import iso_before, iso_time
from chainwatch.baseline.threads import normalise_subject
from chainwatch.events import EmailMessage

PERMUTATIONS = 64
SHINGLE_WORDS = 4
MAX_LURES = 200  # remembered lures; the oldest are forgotten first
LURE_DAYS = 30
LURE_SPAN = timedelta(days=LURE_DAYS)
SIMILAR_TEXT = 0.6  # estimated Jaccard similarity of shingles that counts as "the same text"
MIN_SUBJECT_CHARS = 8  # shorter normalised subjects ("hi", "invoice") are too common to match
_PRIME = (1 << 61) - 1  # a Mersenne prime for the universal hash family a*x + b mod p
_WORDS = re.compile(r"\w+")


def _coefficients(index: int) -> tuple[int, int]:
    # Fixed coefficients, so signatures are stable across runs and machines.
    digest = hashlib.sha256(f"chainwatch-minhash-{index}".encode()).digest()
    a = int.from_bytes(digest[:8], "big") % (_PRIME - 1) + 1
    b = int.from_bytes(digest[8:16], "big") % _PRIME
    return a, b


_PERMUTATION_COEFFICIENTS = tuple(_coefficients(i) for i in range(PERMUTATIONS))


@dataclass(frozen=True, slots=True)
class LureMatch:
    """A sent message resembling a remembered lure, and how closely."""

    detection_id: str
    sender: str
    time: str
    subject: str
    similarity: float  # estimated Jaccard of text shingles, 0 when there was no text
    shared_hosts: tuple[str, ...]

    def describe(self) -> str:
        parts = [f"matches the lure from {self.sender} of {self.time[:16]}"]
        if self.subject:
            parts.append(f"same subject {self.subject!r}")
        if self.shared_hosts:
            parts.append(f"same link host {', '.join(self.shared_hosts)}")
        if self.similarity:
            parts.append(f"text similarity {self.similarity:.2f} (MinHash, {PERMUTATIONS} slots)")
        return "; ".join(parts)


def _shingle_hashes(text: str | None) -> set[int]:
    """Return the 64-bit hashes of the text's word shingles (empty below one shingle)."""
    words = _WORDS.findall((text or "").casefold())
    if len(words) < SHINGLE_WORDS:
        return set()
    return {
        int.from_bytes(
            hashlib.blake2b(
                " ".join(words[i : i + SHINGLE_WORDS]).encode("utf-8"), digest_size=8
            ).digest(),
            "big",
        )
        for i in range(len(words) - SHINGLE_WORDS + 1)
    }


def minhash(text: str | None) -> list[int]:
    """Return the MinHash signature of the text's word shingles (empty for no text)."""
    hashes = _shingle_hashes(text)
    if not hashes:
        return []
    return [min((a * h + b) % _PRIME for h in hashes) for a, b in _PERMUTATION_COEFFICIENTS]


# Slot j of a signature is min over shingles h of (a_j * h + b_j) mod p. As a_j is
# invertible mod p, a slot value v can only come from a shingle h with
# h = (v - b_j) / a_j mod p, its residue. Two texts agree in slot j only if the text
# being matched has a shingle with that residue. So a text that shares no shingle with
# a lure needs none of its 64 minima (all 64 took about 2 ms per bench message of
# about 1,400 characters, on the machine of docs/benchmarks.md).
_INVERSES = tuple(pow(a, -1, _PRIME) for a, _ in _PERMUTATION_COEFFICIENTS)


@lru_cache(maxsize=1024)  # remembered lures are compared with every sent message
def _slot_residues(signature: tuple[int, ...]) -> dict[int, tuple[int, ...]] | None:
    """Return the slots behind each shingle residue, or ``None`` for a malformed signature."""
    slots: dict[int, list[int]] = {}
    for index, (value, (_, b), inverse) in enumerate(
        zip(signature, _PERMUTATION_COEFFICIENTS, _INVERSES, strict=False)
    ):
        if type(value) is not int or not 0 <= value < _PRIME:
            return None
        slots.setdefault((value - b) * inverse % _PRIME, []).append(index)
    return {residue: tuple(indexes) for residue, indexes in slots.items()}


class TextShingles:
    """A text's shingles, compared with signatures without computing its whole signature.

    ``similarity(signature)`` equals ``similarity(minhash(text), signature)``.
    """

    def __init__(self, text: str | None) -> None:
        self.hashes = _shingle_hashes(text)
        self.residues = {h % _PRIME for h in self.hashes}
        self._slots: dict[int, int] = {}

    def slot(self, index: int) -> int:
        """Return slot ``index`` of the text's MinHash signature."""
        value = self._slots.get(index)
        if value is None:
            a, b = _PERMUTATION_COEFFICIENTS[index]
            value = min((a * h + b) % _PRIME for h in self.hashes)
            self._slots[index] = value
        return value

    def similarity(self, signature: list[int]) -> float:
        if not self.hashes or not signature:
            return 0.0
        try:
            residues = _slot_residues(tuple(signature))
        except TypeError:  # an unhashable value in a stored signature
            residues = None
        if residues is None:
            own = [self.slot(index) for index in range(PERMUTATIONS)]
            return similarity(own, signature)
        matches = 0
        for residue in residues.keys() & self.residues:
            for index in residues[residue]:
                if self.slot(index) == signature[index]:
                    matches += 1
        return matches / PERMUTATIONS


def similarity(first: list[int], second: list[int]) -> float:
    """Estimate the Jaccard similarity of two signatures (0 when either is empty)."""
    if not first or not second:
        return 0.0
    return sum(a == b for a, b in zip(first, second, strict=False)) / PERMUTATIONS


def remember_lure(book: BaselineBook, detection_id: str, event: EmailMessage) -> None:
    """Keep the fingerprint of a message a delivery model flagged."""
    state = book.edit("lure-fingerprints", "all")
    lures: list[dict[str, Any]] = state.setdefault("lures", [])
    if any(lure["detection_id"] == detection_id for lure in lures):
        return
    lures.append(
        {
            "detection_id": detection_id,
            "sender": event.sender or "",
            "time": iso_time(event.time),
            "subject": normalise_subject(event.subject),
            "hosts": sorted({link.host for link in event.links}),
            "signature": minhash(event.text_excerpt),
        }
    )
    del lures[:-MAX_LURES]


def match_lure(
    book: BaselineBook,
    now: datetime,
    subject: str | None,
    hosts: set[str],
    text: str | None,
) -> LureMatch | None:
    """Return the remembered lure this message copies, if any."""
    state = book.get("lure-fingerprints", "all")
    if not state:
        return None
    normalised = normalise_subject(subject)
    earliest = iso_before(now, LURE_SPAN)
    latest = iso_time(now)
    recent = [lure for lure in state.get("lures", []) if earliest <= lure["time"] <= latest]
    if not recent:
        return None
    shingles = TextShingles(text)  # computed only while a lure is remembered
    best: LureMatch | None = None
    for lure in recent:
        same_subject = len(normalised) >= MIN_SUBJECT_CHARS and normalised == lure["subject"]
        shared = tuple(sorted(hosts & set(lure["hosts"])))
        text_similarity = shingles.similarity(lure["signature"])
        copies = (
            same_subject and (shared or text_similarity >= SIMILAR_TEXT or not text)
        ) or text_similarity >= SIMILAR_TEXT
        if not copies:
            continue
        found = LureMatch(
            detection_id=lure["detection_id"],
            sender=lure["sender"],
            time=lure["time"],
            subject=lure["subject"] if same_subject else "",
            similarity=text_similarity,
            shared_hosts=shared,
        )
        if best is None or found.similarity > best.similarity:
            best = found
    return best
