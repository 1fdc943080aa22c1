"""Typed msgspec projection of Microsoft Graph ``signIn`` objects, read from JSON lines.

The generic sign-in path lower-cases every key, so that one mapping reads the Graph,
Azure Monitor and Log Analytics shapes. A typed projection matches keys exactly, so it
must know that no other spelling of a key it reads is present. :class:`GraphSignIn`
therefore forbids unknown keys: it names the Graph ``signIn`` properties it reads with
their types and the other documented properties (v1.0 and beta) as undecoded ``Raw``.

Any record that does not fit makes :func:`project_sign_in_line` return ``None``, and
the caller reads it through the generic path, which then produces the identical event
or ``Rejected`` item. That includes envelopes and Log Analytics rows, a key the lists
below do not name (a newer Graph property, another spelling), a field of another JSON
type, and a missing or invalid required field.
"""

from __future__ import annotations

import msgspec

from chainwatch.events import Location, Origin, SignIn
from chainwatch.read.base import ReadItem
from chainwatch.read.interned import EMPTY_LOCATION, interned_client, interned_record_location
from chainwatch.read.ip import parse_ip
from chainwatch.read.timestamps import parse_timestamp
from chainwatch.read.ual_projection import ABSENT, JsonInt

# Documented Graph signIn properties that the sign-in mapping does not read.
UNREAD_PROPERTIES = (
    "agent",
    "alternateSignInName",
    "appId",
    "appliedConditionalAccessPolicies",
    "appliedEventListeners",
    "appOwnerTenantId",
    "appTokenProtectionStatus",
    "authenticationAppDeviceDetails",
    "authenticationAppPolicyEvaluationDetails",
    "authenticationContextClassReferences",
    "authenticationDetails",
    "authenticationMethodsUsed",
    "authenticationProcessingDetails",
    "authenticationProtocol",
    "authenticationRequirement",
    "authenticationRequirementPolicies",
    "azureResourceId",
    "clientCredentialType",
    "conditionalAccessAudiences",
    "conditionalAccessStatus",
    "crossTenantAccessType",
    "deviceDetail",
    "federatedCredentialId",
    "flaggedForReview",
    "globalSecureAccessIpAddress",
    "homeTenantId",
    "homeTenantName",
    "incomingTokenType",
    "ipAddressFromResourceProvider",
    "isTenantRestricted",
    "isThroughGlobalSecureAccess",
    "managedServiceIdentity",
    "mfaDetail",
    "networkLocationDetails",
    "originalRequestId",
    "originalTransferMethod",
    "privateLinkDetails",
    "processingTimeInMilliseconds",
    "resourceDisplayName",
    "resourceId",
    "resourceOwnerTenantId",
    "resourceServicePrincipalId",
    "resourceTenantId",
    "riskDetail",
    "riskEventTypes",
    "riskEventTypes_v2",
    "riskLevel",
    "riskLevelAggregated",
    "riskLevelDuringSignIn",
    "riskState",
    "servicePrincipalCredentialKeyId",
    "servicePrincipalCredentialThumbprint",
    "servicePrincipalId",
    "servicePrincipalName",
    "sessionLifetimePolicies",
    "signInEventTypes",
    "signInIdentifier",
    "signInIdentifierType",
    "signInTokenProtectionStatus",
    "tokenIssuerName",
    "tokenIssuerType",
    "tokenProtectionStatusDetails",
    "uniqueTokenIdentifier",
    "userDisplayName",
    "userType",
)


class SignInStatus(msgspec.Struct, forbid_unknown_fields=True):
    """Graph ``signInStatus``: only ``errorCode`` is read."""

    errorCode: JsonInt | None = None
    failureReason: msgspec.Raw = ABSENT
    additionalDetails: msgspec.Raw = ABSENT


class SignInLocation(msgspec.Struct, forbid_unknown_fields=True):
    """Graph ``signInLocation``: country and city are read."""

    countryOrRegion: str | None = None
    city: str | None = None
    state: msgspec.Raw = ABSENT
    geoCoordinates: msgspec.Raw = ABSENT


class SignInFields(msgspec.Struct, forbid_unknown_fields=True):
    """The Graph ``signIn`` properties the sign-in mapping reads."""

    id: str | None = None
    createdDateTime: str | None = None
    userPrincipalName: str | None = None
    userId: str | None = None
    ipAddress: str | None = None
    userAgent: str | None = None
    appDisplayName: str | None = None
    clientAppUsed: str | None = None
    isInteractive: bool | None = None
    sessionId: str | None = None
    correlationId: str | None = None
    autonomousSystemNumber: JsonInt | None = None
    # Absent is UNSET; null fails the decode, so the generic path rejects it.
    status: SignInStatus | msgspec.UnsetType = msgspec.UNSET
    location: SignInLocation | None = None


GraphSignIn = msgspec.defstruct(
    "GraphSignIn",
    [(name, msgspec.Raw, ABSENT) for name in UNREAD_PROPERTIES],
    bases=(SignInFields,),
    forbid_unknown_fields=True,
)

_DECODER = msgspec.json.Decoder(GraphSignIn)


def _text(value: str | None) -> str:
    return "" if value is None else value.strip()


def project_sign_in_line(data: bytes, origin: Origin, source: str) -> ReadItem | None:
    """Decode one JSON line of a Graph sign-in into a ``SignIn``, or return ``None``.

    The caller has already enforced the line length and nesting depth limits.
    NOTE: msgspec skips ``Raw`` fields without converting numbers, so a number beyond
    the double range (1e400) in such a field is read here, while orjson on the generic
    path rejects the line as invalid JSON.
    """
    try:
        record: SignInFields = _DECODER.decode(data)
    except msgspec.DecodeError:
        return None

    record_id = _text(record.id)
    created = _text(record.createdDateTime)
    user = (_text(record.userPrincipalName) or _text(record.userId)).lower()
    if not (record_id and created and user):
        return None
    try:
        time = parse_timestamp(created)
    except ValueError:
        return None

    status = record.status
    if status is not msgspec.UNSET and status.errorCode is None:
        return None  # a status without errorCode: the generic path decides
    error_code = status.errorCode if status is not msgspec.UNSET else None
    ip_raw = _text(record.ipAddress) or None
    ip, port = parse_ip(ip_raw)
    return SignIn(
        event_id=f"signin:{record_id}",
        time=time,
        source=source,
        origin=origin,
        user=user,
        ip=ip,
        ip_raw=ip_raw,
        port=port,
        location=_location(record),
        client=interned_client(
            _text(record.userAgent) or None,
            _text(record.appDisplayName) or None,
            _text(record.clientAppUsed) or None,
        ),
        success=error_code in (0, None),
        error_code=error_code,
        interactive=True if record.isInteractive is None else record.isInteractive,
        session_id=_text(record.sessionId) or None,
        correlation_id=_text(record.correlationId) or None,
    )


def _location(record: SignInFields) -> Location:
    place = record.location
    country = _text(place.countryOrRegion) if place is not None else ""
    city = (_text(place.city) if place is not None else "") or None
    asn = record.autonomousSystemNumber
    if asn is not None and asn < 0:
        asn = None  # the generic path reads only unsigned digits
    if not (country or city or asn):
        return EMPTY_LOCATION
    return interned_record_location(country.upper() or None, city, asn)
