"""Stage 5, write: the output contract, atomically (temp file in the same folder + rename)."""
from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

from tasks.models import Document, Failed, Rejected


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write a file so that readers see either the old file, or the whole new one: never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def to_json(model: BaseModel) -> str:
    return json.dumps(model.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"


def safe_child(output_dir: Path, *parts: str) -> Path:
    """A path inside ``output_dir``; anything that would escape it is a programming error."""
    path = output_dir.joinpath(*parts).resolve()
    if output_dir.resolve() not in path.parents:
        raise ValueError(f"refusing to write outside the output folder: {path}")
    return path


def _plain_text(title: str | None, summary: str | None, paragraphs: list[str], captions: list[str],
                photo: str) -> str:
    blocks = [*([title] if title else []), *([summary] if summary else []), *paragraphs, *(f"[{photo}] {c}" for c in captions)]
    return "\n\n".join(blocks).rstrip() + "\n"


def vietnamese_text(doc: Document) -> str:
    return _plain_text(doc.title, doc.summary, doc.paragraphs, doc.captions, "Ảnh")


def english_text(doc: Document) -> str | None:
    tr = doc.translation
    if tr.status != "ok":
        return None
    return _plain_text(tr.title or "", tr.summary, tr.paragraphs, tr.captions, "Photo")


def write_document(doc: Document, output_dir: Path) -> list[Path]:
    """Write ``<id>.json``, ``<id>.vi.txt`` and, when translated, ``<id>.en.txt``.

    A stale rejection or failure record for the same id is removed, and a stale ``.en.txt``
    too when this run could not translate.
    """
    Document.model_validate(doc.model_dump())  # the contract holds, or this raises
    written = []
    targets = [(safe_child(output_dir, f"{doc.id}.vi.txt"), vietnamese_text(doc))]
    en = english_text(doc)
    en_path = safe_child(output_dir, f"{doc.id}.en.txt")
    if en is not None:
        targets.append((en_path, en))
    else:
        en_path.unlink(missing_ok=True)
    # the JSON last: its presence means the document is complete
    targets.append((safe_child(output_dir, f"{doc.id}.json"), to_json(doc)))
    for path, text in targets:
        atomic_write(path, text)
        written.append(path)
    for stale in ("_rejected", "_failed"):
        safe_child(output_dir, stale, f"{doc.id}.json").unlink(missing_ok=True)
    return written


def write_rejected(rejected: Rejected, output_dir: Path) -> Path:
    path = safe_child(output_dir, "_rejected", f"{rejected.id}.json")
    atomic_write(path, to_json(rejected))
    return path


def write_failed(failed: Failed, output_dir: Path) -> Path:
    path = safe_child(output_dir, "_failed", f"{failed.id}.json")
    atomic_write(path, to_json(failed))
    return path


class OutputLocked(RuntimeError):
    """Another run holds the output folder."""


@contextlib.contextmanager
def output_lock(output_dir: Path) -> Iterator[None]:
    """Hold ``output_dir/.vnclean.lock`` for a run: two runs on one folder would interleave their
    writes and manifests. The lock dies with its process (no stale lock after a crash)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / ".vnclean.lock"
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise OutputLocked(f"{output_dir} is being written by another vnclean run ({holder}); "
                           "wait for it to finish or use another --output") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}")
    handle.flush()
    try:
        remove_stale_temp_files(output_dir)
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def remove_stale_temp_files(output_dir: Path) -> int:
    """Temp files a killed run left behind (never a complete document: those are renamed)."""
    count = 0
    for folder in (output_dir, output_dir / "_rejected", output_dir / "_failed"):
        if folder.is_dir():
            for tmp in folder.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)
                count += 1
    return count


def open_sqlite(path: Path, *setup: str) -> sqlite3.Connection:
    """Open (or create) a cache database in WAL mode and run ``setup`` statements. Manifests and
    translation memories are caches: one that cannot be read ("file is not a database", a copy cut
    short) is moved aside as ``<name>.broken`` and started again, so it costs work, not the run."""
    path.parent.mkdir(parents=True, exist_ok=True)

    def connect() -> sqlite3.Connection:
        db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        for statement in setup:
            db.execute(statement)
        return db

    try:
        return connect()
    except sqlite3.DatabaseError as err:
        aside = path.with_name(path.name + ".broken")
        for suffix in ("", "-wal", "-shm"):
            part = Path(str(path) + suffix)
            if part.exists():
                part.replace(str(aside) + suffix)
        logging.getLogger("vnclean").warning("%s is unreadable (%s): moved to %s, starting an empty one",
                                             path, err, aside)
        return connect()
