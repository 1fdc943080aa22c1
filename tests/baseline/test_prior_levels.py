"""Hierarchical prior: the account's peer group (directory department), then the org."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chainwatch.baseline.book import BaselineBook
from chainwatch.baseline.counts import org_prior
from chainwatch.baseline.signin import learn_signin, peer_group, signin_rarities

from ..detect.builders import sign_in
from .helpers import daily_signins

START = datetime(2024, 4, 1, tzinfo=UTC)
LATER = START + timedelta(days=15)
FINANCE = tuple(f"fin{i}@example.com" for i in range(5))
SALES = tuple(f"sales{i}@example.com" for i in range(15))


def trained(finance_peer: str | None = "finance", sales_peer: str | None = "sales"):
    """Finance works on Android phones, sales on Windows; everyone in GB."""
    book = BaselineBook()
    for user in FINANCE:
        for event in daily_signins(user, START, 14, os="Android"):
            learn_signin(book, event, peer=finance_peer)
    for user in SALES:
        for event in daily_signins(user, START, 14, os="Windows"):
            learn_signin(book, event, peer=sales_peer)
    return book


def os_rarity(book: BaselineBook, user: str, os: str):
    event = sign_in(user, LATER, os=os)
    return next(r for r in signin_rarities(book, event) if r.feature == "os")


def test_peer_group_key_is_normalised() -> None:
    assert peer_group("  Finance   Team ") == "finance team"


def test_peer_group_key_empty() -> None:
    assert peer_group("  ") is None


def test_peer_group_informs_prior() -> None:
    rarity = os_rarity(trained(), FINANCE[0], "Windows")

    assert rarity.prior_level == "peer group 'finance'"
    assert (rarity.prior_count, rarity.prior_total) == (0, 4)


def test_peer_prior_counts_group_members() -> None:
    # A sales account's new Android phone: no sales colleague uses Android.
    rarity = os_rarity(trained(), SALES[0], "Android")

    assert (rarity.prior_count, rarity.prior_total) == (0, 14)
    assert rarity.org_count == 5


def test_peer_share_changes_probability() -> None:
    with_peers = os_rarity(trained(), FINANCE[0], "Windows")
    without = os_rarity(trained(None, None), FINANCE[0], "Windows")

    assert without.prior_level == "organisation"
    assert with_peers.probability < without.probability


def test_small_group_falls_back_to_organisation() -> None:
    book = trained()
    learn_signin(book, sign_in("new@example.com", START, os="iOS"), peer="legal")

    rarity = os_rarity(book, "new@example.com", "Windows")

    assert rarity.prior_level == "organisation"


def test_seen_value_probability_uses_prior() -> None:
    book = trained()
    rarity = os_rarity(book, FINANCE[0], "Android")
    prior = org_prior(4, 4)
    expected = (rarity.entity_weight + 2 * prior) / (rarity.entity_weight_total + 2)

    assert rarity.probability == expected


def test_explanation_names_prior_level() -> None:
    text = os_rarity(trained(), FINANCE[0], "Windows").describe()

    assert "prior from peer group 'finance': 0 of 4" in text


def test_department_move_moves_counts() -> None:
    book = trained()
    mover = FINANCE[0]

    learn_signin(book, sign_in(mover, LATER, os="Android"), peer="sales")

    assert book.get("peer-signin", "finance")["features"]["os"]["Android"] == 4
    assert book.get("peer-signin", "sales")["features"]["os"]["Android"] == 1
    assert book.get("peer-signin", "finance")["users"] == 4
    assert book.get("peer-signin", "sales")["users"] == 16
