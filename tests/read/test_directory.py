"""Directory files: Entra user downloads, Get-MgUser CSV and Graph users JSON."""

from __future__ import annotations

from pathlib import Path

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainwatch.events import DirectoryEntry
from chainwatch.read import read_file, registered_readers
from chainwatch.read.directory import DirectoryReader, proxy_addresses

from .conftest import corpus_file, field_case, notices_of, read_all, rejected_of, sniffs

READER = DirectoryReader()

# Entra admin center, Users, "Download users" (columns trimmed, order kept).
ENTRA_DOWNLOAD = """\
userPrincipalName,displayName,surname,mail,givenName,id,userType,jobTitle,department,\
accountEnabled,createdDateTime,VIP
dana@example.com,Dana Ito,Ito,Dana.Ito@example.com,Dana,3f2b8c1d-5e6a-4b7c-9d0e-1f2a3b4c5d6e,\
Member,Controller,Finance,True,2021-03-01T10:00:00Z,yes
Lee@Example.com,Lee Park,Park,,Lee,9a8b7c6d-0000-4000-8000-000000000002,Member,Clerk,\
Finance,True,2022-01-10T10:00:00Z,
"""

# Get-MgUser -All -Property ... | Export-Csv (Windows PowerShell 5.1 writes #TYPE).
MG_USER_CSV = """\
#TYPE Microsoft.Graph.PowerShell.Models.MicrosoftGraphUser
"Id","UserPrincipalName","DisplayName","Mail","ProxyAddresses","OnPremisesImmutableId",\
"RecipientTypeDetails","IsServiceAccount","Manager"
"3f2b8c1d-5e6a-4b7c-9d0e-1f2a3b4c5d6e","dana@example.com","Dana Ito","dana@example.com",\
"SMTP:dana@example.com;smtp:d.ito@example.com;smtp:dana@example.onmicrosoft.com;\
X500:/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=dana",\
"q1w2e3r4t5y6u7i8o9p0AA==","UserMailbox","","lee@example.com"
"5c5c0000-0000-4000-8000-000000000003","ap@example.com","Accounts Payable","ap@example.com",\
"SMTP:ap@example.com;smtp:invoices@example.com","","SharedMailbox","",""
"7e7e0000-0000-4000-8000-000000000004","svc-scan@example.com","Scanner","",\
"System.String[]","","UserMailbox","True",""
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _entries(path: Path) -> list[DirectoryEntry]:
    return [item for item in read_all(READER, path) if isinstance(item, DirectoryEntry)]


def test_entra_download_read(tmp_path: Path) -> None:
    path = _write(tmp_path, "users.csv", ENTRA_DOWNLOAD)
    name, items = read_file(path, registered_readers())
    items = list(items)
    assert name == READER.name
    assert rejected_of(items) == []
    dana, lee = (item for item in items if isinstance(item, DirectoryEntry))
    assert dana.upn == "dana@example.com"
    assert dana.aliases == ("3f2b8c1d-5e6a-4b7c-9d0e-1f2a3b4c5d6e", "dana.ito@example.com")
    assert dana.display_name == "Dana Ito"
    assert dana.department == "Finance"
    assert dana.is_vip is True
    assert lee.upn == "lee@example.com"
    assert lee.is_vip is False


def test_mg_user_csv_aliases(tmp_path: Path) -> None:
    dana = _entries(_write(tmp_path, "mg.csv", MG_USER_CSV))[0]
    assert dana.aliases == (
        "3f2b8c1d-5e6a-4b7c-9d0e-1f2a3b4c5d6e",
        "q1w2e3r4t5y6u7i8o9p0aa==",
        "d.ito@example.com",
        "dana@example.onmicrosoft.com",
        "/o=exchangelabs/ou=exchange administrative group (fydibohf23spdlt)/cn=recipients/cn=dana",
    )
    assert dana.manager == "lee@example.com"
    assert dana.is_shared_mailbox is False


def test_mg_user_csv_flags(tmp_path: Path) -> None:
    _, shared, service = _entries(_write(tmp_path, "mg.csv", MG_USER_CSV))
    assert shared.is_shared_mailbox is True
    assert "invoices@example.com" in shared.aliases
    assert service.is_service_account is True
    assert service.is_shared_mailbox is False


def test_unexpanded_proxy_array_notice(tmp_path: Path) -> None:
    items = read_all(READER, _write(tmp_path, "mg.csv", MG_USER_CSV))
    notices = notices_of(items)
    assert len(notices) == 1
    assert notices[0].kind == "data-loss"
    assert "1 of 3 rows" in notices[0].message
    service = [i for i in items if isinstance(i, DirectoryEntry)][2]
    assert service.aliases == ("7e7e0000-0000-4000-8000-000000000004",)


GRAPH_USERS = {
    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
    "value": [
        {
            "id": "3F2B8C1D-5E6A-4B7C-9D0E-1F2A3B4C5D6E",
            "userPrincipalName": "Dana@example.com",
            "displayName": "Dana Ito",
            "mail": "dana@example.com",
            "proxyAddresses": ["SMTP:dana@example.com", "smtp:d.ito@example.com"],
            "onPremisesImmutableId": None,
            "department": "Finance",
            "manager": {"id": "9a8b", "userPrincipalName": "Lee@Example.com"},
            "isVip": True,
        },
        {"id": "0000", "displayName": "No UPN"},
    ],
}


def test_graph_users_json(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    path.write_bytes(orjson.dumps(GRAPH_USERS))
    name, items = read_file(path, registered_readers())
    items = list(items)
    assert name == READER.name
    dana = next(item for item in items if isinstance(item, DirectoryEntry))
    assert dana.upn == "dana@example.com"
    assert dana.aliases == ("3f2b8c1d-5e6a-4b7c-9d0e-1f2a3b4c5d6e", "d.ito@example.com")
    assert dana.manager == "lee@example.com"
    assert dana.is_vip is True


def test_missing_upn_rejected(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    path.write_bytes(orjson.dumps(GRAPH_USERS))
    rejected = rejected_of(read_all(READER, path))
    assert len(rejected) == 1
    assert rejected[0].field == "userPrincipalName"
    assert rejected[0].record_id == "0000"
    assert rejected[0].origin.position.endswith("record 2")


def test_fc09_object_id_and_puid_are_aliases(tmp_path: Path) -> None:
    """FC-09 logs dana as a UPN, an object id and an Exchange PUID in UserKey."""
    records = [orjson.loads(line) for line in field_case("FC-09.jsonl").read_text().splitlines()]
    text = "UserPrincipalName,Id,PUID\ndana@example.com,3f2b8c1d-5e6a-4b7c-9d0e-1f2a3b4c5d6e,"
    text += "10037FFE8A1B2C3D\n"
    dana = _entries(_write(tmp_path, "users.csv", text))[0]
    object_id_user = records[1]["UserId"].lower()
    exchange_key = records[2]["UserKey"].lower()
    assert object_id_user in dana.aliases
    assert exchange_key in dana.aliases


def test_cribl_graph_user(tmp_path: Path) -> None:
    samples = orjson.loads(
        corpus_file("cribl-microsoft-graph-rest-io/data/samples/hVaE3o.json").read_bytes()
    )
    path = tmp_path / "users.jsonl"
    path.write_bytes(b"\n".join(s["_raw"].encode() for s in samples) + b"\n")
    assert sniffs(READER, path)
    entry = _entries(path)[0]
    assert entry.upn == "mscore@afos.io"
    assert entry.display_name == "Mike Score"
    assert entry.aliases == ("00000000-0000-0000-0000-000000000000",)


def test_proxy_address_forms() -> None:
    assert proxy_addresses('["SMTP:a@example.com","smtp:b@example.com"]') == [
        "a@example.com",
        "b@example.com",
    ]
    assert proxy_addresses("SMTP:a@example.com; sip:a@example.com") == ["a@example.com"]
    assert proxy_addresses("System.String[]") == []
    assert proxy_addresses(None) == []


def test_sniff_leaves_log_exports(tmp_path: Path) -> None:
    for name in ("FC-01.csv", "FC-02.csv", "FC-07.csv", "FC-37.csv", "FC-19.jsonl", "FC-14.jsonl"):
        assert not sniffs(READER, field_case(name)), name
    trace = corpus_file("cribl-o365-rest/data/samples/bxGVkT.json")
    assert not sniffs(READER, trace)


def test_sniff_leaves_graph_sign_ins(tmp_path: Path) -> None:
    samples = orjson.loads(
        corpus_file("cribl-microsoft-graph-rest-io/data/samples/7cieEB.json").read_bytes()
    )
    path = tmp_path / "signins.jsonl"
    path.write_bytes(b"\n".join(s["_raw"].encode() for s in samples) + b"\n")
    assert not sniffs(READER, path)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2048))
def test_reader_never_raises(tmp_path: Path, data: bytes) -> None:
    for name in ("random.json", "random.csv"):
        path = tmp_path / name
        path.write_bytes(data)
        list(READER.read(path))


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=400))
def test_reader_never_raises_on_rows(tmp_path: Path, body: str) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(MG_USER_CSV.split("\n", 2)[1] + "\n" + body, encoding="utf-8")
    list(READER.read(path))
