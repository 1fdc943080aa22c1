"""Tie detections into incidents.

Two detections belong to the same incident when:

- they concern the same organisation account within :data:`ACCOUNT_WINDOW`;
- both score at least :data:`SHARED_ENTITY_FLOOR` and share an address, network, link
  host or message id (so an office address on two clean-up rules joins nothing);
- one is a lure from outside delivered to an account and the other a detection on
  that account scoring at least :data:`LURE_FOLLOW_UP` within :data:`LURE_WINDOW`.

Grouping is a union-find over detections, deterministic for the same input, and the
incident id derives from the group's earliest detection so re-running keeps ids.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta
from itertools import pairwise

from chainwatch.detect.base import Detection
from chainwatch.enrich.domains import domain_of_address

ACCOUNT_WINDOW = timedelta(days=7)
LURE_WINDOW = timedelta(days=14)
SHARED_ENTITIES = ("ip", "network", "link-host", "message-id")
# Only detections scoring this much share their entities with others.
SHARED_ENTITY_FLOOR = 50
DELIVERY_STAGE = "delivery"
# A recipient's own detection must score this much to be tied to a lure it received.
LURE_FOLLOW_UP = 50


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: int, b: int) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)


def group_detections(
    detections: Iterable[Detection], org_domains: Iterable[str] = ()
) -> list[list[Detection]]:
    """Return groups of related detections, each sorted by time, groups by first time.

    ``org_domains`` tells an internal sender's lure (which must not pull in everyone it
    mailed) from an inbound one; without it, senders with findings of their own count as
    internal.
    """
    ordered = sorted(detections, key=lambda d: (d.time, d.detection_id))
    sets = _UnionFind(len(ordered))

    by_account: dict[str, list[int]] = defaultdict(list)
    for index, detection in enumerate(ordered):
        if detection.stage != DELIVERY_STAGE:
            by_account[detection.account].append(index)
    for indices in by_account.values():
        for previous, current in pairwise(indices):
            if ordered[current].time - ordered[previous].time <= ACCOUNT_WINDOW:
                sets.union(previous, current)

    first_with: dict[tuple[str, str], int] = {}
    for index, detection in enumerate(ordered):
        if detection.score < SHARED_ENTITY_FLOOR:
            continue  # an office address on a tidy-up rule ties nothing together
        for kind, value in detection.entities:
            if kind in SHARED_ENTITIES:
                key = (kind, value)
                if key in first_with:
                    sets.union(first_with[key], index)
                else:
                    first_with[key] = index

    domains = tuple(d.lower() for d in org_domains)

    def is_internal(sender: str) -> bool:
        domain = domain_of_address(sender)
        if domain and any(domain == d or domain.endswith("." + d) for d in domains):
            return True
        return sender in by_account

    for index, detection in enumerate(ordered):
        if detection.stage != DELIVERY_STAGE or is_internal(detection.account):
            continue
        for recipient in detection.entity_values("recipient"):
            for other in by_account.get(recipient, []):
                gap = ordered[other].time - detection.time
                if timedelta(0) <= gap <= LURE_WINDOW and ordered[other].score >= LURE_FOLLOW_UP:
                    sets.union(index, other)

    groups: dict[int, list[Detection]] = defaultdict(list)
    for index, detection in enumerate(ordered):
        groups[sets.find(index)].append(detection)
    return [groups[root] for root in sorted(groups)]


def incident_id(group: list[Detection]) -> str:
    """Derive a stable incident id from the group's earliest detection."""
    first = min(group, key=lambda d: (d.time, d.detection_id))
    return "INC-" + hashlib.sha256(first.detection_id.encode()).hexdigest()[:10]
