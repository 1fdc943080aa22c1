"""The incident record: detections tied into one chain, with its origin and timeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chainwatch.detect.base import Detection


@dataclass(frozen=True, slots=True)
class OriginMessage:
    """The inbound message the chain is traced back to."""

    message_id: str | None
    sender: str | None
    subject: str | None
    time: datetime | None
    link_hosts: tuple[str, ...]
    recipients: tuple[str, ...] = ()
    traced_by: str = ""  # how it was found: a detection model or "first inbound link"

    def to_dict(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "sender": self.sender,
            "subject": self.subject,
            "time": self.time.isoformat() if self.time else None,
            "link_hosts": list(self.link_hosts),
            "recipients": list(self.recipients),
            "traced_by": self.traced_by,
        }


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One step of the chain as an analyst reads it."""

    time: datetime
    account: str
    stage: str
    what: str
    detection_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": self.time.isoformat(),
            "account": self.account,
            "stage": self.stage,
            "what": self.what,
            "detection_id": self.detection_id,
        }


@dataclass(frozen=True)
class Incident:
    """Detections about one attack, across one or more accounts."""

    incident_id: str
    severity: int
    title: str
    summary: str
    accounts: tuple[str, ...]
    origin: OriginMessage | None
    first_time: datetime
    last_time: datetime
    detections: tuple[Detection, ...]
    timeline: tuple[TimelineEntry, ...]
    severity_explanation: tuple[str, ...] = ()
    entities: dict[str, list[str]] = field(default_factory=dict)
    coverage: tuple[str, ...] = ()  # gaps in the input overlapping this incident

    @property
    def dwell_hours(self) -> float:
        start = self.origin.time if self.origin and self.origin.time else self.first_time
        return max(0.0, (self.last_time - start).total_seconds() / 3600.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "incident_id": self.incident_id,
            "severity": self.severity,
            "title": self.title,
            "summary": self.summary,
            "accounts": list(self.accounts),
            "origin": self.origin.to_dict() if self.origin else None,
            "first_time": self.first_time.isoformat(),
            "last_time": self.last_time.isoformat(),
            "dwell_hours": round(self.dwell_hours, 1),
            "severity_explanation": list(self.severity_explanation),
            "entities": self.entities,
            "coverage": list(self.coverage),
            "detections": [d.to_dict() for d in self.detections],
            "timeline": [t.to_dict() for t in self.timeline],
        }
