"""The labelled scenarios that ``chainwatch simulate --scenario`` can write.

Every scenario runs on top of the same ordinary tenant and benign look-alikes. An attack
scenario injects one variant of the vendor-email-compromise chain; a benign scenario
injects no compromise but adds activity that a naive detection would flag.
``expected_stages`` lists the stages of ``chainwatch.correlate.narrative.STAGE_ORDER``
that the injected activity contains, so an evaluation can check which were detected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DEFAULT_SCENARIO = "vendor-hijack"

FULL_CHAIN = ("delivery", "sign-in", "collection", "persistence", "spread")
TAKEOVER_WITHOUT_SPREAD = ("delivery", "sign-in", "collection", "persistence")


@dataclass(frozen=True, slots=True)
class Scenario:
    """One labelled scenario: an attack variant or a benign stress case."""

    name: str
    kind: Literal["attack", "benign"]
    description: str
    expected_stages: tuple[str, ...]  # empty for benign scenarios


_ALL = (
    Scenario(
        "vendor-hijack",
        "attack",
        "A hijacked long-established vendor mailbox sends a lure link; patient zero signs "
        "in from Nigeria, reads 45 files, hides replies with an inbox rule and mails the lure "
        "to colleagues; two colleagues are taken over and mail customers and vendors.",
        FULL_CHAIN,
    ),
    Scenario(
        "residential-proxy",
        "attack",
        "As vendor-hijack, but the attacker signs in through a residential proxy: the "
        "victim's country, a home ISP's ASN that other staff use, a /24 nobody used and a "
        "new client; then the hiding rule and the surge, with no bulk file reads.",
        ("delivery", "sign-in", "persistence", "spread"),
    ),
    Scenario(
        "cookie-replay",
        "attack",
        "An adversary-in-the-middle lure steals the session cookie: only non-interactive "
        "sign-ins to Microsoft Graph from new hosting infrastructure, no password prompt; "
        "then mailbox reads and the surge, with no inbox rule.",
        ("delivery", "sign-in", "collection", "spread"),
    ),
    Scenario(
        "oauth-consent",
        "attack",
        "The lure links to the Microsoft authorize endpoint of an attacker's app asking for "
        "Mail.Read offline_access; the victim consents (UAL and Entra audit records) and the "
        "app reads mail for five days from attacker infrastructure. No sign-in anomaly.",
        ("delivery", "collection", "persistence"),
    ),
    Scenario(
        "external-forwarding-rule",
        "attack",
        "After the foreign sign-in and reads, the attacker adds a New-InboxRule that "
        "forwards every message to an outside webmail address. No surge.",
        TAKEOVER_WITHOUT_SPREAD,
    ),
    Scenario(
        "external-redirect-rule",
        "attack",
        "As external-forwarding-rule, but the rule redirects (RedirectTo) messages that "
        "mention invoices or payments, so the victim never sees them. No surge.",
        TAKEOVER_WITHOUT_SPREAD,
    ),
    Scenario(
        "mailbox-forwarding",
        "attack",
        "After the foreign sign-in and reads, the victim's own session runs Set-Mailbox "
        "with ForwardingSmtpAddress to an outside address and DeliverToMailboxAndForward "
        "False. No surge.",
        TAKEOVER_WITHOUT_SPREAD,
    ),
    Scenario(
        "outlook-rule",
        "attack",
        "As vendor-hijack, but the hiding rules are saved from Outlook for Windows and "
        "logged as UpdateInboxRules with RuleCondition and RuleActions.",
        FULL_CHAIN,
    ),
    Scenario(
        "sent-items-deleted",
        "attack",
        "As vendor-hijack, and after each surge the sending account deletes the sent copies "
        "from Sent Items (SoftDelete, MoveToDeletedItems, HardDelete).",
        FULL_CHAIN,
    ),
    Scenario(
        "payment-change-reply",
        "attack",
        "The hijacked vendor mailbox replies, without links, inside a real earlier "
        "statement thread asking Finance to change its bank details (IBAN); a finance user "
        "replies and updates the vendor bank-details file. No tenant account is taken over.",
        ("delivery",),
    ),
    Scenario(
        "payment-change-reply-to",
        "attack",
        "As payment-change-reply, but the request carries a Reply-To on a look-alike of the "
        "vendor's domain, so the finance user's confirmation goes to the attacker.",
        ("delivery",),
    ),
    Scenario(
        "qr-code-lure",
        "attack",
        "As vendor-hijack, but the lure and the surge messages carry the link only in a QR "
        "code PNG attachment.",
        FULL_CHAIN,
    ),
    Scenario(
        "html-attachment",
        "attack",
        "As vendor-hijack, but the lure and the surge messages attach an .html page whose "
        "sign-in form posts to the lure host; the bodies have no links.",
        FULL_CHAIN,
    ),
    Scenario(
        "lookalike-vendor-domain",
        "attack",
        "As vendor-hijack, but the lure comes from a look-alike of the long-established "
        "vendor's domain (one letter added), from that domain's own server.",
        FULL_CHAIN,
    ),
    Scenario(
        "slow-exfiltration",
        "attack",
        "After the foreign sign-in, the attacker reads 5-10 SharePoint files a day for 10 "
        "days from the same infrastructure, with token refreshes, and sends nothing.",
        ("delivery", "sign-in", "collection"),
    ),
    Scenario(
        "travel-plausible",
        "benign",
        "Five more people travel (Madrid, New York, Dubai, Singapore, Toronto) with "
        "plausible flight times and their usual clients.",
        (),
    ),
    Scenario(
        "vpn-and-cloud-proxy-egress",
        "benign",
        "Half the organisation works from home through a cloud proxy exit in Germany that "
        "chainwatch.toml does not label, and 12 more people use the corporate VPN.",
        (),
    ),
    Scenario(
        "mobile-and-ipv6-churn",
        "benign",
        "Most people use Outlook for iOS and get a new carrier IPv6 address every session; "
        "home workers on IPv6 get a new temporary address every day.",
        (),
    ),
    Scenario(
        "bulk-shared-mailboxes",
        "benign",
        "Shared and service mailboxes (support@, orders@, alerts@) mail hundreds of "
        "customers and subscribers every working day, with links.",
        (),
    ),
    Scenario(
        "month-end-invoices",
        "benign",
        "At every month end in the period, Finance also sends statements to every vendor "
        "and remittances with a billing-portal link, and reads the bank-details and invoice "
        "registers. Each vendor's accounts mailbox replies in the remittance thread naming "
        "the IBAN it is always paid into. Three month ends need about 72 days from the "
        "default start.",
        (),
    ),
    Scenario(
        "saas-adoption",
        "benign",
        "From the third week the whole organisation adopts a SaaS tool: staff mail each other "
        "and outside contacts links to a host nobody saw before, and vendors send invitations.",
        (),
    ),
)

SCENARIOS: dict[str, Scenario] = {scenario.name: scenario for scenario in _ALL}


def get_scenario(name: str) -> Scenario:
    """Return the scenario called ``name``; raise ``ValueError`` naming the valid ones."""
    try:
        return SCENARIOS[name]
    except KeyError:
        known = ", ".join(SCENARIOS)
        raise ValueError(f"unknown scenario {name!r}; choose one of: {known}") from None
