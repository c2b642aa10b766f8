"""Translation benchmark: sentences/s, side by side in one run, on a model of realistic size.

(a) argostranslate's own path: ``apply_packaged_translation`` once per paragraph (what its
    ``translate()`` does), with argostranslate's own CTranslate2 settings (inter 1, intra
    ARGOS_INTRA_THREADS=0 = library default) and vnclean's sentence splitter (``translate()``
    itself cannot run offline: its splitter downloads a model). stanza/minisbd are not
    installed here (see README), so empty stand-ins are put in ``sys.modules`` before the import;
    ``apply_packaged_translation`` uses neither when given a splitter.
(b) vnclean's stage: all paragraphs at once, batches of up to 32 equal-length sentences posted
    together to --threads model replicas (one thread each), one model load.
(c) (b) again with the translation memory warm.

The model is built by scripts/make_test_model.py at the dimensions of the published vi→en package
(transformer-base: 6+6 layers, d_model 512, 8 heads, FFN 2048, 32k vocabulary, int8) with seeded
random weights: its English is nonsense, its compute is real. Outputs of (a) and (b) are compared.

--tokenizer bpe runs the same on a package tokenised with BPE (``bpe.model``, subword-nmt codes
learned from the seeds: the shape of converted OPUS-MT packages) instead of SentencePiece.

With --layouts, one more row: (b) with one model replica using all --threads inside each batch
(CTranslate2 intra-op threads), against vnclean's default of one replica per thread.

Run: python benchmarks/translate.py [--paragraphs N] [--threads T] [--tokenizer bpe] [--layouts]
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]
CACHE = ROOT / "benchmarks" / ".cache"


def import_apply_packaged_translation():
    for name in ("stanza", "minisbd"):
        if name not in sys.modules:
            stub = types.ModuleType(name)
            stub.SBDetect = None
            stub.models = types.SimpleNamespace(cache_dir="", list_models=lambda: [])
            sys.modules[name] = stub
    from argostranslate.translate import apply_packaged_translation

    return apply_packaged_translation


def paragraphs_from_seeds(limit: int) -> list[str]:
    from vnclean.tasks.boilerplate import strip_boilerplate
    from vnclean.tasks.ingest import ingest_file
    from vnclean.tasks.repair import repair_document

    out = []
    for path in sorted((ROOT / "input").glob("*.txt")):
        s = strip_boilerplate(ingest_file(path).text)
        r = repair_document(s.title, s.summary, s.paragraphs, s.captions)
        out += [r.title] + ([r.summary] if r.summary else []) + r.paragraphs + r.captions
    return (out * (1 + limit // len(out)))[:limit]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paragraphs", type=int, default=60)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--size", default="base")
    ap.add_argument("--tokenizer", choices=("sentencepiece", "bpe"), default="sentencepiece")
    ap.add_argument("--layouts", action="store_true", help="also time 1 replica x T threads")
    args = ap.parse_args()

    from make_test_model import build_package

    suffix = "" if args.tokenizer == "sentencepiece" else f"-{args.tokenizer}"
    model_file = CACHE / f"translate-vi_en-{args.size}{suffix}.argosmodel"
    if not model_file.exists():
        t = time.perf_counter()
        build_package(model_file, args.size, tokenizer=args.tokenizer)
        print(f"built {model_file} in {time.perf_counter() - t:.1f} s")
    packages = Path(tempfile.mkdtemp(prefix="vnclean-bench-"))
    os.environ["ARGOS_PACKAGES_DIR"] = str(packages)
    from vnclean.tasks.argos import install_from_file
    from vnclean.tasks.translate import TranslationMemory, Translator, split_sentences

    model = install_from_file(model_file)
    paragraphs = paragraphs_from_seeds(args.paragraphs)
    # distinct text per repeat so the memory cannot help (a) or (b): a numbered prefix
    paragraphs = [f"{i}. {p}" if i >= len(set(paragraphs)) else p for i, p in enumerate(paragraphs)]
    n_sentences = sum(len(split_sentences(p)) for p in paragraphs)

    import ctranslate2
    from argostranslate import settings
    from argostranslate.package import Package

    apply_packaged_translation = import_apply_packaged_translation()

    class Splitter:
        def split_sentences(self, text: str) -> list[str]:
            return split_sentences(text)

    t = time.perf_counter()
    pkg = Package(model.path)
    argos_ct2 = ctranslate2.Translator(str(model.path / "model"), device=settings.device,
                                       inter_threads=settings.inter_threads, intra_threads=settings.intra_threads,
                                       compute_type=settings.compute_type)
    load_a = time.perf_counter() - t
    t = time.perf_counter()
    out_a = [apply_packaged_translation(pkg, p, argos_ct2, Splitter(), num_hypotheses=1)[0].value for p in paragraphs]
    secs_a = time.perf_counter() - t

    memory = TranslationMemory(packages / "tm.sqlite")
    t = time.perf_counter()
    ours = Translator(model, memory, batch_size=32, threads=args.threads)
    load_b = time.perf_counter() - t
    t = time.perf_counter()
    out_b = ours.translate_texts(paragraphs)
    secs_b = time.perf_counter() - t
    t = time.perf_counter()
    padded = Translator(model, None, batch_size=32, threads=args.threads, exact=False)
    out_p = padded.translate_texts(paragraphs)
    secs_p = time.perf_counter() - t
    secs_l = out_l = None
    if args.layouts:
        t = time.perf_counter()
        out_l = Translator(model, None, batch_size=32, threads=args.threads, replicas=1).translate_texts(paragraphs)
        secs_l = time.perf_counter() - t
    t = time.perf_counter()
    out_c = Translator(model, TranslationMemory(packages / "tm.sqlite"), threads=args.threads).translate_texts(paragraphs)
    secs_c = time.perf_counter() - t

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = {k: n_sentences / v for k, v in (("a", secs_a), ("b", secs_b), ("p", secs_p), ("c", secs_c),
                                            ("l", secs_l)) if v}
    sentences = [x for p in paragraphs for x in split_sentences(p)]
    made = ours.memory.get_many(ours.id, sentences)  # the model's output pieces, per sentence
    per_sentence = sum(len(made[x]) for x in sentences) / len(sentences)
    print(f"model: {args.size} ({model.size_bytes / 1e6:.0f} MB int8), tokenizer {args.tokenizer}, "
          f"{len(paragraphs)} paragraphs, {n_sentences} sentences ({per_sentence:.0f} output pieces per "
          f"sentence), {args.threads} threads for (b)/(c), cpu_count {os.cpu_count()}")
    print(f"{'path':<52}{'seconds':>9}{'sent/s':>9}{'× (a)':>8}")
    for key, label, secs in (("a", "(a) argostranslate apply_packaged_translation/para", secs_a),
                             ("b", "(b) vnclean batched stage (exact batches)", secs_b),
                             ("p", "(b') vnclean, padded batches (exact=False)", secs_p),
                             ("l", f"(b1) exact batches, 1 replica x {args.threads} threads", secs_l),
                             ("c", "(c) vnclean, warm translation memory", secs_c)):
        if secs is None:
            continue
        print(f"{label:<52}{secs:>9.2f}{rate[key]:>9.1f}{rate[key] / rate['a']:>8.1f}")
    same = sum(x == y for x, y in zip(out_a, out_b))
    print(f"outputs (a) == (b): {same}/{len(out_a)} paragraphs; (c) == (b): {out_c == out_b}; "
          f"(b') == (b): {sum(x == y for x, y in zip(out_p, out_b))}/{len(out_b)}"
          + (f"; (b1) == (b): {out_l == out_b}" if out_l is not None else ""))
    # Where (a) and (b) differ, the reference is each sentence translated alone (one model call each):
    # argostranslate itself batches a paragraph's sentences (batch_type tokens), vnclean's exact
    # batches never mix lengths.
    alone_ok = True
    for i, (a, b) in enumerate(zip(out_a, out_b)):
        if a != b:
            pieces = [x for sent in split_sentences(paragraphs[i]) for x in ours._run_model([ours.encode(sent)[0]])[0]]
            alone = ours.decode(pieces)
            alone_ok &= b == alone
            print(f"  paragraph {i}: (b) == each sentence alone: {b == alone}; (a) == alone: {a == alone}")
    print(f"model load: argostranslate-style {load_a:.2f} s, vnclean {load_b:.2f} s; peak RSS {peak_mb:.0f} MB")
    if not alone_ok or out_c != out_b or (out_l is not None and out_l != out_b):
        sys.exit(1)


if __name__ == "__main__":
    main()
