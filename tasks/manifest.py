"""The run manifest: which inputs are already processed, so a run handles only new or changed ones.

``output/_manifest.sqlite`` keeps, per input path (``vnclean.tasks.ingest.path_key``: any file name):
size, mtime, sha256, the pipeline version (a hash of the code and data that shape the output plus
the translation model id), the outcome, and every output file written for it (name, size, mtime,
sha256). An input is skipped when its size and
mtime are unchanged (not even read) or, after a touch, when its content hash is, and its outputs
are all still there as written (a stat each; a hash only when an output's mtime moved); a different
pipeline version, a failed earlier run, a missing, cut-short or edited output or ``force``
reprocesses it; when only the model part of the version differs (and the input and outputs are
unchanged), the plan lists it in ``retranslate``: its stored Vietnamese is kept, only the
translation is made again. The flow records each chunk as soon as its documents are written, so a run that
is killed resumes where it stopped. A damaged manifest (any page) is set aside and started again.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from vnclean.tasks.ingest import path_key
from vnclean.tasks.write import Written, open_sqlite, recover_damaged

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS inputs (
    path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, sha256 TEXT,
    version TEXT, status TEXT, doc_id TEXT)""",
    # what was written for each input, to tell later that it is still there, whole and unedited
    """CREATE TABLE IF NOT EXISTS outputs (
    path TEXT, name TEXT, size INTEGER, mtime_ns INTEGER, sha256 TEXT, PRIMARY KEY (path, name))""",
    # inputs whose documents report.html does not show yet (cleared when the report is written)
    "CREATE TABLE IF NOT EXISTS report_pending (path TEXT PRIMARY KEY, doc_id TEXT)",
)
DONE = ("ok", "rejected")  # outcomes that are not retried
RETRANSLATABLE = ("ok", "waiting")  # outcomes with a stored document whose Vietnamese can be kept


def code_of(version: str) -> str:
    """The code part of a version key ``<code hash>+<model id>`` (vnclean.tasks.pipeline.version_key)."""
    return version.split("+", 1)[0]
T = TypeVar("T")


@dataclass
class Plan:
    todo: list[str] = field(default_factory=list)
    new: int = 0
    changed: int = 0
    retried: int = 0
    outdated: int = 0  # done by another pipeline version (code, data or model): done again
    damaged: int = 0  # an output missing, cut short or edited since it was written: done again
    forced: int = 0  # done already by this pipeline version, done again because of ``force``
    skipped: list[str] = field(default_factory=list)
    # of ``todo``: documents whose only difference is the translation model (same code, same input,
    # outputs intact): their stored Vietnamese is kept and only the translation is made again
    retranslate: list[str] = field(default_factory=list)


@dataclass
class Entry:
    """What the manifest records of one input a run handled."""

    path: str
    sha256: str
    status: str  # ok | rejected | failed | waiting (stored English kept, waiting for the model)
    doc_id: str
    outputs: Sequence[Written] = ()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Manifest:
    def __init__(self, path: Path, check: bool = True) -> None:
        """``check``: run ``PRAGMA quick_check`` on open (the flow does; a chunk's writer, opening
        it again mid-run, does not). Damage found then, or on the first error, sets it aside."""
        self.path = path
        self.out = path.parent
        self.db = open_sqlite(path, *SCHEMA, check=check)

    def close(self) -> None:
        self.db.close()

    def _guard(self, action: Callable[[], T]) -> T:
        """``action``, once more on an empty manifest if this one turns out to be damaged."""
        try:
            return action()
        except sqlite3.Error as err:
            self.db = recover_damaged(err, self.path, self.db, *SCHEMA)
            return action()

    def plan(self, paths: list[str], version: str, force: bool = False) -> Plan:
        return self._guard(lambda: self._plan(paths, version, force))

    def _plan(self, paths: list[str], version: str, force: bool) -> Plan:
        rows = {r[0]: r[1:] for r in self.db.execute(
            "SELECT path, size, mtime_ns, sha256, version, status, doc_id FROM inputs")}
        outputs: dict[str, list[tuple]] = {}
        for path, *written in self.db.execute("SELECT path, name, size, mtime_ns, sha256 FROM outputs"):
            outputs.setdefault(path, []).append(tuple(written))
        plan = Plan()
        touched: list[tuple[int, str]] = []  # (mtime_ns, path) of inputs touched, same content
        retouched: list[tuple[int, str, str]] = []  # (mtime_ns, path, name) of outputs touched
        for p in paths:
            key = path_key(p)
            row = rows.get(key)
            if row is None:
                plan.new += 1
                plan.todo.append(p)
                continue
            size, mtime_ns, sha, done_version, status, doc_id = row
            if force or done_version != version or status not in DONE:
                if (not force and status in RETRANSLATABLE and code_of(done_version) == code_of(version)
                        and self._unchanged(p, size, mtime_ns, sha, key, touched)
                        and self._outputs_intact(key, status, doc_id, outputs.get(key), retouched)):
                    plan.retranslate.append(p)  # only the model differs: translate again, keep the Vietnamese
                plan.retried += status not in DONE and done_version == version and not force
                plan.outdated += not force and done_version != version
                plan.forced += force
                plan.todo.append(p)
                continue
            try:
                st = os.stat(p)
            except OSError:
                plan.todo.append(p)  # vanished: the run records the rejection
                continue
            if (st.st_size, st.st_mtime_ns) == (size, mtime_ns):
                pass
            elif st.st_size == size and file_sha256(Path(p)) == sha:
                touched.append((st.st_mtime_ns, key))  # touched, same content
            else:
                plan.changed += 1
                plan.todo.append(p)
                continue
            intact = self._outputs_intact(key, status, doc_id, outputs.get(key), retouched)
            if intact:
                plan.skipped.append(p)
            else:
                plan.damaged += 1
                plan.todo.append(p)
        if touched or retouched:
            with self.db:
                self.db.executemany("UPDATE inputs SET mtime_ns = ? WHERE path = ?", touched)
                self.db.executemany("UPDATE outputs SET mtime_ns = ? WHERE path = ? AND name = ?", retouched)
        return plan

    @staticmethod
    def _unchanged(p: str, size: int, mtime_ns: int, sha: str, key: str, touched: list[tuple]) -> bool:
        """The input at ``p`` still has the recorded content (same size and mtime, or same hash)."""
        try:
            st = os.stat(p)
        except OSError:
            return False
        if (st.st_size, st.st_mtime_ns) == (size, mtime_ns):
            return True
        if st.st_size == size and file_sha256(Path(p)) == sha:
            touched.append((st.st_mtime_ns, key))
            return True
        return False

    def doc_ids(self, paths: list[str]) -> dict[str, str]:
        """The id each of ``paths`` was last written under (paths never recorded are left out)."""
        rows = dict(self._guard(lambda: self.db.execute("SELECT path, doc_id FROM inputs").fetchall()))
        return {p: rows[path_key(p)] for p in paths if path_key(p) in rows}

    def _outputs_intact(self, path: str, status: str, doc_id: str, written: list[tuple] | None,
                        retouched: list[tuple]) -> bool:
        """Every output recorded for ``path`` is on disk as it was written: same size, and same
        mtime or else same sha256. A row from before outputs were recorded: its main file exists."""
        if not written:
            main = f"_rejected/{doc_id}.json" if status == "rejected" else f"{doc_id}.json"
            return (self.out / main).is_file()
        for name, size, mtime_ns, sha in written:
            target = self.out / name
            try:
                st = os.stat(target)
            except OSError:
                return False
            if st.st_size != size:
                return False
            if st.st_mtime_ns != mtime_ns:
                if file_sha256(target) != sha:
                    return False
                retouched.append((st.st_mtime_ns, path, name))
        return True

    def record(self, entries: Iterable[Entry | tuple], version: str, report: bool = False) -> None:
        """Remember every input a run (or one chunk of it) handled, in one transaction; with
        ``report``, also that report.html does not show them yet. An entry is an :class:`Entry`
        or a tuple (path, sha256, status, doc_id[, outputs])."""
        items = [e if isinstance(e, Entry) else Entry(*e) for e in entries]
        values, files = [], []
        for e in items:
            try:
                st = os.stat(e.path)
                size, mtime = st.st_size, st.st_mtime_ns
            except OSError:
                size, mtime = -1, -1
            key = path_key(e.path)
            values.append((key, size, mtime, e.sha256, version, e.status, e.doc_id))
            files += [(key, w.name, w.size, w.mtime_ns, w.sha256) for w in e.outputs]

        def write() -> None:
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO inputs VALUES (?, ?, ?, ?, ?, ?, ?)", values)
                self.db.executemany("DELETE FROM outputs WHERE path = ?", [(path_key(e.path),) for e in items])
                self.db.executemany("INSERT OR REPLACE INTO outputs VALUES (?, ?, ?, ?, ?)", files)
                if report:
                    self.db.executemany("INSERT OR REPLACE INTO report_pending VALUES (?, ?)",
                                        [(path_key(e.path), e.doc_id) for e in items])
        self._guard(write)

    def report_pending(self) -> list[tuple[str, str]]:
        """(path, doc_id) of the documents written since report.html was last written."""
        rows = self._guard(lambda: self.db.execute("SELECT path, doc_id FROM report_pending ORDER BY path").fetchall())
        return [(path_of_key(key), doc_id) for key, doc_id in rows]

    def report_written(self, paths: Iterable[str]) -> None:
        keys = [(path_key(p),) for p in paths]

        def write() -> None:
            with self.db:
                self.db.executemany("DELETE FROM report_pending WHERE path = ?", keys)
        self._guard(write)


def path_of_key(key: str) -> str:
    """The path a :func:`vnclean.tasks.ingest.path_key` stands for."""
    return os.fsdecode(bytes.fromhex(key[1:])) if key.startswith("\0") else key
