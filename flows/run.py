"""A run, planned and recorded, as plain functions (no Prefect): what the flow and the CLI share.

**Plan** (:func:`plan_run`): the inputs (:func:`inputs`: the ``*.txt``, ``*.md`` and ``*.html``
files of the folder, or the paths given), their ids (unique over every input, skipped ones
included), the version key (:func:`version_key`: the code's hash and the translation package), and
the manifest's decisions: new, changed, retried, outdated, damaged, forced, skipped; an input whose
id moved (a new input took the id it was written under) is written again under its new one; an
input whose only change is the translation model is translated again with its stored Vietnamese
kept (``retranslate``). The limits that shape a run's chunks are here too: how many documents a
chunk holds (:func:`chunk_size_for`), how many chunks are in flight (``IN_FLIGHT``), how many worker
processes run them (:func:`processes_for`), which pages the site templates are learned from
(:func:`learn_sample`).

**Record** (:func:`close_run`, :func:`record_run`): once the chunks are done, the run summary from
the chunks' part files (``_documents.jsonl``), ``report.html``, then ``_run.json`` and one line in
``_runs.jsonl``.

The Prefect flow (``flows/pipeline.py``) and the command line (``vnclean/cli.py``: ``--dry-run``,
"nothing new", the exit status) both call this module, so they decide the same way.
"""
from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path

from vnclean.flows.chunk import MANIFEST_FILE
from vnclean.tasks.ingest import assign_ids, list_inputs
from vnclean.tasks.manifest import Manifest, Plan
from vnclean.tasks.pipeline import code_version, doc_from_disk
from vnclean.tasks.runrecord import INDEX_ROWS, REPORT_SECTIONS, RunCollector, RunSummary, row_of
from vnclean.tasks.write import append_line, atomic_write

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


def version_key(model_id: str | None) -> str:
    """The manifest's version of a document: the code's hash and the translation package
    (``<code>+translate-vi_en-1.9``). When only the package part differs, the document is
    translated again and its Vietnamese kept (:func:`vnclean.tasks.pipeline.keep_stored`)."""
    return f"{code_version()}+{model_id or 'no-model'}"


def inputs(input_dir: Path, paths: Sequence[str | Path] | None = None) -> list[str]:
    """The scrapes a run reads: ``paths`` when given, else the folder's (in a stable order)."""
    return [str(p) for p in (paths if paths is not None else list_inputs(input_dir))]


@dataclass
class RunPlan(Plan):
    """The manifest's :class:`vnclean.tasks.manifest.Plan` for every input of a run (``todo`` in
    the order of ``files``, the inputs whose id moved included), with the ids and the version."""

    files: list[str] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)  # unique over every input, skipped ones included
    version: str = ""

    @property
    def to_strip(self) -> list[str]:
        """The inputs that go through every stage (the site templates are learned from them)."""
        again = set(self.retranslate)
        return [p for p in self.todo if p not in again]


def plan_run(files: Sequence[str | Path], output_dir: Path, model_id: str | None, force: bool = False,
             manifest: Manifest | None = None) -> RunPlan:
    """What a run translating with ``model_id`` (None: no model) does with ``files``, from the
    run's open ``manifest``; without one, from the manifest in ``output_dir`` if there is one (a dry
    run creates none: without it every input is new)."""
    paths = [str(p) for p in files]
    plan = RunPlan(files=paths, ids=assign_ids(paths), version=version_key(model_id))
    if manifest is None and not (output_dir / MANIFEST_FILE).is_file():
        plan.todo, plan.new = list(paths), len(paths)
        return plan
    with _opened(manifest, output_dir) as found:
        decided = found.plan(paths, plan.version, force)
        moved = {p for p, doc_id in found.doc_ids(decided.skipped).items() if doc_id != plan.ids[p]}
    for f in fields(Plan):
        setattr(plan, f.name, getattr(decided, f.name))
    if moved:  # a new input took the id of one written earlier: that one is written again under its new id
        redo = moved | set(plan.todo)
        plan.todo = [p for p in paths if p in redo]
        plan.skipped = [p for p in plan.skipped if p not in moved]
    return plan


@contextmanager
def _opened(manifest: Manifest | None, output_dir: Path) -> Iterator[Manifest]:
    if manifest is not None:
        yield manifest
        return
    opened = Manifest(output_dir / MANIFEST_FILE)
    try:
        yield opened
    finally:
        opened.close()


def nothing_new(files: Sequence[str | Path], output_dir: Path, model_id: str | None) -> bool:
    """True when the manifest says every input is already done (with ``model_id``), with its
    outputs intact, and report.html shows them all (a run would only skip them)."""
    if not files or plan_run(files, output_dir, model_id).todo:  # no manifest: everything is new
        return False
    manifest = Manifest(output_dir / MANIFEST_FILE)
    try:
        return not manifest.report_pending()
    finally:
        manifest.close()


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


# ---------------------------------------------------------------------------------------------
# Recording a run


@dataclass
class Review:
    """What the review artifact shows: documents with notes (capped), how many more, and those
    that need nothing."""

    entries: list
    more: int
    quiet: int
    quiet_ids: list[str]


def close_run(summary: RunSummary, plan: RunPlan, collector: RunCollector, manifest: Manifest, out: Path,
              max_bytes: int, started: float) -> Review:
    """Once the chunks are done: the summary filled (the plan's figures, the chunks' counts, the
    seconds), ``_documents.jsonl`` and ``report.html`` written, the chunks' parts removed."""
    summary.seconds = round(time.perf_counter() - started, 2)
    summary.inputs, summary.new, summary.changed = len(plan.files), plan.new, plan.changed
    summary.retried, summary.outdated, summary.skipped = plan.retried, plan.outdated, len(plan.skipped)
    summary.damaged, summary.forced = plan.damaged, plan.forced
    entries, sections = collector.collect(summary)
    review = Review(entries, collector.review_more, collector.quiet, collector.quiet_ids)
    write_report(manifest, collector, sections, out, max_bytes, summary)
    # only once the run is through: a stopped run's chunks still ending may write their parts
    # yet, so those stay (the next run's collector removes them)
    collector.close()
    return review


def record_run(out: Path, summary: RunSummary) -> None:
    """``_run.json`` (this run) and one line in ``_runs.jsonl`` (every run)."""
    record = {"finished": datetime.now(UTC).isoformat(timespec="seconds"), **asdict(summary)}
    atomic_write(out / "_run.json", json.dumps(record, ensure_ascii=False, indent=2) + "\n")
    append_line(out / "_runs.jsonl", json.dumps(record, ensure_ascii=False) + "\n")


def write_report(manifest: Manifest, collector: RunCollector, sections: list[str], out: Path, max_bytes: int,
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
            doc = doc_from_disk(path, doc_id, out, max_bytes)
            if doc is not None:
                if doc.document is not None:
                    sections.append(document_section(doc))
                rows.append(index_row(row_of(doc), doc.document is not None))
    listed = min(len(rows), INDEX_ROWS)
    total = summary.processed + earlier
    more = (f"{total - listed} more documents are not listed here; every document's row is in _documents.jsonl"
            if total > listed else "")
    heading = (f"vnclean review — {summary.processed} documents this run ({summary.count('ok')} ok, "
               f"{summary.count('rejected') + summary.count('failed')} set aside, {summary.count('waiting')} waiting)"
               + (f", {earlier} from an earlier run that ended before its report" if earlier else ""))
    atomic_write(out / "report.html", render_index(heading, rows[:INDEX_ROWS], sections, more))
    manifest.report_written(path for path, _ in pending)
