"""What a run remembers of its documents, in bounded memory whatever the batch size.

Each chunk, once written, leaves one JSON line per document in ``_parts/<chunk>.jsonl`` beside
the outputs: its summary row, what a person should look at (markdown notes) and, for documents
that need a look (and for every document of a small run), its section of ``report.html``. The
chunk itself returns only a :class:`ChunkResult` of counts. When the run ends,
:class:`RunCollector` reads the parts back, one line at a time: every row goes to
``_documents.jsonl``; the totals, the rows of documents that need attention (capped), the review
notes (capped) and the report's sections (capped) stay; the parts are deleted. So the flow holds
no document, and nothing it keeps grows with the batch beyond those caps.
"""
from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING

from vnclean.tasks.ingest import display_path
from vnclean.tasks.limits import load_limits, shorten
from vnclean.tasks.write import atomic_write

if TYPE_CHECKING:
    from vnclean.tasks.pipeline import Doc

PARTS_DIR = "_parts"
DOCUMENTS_FILE = "_documents.jsonl"
# Kept in memory and in _run.json: every row of a run up to this many documents, else the rows of
# documents that need attention up to it (all rows are in _documents.jsonl).
ROWS_KEPT = 1_000
# report.html: sections (raw | clean | English) for at most this many documents and bytes,
# those that need a person first; its index lists at most INDEX_ROWS documents. Together they
# keep the page openable in a browser (< 5 MB) at any batch size.
REPORT_SECTIONS = 100
REPORT_SECTION_BYTES = 3_000_000
INDEX_ROWS = 2_000
REVIEW_ITEMS = 100  # documents detailed in the Prefect review artifact


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
    seconds: float = 0.0  # time spent on this document, all stages
    reason: str = ""

    @property
    def needs_attention(self) -> bool:
        return self.status != "ok" or self.translation == "failed"


@dataclass
class RunSummary:
    input_dir: str
    output_dir: str
    model: str | None
    rows: list[Row] = field(default_factory=list)  # see ROWS_KEPT
    seconds: float = 0.0
    cache_hits: int = 0
    cache_misses: int = 0
    inputs: int = 0
    new: int = 0
    changed: int = 0
    retried: int = 0
    outdated: int = 0
    damaged: int = 0  # redone because an output was missing, cut short or edited
    forced: int = 0  # already done, redone because of --force
    skipped: int = 0
    stopped: str = ""  # why the run stopped early (a full or read-only output folder)
    # documents processed, per status (ok, rejected, failed, waiting), and how many of the ok ones
    # have no English because translation failed
    counts: dict[str, int] = field(default_factory=dict)
    translation_failed: int = 0
    kept: dict[str, int] = field(default_factory=dict)  # paragraphs kept, lines removed, repairs, over ok documents
    # seconds spent in each stage, summed over documents (where the time goes; the flow runs
    # chunks concurrently, so these can add up to more than ``seconds``)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    # over ok documents, as ``kept``: lines removed per reason (they sum to kept["removed"]) and
    # repairs per kind
    removed: dict[str, int] = field(default_factory=dict)
    repairs: dict[str, int] = field(default_factory=dict)
    # documents set aside, per stage and reason: {"ingest": {"binary": 1, "empty": 2}, "strip": {"failed": 1}}
    set_aside: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def from_record(cls, record: dict) -> RunSummary:
        """The summary from its record (``asdict``: what a flow run returns, ``_run.json``)."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in record.items() if k in names}
        return cls(**{**values, "rows": [Row(**r) for r in record.get("rows", [])]})

    def count(self, status: str) -> int:
        return self.counts.get(status, 0)

    def sort_counts(self) -> None:
        """The counts per reason in the order of their names (a stable record, whatever the chunks' order)."""
        self.removed, self.repairs = dict(sorted(self.removed.items())), dict(sorted(self.repairs.items()))
        self.set_aside = {stage: dict(sorted(reasons.items())) for stage, reasons in sorted(self.set_aside.items())}

    def by_reason(self) -> list[tuple[str, list[tuple[str, int]]]]:
        """For a person: (what is counted, [(reason, count), …] most first) for the counts per
        reason that have any: lines removed, repairs, documents set aside (``stage/reason``)."""
        aside = {f"{stage}/{reason}": n for stage, reasons in self.set_aside.items() for reason, n in reasons.items()}
        return [(what, sorted(counts.items(), key=lambda item: (-item[1], item[0])))
                for what, counts in (("lines removed by reason", self.removed), ("repairs by kind", self.repairs),
                                     ("set aside by stage and reason", aside)) if counts]

    @property
    def processed(self) -> int:
        return sum(self.counts.values())

    @property
    def failed_any(self) -> bool:
        return bool(self.count("rejected") or self.count("failed") or self.translation_failed)

    def add(self, row: Row, stage_seconds: dict[str, float], cache: tuple[int, int] = (0, 0),
            tally: Tally | None = None) -> None:
        """Count one document (its row is kept by the caller's policy), with its counts per reason."""
        self.counts[row.status] = self.counts.get(row.status, 0) + 1
        self.translation_failed += row.status == "ok" and row.translation == "failed"
        if row.status == "ok":
            for name, value in (("paragraphs", row.paragraphs), ("removed", row.removed), ("repairs", row.repairs)):
                self.kept[name] = self.kept.get(name, 0) + value
        if tally is not None:
            if row.status == "ok":
                _count(self.removed, tally.removed)
                _count(self.repairs, tally.repairs)
            if tally.set_aside is not None:
                stage, reason = tally.set_aside
                _count(self.set_aside.setdefault(stage, {}), {reason: 1})
        for stage, spent in stage_seconds.items():
            self.stage_seconds[stage] = round(self.stage_seconds.get(stage, 0.0) + spent, 4)
        self.cache_hits += cache[0]
        self.cache_misses += cache[1]


@dataclass(frozen=True)
class Tally:
    """What one document adds to the run's counts per reason: its removed lines per reason and
    repairs per kind (a document's), or the stage and reason it was set aside at."""

    removed: dict[str, int] = field(default_factory=dict)
    repairs: dict[str, int] = field(default_factory=dict)
    set_aside: tuple[str, str] | None = None

    @classmethod
    def of(cls, w: Doc) -> Tally:
        if w.set_aside is not None:
            return cls(set_aside=(w.set_aside.stage, w.set_aside.reason))
        if w.document is None:
            return cls()
        return cls(dict(Counter(r.reason for r in w.document.removed)),
                   dict(Counter(r.kind for r in w.document.repairs)))

    @classmethod
    def from_json(cls, item: dict | None) -> Tally | None:
        if item is None:
            return None
        aside = item.get("set_aside")
        return cls(item.get("removed", {}), item.get("repairs", {}), (aside[0], aside[1]) if aside else None)


def _count(into: dict[str, int], counts: dict[str, int]) -> None:
    for key, n in counts.items():
        into[key] = into.get(key, 0) + n


def row_of(w: Doc) -> Row:
    """A document's row of the run summary (titles and reasons capped, see tasks/data/limits)."""
    limits = load_limits()
    secs = round(sum(w.seconds.values()), 4)
    aside, done = w.set_aside, w.done
    if aside is not None and not aside.failed:
        return Row(w.id, "rejected", seconds=secs,
                   reason=shorten(f"{aside.reason}: {aside.detail}", limits.row_reason_chars))
    if aside is not None or done is None:
        why = f"{aside.stage}: {aside.detail}" if aside is not None else "not written"
        return Row(w.id, "failed", seconds=secs, reason=shorten(why, limits.row_reason_chars))
    d = done.document
    title = shorten(d.title or "", limits.row_title_chars)
    if done.waiting is not None:
        return Row(d.id, "waiting", d.site, title, len(d.paragraphs), len(d.removed), len(d.repairs),
                   d.machine_translated.score, done.translation, secs, shorten(done.waiting, limits.row_reason_chars))
    reason = (d.translation.detail or "") if d.translation.status == "failed" else ""
    return Row(d.id, "ok", d.site, title, len(d.paragraphs), len(d.removed), len(d.repairs),
               d.machine_translated.score, d.translation.status, secs, shorten(reason, limits.row_reason_chars))


def _cache_of(w: Doc) -> tuple[int, int]:
    done = w.done
    if done is None or done.waiting is not None:
        return 0, 0
    return done.document.translation.cache_hits, done.document.translation.cache_misses


def summarise(works: list[Doc], input_dir: str | Path, output_dir: str | Path, model: str | None,
              seconds: float) -> RunSummary:
    """The summary of documents held in memory (a small run, tests): every row kept."""
    summary = RunSummary(display_path(input_dir), display_path(output_dir), model, seconds=round(seconds, 2))
    for w in works:
        row = row_of(w)
        summary.rows.append(row)
        summary.add(row, w.seconds, _cache_of(w), Tally.of(w))
    summary.sort_counts()
    return summary


@dataclass
class ChunkResult:
    """What a chunk task hands back to the flow: counts and statuses, never documents."""

    label: str
    statuses: list[tuple[str, str]]  # (id, status) per document, for the progress bar
    part: str  # the chunk's part file


def write_part(works: list[Doc], path: Path, sections: bool) -> ChunkResult:
    """The chunk's part file (one JSON line per document) and its :class:`ChunkResult`.
    ``sections``: render every document's report section (a small run), else only those of
    documents a person should look at."""
    from vnclean.tasks.report import document_section, review_notes

    path.parent.mkdir(parents=True, exist_ok=True)
    lines, statuses = [], []
    for w in works:
        row = row_of(w)
        notes = review_notes(w)
        attention = bool(notes) or row.needs_attention
        section = document_section(w) if w.document is not None and (sections or attention) else None
        label = (w.document.title or display_path(w.path)) if w.document is not None else display_path(w.path)
        lines.append(json.dumps({"row": asdict(row), "stages": w.seconds, "cache": _cache_of(w),
                                 "tally": asdict(Tally.of(w)), "label": label, "notes": notes,
                                 "attention": attention, "section": section}, ensure_ascii=False))
        statuses.append((w.id, row.status))
    atomic_write(path, "\n".join(lines) + "\n")
    return ChunkResult(path.stem, statuses, str(path))


@dataclass
class _Entry:
    row: Row
    label: str
    notes: list[str]


class RunCollector:
    """Reads a run's part files back when the run ends (see the module's docstring)."""

    def __init__(self, output_dir: Path) -> None:
        self.out = output_dir
        self.parts = output_dir / PARTS_DIR
        self.parts.mkdir(parents=True, exist_ok=True)
        for stale in self.parts.iterdir():  # a killed or stopped run's (and their temp files): its
            stale.unlink()  # documents are redone or reported from disk

    def part_path(self, label: str) -> Path:
        return self.parts / f"{label}.jsonl"

    def _lines(self) -> Iterator[dict]:
        for part in sorted(self.parts.glob("*.jsonl")):
            with open(part, encoding="utf-8") as handle:
                for line in handle:
                    if line.strip():
                        yield json.loads(line)

    def collect(self, summary: RunSummary) -> tuple[list[_Entry], list[str]]:
        """Fill ``summary`` (counts, kept rows), write ``_documents.jsonl``; return the review
        entries (documents with notes, capped) and the report sections (capped)."""
        rows: list[Row] = []
        attention_rows: list[Row] = []
        review: list[_Entry] = []
        self.quiet, self.review_more = 0, 0
        self.quiet_ids: list[str] = []
        documents = self.out / DOCUMENTS_FILE
        temp = documents.with_name(f".{documents.name}.tmp")
        with open(temp, "w", encoding="utf-8") as handle:
            for item in self._lines():
                row = Row(**item["row"])
                summary.add(row, item["stages"], tuple(item["cache"]), Tally.from_json(item.get("tally")))
                handle.write(json.dumps(item["row"], ensure_ascii=False) + "\n")
                self._keep(item, row, rows, attention_rows, review)
        os.replace(temp, documents)
        summary.sort_counts()
        summary.rows = rows if len(rows) <= ROWS_KEPT else attention_rows
        return review, self._sections()

    def _keep(self, item: dict, row: Row, rows: list[Row], attention_rows: list[Row], review: list[_Entry]) -> None:
        if len(rows) <= ROWS_KEPT:
            rows.append(row)
        if row.needs_attention and len(attention_rows) < ROWS_KEPT:
            attention_rows.append(row)
        if not item["notes"]:
            self.quiet += 1
            if len(self.quiet_ids) < 20:
                self.quiet_ids.append(row.id)
        elif len(review) < REVIEW_ITEMS:
            review.append(_Entry(row, item["label"], item["notes"]))
        else:
            self.review_more += 1  # counted, not detailed

    def _sections(self) -> list[str]:
        """Report sections: documents that need a person first, then the others, within the caps."""
        chosen: list[str] = []
        self.sectioned: set[str] = set()
        size = 0
        for wanted in (True, False):
            for item in self._lines():
                if item["section"] is None or item["attention"] != wanted:
                    continue
                if len(item["section"]) > REPORT_SECTION_BYTES // 4:
                    continue  # one huge page would crowd out the rest: listed in the index only
                if len(chosen) >= REPORT_SECTIONS or size + len(item["section"]) > REPORT_SECTION_BYTES:
                    return chosen
                chosen.append(item["section"])
                self.sectioned.add(item["row"]["id"])
                size += len(item["section"])
        return chosen

    def index_rows(self) -> Iterator[tuple[Row, bool]]:
        """Every row, and whether the report shows the document's section (after :meth:`collect`)."""
        for item in self._lines():
            yield Row(**item["row"]), item["row"]["id"] in self.sectioned

    def close(self) -> None:
        shutil.rmtree(self.parts, ignore_errors=True)
