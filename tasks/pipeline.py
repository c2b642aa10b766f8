"""The stages chained for a chunk of documents, as plain functions (no Prefect).

A :class:`Work` item carries one document through the stages. A stage that raises for one
document marks only that document failed (stage and error kept); the rest of the chunk goes on.
The Prefect flow (``flows/pipeline.py``) wraps each stage of a chunk in one task run.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

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
CODE_DIR = Path(__file__).parent


@functools.cache
def code_version() -> str:
    """A hash of the code and data that shape the output (stage modules, profiles, name tables)."""
    digest = hashlib.sha256()
    for path in sorted(CODE_DIR.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".toml", ".tsv", ".txt"):
            digest.update(path.relative_to(CODE_DIR).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def version_key(model_id: str | None) -> str:
    """The manifest's version of a document: the code's hash and the translation package
    (``<code>+translate-vi_en-1.9``). When only the package part differs, the document is
    translated again and its Vietnamese kept (:func:`keep_stored_step`)."""
    return f"{code_version()}+{model_id or 'no-model'}"


@dataclass
class Work:
    path: str
    id: str = ""
    ingested: Ingested | None = None
    stripped: Stripped | None = None
    repaired: Repaired | None = None
    language: str = "und"
    translation: Translation | None = None
    rejected: Rejected | None = None
    failed: Failed | None = None
    document: Document | None = None
    # set when the stored document is better than this run's (English ok vs none): it is kept, and
    # this says why the document waits (``document`` is then the stored one)
    waiting: str | None = None
    outputs: list[Written] = field(default_factory=list)  # the files written for it, for the manifest
    # the stored document whose Vietnamese stages' output is kept: only the model changed since it
    # was written, so it is translated again, not stripped and repaired again
    kept: Document | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.rejected is None and self.failed is None


def run_stage(works: list[Work], stage: str, step: Callable[[Work], None]) -> list[Work]:
    """Apply ``step`` to every still-active document, isolating and timing each one. A full or
    read-only output folder is not one document's failure: it stops the batch
    (:class:`vnclean.tasks.write.OutputUnwritable`)."""
    for work in works:
        if not work.active:
            continue
        started = time.perf_counter()
        try:
            step(work)
        except OutputUnwritable:
            raise
        except Exception as err:  # noqa: BLE001 - one document's failure must not stop the batch
            stop = unwritable(err) if stage == "write" else None
            if stop is not None:
                raise stop from err
            detail = printable("".join(traceback.format_exception_only(type(err), err)).strip())
            work.failed = Failed(id=work.id, source=source_of(work), stage=stage, error=detail)
        work.seconds[stage] = round(time.perf_counter() - started, 4)
    return works


def source_of(work: Work) -> Source:
    """The source of a document, for set-aside records too (only the path before it was read)."""
    if work.ingested is not None:
        return work.ingested.source
    return Source(path=display_path(work.path), sha256="", bytes=0)


def new_works(paths: list[str], ids: dict[str, str] | None = None) -> list[Work]:
    """Work items with the ids of their batch (:func:`vnclean.tasks.ingest.assign_ids`: unique, whatever
    the order); ``ids`` are those of the whole run when the paths are one chunk of it."""
    ids = ids if ids is not None else assign_ids(paths)
    return [Work(path=p, id=ids[p]) for p in paths]


def ingest_step(max_bytes: int = DEFAULT_MAX_BYTES) -> Callable[[Work], None]:
    def step(work: Work) -> None:
        result = ingest_file(Path(work.path), max_bytes, work.id or None)
        work.id = result.id
        if isinstance(result, Rejected):
            work.rejected = result
        else:
            work.ingested = result
    return step


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


def strip_step(store: TemplateStore | None = None) -> Callable[[Work], None]:
    """Strip one document, with its site's template when a template store is given."""

    def step(work: Work) -> None:
        assert work.ingested is not None
        work.stripped = cap_fields(strip_boilerplate(work.ingested.text, shape=work.ingested.shape,
                                                     templates=store.template if store is not None else None))
        s = work.stripped
        work.language = detect_language(" ".join([s.summary or "", *s.paragraphs]) or s.title or "")
        if work.language == "und":  # a body too short to tell: the language of the page as a whole
            work.language = detect_language(work.ingested.text)
    return step


def strip_stage(works: list[Work], store_path: Path) -> list[Work]:
    """The strip stage over a chunk, with the site templates a learn pass wrote to ``store_path``."""
    store = TemplateStore(store_path) if store_path.exists() else None
    try:
        return run_stage(works, "strip", strip_step(store))
    finally:
        if store is not None:
            store.close()


def keep_stored_step(output_dir: Path) -> Callable[[Work], None]:
    """For a document the manifest says only the translation model changed for: keep the clean
    Vietnamese of its stored document when that was made by this code (``pipeline_version``) from
    these bytes (``source``), so strip and repair are skipped and the Vietnamese fields stay
    byte-identical; otherwise the document goes through every stage."""
    def step(work: Work) -> None:
        stored = stored_document(output_dir, work.id)
        if (stored is not None and work.ingested is not None and stored.pipeline_version == code_version()
                and stored.id == work.id and stored.source == work.ingested.source):
            work.kept = stored
            work.language = stored.language
    return step


def fresh(works: list[Work]) -> list[Work]:
    """The documents the Vietnamese stages (strip, repair) run on: those not kept from disk."""
    return [w for w in works if w.kept is None]


def repair_step(work: Work) -> None:
    s = work.stripped
    assert s is not None
    work.repaired = repair_document(s.title or "", s.summary, s.paragraphs, s.captions)


def translate_step(translator: Translator | None, load_error: str | None = None) -> Callable[[Work], None]:
    """Translate one document. A translation failure never loses the clean Vietnamese: the document
    is written with ``translation.status = "failed"`` and the reason (after one retry, for
    transient errors), and the run reports it."""
    def step(work: Work) -> None:
        r = work.kept or work.repaired
        assert r is not None
        title = r.title or ""  # a stored document without a title has null; the repair stage gives ""
        if load_error is not None:
            work.translation = Translation(status="failed", detail=load_error)
            return
        error = ""
        for _attempt in range(2):
            try:
                work.translation = translate_document(title, r.summary, r.paragraphs, r.captions, translator,
                                                      language=work.language)
                return
            except OutputUnwritable:  # the translation memory cannot be written: the run stops
                raise
            except Exception as err:  # noqa: BLE001 - recorded in the document
                error = "".join(traceback.format_exception_only(type(err), err)).strip()
        work.translation = Translation(status="failed", detail=f"translation failed twice: {error}")
    return step


def build_document(work: Work) -> Document:
    translation = work.translation
    assert translation is not None
    if work.kept is not None:  # the stored Vietnamese, byte for byte, with this run's translation
        if work.kept.title is None and translation.title is not None:
            translation = translation.model_copy(update={"title": None})
        return work.kept.model_copy(update={"translation": translation})
    ing, s, r = work.ingested, work.stripped, work.repaired
    assert ing is not None and s is not None and r is not None
    if s.title is None and translation.title is not None:  # no title: no English title either
        translation = translation.model_copy(update={"title": None})
    return Document(
        id=work.id, source=ing.source, language=work.language, site=s.site, url=s.url,
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


def write_stage(works: list[Work], output_dir: Path, allow_downgrade: bool = False) -> list[Work]:
    """The write stage over a chunk: each document is built and checked against the contract and its
    files written as temp files, one document at a time (one that fails, fails alone; never over a
    better stored one, English kept, unless ``allow_downgrade``); then all of them are made durable
    in one step and renamed into place (:class:`vnclean.tasks.write.StagedWrites`: one sync per chunk, not
    one fsync per file). A document's write seconds are its own part plus an even share of that
    step."""
    staged = StagedWrites()
    documents: dict[str, Document] = {}

    def step(work: Work) -> None:
        doc = build_document(work)
        if not allow_downgrade:
            stored = stored_document(output_dir, doc.id)
            why = downgrade(stored, doc)
            if why is not None:
                work.document, work.waiting = stored, why
                return
        staged.add(work.id, document_files(doc, output_dir))
        documents[work.id] = doc

    try:
        run_stage(works, "write", step)
        started = time.perf_counter()
        results = staged.commit()
    finally:
        staged.discard()
    share = (time.perf_counter() - started) / max(1, len(results))
    for work in works:
        if work.id not in results:
            continue
        done = results[work.id]
        work.seconds["write"] = round(work.seconds.get("write", 0.0) + share, 4)
        if isinstance(done, Exception):
            detail = printable("".join(traceback.format_exception_only(type(done), done)).strip())
            work.failed = Failed(id=work.id, source=source_of(work), stage="write", error=detail)
            continue
        doc = documents[work.id]
        work.document, work.outputs = doc, done
        tidy_after_write(doc, output_dir)
    return works


def write_setaside(works: list[Work], output_dir: Path) -> None:
    """Rejected and failed documents get their record in ``_rejected/`` or ``_failed/``."""
    for work in works:
        if work.rejected is not None:
            written = write_rejected(work.rejected, output_dir)
            work.outputs = [dataclasses.replace(written, name=f"_rejected/{written.name}")]
        elif work.failed is not None:
            write_failed(work.failed, output_dir)


def outcome(work: Work) -> str:
    """What the manifest remembers: failed translations and documents waiting for the model are
    done again by the next run."""
    if work.waiting is not None:
        return "waiting"
    if work.document is not None:
        return "failed" if work.document.translation.status == "failed" else "ok"
    return "rejected" if work.rejected else "failed"


def manifest_entry(work: Work) -> Entry:
    found = work.ingested or work.rejected
    sha = found.source.sha256 if found is not None and found.source is not None else ""
    return Entry(work.path, sha or "", outcome(work), work.id, work.outputs)


def commit_chunk(works: list[Work], manifest_path: Path, version: str) -> None:
    """Record a chunk's documents in the manifest as soon as they are written (one transaction),
    so that a run killed later resumes after them; report.html has yet to show them."""
    manifest = Manifest(manifest_path, check=False)  # the flow checked it when the run began
    try:
        manifest.record([manifest_entry(w) for w in works], version, report=True)
    finally:
        manifest.close()


def work_from_disk(path: str, doc_id: str, output_dir: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Work | None:
    """A document an earlier run wrote, as a :class:`Work` for the report: the stored JSON (or
    set-aside record) and the raw lines read again. None when nothing is stored any more."""
    work = Work(path=path, id=doc_id)
    document = stored_document(output_dir, doc_id)
    if document is not None:
        work.document = document
        try:
            found = ingest_file(Path(path), max_bytes)
            work.ingested = found if isinstance(found, Ingested) else None
        except Exception:  # noqa: BLE001 - the report shows the document without its raw lines
            pass
        return work
    for folder, model, attr in (("_rejected", Rejected, "rejected"), ("_failed", Failed, "failed")):
        try:
            setattr(work, attr, model.model_validate_json((output_dir / folder / f"{doc_id}.json").read_bytes()))
            return work
        except (OSError, ValueError):
            continue
    return None


def process_chunk(paths: list[str], output_dir: Path, translator: Translator | None,
                  max_bytes: int = DEFAULT_MAX_BYTES, allow_downgrade: bool = False) -> list[Work]:
    """All five stages over a chunk, without Prefect (tests, benchmarks, library users)."""
    works = new_works(paths)
    learn_templates(paths, output_dir / TEMPLATES_FILE, max_bytes)
    run_stage(works, "ingest", ingest_step(max_bytes))
    strip_stage(works, output_dir / TEMPLATES_FILE)
    run_stage(works, "repair", repair_step)
    run_stage(works, "translate", translate_step(translator))
    write_stage(works, output_dir, allow_downgrade)
    write_setaside(works, output_dir)
    return works
