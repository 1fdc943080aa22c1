"""The injected chain is in the files exactly as truth.json describes it."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import Message
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.simulate import loaders


def _ual_time(record: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(record["CreationTime"] + "+00:00")


def _params(record: dict[str, Any]) -> dict[str, str]:
    return {p["Name"]: p["Value"] for p in record["Parameters"]}


def _ip(client_ip: str) -> str:
    """Strip the port Exchange appends to cmdlet ClientIP values."""
    if client_ip.startswith("["):
        return client_ip[1:].split("]")[0]
    return client_ip.rsplit(":", 1)[0] if client_ip.count(":") == 1 else client_ip


@pytest.fixture(scope="module")
def by_id(journal: list[Message]) -> dict[str, Message]:
    return {loaders.message_id(m): m for m in journal}


@pytest.fixture(scope="module")
def audit(exported: Path) -> dict[str, dict[str, Any]]:
    return {r["Id"]: r for r in loaders.audit_records(exported)}


@pytest.fixture(scope="module")
def signins(exported: Path) -> list[dict[str, Any]]:
    return loaders.sign_ins(exported)


def test_truth_top_level_keys(truth: dict[str, Any]) -> None:
    assert truth["organisation_domains"] == ["example.com"]
    assert len(truth["compromised_accounts"]) == 3
    assert truth["lure_host"] == "create.piktochart.example"
    assert truth["attacker_asns"] == [64510, 64511]
    assert truth["period"]["days"] == 28


def test_origin_message_authenticated(truth: dict[str, Any], by_id: dict[str, Message]) -> None:
    origin = by_id[truth["origin_message_id"]]
    assert loaders.addresses(origin, "From") == [truth["origin_sender"]]
    assert len(loaders.addresses(origin, "To")) == 3
    results = str(origin["Authentication-Results"])
    for verdict in ("spf=pass", "dkim=pass", "dmarc=pass"):
        assert verdict in results
    assert [urlsplit(u).hostname for u in loaders.links(origin)] == [truth["lure_host"]]
    assert "View document in Microsoft OneDrive" in (loaders.part(origin, "text/html") or "")


def test_origin_sender_established(truth: dict[str, Any], journal: list[Message]) -> None:
    history = [m for m in journal if loaders.addresses(m, "From") == [truth["origin_sender"]]]
    history = [m for m in history if loaders.message_id(m) != truth["origin_message_id"]]
    assert len(history) >= 4  # weekly over 28 days
    origin_ip = {str(m.get_all("Received")[-1]).split("[")[1].split("]")[0] for m in history}
    assert len(origin_ip) == 1
    hosts = {urlsplit(u).hostname for m in history for u in loaders.links(m)}
    assert hosts == {"portal.harbor-logistics.example"}


def test_lure_host_only_in_chain(truth: dict[str, Any], journal: list[Message]) -> None:
    chain = truth["chain"]
    expected = {
        truth["origin_message_id"],
        *chain["internal_message_ids"],
        *chain["external_message_ids"],
    }
    carrying = {
        loaders.message_id(m)
        for m in journal
        if any(urlsplit(u).hostname == truth["lure_host"] for u in loaders.links(m))
    }
    assert carrying == expected


def test_reported_eml_is_origin(truth: dict[str, Any], exported: Path) -> None:
    path = exported.parent / truth["files"]["reported_phish"]
    assert path.suffix == ".eml"
    assert loaders.message_id(loaders.parse(path.read_bytes())) == truth["origin_message_id"]


def test_first_access_from_new_country(
    truth: dict[str, Any], signins: list[dict[str, Any]], by_id: dict[str, Message]
) -> None:
    chain = truth["chain"]
    patient_zero = chain["patient_zero"]
    first = next(r for r in signins if r["id"] == chain["sign_in_ids"][0])
    assert first["userPrincipalName"] == patient_zero
    assert first["isInteractive"] is True
    assert first["location"]["countryOrRegion"] == "NG"
    assert first["autonomousSystemNumber"] == 64510
    assert first["deviceDetail"]["operatingSystem"] == "Linux"
    origin_time = parsedate_to_datetime(by_id[truth["origin_message_id"]]["Date"])
    signed_in = datetime.fromisoformat(first["createdDateTime"].replace("Z", "+00:00"))
    assert signed_in.date() - origin_time.astimezone(signed_in.tzinfo).date() == timedelta(days=4)
    earlier = [
        r
        for r in signins
        if r["location"]["countryOrRegion"] == "NG"
        and r["createdDateTime"] < first["createdDateTime"]
    ]
    assert earlier == []


def test_files_read_within_hour(truth: dict[str, Any], audit: dict[str, dict[str, Any]]) -> None:
    reads = [audit[i] for i in truth["chain"]["file_access_ids"]]
    assert len(reads) >= 40
    assert {r["Operation"] for r in reads} == {"FileAccessed", "FileDownloaded"}
    times = sorted(_ual_time(r) for r in reads)
    assert times[-1] - times[0] <= timedelta(hours=1)
    assert {r["ClientIP"] for r in reads} == {truth["attacker_ips"][0]}


def test_mail_binds_by_attacker(truth: dict[str, Any], audit: dict[str, dict[str, Any]]) -> None:
    binds = [audit[i] for i in truth["chain"]["mail_items_accessed_ids"]]
    assert binds
    for bind in binds:
        assert bind["Operation"] == "MailItemsAccessed"
        assert bind["ClientIP"] in truth["attacker_ips"]
        assert bind["Folders"][0]["FolderItems"]


def test_hiding_rules(truth: dict[str, Any], audit: dict[str, dict[str, Any]]) -> None:
    rules = [audit[i] for i in truth["chain"]["inbox_rule_ids"]]
    assert [_params(r)["Name"] for r in rules] == [".", ".."]
    for rule in rules:
        params = _params(rule)
        assert params["MoveToFolder"] == "RSS Feeds"
        assert params["MarkAsRead"] == "True"
        assert params["StopProcessingRules"] == "True"
        assert "invoice" in params["SubjectOrBodyContainsWords"]
        assert _ip(rule["ClientIP"]) in truth["attacker_ips"]
    owners = [r["UserId"] for r in rules]
    assert owners == [truth["chain"]["patient_zero"], truth["compromised_accounts"][2]]


def test_internal_surge_follows_rule(
    truth: dict[str, Any], audit: dict[str, dict[str, Any]], by_id: dict[str, Message]
) -> None:
    chain = truth["chain"]
    rule_time = _ual_time(audit[chain["inbox_rule_ids"][0]])
    surge = [by_id[i] for i in chain["internal_message_ids"]]
    first = min(parsedate_to_datetime(m["Date"]) for m in surge)
    assert timedelta(minutes=10) <= first - rule_time <= timedelta(minutes=30)
    # 50 mailboxes leave 49 colleagues: the surge reaches all of them.
    recipients = {a for m in surge for a in loaders.addresses(m, "To")}
    assert len(recipients) == 49
    assert all(a.endswith("@example.com") for a in recipients)
    assert {loaders.addresses(m, "From")[0] for m in surge} == {chain["patient_zero"]}
    assert {m["Subject"] for m in surge} == {by_id[truth["origin_message_id"]]["Subject"]}


def test_colleagues_received_surge(truth: dict[str, Any], by_id: dict[str, Message]) -> None:
    surge = [by_id[i] for i in truth["chain"]["internal_message_ids"]]
    recipients = {a for m in surge for a in loaders.addresses(m, "To")}
    for colleague in truth["compromised_accounts"][1:]:
        assert colleague in recipients


def test_colleagues_use_attacker_infra(
    truth: dict[str, Any], signins: list[dict[str, Any]]
) -> None:
    from_attacker = {
        r["userPrincipalName"] for r in signins if r["ipAddress"] in truth["attacker_ips"]
    }
    assert from_attacker == set(truth["compromised_accounts"])
    by_asn = {
        r["userPrincipalName"]
        for r in signins
        if r["autonomousSystemNumber"] in truth["attacker_asns"]
    }
    assert by_asn == set(truth["compromised_accounts"])


def test_external_surge_size(
    truth: dict[str, Any], exported: Path, by_id: dict[str, Message]
) -> None:
    chain = truth["chain"]
    external = [by_id[i] for i in chain["external_message_ids"]]
    assert all(not a.endswith("@example.com") for m in external for a in loaders.addresses(m, "To"))
    senders = {loaders.addresses(m, "From")[0] for m in external}
    assert senders == set(truth["compromised_accounts"][1:])
    assert len(external) + len(chain["internal_message_ids"]) >= 250
    rows = loaders.trace_rows(exported)
    surge_ids = {f"<{i}>" for i in chain["internal_message_ids"] + chain["external_message_ids"]}
    surge_rows = [r for r in rows if r["MessageId"] in surge_ids]
    assert len(surge_rows) >= 250
    assert {r["FromIP"] for r in surge_rows} <= set(truth["attacker_ips"])


def test_truth_ids_exist(
    truth: dict[str, Any],
    audit: dict[str, dict[str, Any]],
    signins: list[dict[str, Any]],
    by_id: dict[str, Message],
) -> None:
    chain = truth["chain"]
    sign_in_ids = {r["id"] for r in signins}
    missing_sign_ins = [i for i in chain["sign_in_ids"] if i not in sign_in_ids]
    assert missing_sign_ins == []
    audit_ids = (
        chain["file_access_ids"] + chain["mail_items_accessed_ids"] + chain["inbox_rule_ids"]
    )
    assert [i for i in audit_ids if i not in audit] == []
    message_ids = chain["internal_message_ids"] + chain["external_message_ids"]
    assert [i for i in message_ids if i not in by_id] == []
