"""End to end: the Prefect flow over a copy of input/, then the acceptance check on its output."""
from __future__ import annotations

import filecmp
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECK = ROOT / "tests" / "acceptance" / "check.py"
pytestmark = pytest.mark.slow


def run_state(input_dir: Path, output_dir: Path, **kwargs):
    """The flow run's final state."""
    from vnclean.flows.pipeline import process_scrapes

    return process_scrapes(input_dir=str(input_dir), output_dir=str(output_dir), return_state=True, **kwargs)


def summary_of(state) -> dict:
    """The run's summary, whether it ended Completed or Failed (anything else is raised)."""
    from vnclean.flows.outcome import RunFailed

    data = state.result(raise_on_failure=False)
    if isinstance(data, RunFailed):
        return data.summary
    if isinstance(data, BaseException):
        raise data
    return data


def run_flow(input_dir: Path, output_dir: Path, **kwargs) -> dict:
    return summary_of(run_state(input_dir, output_dir, **kwargs))


def acceptance(output_dir: Path, input_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECK), "--output", str(output_dir), "--input", str(input_dir), *extra],
                          capture_output=True, text=True, timeout=120)


def test_flow_without_a_model_passes_the_seed_acceptance(prefect_api, input_copy, tmp_path, argos_dir):
    out = tmp_path / "output"
    summary = run_flow(input_copy, out)
    assert [r["status"] for r in summary["rows"]] == ["ok"] * 5
    assert summary["model"] is None
    assert list(summary["stage_seconds"]) == ["ingest", "strip", "repair", "translate", "write"]
    result = acceptance(out, input_copy)
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip().endswith("0 failed")
    assert (out / "report.html").read_text(encoding="utf-8").count("<h2") == 5


def test_flow_with_a_model_translates_and_reruns_identically(prefect_api, input_copy, tmp_path, tiny_model):
    out = tmp_path / "output"
    first = run_flow(input_copy, out)
    assert {r["translation"] for r in first["rows"]} == {"ok"}
    assert first["cache_misses"] > 0
    result = acceptance(out, input_copy, "--require-translation")
    assert result.returncode == 0, result.stdout
    snapshot = tmp_path / "first"
    subprocess.run(["cp", "-r", str(out), str(snapshot)], check=True)
    second = run_flow(input_copy, out, force=True)
    assert second["cache_misses"] == 0
    assert second["cache_hits"] == first["cache_misses"] + first["cache_hits"]
    for doc in input_copy.glob("*.txt"):
        for suffix in (".json", ".vi.txt", ".en.txt"):
            assert filecmp.cmp(out / f"{doc.stem}{suffix}", snapshot / f"{doc.stem}{suffix}", shallow=False)
    third = run_flow(input_copy, out)  # nothing new: every input skipped, nothing rewritten
    assert third["skipped"] == 5
    assert third["rows"] == []


def test_bad_files_are_set_aside_and_the_batch_goes_on(prefect_api, input_copy, tmp_path, argos_dir):
    (input_copy / "empty.txt").write_bytes(b"")
    (input_copy / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (input_copy / "folder.txt").mkdir()
    out = tmp_path / "output"
    state = run_state(input_copy, out)
    # rejected files alone: Completed, with a message; Failed when asked for
    assert state.is_completed()
    assert (state.message == ("3 of 8 files rejected (see _rejected/); "
                                                      "fail_on_rejected makes this Failed"))
    summary = summary_of(state)
    status = {r["id"]: r["status"] for r in summary["rows"]}
    assert status == {**{p.stem: "ok" for p in input_copy.glob("0*.txt")},
                      "empty": "rejected", "photo": "rejected", "folder": "rejected"}
    reasons = {p.stem: json.loads(p.read_text())["reason"] for p in (out / "_rejected").glob("*.json")}
    assert reasons == {"empty": "empty", "photo": "binary", "folder": "not_a_file"}
    assert acceptance(out, input_copy).returncode == 0
    # the run's record counts the removed lines per reason, the repairs per kind and the set-asides
    # per stage and reason, as the documents and records written say
    record = json.loads((out / "_run.json").read_text(encoding="utf-8"))
    documents = [json.loads((out / f"{p.stem}.json").read_text(encoding="utf-8")) for p in input_copy.glob("0*.txt")]
    assert record["removed"] == dict(sorted(Counter(r["reason"] for d in documents for r in d["removed"]).items()))
    assert record["repairs"] == dict(sorted(Counter(r["kind"] for d in documents for r in d["repairs"]).items()))
    assert sum(record["removed"].values()) == record["kept"]["removed"] > 0
    assert record["set_aside"] == {"ingest": dict(sorted(Counter(reasons.values()).items()))}
    last = json.loads((out / "_runs.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    assert (last["removed"], last["repairs"], last["set_aside"]) == (
        record["removed"], record["repairs"], record["set_aside"])
    strict = run_state(input_copy, out, force=True, fail_on_rejected=True)
    assert strict.is_failed()
    assert strict.message == "3 of 8 files rejected (see _rejected/)"
    assert summary_of(strict)["counts"] == {"ok": 5, "rejected": 3}


def test_dask_runner_and_worker_processes_write_the_same_bytes(prefect_api, input_copy, tmp_path, tiny_model):
    """Also: on Dask the progress bar's listener hears of each document while the workers run (one
    task run per document here), not all at once when the run ends."""
    from vnclean.flows.pipeline import with_runner
    from vnclean import progress

    threads_out, dask_out, processes_out = tmp_path / "threads", tmp_path / "dask", tmp_path / "processes"
    run_flow(input_copy, threads_out)
    heard: list[tuple[str, int, bool]] = []  # (document, documents on disk then, run record written then)

    def listener(doc_id: str, status: str) -> None:
        on_disk = sum(1 for p in dask_out.glob("*.json") if not p.name.startswith("_"))
        heard.append((doc_id, on_disk, (dask_out / "_run.json").exists()))

    progress.subscribe(listener)
    try:
        summary = with_runner("dask", workers=2)(input_dir=str(input_copy), output_dir=str(dask_out))
    finally:
        progress.unsubscribe(listener)
    assert [r["status"] for r in summary["rows"]] == ["ok"] * 5
    assert sorted(doc for doc, _, _ in heard) == sorted(p.stem for p in input_copy.glob("*.txt"))
    assert not any(recorded for _, _, recorded in heard)  # every one before the run's end
    assert heard[0][1] < 5  # the first while other documents were still to be written
    summary = run_flow(input_copy, processes_out, processes=2)  # the chunks in two worker processes
    assert [r["status"] for r in summary["rows"]] == ["ok"] * 5
    names = sorted(p.name for p in threads_out.glob("0*"))
    assert len(names) == 15
    for other in (dask_out, processes_out):
        assert names == sorted(p.name for p in other.glob("0*"))
        for name in names:
            assert filecmp.cmp(threads_out / name, other / name, shallow=False), (other.name, name)


def test_local_dask_workers_report_to_the_runs_temporary_api(monkeypatch):
    """A CLI run's Dask workers are given its temporary API; without it each worker started one of
    its own (three API servers for a run on two workers: 100 documents took 108 s instead of 49)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    import vnclean.api
    from vnclean.flows.pipeline import with_runner

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    server = vnclean.api.InProcessAPI()  # as started by the CLI (not served here: only its address is read)
    monkeypatch.setattr(vnclean.api, "_server", server)
    try:
        with temporary_settings(restore_defaults={PREFECT_API_URL}):
            env = with_runner("dask").task_runner.cluster_kwargs["env"]
    finally:
        server.stop()
    assert env["PREFECT_API_URL"] == server.api_url


def test_progress_hears_of_chunks_as_they_end_not_in_the_order_they_were_submitted(prefect_api, input_copy, tmp_path,
                                                                                   argos_dir, monkeypatch):
    """The first chunk (one document each) is held until the progress bar has shown the second: a
    run that waits for its chunks in the order it submitted them shows the second only after the
    first (whose hold then ends after 60 s), so the bar would stall behind a slow chunk."""
    import threading

    import vnclean.flows.pipeline
    from vnclean import progress

    first, second = sorted(p.stem for p in input_copy.glob("*.txt"))[:2]  # submitted in this order
    second_shown = threading.Event()
    heard: list[str] = []
    real_chunk = vnclean.flows.pipeline.run_chunk

    def held(paths, ids, label, *args):
        if label == first:
            second_shown.wait(60)
        return real_chunk(paths, ids, label, *args)

    def listener(doc_id: str, status: str) -> None:
        heard.append(doc_id)
        if doc_id == second:
            second_shown.set()

    monkeypatch.setattr(vnclean.flows.pipeline, "run_chunk", held)
    progress.subscribe(listener)
    try:
        summary = run_flow(input_copy, tmp_path / "output", chunk_size=1)
    finally:
        progress.unsubscribe(listener)
    assert [r["status"] for r in summary["rows"]] == ["ok"] * 5
    assert sorted(heard) == sorted(p.stem for p in input_copy.glob("*.txt"))
    assert heard.index(second) < heard.index(first)


def test_a_broken_model_leaves_the_vietnamese_written_and_is_retried(prefect_api, input_copy, tmp_path, tiny_model):
    good = (tiny_model.path / "model" / "model.bin").read_bytes()
    (tiny_model.path / "model" / "model.bin").write_bytes(b"not a model")  # a partly copied package
    out = tmp_path / "output"
    state = run_state(input_copy, out)
    assert state.is_failed()
    assert (state.message == ("5 of 5 documents written without English: "
                                                   "translation failed"))
    first = summary_of(state)
    assert [(r["status"], r["translation"]) for r in first["rows"]] == [("ok", "failed")] * 5
    assert all("could not be loaded" in r["reason"] for r in first["rows"])
    doc = json.loads((out / "000_63c0ffbfaf89c8e9.json").read_text(encoding="utf-8"))
    assert doc["translation"]["status"] == "failed"
    assert doc["paragraphs"]  # the Vietnamese is all there
    assert acceptance(out, input_copy).returncode == 0
    (tiny_model.path / "model" / "model.bin").write_bytes(good)  # repaired: the next run retries them
    second = run_flow(input_copy, out)
    assert second["retried"] == 5
    assert {r["translation"] for r in second["rows"]} == {"ok"}


def test_a_crashed_chunk_is_recorded_and_the_run_finishes(prefect_api, input_copy, tmp_path, argos_dir, monkeypatch):
    import vnclean.flows.chunk

    def bug(*args):  # a task that raises outside the per-document isolation (a bug, a lost worker)
        raise RuntimeError("a bug in the translate task")

    monkeypatch.setattr(vnclean.flows.chunk, "translate_stage", bug)
    out = tmp_path / "output"
    from vnclean.flows.outcome import RunFailed
    from vnclean.flows.pipeline import process_scrapes

    with pytest.raises(RunFailed, match="^5 of 5 documents failed") as failed:  # a direct call raises
        process_scrapes(input_dir=str(input_copy), output_dir=str(out))
    summary = failed.value.summary
    assert [r["status"] for r in summary["rows"]] == ["failed"] * 5
    failed = {p.stem: json.loads(p.read_text()) for p in (out / "_failed").glob("*.json")}
    assert sorted(failed) == sorted(p.stem for p in input_copy.glob("*.txt"))
    assert all(f["stage"] == "translate" and f["error"] == "RuntimeError: a bug in the translate task"
               for f in failed.values())
    assert (out / "_run.json").exists()
    assert (out / "report.html").exists()


def test_hostile_names_all_become_documents_and_the_next_run_skips_them(prefect_api, input_copy, tmp_path, argos_dir):
    import os

    seed = (input_copy / "000_63c0ffbfaf89c8e9.txt").read_bytes()
    names = [("ầ" * 80 + "aaaa").encode() + b".txt", b"caf\xe9.txt", b"a b.txt", b"a_b-19d703ab.txt"]
    for k, name in enumerate(names):
        with open(os.path.join(os.fsencode(input_copy), name), "wb") as handle:
            handle.write(seed.replace("Trung Quốc".encode(), f"Trung Quốc {k}".encode()))
    out = tmp_path / "output"
    first = run_flow(input_copy, out)
    rows = first["rows"]
    assert [r["status"] for r in rows] == ["ok"] * 9
    assert len({r["id"] for r in rows}) == 9
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in out.glob("*.json") if not p.name.startswith("_")]
    assert len(docs) == 9
    assert any(d["source"]["path"].endswith("caf\\xe9.txt") for d in docs)
    assert (out / "report.html").exists()
    assert json.loads((out / "_run.json").read_text(encoding="utf-8"))["inputs"] == 9
    second = run_flow(input_copy, out)  # the manifest holds every name
    assert second["skipped"] == 9
    assert second["rows"] == []
    (input_copy / "story.md").write_bytes(seed)
    assert [r["id"] for r in run_flow(input_copy, out)["rows"]] == ["story.md"]
    (input_copy / "story.md.txt").write_bytes(seed)  # its id is the contract's "story.md": story.md moves
    third = run_flow(input_copy, out)
    assert len(third["rows"]) == 2
    assert third["skipped"] == 9
    moved = {json.loads((out / f"{r['id']}.json").read_text(encoding="utf-8"))["source"]["path"].split("/")[-1]: r["id"]
             for r in third["rows"]}
    assert moved["story.md.txt"] == "story.md"
    assert moved["story.md"].startswith("story.md-")


def test_two_runs_in_the_same_second_get_different_names(prefect_api, tmp_path, monkeypatch):
    import asyncio
    from datetime import datetime, timezone

    import vnclean.flows.pipeline
    from prefect.client.orchestration import get_client

    class Frozen(datetime):  # both runs start in the same second
        @classmethod
        def now(cls, tz=None):
            return datetime(2025, 3, 1, 12, 0, 0, tzinfo=timezone.utc)

    monkeypatch.setattr(vnclean.flows.pipeline, "datetime", Frozen)
    (tmp_path / "scrapes").mkdir()
    states = [run_state(tmp_path / "scrapes", tmp_path / "output") for _ in range(2)]

    async def names():
        async with get_client() as client:
            return [(await client.read_flow_run(s.state_details.flow_run_id)).name for s in states]

    first, second = asyncio.run(names())
    assert first.startswith("scrapes-20250301-120000-")
    assert second.startswith("scrapes-20250301-120000-")
    assert first != second
