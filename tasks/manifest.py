"""The run manifest: which inputs are already processed, so a run handles only new or changed ones.

``output/_manifest.sqlite`` keeps, per input path (``tasks.ingest.path_key``: any file name): size, mtime, sha256, the pipeline version (a
hash of the code and data that shape the output plus the translation model id) and the outcome.
An input is skipped when its size and mtime are unchanged (not even read) or, after a touch, when
its content hash is; a different pipeline version, a failed earlier run or ``force`` reprocesses it.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from tasks.ingest import path_key
from tasks.write import open_sqlite

SCHEMA = """CREATE TABLE IF NOT EXISTS inputs (
    path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, sha256 TEXT,
    version TEXT, status TEXT, doc_id TEXT)"""


@dataclass
class Plan:
    todo: list[str] = field(default_factory=list)
    new: int = 0
    changed: int = 0
    retried: int = 0
    outdated: int = 0  # done by another pipeline version (code, data or model): done again
    skipped: list[str] = field(default_factory=list)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Manifest:
    def __init__(self, path: Path) -> None:
        self.db = open_sqlite(path, SCHEMA)  # unreadable: set aside, and every input is new again

    def close(self) -> None:
        self.db.close()

    def plan(self, paths: list[str], version: str, force: bool = False) -> Plan:
        rows = {r[0]: r[1:] for r in self.db.execute(
            "SELECT path, size, mtime_ns, sha256, version, status FROM inputs")}
        plan = Plan()
        touched = []
        for p in paths:
            row = rows.get(path_key(p))
            if row is None:
                plan.new += 1
                plan.todo.append(p)
                continue
            size, mtime_ns, sha, done_version, status = row
            if force or done_version != version or status not in ("ok", "rejected"):
                plan.retried += status == "failed" and done_version == version and not force
                plan.outdated += not force and done_version != version
                plan.todo.append(p)
                continue
            try:
                st = os.stat(p)
            except OSError:
                plan.todo.append(p)  # vanished: the run records the rejection
                continue
            if (st.st_size, st.st_mtime_ns) == (size, mtime_ns):
                plan.skipped.append(p)
            elif st.st_size == size and file_sha256(Path(p)) == sha:
                plan.skipped.append(p)  # touched, same content
                touched.append((st.st_mtime_ns, path_key(p)))
            else:
                plan.changed += 1
                plan.todo.append(p)
        if touched:
            with self.db:
                self.db.executemany("UPDATE inputs SET mtime_ns = ? WHERE path = ?", touched)
        return plan

    def doc_ids(self, paths: list[str]) -> dict[str, str]:
        """The id each of ``paths`` was last written under (paths never recorded are left out)."""
        rows = dict(self.db.execute("SELECT path, doc_id FROM inputs"))
        return {p: rows[path_key(p)] for p in paths if path_key(p) in rows}

    def record(self, entries: list[tuple[str, str, str, str]], version: str) -> None:
        """(path, sha256, status, doc_id) for every input this run handled."""
        values = []
        for path, sha, status, doc_id in entries:
            try:
                st = os.stat(path)
                size, mtime = st.st_size, st.st_mtime_ns
            except OSError:
                size, mtime = -1, -1
            values.append((path_key(path), size, mtime, sha, version, status, doc_id))
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO inputs VALUES (?, ?, ?, ?, ?, ?, ?)", values)
