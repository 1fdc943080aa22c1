"""Detection quality: run simulated scenarios through the pipeline and score the verdicts.

``chainwatch evaluate`` builds a suite (:mod:`.suite`), simulates and analyses each entry
(:mod:`.runner`), compares the incidents with truth.json (:mod:`.measure`), adds the runs
up per scenario (:mod:`.summary`) and writes docs/detection-quality.md (:mod:`.page`).
"""

from chainwatch.evaluate.measure import ALERT_SEVERITY, RunMeasurement, measure_run
from chainwatch.evaluate.page import Evaluation, evaluation_document, render_markdown, render_table
from chainwatch.evaluate.runner import run_entry, run_suite
from chainwatch.evaluate.suite import SUITES, SuiteEntry, build_suite

__all__ = [
    "ALERT_SEVERITY",
    "SUITES",
    "Evaluation",
    "RunMeasurement",
    "SuiteEntry",
    "build_suite",
    "evaluation_document",
    "measure_run",
    "render_markdown",
    "render_table",
    "run_entry",
    "run_suite",
]
