"""A small writer of OLE2 compound files for building .msg test files, and its tests.

olefile only reads, and no permissively licensed .msg sample ships in an installed
package, so the tests build their own. The writer follows [MS-CFB] version 3:
512-byte sectors, streams under 4096 bytes in the mini stream, and sibling entries
kept as a binary search tree ordered by name length and then upper-cased name.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import olefile

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
END_OF_CHAIN = 0xFFFFFFFE
FAT_SECTOR = 0xFFFFFFFD
FREE_SECTOR = 0xFFFFFFFF
NO_STREAM = 0xFFFFFFFF
SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class _Entry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    data: bytes = b""
    children: dict[str, _Entry] = field(default_factory=dict)
    left: int = NO_STREAM
    right: int = NO_STREAM
    child: int = NO_STREAM
    start: int = END_OF_CHAIN
    size: int = 0


def _sort_key(name: str) -> tuple[int, str]:
    return len(name), name.upper()


def _tree(root: _Entry) -> list[_Entry]:
    """Number every entry and link siblings as a balanced binary search tree."""
    entries = [root]

    def number(parent: _Entry) -> None:
        kids = sorted(parent.children.values(), key=lambda entry: _sort_key(entry.name))
        ids = []
        for kid in kids:
            ids.append(len(entries))
            entries.append(kid)

        def balance(low: int, high: int) -> int:
            if low > high:
                return NO_STREAM
            middle = (low + high) // 2
            node = entries[ids[middle]]
            node.left = balance(low, middle - 1)
            node.right = balance(middle + 1, high)
            return ids[middle]

        parent.child = balance(0, len(ids) - 1)
        for kid in kids:
            if kid.kind == 1:
                number(kid)

    number(root)
    return entries


def _chain(fat: list[int], start: int, count: int) -> None:
    for index in range(count):
        fat[start + index] = start + index + 1 if index < count - 1 else END_OF_CHAIN


def build_compound_file(streams: dict[str, bytes]) -> bytes:
    """Return a compound file holding ``streams``, keyed by "/"-separated paths."""
    root = _Entry("Root Entry", 5)
    for path, data in streams.items():
        node = root
        *folders, leaf = path.split("/")
        for folder in folders:
            node = node.children.setdefault(folder, _Entry(folder, 1))
        node.children[leaf] = _Entry(leaf, 2, data)
    entries = _tree(root)

    big = bytearray()
    mini = bytearray()
    big_starts: list[tuple[_Entry, int, int]] = []
    for entry in entries:
        if entry.kind != 2:
            continue
        entry.size = len(entry.data)
        if entry.size == 0:
            entry.start = END_OF_CHAIN
        elif entry.size < MINI_CUTOFF:
            entry.start = len(mini) // MINI_SECTOR
            mini += entry.data + b"\0" * (-len(entry.data) % MINI_SECTOR)
        else:
            sectors = -(-entry.size // SECTOR)
            big_starts.append((entry, len(big) // SECTOR, sectors))
            entry.start = len(big) // SECTOR
            big += entry.data + b"\0" * (-len(entry.data) % SECTOR)

    mini_fat: list[int] = []
    for entry in entries:
        if entry.kind == 2 and 0 < entry.size < MINI_CUTOFF:
            count = -(-entry.size // MINI_SECTOR)
            for index in range(count):
                last = index == count - 1
                mini_fat.append(END_OF_CHAIN if last else entry.start + index + 1)

    big_sectors = len(big) // SECTOR
    mini_stream_sectors = -(-len(mini) // SECTOR)
    mini_fat_bytes = b"".join(struct.pack("<I", value) for value in mini_fat)
    mini_fat_sectors = -(-len(mini_fat_bytes) // SECTOR)
    directory_sectors = -(-len(entries) * 128 // SECTOR)
    used = big_sectors + mini_stream_sectors + mini_fat_sectors + directory_sectors
    fat_sectors = 1
    while (used + fat_sectors) > fat_sectors * (SECTOR // 4):
        fat_sectors += 1
    assert fat_sectors <= 109, "test writer supports only header DIFAT entries"

    total = used + fat_sectors
    fat = [FREE_SECTOR] * (fat_sectors * SECTOR // 4)
    for _, start, count in big_starts:
        _chain(fat, start, count)
    mini_stream_start = big_sectors
    _chain(fat, mini_stream_start, mini_stream_sectors)
    mini_fat_start = mini_stream_start + mini_stream_sectors
    _chain(fat, mini_fat_start, mini_fat_sectors)
    directory_start = mini_fat_start + mini_fat_sectors
    _chain(fat, directory_start, directory_sectors)
    fat_start = directory_start + directory_sectors
    for index in range(fat_sectors):
        fat[fat_start + index] = FAT_SECTOR
    assert total <= len(fat)

    root.start = mini_stream_start if mini else END_OF_CHAIN
    root.size = len(mini)

    directory = bytearray()
    for entry in entries:
        name = entry.name.encode("utf-16-le")[:62]
        directory += name + b"\0" * (64 - len(name))
        directory += struct.pack(
            "<HBBIII16sIQQIQ",
            len(name) + 2,
            entry.kind,
            1,
            entry.left,
            entry.right,
            entry.child,
            b"\0" * 16,
            0,
            0,
            0,
            entry.start,
            entry.size,
        )
    while len(directory) % SECTOR:
        directory += b"\0" * 64 + struct.pack(
            "<HBBIII16sIQQIQ", 0, 0, 0, NO_STREAM, NO_STREAM, NO_STREAM, b"\0" * 16, 0, 0, 0, 0, 0
        )

    difat = [fat_start + index for index in range(fat_sectors)]
    difat += [FREE_SECTOR] * (109 - len(difat))
    header = SIGNATURE + b"\0" * 16
    header += struct.pack(
        "<HHHHH6sIII", 0x3E, 3, 0xFFFE, 9, 6, b"\0" * 6, 0, fat_sectors, directory_start
    )
    header += struct.pack(
        "<IIIIII",
        0,
        MINI_CUTOFF,
        mini_fat_start if mini_fat_sectors else END_OF_CHAIN,
        mini_fat_sectors,
        END_OF_CHAIN,
        0,
    )
    header += b"".join(struct.pack("<I", value) for value in difat)
    assert len(header) == SECTOR

    body = bytes(big)
    body += bytes(mini) + b"\0" * (-len(mini) % SECTOR)
    body += mini_fat_bytes + b"\0" * (-len(mini_fat_bytes) % SECTOR)
    body += bytes(directory)
    body += b"".join(struct.pack("<I", value) for value in fat)
    return header + body


def test_writer_round_trip(tmp_path: Path) -> None:
    streams = {
        "small": b"abc",
        "big": bytes(range(256)) * 40,
        "folder/inner": b"x" * 100,
        "folder/sub/deep": b"y" * 5000,
        "empty": b"",
    }
    path = tmp_path / "test.cfb"
    path.write_bytes(build_compound_file(streams))
    with olefile.OleFileIO(str(path), raise_defects=olefile.DEFECT_INCORRECT) as ole:
        for name, data in streams.items():
            assert ole.openstream(name).read() == data


def test_writer_many_siblings(tmp_path: Path) -> None:
    streams = {f"s{index:03d}": bytes([index]) * index for index in range(1, 60)}
    path = tmp_path / "many.cfb"
    path.write_bytes(build_compound_file(streams))
    with olefile.OleFileIO(str(path), raise_defects=olefile.DEFECT_INCORRECT) as ole:
        assert sorted("/".join(entry) for entry in ole.listdir()) == sorted(streams)
