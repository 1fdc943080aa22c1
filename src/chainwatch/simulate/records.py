"""Simulated activity before it is written: messages, sign-ins and audit records.

Sign-ins and audit records are built here directly in their export shapes (Graph
``signIns`` objects and Management Activity API records), so the writers only split
them by week. Messages stay structured until :mod:`chainwatch.simulate.mailformat`
renders them, because one message is written to the journal, the trace and sometimes
a Maildir or a reported .eml.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chainwatch.simulate.tenant import ORG_DOMAIN, ClientProfile, Mailbox, Network, make_uuid

INVALID_PASSWORD = 50126


def audit_time(moment: datetime) -> str:
    """Format a UTC time as UAL ``CreationTime``: ISO 8601 without a zone."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file attached to a message, rendered base64-encoded."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class Message:
    """One email as the organisation's mail system saw it.

    ``direction`` is relative to ``example.com``. ``sending_ip`` is the outside server
    that delivered an inbound message, or the client address that submitted an
    outgoing one (Exchange records it as ``X-Originating-IP`` and trace ``FromIP``).
    """

    message_id: str  # without angle brackets
    time: datetime
    sender: Mailbox
    to: tuple[Mailbox, ...]
    subject: str
    paragraphs: tuple[str, ...]
    links: tuple[tuple[str, str], ...]  # (URL, anchor text)
    direction: str  # "inbound", "internal" or "outbound"
    sending_ip: str
    sender_utc_offset_minutes: int = 0
    cc: tuple[Mailbox, ...] = ()
    unsubscribe_url: str | None = None
    in_reply_to: str | None = None
    size: int = 0  # filled in when rendered
    attachments: tuple[Attachment, ...] = ()
    reply_to: Mailbox | None = None
    references: tuple[str, ...] = ()  # Message-IDs before in_reply_to, oldest first

    @property
    def recipients(self) -> tuple[Mailbox, ...]:
        return self.to + self.cc


@dataclass
class Timeline:
    """Everything that happened in the simulated period, in creation order."""

    messages: list[Message] = field(default_factory=list)
    sign_ins: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    # Entra ID audit log records (Graph ``directoryAudit`` shape), written as Azure Monitor
    # diagnostic records.
    directory_audit: list[dict[str, Any]] = field(default_factory=list)


class RecordFactory:
    """Build export-shaped records with ids drawn from one seeded generator."""

    def __init__(self, rng: random.Random, organisation_id: str, timeline: Timeline) -> None:
        self.rng = rng
        self.organisation_id = organisation_id
        self.timeline = timeline

    def new_id(self) -> str:
        return make_uuid(self.rng)

    def sign_in(
        self,
        moment: datetime,
        user: Mailbox,
        user_id: str,
        ip: str,
        network: Network,
        client: ClientProfile,
        *,
        interactive: bool = True,
        error_code: int = 0,
        correlation_id: str | None = None,
        resource: str = "Office 365 Exchange Online",
    ) -> dict[str, Any]:
        """Append a Graph beta ``signIn`` object and, for interactive attempts, its UAL record."""
        failure = "Other." if error_code == 0 else "Invalid username or password."
        record = {
            "id": self.new_id(),
            "createdDateTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "userDisplayName": user.name,
            "userPrincipalName": user.address,
            "userId": user_id,
            "appId": _APP_IDS[client.app_display_name],
            "appDisplayName": client.app_display_name,
            "clientAppUsed": client.client_app_used,
            "ipAddress": ip,
            "isInteractive": interactive,
            "correlationId": correlation_id or self.new_id(),
            "userAgent": client.user_agent,
            "autonomousSystemNumber": network.asn,
            "resourceDisplayName": resource,
            "status": {"errorCode": error_code, "failureReason": failure},
            "location": {
                "city": network.city,
                "state": network.state,
                "countryOrRegion": network.country,
            },
            "deviceDetail": {
                "deviceId": "",
                "displayName": "",
                "operatingSystem": client.operating_system,
                "browser": client.browser,
            },
        }
        self.timeline.sign_ins.append(record)
        if interactive:
            self.user_logged_in(moment, user, user_id, ip, client, success=error_code == 0)
        return record

    def _base(
        self, moment: datetime, operation: str, record_type: int, user: str, ip: str, workload: str
    ) -> dict[str, Any]:
        return {
            "CreationTime": audit_time(moment),
            "Id": self.new_id(),
            "Operation": operation,
            "OrganizationId": self.organisation_id,
            "RecordType": record_type,
            "ResultStatus": "Succeeded",
            "UserKey": user,
            "UserType": 0,
            "Version": 1,
            "Workload": workload,
            "ClientIP": ip,
            "UserId": user,
        }

    def user_logged_in(
        self,
        moment: datetime,
        user: Mailbox,
        user_id: str,
        ip: str,
        client: ClientProfile,
        *,
        success: bool = True,
    ) -> dict[str, Any]:
        operation = "UserLoggedIn" if success else "UserLoginFailed"
        record = self._base(moment, operation, 15, user.address, ip, "AzureActiveDirectory")
        record["ResultStatus"] = "Success" if success else "Failed"
        record["UserKey"] = user_id
        record["ActorIpAddress"] = ip
        record["ObjectId"] = "00000002-0000-0ff1-ce00-000000000000"
        record["ExtendedProperties"] = [
            {"Name": "ResultStatusDetail", "Value": "Success" if success else "UserError"},
            {"Name": "UserAgent", "Value": client.user_agent},
            {"Name": "RequestType", "Value": "OAuth2:Authorize"},
        ]
        if not success:
            record["LogonError"] = "InvalidUserNameOrPassword"
        self.timeline.audit.append(record)
        return record

    def file_access(
        self,
        moment: datetime,
        user: str,
        ip: str,
        client: ClientProfile,
        site: str,
        file_name: str,
        *,
        download: bool = False,
    ) -> dict[str, Any]:
        """Append a SharePoint ``FileAccessed`` or ``FileDownloaded`` record."""
        operation = "FileDownloaded" if download else "FileAccessed"
        record = self._base(moment, operation, 6, user, ip, "SharePoint")
        site_url = f"https://example.sharepoint.com/sites/{site}/"
        record.update(
            {
                "ObjectId": f"{site_url}Shared Documents/{file_name}",
                "ItemType": "File",
                "EventSource": "SharePoint",
                "SiteUrl": site_url,
                "SourceRelativeUrl": "Shared Documents",
                "SourceFileName": file_name,
                "SourceFileExtension": file_name.rsplit(".", 1)[-1],
                "UserAgent": client.user_agent,
            }
        )
        self.timeline.audit.append(record)
        return record

    def mail_items_accessed(
        self,
        moment: datetime,
        user: str,
        ip: str,
        message_ids: list[str],
        client_info: str,
        *,
        client_app_id: str | None = None,
    ) -> dict[str, Any]:
        """Append a ``MailItemsAccessed`` Bind record listing the Inbox items read.

        ``client_app_id`` is the application that read the mail on the user's behalf, as
        Exchange logs for Graph or EWS access with a delegated token.
        """
        record = self._base(moment, "MailItemsAccessed", 50, user, ip, "Exchange")
        if client_app_id is not None:
            record["AppId"] = client_app_id
            record["ClientAppId"] = client_app_id
        record.update(
            {
                # Real records name the address ClientIPAddress; ClientIP is kept as well
                # so both spellings are present.
                "ClientIPAddress": ip,
                "ClientInfoString": client_info,
                "MailboxOwnerUPN": user,
                "LogonType": 0,
                "ExternalAccess": False,
                "OperationCount": len(message_ids),
                "OperationProperties": [
                    {"Name": "MailAccessType", "Value": "Bind"},
                    {"Name": "IsThrottled", "Value": "False"},
                ],
                "Folders": [
                    {
                        "Path": "\\Inbox",
                        "FolderItems": [{"InternetMessageId": f"<{m}>"} for m in message_ids],
                    }
                ],
            }
        )
        self.timeline.audit.append(record)
        return record

    def exchange_cmdlet(
        self,
        moment: datetime,
        actor: str,
        ip: str,
        operation: str,
        object_id: str,
        parameters: list[tuple[str, str]],
    ) -> dict[str, Any]:
        """Append an Exchange admin-cmdlet record (``New-InboxRule``, ``Set-Mailbox``, ...).

        ``ClientIP`` carries a source port here, as Exchange writes it for cmdlets.
        """
        port = self.rng.randint(49152, 65535)
        client_ip = f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"
        record = self._base(moment, operation, 1, actor, client_ip, "Exchange")
        record.update(
            {
                "ResultStatus": "True",
                "ObjectId": object_id,
                "ExternalAccess": False,
                "OriginatingServer": "LO2P265MB0001 (15.20.8005.020)",
                "OrganizationName": "example.onmicrosoft.com",
                "Parameters": [{"Name": n, "Value": v} for n, v in parameters],
            }
        )
        self.timeline.audit.append(record)
        return record

    def inbox_rule(
        self,
        moment: datetime,
        user: str,
        ip: str,
        rule_name: str,
        conditions: list[tuple[str, str]],
        actions: list[tuple[str, str]],
    ) -> dict[str, Any]:
        """Append a ``New-InboxRule`` made by the mailbox owner."""
        parameters = [("AlwaysDeleteOutlookRulesBlob", "False"), ("Force", "False")]
        parameters += [("Name", rule_name), *conditions, *actions]
        object_id = f"{ORG_DOMAIN}/{user.split('@')[0]}\\{rule_name}"
        return self.exchange_cmdlet(moment, user, ip, "New-InboxRule", object_id, parameters)

    def update_inbox_rules(
        self,
        moment: datetime,
        user: str,
        ip: str,
        rule_name: str,
        condition: str,
        actions: list[dict[str, str]],
    ) -> dict[str, Any]:
        """Append an ``UpdateInboxRules`` record: a rule saved from Outlook for Windows.

        ``condition`` is the bracketed restriction text Exchange logs as ``RuleCondition``,
        and ``actions`` become the ``RuleActions`` JSON string.
        """
        record = self._base(moment, "UpdateInboxRules", 2, user, ip, "Exchange")
        record.update(
            {
                "ClientIPAddress": ip,
                "ClientInfoString": "Client=MSExchangeRPC",
                "ClientProcessName": "OUTLOOK.EXE",
                "ClientVersion": "16.0.17928.20114",
                "ExternalAccess": False,
                "LogonType": 0,
                "MailboxOwnerUPN": user,
                "OperationProperties": [
                    {"Name": "RuleOperation", "Value": "AddMailboxRule"},
                    {"Name": "RuleId", "Value": str(-self.rng.getrandbits(62))},
                    {"Name": "RuleState", "Value": "Enabled, ExitAfterExecution"},
                    {"Name": "RuleCondition", "Value": condition},
                    {"Name": "RuleName", "Value": rule_name},
                    {"Name": "RuleProvider", "Value": "RuleOrganizer"},
                    {"Name": "RuleActions", "Value": json.dumps(actions)},
                ],
            }
        )
        self.timeline.audit.append(record)
        return record

    def mail_items_deleted(
        self,
        moment: datetime,
        user: str,
        ip: str,
        operation: str,
        folder: str,
        items: list[tuple[str, str]],
    ) -> dict[str, Any]:
        """Append a ``SoftDelete``, ``HardDelete`` or ``MoveToDeletedItems`` record.

        ``items`` are ``(Message-ID, subject)`` pairs, all from ``folder`` (``\\Sent Items``).
        """
        record = self._base(moment, operation, 3, user, ip, "Exchange")
        folder_id = f"{self.rng.getrandbits(128):032X}"
        record.update(
            {
                "ClientIPAddress": ip,
                "ClientInfoString": "Client=OWA;Action=ViaProxy",
                "ExternalAccess": False,
                "LogonType": 0,
                "MailboxOwnerUPN": user,
                "CrossMailboxOperation": False,
                "Folder": {"Id": folder_id, "Path": folder},
                "AffectedItems": [
                    {
                        "Id": f"{self.rng.getrandbits(192):048X}",
                        "InternetMessageId": f"<{message_id}>",
                        "ParentFolder": {"Id": folder_id, "Path": folder},
                        "Subject": subject,
                    }
                    for message_id, subject in items
                ],
            }
        )
        self.timeline.audit.append(record)
        return record

    def consent(
        self,
        moment: datetime,
        user: Mailbox,
        user_id: str,
        ip: str,
        app_name: str,
        app_id: str,
        scope: str,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Append a user's consent to an application to the UAL and the Entra audit log.

        Returns the UAL ``Consent to application.`` record and the Graph ``directoryAudit``
        record of the same consent.
        """
        service_principal_id = self.new_id()
        resource_id = self.new_id()
        permissions = (
            f"[] => [[Id: {self.rng.getrandbits(160):040x}, ClientId: {service_principal_id}, "
            f"PrincipalId: {user_id}, ResourceId: {resource_id}, ConsentType: Principal, "
            f"Scope:  {scope}, CreatedDateTime: , LastModifiedDateTime ]]; "
        )
        modified = [
            ("ConsentContext.IsAdminConsent", "False"),
            ("ConsentContext.IsAppOnly", "False"),
            ("ConsentContext.OnBehalfOfAll", "False"),
            ("ConsentContext.Tags", "WindowsAzureActiveDirectoryIntegratedApp"),
            ("ConsentAction.Permissions", permissions),
            ("TargetId.ServicePrincipalNames", app_id),
        ]
        record = self._base(moment, "Consent to application.", 8, user.address, ip, "")
        record.update(
            {
                "ResultStatus": "Success",
                "UserKey": f"{user_id}@{ORG_DOMAIN}",
                "Workload": "AzureActiveDirectory",
                "ObjectId": app_id,
                "AzureActiveDirectoryEventType": 1,
                "ExtendedProperties": [
                    {
                        "Name": "additionalDetails",
                        "Value": json.dumps({"User-Agent": "EvoSTS", "AppId": app_id}),
                    },
                    {"Name": "extendedAuditEventCategory", "Value": "ServicePrincipal"},
                ],
                "ModifiedProperties": [
                    {"Name": n, "NewValue": v, "OldValue": ""} for n, v in modified
                ],
                "Actor": [
                    {"ID": user.address, "Type": 5},
                    {"ID": f"User_{user_id}", "Type": 2},
                    {"ID": user_id, "Type": 2},
                    {"ID": "User", "Type": 2},
                ],
                "Target": [
                    {"ID": f"ServicePrincipal_{service_principal_id}", "Type": 2},
                    {"ID": service_principal_id, "Type": 2},
                    {"ID": "ServicePrincipal", "Type": 2},
                    {"ID": app_name, "Type": 1},
                    {"ID": app_id, "Type": 2},
                    {"ID": app_id, "Type": 4},
                ],
            }
        )
        self.timeline.audit.append(record)

        audit = {
            "id": f"Directory_{self.new_id()}",
            "category": "ApplicationManagement",
            "correlationId": self.new_id(),
            "result": "success",
            "resultReason": "",
            "activityDisplayName": "Consent to application",
            "activityDateTime": moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "loggedByService": "Core Directory",
            "operationType": "Assign",
            "initiatedBy": {
                "user": {
                    "id": user_id,
                    "displayName": None,
                    "userPrincipalName": user.address,
                    "ipAddress": ip,
                },
                "app": None,
            },
            "targetResources": [
                {
                    "id": service_principal_id,
                    "displayName": app_name,
                    "type": "ServicePrincipal",
                    "modifiedProperties": [
                        {"displayName": n, "oldValue": None, "newValue": json.dumps(v)}
                        for n, v in modified
                    ],
                }
            ],
            "additionalDetails": [
                {"key": "User-Agent", "value": "EvoSTS"},
                {"key": "AppId", "value": app_id},
            ],
        }
        self.timeline.directory_audit.append(audit)
        return record, audit


# Application ids as Entra ID reports them for these first-party apps.
_APP_IDS = {
    "OfficeHome": "4765445b-32c6-49b0-83e6-1d93765276ca",
    "Microsoft Office": "d3590ed6-52b3-4102-aeff-aad2292ab01c",
    "Microsoft Outlook": "27922004-5251-4030-b22d-91ecd9a37ea4",
    "Office 365 Exchange Online": "00000002-0000-0ff1-ce00-000000000000",
}
