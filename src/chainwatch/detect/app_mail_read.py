"""Consented app reads mail: collection through an OAuth grant, with no sign-in to see.

After an illicit consent the attacker needs no password and no interactive sign-in: the
app's refresh token reads the mailbox through Microsoft Graph or EWS. Exchange logs each
read as ``MailItemsAccessed`` with the application's id, so a read by an app the account
granted risky access to in the last days is the collection step of that chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.context import CONTEXT_DAYS, recall
from chainwatch.baseline.identity import network_known, network_of
from chainwatch.detect.base import Detection, Model, TriageGuide, noisy_or
from chainwatch.events import Event, FileAccess

CONSENT_WEIGHT = 0.7
NEW_NETWORK_WEIGHT = 0.35
OTHER_ADDRESS_WEIGHT = 0.2
MAIL_READ = "MailItemsAccessed"


@dataclass
class ConsentedAppMailRead(Model):
    name: ClassVar[str] = "consented-app-mail-read"
    scoring: ClassVar[str] = (
        f"A {MAIL_READ} record whose application id is an app the account granted mail or "
        f"file access in the last {CONTEXT_DAYS} days in a risky-app-consent detection of score "
        "50 or more. Consent term = 0.7 x that score / 100. A read from a network (ASN) the "
        "account never signed in from adds 0.35, and from another address than the consent "
        "0.2. Score = noisy-OR of the terms; one detection per account and app a day."
    )
    title: ClassVar[str] = "Mail read by a risky consented app"
    stage: ClassVar[str] = "collection"
    kinds: ClassVar[frozenset[str]] = frozenset({"file-access"})
    repeat_hours: ClassVar[float] = 24.0
    triage: ClassVar[TriageGuide] = TriageGuide(
        meaning="An app that the account recently consented to, in a grant judged risky, is "
        "reading the mailbox: the attacker collects mail through the app's token without "
        "signing in.",
        check=(
            "List the app's MailItemsAccessed records: folders, message ids, addresses, days.",
            "Look up the app id in Entra enterprise applications: publisher, reply URLs, "
            "other users who granted it.",
        ),
        false_positives=(
            "A mail client or CRM plug-in the user really installed, scored risky because "
            "the organisation had never used it.",
        ),
        response=(
            "Revoke the app's grants and refresh tokens, then disable its service principal.",
            "Review the messages it read for data that must be reported.",
        ),
    )

    def dedupe_key(self, detection: Detection) -> str:
        apps = ",".join(detection.entity_values("app"))
        return f"{self.name}|{detection.account}|{apps}"

    def score(self, state: BaselineBook, event: Event) -> Detection | None:
        if not isinstance(event, FileAccess) or event.operation != MAIL_READ:
            return None
        if not event.app_id:
            return None

        app_id = event.app_id.casefold()
        consents = [
            entry
            for entry in recall(
                state, event.user, "risky-consent", event.time, timedelta(days=CONTEXT_DAYS)
            )
            if str(entry.get("app_id") or "").casefold() == app_id
        ]
        if not consents:
            return None

        consent = max(consents, key=lambda entry: entry["score"])
        app = consent.get("app") or event.app_id
        terms = [CONSENT_WEIGHT * consent["score"] / 100]
        explanation = [
            f"{event.item_count} mail items read by {app} ({event.app_id}), which the account "
            f"granted access at {consent['time'][:16]} (risky-app-consent score "
            f"{consent['score']})"
        ]

        network = network_of(event.location)
        if network and not network_known(state, event.user, network):
            terms.append(NEW_NETWORK_WEIGHT)
            explanation.append(f"read from {network}, a network the account never signed in from")
        if event.ip and consent.get("ip") and event.ip != consent["ip"]:
            terms.append(OTHER_ADDRESS_WEIGHT)
            explanation.append(f"read from {event.ip}, but the consent came from {consent['ip']}")

        return self.make(
            event,
            account=event.user,
            score=100 * noisy_or(*terms),
            summary=f"{app} read {event.item_count} mail items of {event.user}",
            explanation=explanation,
            entities=[
                ("account", event.user),
                ("app", event.app_id.lower()),
                *([("ip", event.ip)] if event.ip else []),
                *([("network", network)] if network else []),
                *(("message-id", m) for m in event.message_ids[:20]),
            ],
            event_ids=(event.event_id, consent["event_id"]) if consent.get("event_id") else None,
        )
