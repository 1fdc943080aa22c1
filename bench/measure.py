"""Measure chainwatch's stages against decoder ceilings on the same files.

Run by hand on files from ``bench/generate.py``, pinned to one core::

    taskset -c 0 uv run python bench/measure.py decode /tmp/cwbench/ual.jsonl
    taskset -c 0 uv run python bench/measure.py read   /tmp/cwbench/ual.jsonl
    taskset -c 0 uv run python bench/measure.py score  /tmp/cwbench/ual.jsonl
    taskset -c 0 uv run python bench/measure.py store  /tmp/cwbench/ual.jsonl

``decode`` is the ceiling: orjson and a msgspec typed projection for JSON lines, the
``csv`` module for message trace, and the standard library ``email`` parser (compat32)
with and without selectolax link extraction for mbox. ``read`` runs our reader, ``score``
adds directory mapping, enrichment and the engine (no storage), and ``store`` runs
ingest, analysis and correlation on a new SQLite file as ``chainwatch analyze`` does.
Each prints one JSON line per figure, so results can be collected with ``>>``.
"""

from __future__ import annotations

import argparse
import csv
import email
import email.policy
import gc
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import orjson
from selectolax.lexbor import LexborHTMLParser

from chainwatch.baseline.book import BaselineBook
from chainwatch.coverage import observe as observe_coverage
from chainwatch.detect.engine import Engine
from chainwatch.directory import Directory
from chainwatch.enrich import Enricher
from chainwatch.enrich.link_join import LinkJoiner
from chainwatch.events import EmailMessage, Event, MessageLinks
from chainwatch.pipeline import analyse, correlate, ingest, resolve_org_domains
from chainwatch.read import read_file, registered_readers
from chainwatch.read.base import Rejected, Skipped
from chainwatch.read.mail_mbox import iter_mbox
from chainwatch.settings import Settings
from chainwatch.store import Store

SETTINGS = Settings(org_domains=("example.com",))


class UalProjection(msgspec.Struct):
    """The UAL fields the readers use for sign-in, file and mail-access events."""

    CreationTime: str
    Id: str
    Operation: str
    UserId: str = ""
    ClientIP: str = ""
    Workload: str = ""
    ObjectId: str = ""
    ResultStatus: str = ""
    ExtendedProperties: list[dict[str, Any]] = []
    Folders: list[dict[str, Any]] = []


class SignInStatus(msgspec.Struct, frozen=True):
    errorCode: int = 0


class SignInProjection(msgspec.Struct):
    """The Graph sign-in fields the sign-in reader uses."""

    id: str
    createdDateTime: str
    userPrincipalName: str = ""
    ipAddress: str = ""
    userAgent: str = ""
    clientAppUsed: str = ""
    appDisplayName: str = ""
    isInteractive: bool = True
    autonomousSystemNumber: int = 0
    status: SignInStatus = SignInStatus()


def emit(figure: str, path: Path, count: int, seconds: float, **extra: Any) -> None:
    """Print one result as a JSON line: figure, file, records, CPU seconds, records per second.

    ``seconds`` is CPU time of this process, so the rate is per core even when other
    processes share the core; ``wall_seconds`` is added where it was measured.
    """
    result = {
        "figure": figure,
        "file": path.name,
        "records": count,
        "cpu_seconds": round(seconds, 3),
        "per_cpu_second": round(count / seconds) if seconds else None,
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        **extra,
    }
    print(orjson.dumps(result).decode(), flush=True)


def timed(function: Callable[[], int], repeat: int) -> tuple[int, float]:
    """Run ``function`` ``repeat`` times and return its count and the least CPU time."""
    best = float("inf")
    count = 0
    for _ in range(repeat):
        started = time.process_time()
        count = function()
        best = min(best, time.process_time() - started)
    return count, best


# ceilings


def decode_lines(path: Path, decode: Callable[[bytes], Any]) -> int:
    count = 0
    with path.open("rb") as handle:
        for line in handle:
            decode(line)
            count += 1
    return count


def decode_csv(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = csv.reader(handle)
        next(rows)
        return sum(1 for _ in rows)


def mbox_members(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        for member in iter_mbox(handle):
            yield member.data


def decode_mail_headers(path: Path) -> int:
    parser = email.parser.BytesParser(policy=email.policy.compat32)
    count = 0
    for data in mbox_members(path):
        message = parser.parsebytes(data, headersonly=True)
        email.utils.getaddresses(message.get_all("To", []) + message.get_all("Cc", []))
        email.utils.parseaddr(message.get("From", ""))
        message.get("Subject")
        message.get("Message-ID")
        message.get("Date")
        count += 1
    return count


def decode_mail_links(path: Path) -> int:
    """Parse each message in full with compat32, decode its parts and collect HTML links."""
    parser = email.parser.BytesParser(policy=email.policy.compat32)
    count = 0
    for data in mbox_members(path):
        message = parser.parsebytes(data)
        email.utils.getaddresses(message.get_all("To", []))
        for part in message.walk():
            if part.get_content_type() != "text/html":
                continue
            html = part.get_payload(decode=True).decode("utf-8", "replace")
            for node in LexborHTMLParser(html).css("a[href]"):
                node.attributes.get("href")
        count += 1
    return count


def run_decode(path: Path, repeat: int) -> None:
    if path.suffix == ".jsonl":
        projection = UalProjection if path.name.startswith("ual") else SignInProjection
        typed = msgspec.json.Decoder(projection)
        for name, decode in (
            ("decode-orjson", orjson.loads),
            ("decode-msgspec-projection", typed.decode),
        ):
            count, seconds = timed(lambda d=decode: decode_lines(path, d), repeat)
            emit(name, path, count, seconds)
    elif path.suffix == ".csv":
        count, seconds = timed(lambda: decode_csv(path), repeat)
        emit("decode-csv", path, count, seconds)
    else:
        count, seconds = timed(lambda: decode_mail_headers(path), repeat)
        emit("decode-email-compat32-headers", path, count, seconds)
        count, seconds = timed(lambda: decode_mail_links(path), repeat)
        emit("decode-email-compat32-lexbor-links", path, count, seconds)


# our stages


def read_events(path: Path) -> Iterator[Event]:
    """Yield the events our reader makes of ``path``; rejected records end the run."""
    _, items = read_file(path, registered_readers())
    for item in items:
        if isinstance(item, Rejected):
            raise SystemExit(f"rejected: {item.describe()}")
        if not isinstance(item, Skipped):
            yield item


def run_read(path: Path, repeat: int) -> None:
    count, seconds = timed(lambda: sum(1 for _ in read_events(path)), repeat)
    emit("read", path, count, seconds)


def score_events(path: Path, limit: int | None = None) -> tuple[int, BaselineBook, Engine]:
    """Read, map, enrich and score ``path`` as :func:`chainwatch.pipeline.analyse` does."""
    book = BaselineBook({})
    enricher = Enricher(SETTINGS)
    engine = Engine(SETTINGS, book)
    directory = Directory([])
    joiner = LinkJoiner()
    org_domains = frozenset(SETTINGS.org_domains)
    count = 0
    for event in read_events(path):
        count += 1
        event = directory.canonicalise(event)
        observe_coverage(book, event, org_domains)
        if isinstance(event, MessageLinks):
            joiner.add(event)
            continue
        if isinstance(event, EmailMessage):
            event = joiner.attach(event)
        engine.process(enricher.enrich(event))
        if limit is not None and count >= limit:
            break
    return count, book, engine


def run_score(path: Path, limit: int | None) -> None:
    started = time.process_time()
    count, book, engine = score_events(path, limit)
    seconds = time.process_time() - started
    emit(
        "read-enrich-score",
        path,
        count,
        seconds,
        baseline_states=sum(1 for _ in book.all_items()),
        detections=len(engine.detections),
    )


def run_store(path: Path) -> None:
    """Run ingest, analysis and correlation on a new SQLite file, timing each."""
    with (
        tempfile.TemporaryDirectory(dir="/tmp") as folder,
        Store.open(Path(folder) / "bench.db") as store,
    ):
        run_id = store.start_run("bench", [str(path)])
        started = time.process_time()
        summary = ingest(store, [path], run_id)
        ingested = time.process_time()
        domains, _ = resolve_org_domains(store, SETTINGS)
        settings = SETTINGS.with_org_domains(domains)
        analysis = analyse(store, settings)
        analysed = time.process_time()
        incidents, _ = correlate(store, settings)
        correlated = time.process_time()
        size = (Path(folder) / "bench.db").stat().st_size
    emit(
        "end-to-end-sqlite",
        path,
        summary.events,
        correlated - started,
        ingest_seconds=round(ingested - started, 3),
        analyse_seconds=round(analysed - ingested, 3),
        correlate_seconds=round(correlated - analysed, 3),
        processed=analysis.processed,
        detections=len(analysis.detections),
        incidents=len(incidents),
        db_mb=round(size / 2**20),
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stage", choices=("decode", "read", "score", "store"))
    parser.add_argument("path", type=Path)
    parser.add_argument("--repeat", type=int, default=1, help="runs; the best time is kept")
    parser.add_argument("--limit", type=int, help="score only the first LIMIT events")
    args = parser.parse_args(argv)
    gc.collect()
    if args.stage == "decode":
        run_decode(args.path, args.repeat)
    elif args.stage == "read":
        run_read(args.path, args.repeat)
    elif args.stage == "score":
        run_score(args.path, args.limit)
    else:
        run_store(args.path)


if __name__ == "__main__":
    main(sys.argv[1:])
