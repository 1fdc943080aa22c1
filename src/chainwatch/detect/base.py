"""The detection contract: what a model returns and the triage guide it carries.

A model is a small class with a fixed name. ``score(state, event)`` is a pure function:
it reads the baselines and the event and returns a :class:`Detection` or ``None``; it
never changes the state. Learning happens afterwards, in the engine, and skips events a
model judged suspicious, so an attacker never becomes "normal". Higher scores are more
suspicious (0-100).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from chainwatch.events import Event

if TYPE_CHECKING:
    from chainwatch.baseline.book import BaselineBook


@dataclass(frozen=True, slots=True)
class TriageGuide:
    """The meaning of a detection and the analyst's next steps."""

    meaning: str
    check: tuple[str, ...]
    false_positives: tuple[str, ...]
    response: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Detection:
    """One model's finding about one event, explained in numbers."""

    detection_id: str
    model: str
    title: str
    time: datetime
    account: str  # the organisation account concerned, or the external sender
    score: int  # 0-100
    summary: str
    explanation: tuple[str, ...]
    event_ids: tuple[str, ...]
    # Correlation keys: ("ip", "192.0.2.7"), ("asn", "64510"), ("link-host", "x.example"),
    # ("message-id", "..."), ("recipient", "a@example.com"), ("sender", "...").
    entities: tuple[tuple[str, str], ...] = ()
    stage: str = ""  # chain stage: delivery, sign-in, collection, persistence, spread
    repeat_count: int = 0  # later events folded into this detection
    last_time: datetime | None = None  # time of the last folded event, when any

    @property
    def end_time(self) -> datetime:
        """Return the time of the last event this detection covers."""
        return self.last_time or self.time

    def to_dict(self) -> dict[str, Any]:
        return {
            "detection_id": self.detection_id,
            "model": self.model,
            "title": self.title,
            "time": self.time.isoformat(),
            "account": self.account,
            "score": self.score,
            "summary": self.summary,
            "explanation": list(self.explanation),
            "event_ids": list(self.event_ids),
            "entities": [list(e) for e in self.entities],
            "stage": self.stage,
            "repeat_count": self.repeat_count,
            "last_time": self.last_time.isoformat() if self.last_time else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Detection:
        return cls(
            detection_id=data["detection_id"],
            model=data["model"],
            title=data["title"],
            time=datetime.fromisoformat(data["time"]),
            account=data["account"],
            score=int(data["score"]),
            summary=data["summary"],
            explanation=tuple(data["explanation"]),
            event_ids=tuple(data["event_ids"]),
            entities=tuple((e[0], e[1]) for e in data.get("entities", [])),
            stage=data.get("stage", ""),
            repeat_count=int(data.get("repeat_count", 0)),
            last_time=datetime.fromisoformat(data["last_time"]) if data.get("last_time") else None,
        )

    def entity_values(self, kind: str) -> list[str]:
        return [value for key, value in self.entities if key == kind]


@dataclass
class Model:
    """Base class for detection models. Subclasses set the class attributes."""

    name: ClassVar[str]
    title: ClassVar[str]
    stage: ClassVar[str]
    kinds: ClassVar[frozenset[str]]
    triage: ClassVar[TriageGuide]
    scoring: ClassVar[str] = ""  # how the score is computed, in words and numbers
    # Detections repeat at most once per this many hours for the same dedupe key.
    repeat_hours: ClassVar[float] = 24.0

    settings: Any = field(default=None)

    def score(self, state: BaselineBook, event: Event) -> Detection | None:
        raise NotImplementedError

    def dedupe_key(self, detection: Detection) -> str:
        """Key under which repeats of this finding are folded into the first one."""
        return f"{self.name}|{detection.account}"

    def make(
        self,
        event: Event,
        *,
        account: str,
        score: float,
        summary: str,
        explanation: list[str],
        entities: list[tuple[str, str]],
        event_ids: tuple[str, ...] | None = None,
    ) -> Detection:
        return Detection(
            detection_id=detection_id(self.name, event.event_id),
            model=self.name,
            title=self.title,
            time=event.time,
            account=account,
            score=clamp_score(score),
            summary=summary,
            explanation=tuple(explanation),
            event_ids=event_ids or (event.event_id,),
            entities=tuple(dict.fromkeys(entities)),
            stage=self.stage,
        )


def detection_id(model: str, event_id: str) -> str:
    """Return a stable id, so re-running the same input gives the same detections."""
    return hashlib.sha256(f"{model}\x00{event_id}".encode()).hexdigest()[:16]


def clamp_score(value: float) -> int:
    return max(0, min(100, round(value)))


def noisy_or(*probabilities: float) -> float:
    """Combine independent evidence: 1 - prod(1 - p), each p clamped to [0, 1]."""
    remaining = 1.0
    for p in probabilities:
        remaining *= 1.0 - max(0.0, min(1.0, p))
    return 1.0 - remaining
