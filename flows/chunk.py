"""One chunk of a run: the five stages over its documents, written and recorded (no Prefect).

:func:`run_chunk` is what a chunk task of the flow (``flows/pipeline.py``) runs, in the task's
thread or, with ``--processes``, in a worker process. This module imports neither Prefect nor the
flow, so a worker process does not either: it starts in a fraction of the time and holds a
fraction of the memory (README "Large backlogs").
"""
from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

from vnclean.tasks.ingest import printable
from vnclean.tasks.models import Failed
from vnclean.tasks.pipeline import (
    Work,
    commit_chunk,
    fresh,
    ingest_step,
    keep_stored_step,
    new_works,
    repair_step,
    run_stage,
    source_of,
    strip_stage,
    translate_step,
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


def _describe(stage: str, works: list[Work], logger) -> None:
    for w in works:
        if w.rejected is not None and stage == "ingest":
            logger.warning("%s: rejected (%s) %s", w.id, w.rejected.reason, w.rejected.detail)
        elif w.failed is not None and w.failed.stage == stage:
            logger.error("%s: failed in %s: %s", w.id, stage, w.failed.error)
        elif not w.active:
            continue
        elif w.kept is not None and stage in ("strip", "repair"):
            if stage == "strip":
                logger.info("%s: only the translation model changed: the stored Vietnamese is kept", w.id)
        elif stage == "ingest" and (ing := w.ingested) is not None:
            logger.info("%s: %s, %d lines%s", w.id, ing.source.encoding, len(ing.raw_lines),
                        f" ({'; '.join(ing.fixes)})" if ing.fixes else "")
        elif stage == "strip" and (s := w.stripped) is not None:
            reasons: dict[str, int] = {}
            for r in s.removed:
                reasons[r.reason] = reasons.get(r.reason, 0) + 1
            logger.info("%s: site=%s, %d paragraphs, %d captions kept; removed %d lines (%s); title %r",
                        w.id, s.site, len(s.paragraphs), len(s.captions), len(s.removed),
                        ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())) or "none", (s.title or "")[:80])
        elif stage == "repair" and (rep := w.repaired) is not None:
            logger.info("%s: MT score %.2f (%s), %d repairs%s, %d uncertain", w.id, rep.machine_translated.score,
                        "flagged" if rep.machine_translated.flagged else "not flagged", len(rep.repairs),
                        (": " + "; ".join(f"{x.before} → {x.after}" for x in rep.repairs[:5])
                         + (" …" if len(rep.repairs) > 5 else "")) if rep.repairs else "", len(rep.uncertain))
        elif stage == "translate" and (t := w.translation) is not None:
            logger.info("%s: translation %s%s", w.id, t.status,
                        f" ({t.cache_hits} from memory, {t.cache_misses} by the model)" if t.status == "ok" else "")
        elif stage == "write":
            if w.waiting:
                logger.warning("%s: %s", w.id, w.waiting)
            else:
                logger.info("%s: written", w.id)



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
    counts and its log lines by level. An error outside the per-document isolation (a bug) fails
    the slice's documents at that stage; the slice is still recorded. A plain function: it runs in the task's
    thread, or in a worker process with ``--processes``. ``model`` is the package (CODE-VERSION)
    the run translates with; the documents in ``retranslate`` (only the model changed) keep their
    stored Vietnamese when it qualifies (:func:`vnclean.tasks.pipeline.keep_stored_step`)."""
    out = Path(output_dir)
    works = new_works(paths, ids)
    again = set(retranslate or ())
    log = _Lines()

    def ingest() -> None:
        run_stage(works, "ingest", ingest_step(max_bytes))
        keep = keep_stored_step(out)  # reads the stored JSON; nothing in it raises
        for w in works:
            if w.path in again and w.active:
                keep(w)

    def translate() -> None:
        translator, load_error = load_translator(out / MEMORY_FILE, model)
        if load_error:
            log.error("%s", load_error)
        run_stage(works, "translate", translate_step(translator, load_error))

    for stage, run in (("ingest", ingest),
                       ("strip", lambda: strip_stage(fresh(works), out / TEMPLATES_FILE)),
                       ("repair", lambda: run_stage(fresh(works), "repair", repair_step)),
                       ("translate", translate),
                       ("write", lambda: write_stage(works, out, allow_downgrade))):
        try:
            run()
        except OutputUnwritable:
            raise
        except Exception as err:  # noqa: BLE001 - the chunk's documents fail, the run goes on
            stop = unwritable(err)
            if stop is not None:
                raise stop from err
            error = printable("".join(traceback.format_exception_only(type(err), err)).strip())
            log.error("chunk %s crashed in %s: %s", label, stage, error)
            for w in works:
                if w.active:
                    w.failed = Failed(id=w.id, source=source_of(w), stage=stage, error=error)
        _describe(stage, works, log)
    write_setaside(works, out)
    commit_chunk(works, out / MANIFEST_FILE, version)
    return write_part(works, out / PARTS_DIR / f"{label}.jsonl", sections), log.lines


def _worker_init(threads: str) -> None:
    os.environ["VNCLEAN_TRANSLATE_THREADS"] = threads  # each process's share of the cores for its model
    if sys.platform == "linux":  # a worker dies with the run, also when the run is killed
        from vnclean.api import _die_with_parent

        _die_with_parent()


def _worker_pid(_: int) -> int:
    return os.getpid()
