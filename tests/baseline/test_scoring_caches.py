"""Indexes and caches of the scoring path return what the uncached code returns."""

from __future__ import annotations

import ipaddress
import random
from datetime import UTC, datetime, timedelta, timezone

from chainwatch.baseline.book import BaselineBook, State
from chainwatch.baseline.counts import iso_before, iso_hour, iso_time
from chainwatch.baseline.fingerprints import TextShingles, minhash, similarity
from chainwatch.baseline.near_names import NearNames
from chainwatch.baseline.network import _network_text
from chainwatch.detect.impersonation_link import edit_distance

LURE_TEXT = (
    "Good morning, please find the remittance advice for the third quarter. View the "
    "document in Microsoft OneDrive with the link below before Friday. Kind regards, "
    "accounts team"
)


def mutate(name: str, alphabet: str, rng: random.Random) -> str:
    letters = list(name)
    for _ in range(rng.randint(0, 3)):
        at = rng.randint(0, len(letters))
        operation = rng.randint(0, 2)
        if operation == 0:
            letters.insert(at, rng.choice(alphabet))
        elif letters and operation == 1:
            del letters[min(at, len(letters) - 1)]
        elif letters:
            letters[min(at, len(letters) - 1)] = rng.choice(alphabet)
    return "".join(letters)


def test_near_names_finds_every_name_within_two_edits():
    rng = random.Random(1)
    alphabet = "abcde.-"  # few letters, so many names are near each other
    names = sorted({mutate("abcdeabcde"[: rng.randint(0, 10)], alphabet, rng) for _ in range(2000)})
    index = NearNames()
    for name in names:
        index.add(name)
    for _ in range(1500):
        query = mutate(rng.choice(names), alphabet, rng)
        expected = {name for name in names if edit_distance(query, name, 2) <= 2}
        missing = expected - index.candidates(query)
        assert not missing, f"{query!r}: {sorted(missing)}"


def test_near_names_returns_short_names_always():
    index = NearNames()
    index.add("ab")
    index.add("abcdefgh")
    assert index.candidates("zzzzzzzzzzzz") == {"ab"}


def test_near_names_counts_each_name_once():
    index = NearNames()
    index.add("contoso")
    index.add("contoso")
    assert len(index) == 1


def test_text_shingles_similarity_equals_full_signatures():
    rng = random.Random(3)
    words = LURE_TEXT.split()
    texts = [LURE_TEXT, None, "", "too few words", "lunch on friday at the usual place ok"]
    for _ in range(40):
        edited = list(words)
        for _ in range(rng.randint(0, 25)):
            edited[rng.randrange(len(edited))] = rng.choice(["invoice", "pay", "urgent", "x"])
        texts.append(" ".join(edited))
    signatures: list[list] = [minhash(text) for text in texts]
    # Malformed stored signatures take the full comparison.
    signatures += [[], [True] * 64, [-1] + [0] * 63, list(range(70)), [1.5] * 64]
    for text in texts:
        shingles = TextShingles(text)
        full = minhash(text)
        for signature in signatures:
            assert shingles.similarity(signature) == similarity(full, signature)


def test_iso_time_matches_isoformat_for_each_object():
    utc = datetime(2026, 10, 16, 10, 5, 7, 123, tzinfo=UTC)
    # Equal to ``utc`` but formatted with another offset: the cache must not mix them.
    plus_two = utc.astimezone(timezone(timedelta(hours=2)))
    assert iso_time(utc) == utc.isoformat()
    assert iso_time(plus_two) == plus_two.isoformat()
    assert iso_time(utc) == utc.isoformat()
    assert iso_before(plus_two, timedelta(hours=1)) == (plus_two - timedelta(hours=1)).isoformat()
    assert iso_before(utc, timedelta(days=7)) == (utc - timedelta(days=7)).isoformat()
    assert iso_hour(utc) == utc.replace(minute=0, second=0, microsecond=0).isoformat()


class KeysSeen:
    def __init__(self) -> None:
        self.keys: list[str] = []

    def add(self, key: str, state: State) -> None:
        self.keys.append(key)


def test_key_index_gets_every_key():
    book = BaselineBook({("sender-domain", "a.example"): {}, ("org", "mail"): {}})
    index = book.key_index("sender-domain", KeysSeen)
    book.edit("sender-domain", "b.example")
    book.edit("sender-domain", "a.example")  # not new: not added again
    book.edit("sender", "x@c.example")  # another namespace
    assert index.keys == ["a.example", "b.example"]
    assert book.key_index("sender-domain", KeysSeen) is index


def test_namespace_items_include_new_keys():
    book = BaselineBook({("signin", "a@example.com"): {"n": 1}, ("org", "signin"): {}})
    assert [key for key, _ in book.items("signin")] == ["a@example.com"]
    book.edit("signin", "b@example.com")
    assert [key for key, _ in book.items("signin")] == ["a@example.com", "b@example.com"]
    assert book.count("signin") == 2


def test_network_text_matches_ipaddress():
    rng = random.Random(7)
    texts = ["192.0.2.7", "0.0.0.0", "255.255.255.255", "2001:db8::1", "::1", "::", "fe80::1%eth0",
             "fe80::%eth0", "::ffff:203.0.113.9", "2001:db8:0:0:1::"]  # fmt: skip
    texts += [str(ipaddress.IPv4Address(rng.getrandbits(32))) for _ in range(300)]
    texts += [str(ipaddress.IPv6Address(rng.getrandbits(128))) for _ in range(300)]
    texts += [str(ipaddress.IPv6Address(rng.getrandbits(64) << 64)) for _ in range(100)]
    for text in texts:
        address = ipaddress.ip_address(text)
        for prefix in (24, 48, 64) if address.version == 6 else (24,):
            expected = str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
            assert _network_text(address, prefix) == expected, (text, prefix)
