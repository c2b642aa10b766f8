"""The stages of a document, as plain functions from one value to the next (no Prefect).

Each stage's step takes what the stage before it made and returns the next value, or a
:class:`SetAside` that says at which stage and why the document goes no further (datatrove's
keep-or-drop with a reason)::

    ingest     Doc (path, id)  -> Ingested   | SetAside("ingest", "empty" | "binary" | "too_large" | ..., detail)
    strip      Ingested        -> Clean      (title, sapo, paragraphs, captions, removed lines; the language)
    repair     Clean           -> Fixed      (garbled machine translation repaired)
    translate  Fixed | Kept    -> Translated (a failed translation is the document's status, not a set-aside)
    write      Translated      -> Done       (written; or the stored document kept, waiting for the model)

A step that raises sets aside its own document only: SetAside(stage, "failed", error)
(:func:`attempt`). A document whose stored Vietnamese is kept, because only the translation model
changed since it was written, goes from ingest straight to translate as a :class:`Kept`
(:func:`keep_stored`). A chunk's documents go through a stage as a list of (:class:`Doc`, value)
pairs (:func:`run_stage`), typed per stage; a :class:`Doc` is the bookkeeping: the path and id,
the seconds each stage took, and how the document ended (``end``: :class:`Done` or
:class:`SetAside`). ``vnclean.flows.chunk.run_chunk`` chains the stages for the Prefect flow;
:func:`process_chunk` is the same chain without Prefect or a manifest.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from vnclean.tasks.boilerplate import Stripped, load_profiles, strip_boilerplate
from vnclean.tasks.ingest import DEFAULT_MAX_BYTES, Ingested, assign_ids, display_path, ingest_file, path_key, printable
from vnclean.tasks.langid import detect_language
from vnclean.tasks.limits import cap_fields
from vnclean.tasks.manifest import Entry, Manifest
from vnclean.tasks.models import Document, Failed, Rejected, Source, Translation
from vnclean.tasks.repair import Repaired, repair_document
from vnclean.tasks.templates import TEMPLATES_FILE, Seen, TemplateStore, seen_page
from vnclean.tasks.translate import Translator, translate_document
from vnclean.tasks.write import (
    OutputUnwritable,
    StagedWrites,
    Written,
    document_files,
    stored_document,
    tidy_after_write,
    unwritable,
    write_failed,
    write_rejected,
)

STAGES = ("ingest", "strip", "repair", "translate", "write")
FAILED = "failed"  # the reason of a set-aside whose step raised (a rejection has its own reason)
CODE_DIR = Path(__file__).parent


@functools.cache
def code_version() -> str:
    """A hash of the code and data that shape the output (stage modules, profiles, name tables): a
    document's ``pipeline_version``; with the translation package, the manifest's version of it
    (``vnclean.flows.run.version_key``)."""
    digest = hashlib.sha256()
    for path in sorted(CODE_DIR.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".toml", ".tsv", ".txt"):
            digest.update(path.relative_to(CODE_DIR).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# ---------------------------------------------------------------------------------------------
# What the stages pass on


@dataclass(frozen=True)
class SetAside:
    """Why a document goes no further: the ``stage``, a stable snake_case ``reason`` (a rejection's:
    ``empty``, ``binary``, ``too_large``, …; ``failed`` when the stage raised) and the ``detail`` (the
    rejection's, or the error). ``source`` is what was known of the file then (its path; what
    ingest read of it)."""

    stage: str
    reason: str
    detail: str
    source: Source | None = None

    @property
    def failed(self) -> bool:
        """The stage raised (a bug or a transient error), as opposed to a file rejected for what it is."""
        return self.reason == FAILED

    @classmethod
    def of(cls, record: Rejected | Failed) -> SetAside:
        """A rejection (by ingest) or a failure record, as a set-aside."""
        if isinstance(record, Failed):
            return cls(record.stage, FAILED, record.error, record.source)
        return cls("ingest", record.reason, record.detail, record.source)

    def record(self, doc_id: str) -> Rejected | Failed:
        """What ``_failed/<id>.json`` or ``_rejected/<id>.json`` holds."""
        if self.failed:
            return Failed(id=doc_id, source=self.source, stage=self.stage, error=self.detail)
        return Rejected(id=doc_id, source=self.source or Source(path="", sha256=""), reason=self.reason,
                        detail=self.detail)


@dataclass(frozen=True)
class Clean:
    """A document after strip: the page as read, what strip kept and removed, and its language."""

    ingested: Ingested
    stripped: Stripped
    language: str

    @property
    def source(self) -> Source:
        return self.ingested.source


@dataclass(frozen=True)
class Fixed:
    """A document after repair: its clean Vietnamese, with garbled machine translation repaired."""

    clean: Clean
    repaired: Repaired

    @property
    def ingested(self) -> Ingested:
        return self.clean.ingested

    @property
    def language(self) -> str:
        return self.clean.language

    @property
    def source(self) -> Source:
        return self.ingested.source


@dataclass(frozen=True)
class Kept:
    """A document whose stored Vietnamese is kept: only the translation model changed since this
    code wrote it from these bytes, so it is translated again and not stripped or repaired again."""

    ingested: Ingested
    stored: Document

    @property
    def language(self) -> str:
        return self.stored.language

    @property
    def source(self) -> Source:
        return self.ingested.source


@dataclass(frozen=True)
class Translated:
    """A document with this run's translation (``status`` ok, missing-model or failed)."""

    text: Fixed | Kept
    translation: Translation

    @property
    def ingested(self) -> Ingested:
        return self.text.ingested

    @property
    def source(self) -> Source:
        return self.ingested.source


@dataclass(frozen=True)
class Done:
    """A document at the end of the write stage: ``document`` written, or (``waiting`` says why) the
    stored document kept because this run's English is worse. ``ingested``: the page as read (the
    review report shows its raw lines); ``translation``: this run's translation status."""

    document: Document
    ingested: Ingested | None = None
    waiting: str | None = None
    translation: str = ""


class Sourced(Protocol):
    """A stage's input: it knows the file it came from (for a set-aside record)."""

    @property
    def source(self) -> Source: ...


@dataclass(eq=False)
class Doc:
    """One document of a chunk, as bookkeeping: its path and id (unique in the run), the seconds
    each stage took, how it ended (``end``: None while it is on its way) and the files written for
    it (for the manifest). It is also what the ingest stage reads."""

    path: str
    id: str
    seconds: dict[str, float] = field(default_factory=dict)
    end: Done | SetAside | None = None
    outputs: list[Written] = field(default_factory=list)

    @property
    def source(self) -> Source:
        """The file before it is read: its path only."""
        return Source(path=display_path(self.path), sha256="", bytes=0)

    @property
    def done(self) -> Done | None:
        return self.end if isinstance(self.end, Done) else None

    @property
    def set_aside(self) -> SetAside | None:
        return self.end if isinstance(self.end, SetAside) else None

    @property
    def document(self) -> Document | None:
        """The document written (or, when it waits for the model, the stored one kept)."""
        return self.end.document if isinstance(self.end, Done) else None

    @property
    def ingested(self) -> Ingested | None:
        return self.end.ingested if isinstance(self.end, Done) else None

    @property
    def waiting(self) -> str | None:
        return self.end.waiting if isinstance(self.end, Done) else None

    @property
    def record(self) -> Rejected | Failed | None:
        """The set-aside record (``_rejected/`` or ``_failed/``), None for a document."""
        return self.end.record(self.id) if isinstance(self.end, SetAside) else None


T = TypeVar("T", bound=Sourced)
U = TypeVar("U")
V = TypeVar("V")
Batch = list[tuple[Doc, V]]  # a stage's documents, each with its value; in the chunk's order


def new_docs(paths: list[str], ids: dict[str, str] | None = None) -> list[Doc]:
    """The documents of a batch, with its ids (:func:`vnclean.tasks.ingest.assign_ids`: unique,
    whatever the order); ``ids`` are those of the whole run when the paths are one chunk of it."""
    ids = ids if ids is not None else assign_ids(paths)
    return [Doc(path=p, id=ids[p]) for p in paths]


def error_text(err: BaseException) -> str:
    """An exception as one printable line or a few (its type and message, no traceback)."""
    return printable("".join(traceback.format_exception_only(type(err), err)).strip())


# ---------------------------------------------------------------------------------------------
# Running a stage over a chunk's documents


def attempt(stage: str, step: Callable[[T], U | SetAside], value: T) -> U | SetAside:
    """``step(value)``; an exception becomes SetAside(stage, "failed", error), so that one
    document's failure does not stop the batch. A full or read-only output folder is not one
    document's failure: it stops the batch (:class:`vnclean.tasks.write.OutputUnwritable`)."""
    try:
        return step(value)
    except OutputUnwritable:
        raise
    except Exception as err:  # noqa: BLE001 - one document's failure must not stop the batch
        stop = unwritable(err) if stage == "write" else None
        if stop is not None:
            raise stop from err
        return SetAside(stage, FAILED, error_text(err), value.source)


def run_stage(items: Iterable[tuple[Doc, T]], stage: str, step: Callable[[T], U | SetAside]) -> Batch[U]:
    """``step`` over every document still on its way, each one timed and isolated
    (:func:`attempt`): returns those it passes on, with their next value; those it sets aside end
    there (``Doc.end``)."""
    passed: Batch[U] = []
    for doc, value in items:
        if doc.end is not None:
            continue
        started = time.perf_counter()
        result = attempt(stage, step, value)
        doc.seconds[stage] = round(time.perf_counter() - started, 4)
        if isinstance(result, SetAside):
            doc.end = result
        else:
            passed.append((doc, result))
    return passed


def in_order(docs: Sequence[Doc], fixed: Batch[Fixed], kept: Batch[Kept]) -> Batch[Fixed | Kept]:
    """The repaired documents and those whose Vietnamese is kept, together in the order of ``docs``."""
    position = {id(doc): i for i, doc in enumerate(docs)}
    texts: Batch[Fixed | Kept] = [*fixed, *kept]
    return sorted(texts, key=lambda item: position[id(item[0])])


# ---------------------------------------------------------------------------------------------
# The stages: one step per document, and the stage over a chunk


def ingest(doc: Doc, max_bytes: int = DEFAULT_MAX_BYTES) -> Ingested | SetAside:
    """Read and decode the file; one that cannot be a document is set aside with the reason."""
    found = ingest_file(Path(doc.path), max_bytes, doc.id or None)
    return SetAside.of(found) if isinstance(found, Rejected) else found


def ingest_stage(items: Iterable[tuple[Doc, Doc]], max_bytes: int = DEFAULT_MAX_BYTES) -> Batch[Ingested]:
    return run_stage(items, "ingest", lambda doc: ingest(doc, max_bytes))


def keep_stored(items: Batch[Ingested], retranslate: Iterable[str], output_dir: Path
                ) -> tuple[Batch[Kept], Batch[Ingested]]:
    """(kept, fresh): of the documents the manifest says only the translation model changed for
    (paths in ``retranslate``), those whose stored document this code (``pipeline_version``) made
    from these bytes (``source``) keep its clean Vietnamese, so strip and repair are skipped and the
    Vietnamese fields stay byte-identical; every other document goes through every stage."""
    again = set(retranslate)
    kept: Batch[Kept] = []
    fresh: Batch[Ingested] = []
    for doc, ingested in items:
        stored = stored_document(output_dir, doc.id) if doc.path in again else None
        if (stored is not None and stored.pipeline_version == code_version() and stored.id == doc.id
                and stored.source == ingested.source):
            kept.append((doc, Kept(ingested, stored)))
        else:
            fresh.append((doc, ingested))
    return kept, fresh


def seen_pages(paths: list[str], max_bytes: int = DEFAULT_MAX_BYTES) -> list[Seen]:
    """What the site templates are learned from: per page with a site, its short units (pages
    that cannot be read, or have no site, give nothing)."""
    profiles = load_profiles()
    seen = []
    for path in paths:
        try:
            result = ingest_file(Path(path), max_bytes)
            if isinstance(result, Ingested):
                page = seen_page(path_key(path), result.text, result.shape, profiles.detect(result.text))
                if page is not None:
                    seen.append(page)
        except Exception:  # noqa: BLE001 - a page that cannot be read has no template to give
            continue
    return seen


def learn_templates(paths: list[str], store_path: Path, max_bytes: int = DEFAULT_MAX_BYTES,
                    pool: Executor | None = None, parts: int = 1) -> int:
    """Read every page of a run once more and record, per site, the short units it has, so that
    stripping knows each site's template from all its pages (this run's and earlier runs').
    Returns how many pages were recorded (pages with no site are not). With a ``pool`` of worker
    processes, the pages are read in ``parts`` runs of pages at once (the same pages recorded in
    the same order)."""
    if pool is None or parts <= 1 or len(paths) < 2 * parts:
        seen = seen_pages(paths, max_bytes)
    else:
        size = -(-len(paths) // parts)
        runs = [paths[i:i + size] for i in range(0, len(paths), size)]
        seen = [page for found in pool.map(seen_pages, runs, [max_bytes] * len(runs)) for page in found]
    store = TemplateStore(store_path)
    try:
        store.record(seen)
    finally:
        store.close()
    return len(seen)


def strip(ingested: Ingested, store: TemplateStore | None = None) -> Clean:
    """Strip one page, with its site's template when a template store is given; tell its language."""
    s = cap_fields(strip_boilerplate(ingested.text, shape=ingested.shape,
                                     templates=store.template if store is not None else None))
    language = detect_language(" ".join([s.summary or "", *s.paragraphs]) or s.title or "")
    if language == "und":  # a body too short to tell: the language of the page as a whole
        language = detect_language(ingested.text)
    return Clean(ingested, s, language)


def strip_stage(items: Iterable[tuple[Doc, Ingested]], store_path: Path) -> Batch[Clean]:
    """The strip stage over a chunk, with the site templates a learn pass wrote to ``store_path``."""
    store = TemplateStore(store_path) if store_path.exists() else None
    try:
        return run_stage(items, "strip", lambda ingested: strip(ingested, store))
    finally:
        if store is not None:
            store.close()


def repair(clean: Clean) -> Fixed:
    s = clean.stripped
    return Fixed(clean, repair_document(s.title or "", s.summary, s.paragraphs, s.captions))


def repair_stage(items: Iterable[tuple[Doc, Clean]]) -> Batch[Fixed]:
    return run_stage(items, "repair", repair)


def translate(text: Fixed | Kept, translator: Translator | None, load_error: str | None = None) -> Translated:
    """Translate one document. A translation failure never loses the clean Vietnamese: the document
    is written with ``translation.status = "failed"`` and the reason (after one retry, for
    transient errors), and the run reports it."""
    r = text.repaired if isinstance(text, Fixed) else text.stored
    if load_error is not None:
        return Translated(text, Translation(status="failed", detail=load_error))
    error = ""
    for _attempt in range(2):
        try:  # a stored document without a title has null; the repair stage gives ""
            return Translated(text, translate_document(r.title or "", r.summary, r.paragraphs, r.captions,
                                                       translator, language=text.language))
        except OutputUnwritable:  # the translation memory cannot be written: the run stops
            raise
        except Exception as err:  # noqa: BLE001 - recorded in the document
            error = "".join(traceback.format_exception_only(type(err), err)).strip()
    return Translated(text, Translation(status="failed", detail=f"translation failed twice: {error}"))


def translate_stage(items: Iterable[tuple[Doc, Fixed | Kept]], translator: Translator | None,
                    load_error: str | None = None) -> Batch[Translated]:
    return run_stage(items, "translate", lambda text: translate(text, translator, load_error))


def build_document(t: Translated) -> Document:
    translation, text = t.translation, t.text
    if isinstance(text, Kept):  # the stored Vietnamese, byte for byte, with this run's translation
        if text.stored.title is None and translation.title is not None:
            translation = translation.model_copy(update={"title": None})
        return text.stored.model_copy(update={"translation": translation})
    ing, s, r = text.ingested, text.clean.stripped, text.repaired
    if s.title is None and translation.title is not None:  # no title: no English title either
        translation = translation.model_copy(update={"title": None})
    return Document(
        id=ing.id, source=ing.source, language=text.language, site=s.site, url=s.url,
        title=r.title if s.title is not None else None, title_source=s.title_source,
        published=s.published, credit=s.credit, summary=r.summary,
        paragraphs=r.paragraphs, captions=r.captions, removed=s.removed, repairs=r.repairs,
        uncertain=r.uncertain, machine_translated=r.machine_translated, translation=translation,
        pipeline_version=code_version(),
    )


def downgrade(stored: Document | None, new: Document) -> str | None:
    """Why writing ``new`` over ``stored`` would lose English (None when it would not): the stored
    document of the same source has its English (status ok) and this run has none (no model, a
    model that cannot be loaded, a failed translation)."""
    if stored is None or stored.translation.status != "ok" or new.translation.status == "ok":
        return None
    if stored.source.sha256 != new.source.sha256:
        return None  # the scrape changed: the stored English is of another text
    return (f"stored English ({stored.translation.model}) kept, waiting for the model: this run's translation is "
            f"{new.translation.status}" + (f" ({new.translation.detail})" if new.translation.detail else ""))


def write_stage(items: Iterable[tuple[Doc, Translated]], output_dir: Path, allow_downgrade: bool = False
                ) -> Batch[Done]:
    """The write stage over a chunk: each document is built and checked against the contract and its
    files written as temp files, one document at a time (one that fails, fails alone; never over a
    better stored one, English kept, unless ``allow_downgrade``); then all of them are made durable
    in one step and renamed into place (:class:`vnclean.tasks.write.StagedWrites`: one sync per chunk, not
    one fsync per file). A document's write seconds are its own part plus an even share of that
    step."""
    staged = StagedWrites()

    def stage(t: Translated) -> Done:
        document = build_document(t)
        if not allow_downgrade:
            stored = stored_document(output_dir, document.id)
            why = downgrade(stored, document)
            if stored is not None and why is not None:
                return Done(stored, t.ingested, why, t.translation.status)
        staged.add(document.id, document_files(document, output_dir))
        return Done(document, t.ingested, None, t.translation.status)

    try:
        built = run_stage(items, "write", stage)
        started = time.perf_counter()
        results = staged.commit()
    finally:
        staged.discard()
    share = (time.perf_counter() - started) / max(1, len(results))
    written: Batch[Done] = []
    for doc, done in built:
        result = results.get(doc.id)
        if result is not None:  # None: waiting, nothing written
            doc.seconds["write"] = round(doc.seconds.get("write", 0.0) + share, 4)
            if isinstance(result, Exception):
                source = done.ingested.source if done.ingested is not None else None
                doc.end = SetAside("write", FAILED, error_text(result), source)
                continue
            doc.outputs = result
            tidy_after_write(done.document, output_dir)
        doc.end = done
        written.append((doc, done))
    return written


# ---------------------------------------------------------------------------------------------
# What a chunk leaves: set-aside records, the manifest's rows


def write_setaside(docs: Iterable[Doc], output_dir: Path) -> None:
    """Rejected and failed documents get their record in ``_rejected/`` or ``_failed/``."""
    for doc in docs:
        record = doc.record
        if isinstance(record, Rejected):
            written = write_rejected(record, output_dir)
            doc.outputs = [dataclasses.replace(written, name=f"_rejected/{written.name}")]
        elif isinstance(record, Failed):
            write_failed(record, output_dir)


def outcome(doc: Doc) -> str:
    """What the manifest remembers: failed translations and documents waiting for the model are
    done again by the next run."""
    end = doc.end
    if isinstance(end, Done):
        if end.waiting is not None:
            return "waiting"
        return "failed" if end.document.translation.status == "failed" else "ok"
    return "rejected" if isinstance(end, SetAside) and not end.failed else "failed"


def manifest_entry(doc: Doc) -> Entry:
    """The manifest's row: the input's hash as ingest read it ("" when it was not read)."""
    end = doc.end
    source = end.source if isinstance(end, SetAside) else doc.ingested.source if doc.ingested is not None else None
    return Entry(doc.path, source.sha256 if source is not None else "", outcome(doc), doc.id, doc.outputs)


def commit_chunk(docs: Iterable[Doc], manifest_path: Path, version: str) -> None:
    """Record a chunk's documents in the manifest as soon as they are written (one transaction),
    so that a run killed later resumes after them; report.html has yet to show them."""
    manifest = Manifest(manifest_path, check=False)  # the flow checked it when the run began
    try:
        manifest.record([manifest_entry(d) for d in docs], version, report=True)
    finally:
        manifest.close()


def doc_from_disk(path: str, doc_id: str, output_dir: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Doc | None:
    """A document an earlier run wrote, as a :class:`Doc` for the report: the stored JSON (or
    set-aside record) and the raw lines read again. None when nothing is stored any more."""
    document = stored_document(output_dir, doc_id)
    if document is not None:
        try:
            found = ingest_file(Path(path), max_bytes)
        except Exception:  # noqa: BLE001 - the report shows the document without its raw lines
            found = None
        ingested = found if isinstance(found, Ingested) else None
        return Doc(path, doc_id, end=Done(document, ingested, None, document.translation.status))
    for folder, model in (("_rejected", Rejected), ("_failed", Failed)):
        try:
            record = model.model_validate_json((output_dir / folder / f"{doc_id}.json").read_bytes())
        except (OSError, ValueError):
            continue
        return Doc(path, doc_id, end=SetAside.of(record))
    return None


def process_chunk(paths: list[str], output_dir: Path, translator: Translator | None,
                  max_bytes: int = DEFAULT_MAX_BYTES, allow_downgrade: bool = False) -> list[Doc]:
    """All five stages over a chunk, without Prefect (tests, benchmarks, library users)."""
    docs = new_docs(paths)
    learn_templates(paths, output_dir / TEMPLATES_FILE, max_bytes)
    ingested = ingest_stage([(doc, doc) for doc in docs], max_bytes)
    stripped = strip_stage(ingested, output_dir / TEMPLATES_FILE)
    repaired = repair_stage(stripped)
    translated = translate_stage(repaired, translator)
    write_stage(translated, output_dir, allow_downgrade)
    write_setaside(docs, output_dir)
    return docs
