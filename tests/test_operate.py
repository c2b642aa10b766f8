"""Incremental runs, the output lock, and what a killed run leaves behind."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vnclean.tasks.manifest import Manifest, file_sha256
from vnclean.tasks.models import Document
from vnclean.tasks.write import OutputLocked, atomic_write, output_lock

ROOT = Path(__file__).resolve().parents[1]


def record_done(manifest: Manifest, files: list, version: str) -> None:
    """Record ``files`` as done, each with an output file written (the manifest checks it is there)."""
    entries = []
    for f in map(Path, files):
        written = atomic_write(manifest.out / f"{f.stem}.json", f'{{"id": "{f.stem}"}}\n')
        entries.append((str(f), file_sha256(f), "ok", f.stem, [written]))
    manifest.record(entries, version)


def test_manifest_plans_new_changed_touched_failed_and_forced(tmp_path):
    a, b, c = (tmp_path / n for n in ("a.txt", "b.txt", "c.txt"))
    for f in (a, b, c):
        f.write_text(f"nội dung {f.name}", encoding="utf-8")
    m = Manifest(tmp_path / "out" / "_manifest.sqlite")
    files = [str(a), str(b), str(c)]
    first = m.plan(files, "v1")
    assert first.new == 3
    assert first.todo == files
    record_done(m, [a, b], "v1")
    m.record([(str(c), file_sha256(c), "failed", "c")], "v1")
    os.utime(a, ns=(1, 1))  # touched, same content: skipped after one hash
    b.write_text("nội dung mới", encoding="utf-8")
    second = m.plan(files, "v1")
    assert second.skipped == [str(a)]
    assert second.todo == [str(b), str(c)]
    assert (second.changed, second.retried) == (1, 1)
    outdated = m.plan(files, "v2")  # new pipeline version: everything again
    assert outdated.todo == files
    assert (outdated.outdated, outdated.changed) == (3, 0)
    forced = m.plan(files, "v1", force=True)
    assert forced.todo == files
    assert (forced.forced, forced.new, forced.outdated) == (3, 0, 0)


def test_an_unreadable_manifest_is_set_aside_and_every_input_is_new(tmp_path):
    a = tmp_path / "a.txt"
    a.write_text("nội dung", encoding="utf-8")
    path = tmp_path / "out" / "_manifest.sqlite"
    path.parent.mkdir()
    path.write_bytes(b"cut short " * 50)
    plan = Manifest(path).plan([str(a)], "v1")
    assert plan.new == 1
    assert plan.todo == [str(a)]
    (aside,) = (tmp_path / "out").glob("_manifest.sqlite.broken-*")  # timestamped, beside it
    assert aside.read_bytes().startswith(b"cut short")


def test_two_runs_cannot_share_an_output_folder(tmp_path):
    with output_lock(tmp_path):
        with pytest.raises(OutputLocked, match="another vnclean run"):
            with output_lock(tmp_path):
                pass
    with output_lock(tmp_path):  # released
        pass


KILLABLE = """
import sys
from pathlib import Path
from vnclean.tasks.pipeline import process_chunk
from vnclean.tasks.write import output_lock
paths = sorted(str(p) for p in Path(sys.argv[1]).glob("*.txt"))
out = Path(sys.argv[2])
with output_lock(out):
    for i in range(0, len(paths), 5):
        process_chunk(paths[i:i + 5], out, translator=None)
        print(i, flush=True)
"""


def test_a_killed_run_leaves_only_complete_documents(tmp_path, seed_paths, argos_dir):
    inp, out = tmp_path / "in", tmp_path / "out"
    inp.mkdir()
    for k in range(60):
        for p in seed_paths:
            shutil.copy(p, inp / f"{k:03d}_{p.name}")
    proc = subprocess.Popen([sys.executable, "-c", KILLABLE, str(inp), str(out)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.readline()  # at least one chunk written: the kill lands mid-batch
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    written = sorted(out.glob("*.json"))
    assert 0 < len(written) < 300
    for path in written:  # complete and valid, or absent
        Document.model_validate(json.loads(path.read_text(encoding="utf-8")))
    with output_lock(out):  # the lock died with the process; stale temp files are cleared
        assert not list(out.glob(".*.tmp"))


def test_cli_does_not_start_prefect_when_nothing_is_new(input_copy, tmp_path, argos_dir, monkeypatch):
    from typer.testing import CliRunner

    from vnclean.tasks.pipeline import code_version
    from vnclean.cli import app

    out = tmp_path / "out"
    files = sorted(str(p) for p in input_copy.glob("*.txt"))
    manifest = Manifest(out / "_manifest.sqlite")
    record_done(manifest, files, f"{code_version()}+no-model")
    manifest.close()
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setitem(sys.modules, "vnclean.flows.pipeline", None)  # importing the flow would fail the test
    result = CliRunner().invoke(app, ["run", "-i", str(input_copy), "-o", str(out)])
    assert result.exit_code == 0
    assert "Nothing new: all 5 inputs" in result.output


def test_cli_on_an_empty_folder_or_a_file(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from vnclean.cli import app

    monkeypatch.setitem(sys.modules, "vnclean.flows.pipeline", None)  # Prefect must not be started
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "notes.docx").write_text("not a scrape", encoding="utf-8")
    result = CliRunner().invoke(app, ["run", "-i", str(tmp_path / "in"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0
    assert "No scrapes in" in " ".join(result.output.split())
    result = CliRunner().invoke(app, ["run", "-i", str(tmp_path / "in" / "notes.docx"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "is not a folder" in " ".join(result.output.split())  # rich wraps lines


def test_dry_run_says_what_a_run_would_do_and_writes_nothing(input_copy, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from vnclean.tasks.pipeline import code_version
    from vnclean.cli import app

    monkeypatch.setitem(sys.modules, "vnclean.flows.pipeline", None)  # Prefect must not be started
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", "-i", str(input_copy), "-o", str(out), "--dry-run"])
    assert result.exit_code == 0
    assert "5 new" in result.output
    assert "would process 5" in result.output
    assert not out.exists()
    files = sorted(input_copy.glob("*.txt"))
    manifest = Manifest(out / "_manifest.sqlite")
    record_done(manifest, files[:3], f"{code_version()}+no-model")
    record_done(manifest, files[3:], "an-older-version")
    manifest.close()
    result = CliRunner().invoke(app, ["run", "-i", str(input_copy), "-o", str(out), "--dry-run"])
    said = " ".join(result.output.split())
    assert "0 new, 0 changed, 2 done by another pipeline version or model" in said
    assert "3 unchanged" in said
    assert "would process 2" in said
    assert files[3].name in said
    assert files[0].name not in said


def setup_error(monkeypatch, *args: str):
    """``vnclean run`` with ``args``; the flow module may not be imported (Prefect must not start)."""
    from typer.testing import CliRunner

    from vnclean.cli import app

    monkeypatch.setitem(sys.modules, "vnclean.flows.pipeline", None)
    return CliRunner().invoke(app, ["run", *args])


def test_set_up_errors_are_one_line_and_exit_2_before_prefect_starts(input_copy, tmp_path, monkeypatch):
    # before: each started Prefect first (38-45 s), a traceback of up to 182 lines, exit 1 (lock: 2)
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    cases = {
        ("-o", str(tmp_path / "a-file")): f"vnclean: --output {tmp_path / 'a-file'} is a file, not a folder",
        ("-o", str(tmp_path / "out"), "--runner", "spark"): "vnclean: unknown --runner 'spark': threads or dask",
    }
    for args, said in cases.items():
        result = setup_error(monkeypatch, "-i", str(input_copy), *args)
        assert (result.exit_code, result.output.strip()) == (2, said)
    held = tmp_path / "held"
    with output_lock(held):  # another run writes there
        result = setup_error(monkeypatch, "-i", str(input_copy), "-o", str(held))
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert result.output.startswith(f"vnclean: {held} is being written by another vnclean run (pid {os.getpid()})")
    assert not (tmp_path / "out").exists()
    assert not list(held.glob("*.json"))


@pytest.mark.parametrize("command", ["run", "serve", "model"])
def test_help_is_whole_at_80_columns(command):
    """No option name or help text is cut short ("…") in an 80-column terminal."""
    said = subprocess.run([sys.executable, "-m", "vnclean.cli", command, "--help"], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "80"}, timeout=60)
    assert said.returncode == 0, said.stderr
    assert "--" in said.stdout
    assert "…" not in said.stdout


def test_a_run_can_wait_for_the_run_before_it(tmp_path):
    """--wait-for-lock: a run waits for the one holding the output folder to end, up to a limit."""
    import threading

    from vnclean.tasks.write import OutputLocked, output_lock

    released = threading.Event()

    def earlier_run() -> None:
        with output_lock(tmp_path):
            holding.set()
            released.wait(10)

    holding = threading.Event()
    thread = threading.Thread(target=earlier_run)
    thread.start()
    holding.wait(10)
    with pytest.raises(OutputLocked, match="waited 0.3 s"):
        with output_lock(tmp_path, wait=0.3):
            pass
    threading.Timer(0.5, released.set).start()
    with output_lock(tmp_path, wait=30):  # taken once the earlier run lets go
        assert not thread.is_alive() or released.is_set()
    thread.join()
