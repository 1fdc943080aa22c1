"""The ``chainwatch`` command line.

Errors raised as :class:`~chainwatch.errors.ChainwatchError` are printed as one line
and exit with status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import functools
import logging
import shutil
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click

from chainwatch import __version__
from chainwatch.errors import ChainwatchError, SettingsError
from chainwatch.report.escape import safe_text
from chainwatch.report.json_report import analysis_document, dumps, read_summary_dict
from chainwatch.report.text import (
    plural,
    render_coverage,
    render_incident,
    render_incident_line,
    render_read_summary,
)
from chainwatch.settings import Settings, load_settings

DEFAULT_DB = "chainwatch.db"

db_option = click.option(
    "--db",
    default=DEFAULT_DB,
    show_default=True,
    help="SQLite file, or a PostgreSQL URL (postgresql+psycopg://USER@HOST/DATABASE).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


def handle_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn chainwatch errors into one line on stderr and exit status 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = click.get_current_context().find_root().params.get("debug", False)
        try:
            return command(*args, **kwargs)
        except ChainwatchError as exc:
            if debug:
                raise
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)

    return wrapper


@click.group()
@click.version_option(__version__)
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
def main(debug: bool) -> None:
    """Find email and SaaS account takeover chains in Microsoft 365 exports and mail."""
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _open_store(db: str, *, must_exist: bool = False):
    """Open the store; commands that only read refuse to create an empty database."""
    from chainwatch.store import Store

    if must_exist and "://" not in db and not Path(db).expanduser().exists():
        raise SettingsError(
            f"database {db!r} not found: run 'chainwatch analyze PATH --db {db}' first, or "
            "pass the --db that analyze used"
        )
    return Store.open(db)


def _incident_id(text: str) -> str:
    """Accept 'INC-57d5', 'inc-57d5' or just '57d5'."""
    text = text.strip()
    if text.lower().startswith("inc-"):
        text = text[4:]
    return "INC-" + text.lower()


def _settings(config: Path | None, org_domains: tuple[str, ...]) -> Settings:
    settings = load_settings(config)
    if org_domains:
        settings = settings.with_org_domains(org_domains)
    return settings


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--org-domain",
    "org_domains",
    multiple=True,
    help="An accepted domain of the organisation (repeatable). Inferred from the data if omitted.",
)
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Settings file (TOML): known networks, domains, thresholds.",
)
@db_option
@json_option
@click.option(
    "--min-severity",
    type=click.IntRange(0, 100),
    default=0,
    show_default=True,
    help="Only list incidents at or above this severity (0-100).",
)
@click.option(
    "--rescore",
    is_flag=True,
    help="Score every stored event again from the start (after changing domains or networks).",
)
@handle_errors
def analyze(
    paths: tuple[Path, ...],
    org_domains: tuple[str, ...],
    config: Path | None,
    db: str,
    as_json: bool,
    min_severity: int,
    rescore: bool,
) -> None:
    """Read exports under PATHS, score new events and print the incidents found."""
    from chainwatch.pipeline import run_analysis

    settings = _settings(config, org_domains)
    progress = None if as_json else (lambda message: click.echo(safe_text(message), err=True))
    with _open_store(db) as store:
        result = run_analysis(store, list(paths), settings, progress, rescore=rescore)
    incidents = [i.to_dict() for i in result.incidents if i.severity >= min_severity]
    read = read_summary_dict(result.read)
    if as_json:
        click.echo(
            dumps(
                analysis_document(
                    run_id=result.run_id,
                    org_domains=result.org_domains,
                    org_domains_inferred=result.org_domains_inferred,
                    read=read,
                    events_processed=result.events_processed,
                    incidents=incidents,
                    alert_severity=settings.alert_severity,
                    coverage=[gap.to_dict() for gap in result.coverage],
                    replayed=result.replayed,
                    warnings=result.warnings,
                )
            ),
            nl=False,
        )
        return

    lines = render_read_summary(read)
    lines.extend(f"warning: {safe_text(w, 1000)}" for w in result.warnings)
    inferred = (
        " (inferred from the data; set --org-domain to override)"
        if (result.org_domains_inferred)
        else ""
    )
    lines.append(f"Organisation domains: {', '.join(result.org_domains) or 'unknown'}{inferred}")
    lines.append(f"Scored {plural(result.events_processed, 'new event')}.")
    if result.replayed:
        lines.append(
            f"Late or fuller records arrived for times already analysed: all "
            f"{result.replayed} stored events were scored again from the start."
        )
    lines.extend(render_coverage([gap.to_dict() for gap in result.coverage]))
    lines.append("")
    urgent = [i for i in incidents if i["severity"] >= settings.alert_severity]
    lines.append(
        f"{plural(len(incidents), 'incident')}, {len(urgent)} at severity "
        f"{settings.alert_severity} or more (look now):"
    )
    for incident in incidents:
        lines.append("  " + render_incident_line(incident))
    if not urgent and result.coverage:
        lines.append(
            f"  No incident at {settings.alert_severity} or more, but the coverage gaps listed "
            "above may hide one."
        )
    for incident in urgent:
        lines.append("")
        lines.extend(render_incident(incident))
    click.echo("\n".join(lines))


@main.command()
@db_option
@json_option
@click.option("--min-severity", type=click.IntRange(0, 100), default=0, show_default=True)
@handle_errors
def incidents(db: str, as_json: bool, min_severity: int) -> None:
    """List stored incidents, most severe first."""
    with _open_store(db, must_exist=True) as store:
        found = store.list_incidents(min_severity)
    if as_json:
        click.echo(dumps({"incidents": found}), nl=False)
        return
    if not found:
        click.echo(f"No incidents stored in {db}.")
    for incident in found:
        click.echo(render_incident_line(incident))


@main.command()
@click.argument("incident_id")
@db_option
@json_option
@handle_errors
def show(incident_id: str, db: str, as_json: bool) -> None:
    """Show one incident in full (an id prefix is enough)."""
    with _open_store(db, must_exist=True) as store:
        try:
            incident = store.get_incident(_incident_id(incident_id))
        except LookupError as exc:
            raise SettingsError(str(exc)) from exc
    if incident is None:
        raise SettingsError(
            f"incident {incident_id!r} not found in {db}: run 'chainwatch incidents --db {db}'"
        )
    if as_json:
        click.echo(dumps(incident), nl=False)
        return
    click.echo("\n".join(render_incident(incident)))


@main.command()
@db_option
@json_option
@click.option("--limit", type=click.IntRange(1), default=200, show_default=True)
@handle_errors
def rejected(db: str, as_json: bool, limit: int) -> None:
    """List records that were set aside, with file, position, field and reason."""
    with _open_store(db, must_exist=True) as store:
        rows = store.list_rejected(limit)
    if as_json:
        click.echo(dumps({"rejected": rows}), nl=False)
        return
    if not rows:
        click.echo(f"No rejected records in {db}.")
    for row in rows:
        where = ", ".join(p for p in (row["file"], row["position"]) if p)
        field = f" field {row['field']!r}:" if row.get("field") else ""
        record = f" (record {row['record_id']})" if row.get("record_id") else ""
        click.echo(safe_text(f"{where}{record}:{field} {row['reason']}", 1000))


@main.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path), required=False)
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed.")
@click.option("--mailboxes", type=click.IntRange(50), default=120, show_default=True)
@click.option("--days", type=click.IntRange(28), default=42, show_default=True)
@click.option(
    "--start",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default="2026-09-21",
    show_default=True,
    help="First day of the simulated period (UTC).",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace a sample that an earlier 'chainwatch simulate' wrote to OUT_DIR.",
)
@click.option(
    "--scenario",
    default="vendor-hijack",
    show_default=True,
    help="Labelled attack or benign scenario to inject; see --list-scenarios.",
)
@click.option(
    "--list-scenarios",
    is_flag=True,
    help="Print every scenario with its kind, expected stages and description, then exit.",
)
@handle_errors
def simulate(
    out_dir: Path | None,
    seed: int,
    mailboxes: int,
    days: int,
    start: Any,
    overwrite: bool,
    scenario: str,
    list_scenarios: bool,
) -> None:
    """Write a simulated tenant with one labelled scenario (by default a takeover chain)."""
    from chainwatch.simulate import simulate_tenant
    from chainwatch.simulate.scenarios import SCENARIOS, get_scenario

    if list_scenarios:
        for item in SCENARIOS.values():
            stages = ", ".join(item.expected_stages) or "none"
            click.echo(f"{item.name} ({item.kind}; stages: {stages})\n  {item.description}")
        return
    if out_dir is None:
        raise click.UsageError("Missing argument 'OUT_DIR'.")
    try:
        get_scenario(scenario)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--scenario'") from exc

    if overwrite and (out_dir / "data").exists():
        if not (out_dir / "truth.json").is_file():
            raise SettingsError(
                f"{out_dir} has no truth.json, so 'chainwatch simulate' did not write it; "
                "refusing to delete it with --overwrite"
            )
        shutil.rmtree(out_dir / "data")
    start_date: date = start.date()
    try:
        result = simulate_tenant(
            out_dir, seed=seed, mailboxes=mailboxes, days=days, start=start_date, scenario=scenario
        )
    except ValueError as exc:
        raise SettingsError(str(exc)) from exc
    except FileExistsError as exc:
        raise SettingsError(f"{exc} (or pass --overwrite to replace a simulated sample)") from exc
    click.echo(
        f"Wrote a simulated tenant of {mailboxes} mailboxes over {days} days to {out_dir}, "
        f"scenario {result.scenario}:\n"
        f"  {result.data_dir}: {len(result.files)} files, {result.sign_ins} sign-ins, "
        f"{result.audit_records} audit records, {result.trace_rows} message trace rows, "
        f"{result.messages} messages\n"
        f"  {result.truth_path}: ground truth "
        f"({plural(len(result.compromised_accounts), 'compromised account')})\n"
        f"  {result.settings_path}: settings for --config"
    )


@main.command()
@click.option(
    "--suite",
    type=click.Choice(["ci", "full"]),
    default="ci",
    show_default=True,
    help="ci: every scenario once on a 50-mailbox, 28-day tenant; full: several seeds and sizes.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("docs/detection-quality.md"),
    show_default=True,
    help="Markdown page to write the results to.",
)
@click.option(
    "--jobs",
    type=click.IntRange(1),
    default=None,
    help="Simulations analysed at the same time. [default: one per CPU]",
)
@json_option
@handle_errors
def evaluate(suite: str, output: Path, jobs: int | None, as_json: bool) -> None:
    """Simulate every scenario, analyse it and compare the incidents with the ground truth."""
    import time

    from chainwatch.evaluate import Evaluation, build_suite, run_suite
    from chainwatch.evaluate.page import evaluation_document, render_markdown, render_table
    from chainwatch.evaluate.scenarios import scenario_catalogue

    if not output.parent.is_dir():
        raise SettingsError(
            f"folder {output.parent} for --output not found: create it or choose another path"
        )
    entries = build_suite(suite)
    if not as_json:
        click.echo(f"evaluating {plural(len(entries), 'simulated tenant')}", err=True)

    def progress(measurement: Any) -> None:
        if not as_json:
            click.echo(f"  {measurement.label}: {measurement.seconds:.0f} s", err=True)

    started = time.perf_counter()
    measurements = run_suite(entries, jobs, progress)
    evaluation = Evaluation(
        suite=suite,
        command=f"chainwatch evaluate --suite {suite}",
        measurements=measurements,
        seconds=time.perf_counter() - started,
        scenarios=scenario_catalogue(),
    )
    output.write_text(render_markdown(evaluation), encoding="utf-8")
    if as_json:
        click.echo(dumps(evaluation_document(evaluation)), nl=False)
        return
    click.echo(render_table(evaluation))
    click.echo(f"Wrote {output}.")


@main.command()
@click.argument("account")
@db_option
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Settings file (TOML) whose detection.min_history and half_life_days to apply.",
)
@json_option
@handle_errors
def baseline(account: str, db: str, config: Path | None, as_json: bool) -> None:
    """Show what an account's sign-in baseline learned: values, counts, state, peer group.

    Counts are decayed to the newest sign-in learned for any account, not to today.
    """
    from chainwatch.baseline.book import BaselineBook
    from chainwatch.baseline.learning import account_baseline, latest_signin_time
    from chainwatch.directory import Directory

    settings = load_settings(config)
    with _open_store(db, must_exist=True) as store:
        book = BaselineBook(store.load_baselines())
        upn = Directory(store.load_directory()).canonical(account.strip().lower()) or account
    now = latest_signin_time(book)
    summary = None
    if now is not None:
        summary = account_baseline(book, upn, now, settings.min_history, settings.half_life_days)
    if summary is None:
        raise SettingsError(
            f"no sign-in baseline for {account!r} in {db}: check the spelling of the user "
            "principal name, or run 'chainwatch analyze' with the sign-in logs first"
        )
    if as_json:
        click.echo(dumps(summary), nl=False)
        return
    lines = [
        f"{summary['account']}: {summary['state']} (as of {summary['as_of']})",
        f"  sign-ins learned: {summary['sign_ins']} on {summary['days_active']} days, "
        f"known for {summary['days_known']} days ({summary['first']} to {summary['last']})",
        f"  peer group: {summary['peer_group'] or '(none: the organisation is the prior)'}",
        f"  half-life: {summary['half_life_days']:g} days",
    ]
    if summary["last_trusted"]:
        trusted = summary["last_trusted"]
        lines.append(f"  last trusted location: {trusted['country']} at {trusted['time']}")
    if summary["protected_until"]:
        lines.append(f"  protected (not learning) until {summary['protected_until']}")
    for feature, rows in summary["features"].items():
        values = ", ".join(
            f"{row['value']} {row['count']} (weight {row['weight']:g})" for row in rows
        )
        lines.append(f"  {feature}: {values}")
    click.echo("\n".join(safe_text(line, 2000) for line in lines))


@main.command()
def models() -> None:
    """Print every detection model with its scoring and triage guide, as Markdown."""
    from chainwatch.detect.catalogue import render_markdown

    click.echo(render_markdown(), nl=False)


if __name__ == "__main__":
    main()
