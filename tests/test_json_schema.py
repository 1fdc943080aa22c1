"""Pin the keys of the ``--json`` document that ``docs/json-schema.md`` describes."""

from __future__ import annotations

from datetime import UTC, datetime

from chainwatch.correlate.incident import Incident, OriginMessage, TimelineEntry
from chainwatch.detect.base import Detection
from chainwatch.read.base import ReadSummary
from chainwatch.report.json_report import SCHEMA, analysis_document, read_summary_dict

T0 = datetime(2026, 10, 16, 10, 14, tzinfo=UTC)


def sample_incident() -> Incident:
    detection = Detection(
        detection_id="0123456789abcdef",
        model="unusual-sign-in",
        title="Unusual sign-in",
        time=T0,
        account="dana@example.com",
        score=90,
        summary="sign-in from NG",
        explanation=("country NG: 0 of 99 sign-ins",),
        event_ids=("signin:1",),
        entities=(("ip", "192.0.2.1"),),
        stage="sign-in",
    )
    return Incident(
        incident_id="INC-0123456789",
        severity=40,
        title="Unusual sign-in activity for dana@example.com",
        summary="dana@example.com signed in from an unusual location.",
        accounts=("dana@example.com",),
        origin=OriginMessage("m@example.org", "a@example.org", "Hi", T0, ("x.example",)),
        first_time=T0,
        last_time=T0,
        detections=(detection,),
        timeline=(TimelineEntry(T0, "dana@example.com", "sign-in", "Unusual sign-in"),),
    )


def test_document_top_level_keys():
    document = analysis_document(
        run_id=1,
        org_domains=("example.com",),
        org_domains_inferred=False,
        read=read_summary_dict(ReadSummary()),
        events_processed=0,
        incidents=[],
        alert_severity=50,
    )
    assert set(document) == {
        "schema",
        "run_id",
        "organisation_domains",
        "organisation_domains_inferred",
        "alert_severity",
        "read",
        "events_processed",
        "incidents",
        "coverage",
        "replayed",
        "warnings",
    }
    assert document["schema"] == SCHEMA
    assert set(document["read"]) == {
        "files",
        "events",
        "duplicates",
        "skipped",
        "skipped_kinds",
        "rejected",
        "upgraded",
        "per_reader",
        "notices",
        "rejections",
    }


def test_incident_keys():
    incident = sample_incident().to_dict()
    assert set(incident) == {
        "incident_id",
        "severity",
        "severity_explanation",
        "title",
        "summary",
        "accounts",
        "origin",
        "first_time",
        "last_time",
        "dwell_hours",
        "entities",
        "coverage",
        "detections",
        "timeline",
    }
    assert set(incident["origin"]) == {
        "message_id",
        "sender",
        "subject",
        "time",
        "link_hosts",
        "recipients",
        "traced_by",
    }
    assert set(incident["timeline"][0]) == {"time", "account", "stage", "what", "detection_id"}


def test_detection_keys_and_round_trip():
    detection = sample_incident().detections[0]
    data = detection.to_dict()
    assert set(data) == {
        "detection_id",
        "model",
        "title",
        "stage",
        "time",
        "account",
        "score",
        "summary",
        "explanation",
        "event_ids",
        "entities",
        "repeat_count",
        "last_time",
    }
    assert Detection.from_dict(data) == detection
