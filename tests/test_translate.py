"""Offline translation on a real (tiny, random-weight) Argos package that the tests build."""
from __future__ import annotations

import threading
import zipfile

import pytest
from hypothesis import given, settings, strategies as st

from vnclean.tasks.argos import ModelError, find_model, install_from_file, install_from_index, installed_models
from vnclean.tasks.translate import (
    MAX_PIECES,
    MISSING_MODEL,
    TranslationMemory,
    Translator,
    get_translator,
    split_sentences,
    translate_document,
)


@pytest.mark.parametrize("text,expected", [
    ("Hai bên nhất trí. Ông nói thêm.", ["Hai bên nhất trí.", "Ông nói thêm."]),
    ("Đào tạo cán bộ, trang thiết bị, v.v. Hai bên nhất trí.", ["Đào tạo cán bộ, trang thiết bị, v.v. Hai bên nhất trí."]),
    ("Ông đến TP. Hồ Chí Minh hôm qua.", ["Ông đến TP. Hồ Chí Minh hôm qua."]),
    ("Th.S Nguyễn Văn A và PGS. TS. Lê B dự họp.", ["Th.S Nguyễn Văn A và PGS. TS. Lê B dự họp."]),
    ("Ông Nguyễn V. A phát biểu.", ["Ông Nguyễn V. A phát biểu."]),
    ("Chiều 10.1.2024, giá tăng 3.5%. Sau đó giảm.", ["Chiều 10.1.2024, giá tăng 3.5%.", "Sau đó giảm."]),
    ("Xem www.vietnamplus.vn. Tin khác.", ["Xem www.vietnamplus.vn.", "Tin khác."]),
    ("Ông nói: “Chúng tôi đồng ý.” Bà phản đối!", ["Ông nói: “Chúng tôi đồng ý.”", "Bà phản đối!"]),
    ("Câu hỏi? Câu trả lời… Kết thúc", ["Câu hỏi?", "Câu trả lời…", "Kết thúc"]),
])
def test_vietnamese_sentence_splitter(text, expected):
    assert split_sentences(text) == expected


def test_missing_model_is_a_status_not_a_crash(argos_dir):
    assert find_model() is None
    assert get_translator(None) is None
    tr = translate_document("Tiêu đề", None, ["Một đoạn."], [], None)
    assert tr.status == "missing-model"
    assert tr.detail == MISSING_MODEL
    assert "vnclean model install" in MISSING_MODEL


def test_install_from_file_and_list(tiny_model, argos_dir):
    assert tiny_model.path.parent == argos_dir
    assert tiny_model.version == "0.0.1-test"
    assert [m.id for m in installed_models()] == ["translate-vi_en-0.0.1-test"]
    (argos_dir / "stray-folder").mkdir()  # a folder without metadata.json must not break listing
    assert find_model() == tiny_model


def test_install_rejects_bad_files(argos_dir, tmp_path):
    bad = tmp_path / "x.argosmodel"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="not an Argos package"):
        install_from_file(bad)
    with pytest.raises(ModelError, match="does not exist"):
        install_from_file(tmp_path / "never-copied.argosmodel")
    evil = tmp_path / "evil.argosmodel"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("pkg/metadata.json", '{"from_code": "vi", "to_code": "en"}')
        z.writestr("pkg/../../escape.txt", "x")
    with pytest.raises(ModelError, match="outside its folder"):
        install_from_file(evil)


def test_offline_index_fails_with_a_clear_message(argos_dir):
    outcome: dict = {}

    def attempt():
        try:
            install_from_index()
        except ModelError as err:
            outcome["error"] = str(err)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(60)  # a hang guard, not a speed check
    assert not worker.is_alive(), "installing from the index hung offline"
    assert "--from" in outcome["error"]


def test_online_install_from_an_index_served_on_this_machine(argos_dir, tiny_model_file, tmp_path, monkeypatch):
    """The online path end to end against a local HTTP server standing in for the Argos index: the
    index is read, the newest vi→en entry chosen (an older one and an en→vi one are ignored), the
    first link that fails is skipped, the package downloaded with progress and installed."""
    import functools
    import http.server
    import json
    import shutil

    from argostranslate import settings

    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(tiny_model_file, site / "translate-vi_en-0_0_1.argosmodel")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site)))
    base = f"http://127.0.0.1:{server.server_port}"
    (site / "index.json").write_text(json.dumps([
        {"from_code": "vi", "to_code": "en", "package_version": "0.0.0", "links": [f"{base}/missing.argosmodel"]},
        {"from_code": "en", "to_code": "vi", "package_version": "9.0", "links": [f"{base}/missing.argosmodel"]},
        {"from_code": "vi", "to_code": "en", "package_version": "0.0.1",
         "links": [f"{base}/gone.argosmodel", f"{base}/translate-vi_en-0_0_1.argosmodel"]},
    ]), encoding="utf-8")
    monkeypatch.setattr(settings, "remote_package_index", f"{base}/index.json")
    monkeypatch.setattr(settings, "local_package_index", tmp_path / "index.json")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    seen: list[tuple[int, int]] = []
    try:
        model = install_from_index(lambda done, total: seen.append((done, total)))
    finally:
        server.shutdown()
    size = tiny_model_file.stat().st_size
    assert model.path.parent == argos_dir
    assert find_model().path == model.path
    assert seen[-1] == (size, size)  # the download reported its progress to the end
    assert json.loads((tmp_path / "index.json").read_text())[2]["package_version"] == "0.0.1"


def _paragraphs(seed_paths) -> list[str]:
    return [line for p in seed_paths for line in p.read_text(encoding="utf-8").splitlines() if len(line) > 60][:25]


def test_batched_output_equals_one_sentence_at_a_time(tiny_model, seed_paths):
    batched = Translator(tiny_model, batch_size=32)
    single = Translator(tiny_model, batch_size=1, threads=1)  # one sentence per call, one thread
    paragraphs = _paragraphs(seed_paths)
    expected = []
    for paragraph in paragraphs:  # argostranslate's way: per sentence, pieces concatenated, decoded once
        pieces = []
        for sentence in split_sentences(paragraph):
            pieces += single._run_model([single.encode(sentence)[0]])[0]
        expected.append(single.decode(pieces))
    got = batched.translate_texts(paragraphs)
    assert got == expected
    assert len(set(got)) > len(got) // 2  # the tiny model's output depends on its input
    assert batched.stats.model_calls < len([s for p in paragraphs for s in split_sentences(p)])


def test_translation_memory_serves_a_rerun(tiny_model, seed_paths, tmp_path):
    paragraphs = _paragraphs(seed_paths)
    memory_path = tmp_path / "tm.sqlite"
    first = Translator(tiny_model, TranslationMemory(memory_path))
    out1 = first.translate_texts(paragraphs)
    assert first.stats.misses > 0
    assert first.stats.hits == 0
    second = Translator(tiny_model, TranslationMemory(memory_path))  # a new process, the same file
    out2 = second.translate_texts(paragraphs)
    assert out2 == out1
    assert second.stats.misses == 0
    assert second.stats.model_calls == 0
    assert second.stats.hits == second.stats.sentences


def test_document_translation_is_aligned_and_copies_english(tiny_model):
    t = Translator(tiny_model)
    english = "The ministers signed a memorandum of understanding on political security cooperation today."
    tr = translate_document("Bộ trưởng hai nước hội đàm", "Sau hội đàm, hai bên ký kết.",
                            ["Hai bên nhất trí tăng cường hợp tác.", english], ["Toàn cảnh hội nghị"], t)
    assert tr.status == "ok"
    assert tr.model == "translate-vi_en-0.0.1-test"
    assert len(tr.paragraphs) == 2
    assert len(tr.captions) == 1
    assert tr.title
    assert tr.summary
    assert tr.paragraphs[1] == english
    assert tr.detail == "1 English text copied"
    assert [(u.where, u.index, u.language) for u in tr.untranslated] == [("paragraphs", 1, "en")]


def test_other_languages_are_copied_and_marked(tiny_model):
    chinese = "越南公安部长与中国国家安全部长举行会谈，双方同意加强合作。"
    french = "Les deux ministres ont signé un accord de coopération en matière de sécurité publique."
    tr = translate_document("Bộ trưởng hai nước hội đàm", None, ["Hai bên nhất trí tăng cường hợp tác.", chinese],
                            [french], Translator(tiny_model))
    assert tr.paragraphs[1] == chinese
    assert tr.captions[0] == french
    assert tr.paragraphs[0] != "Hai bên nhất trí tăng cường hợp tác."
    assert [(u.where, u.index, u.language) for u in tr.untranslated] == [("paragraphs", 1, "zh"), ("captions", 0, "fr")]
    assert tr.detail == "1 text in fr copied untranslated; 1 text in zh copied untranslated"


def test_overlong_sentences_are_split_before_the_model(tiny_model):
    t = Translator(tiny_model)
    long_sentence = " ".join(["hợp tác an ninh"] * 600)
    chunks = t.encode(long_sentence)
    assert len(chunks) >= 2
    assert all(len(c) <= MAX_PIECES for c in chunks)
    assert t.translate_texts([long_sentence])[0]


def test_a_transient_model_error_is_retried_and_a_lasting_one_recorded(tiny_model, seed_paths):
    from vnclean.tasks.ingest import ingest_file
    from vnclean.tasks.pipeline import Doc, repair, strip, translate_stage

    translator = Translator(tiny_model)
    real = translator.translate_texts
    calls = []

    def flaky(texts, counts=None):
        calls.append(len(texts))
        if len(calls) == 1:
            raise RuntimeError("std::bad_alloc")  # what a worker short of memory raises once
        return real(texts, counts)

    translator.translate_texts = flaky
    doc = Doc(path=str(seed_paths[0]), id=seed_paths[0].stem)
    fixed = repair(strip(ingest_file(seed_paths[0])))
    ((_, translated),) = translate_stage([(doc, fixed)], translator)
    assert len(calls) == 2
    assert translated.translation.status == "ok"
    assert doc.end is None  # not set aside: on its way to the write stage

    def broken(texts, counts=None):
        raise RuntimeError("std::bad_alloc")

    translator.translate_texts = broken
    ((_, translated),) = translate_stage([(doc, fixed)], translator)
    assert doc.end is None
    assert translated.translation.status == "failed"
    assert translated.translation.detail == "translation failed twice: RuntimeError: std::bad_alloc"


def test_an_unreadable_translation_memory_is_set_aside_not_fatal(tiny_model, tmp_path):
    path = tmp_path / "_cache" / "translation-memory.sqlite"
    path.parent.mkdir()
    path.write_bytes(b"not a database, a half-copied file" * 100)
    memory = TranslationMemory(path)
    t = Translator(tiny_model, memory)
    out = t.translate_texts(["Hai bên nhất trí tăng cường hợp tác."])
    assert out[0]
    assert t.stats.misses == 1
    (aside,) = (tmp_path / "_cache").glob("translation-memory.sqlite.broken-*")
    assert aside.read_bytes().startswith(b"not a database")
    assert TranslationMemory(path).get_many(t.id, ["Hai bên nhất trí tăng cường hợp tác."])  # the new one works


_WORDS = st.sampled_from(["Hai", "bên", "nhất", "trí", "TP.", "HCM", "v.v.", "Th.S", "10.1.2024", "3.5%", "ông",
                          "Nguyễn", "V.", "A", "www.vietnamplus.vn", "“Hợp", "tác”", "nói:", "Hà", "Nội", "…", "?",
                          "!", ".", "hôm", "qua", "(TTXVN)", "the", "Minister", "said", "越南", "公安部"])


@settings(max_examples=200, deadline=None)
@given(st.lists(_WORDS, min_size=0, max_size=40).map(" ".join))
def test_sentence_splitting_loses_and_adds_nothing(text):
    sentences = split_sentences(text)
    assert " ".join(sentences).split() == text.split()  # every word once, in order
    assert all(s == s.strip() and s for s in sentences)


@settings(max_examples=25, deadline=None)
@given(title=_WORDS.map(str), summary=st.none() | st.lists(_WORDS, max_size=12).map(" ".join),
       paragraphs=st.lists(st.lists(_WORDS, max_size=25).map(" ".join), max_size=6),
       captions=st.lists(st.lists(_WORDS, max_size=8).map(" ".join), max_size=3))
def test_translation_is_aligned_with_any_document(tiny_model_file, tmp_path_factory, title, summary, paragraphs, captions):
    translator = _shared_translator(tiny_model_file, tmp_path_factory)
    tr = translate_document(title, summary, paragraphs, captions, translator)
    assert tr.status == "ok"
    assert len(tr.paragraphs) == len(paragraphs)
    assert len(tr.captions) == len(captions)
    assert (tr.summary is None) == (summary is None)
    assert tr.title is not None
    for where, source, english in [("paragraphs", p, e) for p, e in zip(paragraphs, tr.paragraphs)] + \
                                  [("captions", c, e) for c, e in zip(captions, tr.captions)]:
        if not source.strip():
            assert english == source  # nothing to translate: nothing made up
    copied = {(u.where, u.index) for u in tr.untranslated}
    for i, (p, e) in enumerate(zip(paragraphs, tr.paragraphs)):
        if ("paragraphs", i) in copied:
            assert e == p


_TRANSLATORS: dict = {}


def _shared_translator(model_file, tmp_path_factory):
    """One installed tiny model for every hypothesis example (function-scoped fixtures are not reset
    between examples, so the test installs its own once, in its own packages folder)."""
    if "t" not in _TRANSLATORS:
        import os

        folder = tmp_path_factory.mktemp("argos-hypothesis")
        old = os.environ.get("ARGOS_PACKAGES_DIR")
        os.environ["ARGOS_PACKAGES_DIR"] = str(folder)
        try:
            _TRANSLATORS["t"] = Translator(install_from_file(model_file))
        finally:
            if old is None:
                os.environ.pop("ARGOS_PACKAGES_DIR", None)
            else:
                os.environ["ARGOS_PACKAGES_DIR"] = old
    return _TRANSLATORS["t"]


@pytest.mark.parametrize("drop", ["model/model.bin", "sentencepiece.model", "metadata-not-vi"])
def test_an_incomplete_or_foreign_package_file_is_refused_in_one_line_with_exit_2(drop, argos_dir, tiny_model_file,
                                                                                tmp_path):
    from typer.testing import CliRunner

    from vnclean.cli import app

    bad = tmp_path / "bad.argosmodel"
    with zipfile.ZipFile(tiny_model_file) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if drop == "metadata-not-vi" and item.filename.endswith("/metadata.json"):
                data = data.replace(b'"from_code": "vi"', b'"from_code": "fr"')
            elif item.filename.endswith("/" + drop):
                continue
            dst.writestr(item, data)
    said = CliRunner().invoke(app, ["model", "install", "--from", str(bad)])
    assert said.exit_code == 2
    assert len(said.output.strip().splitlines()) == 1
    assert ("not vi→en" if drop == "metadata-not-vi" else "is incomplete") in said.output
    assert find_model() is None  # nothing was unpacked
