"""The main job: read exports into the store, score new events, rebuild incidents.

1. Ingest: every file under the given paths goes through its reader; events are
   stored (deduplicated on the source's record id), rejected records and notices are
   kept with their raw bytes and positions.
2. Analyse: events not yet processed are streamed from the store in event-time order,
   enriched, scored and learned by the engine; baselines are saved back, so next
   week's export continues from this week's state.
3. Correlate: all detections in the store are grouped into incidents again.

Re-running the same input inserts nothing new, processes nothing and rebuilds the same
incidents, so it changes nothing.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from chainwatch.baseline.book import BaselineBook
from chainwatch.correlate.build import build_incidents
from chainwatch.correlate.incident import Incident
from chainwatch.coverage import AUDIT_SOURCES, CoverageGap, coverage_gaps
from chainwatch.coverage import observe as observe_coverage
from chainwatch.detect.base import Detection
from chainwatch.detect.engine import Engine
from chainwatch.directory import Directory
from chainwatch.enrich import Enricher
from chainwatch.enrich.domains import domain_of_address
from chainwatch.enrich.link_join import LinkJoiner
from chainwatch.events import (
    DirectoryEntry,
    EmailMessage,
    Event,
    MailboxRuleChange,
    MessageLinks,
    Origin,
    SignIn,
)
from chainwatch.read import read_paths
from chainwatch.read.base import Notice, ReadSummary, Rejected, Skipped
from chainwatch.settings import DOMAIN_NAME, Settings
from chainwatch.store import Store

log = logging.getLogger(__name__)

BATCH = 5000
MAX_SKIPPED_KINDS = 200  # distinct kinds of skipped records listed in the summary
ORG_DOMAINS_KEY = "organisation_domains"
# Days on which the input has sign-in log records (Entra, Google). On those days the audit
# log's UserLoggedIn copies of the same logons are not scored or learned a second time.
SIGNIN_LOG_DAYS_KEY = "sign_in_log_days"
SCORING_SETTINGS_KEY = "scoring_settings"
DIRECTORY_FINGERPRINT_KEY = "directory_fingerprint"
NO_ORIGIN = Origin("", "")
MIN_DOMAIN_SHARE = 0.05  # inferred organisation domains cover at least this share of accounts


@dataclass
class AnalysisResult:
    """The result of one ``analyze`` run: input read, events scored, incidents."""

    run_id: int
    read: ReadSummary
    org_domains: tuple[str, ...]
    org_domains_inferred: bool
    events_processed: int
    new_detections: int
    incidents: list[Incident] = field(default_factory=list)
    coverage: list[CoverageGap] = field(default_factory=list)
    replayed: int = 0  # events re-scored because late or richer records arrived
    warnings: list[str] = field(default_factory=list)


def ingest(
    store: Store, paths: Iterable[Path], run_id: int, progress: Callable[[str], None] | None = None
) -> ReadSummary:
    """Read every file under ``paths`` into the store and return what was read."""
    summary = ReadSummary()
    per_reader: Counter[str] = Counter()
    events: list[Event] = []
    rejected: list[Rejected] = []
    notices: list[Notice] = []
    directory: list[DirectoryEntry] = []
    signin_log_days: set[str] = set()
    files: set[Path] = set()

    def flush() -> None:
        if events:
            inserted, duplicates = store.add_events(events, run_id)
            summary.events += inserted
            summary.duplicates += duplicates
            events.clear()
        if rejected:
            store.add_rejected(rejected, run_id)
            rejected.clear()
        if notices:
            store.add_notices(notices, run_id)
            notices.clear()
        if directory:
            store.save_directory(directory, run_id)
            directory.clear()

    folder: Path | None = None
    for reader_name, path, item in read_paths(paths):
        if path not in files:
            files.add(path)
            if progress and path.parent != folder:
                folder = path.parent
                progress(f"reading {folder}")
        if isinstance(item, Rejected):
            summary.rejected += 1
            if len(summary.rejections) < 1000:
                summary.rejections.append(item.describe())
            if reader_name is None:
                summary.unreadable_files.append(str(path))
            rejected.append(item)
        elif isinstance(item, Notice):
            summary.notices.append(f"{item.origin.file}: {item.message}")
            notices.append(item)
        elif isinstance(item, Skipped):
            summary.skipped += 1
            if len(summary.skipped_kinds) < MAX_SKIPPED_KINDS or item.what in summary.skipped_kinds:
                summary.skipped_kinds[item.what] = summary.skipped_kinds.get(item.what, 0) + 1
        elif isinstance(item, DirectoryEntry):
            per_reader[reader_name or "unknown"] += 1
            directory.append(item)
            summary.directory_entries += 1
        else:
            per_reader[reader_name or "unknown"] += 1
            events.append(item)
            if isinstance(item, SignIn) and not item.source.startswith(AUDIT_SOURCES):
                signin_log_days.add(item.time.date().isoformat())
        if len(events) >= BATCH:
            flush()
    flush()
    if signin_log_days:
        known = set(filter(None, (store.get_meta(SIGNIN_LOG_DAYS_KEY) or "").split(",")))
        store.set_meta(SIGNIN_LOG_DAYS_KEY, ",".join(sorted(known | signin_log_days)))
    summary.upgraded = store.upgraded_events
    summary.files = len(files)
    summary.per_reader = dict(sorted(per_reader.items()))
    return summary


def resolve_org_domains(store: Store, settings: Settings) -> tuple[tuple[str, ...], bool]:
    """Return the organisation's domains and whether they were inferred from the data.

    Configured domains win and are remembered. Otherwise the domains of the accounts
    that sign in or own mailbox rules are taken, each covering at least 5% of them.
    """
    if settings.org_domains:
        store.set_meta(ORG_DOMAINS_KEY, ",".join(settings.org_domains))
        return settings.org_domains, False
    stored = store.get_meta(ORG_DOMAINS_KEY)
    if stored:
        return tuple(d for d in stored.split(",") if d), True

    accounts: set[str] = set()
    for event in store.iter_events(kinds=["sign-in", "mailbox-rule"]):
        if isinstance(event, SignIn):
            accounts.add(event.user)
        elif isinstance(event, MailboxRuleChange):
            accounts.add(event.mailbox)
    domains = Counter(d for d in (domain_of_address(a) for a in accounts) if d)
    total = sum(domains.values())
    inferred = tuple(
        sorted(
            d
            for d, n in domains.items()
            if total and n / total >= MIN_DOMAIN_SHARE and DOMAIN_NAME.match(d)
        )
    )
    if inferred:
        store.set_meta(ORG_DOMAINS_KEY, ",".join(inferred))
    return inferred, True


@dataclass
class Analysis:
    """Counts and detections of one analysis pass."""

    processed: int = 0
    detections: list[Detection] = field(default_factory=list)
    replayed: int = 0  # events re-scored from the start because late records arrived
    unmatched_links: int = 0
    audit_signins_shadowed: int = 0  # audit-log logons also in the sign-in logs
    org_accounts: int = 0  # accounts seen so far with an address in the organisation domains


def analyse(store: Store, settings: Settings, replay: bool = False) -> Analysis:
    """Score every unprocessed event in event-time order and commit the result atomically.

    Late records (older than what an earlier run already scored) and richer copies of
    stored records make the whole history be scored again from the start, so every chain
    they touch is re-evaluated as if the records had arrived on time. Baselines,
    detections and the processed marks are committed in one transaction: a run killed
    before the end leaves the store as it was, and the next run scores the same events.
    """
    outcome = Analysis()
    earliest = store.earliest_unprocessed()
    watermark = store.processed_watermark()
    late = earliest is not None and watermark is not None and earliest < watermark
    if late or replay:
        # An upgraded copy of the newest scored event leaves no earlier watermark, so
        # upgrades ask for the replay explicitly.
        log.info(
            "late or upgraded records (from %s, scored to %s): re-scoring", earliest, watermark
        )
        outcome.replayed = store.reset_analysis()

    book = BaselineBook(store.load_baselines())
    enricher = Enricher(settings)
    directory = Directory(store.load_directory())
    engine = Engine(settings, book, directory)
    joiner = LinkJoiner()
    org_domains = frozenset(settings.org_domains)
    signin_log_days = frozenset((store.get_meta(SIGNIN_LOG_DAYS_KEY) or "").split(","))
    through: tuple[datetime, str] | None = None
    for event in store.iter_unprocessed_events(BATCH):
        through = (event.time, event.event_id)
        outcome.processed += 1
        event = directory.canonicalise(event)
        observe_coverage(book, event, org_domains)
        if (
            isinstance(event, SignIn)
            and event.source.startswith(AUDIT_SOURCES)
            and event.time.date().isoformat() in signin_log_days
        ):
            outcome.audit_signins_shadowed += 1
            continue
        if isinstance(event, MessageLinks):
            joiner.add(event)
            continue
        if isinstance(event, EmailMessage):
            event = joiner.attach(event)
        engine.process(enricher.enrich(event))

    outcome.unmatched_links = joiner.unmatched
    outcome.org_accounts = len(book.get("coverage", "accounts") or {})
    outcome.detections = list(engine.detections.values())
    store.commit_analysis(
        dict(book.dirty_items()),
        [d.to_dict() | {"incident_id": None} for d in outcome.detections],
        through,
    )
    book.clear_dirty()
    return outcome


def correlate(store: Store, settings: Settings) -> tuple[list[Incident], list[CoverageGap]]:
    """Rebuild incidents from every stored detection, mark coverage gaps, save them."""
    detections = [Detection.from_dict(d) for d in store.list_detections()]
    book = BaselineBook(store.load_baselines())
    gaps = coverage_gaps(book, store.list_notices())
    incidents = [
        replace(
            incident,
            coverage=tuple(
                g.message for g in gaps if g.overlaps(incident.first_time, incident.last_time)
            ),
        )
        for incident in build_incidents(detections, book, settings.org_domains)
    ]
    store.replace_incidents([incident.to_dict() for incident in incidents])
    rows = []
    for incident in incidents:
        for detection in incident.detections:
            rows.append(detection.to_dict() | {"incident_id": incident.incident_id})
    store.save_detections(rows)
    return incidents, gaps


def directory_changed(store: Store) -> bool:
    """Record the directory's fingerprint; True when it differs from the stored one."""
    # The file an entry came from does not matter, only its content.
    entries = sorted(repr(replace(entry, origin=NO_ORIGIN)) for entry in store.load_directory())
    fingerprint = hashlib.sha256("\n".join(entries).encode("utf-8")).hexdigest()
    stored = store.get_meta(DIRECTORY_FINGERPRINT_KEY)
    if stored == fingerprint or (stored is None and not entries):
        return False
    store.set_meta(DIRECTORY_FINGERPRINT_KEY, fingerprint)
    return stored is not None or store.processed_watermark() is not None


def scoring_fingerprint(settings: Settings) -> str:
    """Describe the settings that baselines depend on; a change calls for re-scoring."""
    networks = ",".join(f"{network}={label}" for network, label in settings.known_networks)
    return (
        f"domains={','.join(settings.org_domains)};networks={networks};"
        f"suffixes={','.join(settings.tenant_suffixes)};min_history={settings.min_history}"
    )


def check_settings_change(store: Store, settings: Settings, rescore: bool) -> list[str]:
    """Compare the scoring settings with those the stored baselines were built with."""
    stored = store.get_meta(SCORING_SETTINGS_KEY)
    current = scoring_fingerprint(settings)
    warnings = []
    if stored is not None and stored != current and store.processed_watermark() is not None:
        if rescore:
            store.reset_analysis()
        else:
            warnings.append(
                "the organisation domains, known networks or detection settings differ from "
                f"those the stored baselines were built with ({stored}); findings so far keep "
                "the old ones. Run again with --rescore to score every stored event again"
            )
            return warnings
    store.set_meta(SCORING_SETTINGS_KEY, current)
    return warnings


def input_warnings(summary: ReadSummary, paths: list[Path], settings: Settings) -> list[str]:
    """Warn where the input cannot support a conclusion: nothing read, or foreign domains."""
    warnings = []
    if summary.events == 0 and summary.duplicates == 0:
        where = ", ".join(str(p) for p in paths)
        warnings.append(f"no supported export found under {where}: nothing was analysed")
    return warnings


def run_analysis(
    store: Store,
    paths: list[Path],
    settings: Settings,
    progress: Callable[[str], None] | None = None,
    rescore: bool = False,
) -> AnalysisResult:
    """Ingest ``paths``, analyse new events and rebuild incidents.

    ``rescore`` scores every stored event again from the start, for example after
    the organisation domains or known networks changed.
    """
    run_id = store.start_run("analyze", [str(p) for p in paths])
    summary = ingest(store, paths, run_id, progress)
    domains, inferred = resolve_org_domains(store, settings)
    settings = settings.with_org_domains(domains)
    warnings = input_warnings(summary, paths, settings)
    warnings += check_settings_change(store, settings, rescore)
    if progress:
        progress("scoring events against baselines")
    # Changed directory entries can merge accounts already scored under another alias.
    replay = summary.upgraded > 0 or directory_changed(store) or rescore
    analysis = analyse(store, settings, replay=replay)
    if analysis.processed and not analysis.org_accounts:
        warnings.append(
            f"no account in the data has an address in {', '.join(settings.org_domains) or '-'}"
            ": inbound, outbound and internal mail cannot be told apart; check --org-domain"
        )
    incidents, gaps = correlate(store, settings)
    result = AnalysisResult(
        run_id=run_id,
        read=summary,
        org_domains=settings.org_domains,
        org_domains_inferred=inferred,
        events_processed=analysis.processed,
        new_detections=len(analysis.detections),
        incidents=incidents,
        coverage=gaps,
        replayed=analysis.replayed,
        warnings=warnings,
    )
    store.finish_run(
        run_id,
        {
            "files": summary.files,
            "events": summary.events,
            "duplicates": summary.duplicates,
            "upgraded": summary.upgraded,
            "skipped": summary.skipped,
            "rejected": summary.rejected,
            "processed": analysis.processed,
            "replayed": analysis.replayed,
            "detections": len(analysis.detections),
            "incidents": len(incidents),
            "coverage_gaps": len(gaps),
        },
    )
    log.info(
        "run %s: %s events processed, %s incidents", run_id, analysis.processed, len(incidents)
    )
    return result
