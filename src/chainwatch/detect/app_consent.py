"""Risky app consent: an account gives an app that is new to the organisation mail access.

Illicit consent grants let an attacker read and send mail through an OAuth app that
survives a password reset. The model weighs what the app may do, how new it is to the
organisation, and whether the account had an unusual sign-in or received a lure shortly
before. An administrator consenting for everyone to an app the organisation already uses
is routine and scores low.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.context import flagged, recall
from chainwatch.baseline.identity import consent_history
from chainwatch.detect.base import Detection, Model, TriageGuide, noisy_or
from chainwatch.events import AppConsent, Event

# Weight of each scope, matched without regard to case. Microsoft Graph and Exchange
# delegated or application permissions, and the Google scopes of the same reach.
SCOPE_WEIGHTS = {
    "mail.readwrite": 0.6,
    "full_access_as_user": 0.65,
    "full_access_as_app": 0.65,
    "ews.accessasuser.all": 0.6,
    "mail.read": 0.5,
    "mail.readbasic": 0.3,
    "mail.send": 0.45,
    "mailboxsettings.readwrite": 0.45,
    "files.readwrite.all": 0.45,
    "files.read.all": 0.4,
    "sites.readwrite.all": 0.4,
    "sites.read.all": 0.35,
    "imap.accessasuser.all": 0.5,
    "pop.accessasuser.all": 0.5,
    "imap.accessasapp": 0.5,
    "pop.accessasapp": 0.5,
    "smtp.send": 0.4,
    "smtp.sendasapp": 0.4,
    "offline_access": 0.15,
    "https://mail.google.com/": 0.65,
    "https://www.googleapis.com/auth/gmail.modify": 0.6,
    "https://www.googleapis.com/auth/gmail.readonly": 0.5,
    "https://www.googleapis.com/auth/gmail.send": 0.45,
    "https://www.googleapis.com/auth/gmail.settings.basic": 0.45,
    "https://www.googleapis.com/auth/gmail.settings.sharing": 0.45,
    "https://www.googleapis.com/auth/drive": 0.45,
    "https://www.googleapis.com/auth/drive.readonly": 0.4,
}
WELL_KNOWN_USERS = 3  # accounts that consented before, for an app to count as well known
WELL_KNOWN_DAYS = 30
ADMIN_KNOWN_FACTOR = 0.3
ALL_USERS_WEIGHT = 0.25
LOGIN_LOOKBACK = timedelta(hours=24)
LURE_LOOKBACK = timedelta(hours=72)
LURE_WEIGHT = 0.35


def scope_weights(scopes: tuple[str, ...]) -> list[tuple[str, float]]:
    """Return the scopes that reach mail or files, with their weights."""
    return [(s, SCOPE_WEIGHTS[s.casefold()]) for s in scopes if s.casefold() in SCOPE_WEIGHTS]


@dataclass
class RiskyAppConsent(Model):
    name: ClassVar[str] = "risky-app-consent"
    scoring: ClassVar[str] = (
        "Only consents granting mail or file access score. Scope weights, combined by noisy-OR: "
        "full_access_as_user and https://mail.google.com/ 0.65, Mail.ReadWrite, "
        "EWS.AccessAsUser.All and gmail.modify 0.6, Mail.Read, IMAP and POP 0.5, Mail.Send and "
        "MailboxSettings.ReadWrite 0.45, Files.ReadWrite.All 0.45, Files.Read.All 0.4, SMTP 0.4, "
        "offline_access 0.15. Novelty = 1 / (1 + n), where n counts the accounts that consented "
        "to the app before. App term = scopes x (0.4 + 0.6 x novelty), plus 0.25 by noisy-OR for "
        "an admin consent for all users to a new app. An unusual sign-in of the account (score "
        "50 or more) in the 24 hours before, or from the consent's address, adds login x (0.3 + "
        "0.7 x scopes); a lure delivered to or clicked by the account in the 72 hours before "
        "adds 0.35 x scopes; a consent from an address of another account's unusual sign-in "
        "adds 0.85 x scopes. An admin consent to a well-known app (3 or more earlier accounts, "
        "or first consent 30 days before) is multiplied by 0.3."
    )
    title: ClassVar[str] = "Risky app consent"
    stage: ClassVar[str] = "persistence"
    kinds: ClassVar[frozenset[str]] = frozenset({"app-consent"})
    repeat_hours: ClassVar[float] = 24.0
    triage: ClassVar[TriageGuide] = TriageGuide(
        meaning="An account granted an app the organisation has rarely or never used access "
        "to mail or files. An attacker's app keeps that access after a password reset.",
        check=(
            "Look up the app id in Entra enterprise applications or Google's connected apps: "
            "publisher, verification, reply URLs.",
            "Ask the user whether they installed the app, and from which message or site.",
            "Look for unusual sign-ins and lures of the account shortly before.",
        ),
        false_positives=(
            "A new mail client, CRM plug-in or e-signature tool that users adopt.",
            "An administrator onboarding an approved integration.",
        ),
        response=(
            "Revoke the app's grants and sessions (Remove-MgOauth2PermissionGrant, or remove "
            "the app in Google's API controls), then disable the service principal.",
            "Search the mailbox for mail the app read or sent, and reset the account.",
        ),
    )

    def dedupe_key(self, detection: Detection) -> str:
        apps = ",".join(detection.entity_values("app"))
        return f"{self.name}|{detection.account}|{apps}"

    def score(self, state: BaselineBook, event: Event) -> Detection | None:
        if not isinstance(event, AppConsent):
            return None
        weighted = scope_weights(event.scopes)
        if not weighted:
            return None
        scopes_p = noisy_or(*(w for _, w in weighted))

        history = consent_history(state, event)
        earlier = history.get("n_users", 0) - (1 if event.user in history.get("users", []) else 0)
        novelty = 1.0 / (1.0 + max(earlier, 0))
        age_days = _days_since(history.get("first"), event.time)
        well_known = earlier >= WELL_KNOWN_USERS or age_days >= WELL_KNOWN_DAYS
        app = event.app_name or event.app_id or "(unnamed app)"
        terms = [scopes_p * (0.4 + 0.6 * novelty)]
        reasons = [
            "grants " + ", ".join(f"{s} ({w})" for s, w in weighted) + f": scopes {scopes_p:.2f}",
            f"{app}: {max(earlier, 0)} other accounts consented before"
            + (f", first {age_days:.0f} days ago" if history.get("first") else ", never before")
            + f"; novelty {novelty:.2f}",
        ]
        if event.admin_consent and not well_known:
            terms.append(ALL_USERS_WEIGHT)
            reasons.append("admin consent for every user in the organisation to a new app")

        login = _related_signin(state, event)
        if login is not None:
            login_p = login["score"] / 100
            terms.append(login_p * (0.3 + 0.7 * scopes_p))
            reasons.append(
                f"unusual sign-in at {login['time'][:16]} from {login.get('where', '?')} "
                f"(score {login['score']})"
            )
        lures = recall(state, event.user, "lure-received", event.time, LURE_LOOKBACK)
        lures += recall(state, event.user, "lure-clicked", event.time, LURE_LOOKBACK)
        if lures:
            lure = max(lures, key=lambda entry: entry["time"])
            terms.append(LURE_WEIGHT * scopes_p)
            reasons.append(f"{lure['model']} for this account at {lure['time'][:16]}")
        shared = flagged(state, "flagged-ip", event.ip)
        if shared and event.user not in shared.get("accounts", []):
            terms.append(0.85 * scopes_p)
            reasons.append(
                f"from {event.ip}, the address of the unusual sign-in of "
                f"{', '.join(shared.get('accounts', [])[:3])}"
            )

        value = noisy_or(*terms)
        if event.admin_consent and well_known:
            value *= ADMIN_KNOWN_FACTOR
            reasons.append(f"admin consent to a well-known app: x {ADMIN_KNOWN_FACTOR}")
        return self.make(
            event,
            account=event.user,
            score=100 * value,
            summary=f"{event.user} granted {app} "
            + ", ".join(s for s, _ in weighted[:4])
            + (" for all users" if event.admin_consent else ""),
            explanation=reasons,
            entities=[
                ("account", event.user),
                ("app", event.app_id or event.app_name or "?"),
                *([("ip", event.ip)] if event.ip else []),
            ],
            event_ids=(event.event_id, *([login["event_id"]] if login else [])),
        )


def _related_signin(state: BaselineBook, event: AppConsent) -> dict | None:
    signins = recall(state, event.user, "unusual-signin", event.time, timedelta(days=7))
    recent = (event.time - LOGIN_LOOKBACK).isoformat()
    related = [s for s in signins if (event.ip and s.get("ip") == event.ip) or s["time"] >= recent]
    return max(related, key=lambda s: s["score"]) if related else None


def _days_since(first: str | None, now: datetime) -> float:
    if not first:
        return 0.0
    return max(0.0, (now - datetime.fromisoformat(first)).total_seconds() / 86400)
