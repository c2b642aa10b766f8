"""Issue 16: no environment, crash or damaged file loses a document or wedges the pipeline.

Never downgrade (a run without the model keeps stored English), damaged SQLite files (a later
page) set aside and rebuilt, the manifest committed per chunk (a killed run resumes) and checked
against the disk, a full or read-only output folder stopping the run cleanly.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vnclean.tasks.manifest import Manifest, file_sha256
from vnclean.tasks.pipeline import manifest_entry, process_chunk
from vnclean.tasks.translate import TranslationMemory
from vnclean.tasks.write import OutputUnwritable, append_line, atomic_write_many

ROOT = Path(__file__).resolve().parent.parent
SUFFIXES = (".json", ".vi.txt", ".en.txt")


def cli(*args: str):
    from vnclean.cli import app

    return CliRunner().invoke(app, ["run", *args])


def outputs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())
            if p.name.endswith(SUFFIXES) and not p.name.startswith("_")}


def set_aside(folder: Path, name: str) -> list[Path]:
    """The damaged copies of database ``name`` set aside in ``folder`` (without their -wal/-shm)."""
    return [p for p in folder.glob(f"{name}.broken-2*") if not p.name.endswith(("-wal", "-shm"))]


def damage_a_later_page(path: Path, holding: bytes | None = None) -> list[int]:
    """Overwrite pages of a SQLite file past page 1 (the header stays intact): the pages that hold
    ``holding``, else one page two thirds of the way in. Returns the damaged page numbers (0-based)."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (page_size,) = db.execute("PRAGMA page_size").fetchone()
    db.close()
    data = path.read_bytes()
    pages = len(data) // page_size
    assert pages >= 4, f"{path.name} has only {pages} pages"
    if holding is None:
        victims = [pages * 2 // 3]
    else:
        victims = sorted({data.index(holding, k * page_size) // page_size
                          for k in range(pages) if holding in data[k * page_size:(k + 1) * page_size]})
    assert victims
    assert 0 not in victims
    with open(path, "r+b") as handle:
        for victim in victims:
            handle.seek(victim * page_size)
            handle.write(b"\xa5" * page_size)
    return victims


# ------------------------------------------------------------------------------------------------
# Item 1: never downgrade


@pytest.mark.slow  # runs the flow on the temporary Prefect API
def test_a_run_without_the_model_keeps_stored_english_and_waits(prefect_api, input_copy, tmp_path, tiny_model,
                                                                 monkeypatch):
    out = tmp_path / "output"
    assert cli("-i", str(input_copy), "-o", str(out)).exit_code == 0
    good = outputs(out)
    assert sum(name.endswith(".en.txt") for name in good) == 5
    # the translation memory's log was folded into the file when the run ended
    wal = out / "_cache" / "translation-memory.sqlite-wal"
    assert not wal.exists() or wal.stat().st_size == 0

    # a worker with another ARGOS_PACKAGES_DIR: no model, and --force
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "no-packages"))
    result = cli("-i", str(input_copy), "-o", str(out), "--force")
    said = " ".join(result.output.split())
    assert result.exit_code == 3, said
    assert "5 documents" in said
    assert "wait for the model" in said
    assert outputs(out) == good  # every .en.txt, .vi.txt and JSON untouched
    run = json.loads((out / "_run.json").read_text(encoding="utf-8"))
    assert {(r["status"], r["translation"]) for r in run["rows"]} == {("waiting", "missing-model")}
    manifest = Manifest(out / "_manifest.sqlite")
    assert {s for (s,) in manifest.db.execute("SELECT status FROM inputs")} == {"waiting"}
    manifest.close()

    # the model is back: the next run (no --force) finishes them
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tiny_model.path.parent))
    result = cli("-i", str(input_copy), "-o", str(out))
    assert result.exit_code == 0, result.output
    run = json.loads((out / "_run.json").read_text(encoding="utf-8"))
    assert [r["status"] for r in run["rows"]] == ["ok"] * 5
    assert run["outdated"] == 5
    assert outputs(out) == good

    # asked for (--allow-downgrade): written without English
    works = process_chunk(sorted(str(p) for p in input_copy.glob("*.txt")), out, translator=None,
                          allow_downgrade=True)
    assert [w.waiting for w in works] == [None] * 5
    assert not list(out.glob("*.en.txt"))
    assert {json.loads(p.read_text(encoding="utf-8"))["translation"]["status"]
            for p in out.glob("0*.json")} == {"missing-model"}


def test_a_changed_scrape_is_not_held_back_by_its_old_english(tiny_model, input_copy, tmp_path, monkeypatch):
    from vnclean.tasks.translate import get_translator

    out = tmp_path / "output"
    path = sorted(input_copy.glob("*.txt"))[0]
    (first,) = process_chunk([str(path)], out, get_translator(out / "_cache" / "translation-memory.sqlite"))
    assert first.document.translation.status == "ok"
    assert first.waiting is None
    path.write_text(path.read_text(encoding="utf-8") + "\nMột đoạn mới được thêm vào bài báo sau khi đăng.\n",
                    encoding="utf-8")
    (second,) = process_chunk([str(path)], out, translator=None)  # no model, the scrape changed
    assert second.waiting is None
    assert second.document.translation.status == "missing-model"
    assert not (out / f"{first.id}.en.txt").exists()  # English of the old text is not kept for the new
    (third,) = process_chunk([str(path)], out, translator=None)  # same scrape, nothing better stored
    assert third.waiting is None


def test_a_translation_memory_damaged_on_a_later_page_is_set_aside_and_rebuilt(input_copy, tmp_path, tiny_model):
    from vnclean.tasks.translate import _TRANSLATORS, get_translator

    out = tmp_path / "output"
    memory = out / "_cache" / "translation-memory.sqlite"
    paths = sorted(str(p) for p in input_copy.glob("*.txt"))
    first = process_chunk(paths, out, get_translator(memory))
    assert {w.document.translation.status for w in first} == {"ok"}
    good = outputs(out)
    damage_a_later_page(memory)
    _TRANSLATORS.clear()  # as in the next run's process: the memory is opened again
    translator = get_translator(memory)
    second = process_chunk(paths, out, translator)  # before: every translation failed, every run
    assert [(w.waiting, w.document.translation.status) for w in second] == [(None, "ok")] * 5
    assert translator.stats.hits < translator.stats.sentences  # a new memory, filled by the model
    assert outputs(out) == good  # the same English, nothing deleted
    (aside,) = set_aside(memory.parent, memory.name)  # timestamped, kept to look at
    assert aside.stat().st_size > 0
    _TRANSLATORS.clear()
    translator = get_translator(memory)
    process_chunk(paths, out, translator)
    assert translator.stats.misses == 0  # the rebuilt memory serves them all


def test_translation_memory_damaged_on_a_later_page_on_open(tmp_path):
    path = tmp_path / "translation-memory.sqlite"
    memory = TranslationMemory(path)
    sentences = {f"Câu thứ {i} nói về hợp tác giữa hai nước." * 3: ["▁Sentence", f"▁{i}"] for i in range(2000)}
    memory.put_many("m", sentences)
    memory.close()
    damage_a_later_page(path)
    db = sqlite3.connect(path)  # page 1 is intact: it opens, and lookups meet the damage (before: every run)
    with pytest.raises(sqlite3.DatabaseError, match="malformed"):
        keys = list(sentences)
        for i in range(0, len(keys), 500):
            db.execute(f"SELECT source, pieces FROM memory WHERE model = 'm' AND source IN "
                       f"({','.join('?' * len(keys[i:i + 500]))})", keys[i:i + 500]).fetchall()
            db.execute("SELECT group_concat(pieces) FROM memory").fetchall()
    db.close()
    memory = TranslationMemory(path)  # quick_check finds the page; the file goes aside
    assert memory.get_many("m", list(sentences)) == {}
    memory.put_many("m", {"Xin chào.": ["▁Hello", "."]})
    assert memory.get_many("m", ["Xin chào."]) == {"Xin chào.": ["▁Hello", "."]}
    assert len(set_aside(tmp_path, path.name)) == 1


# ------------------------------------------------------------------------------------------------
# Item 2: the manifest


def test_a_manifest_damaged_on_a_later_page_is_set_aside_on_open_or_on_first_error(tmp_path):
    inputs = []
    for i in range(600):
        f = tmp_path / "in" / f"bai-{i:04d}-{'x' * 60}.txt"
        f.parent.mkdir(exist_ok=True)
        f.write_text(f"Bài số {i}", encoding="utf-8")
        inputs.append(str(f))
    path = tmp_path / "out" / "_manifest.sqlite"
    for check in (True, False):  # the flow opens it with quick_check; a chunk's writer without
        manifest = Manifest(path)
        manifest.record([(p, file_sha256(Path(p)), "failed", Path(p).stem) for p in inputs], "v1")
        manifest.close()
        damage_a_later_page(path, holding=b"bai-0400-")  # the pages of one row, 2/3 of the way in
        manifest = Manifest(path, check=check)
        plan = manifest.plan(inputs, "v1")  # before: "database disk image is malformed", every run
        assert plan.new == 600
        assert plan.todo == inputs
        manifest.record([(inputs[0], file_sha256(Path(inputs[0])), "failed", "a")], "v1")
        assert manifest.db.execute("SELECT count(*) FROM inputs").fetchone() == (1,)
        manifest.close()
        path.unlink()
    assert len(set_aside(path.parent, path.name)) == 2


def test_the_plan_redoes_missing_cut_short_and_edited_outputs(input_copy, tmp_path, argos_dir):
    out = tmp_path / "output"
    paths = sorted(str(p) for p in input_copy.glob("*.txt"))
    works = process_chunk(paths, out, translator=None)
    manifest = Manifest(out / "_manifest.sqlite")
    manifest.record([manifest_entry(w) for w in works], "v1")
    assert manifest.plan(paths, "v1").skipped == paths
    ids = [w.id for w in works]
    (out / f"{ids[0]}.vi.txt").unlink()  # deleted
    json_1 = out / f"{ids[1]}.json"
    json_1.write_bytes(json_1.read_bytes()[:-40])  # cut short
    vi_2 = out / f"{ids[2]}.vi.txt"
    text = vi_2.read_text(encoding="utf-8")
    vi_2.write_text(text.replace("a", "o", 1), encoding="utf-8")  # edited, same size
    os.utime(vi_2, ns=(1, 1))
    en_3 = out / f"{ids[3]}.vi.txt"
    os.utime(en_3, ns=(2, 2))  # touched only: same bytes, skipped after one hash
    plan = manifest.plan(paths, "v1")
    assert plan.todo == paths[:3]
    assert plan.damaged == 3
    assert plan.skipped == paths[3:]
    assert manifest.plan(paths, "v1").skipped == paths[3:]  # the touch was remembered
    manifest.close()


CRASHING_RUN = """
import os, sys, threading
import vnclean.tasks.manifest

plan, record, lock, commits = vnclean.tasks.manifest.Manifest.plan, vnclean.tasks.manifest.Manifest.record, threading.Lock(), []

def plan_and_say(self, *args, **kwargs):
    found = plan(self, *args, **kwargs)
    os.write(1, f"to do {len(found.todo)}\\n".encode())  # print() is the flow's log
    return found

def record_then_die(self, entries, version, report=False):
    with lock:  # one chunk at a time, so the count is exact
        record(self, entries, version, report)
        commits.append(1)
        if len(commits) == int(sys.argv[3]):
            os._exit(9)  # as abrupt as SIGKILL: no cleanup, no report, nothing written at the end

vnclean.tasks.manifest.Manifest.plan, vnclean.tasks.manifest.Manifest.record = plan_and_say, record_then_die
from vnclean.flows.pipeline import process_scrapes
process_scrapes(input_dir=sys.argv[1], output_dir=sys.argv[2], chunk_size=4)
"""


def crash_after(chunks: int, inp: Path, out: Path) -> int:
    """Run the flow in a process that dies once ``chunks`` chunks are recorded; how many inputs it
    planned to do."""
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PYTHONPATH": str(ROOT), "PREFECT_API_URL": PREFECT_API_URL.value()}
    done = subprocess.run([sys.executable, "-c", CRASHING_RUN, str(inp), str(out), str(chunks)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 9, done.stderr[-2000:]
    return int(done.stdout.split("to do ")[1].split()[0])


@pytest.mark.slow  # runs the flow on the temporary Prefect API
def test_a_killed_run_resumes_after_the_chunks_it_recorded(prefect_api, seed_paths, tmp_path, argos_dir):
    inp, out = tmp_path / "in", tmp_path / "out"
    inp.mkdir()
    for k in range(4):
        for p in seed_paths:
            shutil.copy(p, inp / f"{k}_{p.name}")
    # 20 inputs in 5 chunks of 4: killed once the 2nd chunk is recorded
    assert crash_after(2, inp, out) == 20
    # the next run redoes only the 12 not recorded (before: all 20), and is killed in turn once it
    # has recorded them all, before its report
    assert crash_after(3, inp, out) == 12
    assert not (out / "report.html").exists()
    manifest = Manifest(out / "_manifest.sqlite")
    assert manifest.plan(sorted(map(str, inp.iterdir())), manifest.db.execute(
        "SELECT version FROM inputs").fetchone()[0]).todo == []
    manifest.close()
    # nothing is new, but the report is owed: the run makes it, with every document
    result = cli("-i", str(inp), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "Nothing new" not in result.output, result.output
    run = json.loads((out / "_run.json").read_text(encoding="utf-8"))
    assert (run["skipped"], run["rows"]) == (20, [])
    assert (out / "report.html").read_text(encoding="utf-8").count("<h2") == 20
    assert "Nothing new" in cli("-i", str(inp), "-o", str(out)).output  # and now nothing is owed


def test_make_clean_removes_the_manifest(tmp_path):
    out = tmp_path / "output"
    Manifest(out / "_manifest.sqlite").close()
    for name in ("_manifest.sqlite-wal", "_manifest.sqlite.broken-20250101T000000.0Z", "a.json", "README.md"):
        (out / name).write_text("x", encoding="utf-8")
    subprocess.run(["make", "-s", "-f", str(ROOT / "Makefile"), "-C", str(tmp_path), "clean"], check=True,
                   capture_output=True)
    assert sorted(p.name for p in out.iterdir()) == ["README.md"]


# ------------------------------------------------------------------------------------------------
# Item 4: a full or read-only output folder


@pytest.fixture
def small_tmpfs(tmp_path):
    """A tmpfs of 160 KB mounted at tmp_path/out (root only); skipped with the reason otherwise."""
    mount = tmp_path / "out"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root and mount(8)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", str(mount)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def remount(mount: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(mount)], check=True)


def assert_nothing_partial(out: Path) -> None:
    assert not list(out.rglob(".*.tmp"))
    for doc in out.glob("0*.json"):  # a document is whole: all its files, all valid
        body = json.loads(doc.read_text(encoding="utf-8"))
        stem = doc.name[:-len(".json")]
        assert (out / f"{stem}.vi.txt").read_text(encoding="utf-8").strip()
        assert (out / f"{stem}.en.txt").exists() == (body["translation"]["status"] == "ok")
    for line in (out / "_runs.jsonl").read_text(encoding="utf-8").splitlines() if (out / "_runs.jsonl").exists() else []:
        json.loads(line)


@pytest.mark.slow  # runs the flow on the temporary Prefect API
def test_a_full_disk_stops_the_run_cleanly_and_the_next_run_finishes(prefect_api, input_copy, small_tmpfs,
                                                                     tiny_model):
    out = small_tmpfs
    result = cli("-i", str(input_copy), "-o", str(out))
    said = result.output.strip()
    assert result.exit_code == 4, said  # before: a traceback from the translation memory's log
    assert "vnclean stopped: cannot write" in said
    assert "No space left" in said or "disk is full" in said
    assert "Traceback" not in said
    assert_nothing_partial(out)
    remount(out, "size=4m")
    result = cli("-i", str(input_copy), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert len(list(out.glob("0*.en.txt"))) == 5
    assert len(list(out.glob("0*.json"))) == 5
    assert (out / "report.html").read_text(encoding="utf-8").count("<h2") == 5  # the report included


@pytest.mark.slow  # runs the flow on the temporary Prefect API
def test_a_read_only_output_folder_stops_the_run_with_one_line(prefect_api, input_copy, small_tmpfs, argos_dir):
    out = small_tmpfs
    remount(out, "ro")
    result = cli("-i", str(input_copy), "-o", str(out))
    assert result.exit_code == 4, result.output
    assert "vnclean stopped: cannot write" in result.output, result.output
    assert "Read-only file system" in result.output
    assert "Traceback" not in result.output
    assert not list(out.iterdir())
    remount(out, "rw,size=4m")
    result = cli("-i", str(input_copy), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert len(list(out.glob("0*.json"))) == 5, result.output


def test_a_read_only_output_folder_is_found_before_prefect_starts(input_copy, small_tmpfs, monkeypatch):
    monkeypatch.setitem(sys.modules, "vnclean.flows.pipeline", None)  # importing the flow would fail the test
    remount(small_tmpfs, "ro")
    for out in (small_tmpfs, small_tmpfs / "new-folder"):
        result = cli("-i", str(input_copy), "-o", str(out))
        assert (result.exit_code, result.output.strip()) == (
            4, f"vnclean stopped: cannot write ({out}): Read-only file system.")


def test_writes_are_whole_or_absent_on_a_full_disk(small_tmpfs):
    out = small_tmpfs
    old = out / "doc.json"
    old.write_text('{"old": true}\n', encoding="utf-8")
    with pytest.raises(OutputUnwritable, match="No space left"):
        atomic_write_many([(out / "doc.vi.txt", "x" * 100_000), (out / "doc.en.txt", "y" * 100_000),
                           (old, '{"new": true}\n')])
    assert sorted(p.name for p in out.iterdir()) == ["doc.json"]
    assert old.read_text() == '{"old": true}\n'
    history = out / "_runs.jsonl"
    append_line(history, '{"run": 1}\n')
    with pytest.raises(OutputUnwritable):
        append_line(history, json.dumps({"run": 2, "pad": "z" * 400_000}) + "\n")
    assert history.read_text(encoding="utf-8") == '{"run": 1}\n'
