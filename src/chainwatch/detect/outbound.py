"""Models on mail sent by the organisation's own accounts.

- Unusual login location and new unknown link: an account with a recent unusual
  sign-in sends a link to a host that is rare in the organisation.
- Recipient surge from unusual login location: far more distinct recipients in an hour
  than the account ever reached, shortly after an unusual sign-in.
- Recipient surge with suspicious content: the same surge while the account is sending
  a rare or already flagged link.

A surge is judged against the account's own busiest hours, so bulk senders such as a
newsletter or an invoicing mailbox are compared with themselves; and a surge alone is
not enough, which keeps month-end invoice runs quiet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.context import MAX_ENTRIES, recall
from chainwatch.baseline.fingerprints import LureMatch, match_lure
from chainwatch.baseline.volume import (
    exceedance_probability,
    hourly_profile,
    window_first_contacts,
    window_recipients,
)
from chainwatch.detect.base import Detection, Model, TriageGuide, noisy_or
from chainwatch.detect.link_rarity import RARE_LINK_THRESHOLD, is_org_link, link_rarity
from chainwatch.enrich.domains import domain_of_address
from chainwatch.events import Direction, EmailMessage, Event, MailSent

SENT_DIRECTIONS = frozenset({Direction.OUTBOUND, Direction.INTERNAL})
LOGIN_LOOKBACK = timedelta(hours=72)
SURGE_LOGIN_LOOKBACK = timedelta(hours=24)
MIN_SURGE_RECIPIENTS = 15
MIN_NEW_EXTERNAL = 5


SEND_TRIAGE_CHECK = (
    "Compare the recipient count with the account's busiest hours in the explanation.",
    "Open one sent message from the message trace or Sent Items and look at its link.",
    "Check the unusual sign-in before it: country, network, client.",
)
SEND_RESPONSE = (
    "Block the account from sending and revoke its sessions.",
    "Recall or remove the messages from internal mailboxes; warn external recipients.",
)


def sent_by_account(event: Event) -> tuple[str, tuple[str, ...]] | None:
    """Return ``(sender, recipients)`` for mail an organisation account sent."""
    if isinstance(event, MailSent) and event.direction in SENT_DIRECTIONS:
        return event.sender, event.recipients
    if (
        isinstance(event, EmailMessage)
        and event.direction in SENT_DIRECTIONS
        and event.nested_depth == 0
        and event.sender
    ):
        return event.sender, event.recipients
    return None


def sent_lure_match(state: BaselineBook, event: Event) -> LureMatch | None:
    """Return the remembered lure that a sent message or trace row copies, if any."""
    if isinstance(event, EmailMessage):
        hosts = {link.host for link in event.links}
        return match_lure(state, event.time, event.subject, hosts, event.text_excerpt)
    if isinstance(event, MailSent):
        return match_lure(state, event.time, event.subject, set(), None)
    return None


def latest_unusual_signin(state: BaselineBook, account: str, event: Event, within: timedelta):
    """Return the unusual sign-in behind a send: from the sending address, else the strongest.

    The returned entry's ``how`` names which of the two it is, for the explanation.
    """
    signins = recall(state, account, "unusual-signin", event.time, within)
    if not signins:
        return None
    address = _sending_address(event)
    same = [s for s in signins if address and s.get("ip") == address]
    if same:
        return {**max(same, key=lambda s: s["time"]), "how": "from the sending address"}
    strongest = max(signins, key=lambda s: (s["score"], s["time"]))
    return {**strongest, "how": f"strongest of {len(signins)} in {_hours(within)} h"}


def _sending_address(event: Event) -> str | None:
    if isinstance(event, EmailMessage):
        return event.sending_ip
    if isinstance(event, MailSent):
        return event.from_ip
    return None


def _hours(within: timedelta) -> int:
    return round(within.total_seconds() / 3600)


@dataclass
class UnusualLoginLocationAndNewUnknownLink(Model):
    name: ClassVar[str] = "unusual-login-location-and-new-unknown-link"
    scoring: ClassVar[str] = (
        "An account with an unusual sign-in (score 50 or more) in the last 72 hours sends a link "
        "whose host has rarity of at least 0.25 in the organisation, or was flagged by a delivery "
        "model. Score = noisy-OR(0.6 x login, 0.6 x link), where link is the rarity, or 0.9 for a "
        "flagged host. A sent message that copies a flagged lure (same normalised subject with "
        "a shared host or similar text, or MinHash text similarity of at least 0.6) counts as "
        "0.9 even when its URL differs."
    )
    title: ClassVar[str] = "Unusual login location and new unknown link"
    stage: ClassVar[str] = "spread"
    kinds: ClassVar[frozenset[str]] = frozenset({"email"})
    triage: ClassVar[TriageGuide] = TriageGuide(
        meaning="An account that recently signed in from an unusual place sent a link to a "
        "host almost nobody in the organisation has seen: a taken-over mailbox spreading "
        "its lure.",
        check=SEND_TRIAGE_CHECK,
        false_positives=("A traveller sharing a new tool's link with colleagues.",),
        response=SEND_RESPONSE,
    )

    def dedupe_key(self, detection: Detection) -> str:
        hosts = ",".join(sorted(detection.entity_values("link-host")))
        return f"{self.name}|{detection.account}|{hosts}"

    def score(self, state: BaselineBook, event: Event) -> Detection | None:
        if not isinstance(event, EmailMessage):
            return None
        sent = sent_by_account(event)
        if sent is None or not event.links:
            return None
        account = sent[0]
        login = latest_unusual_signin(state, account, event, LOGIN_LOOKBACK)
        if login is None:
            return None
        org_domains = frozenset(self.settings.org_domains)
        rarities = [
            link_rarity(state, link, event.time)
            for link in event.links
            if not is_org_link(link, org_domains)
        ]
        rare = [r for r in rarities if r.rarity >= RARE_LINK_THRESHOLD or r.flagged_by]
        lure = sent_lure_match(state, event)
        if not rare and lure is None:
            return None
        login_line = (
            f"unusual sign-in at {login['time'][:16]} from {login.get('where', '?')} "
            f"(score {login['score']}; {login['how']})"
        )
        if rare:
            worst = max(rare, key=lambda r: (r.flagged_by is not None, r.weighted_rarity))
            link_p = max(worst.weighted_rarity, 0.9 if worst.flagged_by else 0.0)
            host = worst.host
            evidence = [worst.describe()]
        else:
            # The link changed, but the message copies a flagged lure.
            link_p = 0.9
            host = event.links[0].host
            evidence = []
        if lure is not None:
            link_p = max(link_p, 0.9)
            evidence.append(lure.describe())
        value = 100 * noisy_or(0.6 * login["score"] / 100, 0.6 * link_p)
        return self.make(
            event,
            account=account,
            score=value,
            summary=f"{account} sent a link to {host} after an unusual sign-in",
            explanation=[
                login_line,
                *evidence,
                f"{len(event.recipients)} recipient(s) on this message",
            ],
            entities=[
                ("account", account),
                ("link-host", host),
                *(("message-id", m) for m in [event.message_id] if m),
            ],
            event_ids=(event.event_id, login["event_id"]),
        )


@dataclass(frozen=True, slots=True)
class Surge:
    """A burst of distinct recipients compared with the account's busiest hours."""

    count: int
    first_time: int
    new_external: int  # recipients outside the organisation never mailed before
    active_hours: int
    p95: int
    maximum: int
    probability: float
    by_volume: bool  # False when only the first-time external recipients make it a surge

    @property
    def strength(self) -> float:
        if self.by_volume:
            return 1.0 - self.probability
        return 1.0 - 1.0 / (1.0 + self.new_external / 2.0)

    def describe(self) -> str:
        text = (
            f"{self.count} distinct recipients in 60 minutes ({self.first_time} never mailed "
            f"before, {self.new_external} of them outside the organisation); in "
            f"{self.active_hours} earlier active hours this account's 95th percentile was "
            f"{self.p95} and its maximum {self.maximum} (p={self.probability:.3f})"
        )
        if not self.by_volume:
            text += f"; {self.new_external} first-time external recipients in one hour"
        return text


def measure_surge(
    state: BaselineBook,
    account: str,
    event: Event,
    recipients: tuple[str, ...],
    min_hours: int,
    org_domains: frozenset[str],
) -> Surge | None:
    """Return the surge this event completes, or None.

    A surge is either far more distinct recipients in 60 minutes than the account's
    busiest hours, or at least :data:`MIN_NEW_EXTERNAL` first-time external recipients
    (a payment-change mail to new "contacts" is small but never normal).
    """
    outbound = state.get("outbound", account)
    hours, p95, maximum = hourly_profile(outbound)
    current = window_recipients(outbound, event.time, recipients)
    count = len(current)
    first_time = sorted(window_first_contacts(outbound, event.time, recipients))
    new_external = [r for r in first_time if not is_org_address(r, org_domains)]
    by_volume = (
        hours >= min_hours and count >= max(MIN_SURGE_RECIPIENTS, 3 * p95 + 1) and count > maximum
    )
    if not by_volume and len(new_external) < MIN_NEW_EXTERNAL:
        return None
    return Surge(
        count=count,
        first_time=len(first_time),
        new_external=len(new_external),
        active_hours=hours,
        p95=p95,
        maximum=maximum,
        probability=exceedance_probability(outbound, count),
        by_volume=by_volume,
    )


def is_org_address(address: str, org_domains: frozenset[str]) -> bool:
    domain = domain_of_address(address)
    return bool(domain) and any(domain == d or domain.endswith("." + d) for d in org_domains)


class _SurgeModel(Model):
    stage: ClassVar[str] = "spread"
    kinds: ClassVar[frozenset[str]] = frozenset({"email", "mail-sent"})
    repeat_hours: ClassVar[float] = 6.0

    def surge(
        self, state: BaselineBook, account: str, event: Event, recipients: tuple[str, ...]
    ) -> Surge | None:
        """Measure the surge this event completes, with this model's settings."""
        return measure_surge(
            state,
            account,
            event,
            recipients,
            self.settings.min_history,
            frozenset(self.settings.org_domains),
        )


@dataclass
class RecipientSurgeFromUnusualLoginLocation(_SurgeModel):
    name: ClassVar[str] = "recipient-surge-from-unusual-login-location"
    scoring: ClassVar[str] = (
        "A surge is at least 15 distinct recipients in a sliding 60 minutes, more than 3 x the "
        "account's 95th percentile of busiest-hour counts plus one, and more than its maximum, "
        "with at least `detection.min_history` earlier active hours. Its strength is 1 - p, where "
        "p is the add-one share of earlier hours at least as busy. At least 5 first-time "
        "recipients outside the organisation in the hour also make a surge, of strength "
        "1 - 1/(1 + n/2). Fires within 24 hours of an "
        "unusual sign-in (score 50 or more). Score = noisy-OR(0.6 x strength, 0.6 x login)."
    )
    title: ClassVar[str] = "Recipient surge from unusual login location"
    triage: ClassVar[TriageGuide] = TriageGuide(
        meaning="The account mailed far more people in an hour than it ever has, within a "
        "day of an unusual sign-in.",
        check=SEND_TRIAGE_CHECK,
        false_positives=("A traveller sending an announcement to a large list.",),
        response=SEND_RESPONSE,
    )

    def score(self, state: BaselineBook, event: Event) -> Detection | None:
        sent = sent_by_account(event)
        if sent is None:
            return None
        account, recipients = sent
        login = latest_unusual_signin(state, account, event, SURGE_LOGIN_LOOKBACK)
        if login is None:
            return None
        surge = self.surge(state, account, event, recipients)
        if surge is None:
            return None
        value = 100 * noisy_or(0.6 * surge.strength, 0.6 * login["score"] / 100)
        return self.make(
            event,
            account=account,
            score=value,
            summary=f"{account} mailed {surge.count} recipients in an hour after an unusual "
            f"sign-in",
            explanation=[
                surge.describe(),
                f"unusual sign-in at {login['time'][:16]} from {login.get('where', '?')} "
                f"(score {login['score']}; {login['how']})",
            ],
            entities=[("account", account)],
            event_ids=(event.event_id, login["event_id"]),
        )


@dataclass
class RecipientSurgeWithSuspiciousContent(_SurgeModel):
    name: ClassVar[str] = "recipient-surge-with-suspicious-content"
    scoring: ClassVar[str] = (
        "The same surge while the account sent, in the last 2 hours or in this message, a link "
        "with organisation-wide rarity of at least 0.25 or one flagged by a delivery model. Score "
        "= noisy-OR(0.6 x strength, 0.6 x content), where content is the rarity, or 0.9 for a "
        "flagged host. Sent messages or message trace rows of the last 2 hours that copy a "
        "flagged lure (same normalised subject with a shared host or similar text, or MinHash "
        "text similarity of at least 0.6) count as 0.9 even when each has its own URL."
    )
    title: ClassVar[str] = "Recipient surge with suspicious content"
    triage: ClassVar[TriageGuide] = TriageGuide(
        meaning="The account mailed far more people in an hour than it ever has while "
        "sending a link that is rare in the organisation or was flagged as a lure.",
        check=SEND_TRIAGE_CHECK,
        false_positives=("An announcement of a newly adopted external tool.",),
        response=SEND_RESPONSE,
    )

    def score(self, state: BaselineBook, event: Event) -> Detection | None:
        sent = sent_by_account(event)
        if sent is None:
            return None
        account, recipients = sent
        sent_links = recall(state, account, "rare-link-sent", event.time, timedelta(hours=2))
        if isinstance(event, EmailMessage):
            org_domains = frozenset(self.settings.org_domains)
            for link in event.links:
                if is_org_link(link, org_domains):
                    continue
                rarity = link_rarity(state, link, event.time)
                if rarity.rarity >= RARE_LINK_THRESHOLD or rarity.flagged_by:
                    sent_links.append(
                        {
                            "host": link.host,
                            "rarity": rarity.weighted_rarity,
                            "flagged": rarity.flagged_by,
                        }
                    )
        lures = recall(state, account, "lure-sent", event.time, timedelta(hours=2))
        # The context keeps the latest MAX_ENTRIES, so a full list is a lower bound.
        capped = len(lures) >= MAX_ENTRIES
        current = sent_lure_match(state, event)
        if current is not None:
            lures.append({"match": current.describe()})
        if not sent_links and not lures:
            return None
        surge = self.surge(state, account, event, recipients)
        if surge is None:
            return None
        explanation = [surge.describe()]
        entities = [("account", account)]
        content_p = 0.0
        if sent_links:
            worst = max(sent_links, key=lambda s: (bool(s.get("flagged")), s.get("rarity", 0)))
            content_p = 0.9 if worst.get("flagged") else float(worst.get("rarity", 0.5))
            explanation.append(
                f"sending a link to {worst['host']}"
                + (
                    f", flagged earlier by {worst['flagged']}"
                    if worst.get("flagged")
                    else f", rarity {worst.get('rarity', 0):.2f} in the organisation"
                )
            )
            entities.append(("link-host", worst["host"]))
        if lures:
            # Copies of a flagged lure count even when each copy has its own URL.
            content_p = max(content_p, 0.9)
            count = f"at least {len(lures)}" if capped else str(len(lures))
            explanation.append(f"{count} sent message(s) copy a lure: {lures[-1]['match']}")
        value = 100 * noisy_or(0.6 * surge.strength, 0.6 * content_p)
        return self.make(
            event,
            account=account,
            score=value,
            summary=f"{account} mailed {surge.count} recipients in an hour with a rare link "
            "or a copy of a lure",
            explanation=explanation,
            entities=entities,
        )
