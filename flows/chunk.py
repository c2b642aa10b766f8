"""One chunk of a run: the five stages over its documents, written and recorded (no Prefect).

:func:`run_chunk` is what a chunk task of the flow (``flows/pipeline.py``) runs, in the task's
thread or, with ``--processes``, in a worker process. This module imports neither Prefect nor the
flow, so a worker process does not either: it starts in a fraction of the time and holds a
fraction of the memory (README "Large backlogs").
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from vnclean.tasks.ingest import Ingested
from vnclean.tasks.pipeline import (
    FAILED,
    Batch,
    Clean,
    Doc,
    Done,
    Fixed,
    Kept,
    SetAside,
    Sourced,
    Translated,
    commit_chunk,
    error_text,
    in_order,
    ingest_stage,
    keep_stored,
    new_docs,
    repair_stage,
    strip_stage,
    translate_stage,
    write_setaside,
    write_stage,
)
from vnclean.tasks.runrecord import PARTS_DIR, ChunkResult, write_part
from vnclean.tasks.templates import TEMPLATES_FILE
from vnclean.tasks.translate import load_translator
from vnclean.tasks.write import OutputUnwritable, unwritable

MANIFEST_FILE = "_manifest.sqlite"
# Documents a chunk holds at once: a larger chunk (a task run of up to 500 documents, so that a
# backlog of 100,000 is 200 task runs) goes through the stages this many at a time, each slice
# written and recorded before the next is read. A worker's memory is then that of 50 documents
# whatever the chunk size (measured: 1,000 documents in chunks of 500, 145 MB peak; in slices of
# 50, 61 MB), and a killed run loses at most the slices in flight.
SLICE = 50
MEMORY_FILE = Path("_cache") / "translation-memory.sqlite"


class _Lines:
    """Log lines gathered per level, sent as one record per level (the API stores every record,
    so thousands of one-line records would cost more than the work they describe)."""

    def __init__(self) -> None:
        self.lines: dict[int, list[str]] = {}

    def info(self, fmt: str, *args) -> None:
        self.lines.setdefault(20, []).append(fmt % args)

    def warning(self, fmt: str, *args) -> None:
        self.lines.setdefault(30, []).append(fmt % args)

    def error(self, fmt: str, *args) -> None:
        self.lines.setdefault(40, []).append(fmt % args)

    def send(self) -> None:
        from prefect import get_run_logger

        logger = get_run_logger()
        for level, text in sorted(self.lines.items()):
            logger.log(level, "\n".join(text))


P = ParamSpec("P")
T = TypeVar("T", bound=Sourced)
U = TypeVar("U")


def run_chunk(paths: list[str], ids: dict[str, str], label: str, output_dir: str, max_bytes: int, version: str,
              allow_downgrade: bool, sections: bool, model: str | None = None,
              retranslate: list[str] | None = None) -> tuple[ChunkResult, dict[int, list[str]]]:
    """One chunk, ``SLICE`` documents at a time (:func:`run_slice`; a chunk of up to ``SLICE``
    is one slice, its part file named by the chunk's label): the slices' counts and log lines
    together."""
    if len(paths) <= SLICE:
        return run_slice(paths, ids, label, output_dir, max_bytes, version, allow_downgrade, sections, model,
                         retranslate)
    statuses: list[tuple[str, str]] = []
    lines: dict[int, list[str]] = {}
    for n, start in enumerate(range(0, len(paths), SLICE)):
        part, got = run_slice(paths[start:start + SLICE], ids, f"{label}.{n:03d}", output_dir, max_bytes, version,
                              allow_downgrade, sections, model, retranslate)
        statuses += part.statuses
        for level, text in got.items():
            lines.setdefault(level, []).extend(text)
    return ChunkResult(label, statuses, str(Path(output_dir) / PARTS_DIR)), lines


def run_slice(paths: list[str], ids: dict[str, str], label: str, output_dir: str, max_bytes: int, version: str,
              allow_downgrade: bool, sections: bool, model: str | None = None,
              retranslate: list[str] | None = None) -> tuple[ChunkResult, dict[int, list[str]]]:
    """The five stages over one slice of a chunk, its documents written and recorded in the
    manifest at once (a killed run resumes after the slices it recorded); returns the slice's
    counts and its log lines by level. A plain function: it runs in the task's thread, or in a
    worker process with ``--processes``. ``model`` is the package (CODE-VERSION) the run
    translates with; the documents in ``retranslate`` (only the model changed) keep their stored
    Vietnamese when it qualifies (:func:`vnclean.tasks.pipeline.keep_stored`): they go from ingest
    straight to translate."""
    out = Path(output_dir)
    chunk = Chunk(paths, ids, label)
    ingested = chunk.stage("ingest", ingest_stage, chunk.inputs(), max_bytes)
    kept, fresh = chunk.keep_stored(ingested, retranslate or [], out)
    stripped = chunk.stage("strip", strip_stage, fresh, out / TEMPLATES_FILE)
    repaired = chunk.stage("repair", repair_stage, stripped)
    translated = chunk.stage("translate", chunk.translate, in_order(chunk.docs, repaired, kept), out, model)
    chunk.stage("write", write_stage, translated, out, allow_downgrade)
    return chunk.record(out, version, sections)


class Chunk:
    """A chunk's documents (a slice of them) on their way through the stages, and the log of what
    each stage did to each of them. An error outside the per-document isolation of a stage (a bug)
    sets aside every document still on its way at that stage (SetAside(stage, "failed", error));
    the slice is still recorded, and the run goes on."""

    def __init__(self, paths: list[str], ids: dict[str, str], label: str) -> None:
        self.docs = new_docs(paths, ids)
        self.label = label
        self.log = _Lines()
        self.kept: Batch[Kept] = []

    def inputs(self) -> Batch[Doc]:
        return [(doc, doc) for doc in self.docs]

    def stage(self, name: str, run: Callable[Concatenate[Batch[T], P], Batch[U]], items: Batch[T],
              *args: P.args, **kwargs: P.kwargs) -> Batch[U]:
        """``run(items, *args)``: the stage ``name`` over the documents in ``items``, then logged."""
        try:
            passed = run(items, *args, **kwargs)
        except OutputUnwritable:
            raise
        except Exception as err:  # noqa: BLE001 - the chunk's documents are set aside, the run goes on
            stop = unwritable(err)
            if stop is not None:
                raise stop from err
            error = error_text(err)
            self.log.error("chunk %s crashed in %s: %s", self.label, name, error)
            on_the_way: list[tuple[Doc, Sourced]] = [*items, *self.kept]
            for doc, value in on_the_way:
                if doc.end is None:
                    doc.end = SetAside(name, FAILED, error, value.source)
            passed = []
        _describe(name, self.docs, passed, self.kept, self.log)
        return passed

    def keep_stored(self, items: Batch[Ingested], retranslate: Iterable[str], out: Path
                    ) -> tuple[Batch[Kept], Batch[Ingested]]:
        """(kept, fresh): :func:`vnclean.tasks.pipeline.keep_stored`; the kept ones are this chunk's
        documents on their way too (a crash sets them aside, the log names them)."""
        self.kept, fresh = keep_stored(items, retranslate, out)
        return self.kept, fresh

    def translate(self, items: Batch[Fixed | Kept], out: Path, model: str | None) -> Batch[Translated]:
        """The translate stage with the chunk's model: loaded once (a model that cannot be loaded is
        logged once, and every document gets translation status failed with the reason)."""
        translator, load_error = load_translator(out / MEMORY_FILE, model)
        if load_error:
            self.log.error("%s", load_error)
        return translate_stage(items, translator, load_error)

    def record(self, out: Path, version: str, sections: bool) -> tuple[ChunkResult, dict[int, list[str]]]:
        """Set-aside records, the manifest's rows and the chunk's part file; the counts and the log."""
        write_setaside(self.docs, out)
        commit_chunk(self.docs, out / MANIFEST_FILE, version)
        return write_part(self.docs, out / PARTS_DIR / f"{self.label}.jsonl", sections), self.log.lines


def _describe(stage: str, docs: list[Doc], passed: Batch[Any], kept: Batch[Kept], log: _Lines) -> None:
    """One line per document for what ``stage`` did to it, in the chunk's order."""
    values = {id(doc): value for doc, value in passed}
    kept_here = {id(doc) for doc, _ in kept} if stage == "strip" else set()
    for doc in docs:
        aside = doc.set_aside
        if aside is not None and aside.stage == stage:
            if aside.failed:
                log.error("%s: failed in %s: %s", doc.id, stage, aside.detail)
            else:
                log.warning("%s: rejected (%s) %s", doc.id, aside.reason, aside.detail)
        elif id(doc) in kept_here and doc.end is None:
            log.info("%s: only the translation model changed: the stored Vietnamese is kept", doc.id)
        elif id(doc) in values:
            _describe_value(doc.id, values[id(doc)], log)


def _describe_value(doc_id: str, value: object, log: _Lines) -> None:
    if isinstance(value, Ingested):
        log.info("%s: %s, %d lines%s", doc_id, value.source.encoding, len(value.raw_lines),
                 f" ({'; '.join(value.fixes)})" if value.fixes else "")
    elif isinstance(value, Clean):
        s = value.stripped
        reasons: dict[str, int] = {}
        for r in s.removed:
            reasons[r.reason] = reasons.get(r.reason, 0) + 1
        log.info("%s: site=%s, %d paragraphs, %d captions kept; removed %d lines (%s); title %r",
                 doc_id, s.site, len(s.paragraphs), len(s.captions), len(s.removed),
                 ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())) or "none", (s.title or "")[:80])
    elif isinstance(value, Fixed):
        rep = value.repaired
        log.info("%s: MT score %.2f (%s), %d repairs%s, %d uncertain", doc_id, rep.machine_translated.score,
                 "flagged" if rep.machine_translated.flagged else "not flagged", len(rep.repairs),
                 (": " + "; ".join(f"{x.before} → {x.after}" for x in rep.repairs[:5])
                  + (" …" if len(rep.repairs) > 5 else "")) if rep.repairs else "", len(rep.uncertain))
    elif isinstance(value, Translated):
        t = value.translation
        log.info("%s: translation %s%s", doc_id, t.status,
                 f" ({t.cache_hits} from memory, {t.cache_misses} by the model)" if t.status == "ok" else "")
    elif isinstance(value, Done):
        if value.waiting:
            log.warning("%s: %s", doc_id, value.waiting)
        else:
            log.info("%s: written", doc_id)


def _worker_init(threads: str) -> None:
    os.environ["VNCLEAN_TRANSLATE_THREADS"] = threads  # each process's share of the cores for its model
    if sys.platform == "linux":  # a worker dies with the run, also when the run is killed
        from vnclean.api import _die_with_parent

        _die_with_parent()


def _worker_pid(_: int) -> int:
    return os.getpid()
