"""OAuth consent records of Entra ID, as the Unified Audit Log and directory audits give them.

Three directory activities grant an application access:

- ``Consent to application``: a user, or an administrator for everyone, accepted an
  app's permission request. ``ConsentContext.IsAdminConsent`` and ``ConsentAction.
  Permissions`` (``[[Id: ..., ConsentType: Principal, Scope: Mail.Read offline_access,
  ...]]``) describe it, and the target is the app.
- ``Add delegated permission grant``: the grant itself, with ``DelegatedPermissionGrant.
  Scope`` and ``.ConsentType`` (``AllPrincipals`` for an organisation-wide grant). The
  target is the resource (Microsoft Graph); ``ServicePrincipal.*`` name the client app.
- ``Add app role assignment grant to user`` and ``Add app role assignment to service
  principal``: an app role (``AppRole.Value`` such as ``Mail.Read`` or ``SMTP.SendAsApp``)
  given to a user or, as an application permission, to an app.

The Unified Audit Log writes the activity with a trailing full stop and the properties
as ``ModifiedProperties[{Name, NewValue}]``; directory audits (Graph, Azure Monitor, Log
Analytics) write ``targetResources[].modifiedProperties[{displayName, newValue}]`` with
each value JSON-quoted. Both reduce to a name-to-value mapping here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import orjson

CONSENT_ACTIVITIES = frozenset(
    {
        "consent to application",
        "add delegated permission grant",
        "add app role assignment grant to user",
        "add app role assignment to service principal",
    }
)
# Activities whose ``ServicePrincipal.*`` properties name the client app; for consent
# the app is the target itself.
_APP_ROLE_TO_APP = "add app role assignment to service principal"
_SCOPE = re.compile(r"Scope:\s*(?P<scopes>[^,\]]*)")
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
MAX_SCOPES = 100


def consent_activity(name: str) -> str | None:
    """Return the normalised consent activity of ``name``, or ``None`` for other activities."""
    activity = name.strip().rstrip(".").strip().casefold()
    return activity if activity in CONSENT_ACTIVITIES else None


@dataclass(frozen=True, slots=True)
class ConsentFacts:
    """What one consent record grants, to which app."""

    app_name: str | None
    app_id: str | None
    scopes: tuple[str, ...]
    admin_consent: bool


def unquote(value: str) -> str:
    """Return a directory audit value without its JSON quotes: ``"\\"True\\""`` is ``True``."""
    stripped = value.strip()
    if stripped.startswith('"') and stripped.endswith('"') and len(stripped) >= 2:
        try:
            decoded = orjson.loads(stripped)
        except orjson.JSONDecodeError:
            return stripped.strip('"')
        return decoded if isinstance(decoded, str) else stripped
    return stripped


def permission_scopes(permissions: str) -> list[str]:
    """Return the scopes in ``ConsentAction.Permissions`` after the change.

    The value reads ``[old grants] => [new grants]``; only the part after ``=>`` is
    granted once the consent completes.
    """
    granted = permissions.split("=>", 1)[1] if "=>" in permissions else permissions
    scopes: list[str] = []
    for match in _SCOPE.finditer(granted):
        scopes.extend(match["scopes"].split())
    return scopes


def consent_facts(
    activity: str,
    properties: dict[str, str],
    target_name: str | None,
    target_app_id: str | None,
) -> ConsentFacts:
    """Combine a consent record's properties and target into :class:`ConsentFacts`.

    ``properties`` maps property names to unquoted new values. ``target_name`` and
    ``target_app_id`` describe the record's target, which is the app only for
    ``Consent to application``.
    """
    scopes: list[str] = []
    scopes.extend(permission_scopes(properties.get("ConsentAction.Permissions", "")))
    scopes.extend(properties.get("DelegatedPermissionGrant.Scope", "").split())
    app_role = properties.get("AppRole.Value", "").strip()
    if app_role:
        scopes.append(app_role)

    consent_type = properties.get("DelegatedPermissionGrant.ConsentType", "")
    admin = (
        properties.get("ConsentContext.IsAdminConsent", "").casefold() == "true"
        or properties.get("ConsentContext.OnBehalfOfAll", "").casefold() == "true"
        or consent_type.casefold() == "allprincipals"
        or activity == _APP_ROLE_TO_APP  # an application permission acts on every mailbox
    )

    app_name = properties.get("ServicePrincipal.DisplayName") or None
    app_id = properties.get("ServicePrincipal.AppId") or None
    if activity == "consent to application":
        app_name = app_name or target_name
        names = properties.get("TargetId.ServicePrincipalNames", "")
        app_id = app_id or _first_guid(names) or target_app_id
    app_id = app_id or properties.get("ServicePrincipal.ObjectID") or None
    return ConsentFacts(
        app_name=app_name,
        app_id=app_id.lower() if app_id else None,
        scopes=tuple(dict.fromkeys(s for s in scopes if s))[:MAX_SCOPES],
        admin_consent=admin,
    )


def _first_guid(text: str) -> str | None:
    match = _GUID.search(text)
    return match.group(0) if match else None
