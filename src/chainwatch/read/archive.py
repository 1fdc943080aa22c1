"""Zip and gzip inputs, read member by member as if each member were a file.

An archive is recognised by its magic bytes, not its extension. Each member is
streamed into a private temporary directory, handed to the normal readers, and
deleted before the next one, so neither the archive nor a member is ever held
uncompressed in memory. Items read from a member name it as
``archive.zip!folder/member.json``.

:class:`ArchiveLimits` bounds hostile archives. The member count and the total
uncompressed size are capped for one top-level file, including everything nested
in it, and a capped archive yields a :class:`Notice`. A member that inflates more
than the ratio limit is rejected. Archives inside archives are opened only down to
the nesting limit. Member names are never used as paths outside the
temporary directory: ``..`` parts and absolute paths are dropped.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Protocol

from chainwatch.events import Origin
from chainwatch.read.base import Notice, ReadItem, Rejected

ARCHIVE_READER_NAME = "archive"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
GZIP_MAGIC = b"\x1f\x8b"
MIB = 1024 * 1024
COPY_CHUNK_BYTES = 1 * MIB
MAX_NAME_PART_BYTES = 200  # below the 255-byte name limit of common file systems

# Folders that archivers add beside the real content (macOS resource forks).
SKIPPED_MEMBER_FOLDERS = frozenset({"__MACOSX"})

# (reader name, file as shown to the user, item). The name is None for a file that
# no reader accepted or that could not be read.
ArchiveItem = tuple[str | None, str, ReadItem]
# Reads one materialised member: (member path on disk, name to show, nesting depth).
MemberReader = Callable[[Path, str, int], Iterator[ArchiveItem]]


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """Bounds on what one top-level archive may make chainwatch read."""

    max_members: int = 10_000
    max_total_bytes: int = 2 * 1024 * MIB
    max_ratio: int = 100  # uncompressed / compressed size of one member
    ratio_floor_bytes: int = 1 * MIB  # the ratio is checked only past this size
    max_depth: int = 2  # an archive inside an archive is depth 2


DEFAULT_LIMITS = ArchiveLimits()


@dataclass(slots=True)
class ArchiveBudget:
    """Members and bytes used so far by one top-level file and its nested archives."""

    limits: ArchiveLimits
    members: int = 0
    total_bytes: int = 0
    exhausted: bool = False


class _MemberTooLarge(Exception):
    """A member went over the ratio or the total-size limit while being copied."""

    def __init__(self, reason: str, *, capped: bool) -> None:
        self.reason = reason
        self.capped = capped  # True when the archive-wide total ran out
        super().__init__(reason)


def archive_kind(head: bytes) -> str | None:
    """Return ``"zip"`` or ``"gzip"`` when ``head`` starts with that format's magic bytes."""
    if head.startswith(ZIP_MAGICS):
        return "zip"
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    return None


def safe_relative_path(name: str, fallback: str) -> PurePosixPath:
    """Turn a member name into a relative path without ``..``, drive or root parts."""
    parts = []
    for part in name.replace("\\", "/").split("/"):
        if part in ("", ".", "..") or (len(part) == 2 and part[1] == ":"):
            continue
        part = part.replace("\x00", "")
        encoded = part.encode("utf-8", errors="replace")
        if len(encoded) > MAX_NAME_PART_BYTES:
            part = encoded[:MAX_NAME_PART_BYTES].decode("utf-8", errors="ignore")
        if part:
            parts.append(part)
    return PurePosixPath(*parts) if parts else PurePosixPath(fallback)


def _is_skipped_member(name: str) -> bool:
    parts = [part for part in name.replace("\\", "/").split("/") if part]
    if not parts:
        return True
    return parts[-1].startswith(".") or any(part in SKIPPED_MEMBER_FOLDERS for part in parts)


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def _copy_bounded(
    source: _Readable, target: IO[bytes], compressed_size: int, budget: ArchiveBudget
) -> int:
    """Copy a member's bytes, raising :class:`_MemberTooLarge` as soon as a limit is crossed."""
    limits = budget.limits
    written = 0
    while True:
        chunk = source.read(COPY_CHUNK_BYTES)
        if not chunk:
            return written
        written += len(chunk)
        budget.total_bytes += len(chunk)
        if budget.total_bytes > limits.max_total_bytes:
            limit = limits.max_total_bytes // MIB
            reason = f"archive capped: more than {limit} MiB uncompressed in total"
            raise _MemberTooLarge(reason, capped=True)
        if written > limits.ratio_floor_bytes and written > limits.max_ratio * max(
            compressed_size, 1
        ):
            reason = (
                f"compression ratio over {limits.max_ratio}:1 "
                f"({compressed_size} bytes inflate to more than {written}); "
                "possible decompression bomb"
            )
            raise _MemberTooLarge(reason, capped=False)
        target.write(chunk)


def budget_room(budget: ArchiveBudget) -> int:
    """Return how many more members the budget allows."""
    return max(budget.limits.max_members - budget.members, 0)


def _make_folders(workdir: Path, infos: list[zipfile.ZipInfo]) -> None:
    """Create every folder the archive names, so readers that look at siblings still work.

    A Maildir is recognised by ``cur``, ``new`` and ``tmp`` side by side, and zip
    tools store the empty ones only as folder entries.
    """
    for info in infos:
        relative = safe_relative_path(info.filename, "")
        folder = relative if info.is_dir() else relative.parent
        if not folder.parts:
            continue
        try:
            (workdir / "members" / Path(*folder.parts)).mkdir(parents=True, exist_ok=True)
        except OSError:
            continue  # a clash with a member file; that member falls back to a flat slot


def _member_file(workdir: Path, relative: PurePosixPath, index: int) -> Path:
    """Return where to write a member, keeping its folders so Maildir layouts still match."""
    target = workdir / "members" / Path(*relative.parts)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            return target
    except OSError:
        pass
    # A name clash (a file where a folder should be) falls back to a flat slot.
    flat = workdir / "flat" / str(index)
    flat.mkdir(parents=True, exist_ok=True)
    return flat / relative.name


def _set_mtime(path: Path, when: datetime | None) -> None:
    if when is None:
        return
    try:
        stamp = when.timestamp()
        os.utime(path, (stamp, stamp))
    except (OSError, ValueError, OverflowError):
        pass


def _zip_time(info: zipfile.ZipInfo) -> datetime | None:
    try:
        # Zip stores local time without a zone; it is taken as UTC here.
        return datetime(*info.date_time, tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


def _rejected(display: str, reason: str, field: str = "") -> ArchiveItem:
    return None, display, Rejected(Origin(display, ""), reason, field=field)


def _notice(display: str, message: str) -> ArchiveItem:
    return ARCHIVE_READER_NAME, display, Notice(Origin(display, ""), message)


def _read_member(
    source: IO[bytes],
    compressed_size: int,
    relative: PurePosixPath,
    member_display: str,
    mtime: datetime | None,
    context: _ArchiveContext,
) -> Iterator[ArchiveItem]:
    """Stream one member to disk, read it with the normal readers, then delete it."""
    target = _member_file(context.workdir, relative, context.budget.members)
    try:
        try:
            with target.open("wb") as handle:
                _copy_bounded(source, handle, compressed_size, context.budget)
        except _MemberTooLarge as exc:
            if exc.capped:
                context.budget.exhausted = True
                yield _notice(context.display, f"{exc.reason}; {member_display} and later not read")
            else:
                yield _rejected(member_display, exc.reason, field="size")
            return
        except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
            yield _rejected(member_display, f"damaged archive member: {exc}")
            return
        _set_mtime(target, mtime)
        yield from context.read_member(target, member_display, context.depth)
    finally:
        target.unlink(missing_ok=True)


@dataclass(slots=True)
class _ArchiveContext:
    display: str
    workdir: Path
    budget: ArchiveBudget
    depth: int
    read_member: MemberReader


OFFICE_DOCUMENT_MARKERS = frozenset({"[Content_Types].xml", "mimetype"})


def _iter_zip(path: Path, context: _ArchiveContext) -> Iterator[ArchiveItem]:
    display = context.display
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile, ValueError, EOFError) as exc:
        yield _rejected(display, f"not a readable zip archive: {exc}")
        return

    with archive:
        names = set(archive.namelist())
        if OFFICE_DOCUMENT_MARKERS & names:
            # Word, Excel and PowerPoint files are zips too; their parts are no export.
            yield _rejected(display, "an Office document (OOXML or ODF), not a log or mail export")
            return
        _make_folders(context.workdir, archive.infolist()[: budget_room(context.budget)])
        members = [info for info in archive.infolist() if not info.is_dir()]
        budget = context.budget
        remaining = budget_room(budget)
        if len(members) > remaining:
            message = (
                f"archive capped: {len(members)} members, only the first "
                f"{remaining} are read (limit {budget.limits.max_members} "
                "members per input file)"
            )
            yield _notice(display, message)
            members = members[:remaining]

        for info in members:
            if budget.exhausted:
                return
            budget.members += 1
            member_display = f"{display}!{info.filename}"
            if _is_skipped_member(info.filename):
                continue
            if info.flag_bits & 0x1:
                yield _rejected(member_display, "member is encrypted and cannot be read")
                continue
            relative = safe_relative_path(info.filename, f"member-{budget.members}")
            try:
                source = archive.open(info)
            except NotImplementedError as exc:
                yield _rejected(member_display, f"unsupported zip member: {exc}")
                continue
            except (OSError, zipfile.BadZipFile, ValueError, EOFError) as exc:
                yield _rejected(member_display, f"damaged archive member: {exc}")
                continue
            with source:
                yield from _read_member(
                    source, info.compress_size, relative, member_display, _zip_time(info), context
                )


def _gzip_member_name(path: Path, display: str) -> str:
    """Return the original file name stored in the gzip header, else the name minus ``.gz``."""
    try:
        with path.open("rb") as handle:
            header = handle.read(10)
            flags = header[3] if len(header) >= 4 else 0
            if flags & 0x08:  # FNAME
                if flags & 0x04:  # FEXTRA comes first
                    extra_length = int.from_bytes(handle.read(2), "little")
                    handle.seek(extra_length, os.SEEK_CUR)
                name = bytearray()
                while len(name) < 1024:
                    byte = handle.read(1)
                    if byte in (b"", b"\x00"):
                        break
                    name += byte
                if name:
                    return name.decode("latin-1")
    except OSError:
        pass
    base = Path(display.rsplit("!", 1)[-1]).name
    for suffix in (".gz", ".gzip", ".tgz"):
        if base.lower().endswith(suffix):
            return base[: -len(suffix)] or "member"
    return base + ".out"


class GzipTruncatedError(Exception):
    """The gzip data ended before its end-of-stream marker."""


def iter_gunzip(handle: IO[bytes], chunk_bytes: int = COPY_CHUNK_BYTES) -> Iterator[bytes]:
    """Yield the decompressed bytes of every gzip member in ``handle``, chunk by chunk.

    Unlike :mod:`gzip`, hands out the bytes before a cut-off end, then raises
    :class:`GzipTruncatedError`. Raises ``zlib.error`` for damaged data. Each chunk
    is at most ``chunk_bytes`` long, so a bomb cannot inflate in one call.
    """
    decompressor = zlib.decompressobj(wbits=31)
    pending = b""
    started = False
    while True:
        if not pending:
            pending = handle.read(chunk_bytes)
            if not pending:
                if started and not decompressor.eof:
                    raise GzipTruncatedError
                return
        started = True
        output = decompressor.decompress(pending, chunk_bytes)
        pending = decompressor.unconsumed_tail
        if output:
            yield output
        if decompressor.eof:
            rest = decompressor.unused_data + pending
            pending = rest.lstrip(b"\0")  # some writers pad after the last member
            decompressor = zlib.decompressobj(wbits=31)
            started = False


class _ChunkReader:
    """A ``read(size)`` view over an iterator of byte chunks, for :func:`_copy_bounded`."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks

    def read(self, size: int = -1, /) -> bytes:
        return next(self._chunks, b"")


def _iter_gzip(path: Path, context: _ArchiveContext) -> Iterator[ArchiveItem]:
    display = context.display
    budget = context.budget
    if budget_room(budget) == 0:
        yield _notice(display, "archive capped: member limit reached before this file")
        return
    budget.members += 1
    name = _gzip_member_name(path, display)
    member_display = f"{display}!{name}"
    relative = safe_relative_path(name, "member")
    target = _member_file(context.workdir, relative, budget.members)
    try:
        compressed_size = path.stat().st_size
        with path.open("rb") as source, target.open("wb") as handle:
            chunks = _ChunkReader(iter_gunzip(source))
            try:
                _copy_bounded(chunks, handle, compressed_size, budget)
            except GzipTruncatedError:
                # A cut-off download still holds complete records before the cut.
                reason = "gzip data is truncated; the records before the cut were read"
                yield _rejected(member_display, reason)
            except zlib.error as exc:
                yield _rejected(member_display, f"damaged gzip data: {exc}")
                target.unlink(missing_ok=True)
                return
    except _MemberTooLarge as exc:
        if exc.capped:
            budget.exhausted = True
            yield _notice(display, f"{exc.reason}; {member_display} not read")
        else:
            yield _rejected(member_display, exc.reason, field="size")
        target.unlink(missing_ok=True)
        return
    except OSError as exc:
        yield _rejected(member_display, f"cannot read gzip file: {exc}")
        target.unlink(missing_ok=True)
        return

    try:
        yield from context.read_member(target, member_display, context.depth)
    finally:
        target.unlink(missing_ok=True)


def iter_archive(
    path: Path,
    display: str,
    kind: str,
    read_member: MemberReader,
    depth: int = 1,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    budget: ArchiveBudget | None = None,
) -> Iterator[ArchiveItem]:
    """Yield what the readers make of every member of a zip or gzip file.

    ``read_member`` reads one materialised member and is called with ``depth`` so that
    it can open an archive found inside at ``depth + 1``. ``budget`` is shared with
    nested archives, so their members count against the top-level file's limits.
    """
    budget = budget if budget is not None else ArchiveBudget(limits)
    if depth > budget.limits.max_depth:
        reason = f"archive nested deeper than {budget.limits.max_depth} levels; not opened"
        yield _rejected(display, reason)
        return
    workdir = Path(tempfile.mkdtemp(prefix="chainwatch-archive-"))
    context = _ArchiveContext(display, workdir, budget, depth, read_member)
    try:
        if kind == "zip":
            yield from _iter_zip(path, context)
        else:
            yield from _iter_gzip(path, context)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
