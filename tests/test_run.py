"""The run module (flows/run.py, no Prefect): a run planned and recorded as the flow and the CLI
do it, on copies of the seeds of input/; the record's counts per removal reason, repair kind and
set-aside reason are checked against the documents and records written."""
from __future__ import annotations

import io
import json
import time
from collections import Counter
from pathlib import Path

from vnclean.flows.chunk import run_chunk
from vnclean.flows.run import close_run, plan_run, record_run
from vnclean.tasks.manifest import Manifest
from vnclean.tasks.runrecord import RunCollector, RunSummary


def run_without_prefect(folder: Path, out: Path, chunk: int = 2) -> RunSummary:
    """What process_scrapes does, its Prefect tasks called as plain functions."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    summary = RunSummary(str(folder), str(out), None)
    manifest = Manifest(out / "_manifest.sqlite")
    try:
        plan = plan_run(sorted(folder.iterdir()), out, None, manifest=manifest)
        collector = RunCollector(out)
        for i in range(0, len(plan.todo), chunk):
            paths = plan.todo[i:i + chunk]
            run_chunk(paths, plan.ids, f"c{i:03d}", str(out), 1_000_000, plan.version, False, True)
        close_run(summary, plan, collector, manifest, out, 1_000_000, started)
    finally:
        manifest.close()
    record_run(out, summary)
    return summary


def test_the_run_record_counts_removed_lines_repairs_and_set_asides_as_the_outputs_say(input_copy, tmp_path,
                                                                                        argos_dir):
    (input_copy / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (input_copy / "blank.txt").write_bytes(b" \n\n")
    (input_copy / "huge.txt").write_bytes((input_copy / "000_63c0ffbfaf89c8e9.txt").read_bytes() * 400)
    out = tmp_path / "output"
    run_without_prefect(input_copy, out)
    record = json.loads((out / "_run.json").read_text(encoding="utf-8"))

    documents = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(out.glob("*.json")) if p.name != "_run.json"]
    assert len(documents) == 5
    removed = Counter(r["reason"] for d in documents for r in d["removed"])
    repairs = Counter(r["kind"] for d in documents for r in d["repairs"])
    assert record["removed"] == dict(sorted(removed.items()))
    assert record["repairs"] == dict(sorted(repairs.items()))
    assert sum(record["removed"].values()) == record["kept"]["removed"]
    assert sum(record["repairs"].values()) == record["kept"]["repairs"]
    assert len(removed) > 3  # the seeds lose lines for several reasons
    assert repairs  # and one of them has garbled machine translation repaired

    rejected = [json.loads(p.read_text(encoding="utf-8")) for p in (out / "_rejected").glob("*.json")]
    assert record["set_aside"] == {"ingest": dict(sorted(Counter(r["reason"] for r in rejected).items()))}
    assert record["set_aside"] == {"ingest": {"binary": 1, "empty": 1, "too_large": 1}}
    assert record["counts"] == {"ok": 5, "rejected": 3}

    history = [json.loads(line) for line in (out / "_runs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(h["removed"], h["repairs"], h["set_aside"]) for h in history] == [
        (record["removed"], record["repairs"], record["set_aside"])]


def test_the_counts_show_in_the_cli_summary_and_the_markdown_artifact(input_copy, tmp_path, argos_dir,
                                                                     monkeypatch):
    from rich.console import Console

    import vnclean.cli as cli
    from vnclean.flows.pipeline import summary_markdown
    from vnclean.tasks.escape import md_text

    (input_copy / "blank.txt").write_bytes(b" \n\n")
    summary = run_without_prefect(input_copy, tmp_path / "output")
    top_reason, top_count = min(summary.removed.items(), key=lambda item: (-item[1], item[0]))  # most lines first
    kind, kind_count = min(summary.repairs.items(), key=lambda item: (-item[1], item[0]))

    markdown = summary_markdown(summary)
    assert f"Lines removed by reason: {md_text(top_reason)} {top_count}," in markdown
    assert f"Repairs by kind: {md_text(kind)} {kind_count}" in markdown
    assert f"Set aside by stage and reason: {md_text('ingest/empty')} 1" in markdown

    monkeypatch.setattr(cli, "console", Console(file=io.StringIO(), width=300))
    cli._print_summary(RunSummary.from_record(json.loads((tmp_path / "output" / "_run.json").read_text("utf-8"))))
    printed = cli.console.file.getvalue()
    assert f"lines removed by reason: {top_reason} {top_count} · " in printed
    assert f"repairs by kind: {kind} {kind_count}" in printed
    assert "set aside by stage and reason: ingest/empty 1" in printed


def test_a_plan_redoes_an_input_whose_id_moved_for_the_flow_and_the_dry_run_alike(input_copy, tmp_path,
                                                                                  argos_dir):
    """An input written as ``a_b-19d703ab`` ("a b.txt", its own id taken by a file named so)
    moves back to that id when the other file is gone: both the flow's plan (the run's open
    manifest) and the CLI's (read from the output folder) write it again under it."""
    seed = (input_copy / "000_63c0ffbfaf89c8e9.txt").read_bytes()
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a b.txt").write_bytes(seed)
    (folder / "a_b-19d703ab.txt").write_bytes(seed.replace("Trung Quốc".encode(), "Hàn Quốc".encode()))
    out = tmp_path / "output"
    first = run_without_prefect(folder, out)
    assert first.count("ok") == 2
    files = sorted(folder.iterdir())
    assert plan_run(files, out, None).skipped == [str(p) for p in files]  # nothing new

    (folder / "a_b-19d703ab.txt").unlink()
    plan = plan_run(sorted(folder.iterdir()), out, None)
    assert plan.todo == [str(folder / "a b.txt")]
    assert plan.ids[str(folder / "a b.txt")] == "a_b-19d703ab"
    manifest = Manifest(out / "_manifest.sqlite")
    try:
        assert plan_run(sorted(folder.iterdir()), out, None, manifest=manifest).todo == plan.todo
    finally:
        manifest.close()
