"""Readers for the exports responders have, chosen by content, not by file name.

:func:`read_paths` walks files and folders, asks each registered reader whether it
recognises a file from its first bytes, and yields what that reader produces. A file
no reader recognises becomes one :class:`~chainwatch.read.base.Rejected` item naming
the file, so nothing passes silently.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from chainwatch.events import Origin
from chainwatch.read.base import Reader, ReadItem, Rejected

SNIFF_BYTES = 64 * 1024


def registered_readers() -> list[Reader]:
    """Return every reader, most specific first: the first whose ``sniff`` accepts wins."""
    from chainwatch.read.mail import EmlReader, MaildirMessageReader, MboxReader
    from chainwatch.read.message_trace import MessageTraceReader
    from chainwatch.read.signin import SignInReader
    from chainwatch.read.ual import UalCsvReader, UalJsonReader

    return [
        SignInReader(),
        UalJsonReader(),
        UalCsvReader(),
        MessageTraceReader(),
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


def read_file(path: Path, readers: list[Reader]) -> tuple[str | None, Iterator[ReadItem]]:
    """Pick the reader for one file and return its name and items.

    An unreadable or unrecognised file yields a single ``Rejected`` item.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        return None, iter([Rejected(Origin(str(path), ""), f"cannot open file: {exc.strerror}")])

    for reader in readers:
        if reader.sniff(head, str(path)):
            return reader.name, reader.read(path)

    reason = (
        "empty file"
        if not head.strip()
        else "format not recognised: expected Unified Audit Log JSON or CSV, Entra sign-in "
        "JSON, message trace CSV, or email (.eml, mbox, Maildir)"
    )
    return None, iter([Rejected(Origin(str(path), ""), reason, raw=head[:4096])])


def read_paths(paths: Iterable[Path]) -> Iterator[tuple[str | None, Path, ReadItem]]:
    """Yield ``(reader name, file, item)`` for every record under ``paths``."""
    readers = registered_readers()
    for path in iter_files(paths):
        name, items = read_file(path, readers)
        for item in items:
            yield name, path, item
