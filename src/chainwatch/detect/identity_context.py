"""Context that the identity-side models look back on, recorded after each event is scored.

- A token-replay sign-in at or above the context floor is remembered like an unusual
  sign-in (``unusual-signin`` of the account, flagged network and address), so the
  composite models that follow a sign-in treat both alike.
- A risky consent is remembered for the account (``risky-consent``), like a rule.
- Spreading (stage ``spread``) is remembered for the sending account (``spread``).
- A lure delivered to an organisation account is remembered for that recipient
  (``lure-received``), and a lure click for the clicking account (``lure-clicked``).
"""

from __future__ import annotations

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.context import flag, remember
from chainwatch.detect.base import Detection
from chainwatch.enrich.domains import domain_of_address
from chainwatch.events import AppConsent, Event, SignIn

CONTEXT_FLOOR = 50  # equal to CONTEXT_FLOOR in detect/engine.py, which imports this module
TOKEN_REPLAY_MODEL = "token-replay-sign-in"
RISKY_CONSENT_MODEL = "risky-app-consent"
MAX_RECIPIENTS_REMEMBERED = 50


def remember_identity_context(
    book: BaselineBook, event: Event, found: list[Detection], org_domains: frozenset[str]
) -> None:
    """Record the context entries listed in the module documentation for one event."""
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
        if detection.model == TOKEN_REPLAY_MODEL and isinstance(event, SignIn):
            _remember_sign_in(book, event, detection, entry)
        elif detection.model == RISKY_CONSENT_MODEL and isinstance(event, AppConsent):
            app = event.app_name or event.app_id or "?"
            remember(
                book,
                event.user,
                "risky-consent",
                {
                    **entry,
                    "app": app,
                    "app_id": event.app_id,
                    "ip": event.ip,
                    "event_id": event.event_id,
                },
            )
        elif detection.stage == "spread":
            remember(book, detection.account, "spread", {**entry, "event_id": event.event_id})
        elif detection.stage == "delivery":
            recipients = detection.entity_values("recipient")[:MAX_RECIPIENTS_REMEMBERED]
            hosts = detection.entity_values("link-host")
            for recipient in recipients:
                if _in_org(recipient, org_domains):
                    remember(book, recipient, "lure-received", {**entry, "hosts": hosts[:3]})
        elif detection.stage == "click":
            remember(book, detection.account, "lure-clicked", entry)


def _remember_sign_in(book: BaselineBook, event: SignIn, detection: Detection, entry: dict) -> None:
    networks = detection.entity_values("network")
    where = ", ".join(v for v in (event.location.country, *networks[:1], event.client.family) if v)
    remember(
        book,
        event.user,
        "unusual-signin",
        {**entry, "ip": event.ip, "where": where, "event_id": event.event_id},
    )
    for network in networks:
        flag(book, "flagged-network", network, entry)
    if event.ip:
        flag(book, "flagged-ip", event.ip, entry)


def _in_org(address: str, org_domains: frozenset[str]) -> bool:
    domain = domain_of_address(address)
    if domain is None:
        return False
    return any(domain == d or domain.endswith("." + d) for d in org_domains)
