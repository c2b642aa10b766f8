"""A stage's result is the next value or a SetAside with the stage and the reason (tasks/pipeline.py),
on the seed scrapes of input/: a file that cannot become a document is set aside at ingest with
the rejection's reason; a step that raises sets aside its own document only, at its stage."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from vnclean.tasks.ingest import Ingested
from vnclean.tasks.models import Failed, Rejected
from vnclean.tasks.pipeline import Doc, SetAside, doc_from_disk, ingest, manifest_entry, process_chunk


def test_a_file_over_the_size_limit_is_set_aside_at_ingest_with_the_reason(seed_paths):
    path = seed_paths[0]
    size = path.stat().st_size
    doc = Doc(str(path), path.stem)
    aside = ingest(doc, max_bytes=size - 1)
    assert isinstance(aside, SetAside)
    assert (aside.stage, aside.reason) == ("ingest", "too_large")
    assert aside.detail == f"{size} bytes is over the limit of {size - 1}"
    assert aside.source is not None
    assert aside.source.bytes == size
    record = aside.record(doc.id)
    assert isinstance(record, Rejected)
    assert record.reason == "too_large"
    assert isinstance(ingest(doc, max_bytes=size), Ingested)  # at the limit: read


def test_a_file_that_cannot_be_decoded_is_set_aside_at_ingest_with_the_reason(seed_paths, tmp_path):
    """A scrape saved with a UTF-8 byte-order mark and then cut in the middle of a letter."""
    text = seed_paths[0].read_bytes()
    letter = "ộ".encode()
    at = text.index(letter)
    path = tmp_path / "cut.txt"
    path.write_bytes(b"\xef\xbb\xbf" + text[:at] + letter[:2] + text[at + len(letter):])
    aside = ingest(Doc(str(path), "cut"))
    assert isinstance(aside, SetAside)
    assert (aside.stage, aside.reason) == ("ingest", "undecodable")
    assert aside.detail.startswith("declared utf-8-sig by its byte-order mark")
    assert aside.source is not None
    assert aside.source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_set_aside_files_go_no_further_and_get_a_rejected_record(seed_paths, tmp_path, argos_dir):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + seed_paths[0].read_bytes())
    (folder / "blank.txt").write_bytes(b"  \n\n ")
    good = folder / seed_paths[1].name
    good.write_bytes(seed_paths[1].read_bytes())
    out = tmp_path / "out"
    docs = {d.id: d for d in process_chunk(sorted(str(p) for p in folder.iterdir()), out, translator=None)}
    assert {i: (d.set_aside.stage, d.set_aside.reason) for i, d in docs.items() if d.set_aside} == {
        "photo": ("ingest", "binary"), "blank": ("ingest", "empty")}
    assert list(docs["photo"].seconds) == ["ingest"]  # no later stage ran on it
    record = json.loads((out / "_rejected" / "photo.json").read_text(encoding="utf-8"))
    assert (record["reason"], record["detail"]) == ("binary", "starts like a PNG image")
    assert docs[good.stem].document is not None
    assert list(docs[good.stem].seconds) == ["ingest", "strip", "repair", "translate", "write"]


@pytest.fixture
def strip_fails_on_one(seed_paths, monkeypatch):
    """strip_boilerplate raises on the page of the third seed only; returns that seed."""
    import vnclean.tasks.pipeline as pipeline

    victim = seed_paths[2]
    marker = victim.read_text(encoding="utf-8").splitlines()[0]
    real = pipeline.strip_boilerplate

    def flaky(text, *args, **kwargs):
        if marker in text:
            raise ValueError("a bug met on this page")
        return real(text, *args, **kwargs)

    monkeypatch.setattr(pipeline, "strip_boilerplate", flaky)
    return victim


def test_an_exception_in_strip_sets_aside_only_that_document(seed_paths, tmp_path, argos_dir, strip_fails_on_one,
                                                            monkeypatch):
    victim = strip_fails_on_one
    out = tmp_path / "out"
    docs = process_chunk([str(p) for p in seed_paths], out, translator=None)
    aside = {d.id: d.set_aside for d in docs if d.set_aside is not None}
    assert aside == {victim.stem: SetAside("strip", "failed", "ValueError: a bug met on this page",
                                           aside[victim.stem].source)}
    source = aside[victim.stem].source
    assert source is not None
    assert source.sha256 == hashlib.sha256(victim.read_bytes()).hexdigest()  # what ingest read
    record = Failed.model_validate_json((out / "_failed" / f"{victim.stem}.json").read_bytes())
    assert (record.stage, record.error, record.source) == ("strip", "ValueError: a bug met on this page", source)
    assert manifest_entry(next(d for d in docs if d.id == victim.stem)).status == "failed"
    # read back for the review report of a later run: the same set-aside
    again = doc_from_disk(str(victim), victim.stem, out)
    assert again is not None
    assert again.set_aside == aside[victim.stem]

    # the other documents are exactly what a run without the failure writes
    monkeypatch.undo()
    clean = tmp_path / "clean"
    process_chunk([str(p) for p in seed_paths], clean, translator=None)
    for path in seed_paths:
        if path != victim:
            for suffix in (".json", ".vi.txt"):
                assert (out / f"{path.stem}{suffix}").read_bytes() == (clean / f"{path.stem}{suffix}").read_bytes()
    assert not (out / f"{victim.stem}.json").exists()


def test_a_chunk_logs_the_set_aside_at_its_stage_and_records_it(seed_paths, tmp_path, argos_dir, strip_fails_on_one):
    from vnclean.flows.chunk import run_chunk
    from vnclean.tasks.ingest import DEFAULT_MAX_BYTES, assign_ids
    from vnclean.tasks.manifest import Manifest

    victim = strip_fails_on_one
    paths = [str(p) for p in seed_paths]
    out = tmp_path / "out"
    result, lines = run_chunk(paths, assign_ids(paths), "c0", str(out), DEFAULT_MAX_BYTES, "v1", False, True)
    assert dict(result.statuses)[victim.stem] == "failed"
    assert [s for i, s in result.statuses if i != victim.stem] == ["ok"] * 4
    assert lines[40] == [f"{victim.stem}: failed in strip: ValueError: a bug met on this page"]
    stripped = [line for line in lines[20] if "paragraphs" in line and "captions kept" in line]
    assert [line.split(":")[0] for line in stripped] == [p.stem for p in seed_paths if p != victim]
    part = [json.loads(line) for line in Path(result.part).read_text(encoding="utf-8").splitlines()]
    assert [p["row"]["reason"] for p in part if p["row"]["status"] == "failed"] == [
        "strip: ValueError: a bug met on this page"]
    manifest = Manifest(out / "_manifest.sqlite")
    try:
        plan = manifest.plan(paths, "v1")
    finally:
        manifest.close()
    assert plan.todo == [str(victim)]  # retried by the next run
    assert plan.retried == 1
