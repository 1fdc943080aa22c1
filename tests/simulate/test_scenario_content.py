"""What each attack variant and benign scenario puts in the export, read by the product."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from chainwatch.events import AppConsent, EmailMessage, FileAccess, MailboxRuleChange, SignIn
from tests.simulate import loaders
from tests.simulate.test_scenarios import generated


def _origin(root: Path, name: str) -> EmailMessage:
    item = generated(root, name)
    origin_id = item.truth["origin_message_id"]
    return next(e for e in item.events if isinstance(e, EmailMessage) and e.message_id == origin_id)


def _attacker_sign_ins(root: Path, name: str) -> list[SignIn]:
    """Return the attacker's sign-ins from the Entra sign-in log (UAL copies have no place)."""
    item = generated(root, name)
    ips = set(item.truth["attacker_ips"])
    return [
        e
        for e in item.events
        if isinstance(e, SignIn) and e.ip in ips and e.location.country is not None
    ]


def test_residential_proxy_blends_in(scenario_root: Path) -> None:
    item = generated(scenario_root, "residential-proxy")
    attacker = _attacker_sign_ins(scenario_root, "residential-proxy")
    others = [
        e
        for e in item.events
        if isinstance(e, SignIn) and e.ip not in set(item.truth["attacker_ips"])
    ]
    asn = item.truth["attacker_asns"][0]
    prefixes = {e.ip.rsplit(".", 1)[0] for e in others if e.ip and "." in e.ip}

    assert attacker
    assert {e.location.country for e in attacker} == {"GB"}
    assert len(item.truth["attacker_asns"]) == 1
    assert any(e.location.asn == asn for e in others)
    assert "192.0.2" not in prefixes


def test_cookie_replay_only_non_interactive(scenario_root: Path) -> None:
    attacker = _attacker_sign_ins(scenario_root, "cookie-replay")
    assert attacker
    assert not any(e.interactive for e in attacker)


def test_oauth_consent_lure_and_records(scenario_root: Path) -> None:
    item = generated(scenario_root, "oauth-consent")
    origin = _origin(scenario_root, "oauth-consent")
    records = loaders.audit_records(item.result.data_dir)
    consent = [r for r in records if r["Operation"] == "Consent to application."]
    app_reads = [r for r in records if r.get("ClientAppId")]
    modified = {p["Name"]: p["NewValue"] for p in consent[0]["ModifiedProperties"]}

    assert origin.links[0].host == "login.microsoftonline.com"
    assert "scope=Mail.Read%20offline_access" in origin.links[0].url
    assert modified["ConsentContext.IsAdminConsent"] == "False"
    assert "Scope:  Mail.Read offline_access" in modified["ConsentAction.Permissions"]
    assert app_reads
    assert {r["Operation"] for r in app_reads} == {"MailItemsAccessed"}
    assert list((item.result.data_dir / "entra").glob("auditlogs-*.json"))


def test_oauth_consent_read_as_event(scenario_root: Path) -> None:
    """Readers that turn consent into AppConsent events find the Mail.Read scope."""
    item = generated(scenario_root, "oauth-consent")
    consents = [e for e in item.events if isinstance(e, AppConsent)]
    if not consents:
        pytest.skip("this tree's readers still skip consent records")
    assert any("Mail.Read" in e.scopes for e in consents)
    assert not any(e.admin_consent for e in consents)


@pytest.mark.parametrize(
    ("name", "field", "operation"),
    [
        ("external-forwarding-rule", "forward_to", "New-InboxRule"),
        ("external-redirect-rule", "redirect_to", "New-InboxRule"),
        ("mailbox-forwarding", "forward_to", "Set-Mailbox"),
    ],
)
def test_forwarding_goes_outside(
    scenario_root: Path, name: str, field: str, operation: str
) -> None:
    item = generated(scenario_root, name)
    patient_zero = item.truth["compromised_accounts"][0]
    changes = [
        e for e in item.events if isinstance(e, MailboxRuleChange) and e.mailbox == patient_zero
    ]
    targets = [t for e in changes for t in getattr(e, field)]

    assert [e.operation for e in changes] == [operation]
    assert targets
    assert all(not t.endswith("@example.com") for t in targets)


def test_mailbox_forwarding_keeps_no_copy(scenario_root: Path) -> None:
    item = generated(scenario_root, "mailbox-forwarding")
    records = loaders.audit_records(item.result.data_dir)
    change = next(r for r in records if r["Operation"] == "Set-Mailbox" and "smtp:" in str(r))
    parameters = {p["Name"]: p["Value"] for p in change["Parameters"]}
    assert parameters["DeliverToMailboxAndForward"] == "False"


def test_outlook_rule_decoded(scenario_root: Path) -> None:
    item = generated(scenario_root, "outlook-rule")
    rules = [
        e
        for e in item.events
        if isinstance(e, MailboxRuleChange) and e.operation == "UpdateInboxRules"
    ]
    assert len(rules) == 2
    assert all("invoice" in e.keywords for e in rules)
    assert all(e.move_to_folder == "RSS Feeds" for e in rules)
    assert all(e.mark_as_read for e in rules)


def test_sent_items_deleted_after_surge(scenario_root: Path) -> None:
    item = generated(scenario_root, "sent-items-deleted")
    chain = item.truth["chain"]
    records = {r["Id"]: r for r in loaders.audit_records(item.result.data_dir)}
    deletions = [records[i] for i in chain["deletion_ids"]]
    deleted = {a["InternetMessageId"].strip("<>") for r in deletions for a in r["AffectedItems"]}
    sent = set(chain["internal_message_ids"]) | set(chain["external_message_ids"])

    assert {r["Operation"] for r in deletions} == {"SoftDelete", "MoveToDeletedItems", "HardDelete"}
    assert {r["Folder"]["Path"] for r in deletions} == {"\\Sent Items"}
    assert deleted == sent
    assert all(a["Subject"] for r in deletions for a in r["AffectedItems"])


@pytest.mark.parametrize("name", ["payment-change-reply", "payment-change-reply-to"])
def test_payment_change_in_real_thread(scenario_root: Path, name: str) -> None:
    item = generated(scenario_root, name)
    journal = loaders.journal(item.result.data_dir)
    by_id = {loaders.message_id(m): m for m in journal}
    request = by_id[item.truth["origin_message_id"]]
    parent = by_id[str(request["In-Reply-To"]).strip("<>")]
    body = loaders.part(request, "text/plain") or ""

    assert str(request["Subject"]) == f"RE: {parent['Subject']}"
    assert str(request["References"]).strip("<>") == loaders.message_id(parent)
    assert parent["From"] == request["From"]
    assert "IBAN" in body
    assert loaders.links(request) == []


def test_payment_change_reply_goes_to_lookalike(scenario_root: Path) -> None:
    item = generated(scenario_root, "payment-change-reply-to")
    origin = _origin(scenario_root, "payment-change-reply-to")
    reply_id = item.truth["chain"]["other_message_ids"][0]
    reply = next(
        m for m in loaders.journal(item.result.data_dir) if loaders.message_id(m) == reply_id
    )

    assert origin.reply_to == ("accounts@harbour-logistics.example",)
    assert loaders.addresses(reply, "To") == ["accounts@harbour-logistics.example"]


def test_qr_code_lure_has_only_qr_link(scenario_root: Path) -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    image_module = pytest.importorskip("PIL.Image")
    item = generated(scenario_root, "qr-code-lure")
    origin = next(
        m
        for m in loaders.journal(item.result.data_dir)
        if loaders.message_id(m) == item.truth["origin_message_id"]
    )
    png = next(p for p in origin.walk() if p.get_content_type() == "image/png")
    image = image_module.open(io.BytesIO(png.get_payload(decode=True)))
    decoded = [result.text for result in zxingcpp.read_barcodes(image)]

    assert loaders.links(origin) == []
    assert len(decoded) == 1
    assert decoded[0].startswith(f"https://{item.truth['lure_host']}/")


def test_html_attachment_posts_to_lure_host(scenario_root: Path) -> None:
    item = generated(scenario_root, "html-attachment")
    origin = next(
        m
        for m in loaders.journal(item.result.data_dir)
        if loaders.message_id(m) == item.truth["origin_message_id"]
    )
    page = next(p for p in origin.walk() if p.get_filename() == "Remittance_Advice.html")
    html = page.get_payload(decode=True).decode("ascii")

    assert loaders.links(origin) == []
    assert f'action="https://{item.truth["lure_host"]}/' in html


def test_lookalike_vendor_domain_sender(scenario_root: Path) -> None:
    origin = _origin(scenario_root, "lookalike-vendor-domain")
    assert origin.sender == "accounts@harbour-logistics.example"
    assert origin.auth.dmarc == "pass"


def test_slow_exfiltration_spans_days(scenario_root: Path) -> None:
    item = generated(scenario_root, "slow-exfiltration")
    ips = set(item.truth["attacker_ips"])
    reads = [
        e
        for e in item.events
        if isinstance(e, FileAccess) and e.ip in ips and e.operation != "MailItemsAccessed"
    ]
    per_day: dict[str, int] = {}
    for event in reads:
        day = event.time.date().isoformat()
        per_day[day] = per_day.get(day, 0) + 1

    assert len(per_day) >= 5
    assert all(5 <= count <= 10 for count in per_day.values())
    assert item.truth["chain"]["internal_message_ids"] == []


def test_travel_plausible_trips(scenario_root: Path) -> None:
    item = generated(scenario_root, "travel-plausible")
    entry = next(e for e in item.truth["benign_lookalikes"] if e["name"] == "travel-plausible")
    assert len(entry["trips"]) == 5
    assert all(trip["sign_in_ids"] for trip in entry["trips"])


def test_cloud_proxy_egress_half(scenario_root: Path) -> None:
    item = generated(scenario_root, "vpn-and-cloud-proxy-egress")
    entry = next(
        e for e in item.truth["benign_lookalikes"] if e["name"] == "vpn-and-cloud-proxy-egress"
    )
    assert len(entry["accounts"]) == item.truth["mailboxes"] // 2
    assert entry["sign_in_count"] > 0


def test_saas_host_from_many_senders(scenario_root: Path) -> None:
    item = generated(scenario_root, "saas-adoption")
    senders = {
        e.sender
        for e in item.events
        if isinstance(e, EmailMessage)
        and any(link.host == "app.tasklane.example" for link in e.links)
    }
    assert len({s.split("@")[1] for s in senders if s}) >= 5
    assert len(senders) >= 20
