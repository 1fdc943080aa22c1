"""Mail read through an app the account just consented to: the OAuth collection step."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from chainwatch.events import FileAccess, Location, Origin

from .builders import ATTACKER, HISTORY_END, USERS, Run, by_model, month_of_history, sign_in
from .identity_builders import consent

MODEL = "consented-app-mail-read"
APP_ID = "a1b2c3d4-0000-4000-8000-00000000aaaa"
OUTLOOK_MOBILE = "27922004-5251-4030-b22d-91ecd9a37ea4"
MORNING = HISTORY_END + timedelta(hours=9)
USER = USERS[0]
APP_HOST = Location(country="US", asn=64509, as_name="Example Hosting")


def mail_read(
    user: str,
    time: datetime,
    *,
    app_id: str | None = APP_ID,
    ip: str = "192.0.2.120",
    location: Location = APP_HOST,
    items: int = 12,
) -> FileAccess:
    """A MailItemsAccessed Bind record made by an application for ``user``."""
    return FileAccess(
        event_id=f"ual:read:{user}:{time.isoformat()}:{app_id}",
        time=time,
        source="ual-json",
        origin=Origin("synthetic/ual", ""),
        user=user,
        operation="MailItemsAccessed",
        ip=ip,
        ip_raw=ip,
        object_id="\\Inbox",
        workload="Exchange",
        item_count=items,
        access_type="Bind",
        message_ids=tuple(f"m{i}@mail.example.org" for i in range(items)),
        location=location,
        app_id=app_id,
    )


@pytest.fixture
def run() -> Run:
    trained = Run()
    trained.feed(month_of_history())
    # The consent follows an unusual sign-in, so it scores at or above the context floor.
    trained.feed([sign_in(USER, MORNING, **ATTACKER)])
    consented = trained.feed([consent(USER, MORNING + timedelta(minutes=20), ip=ATTACKER["ip"])])
    assert by_model(consented, "risky-app-consent")[0].score >= 50
    return trained


def test_read_by_consented_app_scores(run: Run) -> None:
    [detection] = by_model(run.feed([mail_read(USER, MORNING + timedelta(hours=3))]), MODEL)

    assert detection.score >= 60
    assert detection.stage == "collection"
    assert ("app", APP_ID) in detection.entities


def test_explanation_names_consent_and_network(run: Run) -> None:
    detection = run.score(MODEL, mail_read(USER, MORNING + timedelta(hours=3)))

    assert detection is not None
    text = " ".join(detection.explanation)
    assert "12 mail items read by Mail Sorter" in text
    assert "risky-app-consent score" in text
    assert "AS64509, a network the account never signed in from" in text
    assert len(detection.event_ids) == 2


def test_app_id_matches_without_case(run: Run) -> None:
    event = mail_read(USER, MORNING + timedelta(hours=3), app_id=APP_ID.upper())

    assert run.score(MODEL, event) is not None


def test_other_app_ignored(run: Run) -> None:
    event = mail_read(USER, MORNING + timedelta(hours=3), app_id=OUTLOOK_MOBILE)

    assert run.score(MODEL, event) is None


def test_read_without_app_ignored(run: Run) -> None:
    event = mail_read(USER, MORNING + timedelta(hours=3), app_id=None)

    assert run.score(MODEL, event) is None


def test_other_account_ignored(run: Run) -> None:
    event = mail_read(USERS[1], MORNING + timedelta(hours=3))

    assert run.score(MODEL, event) is None


def test_read_after_context_expires_ignored(run: Run) -> None:
    event = mail_read(USER, MORNING + timedelta(days=15))

    assert run.score(MODEL, event) is None


def test_repeated_reads_fold_into_one_a_day(run: Run) -> None:
    reads = [mail_read(USER, MORNING + timedelta(hours=3 + h)) for h in range(4)]
    run.feed(reads)

    [detection] = run.detections(MODEL)
    assert detection.repeat_count == 3
    assert detection.time == reads[0].time
    assert detection.last_time == reads[-1].time


def test_consent_below_context_floor_not_followed() -> None:
    quiet = Run()
    quiet.feed(month_of_history())
    quiet.feed([consent(USER, MORNING, scopes=("Mail.ReadBasic",))])

    assert quiet.score(MODEL, mail_read(USER, MORNING + timedelta(hours=3))) is None
