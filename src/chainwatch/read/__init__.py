"""Readers for the exports responders have, chosen by content, not by file name.

:func:`read_paths` walks files and folders, asks each registered reader whether it
recognises a file from its first bytes, and yields what that reader produces. A file
no reader recognises becomes one :class:`~chainwatch.read.base.Rejected` item naming
the file, so nothing passes silently. Zip and gzip files are opened and their members
read the same way.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from chainwatch.events import Origin
from chainwatch.read.archive import (
    ARCHIVE_READER_NAME,
    DEFAULT_LIMITS,
    ArchiveBudget,
    ArchiveItem,
    archive_kind,
    iter_archive,
)
from chainwatch.read.base import Reader, ReadItem, Rejected

log = logging.getLogger(__name__)

SNIFF_BYTES = 64 * 1024


def registered_readers() -> list[Reader]:
    """Return every reader, most specific first: the first whose ``sniff`` accepts wins."""
    from chainwatch.read.defender import DefenderReader
    from chainwatch.read.directory import DirectoryReader
    from chainwatch.read.google import GoogleReportsReader
    from chainwatch.read.graph_mail import GraphMailReader
    from chainwatch.read.mail import EmlReader, MaildirMessageReader, MboxReader
    from chainwatch.read.message_trace import MessageTraceReader
    from chainwatch.read.outlook_msg import OutlookMsgReader
    from chainwatch.read.siem_azure_monitor import AzureMonitorReader
    from chainwatch.read.siem_log_analytics import LogAnalyticsReader
    from chainwatch.read.signin import SignInReader
    from chainwatch.read.ual import UalCsvReader, UalJsonReader

    return [
        DefenderReader(),
        OutlookMsgReader(),
        GraphMailReader(),  # before SignInReader: messages also have createdDateTime
        SignInReader(),
        AzureMonitorReader(),
        LogAnalyticsReader(),
        GoogleReportsReader(),
        UalJsonReader(),
        UalCsvReader(),
        MessageTraceReader(),
        DirectoryReader(),
        MboxReader(),
        MaildirMessageReader(),
        EmlReader(),
    ]


# Folders never holding exports. Other dot-folders are read: Maildir keeps its
# subfolders as ".Sent", ".Archive" and so on.
SKIPPED_FOLDERS = frozenset({".git", ".hg", ".svn", ".venv", "__pycache__", ".Trash-1000"})


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Yield every regular file under ``paths`` in a stable order, skipping hidden files."""
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIPPED_FOLDERS)
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(root) / name
        else:
            yield path


def _relabel(item: ReadItem, on_disk: str, display: str) -> ReadItem:
    """Replace a temporary member path in an item's origin by the name shown to the user."""
    if on_disk == display or item.origin.file != on_disk:
        return item
    return replace(item, origin=Origin(display, item.origin.position))


def _iter_file(
    path: Path, display: str, readers: list[Reader], depth: int, budget: ArchiveBudget
) -> Iterator[ArchiveItem]:
    """Yield ``(reader name, shown file, item)`` for one file, or for each member of an archive."""
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        reason = f"cannot open file: {exc.strerror}"
        yield None, display, Rejected(Origin(display, ""), reason)
        return

    kind = archive_kind(head)
    if kind is not None:

        def read_member(
            member: Path, member_display: str, member_depth: int
        ) -> Iterator[ArchiveItem]:
            return _iter_file(member, member_display, readers, member_depth, budget)

        yield from iter_archive(path, display, kind, read_member, depth + 1, budget=budget)
        return

    name, items = _read_plain_file(path, head, readers)
    on_disk = str(path)
    count = 0
    try:
        for item in items:
            count += 1
            yield name, display, _relabel(item, on_disk, display)
    except Exception as exc:
        # A reader must turn bad content into Rejected items; reaching here is a reader
        # bug. The rest of this file is set aside, named, and the run goes on.
        log.exception("reader %s failed on %s after %d records", name, display, count)
        reason = (
            f"reader {name} failed after {count} records ({type(exc).__name__}: {exc}); the "
            "rest of this file was not read. Please report this with the file"
        )
        yield name, display, Rejected(Origin(display, f"after record {count}"), reason)


def _read_plain_file(
    path: Path, head: bytes, readers: list[Reader]
) -> tuple[str | None, Iterator[ReadItem]]:
    for reader in readers:
        try:
            claimed = reader.sniff(head, str(path))
        except Exception:
            log.exception("reader %s failed to inspect %s", reader.name, path)
            claimed = False
        if claimed:
            return reader.name, reader.read(path)

    reason = (
        "empty file"
        if not head.strip()
        else "format not recognised: expected an export listed in docs/inputs.md (Unified "
        "Audit Log, Entra sign-ins, Log Analytics, Defender, Google Workspace, message trace, "
        "a directory file, mail as .eml, .msg, mbox, Maildir or Graph JSON, or a zip or gzip "
        "archive of those)"
    )
    return None, iter([Rejected(Origin(str(path), ""), reason, raw=head[:4096])])


def iter_file(path: Path, readers: list[Reader]) -> Iterator[ArchiveItem]:
    """Yield ``(reader name, shown file, item)`` for one input file.

    A zip or gzip file, recognised by its magic bytes, is opened and its members are
    read as files named ``archive.zip!member``; see :mod:`chainwatch.read.archive`.
    """
    yield from _iter_file(path, str(path), readers, 0, ArchiveBudget(DEFAULT_LIMITS))


def read_file(path: Path, readers: list[Reader]) -> tuple[str | None, Iterator[ReadItem]]:
    """Pick the reader for one file and return its name and items.

    An unreadable or unrecognised file yields a single ``Rejected`` item. For an
    archive the name is ``"archive"`` and the items are those of all its members;
    use :func:`iter_file` to get each member's reader name.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        return None, iter([Rejected(Origin(str(path), ""), f"cannot open file: {exc.strerror}")])

    if archive_kind(head) is not None:
        items = (item for _, _, item in iter_file(path, readers))
        return ARCHIVE_READER_NAME, items
    return _read_plain_file(path, head, readers)


def read_paths(paths: Iterable[Path]) -> Iterator[tuple[str | None, Path, ReadItem]]:
    """Yield ``(reader name, file, item)`` for every record under ``paths``.

    Members of archives are reported under ``Path("archive.zip!member")``.
    """
    readers = registered_readers()
    for path in iter_files(paths):
        for name, display, item in iter_file(path, readers):
            yield name, path if display == str(path) else Path(display), item
