"""The ``vnclean`` command: run the flow over a folder, manage the translation model."""
from __future__ import annotations

import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

import vnclean._env  # noqa: F401  (before anything imports Prefect)
from vnclean import api
from vnclean.tasks.limits import DEFAULT_MAX_BYTES

if TYPE_CHECKING:
    from vnclean.tasks.runrecord import RunSummary

app = typer.Typer(help="Clean scraped Vietnamese news and translate it to English offline.", no_args_is_help=True)
model_app = typer.Typer(help="The vi→en translation model (Argos Translate package).", no_args_is_help=True)
app.add_typer(model_app, name="model")
console = Console()

# Exit statuses (README "Running it")
EXIT_FAILED = 1  # a file rejected or failed, or a translation failed
EXIT_USAGE = 2  # a usage or set-up error, or another run holds the output folder
EXIT_WAITING = 3  # documents kept their stored English and wait for the model (nothing worse happened)
EXIT_UNWRITABLE = 4  # the output folder is full or read-only: the run stopped, nothing partial written
PAUSE_TIMEOUT = 20.0  # seconds serve waits for the API to pause its schedule when stopped
EXIT_INTERRUPTED = 130  # Ctrl-C or SIGTERM: finished chunks are kept, the next run does the rest


@app.command()
def run(
    input: Annotated[Path, typer.Option("--input", "-i", help="folder of scrapes: *.txt, *.md, *.html")] = Path("input"),
    output: Annotated[Path, typer.Option("--output", "-o", help="folder for the documents")] = Path("output"),
    chunk_size: Annotated[int | None, typer.Option(help="documents per task run (default: 1 up to 20 documents, then 50, growing with the batch up to 500)")] = None,
    processes: Annotated[int, typer.Option(help="worker processes for the chunks: 1 runs them in threads of this process; default 0: one per core (at most 4) from 1,000 documents to do, else 1")] = 0,
    max_bytes: Annotated[int, typer.Option(help="reject files larger than this")] = DEFAULT_MAX_BYTES,
    require_translation: Annotated[bool, typer.Option("--require-translation", help="fail when no vi→en model is installed")] = False,
    force: Annotated[bool, typer.Option("--force", help="reprocess every input, not only new or changed ones")] = False,
    allow_downgrade: Annotated[bool, typer.Option("--allow-downgrade", help="write documents without English even over "
                                                  "stored ones that have it (default: keep those, exit 3)")] = False,
    runner: Annotated[str, typer.Option(help="task runner: threads, or dask (a local cluster, or --dask-address)")] = "threads",
    dask_address: Annotated[str | None, typer.Option(help="an existing Dask scheduler, e.g. tcp://host:8786")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="show Prefect's run logs in the terminal too")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="say what a run would process, and stop")] = False,
    wait_for_lock: Annotated[float, typer.Option(help="seconds to wait for another run on the same --output to end")] = 0,
    fail_on_rejected: Annotated[bool, typer.Option("--fail-on-rejected", help="end the Prefect flow run Failed when "
                                                   "files were rejected (default: Completed, with a message)")] = False,
    model: Annotated[str | None, typer.Option("--model", help="the vi→en package to translate with, CODE-VERSION as "
                                                 "`vnclean model list` shows it (default: VNCLEAN_MODEL, else the "
                                                 "newest installed)")] = None,
) -> None:
    """Run the Prefect flow over INPUT and write the contract documents to OUTPUT."""
    # The run logs always go to the Prefect API (the UI); the terminal shows warnings only,
    # under the progress bar, unless --verbose.
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "INFO" if verbose else "WARNING")
    if not input.is_dir():
        console.print(f"[red]input folder {input} {'is not a folder' if input.exists() else 'does not exist'}[/red]")
        raise typer.Exit(2)
    _check_setup(input, output, runner)  # set-up errors: one line each, within a second, before Prefect
    chosen = _chosen_model(model)
    if not dry_run:
        _check_output(output, wait_for_lock)
    from vnclean.tasks.translate import MISSING_MODEL

    if require_translation and chosen is None:
        console.print(f"[red]{MISSING_MODEL}[/red]")
        raise typer.Exit(2)
    from vnclean.flows.run import inputs, nothing_new, plan_run
    from vnclean.tasks.runrecord import RunSummary

    files = inputs(input)
    model_id = chosen.id if chosen else None
    if not files:
        console.print(f"No scrapes in {input}: vnclean reads the *.txt, *.md and *.html files of the folder. "
                      "Prefect was not started.")
        return
    from vnclean.tasks.write import OutputUnwritable

    if dry_run:
        try:
            plan = plan_run(files, output, model_id, force)
        except OutputUnwritable as err:
            _stopped(str(err))
        console.print(f"{len(files)} inputs: {plan.new} new, {plan.changed} changed, {plan.outdated} done by another "
                      f"pipeline version or model"
                      + (f" ({len(plan.retranslate)} only to translate again)" if plan.retranslate else "")
                      + f", {plan.retried} to retry, {len(plan.skipped)} unchanged; "
                      f"a run would process {len(plan.todo)}:")
        from vnclean.tasks.ingest import display_path

        for path in plan.todo[:20]:
            console.print(f"  {display_path(path)}", soft_wrap=True, highlight=False, markup=False)
        if len(plan.todo) > 20:
            console.print(f"  … and {len(plan.todo) - 20} more")
        return
    try:
        done = not force and not os.environ.get("PREFECT_API_URL") and nothing_new(files, output, model_id)
    except OutputUnwritable as err:
        _stopped(str(err))
    if done:
        console.print(f"Nothing new: all {len(files)} inputs are unchanged since they were processed by this "
                      "pipeline version (--force reprocesses them). Prefect was not started.")
        return
    if not os.environ.get("PREFECT_API_URL"):
        console.print("[dim]Starting Prefect's temporary local API (10–20 s on a cold machine)…[/dim]")
        # The temporary API is served from this process (vnclean.api) and stops when it exits,
        # possibly while it is still recording the last task-run events; its complaints about that
        # are not shown (run against `prefect server start` for a UI that keeps the history).
        os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")
    total = len(files)
    del files  # the flow lists the folder itself; 100,000 paths held here for the run were ~45 MB
    from vnclean import progress
    from vnclean.flows.outcome import RunFailed
    from vnclean.flows.pipeline import with_runner
    from vnclean.tasks.write import OutputLocked

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("{task.fields[last]}"), console=console) as bar:
        job = bar.add_task("documents", total=total, last="")

        def advance(doc_id: str, status: str) -> None:
            bar.update(job, advance=1, last=f"{doc_id} {status}")

        progress.subscribe(advance)
        previous = signal.signal(signal.SIGTERM, _terminate)  # systemd, docker stop: as Ctrl-C
        try:
            api.start_temporary_api()
            flow = with_runner(runner, dask_address)
            try:
                result = flow(input_dir=str(input), output_dir=str(output), chunk_size=chunk_size,
                              max_bytes=max_bytes, require_translation=require_translation, force=force,
                              allow_downgrade=allow_downgrade, fail_on_rejected=fail_on_rejected,
                              processes=processes if runner == "threads" else 1, wait_for_lock=wait_for_lock,
                              model=model_id)
            except RunFailed as failed:  # the flow run ended Failed; everything is written
                result = failed.summary
        except OutputLocked as err:
            console.print(f"[red]{err}[/red]")
            raise typer.Exit(EXIT_USAGE) from None
        except KeyboardInterrupt:
            bar.stop()
            _interrupted()
        finally:
            signal.signal(signal.SIGTERM, previous)
            progress.unsubscribe(advance)
    summary = RunSummary.from_record(result)
    if summary.stopped:
        _stopped(summary.stopped)
    _print_summary(summary)
    if summary.failed_any:
        raise typer.Exit(EXIT_FAILED)
    if summary.count("waiting"):
        raise typer.Exit(EXIT_WAITING)


RUNNERS = ("threads", "dask")


def _fail_setup(message: str) -> None:
    """A set-up error: one line, exit 2, before Prefect starts."""
    console.print(f"[red]vnclean: {escape(message)}[/red]", soft_wrap=True, highlight=False)
    raise typer.Exit(EXIT_USAGE)


def _chosen_model(model: str | None):
    """The vi→en package a run translates with (``--model``, else VNCLEAN_MODEL, else the newest
    installed; None when none is installed); one not installed is a set-up error listing those that are."""
    from vnclean.tasks.argos import ModelError, find_model

    try:
        return find_model(model)
    except ModelError as err:
        _fail_setup(str(err))


def _check_setup(input: Path, output: Path, runner: str) -> None:
    """What can be told from the command line and the paths alone (no file written)."""
    if runner not in RUNNERS:
        _fail_setup(f"unknown --runner {runner!r}: threads or dask")
    if output.exists() and not output.is_dir():
        _fail_setup(f"--output {output} is a file, not a folder")
    if not os.access(input, os.R_OK | os.X_OK):
        _fail_setup(f"input folder {input} cannot be read (permission denied)")


def _check_output(output: Path, wait: float = 0) -> None:
    """Before Prefect starts: the output folder can be created and written (else one line, exit 4,
    as for a folder that becomes full or read-only during a run), and no other run holds it (exit 2)."""
    from vnclean.tasks.write import OutputLocked, OutputUnwritable, output_lock, unwritable

    try:
        output.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=output, prefix=".vnclean-probe."):
            pass
        with output_lock(output, wait):
            pass
    except OutputLocked as err:
        _fail_setup(str(err))
    except (OSError, OutputUnwritable) as err:
        if unwritable(err) is None:
            _fail_setup(f"cannot use --output {output}: {err}")
        _stopped(f"cannot write ({output}): {getattr(err, 'strerror', None) or err}")


def _terminate(signum, frame) -> None:
    raise KeyboardInterrupt


def _interrupted() -> None:
    """Ctrl-C or SIGTERM: one line, Prefect's pending logs and events sent for a few seconds at
    most, the temporary API stopped, and out at once (chunks still running are dropped: what
    they had written is whole, and not in the manifest, so the next run does it again)."""
    console.print("[yellow]vnclean interrupted: the documents of every finished chunk are written and recorded; "
                  "run again to process the rest.[/yellow]", soft_wrap=True, highlight=False)
    api.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(EXIT_INTERRUPTED)


def _stopped(reason: str) -> None:
    """A full or read-only output folder: one line, exit 4."""
    console.print(f"[red]vnclean stopped: {reason}.[/red]", soft_wrap=True, highlight=False)
    raise typer.Exit(EXIT_UNWRITABLE)


@app.command()
def serve(
    input: Annotated[Path, typer.Option("--input", "-i", help="folder watched for new scrapes")] = Path("input"),
    output: Annotated[Path, typer.Option("--output", "-o")] = Path("output"),
    cron: Annotated[str, typer.Option(help="when to run (cron, in --timezone)")] = "*/15 * * * *",
    timezone: Annotated[str, typer.Option(help="IANA time zone of --cron, e.g. Asia/Ho_Chi_Minh")] = "UTC",
    interval: Annotated[int | None, typer.Option(help="run every N seconds instead of the cron")] = None,
    name: Annotated[str, typer.Option(help="deployment name")] = "scheduled",
    chunk_size: Annotated[int | None, typer.Option(help="documents per task run (as for run)")] = None,
    require_translation: Annotated[bool, typer.Option("--require-translation", help="fail runs when no vi→en model is installed")] = False,
    fail_on_rejected: Annotated[bool, typer.Option("--fail-on-rejected", help="end runs Failed when files "
                                                   "were rejected")] = False,
    runner: Annotated[str, typer.Option(help="task runner of each run: threads, or dask")] = "threads",
    dask_address: Annotated[str | None, typer.Option(help="an existing Dask scheduler, e.g. tcp://host:8786")] = None,
    wait_for_lock: Annotated[float, typer.Option(help="seconds a run waits for the one before it on the same --output")] = 600,
    model: Annotated[str | None, typer.Option("--model", help="the vi→en package to translate with, CODE-VERSION as "
                                                 "`vnclean model list` shows it (default: VNCLEAN_MODEL, else the "
                                                 "newest installed)")] = None,
) -> None:
    """Serve the flow as a scheduled Prefect deployment: each run processes new or changed scrapes.

    Needs a Prefect API (a schedule cannot live on the temporary one): `prefect server start`, or
    Prefect Cloud, with PREFECT_API_URL pointing at it. Ctrl-C or SIGTERM stops serving and pauses
    the schedule.
    """
    if not os.environ.get("PREFECT_API_URL"):
        console.print("[red]Scheduling needs a Prefect server. Start one with `prefect server start` and run "
                      "`PREFECT_API_URL=http://127.0.0.1:4200/api vnclean serve ...` (or point PREFECT_API_URL "
                      "at Prefect Cloud).[/red]")
        raise typer.Exit(2)
    if runner not in RUNNERS:
        _fail_setup(f"unknown --runner {runner!r}: threads or dask")
    _chosen_model(model)  # VNCLEAN_MODEL too: the served runs inherit it
    try:
        import zoneinfo

        zoneinfo.ZoneInfo(timezone)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        _fail_setup(f"unknown --timezone {timezone!r}: an IANA name such as Asia/Ho_Chi_Minh or UTC")
    # The served runs are processes that load flows/pipeline.py again: they read the runner here.
    os.environ["VNCLEAN_RUNNER"] = runner
    if dask_address:
        os.environ["VNCLEAN_DASK_ADDRESS"] = dask_address
    import asyncio

    from prefect.runner import Runner
    from prefect.schedules import Cron, Interval

    from vnclean.flows.pipeline import process_scrapes

    parameters = {"input_dir": str(input.resolve()), "output_dir": str(output.resolve()), "chunk_size": chunk_size,
                  "require_translation": require_translation, "fail_on_rejected": fail_on_rejected,
                  "wait_for_lock": wait_for_lock, "model": model}
    schedule = Interval(interval) if interval else Cron(cron, timezone=timezone)
    when = f"every {interval} s" if interval else f"cron {cron!r} ({timezone})"
    console.print(f"Serving deployment vnclean/{name} ({when}, {runner}) over {parameters['input_dir']} "
                  f"→ {parameters['output_dir']} on {os.environ['PREFECT_API_URL']}; Ctrl-C or SIGTERM stops.",
                  soft_wrap=True, highlight=False, markup=False)
    served = Runner(name=name, pause_on_shutdown=True)
    # SIGTERM (systemd, docker stop) as Ctrl-C: the runner stops and pauses the schedule; from
    # here on, also while the deployment is being made (the runner installs its handler later).
    # A serve started in the background (nohup, `&` in a script) inherits SIGINT ignored, and
    # SIGINT would then do nothing: Python's own Ctrl-C handling is put back first (asyncio then
    # cancels the runner's task cleanly; raising KeyboardInterrupt in the handler instead lands
    # inside whatever task runs and prints its traceback).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    served.handle_sigterm = lambda *args: signal.raise_signal(signal.SIGINT)  # type: ignore[method-assign]
    signal.signal(signal.SIGTERM, served.handle_sigterm)
    deployment_id = None
    try:
        deployment_id = served.add_flow(process_scrapes, name=name, schedule=schedule, parameters=parameters)
        asyncio.run(served.start())
    except KeyboardInterrupt:
        pass
    if deployment_id is None:
        console.print(f"Stopped before vnclean/{name} was served.", soft_wrap=True, highlight=False, markup=False)
        return
    # add_flow is sync-compatible: called outside an event loop it returned the id, not a coroutine
    assert isinstance(deployment_id, UUID)
    # the runner's own pause is skipped when its loop is cancelled: pause the schedule here
    import httpx
    from prefect.client.orchestration import get_client

    async def pause() -> None:
        async with get_client() as client:
            await client.pause_deployment(deployment_id)

    try:  # bounded: a stop must not hang on a slow API (systemd kills after 90 s)
        asyncio.run(asyncio.wait_for(pause(), PAUSE_TIMEOUT))
    except (TimeoutError, OSError, httpx.HTTPError) as err:
        console.print(f"Stopped serving vnclean/{name}; its schedule could not be paused ({type(err).__name__}): "
                      f"pause it in the Prefect UI.", soft_wrap=True, highlight=False, markup=False)
        return
    console.print(f"Stopped serving vnclean/{name}; its schedule is paused.", soft_wrap=True, highlight=False,
                  markup=False)


TABLE_ROWS = 50  # the terminal's summary table lists the documents of runs up to this size


def _print_summary(s: RunSummary) -> None:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True, title=f"vnclean: {s.input_dir} → {s.output_dir}", caption=(
        "para = paragraphs kept, rm = lines removed, fix = repairs, MT = machine-translation score, "
        "en = translation"))
    widths = {"id": 20, "status": 8, "site": 11, "para": 4, "rm": 3, "fix": 3, "MT": 4, "en": 7}
    for col, width in widths.items():
        table.add_column(col, justify="left" if col in ("id", "status", "site", "en") else "right",
                         no_wrap=True, min_width=width)
    for r in s.rows:
        ok = r.status == "ok"
        table.add_row(r.id, r.status, r.site or "", str(r.paragraphs) if ok else "", str(r.removed) if ok else "",
                      str(r.repairs) if ok else "", f"{r.mt_score:.2f}" if ok else "",
                      {"missing-model": "missing"}.get(r.translation, r.translation), style=None if ok else "red")
    rows = s.rows  # every row of a run up to 1,000 documents, else those that need attention
    processed = s.processed
    if rows and len(rows) == processed and processed <= TABLE_ROWS:
        console.print(table)
    console.print(f"{s.inputs} inputs: {s.new} new, {s.changed} changed, "
                  f"{s.outdated} redone for a new pipeline version or model, {s.retried} retried, "
                  + (f"{s.damaged} redone because an output was missing, cut short or edited, " if s.damaged else "")
                  + (f"{s.forced} done again because of --force, " if s.forced else "")
                  + f"{s.skipped} unchanged and skipped (--force reprocesses them)")
    untranslated: dict[str, list[str]] = {}
    waiting = [r for r in rows if r.status == "waiting"]
    set_aside = [r for r in rows if r.status in ("rejected", "failed")]
    for r in set_aside[:TABLE_ROWS]:
        console.print(f"[red]{escape(r.id)}: {r.status} — {escape(r.reason)}[/red]")
    if len(set_aside) > TABLE_ROWS:
        console.print(f"[red]… and {s.count('rejected') + s.count('failed') - TABLE_ROWS} more set aside: "
                      "see report.html and _documents.jsonl[/red]")
    for r in rows:
        if r.status == "ok" and r.translation == "failed":
            untranslated.setdefault(r.reason, []).append(r.id)
    for reason, ids in untranslated.items():  # one line per distinct reason (a broken model: one line)
        who = ids[0] if len(ids) == 1 else f"{len(ids)} documents ({ids[0]}, …)"
        console.print(f"[red]{escape(who)} written without English: {escape(reason)}. They will be retried on the next "
                      "run.[/red]")
    if waiting:  # one line: the cause is the same for all (no model here, or it cannot be loaded)
        who = waiting[0].id if s.count("waiting") == 1 else f"{s.count('waiting')} documents ({waiting[0].id}, …)"
        console.print(f"[yellow]{escape(who)} kept their stored English and wait for the model: this run's "
                      f"translation is {waiting[0].translation}. Run again with the model (--allow-downgrade "
                      "writes them without English).[/yellow]")
    console.print(
        f"processed {processed}: {s.count('ok')} ok, "
        + (f"{s.count('waiting')} waiting for the model, " if s.count("waiting") else "")
        + f"{s.count('rejected')} rejected, {s.count('failed')} failed · "
        f"{s.kept.get('paragraphs', 0)} paragraphs kept · {s.kept.get('removed', 0)} lines removed · "
        f"{s.kept.get('repairs', 0)} repairs · {s.seconds} s")
    for what, counts in s.by_reason():  # lines removed by reason, repairs by kind, set aside by stage and reason
        console.print(f"{what}: " + " · ".join(f"{escape(key)} {n}" for key, n in counts), highlight=False)
    if s.stage_seconds:
        console.print("seconds per stage, summed over documents (which run concurrently): "
                      + " · ".join(f"{stage} {secs:.2f}" for stage, secs in s.stage_seconds.items()))
    if s.model is None:
        from vnclean.tasks.translate import MISSING_MODEL

        console.print(f"[yellow]Translation: missing-model — {MISSING_MODEL}[/yellow]")
    else:
        failed = s.translation_failed
        console.print(f"Translation: {s.model} · {s.cache_hits} sentences from the translation "
                      f"memory, {s.cache_misses} by the model"
                      + (f" · [red]{failed} document(s) without English[/red]" if failed else ""))
    if processed:
        console.print(f"Review report: {Path(s.output_dir) / 'report.html'}"
                      + ("" if processed <= TABLE_ROWS else f" · every document's row: "
                         f"{Path(s.output_dir) / '_documents.jsonl'}"))


@model_app.command("list")
def model_list(
    model: Annotated[str | None, typer.Option("--model", help="show what a run with this --model would use")] = None,
) -> None:
    """Show the installed translation packages, where they live, and the one runs use."""
    from vnclean.tasks.argos import installed_models, packages_dir

    chosen = _chosen_model(model)
    models = installed_models()
    console.print(f"Packages folder: {packages_dir()}  (set ARGOS_PACKAGES_DIR to change it)", soft_wrap=True,
                  highlight=False, markup=False)
    if not models:
        console.print("No translation package installed.")
        return
    table = Table()
    table.add_column("in use", no_wrap=True)
    table.add_column("package (CODE-VERSION)", no_wrap=True)
    for col in ("from", "to", "version", "size"):
        table.add_column(col, no_wrap=True)
    table.add_column("path", overflow="fold")
    for m in models:
        table.add_row("*" if chosen is not None and m.path == chosen.path else "", m.id, m.from_code, m.to_code,
                      m.version, f"{m.size_bytes / 1e6:.1f} MB", str(m.path))
    console.print(table)
    if chosen is None:
        console.print("No vi→en package installed: documents get translation.status = missing-model.")
    else:
        why = ("--model" if model else "VNCLEAN_MODEL" if os.environ.get("VNCLEAN_MODEL")
               else "the newest vi→en package by version; --model or VNCLEAN_MODEL chooses another")
        console.print(f"In use: {chosen.id} ({why})", soft_wrap=True, highlight=False, markup=False)


@model_app.command("remove")
def model_remove(
    package: Annotated[str, typer.Argument(help="the package to remove, CODE-VERSION as `vnclean model list` shows it")],
) -> None:
    """Remove an installed translation package (asks nothing)."""
    from vnclean.tasks.argos import ModelError, find_model, remove

    try:
        removed = remove(package)
    except ModelError as err:
        _fail_setup(str(err))
    console.print(f"Removed {removed.id} ({removed.size_bytes / 1e6:.1f} MB) from {removed.path}", soft_wrap=True,
                  highlight=False, markup=False)
    try:
        now = find_model()
    except ModelError as err:  # VNCLEAN_MODEL names the package just removed
        console.print(f"[yellow]{escape(str(err))}: runs stop with a set-up error until it is changed.[/yellow]",
                      soft_wrap=True, highlight=False)
        return
    console.print(f"In use now: {now.id}" if now else "No vi→en package left: documents get "
                  "translation.status = missing-model.", soft_wrap=True, highlight=False, markup=False)


@model_app.command("install")
def model_install(
    from_file: Annotated[Path | None, typer.Option("--from", help="install this .argosmodel file (offline)")] = None,
) -> None:
    """Install the vi→en package: from the Argos index (online) or from a file."""
    from vnclean.tasks.argos import ModelError, install_from_file, install_from_index

    try:
        if from_file is not None:
            model = install_from_file(from_file)
        else:
            with Progress(TextColumn("downloading vi→en"), BarColumn(), TextColumn("{task.completed:,.0f} B"),
                          console=console) as bar:
                job = bar.add_task("download", total=None)
                model = install_from_index(lambda done, total: bar.update(job, completed=done, total=total or None))
    except ModelError as err:
        console.print(f"[red]{err}[/red]", soft_wrap=True, highlight=False)
        raise typer.Exit(EXIT_USAGE if from_file is not None else EXIT_FAILED) from None  # a bad file: a usage error
    console.print(f"Installed {model.id} at {model.path} ({model.size_bytes / 1e6:.1f} MB)")


if __name__ == "__main__":
    app()
