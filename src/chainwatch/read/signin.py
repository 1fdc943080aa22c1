"""Reader for Entra ID (Azure AD) sign-in logs in their three export shapes.

- Microsoft Graph ``auditLogs/signIns``: lowerCamelCase objects, alone, in arrays, as
  JSON lines or in ``{"value": [...]}`` pages.
- Azure Monitor diagnostic settings (Event Hub, storage): an envelope with ``category``
  (``SignInLogs``, ``NonInteractiveUserSignInLogs``) and the Graph object under
  ``properties``. The envelope's ``time`` is when Azure processed the record, often a
  minute or more after the sign-in, so the event time is ``properties.createdDateTime``.
- Log Analytics / Sentinel ``SigninLogs``: PascalCase columns, ``LocationDetails`` and
  ``Status`` as JSON text, ``IsInteractive`` as ``"true"``.

Directory audit records (Graph ``directoryAudit`` objects, or ``AuditLogs`` envelopes
mixed into a sign-in capture) go to :mod:`chainwatch.read.entra_audit`, which turns
OAuth consent into :class:`~chainwatch.events.AppConsent` and skips other activities.

Keys are matched without regard to case, which covers all three shapes at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from chainwatch.events import Client, Location, Origin, SignIn
from chainwatch.read.base import ReadItem, Rejected, Skipped
from chainwatch.read.entra_audit import entra_audit_item
from chainwatch.read.envelope import is_mixed_capture
from chainwatch.read.ip import parse_ip
from chainwatch.read.signin_projection import project_sign_in_line
from chainwatch.read.timestamps import parse_timestamp
from chainwatch.read.ual_input import (
    FieldError,
    JsonRecord,
    decode_head,
    is_truthy,
    iter_json_records,
)

USER_SIGN_IN_CATEGORIES = {
    "signinlogs": True,
    "noninteractiveusersigninlogs": False,
    "aadnoninteractiveusersigninlogs": False,
}
_SIGN_IN_MARKERS = ('"isinteractive"', "signinlogs", '"clientappused"')


class SignInReader:
    """Reads Entra ID user sign-ins from Graph, diagnostic-settings or Log Analytics exports."""

    name = "entra-signin"

    def sniff(self, head: bytes, path: str) -> bool:
        if is_mixed_capture(head):
            return False  # the Azure Monitor reader reads every family of such a file
        text = decode_head(head).lstrip()
        if not text.startswith(("[", "{")):
            return False
        lowered = text.lower()
        enveloped = '"timegenerated"' in lowered or '"properties"' in lowered
        if '"activitydisplayname"' in lowered and '"activitydatetime"' in lowered and not enveloped:
            # Graph directoryAudit objects. Log Analytics rows and Azure Monitor envelopes
            # of the same records go to their own readers.
            return True
        if '"createddatetime"' not in lowered:
            return False
        # A trimmed export may drop the optional keys; a user name with an address is enough.
        return any(m in lowered for m in _SIGN_IN_MARKERS) or (
            '"userprincipalname"' in lowered and '"ipaddress"' in lowered
        )

    def read(self, path: Path) -> Iterator[ReadItem]:
        project = partial(project_sign_in_line, source=self.name)
        for item in iter_json_records(path, project):
            if isinstance(item, JsonRecord):
                yield self._record(item)
            else:
                yield item

    def _record(self, item: JsonRecord) -> ReadItem:
        fields = _lower_keys(item.value)
        category_name = str(fields.get("category") or fields.get("type") or "")
        category = category_name.lower()
        if "activitydisplayname" in fields:
            # A Graph directoryAudit object; its category is the audit's, not a log's.
            return entra_audit_item(fields, item.origin, self.name, item.raw)
        if category == "auditlogs":
            return entra_audit_item(audit_fields(fields), item.origin, self.name, item.raw)
        if category and category not in USER_SIGN_IN_CATEGORIES:
            return Skipped(item.origin, unmodelled_category(category_name, fields))

        properties = fields.get("properties")
        sign_in = _lower_keys(properties) if isinstance(properties, dict) else fields
        record_id = sign_in.get("id")
        try:
            return sign_in_event(sign_in, fields, category, item.origin, self.name)
        except FieldError as exc:
            return Rejected(
                item.origin,
                exc.reason,
                field=exc.field,
                record_id=str(record_id) if record_id else None,
                raw=item.raw,
            )


def unmodelled_category(category_name: str, fields: dict[str, Any]) -> str:
    """Describe a record of a category that is not a user sign-in, for a ``Skipped`` item.

    ``fields`` has lower-cased keys. Directory audit records name their activity
    ("Consent to application", "Add app role assignment to service principal").
    """
    if category_name.lower() != "auditlogs":
        return f"Entra {category_name} record"
    properties = fields.get("properties")
    details = _lower_keys(properties) if isinstance(properties, dict) else {}
    activity = (
        _text(details.get("activitydisplayname"))
        or _text(fields.get("operationname"))
        or "(activity not named)"
    )
    return f"Entra directory audit activity {activity!r}"


def audit_fields(envelope: dict[str, Any]) -> dict[str, Any]:
    """Merge an Azure Monitor ``AuditLogs`` envelope with its ``properties``, keys lower-cased.

    ``properties`` wins, so the audit's own ``id`` and ``activityDisplayName`` are used,
    while the envelope still supplies ``operationName`` where a record lacks the activity.
    """
    properties = envelope.get("properties")
    return {**envelope, **(_lower_keys(properties) if isinstance(properties, dict) else {})}


def _lower_keys(record: dict[str, Any]) -> dict[str, Any]:
    return {str(key).lower(): value for key, value in record.items()}


def sign_in_event(
    sign_in: dict[str, Any],
    envelope: dict[str, Any],
    category: str,
    origin: Origin,
    source: str,
) -> SignIn:
    """Build a :class:`SignIn` from the sign-in fields, keys lower-cased.

    ``envelope`` is the diagnostic-settings wrapper, or the record itself for the other
    shapes; it supplies ``resultType`` when the sign-in has no ``status``.
    """
    record_id = _text(sign_in.get("id"))
    if not record_id:
        raise FieldError("id", "missing")
    created = _text(sign_in.get("createddatetime"))
    if not created:
        raise FieldError("createdDateTime", "missing")
    try:
        time = parse_timestamp(created)
    except ValueError as exc:
        raise FieldError("createdDateTime", str(exc)) from None

    for key, name in (("userprincipalname", "userPrincipalName"), ("userid", "userId")):
        value = sign_in.get(key)
        if value is not None and not isinstance(value, str):
            raise FieldError(name, f"is {type(value).__name__} {repr(value)[:80]}, not text")
    user = (_text(sign_in.get("userprincipalname")) or _text(sign_in.get("userid"))).lower()
    if not user:
        raise FieldError("userPrincipalName", "missing")

    ip_raw = _text(sign_in.get("ipaddress")) or None
    ip, port = parse_ip(ip_raw)
    error_code = _error_code(sign_in, envelope)
    return SignIn(
        event_id=f"signin:{record_id}",
        time=time,
        source=source,
        origin=origin,
        user=user,
        ip=ip,
        ip_raw=ip_raw,
        port=port,
        location=_location(sign_in),
        client=Client(
            user_agent=_text(sign_in.get("useragent")) or None,
            app=_text(sign_in.get("appdisplayname")) or None,
            protocol=_text(sign_in.get("clientappused")) or None,
        ),
        success=error_code in (0, None),
        error_code=error_code,
        interactive=_interactive(sign_in, category),
        session_id=_text(sign_in.get("sessionid")) or None,
        correlation_id=(
            _text(sign_in.get("correlationid")) or _text(envelope.get("correlationid")) or None
        ),
    )


def _text(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()


def _json_object(value: Any) -> dict[str, Any]:
    """Return a nested object that Log Analytics may have stored as JSON text."""
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            return {}
    return _lower_keys(value) if isinstance(value, dict) else {}


def _error_code(sign_in: dict[str, Any], envelope: dict[str, Any]) -> int | None:
    raw_status = sign_in.get("status")
    if (
        isinstance(raw_status, str)
        and raw_status.strip()
        and not raw_status.lstrip().startswith("{")
    ):
        # ConvertTo-Json without -Depth writes nested objects as their type name, so
        # whether the sign-in succeeded is unknown; guessing "success" would teach
        # failed attacker sign-ins to the baseline.
        raise FieldError(
            "status",
            f"is the text {raw_status[:80]!r}, not an object: the export lost nested "
            "fields; export again with ConvertTo-Json -Depth 10",
        )
    status = _json_object(raw_status)
    code = status.get("errorcode")
    if code is not None and code != "" and _error_number(code) is None:
        raise FieldError("status.errorCode", f"is {repr(code)[:80]}, not a number")
    if "status" in sign_in and not status and not _text(sign_in.get("resulttype")):
        # Success is unknown; guessing it would teach a failed sign-in to the baseline.
        raise FieldError("status", f"is {repr(raw_status)[:80]}, not an object with errorCode")
    for value in (code, sign_in.get("resulttype"), envelope.get("resulttype")):
        number = _error_number(value)
        if number is not None:
            return number
    return None


def _error_number(value: Any) -> int | None:
    """Return an error code given as a number or as digits with at most one sign."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = _text(value)
    digits = text.removeprefix("-")  # one sign only: int() rejects "--5"
    return int(text) if digits.isascii() and digits.isdigit() else None


def _interactive(sign_in: dict[str, Any], category: str) -> bool:
    value = sign_in.get("isinteractive")
    if value is not None and value != "":
        return is_truthy(value)
    return USER_SIGN_IN_CATEGORIES.get(category, True)


def _location(sign_in: dict[str, Any]) -> Location:
    details = _json_object(sign_in.get("locationdetails")) or _json_object(sign_in.get("location"))
    country = _text(details.get("countryorregion"))
    bare = sign_in.get("location")
    if not country and isinstance(bare, str) and len(bare.strip()) == 2:
        country = bare.strip()
    city = _text(details.get("city")) or None
    asn_text = _text(sign_in.get("autonomoussystemnumber"))
    asn = int(asn_text) if asn_text.isascii() and asn_text.isdigit() else None
    if not (country or city or asn):
        return Location()
    return Location(country=country.upper() or None, city=city, asn=asn, source="record")
