"""Each benign look-alike is present in the files and listed in truth.json."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from email.message import Message
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.simulate import loaders

NAMES = [
    "travel",
    "corporate-vpn",
    "mobile-carrier-churn",
    "weekly-newsletter",
    "month-end-invoices",
    "tidy-up-rules",
    "admin-forwarding",
    "new-vendor",
    "known-vendor-file-share",
]


@pytest.fixture(scope="module")
def lookalike(truth: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in truth["benign_lookalikes"]}


@pytest.fixture(scope="module")
def signins(exported: Path) -> list[dict[str, Any]]:
    return loaders.sign_ins(exported)


@pytest.fixture(scope="module")
def audit(exported: Path) -> dict[str, dict[str, Any]]:
    return {r["Id"]: r for r in loaders.audit_records(exported)}


def _time(record: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(record["createdDateTime"].replace("Z", "+00:00"))


def test_all_lookalikes_listed(truth: dict[str, Any]) -> None:
    entries = truth["benign_lookalikes"]
    assert [e["name"] for e in entries] == NAMES
    for entry in entries:
        assert entry["accounts"], entry["name"]
        assert entry["description"], entry["name"]


def test_lookalikes_avoid_compromised(truth: dict[str, Any]) -> None:
    compromised = set(truth["compromised_accounts"])
    for entry in truth["benign_lookalikes"]:
        if entry["name"] != "mobile-carrier-churn":  # a property of many accounts
            assert not compromised & set(entry["accounts"]), entry["name"]


def test_travel_plausible(lookalike: dict[str, Any], signins: list[dict[str, Any]]) -> None:
    traveller = lookalike["travel"]["accounts"][0]
    own = sorted((r for r in signins if r["userPrincipalName"] == traveller), key=_time)
    abroad = [r for r in own if r["id"] in set(lookalike["travel"]["sign_in_ids"])]
    assert {r["autonomousSystemNumber"] for r in abroad} == {64505}
    assert {r["location"]["countryOrRegion"] for r in abroad} == {"US"}
    assert len({_time(r).date() for r in abroad}) == 4
    first_abroad = own.index(abroad[0])
    before = own[first_abroad - 1]
    assert before["location"]["countryOrRegion"] == "GB"
    assert _time(abroad[0]) - _time(before) >= timedelta(hours=9)
    usual = {r["userAgent"] for r in own if r["location"]["countryOrRegion"] == "GB"}
    assert {r["userAgent"] for r in abroad} <= usual


def test_vpn_many_users_many_days(signins: list[dict[str, Any]]) -> None:
    vpn = [r for r in signins if r["autonomousSystemNumber"] == 64502]
    assert len({r["userPrincipalName"] for r in vpn}) >= 10
    assert len({r["createdDateTime"][:10] for r in vpn}) >= 10
    assert {r["location"]["countryOrRegion"] for r in vpn} == {"NL"}
    assert all(r["ipAddress"].startswith("203.0.113.2") for r in vpn)


def test_mobile_address_churn(lookalike: dict[str, Any], signins: list[dict[str, Any]]) -> None:
    mobile = [r for r in signins if r["autonomousSystemNumber"] == 64500]
    assert all(r["ipAddress"].startswith("2001:db8:2") for r in mobile)
    per_user: dict[str, set[str]] = {}
    for record in mobile:
        per_user.setdefault(record["userPrincipalName"], set()).add(record["ipAddress"])
    churning = [user for user, addresses in per_user.items() if len(addresses) >= 10]
    assert len(churning) >= 5
    assert set(churning) <= set(lookalike["mobile-carrier-churn"]["accounts"])


def test_weekly_newsletter_mondays(journal: list[Message]) -> None:
    news = [m for m in journal if loaders.addresses(m, "From") == ["news@example.com"]]
    days = {parsedate_to_datetime(m["Date"]).date() for m in news}
    assert days and all(d.weekday() == 0 for d in days)
    monday = min(days)
    recipients = [
        a
        for m in news
        if parsedate_to_datetime(m["Date"]).date() == monday
        for a in loaders.addresses(m, "To")
    ]
    external = [a for a in recipients if not a.endswith("@example.com")]
    assert len(external) == 300
    assert len(recipients) - len(external) == 50
    assert all(m["List-Unsubscribe"] for m in news)


def test_month_end_invoice_run(journal: list[Message]) -> None:
    invoices = [m for m in journal if loaders.addresses(m, "From") == ["invoices@example.com"]]
    per_day = Counter(parsedate_to_datetime(m["Date"]).date() for m in invoices)
    assert list(per_day) == [date(2026, 9, 30)]  # the only month end in 28 days from 21 Sep
    assert per_day[date(2026, 9, 30)] >= 150
    recipients = [a for m in invoices for a in loaders.addresses(m, "To")]
    assert len(recipients) == len(set(recipients))


def test_tidy_rules_from_usual_place(
    lookalike: dict[str, Any], audit: dict[str, dict[str, Any]], signins: list[dict[str, Any]]
) -> None:
    entry = lookalike["tidy-up-rules"]
    assert len(entry["accounts"]) >= 5
    for record_id in entry["audit_ids"]:
        rule = audit[record_id]
        params = {p["Name"]: p["Value"] for p in rule["Parameters"]}
        assert params["From"].startswith("news@")
        assert params.get("DeleteMessage") == "True" or params.get("MoveToFolder") == "Newsletters"
        assert not any("Words" in name for name in params)
        ip = rule["ClientIP"].rsplit(":", 1)[0].strip("[]")
        same_day = [
            r
            for r in signins
            if r["userPrincipalName"] == rule["UserId"]
            and r["createdDateTime"][:10] == rule["CreationTime"][:10]
        ]
        assert ip in {r["ipAddress"] for r in same_day}


def test_admin_forwarding_internal(
    lookalike: dict[str, Any], audit: dict[str, dict[str, Any]]
) -> None:
    entry = lookalike["admin-forwarding"]
    changes = [audit[i] for i in entry["audit_ids"]]
    assert [c["Operation"] for c in changes] == ["Set-Mailbox", "Set-Mailbox"]
    assert {c["UserId"] for c in changes} == {"helpdesk-admin@example.com"}
    assert all(c["ClientIP"].startswith("203.0.113.") for c in changes)
    first = {p["Name"]: p["Value"] for p in changes[0]["Parameters"]}
    assert first["ForwardingAddress"].endswith("@example.com")
    assert first["Identity"] != first["ForwardingAddress"]


def test_new_vendor_late(
    lookalike: dict[str, Any], journal: list[Message], truth: dict[str, Any]
) -> None:
    entry = lookalike["new-vendor"]
    carrying = [
        m for m in journal if any(urlsplit(u).hostname == entry["host"] for u in loaders.links(m))
    ]
    assert carrying
    first = min(parsedate_to_datetime(m["Date"]).date() for m in carrying)
    assert date.fromisoformat(truth["period"]["end"]) - first < timedelta(days=14)
    from_domain = [
        m for m in journal if loaders.addresses(m, "From")[0].endswith("@" + entry["domain"])
    ]
    assert min(parsedate_to_datetime(m["Date"]).date() for m in from_domain) == first


def test_file_share_host_already_known(lookalike: dict[str, Any], journal: list[Message]) -> None:
    entry = lookalike["known-vendor-file-share"]
    final = next(m for m in journal if loaders.message_id(m) == entry["message_id"])
    final_time = parsedate_to_datetime(final["Date"])
    earlier = [
        m
        for m in journal
        if parsedate_to_datetime(m["Date"]) < final_time
        and any(urlsplit(u).hostname == entry["host"] for u in loaders.links(m))
    ]
    recipients = {a for m in earlier for a in loaders.addresses(m, "To")}
    assert len(recipients) >= 3
    sender = loaders.addresses(final, "From")[0]
    earlier_senders = {loaders.addresses(m, "From")[0] for m in earlier}
    assert sender not in earlier_senders
    domain = sender.split("@")[1]
    history = [
        m
        for m in journal
        if loaders.addresses(m, "From")[0].endswith("@" + domain)
        and parsedate_to_datetime(m["Date"]) < final_time
    ]
    assert len(history) >= 5
