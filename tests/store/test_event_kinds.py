"""Every event kind has an account column rule and survives a round trip."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from chainwatch.events import EVENT_TYPES, Client
from chainwatch.store import Store
from chainwatch.store.ingest import ACCOUNT_FIELDS
from chainwatch.store.schema import events as events_table
from tests.store.builders import email, file_access, link_click, message_links, sign_in


def stored_account(store: Store, event_id: str) -> str | None:
    query = select(events_table.c.account).where(events_table.c.event_id == event_id)
    with store._engine.connect() as connection:
        return connection.execute(query).scalar_one()


def test_account_fields_cover_every_kind() -> None:
    assert set(ACCOUNT_FIELDS) == set(EVENT_TYPES)


def test_account_fields_name_real_fields() -> None:
    for kind, field_name in ACCOUNT_FIELDS.items():
        if field_name is not None:
            assert field_name in EVENT_TYPES[kind].__dataclass_fields__, kind


def test_message_links_round_trip(store: Store) -> None:
    links = message_links("1")

    store.add_events([links], store.start_run("read", ["EmailUrlInfo.csv"]))

    assert list(store.iter_events()) == [links]
    assert stored_account(store, links.event_id) is None


def test_link_click_round_trip(store: Store) -> None:
    click = link_click("1")

    store.add_events([click], store.start_run("read", ["UrlClickEvents.csv"]))

    assert list(store.iter_events()) == [click]
    assert stored_account(store, click.event_id) == "dana@example.com"


def test_link_click_found_by_account(store: Store) -> None:
    run_id = store.start_run("read", ["defender"])
    store.add_events([message_links("1", 0), link_click("2", 5)], run_id)

    found = [e.event_id for e in store.iter_events(account="dana@example.com")]

    assert found == ["defender-click:2"]
    assert store.counts()["link-click"] == 1
    assert store.counts()["email-links"] == 1


def test_new_optional_fields_round_trip(store: Store) -> None:
    legacy = replace(sign_in("imap"), client=Client(user_agent="BAV2ROPC", protocol="IMAP4"))
    items_read = replace(
        file_access("bind", 1),
        operation="MailItemsAccessed",
        access_type="Bind",
        message_ids=("abc@example.org", "def@example.org"),
    )
    defender_mail = replace(
        email("nmid", 2), network_message_id="6f0c1e1a", delivery_action="Junked"
    )
    saved = [legacy, items_read, defender_mail]

    store.add_events(saved, store.start_run("read", ["exports"]))

    assert list(store.iter_events()) == saved
