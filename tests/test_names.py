"""Input names: every input gets a unique id whatever the listing order, and no file name the file
system allows (long UTF-8 names, bytes that are not UTF-8) can crash a run or lose a document."""
from __future__ import annotations

import json
import os
import random
from dataclasses import asdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vnclean.tasks.ingest import MAX_ID_BYTES, assign_ids, doc_id_for, path_key
from vnclean.tasks.manifest import Manifest, file_sha256
from vnclean.tasks.models import Document, Failed, Rejected
from vnclean.tasks.pipeline import process_chunk
from vnclean.tasks.report import render_report, review_markdown

ROOT = Path(__file__).resolve().parents[1]
SEED = (ROOT / "input" / "000_63c0ffbfaf89c8e9.txt").read_bytes()
NAME_MAX = 255
SAFE_ID = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")

# Names chosen to clash: a hashed id and a file named like it, that file's own longer-hash id, a
# .txt whose stem is a Markdown name, one stem in two cases of suffix, the same name in two
# folders, long names sharing their first 120 characters, names differing only in a non-UTF-8 byte.
ADVERSARIAL = [
    "in/a b.txt", "in/a_b-19d703ab.txt", "in/a_b-19d703abd2b95c3b.txt", "in/a_b.txt", "in/a-b.txt",
    "in/x.md", "in/x.md.txt", "in/a.TXT", "in/a.txt", "in/a.Txt", "in/s.txt", "other/s.txt",
    "in/" + "d" * 130 + "1.txt", "in/" + "d" * 130 + "2.txt", "in/" + "ầ" * 81 + ".txt", "in/" + "ầ" * 82 + ".txt",
    os.fsdecode(b"in/caf\xe9.txt"), os.fsdecode(b"in/caf\xe8.txt"), "in/caf_.txt", "in/café.txt",
    "in/...txt", "in/_...txt", "in/ .txt", "in/_.txt",
]


def test_clashing_names_get_unique_ids_whatever_the_order():
    ids = assign_ids(ADVERSARIAL)
    assert len(set(ids.values())) == len(ADVERSARIAL)
    assert ids["in/a_b-19d703ab.txt"] == "a_b-19d703ab"  # a name that is its own id keeps it
    assert ids["in/a b.txt"] not in ("a_b-19d703ab", "a_b-19d703abd2b95c3b")
    assert ids["in/x.md.txt"] == "x.md"
    assert ids["in/x.md"] != "x.md"  # the .txt keeps its stem (the contract)
    assert {ids["in/s.txt"], ids["other/s.txt"]} & {"s"}
    assert ids["in/s.txt"] != ids["other/s.txt"]
    for seed in range(5):
        shuffled = ADVERSARIAL[:]
        random.Random(seed).shuffle(shuffled)
        assert assign_ids(shuffled) == ids
    for doc_id in ids.values():
        assert len(doc_id.encode("utf-8")) <= MAX_ID_BYTES
        assert not doc_id.startswith(".")
        assert "/" not in doc_id
        assert doc_id == doc_id.strip()


def test_a_long_name_is_cut_readably_with_a_hash():
    long_name = Path("ầ" * 81 + ".txt")  # 247 bytes
    doc_id = doc_id_for(long_name)
    assert doc_id.startswith("ầ" * 60)
    assert len(doc_id.encode()) <= MAX_ID_BYTES
    assert doc_id != doc_id_for(Path("ầ" * 82 + ".txt"))


_PIECES = st.sampled_from(["a", "a b", "a_b", "-19d703ab", ".md", ".txt", ".", "_", " ", "ầ", "é", "x" * 60])


@given(st.lists(st.tuples(st.sampled_from(["in", "other"]), st.lists(_PIECES, min_size=1, max_size=6),
                          st.sampled_from([".txt", ".md", ".html", ".TXT"])), min_size=1, max_size=8))
def test_ids_are_unique_and_do_not_depend_on_the_order(parts):
    paths = sorted({f"{folder}/{''.join(pieces)}{suffix}" for folder, pieces, suffix in parts})
    ids = assign_ids(paths)
    assert len(set(ids.values())) == len(paths)
    assert assign_ids(paths[::-1]) == ids
    assert all(len(i.encode()) <= MAX_ID_BYTES for i in ids.values())


def test_path_keys_tell_every_name_apart_and_encode():
    names = [os.fsdecode(b"a\xff.txt"), "a\\xff.txt", os.fsdecode(b"a\xfe.txt"), "ầ.txt"]
    keys = [path_key(n) for n in names]
    assert len(set(keys)) == len(names)
    for key in keys:
        key.encode("utf-8")
    assert path_key("ầ.txt") == "ầ.txt"  # valid names are their own key (existing manifests still match)


def test_a_failing_document_with_a_244_byte_name_is_set_aside(tmp_path, monkeypatch, argos_dir):
    import vnclean.tasks.pipeline as pipeline

    (tmp_path / "in").mkdir()
    name = ("ầ" * 80 + "aaaa").encode() + b".txt"  # 244 bytes of stem: the outputs' names would not fit
    path = os.path.join(os.fsencode(tmp_path / "in"), name)
    with open(path, "wb") as handle:
        handle.write(SEED)

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "repair_document", boom)
    (work,) = process_chunk([os.fsdecode(path)], tmp_path / "out", translator=None)
    assert work.set_aside is not None
    assert work.set_aside.stage == "repair"
    record = Failed.model_validate_json((tmp_path / "out" / "_failed" / f"{work.id}.json").read_text(encoding="utf-8"))
    assert record.source is not None
    assert record.source.path.endswith("aaaa.txt")


def test_a_non_utf8_name_becomes_a_document_and_a_manifest_row(tmp_path, argos_dir):
    (tmp_path / "in").mkdir()
    path = os.fsdecode(os.path.join(os.fsencode(tmp_path / "in"), b"tin-t\xf4i.txt"))  # Latin-1 "tin-tôi"
    with open(path, "wb") as handle:
        handle.write(SEED)
    out = tmp_path / "out"
    (work,) = process_chunk([path], out, translator=None)
    doc = Document.model_validate_json((out / f"{work.id}.json").read_text(encoding="utf-8"))
    assert doc.source.path.endswith("tin-t\\xf4i.txt")
    assert (out / f"{work.id}.vi.txt").exists()
    manifest = Manifest(out / "_manifest.sqlite")
    manifest.record([(path, file_sha256(Path(path)), "ok", work.id)], "v1")
    assert manifest.plan([path], "v1").skipped == [path]
    assert manifest.doc_ids([path]) == {path: work.id}


def test_a_collision_writes_both_documents(tmp_path, argos_dir):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a b.txt").write_bytes(SEED)
    (tmp_path / "in" / "a_b-19d703ab.txt").write_bytes(SEED.replace("Trung Quốc".encode(), "Hàn Quốc".encode()))
    paths = sorted(str(p) for p in (tmp_path / "in").iterdir())
    works = process_chunk(paths, tmp_path / "out", translator=None)
    docs = {w.id: w.document for w in works}
    assert len(docs) == 2
    assert all(docs.values())
    assert {Path(d.source.path).name for d in docs.values()} == {"a b.txt", "a_b-19d703ab.txt"}
    assert len(list((tmp_path / "out").glob("*.json"))) == 2


ARTICLE = ("Hà Nội, ngày 4/11/2024\nHội nghị đối thoại an ninh lần thứ hai\n"
           "Bộ Công an Việt Nam và Bộ An ninh Quốc gia Trung Quốc đã tổ chức hội nghị đối thoại lần thứ hai "
           "tại Hà Nội, với sự tham dự của nhiều đại biểu từ hai nước.\n").encode("utf-8")
# A file name: any bytes but "/" and NUL, up to the file system's 255 bytes with the suffix.
_NAMES = st.tuples(
    st.one_of(st.binary(min_size=1, max_size=80),
              st.text(min_size=1, max_size=90).map(lambda t: t.encode("utf-8", "surrogatepass")[:250]),
              st.sampled_from([b"a b", b"a_b-19d703ab", b"x.md", b"\xff\xfe", b"[x](javascript:alert(8))",
                               ("ầ" * 82).encode()])),
    st.sampled_from([b".txt", b".md", b".html", b".TXT"]),
).map(lambda t: t[0].replace(b"/", b"_").replace(b"\0", b"_")[: NAME_MAX - len(t[1])] + t[1])


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(names=st.lists(_NAMES, min_size=1, max_size=4, unique=True))
def test_no_input_name_can_crash_a_run(names, tmp_path_factory):
    """The plain pipeline, the manifest, the report and the review over inputs with any names:
    every input ends as a document or a set-aside record that names its source, twice over."""
    from vnclean.flows.pipeline import summarise  # no Prefect run: the summary rows only

    base = tmp_path_factory.mktemp("names")
    inp, out = base / "in", base / "out"
    inp.mkdir()
    paths = []
    for i, name in enumerate(names):
        path = os.path.join(os.fsencode(inp), name)
        with open(path, "wb") as handle:
            handle.write(ARTICLE if i % 2 == 0 else ARTICLE.replace("Hà Nội".encode(), "Huế".encode()))
        paths.append(os.fsdecode(path))
    works = process_chunk(paths, out, translator=None)
    assert len({w.id for w in works}) == len(paths)
    for work in works:
        if work.document is not None:
            written = Document.model_validate_json((out / f"{work.id}.json").read_text(encoding="utf-8"))
            assert written.source.path
            assert (out / f"{work.id}.vi.txt").exists()
        else:
            folder, model = ("_rejected", Rejected) if isinstance(work.record, Rejected) else ("_failed", Failed)
            record = model.model_validate_json((out / folder / f"{work.id}.json").read_text(encoding="utf-8"))
            assert record.source is not None
            assert record.source.path
    assert all(len(os.fsencode(p.name)) <= NAME_MAX for p in out.rglob("*"))
    manifest = Manifest(out / "_manifest.sqlite")
    manifest.record([(w.path, w.ingested.source.sha256 if w.ingested else "", "ok", w.id) for w in works], "v1")
    assert sorted(manifest.plan(paths, "v1").skipped) == sorted(paths)
    manifest.close()
    render_report(works).encode("utf-8")
    review_markdown(works).encode("utf-8")
    summary = summarise(works, inp, out, None, 0.0)
    json.dumps(asdict(summary), ensure_ascii=False).encode("utf-8")  # _run.json, _runs.jsonl
