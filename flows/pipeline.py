"""The Prefect flow: plan, learn the site templates, ingest → strip → repair → translate → write per
chunk of documents, record, publish.

A run plans (``vnclean.flows.run``: inputs, ids, the manifest's decisions), learns the site
templates (one task run), then runs its chunks: each is
one task run (``chunk-000_63c0ffbfaf89c8e9``; ``chunk-000_63c0…+49`` for a chunk of 50) that
takes file paths, runs the five stages of ``vnclean.tasks.pipeline`` (plain functions that tests call
without Prefect; ``vnclean.flows.chunk.run_chunk``), writes its documents, records them in the manifest,
logs what each stage did to each document (one log record per level and chunk), and hands back counts only
(``vnclean.tasks.runrecord.ChunkResult``). At most ``IN_FLIGHT`` chunks are in flight, whatever the
batch size; so memory, threads and calls to the Prefect API stay flat as the batch grows, and
documents appear on disk from the first chunk on. When the chunks are done, the run's record
(``_run.json``, ``_documents.jsonl``), ``report.html`` (``vnclean.flows.run``) and the artifacts
are made from what the chunks left on disk.
"""
from __future__ import annotations

import contextlib
import functools
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture, as_completed
from prefect.states import State

import vnclean._env  # noqa: F401  (Prefect settings must be in the environment first)
from vnclean import progress
from vnclean.flows.chunk import MANIFEST_FILE, MEMORY_FILE, _Lines, _worker_init, _worker_pid, run_chunk
from vnclean.flows.outcome import final_state
from vnclean.flows.run import (
    AUTO_PROCESSES_FROM,
    IN_FLIGHT,
    MAX_AUTO_PROCESSES,
    MAX_CHUNK,
    Review,
    RunPlan,
    chunk_label,
    chunk_size_for,
    close_run,
    inputs,
    learn_sample,
    plan_run,
    processes_for,
    record_run,
)
from vnclean.tasks.argos import find_model
from vnclean.tasks.escape import md_link, md_text
from vnclean.tasks.ingest import DEFAULT_MAX_BYTES, display_path
from vnclean.tasks.manifest import Manifest
from vnclean.tasks.models import Source
from vnclean.tasks.pipeline import FAILED, Doc, SetAside, commit_chunk, error_text, learn_templates, write_setaside
from vnclean.tasks.runrecord import REPORT_SECTIONS, ChunkResult, Row, RunCollector, RunSummary, summarise, write_part
from vnclean.tasks.templates import TEMPLATES_FILE
from vnclean.tasks.translate import MISSING_MODEL
from vnclean.tasks.write import OutputUnwritable, checkpoint_sqlite, output_lock, unwritable

__all__ = ["AUTO_PROCESSES_FROM", "IN_FLIGHT", "MAX_AUTO_PROCESSES", "MAX_CHUNK", "Row", "RunSummary",
           "chunk_size_for", "process_scrapes", "processes_for", "summarise", "summary_markdown", "with_runner"]

@dataclass
class Stopped:
    """What a task returns, instead of raising, when the output folder is full or read-only: the
    chunk's later tasks pass it on and the flow stops with one line (no task-failure tracebacks)."""

    reason: str


def _stops_cleanly(fn):
    """Turn a full or read-only output folder into :class:`Stopped`; pass a Stopped input on."""

    @functools.wraps(fn)
    def wrapper(works, *args, **kwargs):
        if isinstance(works, Stopped):
            return works
        try:
            return fn(works, *args, **kwargs)
        except Exception as err:
            stop = unwritable(err)
            if stop is None:
                raise
            return Stopped(str(stop))
    return wrapper


@task(task_run_name="learn-site-templates", cache_policy=NO_CACHE)
@_stops_cleanly
def learn_templates_task(paths: list[str], output_dir: str, max_bytes: int = DEFAULT_MAX_BYTES) -> int:
    # with --processes, the pages are read by the worker processes, which are idle until the chunks start
    pages = learn_templates(paths, Path(output_dir) / TEMPLATES_FILE, max_bytes, _POOL, _WORKERS)
    get_run_logger().info("site templates: %d pages with a site recorded", pages)
    return pages


_POOL: ProcessPoolExecutor | None = None  # worker processes of a run with --processes > 1
_WORKERS = 1  # ... and how many


@task(task_run_name="chunk-{label}", cache_policy=NO_CACHE)
@_stops_cleanly
def chunk_task(paths: list[str], ids: dict[str, str], label: str, output_dir: str, max_bytes: int, version: str,
               allow_downgrade: bool, sections: bool, model: str | None = None,
               retranslate: list[str] | None = None) -> ChunkResult:
    """One chunk (:func:`run_chunk`), in this thread or in a worker process; its log sent as one
    record per level."""
    args = (paths, ids, label, output_dir, max_bytes, version, allow_downgrade, sections, model, retranslate)
    result, lines = _POOL.submit(run_chunk, *args).result() if _POOL is not None else run_chunk(*args)
    log = _Lines()
    log.lines = lines
    log.send()
    return result


@contextlib.contextmanager
def _processes(count: int):
    """A pool of ``count`` worker processes for the chunks (none for 1: the task's own thread)."""
    global _POOL, _WORKERS
    if count <= 1:
        yield
        return
    threads = os.environ.get("VNCLEAN_TRANSLATE_THREADS") or str(max(1, (os.cpu_count() or 1) // count))
    _POOL = ProcessPoolExecutor(max_workers=count, mp_context=multiprocessing.get_context("spawn"),
                                initializer=_worker_init, initargs=(threads,))
    # start every worker now, from the flow's thread (a worker's parent-death signal follows the
    # thread that started it, and task threads come and go)
    list(_POOL.map(_worker_pid, range(count)))
    _WORKERS = count
    try:
        yield
    finally:
        pool, _POOL, _WORKERS = _POOL, None, 1
        pool.shutdown(wait=True, cancel_futures=True)


def summary_markdown(summary: RunSummary) -> str:
    """The run summary for the Prefect UI; every value from inputs goes through ``md_text``."""
    report = Path(summary.output_dir).resolve() / "report.html"
    lines = [
        f"# vnclean run over {md_text(summary.input_dir)}",
        "",
        "| documents | ok | rejected | failed | waiting for the model | translation | seconds |",
        "|---|---|---|---|---|---|---|",
        f"| {summary.processed} | {summary.count('ok')} | {summary.count('rejected')} | {summary.count('failed')} "
        f"| {summary.count('waiting')} | {md_text(summary.model or 'missing model')} | {summary.seconds} |",
        "",
        "Seconds per stage, summed over documents: "
        + ", ".join(f"{stage} {secs}" for stage, secs in summary.stage_seconds.items()),
        "",
        *[line for what, counts in summary.by_reason()
          for line in (f"{what.capitalize()}: " + ", ".join(f"{md_text(key)} {n}" for key, n in counts), "")],
        f"Output: {md_text(str(Path(summary.output_dir).resolve()))}"
        + (f" — review report: {md_link(report.name, report.as_uri())}" if report.exists() else ""),
    ]
    for r in summary.rows:
        if r.needs_attention:
            lines.append(f"- **{md_text(r.id)}** {r.status}: {md_text(r.reason)}")
    return "\n".join(lines)


def _publish(summary: RunSummary, review: Review) -> None:
    """Artifacts for the Prefect UI: the per-document table, a markdown run summary and the review
    (an empty run publishes nothing: the last run's artifacts stay the latest); the run's last log line."""
    if summary.processed:
        create_table_artifact(
            key="vnclean-documents",
            table=[{"id": r.id, "status": r.status, "site": r.site or "", "title": r.title[:80],
                    "paragraphs": r.paragraphs, "removed lines": r.removed, "repairs": r.repairs,
                    "MT score": r.mt_score, "translation": r.translation, "seconds": r.seconds,
                    "reason": r.reason} for r in summary.rows],
            description=f"vnclean: {summary.processed} documents from {md_text(summary.input_dir)}"
                        + (f" ({len(summary.rows)} shown: those that need attention)"
                           if len(summary.rows) < summary.processed else ""))
        create_markdown_artifact(key="vnclean-summary", markdown=summary_markdown(summary),
                                 description="vnclean run summary")
        from vnclean.tasks.report import review_markdown_of

        create_markdown_artifact(key="vnclean-review",
                                 markdown=review_markdown_of([(e.row.id, e.label, e.notes) for e in review.entries],
                                                             review.more, review.quiet, review.quiet_ids),
                                 description="vnclean review: what needs a person's eyes")
    get_run_logger().info(
        "%d inputs: %d new, %d changed, %d outdated, %d retried, %d with a damaged output, %d skipped; "
        "%d ok, %d waiting for the model, %d rejected, %d failed in %.1f s", summary.inputs, summary.new,
        summary.changed, summary.outdated, summary.retried, summary.damaged, summary.skipped, summary.count("ok"),
        summary.count("waiting"), summary.count("rejected"), summary.count("failed"), summary.seconds)


def _flow_run_name() -> str:
    from prefect.runtime import flow_run

    params = flow_run.parameters or {}
    folder = Path(str(params.get("input_dir", "input"))).name or "input"
    # the run id's last (random) characters: two runs started in the same second differ
    unique = str(flow_run.id or "").replace("-", "")[-6:]
    return f"{folder}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}-{unique}"


@flow(name="vnclean", flow_run_name=_flow_run_name, log_prints=True, validate_parameters=True)
def process_scrapes(input_dir: str = "input", output_dir: str = "output", chunk_size: int | None = None,
                    max_bytes: int = DEFAULT_MAX_BYTES, require_translation: bool = False,
                    force: bool = False, paths: list[str] | None = None, allow_downgrade: bool = False,
                    fail_on_rejected: bool = False, processes: int = 1, wait_for_lock: float = 0.0,
                    model: str | None = None) -> State:
    """Process the new or changed scrapes (``*.txt``, ``*.md``, ``*.html``) in ``input_dir`` (all with ``force``, or the
    given ``paths``) into ``output_dir``. A document whose stored English this run cannot make again
    keeps it and waits for the model, unless ``allow_downgrade``. A full or read-only output folder
    stops the run: the summary's ``stopped`` says so, and nothing partial is left. ``processes``
    > 1 runs the chunks in that many worker processes (each with its own model replica); 0 chooses
    by the number of documents to do (:func:`processes_for`).
    ``model`` is the vi→en package to translate with (CODE-VERSION, as `vnclean model list` shows
    it; default: ``VNCLEAN_MODEL``, else the newest installed). Documents done by another package
    only are translated again with their Vietnamese kept.

    The run ends Failed when documents failed (or were written without English, or the run
    stopped), once everything is written; rejected files alone end it Completed with a message,
    or Failed with ``fail_on_rejected`` (``vnclean.flows.outcome``: the state, and the events
    ``vnclean.run.finished`` and ``vnclean.document.failed``). Returns the final state, whose data
    (the summary) a direct call gets back; a direct call of a run that ended Failed raises
    ``vnclean.flows.outcome.RunFailed`` carrying it."""
    started = time.perf_counter()
    out = Path(output_dir)
    model_id = _model_id(model, require_translation)
    summary = RunSummary(display_path(Path(input_dir)), display_path(out), model_id)
    try:
        with output_lock(out, wait_for_lock):
            with contextlib.closing(Manifest(out / MANIFEST_FILE)) as manifest:
                plan = plan_run(inputs(Path(input_dir), paths), out, model_id, force, manifest)
                _skip(plan)
                collector = RunCollector(out)
                workers = _workers(plan, processes)
                with _checkpointed(out / MEMORY_FILE), _processes(workers):
                    _learn_templates(plan, out, max_bytes)
                    _run_chunks(plan, out, chunk_size, max_bytes, allow_downgrade, collector,
                                in_flight=max(IN_FLIGHT, workers), model=model_id)
                review = close_run(summary, plan, collector, manifest, out, max_bytes, started)
            record_run(out, summary)
    except Exception as err:  # noqa: BLE001 - only a full or read-only output folder is handled here
        stop = unwritable(err)
        if stop is None:
            raise
        summary.stopped = f"{stop}. Nothing partial was written; the next run with space finishes the work"
        summary.seconds = round(time.perf_counter() - started, 2)
        get_run_logger().error("stopped: %s", summary.stopped)
        return final_state(summary, fail_on_rejected)
    _publish(summary, review)
    return final_state(summary, fail_on_rejected)


def _model_id(model: str | None, require_translation: bool) -> str | None:
    """The package this run translates with (a package asked for but not installed: ModelError,
    which the CLI checks first); none installed is an error only with ``require_translation``."""
    chosen = find_model(model)
    if chosen is None:
        if require_translation:
            raise RuntimeError(MISSING_MODEL)
        get_run_logger().warning("%s; documents get translation.status = missing-model", MISSING_MODEL)
    return chosen.id if chosen else None


@contextlib.contextmanager
def _checkpointed(memory: Path):
    """The translation memory's write-ahead log checkpointed when the chunks are done (or stopped)."""
    try:
        yield
    finally:
        checkpoint_sqlite(memory)


def _workers(plan: RunPlan, processes: int) -> int:
    """Worker processes for the chunks (:func:`vnclean.flows.run.processes_for`; 1: threads of the run)."""
    workers = processes_for(len(plan.todo), processes)
    if workers > 1:
        get_run_logger().info("%d documents to do: chunks run in %d worker processes", len(plan.todo), workers)
    return workers


def _skip(plan: RunPlan) -> None:
    """The unchanged inputs: on the progress bar, and counted in the log."""
    for skipped in plan.skipped:
        progress.notify(plan.ids[skipped], "skipped")
    if plan.skipped:
        get_run_logger().info("%d unchanged input(s) skipped (already processed by this pipeline version)",
                              len(plan.skipped))


def _learn_templates(plan: RunPlan, out: Path, max_bytes: int) -> None:
    """The site templates, from the pages to strip (none when only the model changed)."""
    if plan.to_strip:
        learned = learn_templates_task(learn_sample(plan.to_strip), str(out), max_bytes)
        if isinstance(learned, Stopped):
            raise OutputUnwritable(learned.reason)


def _run_chunks(plan: RunPlan, out: Path, chunk_size: int | None, max_bytes: int, allow_downgrade: bool,
                collector: RunCollector, in_flight: int = 0, model: str | None = None) -> None:
    """Run the chunks of ``plan.todo``, at most ``IN_FLIGHT`` at a time: the next is submitted when any chunk in
    flight has ended (whichever ends first: threads and Dask workers finish out of order), and
    each one's documents are then on disk and in the manifest, and on the progress bar. A chunk whose task run
    crashed outright (a lost worker) has its documents recorded as failed; the other chunks go
    on. A full or read-only output folder stops the run (raised once the chunks in flight ended)."""
    files, ids, version, retranslate = plan.todo, plan.ids, plan.version, set(plan.retranslate)
    size = chunk_size_for(len(files), chunk_size)
    sections = len(files) <= REPORT_SECTIONS  # a small run's report shows every document
    pending: dict[PrefectFuture[Any], list[str]] = {}  # the futures in flight, each with its chunk
    stop: OutputUnwritable | None = None

    def finish(chunk: list[str], future) -> None:
        nonlocal stop
        try:
            result = future.result()
        except Exception as err:  # noqa: BLE001 - the rest of the batch goes on
            stop = stop or unwritable(err)
            if stop is not None:
                return
            error = error_text(err)
            label = chunk_label([ids[p] for p in chunk])
            get_run_logger().error("chunk %s crashed: %s", label, error)
            lost = [Doc(p, ids[p], end=SetAside("chunk", FAILED, error, Source(path=display_path(p), sha256="")))
                    for p in chunk]
            write_setaside(lost, out)
            commit_chunk(lost, out / MANIFEST_FILE, version)
            result = write_part(lost, collector.part_path(label), sections)
        if isinstance(result, Stopped):
            stop = stop or OutputUnwritable(result.reason)
            return
        for doc_id, status in result.statuses:
            progress.notify(doc_id, status)

    def finish_next() -> None:
        future = next(as_completed(list(pending)))  # the first chunk in flight to end
        finish(pending.pop(future), future)

    for i in range(0, len(files), size):
        if stop is not None:
            break  # nothing more is written; the next run does the rest
        while len(pending) >= (in_flight or IN_FLIGHT):
            finish_next()
        chunk = files[i:i + size]
        label = chunk_label([ids[p] for p in chunk])
        future = chunk_task.submit(chunk, {p: ids[p] for p in chunk}, label, str(out), max_bytes, version,
                                   allow_downgrade, sections, model, [p for p in chunk if p in retranslate])
        pending[future] = chunk
    while pending:
        finish_next()
    if stop is not None:
        raise stop


def with_runner(runner: str = "threads", dask_address: str | None = None, workers: int = 2):
    """``process_scrapes`` on the chosen task runner: threads (default) or Dask — a LocalCluster of
    ``workers`` processes, or the existing cluster at ``dask_address``. Each Dask worker loads the
    translation model once (vnclean.tasks.translate.get_translator caches it per process)."""
    if runner == "threads":
        return process_scrapes
    if runner != "dask":
        raise ValueError(f"unknown runner {runner!r}: threads or dask")
    from prefect_dask import DaskTaskRunner

    if dask_address:
        task_runner = DaskTaskRunner(address=dask_address)
    else:
        from vnclean.api import api_url

        # each worker process gets its share of the cores for its translation model replicas, and
        # the run's API (else each worker starts a temporary API of its own: ~20 s and ~230 MB each)
        threads = os.environ.get("VNCLEAN_TRANSLATE_THREADS") or str(max(1, (os.cpu_count() or 1) // workers))
        env = {"VNCLEAN_TRANSLATE_THREADS": threads}
        if url := api_url():
            env["PREFECT_API_URL"] = url
        task_runner = DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1,
                                                     "processes": True, "dashboard_address": None, "env": env})
    # prefect_dask subclasses the bare TaskRunner, whose future type defaults to the thread pool's
    return process_scrapes.with_options(task_runner=task_runner)  # type: ignore[arg-type]


# `vnclean serve --runner dask`: the served runs load this module in processes of their own, so the
# task runner comes from the environment the serving process set.
if os.environ.get("VNCLEAN_RUNNER", "threads") != "threads":
    process_scrapes = with_runner(os.environ["VNCLEAN_RUNNER"], os.environ.get("VNCLEAN_DASK_ADDRESS"))  # noqa: F811
