"""The Prefect flow: ingest → strip boilerplate → repair → translate → write, per chunk of documents.

A run plans (manifest), learns the site templates (one task run), then runs its chunks: each is
one task run (``chunk-000_63c0ffbfaf89c8e9``; ``chunk-000_63c0…+49`` for a chunk of 50) that
takes file paths, runs the five stages of ``vnclean.tasks.pipeline`` (plain functions that tests call
without Prefect; ``vnclean.flows.chunk.run_chunk``), writes its documents, records them in the manifest,
logs what each stage did to each document (one log record per level and chunk), and hands back counts only
(``vnclean.tasks.runrecord.ChunkResult``). At most ``IN_FLIGHT`` chunks are in flight, whatever the
batch size; so memory, threads and calls to the Prefect API stay flat as the batch grows, and
documents appear on disk from the first chunk on. When the chunks are done, the run's record
(``_run.json``, ``_documents.jsonl``), ``report.html`` and the artifacts are made from what
the chunks left on disk.
"""
from __future__ import annotations

import contextlib
import functools
import json
import math
import multiprocessing
import os
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
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
from vnclean.tasks.argos import find_model
from vnclean.tasks.escape import md_link, md_text
from vnclean.tasks.ingest import DEFAULT_MAX_BYTES, assign_ids, display_path, list_inputs, printable
from vnclean.tasks.manifest import Manifest
from vnclean.tasks.models import Failed, Source
from vnclean.tasks.pipeline import (
    Work,
    commit_chunk,
    learn_templates,
    version_key,
    work_from_disk,
    write_setaside,
)
from vnclean.tasks.runrecord import (
    INDEX_ROWS,
    REPORT_SECTIONS,
    ChunkResult,
    Row,
    RunCollector,
    RunSummary,
    row_of,
    summarise,
    write_part,
)
from vnclean.tasks.templates import TEMPLATES_FILE
from vnclean.tasks.translate import MISSING_MODEL
from vnclean.tasks.write import OutputUnwritable, append_line, atomic_write, checkpoint_sqlite, output_lock, unwritable

__all__ = ["Row", "RunSummary", "process_scrapes", "summarise", "summary_markdown", "with_runner"]

SMALL_BATCH = 20  # up to this many documents: one task run per document
DEFAULT_CHUNK = 50  # above it: chunks of 50 documents, larger for large batches ...
MAX_CHUNK = 500  # ... up to 500 (a batch of 100,000 is 200 task runs)
CHUNKS_PER_SLOT = 50  # the batch is cut into about this many chunks per chunk in flight
LEARN_SAMPLE = 2_000  # pages read to learn the site templates before a run's chunks start
# Chunks in flight at once: the cores (two at least, so that one chunk's reading overlaps
# another's translating). The runner's threads or workers never hold more.
IN_FLIGHT = max(2, os.cpu_count() or 1)
# processes=0 (`vnclean run`'s default): worker processes for a run with this many documents to
# do or more (a worker starts in ~1 s; below this, threads of the run end sooner) ...
AUTO_PROCESSES_FROM = 1_000
MAX_AUTO_PROCESSES = 4  # ... one per core, at most this many (each holds its own model replica)


def chunk_size_for(documents: int, chunk_size: int | None = None) -> int:
    """Documents per chunk (task run): ``chunk_size`` when given; else 1 for small batches (every
    document its own task run in the UI), 50 from 21 documents, growing with the batch so that
    about ``CHUNKS_PER_SLOT`` chunks per slot in flight are made, at most ``MAX_CHUNK``.

    >>> [chunk_size_for(n) for n in (5, 1_000, 10_000, 100_000)] == [1, 50, 50 if IN_FLIGHT > 2 else 100, 500]
    True
    """
    if chunk_size:
        return chunk_size
    if documents <= SMALL_BATCH:
        return 1
    return min(MAX_CHUNK, max(DEFAULT_CHUNK, math.ceil(documents / (IN_FLIGHT * CHUNKS_PER_SLOT))))


def processes_for(documents: int, processes: int) -> int:
    """Worker processes for a run with ``documents`` to do: ``processes`` when given (1: threads of
    the run); for 0, one per core (at most ``MAX_AUTO_PROCESSES``) from ``AUTO_PROCESSES_FROM``
    documents on, else 1. The stages hold the interpreter's lock, so threads share one core: on
    2 idle cores, 10,000 documents went at ~44 documents/s with threads and ~100 with two
    processes; on a machine busy with other work, processes gain less, or lose a little (README).

    >>> processes_for(5, 0), processes_for(100_000, 3), processes_for(0, 2)
    (1, 3, 1)
    """
    if documents == 0:
        return 1
    if processes > 0:
        return processes
    return max(1, min(MAX_AUTO_PROCESSES, os.cpu_count() or 1)) if documents >= AUTO_PROCESSES_FROM else 1


def learn_sample(paths: list[str], size: int | None = None) -> list[str]:
    """The pages the site templates are learned from before the chunks start: every page of a
    batch up to ``LEARN_SAMPLE``, else that many spread evenly over it (a site's template is what
    recurs on half its pages: a sample of 2,000 tells it as well as 100,000 would, and the first
    documents are written within a minute instead of after a pass over the whole backlog).

    >>> learn_sample([str(i) for i in range(10)], 4)
    ['0', '3', '6', '9']
    """
    size = size or LEARN_SAMPLE
    if len(paths) <= size:
        return paths
    return [paths[round(i * (len(paths) - 1) / (size - 1))] for i in range(size)]


def chunk_label(ids: list[str]) -> str:
    """``000_63c0ffbfaf89c8e9`` for one document, ``000_63c0ffbfaf89c8e9+49`` for a chunk of 50."""
    return ids[0] if len(ids) == 1 else f"{ids[0]}+{len(ids) - 1}"


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
        f"Output: {md_text(str(Path(summary.output_dir).resolve()))}"
        + (f" — review report: {md_link(report.name, report.as_uri())}" if report.exists() else ""),
    ]
    for r in summary.rows:
        if r.needs_attention:
            lines.append(f"- **{md_text(r.id)}** {r.status}: {md_text(r.reason)}")
    return "\n".join(lines)


def _publish(summary: RunSummary) -> None:
    """Artifacts for the Prefect UI: the per-document table and a markdown run summary."""
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
    logger = get_run_logger()
    inp, out = Path(input_dir), Path(output_dir)
    chosen = find_model(model)  # a package asked for but not installed: ModelError (the CLI checks first)
    if chosen is None:
        if require_translation:
            raise RuntimeError(MISSING_MODEL)
        logger.warning("%s; documents get translation.status = missing-model", MISSING_MODEL)
    model_id = chosen.id if chosen else None
    summary = RunSummary(display_path(inp), display_path(out), model_id)
    review = None
    try:
        with output_lock(out, wait_for_lock):
            files = [str(p) for p in (paths if paths is not None else list_inputs(inp))]
            version = version_key(model_id)
            ids = assign_ids(files)  # unique over every input, skipped ones included
            manifest = Manifest(out / MANIFEST_FILE)
            try:
                plan = manifest.plan(files, version, force)
                moved = {p for p, doc_id in manifest.doc_ids(plan.skipped).items() if doc_id != ids[p]}
                if moved:  # a new input took the id of one written earlier: that one is written again under its new id
                    redo = moved | set(plan.todo)
                    plan.todo = [p for p in files if p in redo]
                    plan.skipped = [p for p in plan.skipped if p not in moved]
                # only the model changed: translated again, not stripped again (no templates to learn)
                retranslate = set(plan.retranslate)
                for skipped in plan.skipped:
                    progress.notify(ids[skipped], "skipped")
                if plan.skipped:
                    logger.info("%d unchanged input(s) skipped (already processed by this pipeline version)",
                                len(plan.skipped))
                to_strip = [p for p in plan.todo if p not in retranslate]
                collector = RunCollector(out)
                try:
                    processes = processes_for(len(plan.todo), processes)
                    if processes > 1:
                        logger.info("%d documents to do: chunks run in %d worker processes", len(plan.todo),
                                    processes)
                    with _processes(processes):
                        if to_strip:
                            learned = learn_templates_task(learn_sample(to_strip), str(out), max_bytes)
                            if isinstance(learned, Stopped):
                                raise OutputUnwritable(learned.reason)
                        _run_chunks(plan.todo, ids, out, chunk_size, max_bytes, version, allow_downgrade,
                                    collector, in_flight=max(IN_FLIGHT, processes), model=model_id,
                                    retranslate=retranslate)
                finally:
                    checkpoint_sqlite(out / MEMORY_FILE)
                summary.seconds = round(time.perf_counter() - started, 2)
                summary.inputs, summary.new, summary.changed = len(files), plan.new, plan.changed
                summary.retried, summary.outdated, summary.skipped = plan.retried, plan.outdated, len(plan.skipped)
                summary.damaged, summary.forced = plan.damaged, plan.forced
                entries, sections = collector.collect(summary)
                review = (entries, collector.review_more, collector.quiet, collector.quiet_ids)
                _write_report(manifest, collector, sections, out, max_bytes, summary)
                # only once the run is through: a stopped run's chunks still ending may write their parts
                # yet, so those stay (the next run's collector removes them)
                collector.close()
            finally:
                manifest.close()
            record = {"finished": datetime.now(UTC).isoformat(timespec="seconds"), **asdict(summary)}
            atomic_write(out / "_run.json", json.dumps(record, ensure_ascii=False, indent=2) + "\n")
            append_line(out / "_runs.jsonl", json.dumps(record, ensure_ascii=False) + "\n")  # one line per run
    except Exception as err:  # noqa: BLE001 - only a full or read-only output folder is handled here
        stop = unwritable(err)
        if stop is None:
            raise
        summary.stopped = f"{stop}. Nothing partial was written; the next run with space finishes the work"
        summary.seconds = round(time.perf_counter() - started, 2)
        logger.error("stopped: %s", summary.stopped)
        return final_state(summary, fail_on_rejected)
    if summary.processed:  # an empty run publishes nothing: the last run's artifacts stay the latest
        _publish(summary)
        from vnclean.tasks.report import review_markdown_of

        entries, more, quiet, quiet_ids = review
        create_markdown_artifact(key="vnclean-review",
                                 markdown=review_markdown_of([(e.row.id, e.label, e.notes) for e in entries],
                                                             more, quiet, quiet_ids),
                                 description="vnclean review: what needs a person's eyes")
    logger.info("%d inputs: %d new, %d changed, %d outdated, %d retried, %d with a damaged output, %d skipped; "
                "%d ok, %d waiting for the model, %d rejected, %d failed in %.1f s", summary.inputs, summary.new,
                summary.changed, summary.outdated, summary.retried, summary.damaged, summary.skipped,
                summary.count("ok"), summary.count("waiting"), summary.count("rejected"), summary.count("failed"),
                summary.seconds)
    return final_state(summary, fail_on_rejected)


def _write_report(manifest: Manifest, collector: RunCollector, sections: list[str], out: Path, max_bytes: int,
                  summary: RunSummary) -> None:
    """report.html over every document written since it was last written: this run's (from its
    parts), and those of a run that was killed or stopped before its report (read back from
    disk). Within the caps of vnclean.tasks.runrecord: the index lists documents that need attention
    first; the rest are counted, and all are in _documents.jsonl."""
    pending = manifest.report_pending()
    if not pending and not summary.processed:
        return
    from vnclean.tasks.report import document_section, index_row, render_index

    done_here = set()
    rows: list[str] = []
    for wanted in (True, False):
        for row, has_section in collector.index_rows():
            done_here.add(row.id)
            if row.needs_attention == wanted and len(rows) < INDEX_ROWS:
                rows.append(index_row(row, has_section))
    earlier = 0
    for path, doc_id in pending:
        if doc_id in done_here:
            continue
        earlier += 1
        if len(sections) < REPORT_SECTIONS:
            work = work_from_disk(path, doc_id, out, max_bytes)
            if work is not None:
                if work.document is not None:
                    sections.append(document_section(work))
                rows.append(index_row(row_of(work), work.document is not None))
    listed = min(len(rows), INDEX_ROWS)
    total = summary.processed + earlier
    more = (f"{total - listed} more documents are not listed here; every document's row is in _documents.jsonl"
            if total > listed else "")
    heading = (f"vnclean review — {summary.processed} documents this run ({summary.count('ok')} ok, "
               f"{summary.count('rejected') + summary.count('failed')} set aside, {summary.count('waiting')} waiting)"
               + (f", {earlier} from an earlier run that ended before its report" if earlier else ""))
    atomic_write(out / "report.html", render_index(heading, rows[:INDEX_ROWS], sections, more))
    manifest.report_written(path for path, _ in pending)


def _run_chunks(files: list[str], ids: dict[str, str], out: Path, chunk_size: int | None, max_bytes: int,
                version: str, allow_downgrade: bool, collector: RunCollector, in_flight: int = 0,
                model: str | None = None, retranslate: set[str] | None = None) -> None:
    """Run the chunks, at most ``IN_FLIGHT`` at a time: the next is submitted when any chunk in
    flight has ended (whichever ends first: threads and Dask workers finish out of order), and
    each one's documents are then on disk and in the manifest, and on the progress bar. A chunk whose task run
    crashed outright (a lost worker) has its documents recorded as failed; the other chunks go
    on. A full or read-only output folder stops the run (raised once the chunks in flight ended)."""
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
            error = printable("".join(traceback.format_exception_only(type(err), err)).strip())
            label = chunk_label([ids[p] for p in chunk])
            get_run_logger().error("chunk %s crashed: %s", label, error)
            lost = [Work(path=p, id=ids[p], failed=Failed(id=ids[p], source=Source(path=display_path(p), sha256=""),
                                                          stage="chunk", error=error)) for p in chunk]
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
                                   allow_downgrade, sections, model, [p for p in chunk if p in (retranslate or ())])
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
