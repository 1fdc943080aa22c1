"""Mailbox rule models: a new email rule, and a new rule after an unusual sign-in.

A rule is scored by the traits attackers use to hide replies and warnings: a folder
users rarely read, mark-as-read, delete, forwarding outside the organisation, a name
made of punctuation, conditions on finance or security words, or a condition that
matches every message. Administrators forwarding a colleague's mail internally (leave
cover) and users' own clean-up rules score low.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.context import recall
from chainwatch.baseline.signin import learned_location
from chainwatch.detect.base import Detection, Model, TriageGuide, noisy_or
from chainwatch.enrich.domains import domain_of_address
from chainwatch.events import Event, MailboxRuleChange

HIDING_FOLDERS = frozenset(
    {
        "rss feeds",
        "rss subscriptions",
        "conversation history",
        "calendar",
        "archive",
        "deleted items",
        "junk email",
        "junk e-mail",
        "notes",
        "sync issues",
        "outbox",
    }
)
SENSITIVE_WORDS = re.compile(
    r"invoice|payment|wire|bank|remittance|transfer|iban|swift|hack|phish|compromis|"
    r"security|password|suspicious|fraud|scam|spam|malicious|virus|urgent|do not click|"
    r"helpdesk|help desk|alert|fake",
    re.IGNORECASE,
)
LOGIN_LOOKBACK = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class RuleTraits:
    """The suspicious traits of one rule change, with a weight each."""

    weights: tuple[float, ...]
    reasons: tuple[str, ...]
    external_targets: tuple[str, ...]
    admin_internal: bool

    @property
    def probability(self) -> float:
        value = noisy_or(*self.weights) if self.weights else 0.05
        return value * (0.3 if self.admin_internal else 1.0)


def rule_traits(event: MailboxRuleChange, org_domains: frozenset[str]) -> RuleTraits:
    """Return the traits of a rule change that make it look like an attacker's."""
    weights: list[float] = []
    reasons: list[str] = []

    def add(weight: float, reason: str) -> None:
        weights.append(weight)
        reasons.append(reason)

    folder = (event.move_to_folder or "").strip().lstrip(":\\").casefold()
    if folder in HIDING_FOLDERS:
        add(0.4, f"moves mail to {event.move_to_folder!r}, a folder users rarely read")
    if event.mark_as_read:
        add(0.15, "marks matching mail as read")
    if event.delete:
        add(0.25, "deletes matching mail")
    if event.stop_processing:
        add(0.05, "stops processing later rules")

    targets = (*event.forward_to, *event.redirect_to, *event.forward_as_attachment_to)
    external = tuple(t for t in targets if not _is_internal(t, org_domains))
    if external:
        add(0.55, f"forwards or redirects mail outside the organisation to {', '.join(external)}")
    elif targets:
        add(0.1, f"forwards mail internally to {', '.join(targets)}")

    name = event.rule_name or ""
    if name and (len(name.strip()) <= 2 or not re.search(r"[0-9A-Za-z]", name)):
        add(0.25, f"rule name {name!r} is short or only punctuation")
    words = [w for w in event.keywords if SENSITIVE_WORDS.search(w)]
    if words:
        add(0.25, f"matches finance or security words: {', '.join(words[:6])}")
    if event.match_all:
        add(0.45, "a condition that matches every message (empty or NUL word list)")
    if event.details_lost:
        add(0.2, "the audit record was truncated, so the rule's conditions and actions are unknown")

    admin_internal = (
        event.actor != event.mailbox and not external and bool(event.actor) and bool(event.mailbox)
    )
    if admin_internal:
        reasons.append(f"made by {event.actor} on {event.mailbox}'s mailbox, no external target")
    return RuleTraits(tuple(weights), tuple(reasons), external, admin_internal)


def _is_internal(address: str, org_domains: frozenset[str]) -> bool:
    domain = domain_of_address(address)
    if domain is None:
        return True  # a bare mailbox name or display name refers to the organisation
    return any(domain == d or domain.endswith("." + d) for d in org_domains)


RULE_TRIAGE = TriageGuide(
    meaning="An inbox rule or mailbox forwarding was created or changed. Attackers use "
    "rules to hide replies and security warnings and to copy mail out of the organisation.",
    check=(
        "Read the rule's conditions and actions in the explanation: hiding folder, "
        "mark as read, delete, external forwarding.",
        "Confirm with the mailbox owner that they created it, and from which device.",
        "Look for unusual sign-ins of the actor shortly before.",
    ),
    false_positives=(
        "Users filing newsletters or deleting mail from one sender.",
        "Help desk setting internal forwarding for leave cover.",
    ),
    response=(
        "Remove the rule (Remove-InboxRule) or mailbox forwarding (Set-Mailbox "
        "-ForwardingSmtpAddress $null) after saving it as evidence.",
        "If the owner did not create it, treat the account as compromised.",
    ),
)


@dataclass
class NewEmailRule(Model):
    name: ClassVar[str] = "new-email-rule"
    scoring: ClassVar[str] = (
        "Noisy-OR of trait weights: hiding folder (RSS Feeds, Conversation History, Archive, "
        "Calendar, Deleted Items, Junk Email and similar) 0.4, mark as read 0.15, delete 0.25, "
        "stop processing 0.05, forwarding outside the organisation 0.55 (inside 0.1), a name of "
        "at most two characters or only punctuation 0.25, finance or security keywords 0.25, a "
        "match-all condition 0.45, a truncated record 0.2, a network the actor never signed in "
        "from 0.2. A change an administrator made on someone else's mailbox with no external "
        "target is multiplied by 0.3. The explanation also gives the mailbox's earlier rule "
        "changes and the network's share of the actor's sign-ins."
    )
    title: ClassVar[str] = "New email rule"
    stage: ClassVar[str] = "persistence"
    kinds: ClassVar[frozenset[str]] = frozenset({"mailbox-rule"})
    repeat_hours: ClassVar[float] = 0.0
    triage: ClassVar[TriageGuide] = RULE_TRIAGE

    def score(self, state: BaselineBook, event: Event) -> Detection | None:
        if not isinstance(event, MailboxRuleChange) or event.removed:
            return None
        traits = rule_traits(event, frozenset(self.settings.org_domains))
        reasons = list(traits.reasons)
        history = state.get("rules", event.mailbox) or {}
        reasons.append(
            f"{history.get('n', 0)} earlier rule changes on this mailbox on "
            f"{history.get('days', 0)} days"
        )
        weight_boost = 0.0
        location = learned_location(state, event.ip)
        if location and location.asn is not None:
            signins = state.get("signin", event.actor) or {}
            network = f"AS{location.asn}"
            count = signins.get("features", {}).get("network", {}).get(network, 0)
            total = signins.get("n", 0)
            if count == 0:
                weight_boost = 0.2
            reasons.append(
                f"made from {network}, used in {count} of {total} sign-ins of {event.actor}"
            )
        value = 100 * noisy_or(traits.probability, weight_boost)
        return self.make(
            event,
            account=event.mailbox,
            score=value,
            summary=f"{event.operation} {event.rule_name or '(no name)'!r} on {event.mailbox}"
            + (f" by {event.actor}" if event.actor != event.mailbox else ""),
            explanation=reasons or ["no suspicious trait: recorded as context"],
            entities=_rule_entities(event, traits),
        )


@dataclass
class UnusualLoginAndNewEmailRule(Model):
    name: ClassVar[str] = "unusual-login-and-new-email-rule"
    scoring: ClassVar[str] = (
        "Fires when the actor had an unusual sign-in (score 50 or more) in the 24 hours before "
        "the rule, or from the rule's own address within 7 days. Score = noisy-OR(rule, login x "
        "(0.3 + 0.7 x rule)), where rule is the new-email-rule probability and login the sign-in "
        "score / 100, so a tidy-up rule on a trip stays near 40 while a hiding rule after a "
        "foreign sign-in exceeds 90."
    )
    title: ClassVar[str] = "Unusual login and new email rule"
    stage: ClassVar[str] = "persistence"
    kinds: ClassVar[frozenset[str]] = frozenset({"mailbox-rule"})
    repeat_hours: ClassVar[float] = 0.0
    triage: ClassVar[TriageGuide] = TriageGuide(
        meaning="A mailbox rule was created within a day of an unusual sign-in of the same "
        "account, or from the address of that sign-in: the classic step after a takeover.",
        check=RULE_TRIAGE.check,
        false_positives=("A traveller tidying their inbox on a trip.",),
        response=(
            "Revoke the account's sessions and reset its password and MFA methods.",
            "Remove the rule, then search the mail it hid.",
        ),
    )

    def score(self, state: BaselineBook, event: Event) -> Detection | None:
        if not isinstance(event, MailboxRuleChange) or event.removed:
            return None
        signins = recall(state, event.actor, "unusual-signin", event.time, timedelta(days=7))
        related = [
            s
            for s in signins
            if s.get("ip") == event.ip or s["time"] >= (event.time - LOGIN_LOOKBACK).isoformat()
        ]
        if not related:
            return None
        # The sign-in from the rule's own address, else the most recent one.
        login = max(related, key=lambda s: (s.get("ip") == event.ip, s["time"]))
        traits = rule_traits(event, frozenset(self.settings.org_domains))
        rule_p = traits.probability
        login_p = login["score"] / 100
        value = 100 * noisy_or(rule_p, login_p * (0.3 + 0.7 * rule_p))
        same_ip = " from the same address" if login.get("ip") == event.ip else ""
        explanation = [
            f"unusual sign-in at {login['time'][:16]} from {login.get('where', '?')} "
            f"(score {login['score']}){same_ip}",
            *traits.reasons,
        ]
        return self.make(
            event,
            account=event.actor,
            score=value,
            summary=f"rule {event.rule_name or '(no name)'!r} on {event.mailbox} after an "
            f"unusual sign-in",
            explanation=explanation,
            entities=_rule_entities(event, traits),
            event_ids=(event.event_id, login["event_id"]),
        )


def _rule_entities(event: MailboxRuleChange, traits: RuleTraits) -> list[tuple[str, str]]:
    entities = [("account", event.mailbox), ("account", event.actor)]
    if event.ip:
        entities.append(("ip", event.ip))
    entities.extend(("recipient", t) for t in traits.external_targets)
    return entities
