"""Detections and incidents: upserts, ordering and lookup by id prefix."""

from __future__ import annotations

from typing import Any

import pytest

from chainwatch.errors import StoreError
from chainwatch.store import AmbiguousIdError, Store


def detection(detection_id: str, time: str, incident_id: str | None = None, **extra: Any) -> dict:
    return {
        "detection_id": detection_id,
        "model": "unusual-signin",
        "time": time,
        "account": "dana@example.com",
        "score": 70,
        "incident_id": incident_id,
        "evidence": ["entra-signin:1"],
        **extra,
    }


def incident(incident_id: str, severity: int, first_time: str, **extra: Any) -> dict:
    return {
        "incident_id": incident_id,
        "severity": severity,
        "title": f"Account takeover {incident_id}",
        "first_time": first_time,
        "last_time": "2024-05-15T00:00:00+00:00",
        "accounts": ["dana@example.com"],
        **extra,
    }


def test_detections_round_trip_whole_dict(store: Store) -> None:
    saved = detection("d1", "2024-05-14T09:10:02Z", "inc-1", details={"country": "NL"})

    store.save_detections([saved])

    assert store.list_detections() == [saved]


def test_save_detections_upserts(store: Store) -> None:
    store.save_detections([detection("d1", "2024-05-14T09:00:00+00:00")])

    store.save_detections([detection("d1", "2024-05-14T09:00:00+00:00", "inc-1", score=95)])

    (stored,) = store.list_detections()
    assert stored["score"] == 95
    assert stored["incident_id"] == "inc-1"
    assert store.counts()["detections"] == 1


def test_same_detection_twice_in_one_call(store: Store) -> None:
    store.save_detections(
        [
            detection("d1", "2024-05-14T09:00:00+00:00", score=10),
            detection("d1", "2024-05-14T09:00:00+00:00", score=20),
        ]
    )

    assert [d["score"] for d in store.list_detections()] == [20]


def test_list_detections_by_incident(store: Store) -> None:
    store.save_detections(
        [
            detection("d3", "2024-05-14T12:00:00+00:00", "inc-1"),
            detection("d1", "2024-05-14T11:00:00+02:00", "inc-1"),  # 09:00 UTC
            detection("d2", "2024-05-14T10:00:00+00:00", None),
        ]
    )

    assert [d["detection_id"] for d in store.list_detections("inc-1")] == ["d1", "d3"]
    assert [d["detection_id"] for d in store.list_detections()] == ["d1", "d2", "d3"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("model", None, "field 'model' must be a non-empty string"),
        ("time", "2024-05-14T09:00:00", "field 'time' must be an ISO 8601 time with a zone"),
        ("time", "yesterday", "field 'time' must be an ISO 8601 time with a zone"),
        ("score", "70", "field 'score' must be an integer"),
        ("score", True, "field 'score' must be an integer"),
        ("incident_id", 5, "field 'incident_id' must be a string or None"),
    ],
)
def test_invalid_detection_raises(store: Store, field: str, value: Any, message: str) -> None:
    bad = detection("d1", "2024-05-14T09:00:00+00:00")
    bad[field] = value

    with pytest.raises(StoreError, match=message):
        store.save_detections([bad])


def test_incidents_ordered_by_severity(store: Store) -> None:
    store.save_incidents(
        [
            incident("b", 50, "2024-05-14T10:00:00+00:00"),
            incident("a", 90, "2024-05-14T12:00:00+00:00"),
            incident("c", 50, "2024-05-14T08:00:00+00:00"),
            incident("d", 10, "2024-05-13T00:00:00+00:00"),
        ]
    )

    assert [i["incident_id"] for i in store.list_incidents()] == ["a", "c", "b", "d"]
    assert [i["incident_id"] for i in store.list_incidents(min_severity=50)] == ["a", "c", "b"]


def test_save_incidents_upserts(store: Store) -> None:
    store.save_incidents([incident("inc-1", 40, "2024-05-14T10:00:00+00:00")])

    store.save_incidents(
        [incident("inc-1", 80, "2024-05-14T09:00:00+00:00", accounts=["a@example.com"])]
    )

    (stored,) = store.list_incidents()
    assert stored["severity"] == 80
    assert stored["accounts"] == ["a@example.com"]
    assert store.counts()["incidents"] == 1


def test_incident_accounts_must_be_strings(store: Store) -> None:
    with pytest.raises(StoreError, match="field 'accounts' must be a list of strings"):
        store.save_incidents([incident("inc-1", 40, "2024-05-14T10:00:00Z", accounts="dana")])


def test_get_incident_by_id_and_prefix(store: Store) -> None:
    store.save_incidents(
        [
            incident("7d3e1901", 60, "2024-05-14T10:00:00+00:00"),
            incident("7d3e2200", 60, "2024-05-14T10:00:00+00:00"),
            incident("a1b2", 60, "2024-05-14T10:00:00+00:00"),
        ]
    )

    assert store.get_incident("7d3e1901")["incident_id"] == "7d3e1901"  # type: ignore[index]
    assert store.get_incident("7d3e2")["incident_id"] == "7d3e2200"  # type: ignore[index]
    assert store.get_incident("a")["incident_id"] == "a1b2"  # type: ignore[index]
    assert store.get_incident("ffff") is None
    assert store.get_incident("") is None


def test_get_incident_ambiguous_prefix_raises(store: Store) -> None:
    store.save_incidents(
        [
            incident("7d3e1901", 60, "2024-05-14T10:00:00+00:00"),
            incident("7d3e2200", 60, "2024-05-14T10:00:00+00:00"),
        ]
    )

    with pytest.raises(AmbiguousIdError) as caught:
        store.get_incident("7d3e")

    assert caught.value.matches == ["7d3e1901", "7d3e2200"]
    assert "7d3e1901, 7d3e2200" in str(caught.value)


def test_incident_exact_id_beats_prefix(store: Store) -> None:
    store.save_incidents(
        [
            incident("inc-1", 60, "2024-05-14T10:00:00+00:00"),
            incident("inc-10", 60, "2024-05-14T10:00:00+00:00"),
        ]
    )

    assert store.get_incident("inc-1")["incident_id"] == "inc-1"  # type: ignore[index]


def test_incident_prefix_case_and_wildcards(store: Store) -> None:
    store.save_incidents(
        [
            incident("ABC-1", 60, "2024-05-14T10:00:00+00:00"),
            incident("x_y%z", 60, "2024-05-14T10:00:00+00:00"),
            incident("xaybz", 60, "2024-05-14T10:00:00+00:00"),
        ]
    )

    assert store.get_incident("abc") is None
    assert store.get_incident("x_y%")["incident_id"] == "x_y%z"  # type: ignore[index]


def test_replace_incidents_drops_old_ids(store: Store) -> None:
    store.save_incidents(
        [
            incident("old-1", 60, "2024-05-14T10:00:00+00:00"),
            incident("old-2", 40, "2024-05-14T11:00:00+00:00"),
        ]
    )

    store.replace_incidents([incident("merged", 70, "2024-05-14T10:00:00+00:00")])

    assert [i["incident_id"] for i in store.list_incidents()] == ["merged"]
    store.replace_incidents([])
    assert store.list_incidents() == []
