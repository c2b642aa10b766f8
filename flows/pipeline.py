"""The Prefect flow: ingest → strip boilerplate → repair → translate → write, per chunk of documents.

Tasks are thin: each wraps one stage of ``tasks.pipeline`` for a chunk, named by stage and
document (``strip-000_63c0ffbfaf89c8e9``; ``strip-000_63c0…+49`` for a chunk of 50), logs one
line per document, and leaves the work to plain functions that tests call without Prefect.
"""
from __future__ import annotations

import vnclean._env  # noqa: F401  (Prefect settings must be in the environment first)

import functools
import json
import os
import time
import traceback
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from tasks.argos import find_model
from tasks.escape import md_link, md_text
from tasks.limits import load_limits, shorten
from tasks.ingest import DEFAULT_MAX_BYTES, assign_ids, display_path, list_inputs, printable
from tasks.manifest import Manifest
from tasks.models import Failed, Source
from tasks.pipeline import (
    Work,
    code_version,
    commit_chunk,
    ingest_step,
    learn_templates,
    new_works,
    repair_step,
    run_stage,
    strip_stage,
    translate_step,
    work_from_disk,
    write_setaside,
    write_step,
)
from tasks.templates import TEMPLATES_FILE
from tasks.translate import MISSING_MODEL, load_translator
from tasks.write import OutputUnwritable, append_line, atomic_write, checkpoint_sqlite, output_lock, unwritable
from vnclean import progress

MANIFEST_FILE = "_manifest.sqlite"
MEMORY_FILE = Path("_cache") / "translation-memory.sqlite"
SMALL_BATCH = 20  # up to this many documents: one task run per stage and document
DEFAULT_CHUNK = 50  # above it: one task run per stage and chunk (Prefect records ~30 task runs/s)


def chunk_label(ids: list[str]) -> str:
    """``000_63c0ffbfaf89c8e9`` for one document, ``000_63c0ffbfaf89c8e9+49`` for a chunk of 50."""
    return ids[0] if len(ids) == 1 else f"{ids[0]}+{len(ids) - 1}"


def _log_stage(stage: str, works: list[Work]) -> None:
    """One line per document; sent as one log record per level and chunk (the API stores every
    record, so thousands of single-line records would cost more than the work they describe)."""
    lines: dict[int, list[str]] = {}

    class _Lines:
        def info(self, fmt: str, *args) -> None:
            lines.setdefault(20, []).append(fmt % args)

        def warning(self, fmt: str, *args) -> None:
            lines.setdefault(30, []).append(fmt % args)

        def error(self, fmt: str, *args) -> None:
            lines.setdefault(40, []).append(fmt % args)

    logger = _Lines()
    _describe(stage, works, logger)
    run_logger = get_run_logger()
    for level, text in sorted(lines.items()):
        run_logger.log(level, "\n".join(text))


def _describe(stage: str, works: list[Work], logger) -> None:
    for w in works:
        if w.rejected is not None and stage == "ingest":
            logger.warning("%s: rejected (%s) %s", w.id, w.rejected.reason, w.rejected.detail)
        elif w.failed is not None and w.failed.stage == stage:
            logger.error("%s: failed in %s: %s", w.id, stage, w.failed.error)
        elif not w.active:
            continue
        elif stage == "ingest":
            logger.info("%s: %s, %d lines%s", w.id, w.ingested.source.encoding, len(w.ingested.raw_lines),
                        f" ({'; '.join(w.ingested.fixes)})" if w.ingested.fixes else "")
        elif stage == "strip":
            s = w.stripped
            reasons: dict[str, int] = {}
            for r in s.removed:
                reasons[r.reason] = reasons.get(r.reason, 0) + 1
            logger.info("%s: site=%s, %d paragraphs, %d captions kept; removed %d lines (%s); title %r",
                        w.id, s.site, len(s.paragraphs), len(s.captions), len(s.removed),
                        ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())) or "none", (s.title or "")[:80])
        elif stage == "repair":
            r = w.repaired
            logger.info("%s: MT score %.2f (%s), %d repairs%s, %d uncertain", w.id, r.machine_translated.score,
                        "flagged" if r.machine_translated.flagged else "not flagged", len(r.repairs),
                        (": " + "; ".join(f"{x.before} → {x.after}" for x in r.repairs[:5])
                         + (" …" if len(r.repairs) > 5 else "")) if r.repairs else "", len(r.uncertain))
        elif stage == "translate":
            t = w.translation
            logger.info("%s: translation %s%s", w.id, t.status,
                        f" ({t.cache_hits} from memory, {t.cache_misses} by the model)" if t.status == "ok" else "")
        elif stage == "write":
            if w.waiting:
                logger.warning("%s: %s", w.id, w.waiting)
            else:
                logger.info("%s: written", w.id)


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


@task(task_run_name="ingest-{label}", cache_policy=NO_CACHE)
def ingest_task(paths: list[str], ids: dict[str, str], label: str, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Work]:
    works = run_stage(new_works(paths, ids), "ingest", ingest_step(max_bytes))
    _log_stage("ingest", works)
    return works


@task(task_run_name="learn-site-templates", cache_policy=NO_CACHE)
@_stops_cleanly
def learn_templates_task(paths: list[str], output_dir: str, max_bytes: int = DEFAULT_MAX_BYTES) -> int:
    pages = learn_templates(paths, Path(output_dir) / TEMPLATES_FILE, max_bytes)
    get_run_logger().info("site templates: %d pages with a site recorded", pages)
    return pages


@task(task_run_name="strip-{label}", cache_policy=NO_CACHE)
@_stops_cleanly
def strip_task(works: list[Work], label: str, output_dir: str) -> list[Work]:
    strip_stage(works, Path(output_dir) / TEMPLATES_FILE)
    _log_stage("strip", works)
    return works


@task(task_run_name="repair-{label}", cache_policy=NO_CACHE)
@_stops_cleanly
def repair_task(works: list[Work], label: str) -> list[Work]:
    run_stage(works, "repair", repair_step)
    _log_stage("repair", works)
    return works


@task(task_run_name="translate-{label}", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2)
@_stops_cleanly
def translate_task(works: list[Work], label: str, memory_path: str | None) -> list[Work]:
    translator, load_error = load_translator(Path(memory_path) if memory_path else None)
    if load_error:
        get_run_logger().error(load_error)
    run_stage(works, "translate", translate_step(translator, load_error))
    _log_stage("translate", works)
    return works


@task(task_run_name="write-{label}", cache_policy=NO_CACHE)
@_stops_cleanly
def write_task(works: list[Work], label: str, output_dir: str, version: str,
               allow_downgrade: bool = False) -> list[Work]:
    """Write a chunk's documents, then record them in the manifest at once (a killed run resumes
    after the chunks it recorded)."""
    out = Path(output_dir)
    run_stage(works, "write", write_step(out, allow_downgrade))
    write_setaside(works, out)
    commit_chunk(works, out / MANIFEST_FILE, version)
    _log_stage("write", works)
    for w in works:
        progress.notify(w.id, "rejected" if w.rejected else "failed" if w.failed else
                        "waiting" if w.waiting else "ok")
    return works


@dataclass
class Row:
    id: str
    status: str  # ok | rejected | failed | waiting (stored English kept, waiting for the model)
    site: str | None = None
    title: str = ""
    paragraphs: int = 0
    removed: int = 0
    repairs: int = 0
    mt_score: float = 0.0
    translation: str = ""
    seconds: float = 0.0
    reason: str = ""


@dataclass
class RunSummary:
    input_dir: str
    output_dir: str
    model: str | None
    rows: list[Row] = field(default_factory=list)
    seconds: float = 0.0
    cache_hits: int = 0
    cache_misses: int = 0
    inputs: int = 0
    new: int = 0
    changed: int = 0
    retried: int = 0
    outdated: int = 0
    damaged: int = 0  # redone because an output was missing, cut short or edited
    skipped: int = 0
    stopped: str = ""  # why the run stopped early (a full or read-only output folder)
    # seconds spent in each stage, summed over documents (where the time goes; the flow runs
    # chunks concurrently, so these can add up to more than ``seconds``)
    stage_seconds: dict[str, float] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.rows)

    @property
    def failed_any(self) -> bool:
        return any(r.status in ("rejected", "failed") or (r.status == "ok" and r.translation == "failed")
                   for r in self.rows)


def summarise(works: list[Work], input_dir: Path, output_dir: Path, model: str | None, seconds: float) -> RunSummary:
    summary = RunSummary(display_path(input_dir), display_path(output_dir), model, seconds=round(seconds, 2))
    limits = load_limits()
    for w in works:
        for stage, spent in w.seconds.items():
            summary.stage_seconds[stage] = summary.stage_seconds.get(stage, 0.0) + spent
        secs = round(sum(w.seconds.values()), 3)
        if w.rejected is not None:
            summary.rows.append(Row(w.id, "rejected", seconds=secs,
                                    reason=shorten(f"{w.rejected.reason}: {w.rejected.detail}", limits.row_reason_chars)))
        elif w.failed is not None:
            summary.rows.append(Row(w.id, "failed", seconds=secs,
                                    reason=shorten(f"{w.failed.stage}: {w.failed.error}", limits.row_reason_chars)))
        elif w.waiting is not None:
            d = w.document
            summary.rows.append(Row(d.id, "waiting", d.site, shorten(d.title or "", limits.row_title_chars),
                                    len(d.paragraphs), len(d.removed), len(d.repairs), d.machine_translated.score,
                                    w.translation.status if w.translation else "", secs,
                                    shorten(w.waiting, limits.row_reason_chars)))
        else:
            d = w.document
            reason = (d.translation.detail or "") if d.translation.status == "failed" else ""
            summary.rows.append(Row(d.id, "ok", d.site, shorten(d.title or "", limits.row_title_chars), len(d.paragraphs),
                                    len(d.removed), len(d.repairs), d.machine_translated.score, d.translation.status,
                                    secs, shorten(reason, limits.row_reason_chars)))
            summary.cache_hits += d.translation.cache_hits
            summary.cache_misses += d.translation.cache_misses
    summary.stage_seconds = {k: round(v, 3) for k, v in summary.stage_seconds.items()}
    return summary


def summary_markdown(summary: RunSummary) -> str:
    """The run summary for the Prefect UI; every value from inputs goes through ``md_text``."""
    report = Path(summary.output_dir).resolve() / "report.html"
    lines = [
        f"# vnclean run over {md_text(summary.input_dir)}",
        "",
        "| documents | ok | rejected | failed | waiting for the model | translation | seconds |",
        "|---|---|---|---|---|---|---|",
        f"| {len(summary.rows)} | {summary.count('ok')} | {summary.count('rejected')} | {summary.count('failed')} "
        f"| {summary.count('waiting')} | {md_text(summary.model or 'missing model')} | {summary.seconds} |",
        "",
        "Seconds per stage, summed over documents: "
        + ", ".join(f"{stage} {secs}" for stage, secs in summary.stage_seconds.items()),
        "",
        f"Output: {md_text(str(Path(summary.output_dir).resolve()))}"
        + (f" — review report: {md_link(report.name, report.as_uri())}" if report.exists() else ""),
    ]
    for r in summary.rows:
        if r.status != "ok":
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
        description=f"vnclean: {len(summary.rows)} documents from {md_text(summary.input_dir)}")
    create_markdown_artifact(key="vnclean-summary", markdown=summary_markdown(summary), description="vnclean run summary")


def _flow_run_name() -> str:
    from prefect.runtime import flow_run

    params = flow_run.parameters or {}
    folder = Path(str(params.get("input_dir", "input"))).name or "input"
    return f"{folder}-{datetime.now(timezone.utc).strftime('%Y%m%d-%H%M%S')}"


@flow(name="vnclean", flow_run_name=_flow_run_name, log_prints=True, validate_parameters=True)
def process_scrapes(input_dir: str = "input", output_dir: str = "output", chunk_size: int | None = None,
                    max_bytes: int = DEFAULT_MAX_BYTES, require_translation: bool = False,
                    force: bool = False, paths: list[str] | None = None, allow_downgrade: bool = False) -> dict:
    """Process the new or changed scrapes (``*.txt``, ``*.md``, ``*.html``) in ``input_dir`` (all with ``force``, or the
    given ``paths``) into ``output_dir``. A document whose stored English this run cannot make again
    keeps it and waits for the model, unless ``allow_downgrade``. A full or read-only output folder
    stops the run: the summary's ``stopped`` says so, and nothing partial is left."""
    started = time.perf_counter()
    logger = get_run_logger()
    inp, out = Path(input_dir), Path(output_dir)
    model = find_model()
    if model is None:
        if require_translation:
            raise RuntimeError(MISSING_MODEL)
        logger.warning("%s; documents get translation.status = missing-model", MISSING_MODEL)
    summary = RunSummary(str(inp), str(out), model.id if model else None)
    works_done: list[Work] = []
    try:
        with output_lock(out):
            files = [str(p) for p in (paths if paths is not None else list_inputs(inp))]
            version = f"{code_version()}+{model.id if model else 'no-model'}"
            ids = assign_ids(files)  # unique over every input, skipped ones included
            manifest = Manifest(out / MANIFEST_FILE)
            try:
                plan = manifest.plan(files, version, force)
                moved = {p for p, doc_id in manifest.doc_ids(plan.skipped).items() if doc_id != ids[p]}
                if moved:  # a new input took the id of one written earlier: that one is written again under its new id
                    redo = moved | set(plan.todo)
                    plan.todo = [p for p in files if p in redo]
                    plan.skipped = [p for p in plan.skipped if p not in moved]
                for skipped in plan.skipped:
                    progress.notify(ids[skipped], "skipped")
                if plan.skipped:
                    logger.info("%d unchanged input(s) skipped (already processed by this pipeline version)",
                                len(plan.skipped))
                if plan.todo:
                    learned = learn_templates_task(plan.todo, str(out), max_bytes)
                    if isinstance(learned, Stopped):
                        raise OutputUnwritable(learned.reason)
                try:
                    works_done = _run_chunks(plan.todo, ids, out, chunk_size, max_bytes, version, allow_downgrade)
                finally:
                    checkpoint_sqlite(out / MEMORY_FILE)
                summary = summarise(works_done, inp, out, model.id if model else None, time.perf_counter() - started)
                summary.inputs, summary.new, summary.changed = len(files), plan.new, plan.changed
                summary.retried, summary.outdated, summary.skipped = plan.retried, plan.outdated, len(plan.skipped)
                summary.damaged = plan.damaged
                _write_report(manifest, works_done, out, max_bytes)
            finally:
                manifest.close()
            record = {"finished": datetime.now(timezone.utc).isoformat(timespec="seconds"), **asdict(summary)}
            atomic_write(out / "_run.json", json.dumps(record, ensure_ascii=False, indent=2) + "\n")
            append_line(out / "_runs.jsonl", json.dumps(record, ensure_ascii=False) + "\n")  # one line per run
    except Exception as err:  # noqa: BLE001 - only a full or read-only output folder is handled here
        stop = unwritable(err)
        if stop is None:
            raise
        summary.stopped = f"{stop}. Nothing partial was written; the next run with space finishes the work"
        summary.seconds = round(time.perf_counter() - started, 2)
        logger.error("stopped: %s", summary.stopped)
        return asdict(summary)
    _publish(summary)
    if works_done:
        from tasks.report import review_markdown

        create_markdown_artifact(key="vnclean-review", markdown=review_markdown(works_done),
                                 description="vnclean review: what needs a person's eyes")
    logger.info("%d inputs: %d new, %d changed, %d outdated, %d retried, %d with a damaged output, %d skipped; "
                "%d ok, %d waiting for the model, %d rejected, %d failed in %.1f s", summary.inputs, summary.new,
                summary.changed, summary.outdated, summary.retried, summary.damaged, summary.skipped,
                summary.count("ok"), summary.count("waiting"), summary.count("rejected"), summary.count("failed"),
                summary.seconds)
    return asdict(summary)


def _write_report(manifest: Manifest, works_done: list[Work], out: Path, max_bytes: int) -> None:
    """report.html over every document written since it was last written: this run's, and those of
    a run that was killed or stopped before its report (read back from disk)."""
    pending = manifest.report_pending()
    if not pending and not works_done:
        return
    from tasks.report import write_report

    works = {w.path: w for w in works_done}
    for path, doc_id in pending:
        if path not in works:
            earlier = work_from_disk(path, doc_id, out, max_bytes)
            if earlier is not None:
                works[path] = earlier
    write_report(list(works.values()), out)
    manifest.report_written(path for path, _ in pending)


def _run_chunks(files: list[str], ids: dict[str, str], out: Path, chunk_size: int | None, max_bytes: int,
                version: str, allow_downgrade: bool = False) -> list[Work]:
    """Submit the five stages for every chunk; chunks run concurrently on the task runner, and each
    records its documents in the manifest when it has written them. A chunk whose task runs crashed
    (stage errors are caught per document, so this is a bug or a lost worker) has its documents
    recorded as failed; the other chunks go on. A full or read-only output folder stops the run
    (raised once every chunk has ended)."""
    size = chunk_size or (1 if len(files) <= SMALL_BATCH else DEFAULT_CHUNK)
    memory = str(out / MEMORY_FILE)
    futures = []
    for i in range(0, len(files), size):
        chunk = files[i:i + size]
        label = chunk_label([ids[p] for p in chunk])
        stages = [("ingest", ingest_task.submit(chunk, {p: ids[p] for p in chunk}, label, max_bytes))]
        stages.append(("strip", strip_task.submit(stages[-1][1], label, str(out))))
        stages.append(("repair", repair_task.submit(stages[-1][1], label)))
        stages.append(("translate", translate_task.submit(stages[-1][1], label, memory)))
        stages.append(("write", write_task.submit(stages[-1][1], label, str(out), version, allow_downgrade)))
        futures.append((chunk, stages))
    done: list[Work] = []
    stop: OutputUnwritable | None = None
    for chunk, stages in futures:
        try:
            result = stages[-1][1].result()
            if isinstance(result, Stopped):
                stop = stop or OutputUnwritable(result.reason)
                continue  # nothing more is written; the next run does these again
            done += result
        except Exception:  # noqa: BLE001 - the rest of the batch goes on
            stage, err = _first_failure(stages)
            stop = stop or unwritable(err)
            if stop is not None:
                continue  # nothing more is written; the next run does these again
            error = printable("".join(traceback.format_exception_only(type(err), err)).strip())
            get_run_logger().error("chunk %s crashed in %s: %s", chunk_label([ids[p] for p in chunk]), stage, error)
            lost = [Work(path=p, id=ids[p], failed=Failed(id=ids[p], source=Source(path=display_path(p), sha256=""),
                                                          stage=stage, error=error)) for p in chunk]
            write_setaside(lost, out)
            commit_chunk(lost, out / MANIFEST_FILE, version)
            done += lost
    if stop is not None:
        raise stop
    return done


def _first_failure(stages: list) -> tuple[str, BaseException]:
    """The first stage of a chunk whose task run failed, and its exception."""
    for stage, future in stages:
        try:
            future.result()
        except Exception as err:  # noqa: BLE001
            return stage, err
    return "write", RuntimeError("the chunk's task runs did not finish")


def with_runner(runner: str = "threads", dask_address: str | None = None, workers: int = 2):
    """``process_scrapes`` on the chosen task runner: threads (default) or Dask — a LocalCluster of
    ``workers`` processes, or the existing cluster at ``dask_address``. Each Dask worker loads the
    translation model once (tasks.translate.get_translator caches it per process)."""
    if runner == "threads":
        return process_scrapes
    if runner != "dask":
        raise ValueError(f"unknown runner {runner!r}: threads or dask")
    from prefect_dask import DaskTaskRunner

    if dask_address:
        task_runner = DaskTaskRunner(address=dask_address)
    else:
        # each worker process gets its share of the cores for its translation model replicas
        threads = os.environ.get("VNCLEAN_TRANSLATE_THREADS") or str(max(1, (os.cpu_count() or 1) // workers))
        task_runner = DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1,
                                                     "processes": True, "dashboard_address": None,
                                                     "env": {"VNCLEAN_TRANSLATE_THREADS": threads}})
    return process_scrapes.with_options(task_runner=task_runner)
