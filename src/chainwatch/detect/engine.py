"""The scoring engine: score each event against the baselines, then learn from it.

Events must arrive in event-time order. For each event every model whose kinds match
scores it against the state as it was before the event, so no score ever sees the
event itself or anything later. Then the engine records the context composite models
look back on, and learns the event into the baselines unless a model judged it
suspicious (score at or above :data:`LEARN_BELOW`) or its account is protected: a
detection at or above that score protects its account's baselines for 14 days
(:mod:`chainwatch.baseline.protect`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from chainwatch.baseline.adoption import learn_adoption
from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.context import flag, remember
from chainwatch.baseline.counts import iso_time, touch_days
from chainwatch.baseline.fingerprints import remember_lure
from chainwatch.baseline.identity import learn_identity
from chainwatch.baseline.payment import learn_payment_history
from chainwatch.baseline.protect import protect, protected_until
from chainwatch.baseline.sender import learn_message
from chainwatch.baseline.signin import (
    learn_ip_location,
    learn_signin,
    learn_signin_egress,
    learned_location,
    peer_group,
)
from chainwatch.baseline.threads import learn_thread
from chainwatch.baseline.volume import learn_items_read, learn_sent, taint_hour
from chainwatch.detect.app_consent import RiskyAppConsent
from chainwatch.detect.app_mail_read import ConsentedAppMailRead
from chainwatch.detect.base import Detection, Model
from chainwatch.detect.file_access import UnusualFileAccessAfterUnusualLogin
from chainwatch.detect.hijack_link import AccountHijackLink
from chainwatch.detect.html_attachment import HtmlAttachmentLure
from chainwatch.detect.identity_context import remember_identity_context
from chainwatch.detect.impersonation_link import LoginImpersonationLink
from chainwatch.detect.link_click import LureLinkClicked
from chainwatch.detect.link_rarity import RARE_LINK_THRESHOLD, is_org_link, link_rarity
from chainwatch.detect.lookalike_sender import LookalikeSenderDomain
from chainwatch.detect.mailbox_rule import NewEmailRule, UnusualLoginAndNewEmailRule
from chainwatch.detect.outbound import (
    RecipientSurgeFromUnusualLoginLocation,
    RecipientSurgeWithSuspiciousContent,
    UnusualLoginLocationAndNewUnknownLink,
    sent_by_account,
    sent_lure_match,
)
from chainwatch.detect.payment_change import PaymentChangeRequest
from chainwatch.detect.sent_items_deleted import SentItemsDeletedAfterSurge
from chainwatch.detect.slow_exfiltration import SlowExfiltration
from chainwatch.detect.token_replay import TokenReplaySignIn
from chainwatch.detect.unusual_signin import UnusualSignIn
from chainwatch.directory import Directory
from chainwatch.events import (
    AppConsent,
    Direction,
    EmailMessage,
    Event,
    FileAccess,
    MailboxItemsDeleted,
    MailboxRuleChange,
    MailSent,
    SignIn,
)
from chainwatch.settings import Settings

MODELS: tuple[type[Model], ...] = (
    UnusualSignIn,
    TokenReplaySignIn,
    NewEmailRule,
    UnusualLoginAndNewEmailRule,
    RiskyAppConsent,
    ConsentedAppMailRead,
    AccountHijackLink,
    LoginImpersonationLink,
    LureLinkClicked,
    LookalikeSenderDomain,
    PaymentChangeRequest,
    HtmlAttachmentLure,
    UnusualLoginLocationAndNewUnknownLink,
    RecipientSurgeFromUnusualLoginLocation,
    RecipientSurgeWithSuspiciousContent,
    UnusualFileAccessAfterUnusualLogin,
    SlowExfiltration,
    SentItemsDeletedAfterSurge,
)
REPORT_FLOOR = 15  # detections scoring lower are not kept
LEARN_BELOW = 60  # events a model scored at or above this are not learned as normal
CONTEXT_FLOOR = 50  # unusual sign-ins and lures at or above this feed composite models
VOLUME_MODELS = {
    RecipientSurgeFromUnusualLoginLocation.name: "outbound",
    RecipientSurgeWithSuspiciousContent.name: "outbound",
    UnusualFileAccessAfterUnusualLogin.name: "file-volume",
}


class Engine:
    """Runs every model over a time-ordered stream of enriched events."""

    def __init__(
        self, settings: Settings, book: BaselineBook, directory: Directory | None = None
    ) -> None:
        self.settings = settings
        self.book = book
        # Departments from the directory are the peer groups of the sign-in baselines.
        self.directory = directory or Directory()
        self.models = [cls(settings=settings) for cls in MODELS]
        self.detections: dict[str, Detection] = {}
        self.events_seen = 0
        self._org_domains = frozenset(settings.org_domains)
        self._model_by_name = {model.name: model for model in self.models}
        # The models of each event kind in MODELS order, filled in as kinds appear.
        self._models_by_kind: dict[str, tuple[Model, ...]] = {}

    def process(self, event: Event) -> list[Detection]:
        """Score and learn one event; return the detections it raised (repeats folded)."""
        self.events_seen += 1
        event = self._with_learned_location(event)
        models = self._models_by_kind.get(event.kind)
        if models is None:
            models = tuple(m for m in self.models if event.kind in m.kinds)
            self._models_by_kind[event.kind] = models
        found: list[Detection] = []
        for model in models:
            detection = model.score(self.book, event)
            if detection is not None and detection.score >= REPORT_FLOOR:
                found.append(detection)

        new = [d for d in (self._fold_repeat(d) for d in found) if d is not None]
        self._remember_context(event, found)
        remember_identity_context(self.book, event, found, self._org_domains)
        suspicious = False
        for detection in found:
            if detection.score >= LEARN_BELOW:
                suspicious = True
                protect(self.book, detection.account, detection.time, detection.detection_id)
        protected = protected_until(self.book, _account_of(event), event.time) is not None
        self._learn(event, suspicious or protected, found)
        learn_identity(self.book, event, suspicious or protected, self.settings.min_history)
        if protected:
            self._keep_out_of_volume(event)
        return new

    def _with_learned_location(self, event: Event) -> Event:
        located = (FileAccess, MailboxRuleChange, AppConsent, MailboxItemsDeleted)
        if isinstance(event, located) and event.location.country is None:
            learned = learned_location(self.book, event.ip)
            if learned is not None:
                return replace(event, location=learned)
        return event

    def _fold_repeat(self, detection: Detection) -> Detection | None:
        model = self._model_by_name[detection.model]
        if model.repeat_hours <= 0:
            self.detections[detection.detection_id] = detection
            return detection
        key = model.dedupe_key(detection)
        fired = self.book.get("fired", key)
        if fired:
            last = datetime.fromisoformat(fired["time"])
            if detection.time - last < timedelta(hours=model.repeat_hours):
                earlier = self.detections.get(fired["detection_id"])
                if earlier is not None:
                    folded = replace(
                        earlier,
                        repeat_count=earlier.repeat_count + 1,
                        score=max(earlier.score, detection.score),
                        last_time=max(earlier.end_time, detection.time),
                    )
                    if detection.model in VOLUME_MODELS:
                        # A burst grows while it lasts: report its latest, largest size.
                        folded = replace(
                            folded, summary=detection.summary, explanation=detection.explanation
                        )
                    self.detections[earlier.detection_id] = folded
                self.book.edit("fired", key)["time"] = detection.time.isoformat()
                return None
        state = self.book.edit("fired", key)
        state["time"] = detection.time.isoformat()
        state["detection_id"] = detection.detection_id
        self.detections[detection.detection_id] = detection
        return detection

    def _remember_context(self, event: Event, found: list[Detection]) -> None:
        for detection in found:
            if detection.score < CONTEXT_FLOOR:
                continue
            entry = {
                "time": detection.time.isoformat(),
                "model": detection.model,
                "account": detection.account,
                "score": detection.score,
                "detection_id": detection.detection_id,
            }
            if detection.model == UnusualSignIn.name and isinstance(event, SignIn):
                where = ", ".join(
                    v
                    for v in (
                        event.location.country,
                        detection.entity_values("network")[0]
                        if detection.entity_values("network")
                        else None,
                        event.client.family,
                    )
                    if v
                )
                remember(
                    self.book,
                    event.user,
                    "unusual-signin",
                    {**entry, "ip": event.ip, "where": where, "event_id": event.event_id},
                )
                for network in detection.entity_values("network"):
                    flag(self.book, "flagged-network", network, entry)
                if event.ip:
                    flag(self.book, "flagged-ip", event.ip, entry)
            elif detection.stage == "delivery":
                for host in detection.entity_values("link-host"):
                    flag(self.book, "flagged-host", host, entry)
                if isinstance(event, EmailMessage):
                    remember_lure(self.book, detection.detection_id, event)

        sent = sent_by_account(event)
        if sent is None:
            return
        self._remember_lure_copy(event, sent[0])

        if isinstance(event, EmailMessage):
            for link in event.links:
                if is_org_link(link, self._org_domains):
                    continue
                rarity = link_rarity(self.book, link, event.time)
                if rarity.rarity >= RARE_LINK_THRESHOLD or rarity.flagged_by:
                    remember(
                        self.book,
                        sent[0],
                        "rare-link-sent",
                        {
                            "time": iso_time(event.time),
                            "host": link.host,
                            "rarity": rarity.weighted_rarity,
                            "flagged": rarity.flagged_by,
                        },
                    )

    def _remember_lure_copy(self, event: Event, sender: str) -> None:
        """Note that ``sender`` sent a copy of a flagged lure, for the surge models."""
        match = sent_lure_match(self.book, event)
        if match is not None:
            remember(
                self.book,
                sender,
                "lure-sent",
                {
                    "time": iso_time(event.time),
                    "match": match.describe(),
                    "detection_id": match.detection_id,
                },
            )

    def _learn(self, event: Event, suspicious: bool, found: list[Detection]) -> None:
        if isinstance(event, SignIn):
            if event.ip and event.location.source == "record":
                learn_ip_location(self.book, event.ip, event.location)
            learn_signin_egress(self.book, event)
            if not suspicious:
                learn_signin(
                    self.book,
                    event,
                    half_life_days=self.settings.half_life_days,
                    peer=self._peer_of(event.user),
                )
            return
        if isinstance(event, FileAccess):
            learn_items_read(self.book, event.user, event.time, event.item_count)
        elif isinstance(event, MailboxRuleChange):
            if not suspicious:
                touch_days(self.book.edit("rules", event.mailbox), event.time)
                rules = self.book.edit("rules", event.mailbox)
                rules["n"] = rules.get("n", 0) + 1
        else:
            sent = sent_by_account(event)
            if sent is not None:
                learn_sent(self.book, sent[0], event.time, sent[1])
            if isinstance(event, EmailMessage) and not suspicious:
                learn_message(self.book, event)
                learn_adoption(self.book, event)
                learn_thread(self.book, event)
                learn_payment_history(self.book, event)
            elif (
                isinstance(event, MailSent)
                and event.direction == Direction.OUTBOUND
                and not suspicious
            ):
                # Who the organisation wrote to, so that replies from them are expected.
                learn_thread(self.book, event)
        for detection in found:
            namespace = VOLUME_MODELS.get(detection.model)
            if namespace and detection.score >= LEARN_BELOW:
                taint_hour(self.book, namespace, detection.account)

    def _peer_of(self, account: str) -> str | None:
        entry = self.directory.entry(account)
        return peer_group(entry.department) if entry else None

    def _keep_out_of_volume(self, event: Event) -> None:
        """Keep a protected account's current hour out of its volume history."""
        if isinstance(event, FileAccess):
            taint_hour(self.book, "file-volume", event.user)
            return
        sent = sent_by_account(event)
        if sent is not None:
            taint_hour(self.book, "outbound", sent[0])


def _account_of(event: Event) -> str | None:
    """Return the organisation account whose baselines ``event`` would teach."""
    if isinstance(event, SignIn | FileAccess):
        return event.user
    if isinstance(event, MailboxRuleChange):
        return event.mailbox
    sent = sent_by_account(event)
    return sent[0] if sent is not None else None
