"""Map Google Workspace events to chainwatch events, one application at a time.

Sign-ins come from the ``login`` application, forwarding and Gmail routing changes from
``user_accounts``, ``login`` and ``admin``, file reads from ``drive`` and OAuth grants
from ``token`` ``authorize``. Everything else is :class:`~chainwatch.read.base.Skipped`
because the event contract has no type for it.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from chainwatch.events import (
    AppConsent,
    Client,
    Event,
    FileAccess,
    Location,
    MailboxRuleChange,
    Origin,
)
from chainwatch.events import SignIn as SignInEvent
from chainwatch.read.base import Skipped
from chainwatch.read.google_activity import GoogleActivity, GoogleEvent, text_of
from chainwatch.read.ip import parse_ip
from chainwatch.read.ual_input import FieldError

SIGN_IN_SUCCESS = {"login_success": True, "login_failure": False}
CHALLENGE_EVENTS = frozenset({"login_challenge", "login_verification"})
FORWARDING_EVENTS = frozenset({"email_forwarding_out_of_domain", "email_forwarding_change"})
GMAIL_SETTING_EVENTS = {
    "CREATE_GMAIL_SETTING": False,
    "CHANGE_GMAIL_SETTING": False,
    "DELETE_GMAIL_SETTING": True,  # True: the setting was removed
}
# Admin console setting names that change where mail goes. MESSAGE_SECURITY_RULE is
# how the admin log names a default routing rule.
# NOTE: only MESSAGE_SECURITY_RULE is confirmed by a sample. Forwarding, routing and
# filter settings are matched by substring because their exact names are unconfirmed.
_ROUTING_SETTING_WORDS = ("FORWARD", "ROUTING", "ROUTE", "FILTER")
_ROUTING_SETTINGS = frozenset({"MESSAGE_SECURITY_RULE"})
DRIVE_READS = frozenset({"download", "view", "copy", "print", "preview"})

_ADDRESS = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def map_event(
    activity: GoogleActivity, event: GoogleEvent, origin: Origin, source: str
) -> Event | Skipped:
    """Map one event of an activity; raise :class:`FieldError` for a field it needs."""
    application = activity.application
    name = event.name

    if application == "login" and name in SIGN_IN_SUCCESS:
        return _sign_in(activity, event, origin, source, SIGN_IN_SUCCESS[name])
    if application == "login" and name in CHALLENGE_EVENTS:
        return _sign_in(activity, event, origin, source, _challenge_passed(event))
    if name in FORWARDING_EVENTS:
        return _forwarding_change(activity, event, origin, source)
    if application == "admin" and name in GMAIL_SETTING_EVENTS and _is_routing_setting(event):
        return _gmail_setting_change(activity, event, origin, source)
    if application == "drive" and name in DRIVE_READS:
        return _file_access(activity, event, origin, source)
    if application == "token" and name == "authorize":
        return _authorize(activity, event, origin, source)

    # Account warnings (suspicious_login, account_disabled_hijacked, gov_attack_warning)
    # and risky_sensitive_action_* report on a sign-in or an action. They are not sign-in
    # attempts themselves, so counting them as sign-ins would double the real ones.
    return Skipped(origin, f"Google {application} {name}")


def event_id(activity: GoogleActivity, event: GoogleEvent) -> str:
    """Build the deduplication key, equal for the same event in every export shape.

    The time is written in one canonical form because the Reports API and Cloud Logging
    spell it differently. The event name is part of the key because exports exist in
    which several activities share a unique qualifier and time.
    """
    time = activity.time.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return (
        f"google:{activity.application}:{activity.unique_qualifier}:{time}"
        f":{event.index}:{event.name}"
    )


def _actor(activity: GoogleActivity) -> str:
    if not activity.actor_email:
        raise FieldError("actor.email", "missing")
    return activity.actor_email


def _location(activity: GoogleActivity) -> Location:
    if activity.region_code is None and activity.asn is None:
        return Location()
    return Location(country=activity.region_code, asn=activity.asn, source="record")


def _sign_in(
    activity: GoogleActivity, event: GoogleEvent, origin: Origin, source: str, success: bool
) -> SignInEvent:
    ip, port = parse_ip(activity.ip_raw)
    # is_suspicious and login_challenge_method have no field in the SignIn contract.
    return SignInEvent(
        event_id=event_id(activity, event),
        time=activity.time,
        source=source,
        origin=origin,
        user=_actor(activity),
        ip=ip,
        ip_raw=activity.ip_raw,
        port=port,
        location=_location(activity),
        client=Client(protocol=text_of(event.parameters.get("login_type")) or None),
        success=success,
    )


def _challenge_passed(event: GoogleEvent) -> bool:
    """Read ``login_challenge_status``: ``passed`` or ``Challenge Passed.``, or failed."""
    status = text_of(event.parameters.get("login_challenge_status")).lower()
    if "passed" in status:
        return True
    if "failed" in status:
        return False
    # Guessing "passed" would teach an attacker's challenged sign-in to the baseline.
    reason = f"expected passed or failed, found {status[:40]!r}" if status else "missing"
    raise FieldError(f"events[{event.index}].parameters.login_challenge_status", reason)


def _forwarding_change(
    activity: GoogleActivity, event: GoogleEvent, origin: Origin, source: str
) -> MailboxRuleChange:
    actor = _actor(activity)
    parameters = event.parameters
    destination = _values(parameters.get("email_forwarding_destination_address"))
    return _rule_change(
        activity,
        event,
        origin,
        source,
        actor=actor,
        mailbox=_mailbox(parameters, actor),
        forward_to=_addresses(destination),
    )


def _is_routing_setting(event: GoogleEvent) -> bool:
    setting = text_of(event.parameters.get("SETTING_NAME")).upper()
    if "SPAM" in setting:
        return False  # spam filter settings change filtering, not where mail goes
    return setting in _ROUTING_SETTINGS or any(w in setting for w in _ROUTING_SETTING_WORDS)


def _gmail_setting_change(
    activity: GoogleActivity, event: GoogleEvent, origin: Origin, source: str
) -> MailboxRuleChange:
    actor = _actor(activity)
    parameters = event.parameters
    setting = text_of(parameters.get("SETTING_NAME")).upper()
    new_value = parameters.get("NEW_VALUE")
    filter_action = _filter_action(new_value) if "FILTER" in setting else {}

    forward_to = _addresses(_values(filter_action.get("forward")))
    if "FORWARD" in setting:
        forward_to += _addresses(_values(new_value))
    removed_labels = {label.upper() for label in _values(filter_action.get("removeLabelIds"))}
    added_labels = _values(filter_action.get("addLabelIds"))
    folder = next((label for label in added_labels if label.upper() != "TRASH"), None)
    if folder is None and "INBOX" in removed_labels:
        folder = "Archive"  # Gmail archives a message by removing the INBOX label

    return _rule_change(
        activity,
        event,
        origin,
        source,
        actor=actor,
        mailbox=_mailbox(parameters, actor),
        forward_to=tuple(dict.fromkeys(forward_to)),
        rule_name=text_of(parameters.get("USER_DEFINED_SETTING_NAME")) or setting or None,
        delete=any(label.upper() == "TRASH" for label in added_labels),
        mark_as_read="UNREAD" in removed_labels,
        move_to_folder=folder,
        removed=GMAIL_SETTING_EVENTS[event.name],
    )


def _filter_action(value: Any) -> dict[str, Any]:
    """Return the ``action`` of a Gmail API filter given as an object or JSON text.

    NOTE: the shape is assumed from the Gmail API filter resource (``action.addLabelIds``,
    ``removeLabelIds``, ``forward``). How the admin log writes a filter is unconfirmed.
    """
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            return {}
    if not isinstance(value, dict):
        return {}
    action = value.get("action", value)
    return action if isinstance(action, dict) else {}


def _rule_change(
    activity: GoogleActivity,
    event: GoogleEvent,
    origin: Origin,
    source: str,
    *,
    actor: str,
    mailbox: str,
    forward_to: tuple[str, ...],
    **settings: Any,
) -> MailboxRuleChange:
    ip, _ = parse_ip(activity.ip_raw)
    return MailboxRuleChange(
        event_id=event_id(activity, event),
        time=activity.time,
        source=source,
        origin=origin,
        actor=actor,
        mailbox=mailbox,
        operation=event.name,
        ip=ip,
        ip_raw=activity.ip_raw,
        forward_to=forward_to,
        parameters=_parameter_pairs(event.parameters),
        location=_location(activity),
        **settings,
    )


def _mailbox(parameters: dict[str, Any], actor: str) -> str:
    for key in ("USER_EMAIL", "user_email"):
        address = text_of(parameters.get(key)).lower()
        if address:
            return address
    return actor


def _values(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [text for text in (text_of(item) for item in items) if text]


def _addresses(values: list[str]) -> tuple[str, ...]:
    found: list[str] = []
    for value in values:
        found.extend(address.lower() for address in _ADDRESS.findall(value))
    return tuple(dict.fromkeys(found))


def _parameter_pairs(parameters: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for name, value in parameters.items():
        if isinstance(value, str):
            pairs.append((name, value))
        else:
            pairs.append((name, orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()))
    return tuple(pairs)


def _file_access(
    activity: GoogleActivity, event: GoogleEvent, origin: Origin, source: str
) -> FileAccess:
    ip, _ = parse_ip(activity.ip_raw)
    parameters = event.parameters
    object_id = text_of(parameters.get("doc_title")) or text_of(parameters.get("doc_id"))
    return FileAccess(
        event_id=event_id(activity, event),
        time=activity.time,
        source=source,
        origin=origin,
        user=_actor(activity),
        operation=event.name,
        ip=ip,
        ip_raw=activity.ip_raw,
        object_id=object_id or None,
        workload="Drive",
        location=_location(activity),
    )


def _authorize(
    activity: GoogleActivity, event: GoogleEvent, origin: Origin, source: str
) -> AppConsent:
    """Map a ``token`` ``authorize`` event: a user granting an OAuth app access."""
    ip, _ = parse_ip(activity.ip_raw)
    parameters = event.parameters
    scopes = _values(parameters.get("scope"))
    if not scopes:
        scopes = _scope_names(parameters.get("scope_data"))
    client_id = text_of(parameters.get("client_id"))
    return AppConsent(
        event_id=event_id(activity, event),
        time=activity.time,
        source=source,
        origin=origin,
        user=_actor(activity),
        app_name=text_of(parameters.get("app_name")) or None,
        app_id=client_id.lower() or None,
        scopes=tuple(dict.fromkeys(scopes)),
        ip=ip,
        location=_location(activity),
    )


def _scope_names(scope_data: Any) -> list[str]:
    """Return ``scope_name`` of each flattened ``scope_data`` message."""
    messages = scope_data if isinstance(scope_data, list) else []
    names = (text_of(m.get("scope_name")) for m in messages if isinstance(m, dict))
    return [name for name in names if name]
