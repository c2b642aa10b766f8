"""Stage 5, write: the output contract, atomically (temp file in the same folder + rename)."""
from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import functools
import hashlib
import logging
import os
import secrets
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel

from vnclean.tasks.article import Article
from vnclean.tasks.models import Document, Failed, Rejected


class OutputUnwritable(RuntimeError):
    """The output folder is full or read-only. The run stops there (one line, nothing partial left:
    every file is replaced whole or not at all), and the next run with space finishes the work."""


# ENOSPC/EDQUOT: full; EROFS: read-only file system; EACCES/EPERM: a folder without write permission
_UNWRITABLE_ERRNO = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}
# SQLite's primary result codes: SQLITE_READONLY, SQLITE_FULL, SQLITE_CANTOPEN
_UNWRITABLE_SQLITE = {8, 13, 14}
_CORRUPT_SQLITE = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB


def unwritable(err: BaseException | None) -> OutputUnwritable | None:
    """``err`` (or an exception it was raised from) as an :class:`OutputUnwritable`, if it says the
    disk is full or the folder read-only; else None."""
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if isinstance(err, OutputUnwritable):
            return err
        if isinstance(err, OSError) and err.errno in _UNWRITABLE_ERRNO:
            where = f" ({err.filename})" if err.filename else ""
            return OutputUnwritable(f"cannot write{where}: {err.strerror or os.strerror(err.errno)}")
        if isinstance(err, sqlite3.Error) and (getattr(err, "sqlite_errorcode", -1) & 0xFF) in _UNWRITABLE_SQLITE:
            return OutputUnwritable(f"cannot write a database: {err}")
        err = err.__cause__ or err.__context__
    return None


def _write_temp(path: Path, payload: bytes, durable: bool = True) -> str:
    """``payload`` in a temp file beside ``path`` (flushed to disk unless ``durable`` is false: a
    :class:`StagedWrites` makes its files durable in one step); its name. Created with mode
    0666 less the umask (0644 by default), as any other file, not mkstemp's 0600: the renamed
    file keeps it, so a web server or a colleague can read the outputs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        tmp = str(path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, flags, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


@dataclass(frozen=True)
class Written:
    """One file as written: its name in the output folder, size, mtime and sha256 (what the
    manifest keeps to tell later whether it is still there, whole and unedited)."""

    name: str
    size: int
    mtime_ns: int
    sha256: str


def _replace(staged: list[tuple[str, Path, bytes]]) -> list[Written]:
    """Rename staged temp files over their targets, in order; what each became."""
    for _, path, _ in staged:  # what would stop a rename half-way: checked before the first one
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, "a folder stands where the file goes", str(path))
    written = []
    for tmp, path, payload in staged:
        os.replace(tmp, path)
        st = os.stat(path)
        written.append(Written(path.name, st.st_size, st.st_mtime_ns, hashlib.sha256(payload).hexdigest()))
    return written


def _discard(staged: list[tuple[str, Path, bytes]]) -> None:
    for tmp, _, _ in staged:
        Path(tmp).unlink(missing_ok=True)


def atomic_write_many(files: list[tuple[Path, str | bytes]]) -> list[Written]:
    """Write several files so that either all of them are replaced, in order, or none is: every temp
    file is written first (a full disk fails here, before any file is replaced), then renamed.
    A full or read-only disk raises :class:`OutputUnwritable`."""
    staged: list[tuple[str, Path, bytes]] = []
    try:
        for path, data in files:
            payload = data.encode("utf-8") if isinstance(data, str) else data
            staged.append((_write_temp(path, payload), path, payload))
        return _replace(staged)
    except BaseException as err:
        _discard(staged)
        stop = unwritable(err) if isinstance(err, Exception) else None
        if stop is not None:
            raise stop from err
        raise


@functools.cache
def _syncfs():
    """syncfs(2) from the C library (Linux), or None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None


def make_durable(temps: list[str]) -> None:
    """Every one of ``temps`` (files written, not yet flushed) on disk, in one step where the system
    allows: one syncfs(2) per file system on Linux — one journal commit for a whole chunk's files
    instead of one per file (3 ms each here), and a write-back error of any of them is raised —,
    else an fsync per file."""
    syncfs = _syncfs()
    if syncfs is None:
        for tmp in temps:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        return
    folders: dict[int, str] = {}
    for folder in {os.path.dirname(tmp) for tmp in temps}:
        folders.setdefault(os.stat(folder).st_dev, folder)
    for folder in folders.values():
        fd = os.open(folder, os.O_RDONLY)
        try:
            if syncfs(fd) != 0:
                code = ctypes.get_errno()
                raise OSError(code, os.strerror(code), folder)
        finally:
            os.close(fd)


def fsync_folders(folders: set[str]) -> None:
    """Make renames in ``folders`` durable (a folder's fsync; file systems that cannot: skipped)."""
    for folder in sorted(folders):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        except OSError as err:
            if err.errno not in (errno.EINVAL, errno.ENOTSUP):
                raise
        finally:
            os.close(fd)


class StagedWrites:
    """The files of many documents (a chunk's), replaced in one durable step instead of one fsync
    per file. :meth:`add` writes a group's temp files (a group that fails there fails alone; a full
    or read-only disk removes every temp file and raises :class:`OutputUnwritable`, so nothing of
    the chunk is replaced); :meth:`commit` puts them all on disk at once (:func:`make_durable`),
    only then renames each group's files in order, and makes the renames durable (one fsync per
    folder). Whenever a crash comes, each file is whole: the old one or the new one, never part of
    one, and nothing is renamed before every new file is on disk."""

    def __init__(self) -> None:
        self._groups: dict[str, list[tuple[str, Path, bytes]]] = {}

    def __contains__(self, key: str) -> bool:
        return key in self._groups

    def add(self, key: str, files: list[tuple[Path, str | bytes]]) -> None:
        staged: list[tuple[str, Path, bytes]] = []
        try:
            for path, data in files:
                payload = data.encode("utf-8") if isinstance(data, str) else data
                staged.append((_write_temp(path, payload, durable=False), path, payload))
        except BaseException as err:
            _discard(staged)
            stop = unwritable(err) if isinstance(err, Exception) else None
            if stop is not None:
                self.discard()
                raise stop from err
            raise
        self._groups[key] = staged

    def discard(self) -> None:
        """Remove every temp file not yet renamed."""
        for staged in self._groups.values():
            _discard(staged)
        self._groups.clear()

    def commit(self) -> dict[str, list[Written] | Exception]:
        """Per group: the files as written, or the error that stopped them (the group's files are
        then as they were, and its temp files removed). A full or read-only disk raises."""
        try:
            make_durable([tmp for staged in self._groups.values() for tmp, _, _ in staged])
        except BaseException as err:
            keys = list(self._groups)
            self.discard()
            stop = unwritable(err) if isinstance(err, Exception) else None
            if stop is not None:
                raise stop from err
            if not isinstance(err, Exception):
                raise
            return dict.fromkeys(keys, err)
        results: dict[str, list[Written] | Exception] = {}
        folders: set[str] = set()
        try:
            while self._groups:
                key = next(iter(self._groups))
                staged = self._groups.pop(key)
                try:
                    results[key] = _replace(staged)
                except Exception as err:  # noqa: BLE001 - this group's failure; the others go on
                    _discard(staged)
                    stop = unwritable(err)
                    if stop is not None:
                        raise stop from err
                    results[key] = err
                folders.update(str(path.parent) for _, path, _ in staged)
            fsync_folders(folders)
        except BaseException as err:
            self.discard()
            stop = unwritable(err) if isinstance(err, Exception) else None
            if stop is not None and stop is not err:
                raise stop from err
            raise
        return results


def atomic_write(path: Path, data: str | bytes) -> Written:
    """Write a file so that readers see either the old file, or the whole new one: never a part."""
    return atomic_write_many([(path, data)])[0]


def append_line(path: Path, line: str) -> None:
    """Append one line whole, or nothing: a full disk leaves the file as it was."""
    payload = line.encode("utf-8")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            size = os.fstat(fd).st_size
            try:
                done = 0
                while done < len(payload):
                    done += os.write(fd, payload[done:])
            except BaseException:
                os.ftruncate(fd, size)
                raise
        finally:
            os.close(fd)
    except OSError as err:
        stop = unwritable(err)
        if stop is not None:
            raise stop from err
        raise


def to_json(model: BaseModel) -> str:
    """Pretty JSON, UTF-8 as is (pydantic's serialiser: the same bytes as ``json.dumps(...,
    ensure_ascii=False, indent=2)``, several times faster)."""
    return model.model_dump_json(indent=2) + "\n"


@functools.lru_cache(maxsize=64)
def _resolved(folder: str) -> Path:
    return Path(folder).resolve()


def safe_child(output_dir: Path, *parts: str) -> Path:
    """A path inside ``output_dir``; anything that would escape it is a programming error."""
    path = output_dir.joinpath(*parts).resolve()
    if _resolved(str(output_dir)) not in path.parents:
        raise ValueError(f"refusing to write outside the output folder: {path}")
    return path


def _plain_text(article: Article, photo: str) -> str:
    """One block per field; an empty title or summary is left out, every paragraph and caption kept."""
    blocks = [f"[{photo}] {f.text}" if f.where == "captions" else f.text
              for f in article.fields() if f.text or f.where in ("paragraphs", "captions")]
    return "\n\n".join(blocks).rstrip() + "\n"


def vietnamese_text(doc: Document) -> str:
    return _plain_text(Article.of(doc), "Ảnh")


def english_text(doc: Document) -> str | None:
    tr = doc.translation
    if tr.status != "ok":
        return None
    return _plain_text(Article.of(tr), "Photo")


def document_files(doc: Document, output_dir: Path) -> list[tuple[Path, str | bytes]]:
    """The files of ``doc``: ``<id>.vi.txt``, ``<id>.en.txt`` when translated, and ``<id>.json``
    last (its presence means the document is complete). Raises when the JSON would not hold the
    contract."""
    document_json = to_json(doc)
    Document.model_validate_json(document_json)  # what is written holds the contract, or this raises
    targets: list[tuple[Path, str | bytes]] = [(safe_child(output_dir, f"{doc.id}.vi.txt"), vietnamese_text(doc))]
    en = english_text(doc)
    if en is not None:
        targets.append((safe_child(output_dir, f"{doc.id}.en.txt"), en))
    targets.append((safe_child(output_dir, f"{doc.id}.json"), document_json))
    return targets


def tidy_after_write(doc: Document, output_dir: Path) -> None:
    """Once ``doc`` is written: a stale rejection or failure record for the same id is removed, and a
    stale ``.en.txt`` too when this run could not translate."""
    if english_text(doc) is None:
        safe_child(output_dir, f"{doc.id}.en.txt").unlink(missing_ok=True)
    for stale in ("_rejected", "_failed"):
        safe_child(output_dir, stale, f"{doc.id}.json").unlink(missing_ok=True)


def write_document(doc: Document, output_dir: Path) -> list[Written]:
    """Write ``<id>.json``, ``<id>.vi.txt`` and, when translated, ``<id>.en.txt``: all of them or
    none (a full disk leaves the earlier version whole); then :func:`tidy_after_write`. (A chunk
    writes its documents together: :class:`StagedWrites`.)"""
    written = atomic_write_many(document_files(doc, output_dir))
    tidy_after_write(doc, output_dir)
    return written


def stored_document(output_dir: Path, doc_id: str) -> Document | None:
    """The document an earlier run wrote for ``doc_id``, or None (none, or not readable)."""
    try:
        return Document.model_validate_json(safe_child(output_dir, f"{doc_id}.json").read_bytes())
    except (OSError, ValueError):
        return None


def write_rejected(rejected: Rejected, output_dir: Path) -> Written:
    return atomic_write(safe_child(output_dir, "_rejected", f"{rejected.id}.json"), to_json(rejected))


def write_failed(failed: Failed, output_dir: Path) -> Written:
    return atomic_write(safe_child(output_dir, "_failed", f"{failed.id}.json"), to_json(failed))


class OutputLocked(RuntimeError):
    """Another run holds the output folder."""


@contextlib.contextmanager
def output_lock(output_dir: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold ``output_dir/.vnclean.lock`` for a run: two runs on one folder would interleave their
    writes and manifests. The lock dies with its process (no stale lock after a crash). Held by
    another run: wait up to ``wait`` seconds for it, then :class:`OutputLocked`."""
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / ".vnclean.lock"
    handle = open(path, "a+")
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() < deadline:
                time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
                continue
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise OutputLocked(f"{output_dir} is being written by another vnclean run ({holder}); "
                               + (f"waited {wait:g} s; " if wait else "")
                               + "wait for it to finish (--wait-for-lock SECONDS) or use another --output") from None
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


class DamagedDatabase(sqlite3.DatabaseError):
    """``PRAGMA quick_check`` found damaged pages."""


def is_damaged(err: BaseException) -> bool:
    """A database whose file is damaged (any page) or is not a database at all."""
    return isinstance(err, DamagedDatabase) or (
        isinstance(err, sqlite3.DatabaseError) and (getattr(err, "sqlite_errorcode", -1) & 0xFF) in _CORRUPT_SQLITE)


_OPEN_LOCK = threading.Lock()  # one thread at a time checks and sets a damaged file aside


def set_aside(path: Path, why: BaseException) -> Path:
    """Move a damaged database (with its -wal and -shm) beside itself as
    ``<name>.broken-<UTC timestamp>``, for a person to look at; returns the new name."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    aside = path.with_name(f"{path.name}.broken-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        part = Path(str(path) + suffix)
        if part.exists():
            part.replace(str(aside) + suffix)
    logging.getLogger("vnclean").warning("%s is damaged (%s): moved to %s, starting an empty one",
                                         path, why, aside.name)
    return aside


def open_sqlite(path: Path, *setup: str, check: bool = True) -> sqlite3.Connection:
    """Open (or create) a cache database in WAL mode and run ``setup`` statements. Manifests and
    translation memories are caches: one that is damaged on any page (``PRAGMA quick_check`` on
    open, unless ``check`` is false; "file is not a database", a copy cut short) is set aside
    (:func:`set_aside`) and started again, so it costs work, not the run. A full or read-only
    disk raises :class:`OutputUnwritable`."""

    def connect() -> sqlite3.Connection:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            if check:
                problems = [row[0] for row in db.execute("PRAGMA quick_check")]
                if problems != ["ok"]:
                    raise DamagedDatabase("quick_check: " + "; ".join(problems[:3]))
            for statement in setup:
                db.execute(statement)
        except BaseException:
            db.close()
            raise
        return db

    try:
        with _OPEN_LOCK:
            try:
                return connect()
            except sqlite3.DatabaseError as err:
                if not is_damaged(err):
                    raise
                set_aside(path, err)
                return connect()
    except (OSError, sqlite3.Error) as err:
        stop = unwritable(err)
        if stop is not None:
            raise stop from err
        raise


def checkpoint_sqlite(path: Path) -> None:
    """Fold a database's write-ahead log into the file and empty it (at the end of a run, so the log
    does not grow run after run); a busy or unwritable database is left as it is."""
    if not path.exists():
        return
    try:
        db = sqlite3.connect(str(path), timeout=5)
        try:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            db.close()
    except sqlite3.Error as err:
        logging.getLogger("vnclean").warning("could not checkpoint %s: %s", path, err)


def recover_damaged(err: sqlite3.Error, path: Path | None, db: sqlite3.Connection, *schema: str) -> sqlite3.Connection:
    """After ``err`` on ``db``: when it says the file at ``path`` is damaged, the file is set aside
    and a new, empty database is returned; a full or read-only disk raises OutputUnwritable;
    anything else is raised again."""
    if path is None or not is_damaged(err):
        stop = unwritable(err)
        if stop is not None:
            raise stop from err
        raise err
    db.close()
    set_aside(path, err)
    return open_sqlite(path, *schema)
