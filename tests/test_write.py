"""Writing the contract: atomic files, no escape from the output folder, valid documents."""
from __future__ import annotations

import json

import pytest

from vnclean.tasks.models import Document, Rejected
from vnclean.tasks.pipeline import process_chunk
from vnclean.tasks.write import atomic_write, safe_child


def test_atomic_write_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "doc.json"
    atomic_write(target, "old")

    def broken_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr("os.fsync", broken_fsync)
    with pytest.raises(OSError):
        atomic_write(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["doc.json"]


def test_paths_outside_the_output_folder_are_refused(tmp_path):
    with pytest.raises(ValueError):
        safe_child(tmp_path, "..", "escape.json")
    assert safe_child(tmp_path, "_rejected", "a.json").parent.name == "_rejected"


def test_plain_pipeline_writes_contract_documents_and_setaside_records(seed_paths, tmp_path, argos_dir):
    (tmp_path / "in").mkdir()
    empty = tmp_path / "in" / "empty.txt"
    empty.write_bytes(b"")
    out = tmp_path / "out"
    works = process_chunk([str(p) for p in seed_paths] + [str(empty)], out, translator=None)
    assert [w.id for w in works if w.document] == [p.stem for p in seed_paths]
    for path in seed_paths:
        doc = Document.model_validate_json((out / f"{path.stem}.json").read_text(encoding="utf-8"))
        assert doc.translation.status == "missing-model"
        assert doc.source.sha256
        assert (out / f"{path.stem}.vi.txt").read_text(encoding="utf-8").startswith(doc.title)
        assert not (out / f"{path.stem}.en.txt").exists()
    rejected = Rejected.model_validate(json.loads((out / "_rejected" / "empty.json").read_text()))
    assert rejected.reason == "empty"


def test_a_crash_in_one_document_does_not_stop_the_chunk(seed_paths, tmp_path, monkeypatch, argos_dir):
    import vnclean.tasks.pipeline as pipeline

    real = pipeline.repair_document

    def flaky(title, *args, **kwargs):
        if title.startswith("Hội nghị Đối thoại"):
            raise RuntimeError("boom")
        return real(title, *args, **kwargs)

    monkeypatch.setattr(pipeline, "repair_document", flaky)
    works = process_chunk([str(p) for p in seed_paths], tmp_path, translator=None)
    failed = [w for w in works if w.set_aside]
    assert [(w.id, w.set_aside.stage, w.set_aside.reason) for w in failed] == [(seed_paths[0].stem, "repair", "failed")]
    assert "boom" in json.loads((tmp_path / "_failed" / f"{seed_paths[0].stem}.json").read_text())["error"]
    assert sum(1 for w in works if w.document) == len(seed_paths) - 1


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_output_files_get_their_mode_from_the_umask(seed_paths, tmp_path, argos_dir, umask):
    import os
    import stat

    from vnclean.tasks.write import append_line

    previous = os.umask(umask)
    try:
        process_chunk(seed_paths[:1] + [str(tmp_path / "missing.txt")], tmp_path / "out", translator=None)
        append_line(tmp_path / "out" / "_runs.jsonl", "{}\n")
    finally:
        os.umask(previous)
    files = [p for p in (tmp_path / "out").rglob("*") if p.is_file() and not p.name.startswith("_templates")]
    assert {p.name for p in files} >= {f"{seed_paths[0].stem}.json", f"{seed_paths[0].stem}.vi.txt",
                                       "missing.json", "_runs.jsonl"}  # a document, a set-aside record, a log
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in files} == {oct(0o666 & ~umask)}  # before: 0o600


def test_a_document_whose_json_cannot_be_written_keeps_every_earlier_file(seed_paths, tmp_path, argos_dir):
    """A folder standing where the JSON goes: the write fails before any file is replaced, so the
    document's earlier .vi.txt stays as it was (all of a document's files, or none)."""
    from vnclean.tasks.pipeline import process_chunk

    out = tmp_path / "out"
    (work,) = process_chunk([str(seed_paths[0])], out, None)
    vi = out / f"{work.id}.vi.txt"
    before = vi.read_bytes()
    vi.write_bytes(b"the earlier version\n")
    (out / f"{work.id}.json").unlink()
    (out / f"{work.id}.json").mkdir()
    (again,) = process_chunk([str(seed_paths[0])], out, None)
    assert again.set_aside is not None
    assert again.set_aside.stage == "write"
    assert vi.read_bytes() == b"the earlier version\n" != before
    assert not list(out.glob(".*.tmp"))


def test_a_chunk_is_made_durable_in_one_step_before_any_file_is_replaced(seed_paths, tmp_path, argos_dir,
                                                                          monkeypatch):
    """Issue 17: a chunk's documents cost one sync, not an fsync per file (3 ms each here); and no
    output is renamed into place before every new file of the chunk is on disk."""
    import os

    import vnclean.tasks.write as write

    out = tmp_path / "out"
    syncs, fsynced = [], []
    real_durable, real_fsync = write.make_durable, os.fsync

    def durable(temps):
        syncs.append(sorted(p.name for p in out.iterdir() if not p.name.startswith((".", "_"))))
        assert len(temps) == 2 * len(seed_paths)
        assert all(t.endswith(".tmp") for t in temps)
        real_durable(temps)

    def fsync(fd):
        fsynced.append(os.readlink(f"/proc/self/fd/{fd}") if os.path.exists("/proc/self/fd") else fd)
        real_fsync(fd)

    monkeypatch.setattr(write, "make_durable", durable)
    monkeypatch.setattr(os, "fsync", fsync)
    works = process_chunk([str(p) for p in seed_paths], out, translator=None)
    assert all(w.document is not None and len(w.outputs) == 2 for w in works)
    assert syncs == [[]]  # one durable step for the five documents, while none of their files was in place
    assert not [f for f in fsynced if str(f).endswith((".json", ".txt", ".tmp"))]  # no document file fsynced
    assert sorted(p.name for p in out.glob("0*")) == sorted(f"{p.stem}{s}" for p in seed_paths
                                                            for s in (".json", ".vi.txt"))


@pytest.mark.parametrize("code", ["EIO", "ENOSPC"])
def test_a_chunk_whose_durable_step_fails_keeps_every_earlier_document(seed_paths, tmp_path, argos_dir, monkeypatch,
                                                                       code):
    """An I/O error while the chunk's files go to disk fails the chunk's documents (recorded as failed,
    done again by the next run); a full disk stops the run. Either way every earlier file stays as it
    was and no temp file is left."""
    import errno
    import os

    import vnclean.tasks.write as write
    from vnclean.tasks.write import OutputUnwritable

    out = tmp_path / "out"
    paths = [str(p) for p in seed_paths]
    process_chunk(paths, out, translator=None)
    before = {p.name: p.read_bytes() for p in out.glob("0*")}
    for name in before:  # an earlier version of every file, to be kept
        (out / name).write_bytes(before[name] + b" ")

    def durable(temps):
        raise OSError(getattr(errno, code), os.strerror(getattr(errno, code)), temps[0])

    monkeypatch.setattr(write, "make_durable", durable)
    if code == "ENOSPC":
        with pytest.raises(OutputUnwritable, match="No space left"):
            process_chunk(paths, out, translator=None)
    else:
        works = process_chunk(paths, out, translator=None)
        assert [(w.set_aside.stage, "Input/output error" in w.set_aside.detail) for w in works] == [("write", True)] * 5
        assert all(w.document is None and not w.outputs for w in works)
    assert {p.name: p.read_bytes() for p in out.glob("0*")} == {k: v + b" " for k, v in before.items()}
    assert not list(out.rglob(".*.tmp"))


def test_a_document_that_cannot_be_put_in_place_fails_alone(seed_paths, tmp_path, argos_dir):
    """A folder where one document's JSON goes: that document fails (its other files untouched),
    the rest of its chunk is written."""
    out = tmp_path / "out"
    blocked = seed_paths[2].stem
    (out / f"{blocked}.json").mkdir(parents=True)
    works = process_chunk([str(p) for p in seed_paths], out, translator=None)
    assert [w.id for w in works if w.set_aside] == [blocked]
    assert works[2].set_aside.stage == "write"
    assert not (out / f"{blocked}.vi.txt").exists()
    assert not list(out.glob(".*.tmp"))
    assert sum((out / f"{p.stem}.json").is_file() for p in seed_paths) == 4
    assert (out / "_failed" / f"{blocked}.json").is_file()
