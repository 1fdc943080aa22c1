"""Decoding of inbox rule and mailbox forwarding settings from Unified Audit Log records.

Rules arrive in two forms. Cmdlet operations (``New-InboxRule``, ``Set-InboxRule``,
``Set-Mailbox`` ...) carry ``Parameters`` as a list of ``{Name, Value}`` pairs, with
multi-valued parameters joined by ``;``. Rules made in Outlook over MAPI or EWS log as
``UpdateInboxRules`` with ``OperationProperties``: ``RuleActions`` is a JSON string and
``RuleCondition`` a bracketed text expression.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from chainwatch.read.ual_input import is_truthy

# A condition word that is empty or a NUL character makes the condition match every message.
_MATCH_ALL_WORDS = ("", "\x00")
_ADDRESS = re.compile(r"[^\s;,<>\[\]\"':()]+@[^\s;,<>\[\]\"':()]+")
_FOLDER_PREFIX = re.compile(r"^(?:[^\\:]*@[^\\:]*)?:\\")
_CONDITION_TERM = re.compile(
    r"\((?P<property>\w+)\s+(?:SubString|Equal|Prefix)\s+(?P<value>[^)]*)\)"
)

KEYWORD_PARAMETERS = frozenset(
    {"SubjectContainsWords", "SubjectOrBodyContainsWords", "BodyContainsWords"}
)
SENDER_PARAMETERS = frozenset({"From", "FromAddressContainsWords"})


@dataclass
class RuleSettings:
    """Decoded actions and conditions of one rule or forwarding change."""

    rule_name: str | None = None
    forward_to: list[str] = field(default_factory=list)
    redirect_to: list[str] = field(default_factory=list)
    forward_as_attachment_to: list[str] = field(default_factory=list)
    delete: bool = False
    move_to_folder: str | None = None
    mark_as_read: bool = False
    stop_processing: bool = False
    keywords: list[str] = field(default_factory=list)
    from_addresses: list[str] = field(default_factory=list)
    match_all: bool = False
    removed: bool = False
    details_lost: bool = False
    parameters: list[tuple[str, str]] = field(default_factory=list)


def name_value_pairs(value: Any) -> list[tuple[str, str]]:
    """Return a ``[{Name, Value}]`` list as ordered pairs, keeping duplicate names.

    Some exports store the list as JSON text. Non-string values become their JSON text.
    """
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            return []
    if not isinstance(value, list):
        return []
    pairs: list[tuple[str, str]] = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("Name"), str):
            continue
        raw = item.get("Value")
        if raw is None:
            text = ""
        elif isinstance(raw, str):
            text = raw
        else:
            text = orjson.dumps(raw).decode()
        pairs.append((item["Name"], text))
    return pairs


def normalise_folder(value: str) -> str | None:
    """Strip the ``:\\`` or ``mailbox:\\`` prefix from a folder path, keeping its case."""
    folder = _FOLDER_PREFIX.sub("", value.strip())
    return folder or None


def addresses_in(value: str) -> list[str]:
    """Return the addresses in a recipient list, lower-cased.

    Entries look like ``a@b``, ``smtp:a@b``, ``"Name" [SMTP:a@b]``, or a display name or
    legacy Exchange DN with no address. Those are kept verbatim, so nothing is dropped.
    """
    found: list[str] = []
    for entry in re.split(r"[;,]", value):
        entry = entry.strip()
        if not entry:
            continue
        addresses = _ADDRESS.findall(entry)
        if addresses:
            found.extend(address.lower().removeprefix("smtp:") for address in addresses)
        else:
            found.append(entry)
    return found


def decode_cmdlet_parameters(operation: str, pairs: list[tuple[str, str]]) -> RuleSettings:
    """Decode the ``Parameters`` of an inbox rule cmdlet or of ``Set-Mailbox``."""
    settings = RuleSettings(parameters=list(pairs), removed=operation == "Remove-InboxRule")
    for name, value in pairs:
        _apply_parameter(settings, name, value)
    if operation == "Set-Mailbox":
        _apply_mailbox_forwarding(settings, dict(pairs))
    return settings


def _apply_parameter(settings: RuleSettings, name: str, value: str) -> None:
    if name == "Name":
        settings.rule_name = value
    elif name == "ForwardTo":
        settings.forward_to.extend(addresses_in(value))
    elif name == "RedirectTo":
        settings.redirect_to.extend(addresses_in(value))
    elif name == "ForwardAsAttachmentTo":
        settings.forward_as_attachment_to.extend(addresses_in(value))
    elif name in ("DeleteMessage", "SoftDeleteMessage"):
        settings.delete = settings.delete or is_truthy(value)
    elif name == "MoveToFolder":
        settings.move_to_folder = normalise_folder(value)
    elif name == "MarkAsRead":
        settings.mark_as_read = is_truthy(value)
    elif name == "StopProcessingRules":
        settings.stop_processing = is_truthy(value)
    elif name in KEYWORD_PARAMETERS:
        _add_words(settings, settings.keywords, value)
    elif name in SENDER_PARAMETERS:
        settings.from_addresses.extend(addresses_in(value))
        if name == "FromAddressContainsWords" and _has_match_all_word(value):
            settings.match_all = True


def _add_words(settings: RuleSettings, target: list[str], value: str) -> None:
    if _has_match_all_word(value):
        settings.match_all = True
    target.extend(word for word in value.split(";") if word.strip(" \x00"))


def _has_match_all_word(value: str) -> bool:
    return any(word.strip(" ") in _MATCH_ALL_WORDS for word in value.split(";"))


def _apply_mailbox_forwarding(settings: RuleSettings, parameters: dict[str, str]) -> None:
    cleared = False
    for name in ("ForwardingSmtpAddress", "ForwardingAddress"):
        if name not in parameters:
            continue
        value = parameters[name].strip()
        if value and value.lower() not in ("$null", "null"):
            settings.forward_to.extend(addresses_in(value))
        else:
            cleared = True
    keeps_copy = parameters.get("DeliverToMailboxAndForward")
    # Forwarding without a copy in the mailbox hides the mail from its owner, as a delete does.
    if settings.forward_to and keeps_copy is not None and not is_truthy(keeps_copy):
        settings.delete = True
    settings.removed = cleared and not settings.forward_to


def has_forwarding_parameters(pairs: list[tuple[str, str]]) -> bool:
    """Return whether a ``Set-Mailbox`` call touched forwarding at all."""
    names = {name for name, _ in pairs}
    return bool(
        names & {"ForwardingSmtpAddress", "ForwardingAddress", "DeliverToMailboxAndForward"}
    )


def decode_operation_properties(pairs: list[tuple[str, str]]) -> RuleSettings:
    """Decode the ``OperationProperties`` of an ``UpdateInboxRules`` record."""
    properties = dict(pairs)
    operation = properties.get("RuleOperation", "")
    settings = RuleSettings(
        parameters=list(pairs),
        rule_name=properties.get("RuleName") or None,
        removed=operation.lower().startswith("remove"),
    )

    actions_text = properties.get("RuleActions", "")
    condition_text = properties.get("RuleCondition", "")
    actions = _rule_actions(actions_text)
    for action in actions:
        _apply_action(settings, action)
    _apply_condition(settings, condition_text)

    # Modify records often carry an empty body: the rule's settings are then unknown.
    empty_body = not actions and condition_text.strip() in ("", "{}")
    if empty_body and not settings.removed:
        settings.details_lost = True
    return settings


def _rule_actions(text: str) -> list[dict[str, Any]]:
    if not text.strip():
        return []
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return [{"ActionType": "unparsed", "Text": text}]
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def _apply_action(settings: RuleSettings, action: dict[str, Any]) -> None:
    kind = str(action.get("ActionType", "")).lower()
    recipients = _action_recipients(action)
    if kind.startswith("forwardasattachment"):
        settings.forward_as_attachment_to.extend(recipients)
    elif kind.startswith("forward"):
        settings.forward_to.extend(recipients)
    elif kind.startswith("redirect"):
        settings.redirect_to.extend(recipients)
    elif kind.startswith(("delete", "permanentdelete")):
        settings.delete = True
    elif kind.startswith("move"):
        folder = action.get("FolderName") or action.get("Folder") or action.get("FolderPath")
        settings.move_to_folder = normalise_folder(str(folder)) if folder else None
    elif kind.startswith("markasread"):
        settings.mark_as_read = True
    elif kind.startswith("stop"):
        settings.stop_processing = True
    else:
        # Keep unknown action types visible to rules rather than dropping them.
        settings.parameters.append(("RuleActions.unparsed", orjson.dumps(action).decode()))


def _action_recipients(action: dict[str, Any]) -> list[str]:
    recipients = action.get("Recipients") or []
    if isinstance(recipients, str):
        recipients = [recipients]
    found: list[str] = []
    for recipient in recipients if isinstance(recipients, list) else []:
        if isinstance(recipient, dict):
            recipient = recipient.get("Address") or recipient.get("EmailAddress") or ""
        found.extend(addresses_in(str(recipient)))
    return found


def _apply_condition(settings: RuleSettings, text: str) -> None:
    for term in _CONDITION_TERM.finditer(text):
        prop = term["property"].lower()
        value = term["value"].strip()
        if "sender" in prop or prop.startswith("from"):
            settings.from_addresses.extend(addresses_in(value))
        elif "subject" in prop or "body" in prop:
            if value in _MATCH_ALL_WORDS:
                settings.match_all = True
            else:
                settings.keywords.append(value)
