"""Tests for zip and gzip inputs read member by member."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainwatch.events import EmailMessage, Event, Origin
from chainwatch.read import iter_file, read_file, read_paths, registered_readers
from chainwatch.read.archive import (
    ArchiveBudget,
    ArchiveItem,
    ArchiveLimits,
    archive_kind,
    iter_archive,
    safe_relative_path,
)
from chainwatch.read.base import Notice, Rejected
from tests.read.conftest import corpus_file

EML = (
    b"From: Billing <billing@vendor.example.org>\r\nTo: dana@example.com\r\n"
    b"Subject: Invoice\r\nDate: Tue, 14 May 2024 09:40:00 +0000\r\n"
    b"Message-ID: <zip-0001@vendor.example.org>\r\n\r\nSee https://pay.example.net/x\r\n"
)


def _graph_json(message_id: str) -> bytes:
    record = {
        "receivedDateTime": "2024-05-14T09:40:02Z",
        "internetMessageId": f"<{message_id}>",
        "from": {"emailAddress": {"address": "billing@vendor.example.org"}},
    }
    return json.dumps([record]).encode()


def _zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _items(path: Path) -> list[tuple[str | None, str, object]]:
    return list(iter_file(path, registered_readers()))


def _events(path: Path) -> list[Event]:
    return [item for _, _, item in _items(path) if isinstance(item, Event)]


def test_zip_members_read_with_member_origin(tmp_path: Path) -> None:
    path = _zip(tmp_path / "export.bin", {"mail/one.eml": EML, "graph.json": _graph_json("g@x")})
    items = _items(path)
    names = {name for name, _, _ in items}
    events = [item for _, _, item in items if isinstance(item, EmailMessage)]
    assert names == {"eml", "graph-mail"}
    assert {event.origin.file for event in events} == {
        f"{path}!mail/one.eml",
        f"{path}!graph.json",
    }


def test_read_paths_reports_member_path(tmp_path: Path) -> None:
    path = _zip(tmp_path / "export.zip", {"one.eml": EML})
    rows = list(read_paths([tmp_path]))
    assert [(name, str(file)) for name, file, _ in rows] == [("eml", f"{path}!one.eml")]


def test_read_file_on_archive(tmp_path: Path) -> None:
    path = _zip(tmp_path / "export.zip", {"one.eml": EML})
    name, items = read_file(path, registered_readers())
    assert name == "archive"
    assert [type(item).__name__ for item in items] == ["EmailMessage"]


def test_gzip_member_named_from_header(tmp_path: Path) -> None:
    path = tmp_path / "upload.gz"
    with gzip.GzipFile(filename="mail.eml", mode="wb", fileobj=path.open("wb")) as handle:
        handle.write(EML)
    (event,) = _events(path)
    assert event.origin.file == f"{path}!mail.eml"


def test_gzip_without_name_strips_suffix(tmp_path: Path) -> None:
    path = tmp_path / "messages.json.gz"
    path.write_bytes(gzip.compress(_graph_json("gz@x"), mtime=0))
    # gzip.compress writes no file name, so the member is named after the file.
    (event,) = _events(path)
    assert event.origin.file == f"{path}!messages.json"


def test_truncated_gzip_keeps_complete_lines(tmp_path: Path) -> None:
    lines = b"".join(_graph_json(f"m{i}@x").strip(b"[]") + b"\n" for i in range(2000))
    data = gzip.compress(lines)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    items = [item for _, _, item in _items(path)]
    truncated = [
        item for item in items if isinstance(item, Rejected) and "truncated" in item.reason
    ]
    assert len(truncated) == 1
    assert truncated[0].origin.file == f"{path}!cut.jsonl"
    assert sum(isinstance(item, EmailMessage) for item in items) > 100


def test_nested_zip_in_gzip_read(tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("one.eml", EML)
    path = tmp_path / "bundle.gz"
    path.write_bytes(gzip.compress(inner.getvalue()))
    (event,) = _events(path)
    assert event.origin.file == f"{path}!bundle!one.eml"


def test_nesting_deeper_than_two_rejected(tmp_path: Path) -> None:
    level3 = io.BytesIO()
    with zipfile.ZipFile(level3, "w") as archive:
        archive.writestr("one.eml", EML)
    level2 = io.BytesIO()
    with zipfile.ZipFile(level2, "w") as archive:
        archive.writestr("level3.zip", level3.getvalue())
    path = _zip(tmp_path / "level1.zip", {"level2.zip": level2.getvalue()})
    items = [item for _, _, item in _items(path)]
    assert len(items) == 1
    assert isinstance(items[0], Rejected)
    assert items[0].origin.file == f"{path}!level2.zip!level3.zip"
    assert "nested deeper" in items[0].reason


def test_ratio_bomb_rejected_and_rest_read(tmp_path: Path) -> None:
    bomb = b"\0" * (20 * 1024 * 1024)
    path = _zip(tmp_path / "bomb.zip", {"zeros.json": bomb, "one.eml": EML})
    items = [item for _, _, item in _items(path)]
    rejected = [item for item in items if isinstance(item, Rejected)]
    assert len(rejected) == 1
    assert rejected[0].origin.file == f"{path}!zeros.json"
    assert "compression ratio" in rejected[0].reason
    assert sum(isinstance(item, EmailMessage) for item in items) == 1


def test_total_size_cap_yields_notice(tmp_path: Path) -> None:
    payload = EML + b"x" * 4000
    members = {f"m{i}.eml": payload for i in range(5)}
    path = _zip(tmp_path / "big.zip", members, zipfile.ZIP_STORED)
    limits = ArchiveLimits(max_total_bytes=3 * len(payload))
    budget = ArchiveBudget(limits)

    def read_member(member: Path, display: str, depth: int) -> Iterator[ArchiveItem]:
        yield "raw", display, Notice(Origin(display, ""), "read")

    items = list(iter_archive(path, str(path), "zip", read_member, budget=budget))
    read = [item for _, _, item in items if isinstance(item, Notice) and item.message == "read"]
    capped = [item for _, _, item in items if isinstance(item, Notice) and "capped" in item.message]
    assert len(read) == 3
    assert len(capped) == 1
    assert f"{path}!m3.eml" in capped[0].message


def test_twenty_thousand_members_capped(tmp_path: Path) -> None:
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for index in range(20_000):
            archive.writestr(f"m/{index}.txt", b"")
    items = [item for _, _, item in _items(path)]
    notices = [item for item in items if isinstance(item, Notice)]
    assert len(notices) == 1
    assert "20000 members" in notices[0].message
    assert sum(isinstance(item, Rejected) for item in items) == 10_000


def test_encrypted_member_rejected(tmp_path: Path) -> None:
    path = _zip(tmp_path / "locked.zip", {"secret.eml": EML, "open.eml": EML})
    data = bytearray(path.read_bytes())
    # Set the "encrypted" flag bit in the first member's central directory entry.
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 0x01
    path.write_bytes(bytes(data))
    items = [item for _, _, item in _items(path)]
    rejected = [item for item in items if isinstance(item, Rejected)]
    assert rejected[0].origin.file == f"{path}!secret.eml"
    assert "encrypted" in rejected[0].reason
    assert sum(isinstance(item, EmailMessage) for item in items) == 1


def test_traversal_names_read_only_as_names(tmp_path: Path) -> None:
    path = _zip(tmp_path / "evil.zip", {"../../escape.eml": EML, "/abs/root.eml": EML})
    events = _events(path)
    assert {event.origin.file for event in events} == {
        f"{path}!../../escape.eml",
        f"{path}!/abs/root.eml",
    }
    assert not (tmp_path.parent / "escape.eml").exists()


def test_maildir_layout_kept_inside_zip(tmp_path: Path) -> None:
    members = {"Maildir/cur/1.host:2,S": EML, "Maildir/new/": b"", "Maildir/tmp/": b""}
    path = _zip(tmp_path / "maildir.zip", members)
    (name, _, item) = _items(path)[0]
    assert name == "maildir"
    assert isinstance(item, EmailMessage)


def test_hidden_and_macos_members_skipped(tmp_path: Path) -> None:
    path = _zip(tmp_path / "mac.zip", {"__MACOSX/._one.eml": b"junk", ".DS_Store": b"x"})
    assert _items(path) == []


def test_broken_zip_rejected(tmp_path: Path) -> None:
    path = tmp_path / "broken.zip"
    path.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    (item,) = [item for _, _, item in _items(path)]
    assert isinstance(item, Rejected)
    assert "zip" in item.reason


def test_otrf_zip_member_origin() -> None:
    path = corpus_file(
        "otrf-security-datasets/datasets/compound/GoldenSAMLADFSMailAccess/OfficeActivityEvents.Zip"
    )
    items = [item for _, _, item in _items(path)]
    assert items
    assert all(item.origin.file == f"{path}!OfficeActivityEvents.json" for item in items)


def test_archive_kind_by_magic() -> None:
    assert archive_kind(b"PK\x03\x04rest") == "zip"
    assert archive_kind(b"\x1f\x8b\x08") == "gzip"
    assert archive_kind(b"From: a@example.com") is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "etc/passwd"),
        ("/abs/file.json", "abs/file.json"),
        ("C:\\Users\\x\\a.eml", "Users/x/a.eml"),
        ("..", "fallback"),
    ],
)
def test_safe_relative_path(name: str, expected: str) -> None:
    assert str(safe_relative_path(name, "fallback")) == expected


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=600), magic=st.sampled_from([b"PK\x03\x04", b"\x1f\x8b"]))
def test_random_archive_bytes_never_raise(tmp_path: Path, data: bytes, magic: bytes) -> None:
    path = tmp_path / "random.bin"
    path.write_bytes(magic + data)
    for _, _, item in _items(path):
        assert isinstance(item, (Event, Rejected, Notice))


def test_office_document_is_one_rejection(tmp_path: Path) -> None:
    import zipfile as zf

    path = tmp_path / "report.docx"
    with zf.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("docProps/core.xml", "<cp:coreProperties/>")
    items = [item for _, _, item in read_paths([path])]
    assert len(items) == 1
    assert isinstance(items[0], Rejected)
    assert "Office document" in items[0].reason
