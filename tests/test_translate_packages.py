"""Every package shape argostranslate's ``Package`` reads: SentencePiece or BPE tokenizer, a
``target_prefix``, a ``stanza/`` folder. vnclean's batched output must equal argostranslate's own
``apply_packaged_translation`` (given vnclean's sentence splitter), paragraph by paragraph."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from vnclean.tasks.argos import install_from_file
from vnclean.tasks.translate import Translator, load_translator, split_sentences

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def bpe_model_file(tmp_path_factory) -> Path:
    from make_test_model import build_package

    return build_package(tmp_path_factory.mktemp("bpe") / "translate-vi_en-bpe.argosmodel", "tiny", tokenizer="bpe")


@pytest.fixture(scope="session")
def prefixed_model_file(tmp_path_factory) -> Path:
    """A BPE package with a target prefix and a stanza/ folder, like converted multilingual models."""
    from make_test_model import build_package

    return build_package(tmp_path_factory.mktemp("prefixed") / "translate-vi_en-prefixed.argosmodel", "tiny",
                         tokenizer="bpe", target_prefix="__en__", stanza=True)


@pytest.fixture
def apply_packaged_translation():
    """argostranslate's own function. ``argostranslate.translate`` imports stanza and minisbd at
    the top (not installed here, see README); the function uses neither when given a splitter, so
    empty stand-ins are put in ``sys.modules`` for the import, and taken out again afterwards with
    the argostranslate modules that import added."""
    before = set(sys.modules)
    for name in ("stanza", "minisbd"):
        stub = types.ModuleType(name)
        stub.SBDetect = None
        stub.models = types.SimpleNamespace(cache_dir="", list_models=lambda: [])
        sys.modules[name] = stub
    from argostranslate.translate import apply_packaged_translation

    yield apply_packaged_translation
    for name in set(sys.modules) - before:
        if name in ("stanza", "minisbd") or name.startswith("argostranslate."):
            del sys.modules[name]


class _Splitter:  # argostranslate's sentencizer interface, with vnclean's splitter
    def split_sentences(self, text: str) -> list[str]:
        return split_sentences(text)


def _argos_reference(model, paragraphs: list[str], apply_packaged_translation) -> list[str]:
    """What argostranslate makes of each paragraph: its Package (tokenizer, target prefix), a
    CTranslate2 translator with its settings (one thread: threads change the speed, not the
    output), one call per paragraph."""
    import ctranslate2
    from argostranslate import settings
    from argostranslate.package import Package

    package = Package(model.path)
    ct2 = ctranslate2.Translator(str(model.path / "model"), device=settings.device, compute_type=settings.compute_type,
                                 inter_threads=1, intra_threads=1)
    return [apply_packaged_translation(package, p, ct2, _Splitter(), num_hypotheses=1)[0].value for p in paragraphs]


def _seed_paragraphs(seed_paths) -> list[str]:
    """Every line of the seeds long enough to be a paragraph (70 lines, 86 sentences; 9 lines of several)."""
    return [line for p in seed_paths for line in p.read_text(encoding="utf-8").splitlines() if len(line) > 60]


@pytest.mark.parametrize("shape", ["sentencepiece", "bpe"])
def test_batched_output_equals_argostranslate_paragraph_by_paragraph(shape, request, argos_dir, seed_paths,
                                                                      apply_packaged_translation):
    model_file = request.getfixturevalue("tiny_model_file" if shape == "sentencepiece" else "bpe_model_file")
    model = install_from_file(model_file)
    assert (model.path / ("sentencepiece.model" if shape == "sentencepiece" else "bpe.model")).is_file()
    paragraphs = _seed_paragraphs(seed_paths)
    translator = Translator(model, batch_size=32)
    ours = translator.translate_texts(paragraphs)
    theirs = _argos_reference(model, paragraphs, apply_packaged_translation)
    assert [i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b] == []
    # the comparison means something: several sentences per paragraph, batched, input-dependent output
    assert sum(len(split_sentences(p)) > 1 for p in paragraphs) >= 8
    assert translator.stats.model_calls < translator.stats.misses
    assert len(set(ours)) > len(ours) // 2
    if shape == "bpe":  # words really cut into BPE units, and the English Moses-detokenised
        pieces = [piece for p in paragraphs for piece in translator.encode(p)[0]]
        assert any(piece.endswith("@@") for piece in pieces)
        assert not any("@@ " in text or "▁" in text for text in ours)


def test_target_prefix_is_given_and_taken_off_and_stanza_ignored(prefixed_model_file, argos_dir, seed_paths,
                                                                 apply_packaged_translation):
    """A one-sentence paragraph is exactly argostranslate's; in a longer one argostranslate leaves
    the prefix of every sentence after the first in the English, vnclean takes each off."""
    model = install_from_file(prefixed_model_file)
    assert (model.path / "stanza").is_dir()
    translator = Translator(model)
    assert translator.target_prefix == "__en__"
    paragraphs = _seed_paragraphs(seed_paths)
    ours = translator.translate_texts(paragraphs)
    theirs = _argos_reference(model, paragraphs, apply_packaged_translation)
    single = [i for i, p in enumerate(paragraphs) if len(split_sentences(p)) == 1]
    assert len(single) > 40
    assert [ours[i] for i in single] == [theirs[i] for i in single]
    assert not any("__en__" in text for text in ours)
    multi = [i for i in range(len(paragraphs)) if i not in single]
    assert any("__en__" in theirs[i] for i in multi)  # what vnclean does not copy
    # the prefix reached the model: without it the same model says something else
    bare = Translator(model)
    bare.target_prefix = ""
    assert bare.translate_texts([paragraphs[i] for i in single]) != [ours[i] for i in single]


def test_no_stanza_or_torch_import_on_any_path(prefixed_model_file, tmp_path):
    """Install, load and translate with a package that carries a stanza/ folder, in a fresh
    interpreter: neither stanza, torch, spacy nor minisbd is imported."""
    code = f"""
import json, os, sys
os.environ["ARGOS_PACKAGES_DIR"] = {str(tmp_path / "argos")!r}
sys.path.insert(0, {str(ROOT)!r})
from vnclean.tasks.argos import install_from_file
from vnclean.tasks.translate import translate_document, load_translator
install_from_file({str(prefixed_model_file)!r})
translator, error = load_translator(None)
tr = translate_document("Bộ trưởng hai nước hội đàm", None, ["Hai bên nhất trí. Ông nói thêm."], [], translator)
print(json.dumps([tr.status, error, sorted(m for m in sys.modules
                                          if m.split(".")[0] in ("stanza", "torch", "spacy", "minisbd"))]))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == ["ok", None, []]


def test_a_package_without_tokenizer_is_a_reason_not_a_crash(tiny_model, monkeypatch):
    (tiny_model.path / "sentencepiece.model").unlink()
    monkeypatch.setattr("vnclean.tasks.translate._TRANSLATORS", {})
    translator, error = load_translator(None)
    assert translator is None
    assert "has no sentencepiece.model or bpe.model" in error
    assert str(tiny_model.path) in error
