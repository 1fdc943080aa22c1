"""Run suite entries: simulate a tenant, analyse it into a fresh store, measure the result.

Each entry runs in its own temporary folder, which is removed afterwards. Entries are
independent, so :func:`run_suite` spreads them over worker processes.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from chainwatch.evaluate.measure import RunMeasurement, measure_run
from chainwatch.evaluate.scenarios import simulate_scenario
from chainwatch.evaluate.suite import SuiteEntry
from chainwatch.evaluate.truth import first_attacker_sign_in, load_truth, origin_time
from chainwatch.pipeline import run_analysis
from chainwatch.settings import load_settings
from chainwatch.store import Store

log = logging.getLogger(__name__)


def run_entry(entry: SuiteEntry, work_dir: Path | None = None) -> RunMeasurement:
    """Simulate, analyse and measure one entry; ``work_dir`` keeps the files if given."""
    if work_dir is not None:
        return _run_in(entry, work_dir)
    with tempfile.TemporaryDirectory(prefix="chainwatch-evaluate-") as folder:
        return _run_in(entry, Path(folder))


def _run_in(entry: SuiteEntry, folder: Path) -> RunMeasurement:
    started = time.perf_counter()
    cpu_started = time.process_time()
    simulation = simulate_scenario(
        folder / "tenant",
        entry.scenario,
        seed=entry.seed,
        mailboxes=entry.mailboxes,
        days=entry.days,
        start=entry.start,
    )
    truth = load_truth(simulation.truth_path)
    settings = load_settings(simulation.settings_path)
    with Store.open(folder / "chainwatch.db") as store:
        result = run_analysis(store, [simulation.data_dir], settings)
        origin = origin_time(store, truth)
        sign_in = first_attacker_sign_in(store, truth)
    return measure_run(
        entry.label,
        entry.seed,
        truth,
        result.incidents,
        origin,
        sign_in,
        time.perf_counter() - started,
        time.process_time() - cpu_started,
    )


def run_suite(
    entries: list[SuiteEntry],
    jobs: int | None = None,
    progress: Callable[[RunMeasurement], None] | None = None,
) -> list[RunMeasurement]:
    """Run every entry, ``jobs`` at a time (default: one per CPU), in suite order.

    ``progress`` is called with each measurement as its run finishes.
    """
    workers = max(1, min(jobs or os.cpu_count() or 1, len(entries) or 1))
    if workers == 1:
        measurements = []
        for entry in entries:
            measurement = run_entry(entry)
            if progress:
                progress(measurement)
            measurements.append(measurement)
        return measurements

    by_entry: dict[SuiteEntry, RunMeasurement] = {}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(run_entry, entry): entry for entry in entries}
        for future in as_completed(futures):
            measurement = future.result()
            log.info("evaluated %s in %.0f s", measurement.label, measurement.seconds)
            if progress:
                progress(measurement)
            by_entry[futures[future]] = measurement
    return [by_entry[entry] for entry in entries]
