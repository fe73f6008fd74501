"""The `pbc` command: one entry point for running, loading and reporting."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Practice Based Commissioning.", no_args_is_help=True, add_completion=False)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pbc.config.settings")
    import django

    from pbc.config.production import ProductionRefused

    try:
        django.setup()
    except ProductionRefused as refused:  # PBC_ENV=production with unfit settings: say why
        typer.echo(str(refused), err=True)
        raise SystemExit(2) from None


def migrate(quiet: bool = True) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0 if quiet else 1)


demo_app = typer.Typer(
    help="The demo: `pbc demo` builds it; `pbc demo totp USER` prints a demo user's code.",
    add_completion=False,
)
app.add_typer(demo_app, name="demo")


@demo_app.callback(invoke_without_command=True)
def demo(
    ctx: typer.Context,
    scale: Annotated[
        str, typer.Option(help="full (make run) or test (a few thousand patients)")
    ] = "full",
    if_missing: Annotated[
        bool, typer.Option("--if-missing", help="do nothing when the demo is already built")
    ] = False,
    rebuild: Annotated[
        bool,
        typer.Option("--rebuild", help="generate, import and recompute everything, changed or not"),
    ] = False,
) -> None:
    """Build the demo geography, users, data and plans (idempotent).

    Steps whose inputs did not change since they last completed are skipped; --rebuild runs
    them all."""
    if ctx.invoked_subcommand is not None:
        return
    if scale not in ("full", "test"):
        raise typer.BadParameter("scale must be 'full' or 'test'")
    setup_django()
    _build_demo(scale, if_missing=if_missing, rebuild=rebuild)
    from pbc import demo as demo_module

    typer.echo(demo_module.logins_text())


def _build_demo(scale: str, *, if_missing: bool, rebuild: bool) -> None:
    from pbc import demo as demo_module

    started = time.monotonic()
    migrate()
    if if_missing and not rebuild and demo_module.is_loaded(scale):
        typer.echo(f"demo ({scale}) already built ({time.monotonic() - started:.1f} s)")
        return
    typer.echo(f"building the demo ({scale} scale); the first build takes a few minutes")
    demo_module.build(scale, report=typer.echo, rebuild=rebuild)
    typer.echo(f"demo ({scale}) built in {time.monotonic() - started:.1f} s")


@demo_app.command("totp")
def demo_totp(
    username: Annotated[str, typer.Argument(help="a demo user, e.g. analyst")],
) -> None:
    """Print the current second-factor code of a demo user (from the documented demo key)."""
    setup_django()
    migrate()
    from pbc import demo as demo_module

    try:
        typer.echo(demo_module.totp_code(username))
    except LookupError as err:
        typer.echo(f"pbc demo totp: {err}", err=True)
        raise typer.Exit(2) from None


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 8000,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    with_demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="first build the full demo if it is not built (as `pbc demo --if-missing`)",
        ),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(help="worker processes (default: PBC_WORKERS, or one per core)"),
    ] = None,
) -> None:
    """Run the web app (gunicorn: worker processes, a few threads each)."""
    setup_django()
    if with_demo:
        _build_demo("full", if_missing=True, rebuild=False)  # migrates first
    else:
        migrate()
    from pbc.config import server
    from pbc.config.wsgi import application
    from pbc.imports.actions import recover_interrupted_imports

    for run in recover_interrupted_imports():
        typer.echo(f"interrupted import of {run.source_name} into {run.dataset}: {run.status}")
    from pbc import retention

    retention.apply()  # and daily by `pbc retention` (docs/security.md, "Retention")
    processes = workers if workers is not None else server.default_workers()
    if processes < 1:
        raise typer.BadParameter("--workers must be at least 1")
    # Import every view now, once, rather than on each worker's first request.
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018
    typer.echo(
        f"pbc is serving on http://{host}:{port}/ with {processes} worker processes"
        f" of {server.THREADS_PER_WORKER} threads (Ctrl-C to stop)"
    )
    server.serve(application, host=host, port=port, workers=processes)


@app.command()
def synth(
    out: Annotated[Path, typer.Option(help="folder to write one file per dataset into")],
    population: Annotated[
        int | None, typer.Option(help="patients (default: the demo geography's list sizes)")
    ] = None,
    seed: Annotated[int, typer.Option(help="same seed, byte-identical files")] = 2008,
    start: Annotated[str, typer.Option(help="first month, YYYY-MM")] = "2005-04",
    end: Annotated[str, typer.Option(help="last month, YYYY-MM")] = "2009-03",
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet")] = "csv",
    localities: Annotated[
        list[str] | None, typer.Option("--localities", help="locality slugs (repeatable)")
    ] = None,
    fault_rate: Annotated[float, typer.Option(help="share of activity rows given a fault")] = 0.02,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Write a synthetic population and its activity to files."""
    from pbc.synth.command import synth_command

    try:
        summary = synth_command(population, seed, start, end, out, fmt, localities, fault_rate)
    except (ValueError, OSError) as error:
        typer.echo(f"pbc synth: {error}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    typer.echo(f"wrote {summary['format']} files to {summary['out']} in {summary['seconds']}s")
    rows = summary["rows"]
    assert isinstance(rows, dict)
    for name, count in rows.items():
        typer.echo(f"  {name:<24} {count:>12,}")


@app.command("import")
def import_(
    dataset: Annotated[
        str | None, typer.Argument(help="dataset name, e.g. apc, op, prescribing")
    ] = None,
    file: Annotated[
        Path | None, typer.Argument(help="CSV, XLSX, XLS or Parquet file, in any known layout")
    ] = None,
    period: Annotated[str | None, typer.Option(help="the month the file covers, YYYY-MM")] = None,
    layout: Annotated[
        str | None,
        typer.Option(help="read the file in this layout (default: recognised from its header)"),
    ] = None,
    list_layouts: Annotated[
        bool, typer.Option("--layouts", help="list the published layouts pbc reads, and stop")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="print the import record as JSON")
    ] = False,
    pct: Annotated[
        str | None,
        typer.Option(
            help="import on behalf of this PCT (code, e.g. 5P3): rows of other commissioners "
            "are refused and only this PCT's rows are replaced; without it the command line "
            "is the system operator and may replace every commissioner's rows"
        ),
    ] = None,
) -> None:
    """Import one file into the warehouse (the one import for tabular and reference data).

    The file may be in pbc's own layout or in a published one (NHSBSA prescribing, NHS
    Digital list sizes, the ODS practice file, ...): the layout is recognised from the header
    and named in the record; `--layouts` lists them."""
    if list_layouts:
        from pbc.warehouse.layouts import describe

        rows = describe()
        if as_json:
            typer.echo(json.dumps(rows))
            return
        for row in rows:
            typer.echo(f"{row['name']:<18} {row['dataset']:<16} {row['title']}")
            typer.echo(f"{'':<18} {'':<16} source: {row['source']}; spec: {row['spec']}")
        return
    if dataset is None or file is None:
        typer.echo("pbc import: give DATASET and FILE (or --layouts)", err=True)
        raise typer.Exit(2)
    setup_django()
    migrate()
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from pbc.imports.actions import run_import
    from pbc.orgs.models import Pct

    if pct is not None and not Pct.objects.filter(code=pct).exists():
        known = ", ".join(Pct.objects.order_by("code").values_list("code", flat=True))
        typer.echo(f"pbc import: unknown PCT {pct!r} (known: {known or 'none'})", err=True)
        raise typer.Exit(2)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        disable=as_json or not sys.stderr.isatty(),
        console=None,
        transient=True,
    ) as bar:
        task = bar.add_task(f"importing {file.name}", total=1.0)

        def progress(stage: str, fraction: float) -> None:
            bar.update(task, completed=fraction, description=f"{file.name}: {stage}")

        run, result = run_import(
            None, dataset, file, period=period, progress=progress, pct=pct, layout=layout
        )
    if result is None:
        typer.echo(f"pbc import: refused, nothing changed: {run.message}", err=True)
        if as_json:
            typer.echo(json.dumps({"status": "refused", "message": run.message}))
        raise typer.Exit(2)
    if as_json:
        typer.echo(json.dumps({"status": "loaded", "import_run": run.pk, **result.to_dict()}))
        return
    typer.echo(f"{file.name}: read in layout {result.layout}")
    if result.sheets:
        typer.echo(f"sheets read: {', '.join(result.sheets)}")
    typer.echo(
        f"{result.dataset}: read {result.rows_read:,}, loaded {result.rows_loaded:,}, "
        f"rejected {result.rows_rejected:,}, dropped {result.rows_dropped:,} "
        f"(flagged {result.rows_flagged:,}) in {result.seconds:.1f}s"
    )
    for reason, count in result.dropped.items():
        typer.echo(f"  dropped {count:,}: {reason}")
    if result.ignored_columns:
        typer.echo(f"columns not loaded: {', '.join(result.ignored_columns)}")
    if result.partitions:
        typer.echo(f"partitions replaced: {len(result.partitions)}")
    if result.quarantine_path:
        typer.echo(f"quarantined rows: {result.quarantine_path}")


@app.command("backup")
def backup_command(
    out: Annotated[Path, typer.Argument(help="a new folder to write the backup into")],
) -> None:
    """A consistent snapshot of the app database and the committed warehouse (the site may run)."""
    setup_django()
    migrate()
    from pbc.backup import BackupError, backup

    def report(message: str) -> None:
        typer.echo(f"pbc backup: {message}", err=True)

    try:
        index = backup(out, report=report)
    except BackupError as err:
        typer.echo(f"pbc backup: {err}", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"backup written to {out}: {index['database']} database, "
        f"{len(index['datasets'])} datasets, {len(index['files'])} files"
    )


@app.command("retention")
def retention_command(
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="list the warehouse partitions, register rows, caseload entries and quarantine "
            "files that would be deleted; delete nothing",
        ),
    ] = False,
) -> None:
    """Delete what is past its retention period (the warehouse's old patient-level periods and
    ended registrations, discharged caseload entries, quarantined rows, old audit events and sign-in records, expired uploads and sessions): run
    it daily. docs/security.md, "Retention"."""
    setup_django()
    migrate()
    from pbc import retention

    if dry_run:
        plan = retention.preview()
        if plan.first_kept is None:
            typer.echo("warehouse: patient-level data kept (PBC_RETAIN_PATIENT_YEARS is 'keep')")
        else:
            rows = sum(a.rows for a in plan.partitions)
            typer.echo(
                f"warehouse: {len(plan.partitions)} patient-level partitions ({rows} rows) "
                f"of periods before {plan.first_kept} would be aged out"
            )
            for aged in plan.partitions:
                typer.echo(f"  {aged.dataset}/{aged.partition}: {aged.rows} rows")
            for name, n in plan.derived.items():
                typer.echo(f"  app database, {name.replace('_', ' ')}: {n} would be removed")
            typer.echo(
                f"patient register: {plan.register_rows} registrations that ended before "
                f"{plan.first_kept}-01 would be removed"
            )
        if plan.caseload_before is None:
            typer.echo("caseloads: entries kept (PBC_RETAIN_CASELOAD_YEARS is 'keep')")
        else:
            typer.echo(
                f"caseloads: {plan.caseload_entries} entries of patients discharged before "
                f"{plan.caseload_before.isoformat()} would be deleted"
            )
        typer.echo(f"quarantine: {len(plan.quarantine_files)} files would be deleted")
        for path in plan.quarantine_files:
            typer.echo(f"  {path}")
        typer.echo("dry run: nothing deleted")
        return
    counts = retention.apply()
    typer.echo("deleted: " + ", ".join(f"{name} {n}" for name, n in counts.items()))


@app.command("restore")
def restore_command(
    source: Annotated[Path, typer.Argument(help="a folder written by `pbc backup`")],
) -> None:
    """Bring a backup back into a fresh data directory and an empty app database."""
    setup_django()
    from pbc.backup import BackupError, restore

    def report(message: str) -> None:
        typer.echo(f"pbc restore: {message}", err=True)

    try:
        index = restore(source, report=report)
    except BackupError as err:
        typer.echo(f"pbc restore: {err}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"restored the backup of {index['created_at']} from {source}")


warehouse_app = typer.Typer(help="The Parquet warehouse.", no_args_is_help=True)
app.add_typer(warehouse_app, name="warehouse")


@warehouse_app.command("status")
def warehouse_status(
    as_json: Annotated[
        bool, typer.Option("--json", help="datasets, partitions and rows as JSON")
    ] = False,
) -> None:
    """Datasets, partitions and row counts."""
    setup_django()
    from django.conf import settings

    from pbc.warehouse.command import status_command

    raise typer.Exit(status_command(as_json=as_json, data_dir=settings.DATA_DIR))


@app.command()
def refresh(
    month: Annotated[
        str | None,
        typer.Option(
            help="YYYY-MM. Default: costing and statements for the latest month with admitted "
            "patient care (its year to date and the two years before); findings and "
            "indicators for every month the warehouse holds"
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="run every step, even those whose inputs did not change")
    ] = False,
    board_packs: Annotated[
        bool,
        typer.Option(
            "--board-packs",
            help="then build and store each locality's board pack (page, PDF, XLSX) for its "
            "latest month, so that no reader waits for it",
        ),
    ] = False,
) -> None:
    """Recompute everything derived: findings, costing and statements, indicators.

    One pipeline of steps, each after the steps it reads (findings before statements: agreed
    challenge recoveries are credited to budgets). A step whose inputs (the warehouse data it
    reads, the app data it reads, its month, the steps before it) did not change since it last
    completed is skipped; --force runs it anyway. Costing and statements are always for one
    report month: its financial year to date and the two whole years before (the backtests'
    history). With --month, findings and indicators are recomputed for that month only.
    """
    from pbc.periods import parse_month

    try:
        first = parse_month(month) if month is not None else None
    except ValueError as err:
        typer.echo(f"pbc refresh: --month {err}", err=True)
        raise typer.Exit(2) from None
    setup_django()
    migrate()
    from pbc.refresh.pipeline import RefreshBusy, run

    try:
        run(first, force=force, report=typer.echo)
    except RefreshBusy as busy:
        typer.echo(f"pbc refresh: {busy}", err=True)
        raise typer.Exit(1) from None
    if board_packs:
        from pbc.reports import documents

        typer.echo("board packs (page, PDF, XLSX) for each locality's latest month:")
        documents.store_latest(report=typer.echo)


@app.command()
def validate(
    month: Annotated[str | None, typer.Option(help="YYYY-MM; default: every month")] = None,
    score: Annotated[
        bool, typer.Option("--score", help="precision and recall against the truth file")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="rules, findings, amounts as JSON")
    ] = False,
) -> None:
    """Run the validation rules over the warehouse (and score them against faults.csv)."""
    setup_django()
    migrate()
    from pbc.validation.refresh import validate_command

    _finish(*validate_command(month, score=score, as_json=as_json))


risk_app = typer.Typer(help="Risk stratification for case finding.", no_args_is_help=True)
app.add_typer(risk_app, name="risk")


@risk_app.command("train")
def risk_train(
    train_year: Annotated[str, typer.Option(help="outcome year to train on")] = "2006/07",
    evaluation_year: Annotated[str, typer.Option(help="held-out outcome year")] = "2007/08",
) -> None:
    """Train and evaluate the emergency-admission risk models; keep the model card."""
    setup_django()
    migrate()
    from pbc.population.commands import risk_train_command

    raise typer.Exit(risk_train_command(train_year=train_year, evaluation_year=evaluation_year))


@risk_app.command("score")
def risk_score() -> None:
    """Score the current population with the latest model (the case-finding lists)."""
    setup_django()
    migrate()
    from pbc.population.commands import risk_score_command

    raise typer.Exit(risk_score_command())


@risk_app.command("pseudonymised")
def risk_pseudonymised(
    outcome_year: Annotated[str, typer.Option(help="outcome year, e.g. 2008/09")] = "2008/09",
) -> None:
    """The activity rule (2+ emergency admissions) and baseline on a pseudonymised HES / SUS
    extract's hospital users (no NHS numbers: not linked to the register); aggregate JSON."""
    setup_django()
    migrate()
    from pbc.population.commands import risk_pseudonymised_command

    raise typer.Exit(risk_pseudonymised_command(outcome_year))


plans_app = typer.Typer(help="Commissioning plans.", no_args_is_help=True)
app.add_typer(plans_app, name="plans")


def _finish(code: int, text: str) -> None:
    """Print a command function's text (to stderr when it failed) and exit with its code."""
    if text:
        typer.echo(text, err=code != 0)
    raise typer.Exit(code)


@plans_app.command("import")
def plans_import(
    file: Annotated[Path, typer.Argument(help="plan document: .txt export, .docx or .xlsx")],
    locality: Annotated[str, typer.Option(help="locality slug, e.g. dacorum")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="read and report; write nothing")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="objectives and unplaced text as JSON")
    ] = False,
) -> None:
    """Import a locality commissioning plan document."""
    setup_django()
    migrate()
    from pbc.plans.commands import plans_import_command

    _finish(*plans_import_command(file, locality, dry_run=dry_run, as_json=as_json))


report_app = typer.Typer(help="Reports.", no_args_is_help=True)
app.add_typer(report_app, name="report")


@report_app.command("plan")
def report_plan(
    locality: Annotated[str, typer.Option(help="locality slug")],
    month: Annotated[str, typer.Option(help="reporting month, YYYY-MM")],
    out: Annotated[Path, typer.Option(help="file to write")],
    fmt: Annotated[str, typer.Option("--format", help="html, pdf or xlsx")] = "html",
) -> None:
    """The plan's board status report for a locality and month."""
    setup_django()
    from pbc.plans.commands import report_plan_command

    _finish(*report_plan_command(locality, month, fmt, out))


@report_app.command("board")
def report_board(
    locality: Annotated[str, typer.Option(help="locality slug")],
    month: Annotated[str, typer.Option(help="reporting month, YYYY-MM")],
    out: Annotated[Path, typer.Option(help="file to write")],
    fmt: Annotated[str, typer.Option("--format", help="html, pdf or xlsx")] = "html",
) -> None:
    """The locality performance report (monthly board pack) for a locality and month."""
    setup_django()
    from pbc.reports.commands import report_board_command

    _finish(*report_board_command(locality, month, fmt, out))


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
