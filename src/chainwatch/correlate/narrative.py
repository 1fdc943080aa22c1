"""Plain-language titles and summaries of incidents.

The text is built from the detections' own fields; attacker-controlled values (rule
names, hosts, subjects) are inserted verbatim here and escaped by each presenter.
"""

from __future__ import annotations

from chainwatch.correlate.incident import OriginMessage
from chainwatch.detect.base import Detection

STAGE_ORDER = ("delivery", "click", "sign-in", "collection", "persistence", "spread")
STAGE_PHRASES = {
    "click": "clicked the lure link",
    "sign-in": "signed in from an unusual location",
    "collection": "read files or mail out of character",
    "persistence": "created or changed mailbox rules",
    "spread": "sent unusual mail",
}
# Models whose step reads better in its own words than in its stage's.
MODEL_PHRASES = {
    "token-replay-sign-in": "used a session token from new infrastructure",
    "risky-app-consent": "granted an app access to mail or files",
    "consented-app-mail-read": "had mail read through that app",
    "sent-items-deleted-after-surge": "deleted the sent copies",
}


def title_for(
    group: list[Detection], accounts: tuple[str, ...], origin: OriginMessage | None
) -> str:
    stages = {d.stage for d in group}
    if not accounts:
        sender = origin.sender if origin else "an external sender"
        if origin is not None and origin.traced_by == "payment-change-request":
            return f"Payment-change request from {sender}"
        if origin is not None and origin.link_hosts:
            return f"Suspicious message from {sender} ({', '.join(origin.link_hosts)})"
        return f"Suspicious message from {sender}"
    who = accounts[0] if len(accounts) == 1 else f"{len(accounts)} accounts"
    if "spread" in stages and ("sign-in" in stages or "persistence" in stages):
        return f"Account takeover spreading from {who}"
    if "persistence" in stages and "sign-in" in stages:
        return f"Probable account takeover of {who}"
    models = {d.model for d in group}
    if "consented-app-mail-read" in models:
        return f"Mail read through a risky app consent of {who}"
    if "risky-app-consent" in models:
        return f"Risky app consent by {who}"
    if stages == {"sign-in"}:
        return f"Unusual sign-in activity for {who}"
    if stages == {"persistence"}:
        return f"Mailbox rule change for {who}"
    return f"Suspicious activity for {who}"


def summarise(
    group: list[Detection],
    accounts: tuple[str, ...],
    origin: OriginMessage | None,
    entities: dict[str, list[str]],
) -> str:
    """Write a few sentences an analyst can read aloud at a stand-up."""
    sentences: list[str] = []
    if origin is not None:
        when = origin.time.strftime("%Y-%m-%d %H:%M UTC") if origin.time else "an unknown time"
        hosts = ", ".join(origin.link_hosts)
        sentences.append(
            f"The chain starts with a message from {origin.sender or 'an unknown sender'} on "
            f"{when} "
            + (f"linking to {hosts}" if hosts else "without links")
            + (f" (message id {origin.message_id})" if origin.message_id else "")
            + "."
        )

    for account in accounts:
        own = [d for d in group if d.account == account]
        # The first detection of each step, a step being a stage or a model with its own
        # phrase, listed in time order.
        firsts: dict[str, Detection] = {}
        for detection in own:
            if detection.stage not in STAGE_PHRASES:
                continue
            phrase = MODEL_PHRASES.get(detection.model, STAGE_PHRASES[detection.stage])
            if phrase not in firsts or detection.time < firsts[phrase].time:
                firsts[phrase] = detection
        steps = [
            f"{phrase} ({first.time.strftime('%Y-%m-%d %H:%M')}: {first.summary})"
            for phrase, first in sorted(firsts.items(), key=lambda item: item[1].time)
        ]
        if steps:
            sentences.append(f"{account} " + "; then ".join(steps) + ".")

    if len(accounts) > 1:
        networks = ", ".join(entities.get("network", [])[:3])
        shared = f" Shared attacker infrastructure: {networks}." if networks else ""
        sentences.append(f"{len(accounts)} accounts are involved.{shared}")
    if origin is not None and origin.time is not None:
        last = max(d.end_time for d in group)
        days = (last - origin.time).total_seconds() / 86400
        sentences.append(f"From the first message to the last finding: {days:.1f} days.")
    return " ".join(sentences)
