"""Mapping of Defender XDR Advanced Hunting email rows to normalised events.

``EmailEvents`` has one row per recipient and ``EmailUrlInfo`` one row per URL, so
consecutive rows with the same ``NetworkMessageId`` are merged into one
:class:`~chainwatch.events.EmailMessage` or :class:`~chainwatch.events.MessageLinks`.
The merge is streaming: a message is emitted when the id changes or the input ends,
so rows of one message split by other rows become two events with the same
``event_id``, which the store deduplicates. ``UrlClickEvents`` rows map one to one to
:class:`~chainwatch.events.LinkClick`.

Every event time is the row's ``Timestamp``. The streaming envelope's ``time`` and
Sentinel's ``TimeGenerated`` are when the record was processed or ingested.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from chainwatch.events import AuthResults, EmailMessage, Link, LinkClick, MessageLinks, Origin
from chainwatch.read.base import ReadItem, Rejected, Skipped
from chainwatch.read.ip import parse_ip
from chainwatch.read.mail_links import effective_link, normalise_host, url_host
from chainwatch.read.siem_table import json_cell, table_time, text
from chainwatch.read.ual_input import FieldError, is_truthy

EMAIL_EVENTS = "EmailEvents"
EMAIL_URL_INFO = "EmailUrlInfo"
URL_CLICK_EVENTS = "UrlClickEvents"
MODELLED_TABLES = (EMAIL_EVENTS, EMAIL_URL_INFO, URL_CLICK_EVENTS)

# Columns that only some Defender tables have, lower-cased, to name the table of a
# plain Advanced Hunting export that has no ``Type`` column.
_TABLE_MARKERS: tuple[tuple[str, frozenset[str]], ...] = (
    (URL_CLICK_EVENTS, frozenset({"isclickedthrough"})),
    (URL_CLICK_EVENTS, frozenset({"accountupn", "url", "actiontype"})),
    (EMAIL_URL_INFO, frozenset({"urllocation"})),
    (EMAIL_URL_INFO, frozenset({"networkmessageid", "url", "urldomain"})),
    ("EmailAttachmentInfo", frozenset({"networkmessageid", "sha256", "filename"})),
    ("EmailPostDeliveryEvents", frozenset({"networkmessageid", "actiontrigger"})),
    (EMAIL_EVENTS, frozenset({"networkmessageid", "deliveryaction"})),
    (EMAIL_EVENTS, frozenset({"networkmessageid", "senderfromaddress", "recipientemailaddress"})),
)

# Columns left out of the row digest that replaces a missing ReportId, because they
# describe the export or the ingestion, not the click.
_INGESTION_COLUMNS = frozenset(
    {"reportid", "timegenerated", "tenantid", "sourcesystem", "type", "_timereceivedbysvc"}
)


def table_name(declared: str, row: dict[str, Any]) -> str | None:
    """Return the Advanced Hunting table of a row with lower-cased keys.

    ``declared`` is the streaming category without its ``AdvancedHunting-`` prefix or
    a Sentinel ``Type`` value. When it is empty, the columns name the table.
    """
    if declared:
        return declared
    keys = set(row)
    for table, markers in _TABLE_MARKERS:
        if markers <= keys:
            return table
    return None


@dataclass
class _Message:
    """Rows of one message collected so far."""

    table: str
    network_message_id: str
    origin: Origin
    time: datetime
    first: dict[str, Any]
    recipients: dict[str, None] = field(default_factory=dict)
    links: dict[str, Link] = field(default_factory=dict)


class DefenderRows:
    """Turns Defender rows into events, merging consecutive rows of one message."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._pending: _Message | None = None

    def add(
        self, table: str, row: dict[str, Any], origin: Origin, raw: bytes
    ) -> Iterator[ReadItem]:
        """Map one row with lower-cased keys, first yielding any message the row completes."""
        if table not in MODELLED_TABLES:
            yield from self.finish()
            yield Skipped(origin, f"Defender table {table}")
            return
        try:
            if table == URL_CLICK_EVENTS:
                yield from self.finish()
                yield self._click(row, origin)
                return
            yield from self._add_message_row(table, row, origin)
        except FieldError as exc:
            record_id = text(row.get("reportid")) or text(row.get("networkmessageid")) or None
            yield Rejected(origin, exc.reason, field=exc.field, record_id=record_id, raw=raw)

    def finish(self) -> Iterator[ReadItem]:
        """Yield the message still being collected, if any."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        if pending.table == EMAIL_EVENTS:
            yield self._email(pending)
        else:
            yield MessageLinks(
                event_id=f"defender-links:{pending.network_message_id}",
                time=pending.time,
                source=self.source,
                origin=pending.origin,
                network_message_id=pending.network_message_id,
                links=tuple(pending.links.values()),
            )

    def _add_message_row(
        self, table: str, row: dict[str, Any], origin: Origin
    ) -> Iterator[ReadItem]:
        network_message_id = text(row.get("networkmessageid")).lower()
        if not network_message_id:
            raise FieldError(
                "NetworkMessageId",
                f"missing, so this is not an {table} row; its columns belong to another "
                "table (the export or the stream labelled it wrongly)",
            )
        time = table_time(row.get("timestamp"), "Timestamp")
        link = _url_link(row) if table == EMAIL_URL_INFO else None

        pending = self._pending
        if pending is None or (pending.table, pending.network_message_id) != (
            table,
            network_message_id,
        ):
            yield from self.finish()
            pending = _Message(table, network_message_id, origin, time, row)
            self._pending = pending
        pending.time = min(pending.time, time)
        recipient = text(row.get("recipientemailaddress")).lower()
        if recipient:
            pending.recipients[recipient] = None
        if link is not None:
            pending.links.setdefault(link.url, link)

    def _email(self, message: _Message) -> EmailMessage:
        row = message.first
        internet_id = text(row.get("internetmessageid")).strip("<>").strip().lower() or None
        event_id = (
            f"mail:{internet_id}" if internet_id else f"defender-mail:{message.network_message_id}"
        )
        ip_raw = text(row.get("senderipv4")) or text(row.get("senderipv6"))
        subject = row.get("subject")
        # NOTE: EmailEvents has no body, so text_excerpt stays None. Attachment names and
        # types are in EmailAttachmentInfo rows, which are skipped because no event
        # carries them apart from their message yet.
        return EmailMessage(
            event_id=event_id,
            time=message.time,
            source=self.source,
            origin=message.origin,
            message_id=internet_id,
            sender=text(row.get("senderfromaddress")).lower() or None,
            sender_name=text(row.get("senderdisplayname")) or None,
            envelope_sender=text(row.get("sendermailfromaddress")).lower() or None,
            recipients=tuple(message.recipients),
            subject=subject if isinstance(subject, str) else None,
            auth=_auth(row.get("authenticationdetails")),
            sending_ip=parse_ip(ip_raw)[0],
            date_source="defender",
            network_message_id=message.network_message_id,
            delivery_action=text(row.get("deliveryaction")) or None,
        )

    def _click(self, row: dict[str, Any], origin: Origin) -> LinkClick:
        user = text(row.get("accountupn")).lower()
        if not user:
            raise FieldError("AccountUpn", "missing")
        link = _url_link(row)
        ip_raw = text(row.get("ipaddress")) or None
        report_id = text(row.get("reportid"))
        return LinkClick(
            event_id=f"click:{report_id}" if report_id else f"click:sha256:{_row_digest(row)}",
            time=table_time(row.get("timestamp"), "Timestamp"),
            source=self.source,
            origin=origin,
            user=user,
            url=link.url,
            host=link.host,
            ip=parse_ip(ip_raw)[0],
            ip_raw=ip_raw,
            action=text(row.get("actiontype")) or None,
            clicked_through=is_truthy(row.get("isclickedthrough")),
            network_message_id=text(row.get("networkmessageid")).lower() or None,
            workload=text(row.get("workload")) or None,
        )


def _url_link(row: dict[str, Any]) -> Link:
    url = text(row.get("url"))
    if not url:
        raise FieldError("Url", "missing")
    link = effective_link(url)
    if link is not None:
        return link
    # Not an http(s) or ftp URL (mailto:, a bare host): keep it with the host Defender gave.
    host = normalise_host(text(row.get("urldomain"))) or url_host(url) or ""
    return Link(url=url, host=host)


def _auth(value: Any) -> AuthResults:
    """Read ``AuthenticationDetails``: JSON text such as ``{"SPF":"pass","DKIM":"none"}``."""
    try:
        details = json_cell(value, "AuthenticationDetails")
    except FieldError:
        details = None
    if not isinstance(details, dict):
        return AuthResults(available=False)
    verdicts = {str(key).lower(): text(result).lower() or None for key, result in details.items()}
    # NOTE: CompAuth (Microsoft's composite verdict) has no field in AuthResults and is dropped.
    return AuthResults(
        spf=verdicts.get("spf"), dkim=verdicts.get("dkim"), dmarc=verdicts.get("dmarc")
    )


def _row_digest(row: dict[str, Any]) -> str:
    click_fields = {key: row[key] for key in sorted(row) if key not in _INGESTION_COLUMNS}
    return hashlib.sha256(orjson.dumps(click_fields, default=str)).hexdigest()
