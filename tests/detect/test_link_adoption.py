"""Link rarity: organisation-wide adoption of a new tool and abused hosting services."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chainwatch.detect.link_rarity import RARE_LINK_THRESHOLD, LinkRarity, link_rarity
from chainwatch.enrich.abused_services import abused_service
from chainwatch.events import Link

from .builders import HISTORY_END, USERS, VENDORS, Run, email, link, month_of_history

NEW_TOOL = "https://app.newtool.example/board/1"
HIJACK = "account-hijack-link"


def _enriched_link(run: Run, url: str) -> Link:
    message = run.enricher.enrich(email(f"sales@{VENDORS[0]}", (USERS[0],), HISTORY_END,
                                        links=(link(url),)))  # fmt: skip
    return message.links[0]


@pytest.fixture(scope="module")
def trained() -> Run:
    run = Run()
    run.feed(month_of_history())
    return run


def test_unseen_host_is_rare(trained: Run) -> None:
    rarity = link_rarity(trained.book, _enriched_link(trained, NEW_TOOL), HISTORY_END)
    assert rarity.rarity == 1.0


def test_adoption_across_senders_not_rare() -> None:
    run = Run()
    run.feed(month_of_history())
    senders = [*USERS[:3], f"pm@{VENDORS[1]}", f"pm@{VENDORS[2]}"]
    adoption = [
        email(sender, USERS[index * 4 : index * 4 + 4], HISTORY_END + timedelta(hours=index),
              links=(link(NEW_TOOL),), subject=f"Board {index}")
        for index, sender in enumerate(senders)
    ]  # fmt: skip
    run.feed(adoption)
    now = HISTORY_END + timedelta(days=1)
    rarity = link_rarity(run.book, _enriched_link(run, NEW_TOOL), now)

    assert rarity.recent_senders == 5
    assert rarity.recent_recipients == 20
    assert rarity.adoption == pytest.approx(6.0)
    assert rarity.rarity < RARE_LINK_THRESHOLD
    assert "5 senders to 20 recipients in the last 7 days" in rarity.describe()


def test_adoption_expires_after_week() -> None:
    run = Run()
    run.feed(month_of_history())
    run.feed([email(USERS[0], USERS[1:6], HISTORY_END, links=(link(NEW_TOOL),))])
    later = HISTORY_END + timedelta(days=8)
    rarity = link_rarity(run.book, _enriched_link(run, NEW_TOOL), later)

    assert rarity.recent_senders == 0
    assert rarity.recent_recipients == 0


@pytest.mark.parametrize(
    ("url", "label", "category"),
    [
        ("https://forms.gle/AbC123", "forms.gle", "form builder"),
        ("https://docs.google.com/forms/d/e/1/viewform", "docs.google.com/forms", "form builder"),
        ("https://acme.wixsite.com/pay", "wixsite.com", "site builder"),
        ("https://create.piktochart.example/output/7", "piktochart.example", "infographic builder"),
        ("https://bafy.ipfs.dweb.link/", "dweb.link", "IPFS gateway"),
        ("https://bit.ly/3xyz", "bit.ly", "URL shortener"),
    ],
)
def test_abused_service_catalogue(url: str, label: str, category: str) -> None:
    service = abused_service(link(url))
    assert service is not None
    assert service.label == label
    assert service.category == category


def test_catalogue_path_prefix_only() -> None:
    assert abused_service(link("https://docs.google.com/spreadsheets/d/1")) is None


def test_abused_service_weights_rare_link(trained: Run) -> None:
    rarity = link_rarity(
        trained.book, _enriched_link(trained, "https://forms.gle/AbC123"), HISTORY_END
    )
    plain = link_rarity(trained.book, _enriched_link(trained, NEW_TOOL), HISTORY_END)

    assert rarity.service == "forms.gle"
    assert plain.service is None
    assert "a form builder service attackers use for lures" in rarity.describe()
    assert rarity.weighted_rarity >= plain.weighted_rarity


def test_weighted_rarity_boosts_service() -> None:
    fields = dict(
        host="forms.gle", domain="forms.gle", host_messages=0, domain_messages=1,
        host_senders=1, org_messages=500, org_days=30.0, flagged_by=None,
    )  # fmt: skip
    catalogued = LinkRarity(**fields, service="forms.gle", service_category="form builder")
    unlisted = LinkRarity(**fields)

    assert catalogued.rarity == pytest.approx(2 / 3)
    assert catalogued.weighted_rarity == pytest.approx(2 / 3 * 1.25)
    assert unlisted.weighted_rarity == pytest.approx(2 / 3)
    assert "weighted to 0.83" in catalogued.describe()
