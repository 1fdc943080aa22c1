"""Bad input through the command line: nothing crashes, nothing is lost, errors name the place."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
from click.testing import CliRunner

from chainwatch.cli import main

GOOD_SIGNIN = {
    "id": "7d3e0000-0000-4000-8000-000000000001",
    "createdDateTime": "2026-10-01T09:00:00Z",
    "userPrincipalName": "dana@example.com",
    "ipAddress": "203.0.113.50",
    "status": {"errorCode": 0},
    "location": {"countryOrRegion": "GB"},
}


def write_mixed_folder(folder: Path) -> None:
    folder.mkdir()
    lines = [
        json.dumps(GOOD_SIGNIN),
        '{"id": "broken", "createdDateTime": ',  # truncated JSON line
        json.dumps(GOOD_SIGNIN | {"id": "7d3e0000-0000-4000-8000-000000000002"}),
    ]
    (folder / "signins.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "notes.bin").write_bytes(b"\x00\x01\x02 not an export \xff")
    (folder / "empty.json").write_bytes(b"")


def analyze(folder: Path, db: Path, *extra: str):
    return CliRunner().invoke(
        main, ["analyze", str(folder), "--db", str(db), "--org-domain", "example.com", *extra]
    )


def test_mixed_folder_reads_good_and_sets_aside_bad(tmp_path: Path):
    folder = tmp_path / "export"
    write_mixed_folder(folder)
    result = analyze(folder, tmp_path / "c.db", "--json")
    assert result.exit_code == 0, result.output
    document = orjson.loads(result.stdout)
    assert document["read"]["events"] == 2
    assert document["read"]["rejected"] == 3
    rejections = "\n".join(document["read"]["rejections"])
    assert "signins.jsonl, line 2" in rejections
    assert "notes.bin" in rejections
    assert "empty.json" in rejections


def test_rejected_command_lists_records_with_position(tmp_path: Path):
    folder = tmp_path / "export"
    write_mixed_folder(folder)
    db = tmp_path / "c.db"
    assert analyze(folder, db).exit_code == 0
    listed = CliRunner().invoke(main, ["rejected", "--db", str(db)])
    assert listed.exit_code == 0, listed.output
    assert "line 2" in listed.output
    assert "format not recognised" in listed.output


def test_rerun_keeps_rejections_once(tmp_path: Path):
    folder = tmp_path / "export"
    write_mixed_folder(folder)
    db = tmp_path / "c.db"
    assert analyze(folder, db).exit_code == 0
    assert analyze(folder, db).exit_code == 0
    listed = CliRunner().invoke(main, ["rejected", "--db", str(db), "--json"])
    assert len(orjson.loads(listed.stdout)["rejected"]) == 3


def test_missing_path_is_a_usage_error(tmp_path: Path):
    result = CliRunner().invoke(main, ["analyze", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_invalid_config_is_one_line_error(tmp_path: Path):
    folder = tmp_path / "export"
    folder.mkdir()
    config = tmp_path / "bad.toml"
    config.write_text('[known_networks]\n"not-a-network" = "office"\n', encoding="utf-8")
    result = analyze(folder, tmp_path / "c.db", "--config", str(config))
    assert result.exit_code == 2
    assert "error:" in result.output
    assert "not-a-network" in result.output
    assert "Traceback" not in result.output


def test_unknown_incident_is_reported(tmp_path: Path):
    folder = tmp_path / "export"
    folder.mkdir()
    db = tmp_path / "c.db"
    assert analyze(folder, db).exit_code == 0
    result = CliRunner().invoke(main, ["show", "INC-doesnotexist", "--db", str(db)])
    assert result.exit_code == 2
    assert "not found" in result.output


def test_hostile_text_is_escaped_in_report(tmp_path: Path):
    folder = tmp_path / "export"
    folder.mkdir()
    db = tmp_path / "c.db"
    # A rule whose name carries an ANSI sequence and a right-to-left override.
    rule = {
        "CreationTime": "2026-10-01T09:00:00",
        "Id": "0a000000-0000-4000-8000-00000000aaaa",
        "Operation": "New-InboxRule",
        "RecordType": 1,
        "ResultStatus": "True",
        "UserId": "dana@example.com",
        "Workload": "Exchange",
        "ClientIP": "203.0.113.45",
        "ObjectId": "example.com/dana\\x",
        "Parameters": [
            {"Name": "Name", "Value": "\u001b[2J\u202eevil"},
            {"Name": "ForwardTo", "Value": "drop@example.net"},
        ],
    }
    (folder / "ual.json").write_text(json.dumps([rule]), encoding="utf-8")
    result = analyze(folder, db)
    assert result.exit_code == 0, result.output
    listed = CliRunner().invoke(main, ["incidents", "--db", str(db)])
    incident_id = listed.output.split()[0]
    shown = CliRunner().invoke(main, ["show", incident_id, "--db", str(db)])
    assert "\x1b" not in shown.output
    assert "\u202e" not in shown.output
    assert "\\x1b[2J\\u202eevil" in shown.output


def test_read_only_commands_do_not_create_database(tmp_path: Path):
    db = tmp_path / "missing.db"
    for command in (["incidents"], ["show", "INC-1"], ["rejected"]):
        result = CliRunner().invoke(main, [*command, "--db", str(db)])
        assert result.exit_code == 2, command
        assert "not found" in result.output
    assert not db.exists()


def test_foreign_sqlite_file_is_left_alone(tmp_path: Path):
    import sqlite3

    db = tmp_path / "other.sqlite"
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE contacts (name TEXT)")
    folder = tmp_path / "export"
    write_mixed_folder(folder)
    result = analyze(folder, db)
    assert result.exit_code == 2
    assert "not a chainwatch database" in result.output
    with sqlite3.connect(db) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert tables == {"contacts"}


def test_empty_folder_warns(tmp_path: Path):
    folder = tmp_path / "empty"
    folder.mkdir()
    result = analyze(folder, tmp_path / "c.db", "--json")
    assert result.exit_code == 0
    [warning] = orjson.loads(result.stdout)["warnings"]
    assert "no supported export found" in warning


def test_truncated_json_document_keeps_complete_records(tmp_path: Path):
    folder = tmp_path / "export"
    folder.mkdir()
    page = {
        "@odata.context": "https://graph.example/$metadata#auditLogs/signIns",
        "value": [
            GOOD_SIGNIN | {"id": f"7d3e0000-0000-4000-8000-00000000010{i}"} for i in range(6)
        ],
    }
    text = json.dumps(page, indent=2)
    (folder / "signins.json").write_text(text[: len(text) * 3 // 4], encoding="utf-8")
    result = analyze(folder, tmp_path / "c.db", "--json")
    document = orjson.loads(result.stdout)
    assert document["read"]["events"] == 4
    assert document["read"]["rejected"] == 1
    assert "4 complete records before it were read" in document["read"]["rejections"][0]


def test_latin1_byte_costs_a_character_not_the_record(tmp_path: Path):
    folder = tmp_path / "export"
    folder.mkdir()
    line = json.dumps(GOOD_SIGNIN | {"userDisplayName": "M__ller"}).encode().replace(b"__", b"\xfc")
    (folder / "signins.jsonl").write_bytes(line + b"\n")
    result = analyze(folder, tmp_path / "c.db", "--json")
    assert orjson.loads(result.stdout)["read"]["events"] == 1


def test_changed_domains_warn_until_rescore(tmp_path: Path):
    folder = tmp_path / "export"
    write_mixed_folder(folder)
    db = tmp_path / "c.db"
    first = CliRunner().invoke(
        main, ["analyze", str(folder), "--db", str(db), "--org-domain", "example.org", "--json"]
    )
    assert first.exit_code == 0
    changed = CliRunner().invoke(
        main, ["analyze", str(folder), "--db", str(db), "--org-domain", "example.com", "--json"]
    )
    assert any("--rescore" in w for w in orjson.loads(changed.stdout)["warnings"])
    rescored = CliRunner().invoke(
        main,
        [
            "analyze",
            str(folder),
            "--db",
            str(db),
            "--org-domain",
            "example.com",
            "--rescore",
            "--json",
        ],
    )
    document = orjson.loads(rescored.stdout)
    assert not any("--rescore" in w for w in document["warnings"])
    assert document["replayed"] == 2


FIELD_CASES = Path(__file__).resolve().parents[2] / ".." / "shared" / "field-cases"


def test_capped_export_marks_overlapping_incident(tmp_path: Path):
    import shutil

    import pytest

    if not FIELD_CASES.is_dir():
        pytest.skip(f"{FIELD_CASES} is absent")
    folder = tmp_path / "export"
    folder.mkdir()
    shutil.copy(FIELD_CASES / "FC-07.csv", folder)  # capped export on 2024-05-02
    shutil.copy(FIELD_CASES / "FC-01.json", folder)  # a hiding rule on 2024-05-14
    result = analyze(folder, tmp_path / "c.db", "--json")
    assert result.exit_code == 0, result.output
    document = orjson.loads(result.stdout)
    exports = [gap for gap in document["coverage"] if gap["kind"] == "export"]
    assert exports
    assert exports[0]["start"].startswith("2024-05-02")
    [incident] = document["incidents"]
    assert any("incomplete export" in gap for gap in incident["coverage"])


def test_nothing_found_warns_of_gaps(tmp_path: Path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "signins.jsonl").write_text(json.dumps(GOOD_SIGNIN) + "\n", encoding="utf-8")
    result = analyze(folder, tmp_path / "c.db")
    assert result.exit_code == 0
    assert "no audit log in the input" in result.output
    assert "the coverage gaps listed above may hide one" in result.output


def test_directory_merges_aliases_and_rescores_once(tmp_path: Path):
    folder = tmp_path / "export"
    folder.mkdir()
    object_id = "3f2b8c1d-5e6a-4b7c-9d0e-1f2a3b4c5d6e"
    lines = [
        json.dumps(
            GOOD_SIGNIN
            | {
                "id": f"7d3e0000-0000-4000-8000-00000000020{i}",
                "userPrincipalName": object_id if i % 2 else "dana@example.com",
            }
        )
        for i in range(4)
    ]
    (folder / "signins.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "c.db"
    assert analyze(folder, db).exit_code == 0

    users = tmp_path / "users"
    users.mkdir()
    (users / "users.json").write_text(
        json.dumps(
            {
                "value": [
                    {
                        "id": object_id,
                        "userPrincipalName": "dana@example.com",
                        "mail": "dana@example.com",
                        "displayName": "Dana",
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    first = orjson.loads(analyze(users, db, "--json").stdout)
    assert first["replayed"] == 4
    again = orjson.loads(analyze(users, db, "--json").stdout)
    assert again["replayed"] == 0
