"""Large batches: chunks in flight are bounded, the flow holds counts not documents, and the run's
record and report keep within their caps while every document's row reaches _documents.jsonl.
The caps are lowered here so that a batch of 24 real scrapes shows what 100,000 would."""
from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture
def batch(tmp_path, seed_paths) -> Path:
    folder = tmp_path / "backlog"
    folder.mkdir()
    for copy in range(4):  # the five seeds and a set-aside file, four times over
        for seed in seed_paths:
            shutil.copy(seed, folder / f"{copy}-{seed.name}")
        (folder / f"{copy}-empty.txt").write_bytes(b"   \n")
    return folder


def test_chunks_in_flight_are_bounded_and_the_run_record_is_capped(prefect_api, batch, tmp_path, argos_dir,
                                                                   monkeypatch):
    import vnclean.flows.chunk as fc
    import vnclean.flows.pipeline as fp
    import vnclean.flows.run as fr
    import vnclean.tasks.runrecord as rr

    monkeypatch.setattr(fp, "IN_FLIGHT", 2)
    monkeypatch.setattr(rr, "ROWS_KEPT", 5)
    monkeypatch.setattr(fp, "REPORT_SECTIONS", 3)
    monkeypatch.setattr(fr, "REPORT_SECTIONS", 3)
    monkeypatch.setattr(rr, "REPORT_SECTIONS", 3)
    monkeypatch.setattr(fr, "INDEX_ROWS", 6)
    active, peak, lock = [0], [0], threading.Lock()
    real_ingest, real_part = fc.ingest_stage, fc.write_part

    def ingest_stage(items, max_bytes):  # a chunk starts
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        return real_ingest(items, max_bytes)

    def write_part(works, path, sections):  # ... and ends
        with lock:
            active[0] -= 1
        return real_part(works, path, sections)

    monkeypatch.setattr(fc, "ingest_stage", ingest_stage)  # a chunk's stages run in vnclean.flows.chunk
    monkeypatch.setattr(fc, "write_part", write_part)
    out = tmp_path / "output"
    summary = fp.process_scrapes(input_dir=str(batch), output_dir=str(out), chunk_size=3)

    assert peak[0] <= 2  # 8 chunks of 3, never more than two at once
    assert summary["counts"] == {"ok": 20, "rejected": 4}
    # more documents than ROWS_KEPT: the record keeps the rows that need attention only ...
    assert sorted(r["status"] for r in summary["rows"]) == ["rejected"] * 4
    # ... and _documents.jsonl has every document's row, once
    rows = [json.loads(line) for line in (out / "_documents.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(r["id"] for r in rows) == sorted(p.stem for p in batch.glob("*.txt"))
    report = (out / "report.html").read_text(encoding="utf-8")
    assert report.count("<h2 id=") <= 3
    assert report.count("<tr") <= 1 + 6
    assert "18 more documents are not listed here" in report
    assert not (out / "_parts").exists()
    assert len(list(out.glob("*.json"))) == 20 + 1  # the documents and _run.json
    record = json.loads((out / "_run.json").read_text(encoding="utf-8"))
    assert record["counts"] == summary["counts"]
    assert len(record["rows"]) == 4


def test_chunk_size_grows_with_the_batch():
    from vnclean.flows.pipeline import IN_FLIGHT, MAX_CHUNK, chunk_size_for

    assert chunk_size_for(20) == 1
    assert chunk_size_for(21) == 50
    assert chunk_size_for(100_000) == MAX_CHUNK
    sizes = [chunk_size_for(n) for n in (1_000, 10_000, 50_000, 100_000, 1_000_000)]
    assert sizes == sorted(sizes)
    assert 100_000 / chunk_size_for(100_000) >= IN_FLIGHT * 10  # enough chunks to keep every slot busy
    assert chunk_size_for(10, chunk_size=7) == 7


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM", "SIGKILL"])
def test_a_stopped_run_ends_at_once_and_leaves_no_api_server(sig, tmp_path, seed_paths):
    """Ctrl-C (SIGINT to the terminal's whole process group) and SIGTERM (systemd, docker stop)
    end a run within seconds with exit 130, its temporary Prefect API stopped; after SIGKILL too,
    nothing serves the API any more: it is served from the run's own process, not from a child
    that could outlive it."""
    import os
    import signal
    import subprocess
    import sys
    import time

    import psutil

    inp, out = tmp_path / "input", tmp_path / "output"
    inp.mkdir()
    for copy in range(40):
        for seed in seed_paths:
            shutil.copy(seed, inp / f"{copy}-{seed.name}")
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    run = subprocess.Popen([sys.executable, "-m", "vnclean.cli", "run", "-i", str(inp), "-o", str(out)], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    started = time.monotonic()
    while not any(out.glob("*.json")) and run.poll() is None and time.monotonic() - started < 180:
        time.sleep(0.2)
    assert run.poll() is None, run.stdout.read()
    children = [" ".join(c.cmdline()) for c in psutil.Process(run.pid).children(recursive=True)]
    assert not [c for c in children if "uvicorn" in c]  # no API server process of its own
    listening = [c.laddr.port for c in psutil.Process(run.pid).net_connections("tcp") if c.status == psutil.CONN_LISTEN]
    assert listening  # the temporary API, served by the run itself
    sent = time.monotonic()
    if sig == "SIGINT":
        os.killpg(run.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the run and every process it started
    else:
        run.send_signal(getattr(signal, sig))
    said = run.communicate(timeout=30)[0]
    assert time.monotonic() - sent < 10
    if sig != "SIGKILL":
        assert run.returncode == 130
        assert "vnclean interrupted" in said
        assert "Traceback" not in said
    still = [c for c in psutil.net_connections("tcp") if c.status == psutil.CONN_LISTEN and c.laddr.port in listening]
    assert not still


def test_worker_processes_run_chunks_without_importing_prefect(seed_paths, tmp_path, argos_dir):
    """Issue 17: a worker process of --processes runs its chunks with the stages only; importing
    Prefect (and the flow) cost each worker ~10 s of CPU and ~100 MB before its first document."""
    import vnclean.flows.pipeline as fp
    from vnclean.flows.chunk import run_chunk
    from vnclean.flows.run import version_key
    from vnclean.tasks.ingest import DEFAULT_MAX_BYTES, assign_ids

    paths = [str(p) for p in seed_paths]
    with fp._processes(2):
        result, lines = fp._POOL.submit(run_chunk, paths, assign_ids(paths), "all", str(tmp_path / "out"),
                                        DEFAULT_MAX_BYTES, version_key(None), False, True).result()
        loaded = fp._POOL.submit(eval, "sorted(__import__('sys').modules)").result()
    assert [status for _, status in result.statuses] == ["ok"] * len(paths)
    assert len(lines[20]) == 5 * len(paths)
    assert "vnclean.tasks.repair" in loaded
    assert not {"prefect", "vnclean.flows.pipeline", "vnclean.flows.outcome"} & set(loaded)


def test_worker_processes_learn_the_site_templates_as_the_run_alone_would(batch, tmp_path):
    """Issue 17: with --processes the pages the site templates are learned from are read by the
    worker processes, idle until the chunks start (before: by the run alone, ~8 ms a page, up to
    2,000 pages, while the workers waited); the same pages and units are recorded."""
    import multiprocessing
    import sqlite3
    from concurrent.futures import ProcessPoolExecutor

    from vnclean.tasks.pipeline import learn_templates

    paths = sorted(str(p) for p in batch.iterdir())
    mapped = []

    class Pool(ProcessPoolExecutor):
        def map(self, fn, *runs, **kwargs):
            mapped.append([len(r) for r in runs[0]])
            return super().map(fn, *runs, **kwargs)

    alone, shared = tmp_path / "alone.sqlite", tmp_path / "shared.sqlite"
    assert learn_templates(paths, alone) > 0
    with Pool(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        assert learn_templates(paths, shared, pool=pool, parts=2) == learn_templates(paths, alone)
    assert mapped == [[12, 12]]

    def rows(path):
        db = sqlite3.connect(path)
        try:
            return sorted(db.execute("SELECT * FROM pages")), sorted(db.execute("SELECT * FROM units"))
        finally:
            db.close()
    assert rows(alone) == rows(shared)
    assert rows(shared)[1]


def test_a_large_chunk_goes_through_the_stages_in_slices_and_writes_the_same_documents(seed_paths, tmp_path,
                                                                                       monkeypatch):
    """Issue 17: a chunk of up to 500 documents holds ``SLICE`` of them at once (a worker's peak
    was 145 MB for chunks of 500, 61 MB in slices of 50); each slice has its part file, and the
    documents are those of the chunk run whole."""
    import filecmp

    import vnclean.flows.chunk as chunk
    from vnclean.flows.run import version_key
    from vnclean.tasks.ingest import DEFAULT_MAX_BYTES, assign_ids
    from vnclean.tasks.runrecord import PARTS_DIR

    paths = [str(p) for p in seed_paths]
    ids = assign_ids(paths)
    whole, _ = chunk.run_chunk(paths, ids, "all", str(tmp_path / "whole"), DEFAULT_MAX_BYTES, version_key(None),
                               False, True)
    monkeypatch.setattr(chunk, "SLICE", 2)
    sliced, lines = chunk.run_chunk(paths, ids, "all", str(tmp_path / "sliced"), DEFAULT_MAX_BYTES,
                                    version_key(None), False, True)
    assert sliced.statuses == whole.statuses
    assert [status for _, status in sliced.statuses] == ["ok"] * len(paths)
    parts = sorted(p.name for p in (tmp_path / "sliced" / PARTS_DIR).glob("*.jsonl"))
    assert parts == ["all.000.jsonl", "all.001.jsonl", "all.002.jsonl"]
    assert len(lines[20]) == 5 * len(paths)  # every stage's line for every document, from all slices
    documents = sorted(p.name for p in (tmp_path / "whole").glob("0*"))
    assert len(documents) == 2 * len(paths)  # .json and .vi.txt (no model: no English file)
    for name in documents:
        assert filecmp.cmp(tmp_path / "whole" / name, tmp_path / "sliced" / name, shallow=False), name


def test_a_large_batch_gets_worker_processes_by_default_and_a_small_one_threads(monkeypatch):
    """`vnclean run` passes processes=0: a backlog runs in one worker per core (at most
    MAX_AUTO_PROCESSES), a small batch in the run's threads; an explicit --processes wins."""
    import vnclean.flows.pipeline as fp

    monkeypatch.setattr(fp.os, "cpu_count", lambda: 8)
    assert fp.processes_for(fp.AUTO_PROCESSES_FROM, 0) == fp.MAX_AUTO_PROCESSES
    assert fp.processes_for(fp.AUTO_PROCESSES_FROM - 1, 0) == 1
    monkeypatch.setattr(fp.os, "cpu_count", lambda: 2)
    assert fp.processes_for(100_000, 0) == 2
    assert fp.processes_for(100_000, 1) == 1
    assert fp.processes_for(5, 3) == 3
