"""The indexed look-alike search reports what a scan of every known domain reports."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.counts import days_known
from chainwatch.detect import lookalike_sender as ls
from chainwatch.detect.impersonation_link import edit_distance

START = datetime(2026, 1, 1, tzinfo=UTC)
NAMES = ("harbor", "harbour", "northgate", "pinecrest", "acme", "contoso", "fabrikam", "globex")
SUFFIXES = (".example", ".example.com", ".co.uk", ".com")


def scan_lookalike(
    book: BaselineBook, sender: str, now: datetime, org_domains: frozenset[str]
) -> ls.Lookalike | None:
    """Compare with every sender domain, in book order: the search before the index."""
    address_domain = ls.domain_of_address(sender)
    if not address_domain:
        return None
    domain = ls.registered(address_domain)
    history = book.get("sender-domain", address_domain)
    age = days_known(history, now) if history else None
    if (age is not None and age >= ls.YOUNG_DAYS) or domain in org_domains:
        return None

    before = datetime.fromisoformat(history["first"]) if history else now
    targets = {d: ("organisation", 0) for d in org_domains}
    known: dict[str, int] = {}
    for key, state in book.items("sender-domain"):
        messages = state.get("messages", 0)
        if messages >= ls.MIN_VENDOR_MESSAGES and days_known(state, before) >= ls.MIN_VENDOR_DAYS:
            known[ls.registered(key)] = known.get(ls.registered(key), 0) + messages
    for target, messages in known.items():
        targets.setdefault(target, ("vendor", messages))
    targets.pop(domain, None)

    folded = ls.fold(domain)
    best = None
    for target, (kind, messages) in targets.items():
        if len(target.split(".")[0]) < ls.MIN_NAME_LENGTH:
            continue
        folded_target = ls.fold(target)
        distance = 0 if folded == folded_target else edit_distance(folded, folded_target, 2)
        if distance <= 2 and (
            best is None or (distance, -messages) < (best.distance, -best.target_messages)
        ):
            best = ls.Lookalike(domain, target, distance, kind, age, messages)
    return best


def variant(name: str, rng: random.Random) -> str:
    letters = list(name)
    for _ in range(rng.randint(0, 3)):
        at = min(rng.randint(0, len(letters)), len(letters) - 1)
        operation = rng.randint(0, 3)
        if operation == 0:
            letters.insert(at, rng.choice("aeornl01mwv"))
        elif operation == 1 and len(letters) > 1:
            del letters[at]
        elif operation == 2:
            letters[at] = rng.choice("aeornl01mwv")
        else:
            letters[at] = rng.choice("аеор")  # Cyrillic look-alikes
    return "".join(letters)


def test_indexed_search_matches_full_scan():
    rng = random.Random(5)
    compared = found = 0
    for _ in range(25):
        book = BaselineBook()
        org = frozenset(rng.sample(["example.com", "harbor.example", "acme-corp.example"], 2))
        domains: list[str] = []
        for _ in range(rng.randint(20, 200)):
            prefix = rng.choice(("", "", "mail.", "mx1."))
            domain = prefix + variant(rng.choice(NAMES), rng) + rng.choice(SUFFIXES)
            domains.append(domain)
            state = book.edit("sender-domain", domain)
            state.setdefault("first", (START + timedelta(days=rng.uniform(0, 60))).isoformat())
            state["messages"] = state.get("messages", 0) + rng.randint(0, 6)
            if rng.random() < 0.3:  # searches between learning, so keys arrive after the index
                now = START + timedelta(days=rng.uniform(0, 90))
                if rng.random() < 0.5:
                    sender = "x@" + rng.choice(domains)
                else:
                    sender = "x@" + variant(rng.choice(NAMES), rng) + rng.choice(SUFFIXES)
                expected = scan_lookalike(book, sender, now, org)
                assert ls.find_lookalike(book, sender, now, org) == expected, sender
                compared += 1
                found += expected is not None
    assert compared > 500
    assert found > 50
