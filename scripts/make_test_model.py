"""Build a real Argos Translate vi→en package from seeded random weights (no torch, no download).

The package has everything a published one has — metadata.json, a tokenizer trained on the given
Vietnamese text, a CTranslate2 Transformer (from ``ctranslate2.specs``) — so every code path that
loads, batches, caches and decodes runs for real. Its English is nonsense: use it to test plumbing
and determinism, and (at transformer-base size) to measure compute.

Two tokenizers, the two argostranslate's ``Package`` reads:
  sentencepiece  ``sentencepiece.model``, a unigram SentencePiece model (Argos's own packages)
  bpe            ``bpe.model``, subword-nmt BPE codes (the package layout argostranslate reads for
                 converted OPUS-MT models) learned with subword-nmt's ``learn_bpe`` — the
                 implementation whose ``apply_bpe`` argostranslate vendors — on the text as
                 argostranslate's BPETokenizer prepares it (sacremoses normalisation and
                 tokenisation); the model's vocabulary is every BPE unit of that text.
``--target-prefix TOKEN`` adds a target prefix (metadata ``target_prefix``, a vocabulary token);
``--stanza`` adds a ``stanza/`` folder as older packages carry (vnclean must ignore it).
``--version`` and ``--code`` (metadata ``package_version`` and ``code``) name the package: vnclean
calls it CODE-VERSION (``translate-vi_en-0.0.1-test`` by default).

    python scripts/make_test_model.py --out /tmp/tiny.argosmodel                     # tiny, ~1 s
    python scripts/make_test_model.py --out /tmp/bpe.argosmodel --tokenizer bpe      # tiny, BPE
    python scripts/make_test_model.py --out /tmp/base.argosmodel --size base         # like vi→en 1.x

Same arguments, same bytes of model weights: the random generator is seeded.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SIZES = {
    # d_model, heads, encoder/decoder layers, ffn, tokenizer vocab (SentencePiece pieces or BPE merges), model vocab (padded)
    # std/eos_bias: weight scale and end-of-sentence bias, tuned so outputs depend on the input and
    # have about the length of a real translation (a random model otherwise stops at once or at 256)
    # (a BPE model's vocabulary is whole frequent words: its tiny size needs larger weights)
    "tiny": dict(d_model=32, heads=2, layers=1, ffn=64, vocab=300, model_vocab=300, std=0.3, eos_bias=4.0,
                 bpe=dict(std=1.0, eos_bias=5.0)),
    # the published argos vi→en package is a transformer-base (6+6 layers, 512, 8 heads, 2048 FFN)
    "base": dict(d_model=512, heads=8, layers=6, ffn=2048, vocab=2000, model_vocab=32000, std=0.05, eos_bias=3.5,
                 bpe=dict(eos_bias=4.25)),
}
TOKENIZERS = ("sentencepiece", "bpe")


def corpus_lines(corpus: list[Path]) -> list[str]:
    text = "\n".join(p.read_text(encoding="utf-8") for p in corpus)
    return [line.strip() for line in text.splitlines() if line.strip()]


def train_sentencepiece(corpus: list[Path], vocab: int, out_dir: Path) -> list[str]:
    """``sentencepiece.model`` in ``out_dir``; returns its pieces (the model's vocabulary)."""
    import sentencepiece as spm

    lines = corpus_lines(corpus)
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_writer=model, vocab_size=vocab, model_type="unigram",
        character_coverage=1.0, num_threads=1, seed_sentencepiece_size=100000, shuffle_input_sentence=False,
        hard_vocab_limit=False, bos_id=-1, eos_id=2, unk_id=0, pad_id=-1, minloglevel=2)
    path = out_dir / "sentencepiece.model"
    path.write_bytes(model.getvalue())
    sp = spm.SentencePieceProcessor(model_file=str(path))
    return [sp.id_to_piece(i) for i in range(sp.get_piece_size())]


def train_bpe(corpus: list[Path], merges: int, out_dir: Path) -> list[str]:
    """``bpe.model`` (subword-nmt BPE codes) in ``out_dir``, learned on the corpus tokenised the
    way argostranslate's BPETokenizer tokenises (sacremoses, language ``vi``); returns the BPE
    units of the corpus, most frequent first, after ``<unk>``, ``<s>`` and ``</s>``."""
    from collections import Counter

    from argostranslate.apply_bpe import BPE
    from sacremoses.normalize import MosesPunctNormalizer
    from sacremoses.tokenize import MosesTokenizer
    from subword_nmt.learn_bpe import learn_bpe

    normalizer, tokenizer = MosesPunctNormalizer("vi"), MosesTokenizer("vi")
    tokenised = [" ".join(tokenizer.tokenize(normalizer.normalize(line))) for line in corpus_lines(corpus)]
    codes = io.StringIO()
    with contextlib.redirect_stderr(io.StringIO()):  # learn_bpe's progress bar
        learn_bpe(io.StringIO("\n".join(tokenised) + "\n"), codes, merges, min_frequency=2)
    path = out_dir / "bpe.model"
    path.write_text(codes.getvalue(), encoding="utf-8")
    codes.seek(0)
    bpe = BPE(codes)
    units = Counter(unit for line in tokenised for unit in bpe.segment_tokens(line.split(" ")))
    return ["<unk>", "<s>", "</s>"] + [u for u, _ in sorted(units.items(), key=lambda x: (-x[1], x[0]))]


def build_spec(tokens: list[str], d_model: int, heads: int, layers: int, ffn: int, seed: int,
               std: float = 0.05, eos_bias: float = 2.5):
    from ctranslate2.specs import model_spec, transformer_spec

    spec = transformer_spec.TransformerSpec.from_config(num_layers=(layers, layers), num_heads=heads)
    rng = np.random.default_rng(seed)
    vocab = len(tokens)
    eos = tokens.index("</s>")

    def fill(layer, name, value):
        if value is not None:
            return
        attr = name.rsplit("/", 1)[-1]
        path = name
        if "embeddings" in path:
            shape = (vocab, d_model)
        elif path.endswith("gamma"):
            setattr(layer, attr, np.ones(d_model, dtype=np.float32))
            return
        elif path.endswith("beta"):
            setattr(layer, attr, np.zeros(d_model, dtype=np.float32))
            return
        elif "projection" in path:
            shape = (vocab, d_model)
        elif "self_attention/linear_0" in path:
            shape = (3 * d_model, d_model)
        elif "/attention/linear_1" in path:
            shape = (2 * d_model, d_model)
        elif "ffn/linear_0" in path:
            shape = (ffn, d_model)
        elif "ffn/linear_1" in path:
            shape = (d_model, ffn)
        else:
            shape = (d_model, d_model)
        setattr(layer, attr, rng.normal(0.0, std, size=shape).astype(np.float32))
        if attr == "weight" and hasattr(layer, "bias") and isinstance(layer.bias, str):
            bias = rng.normal(0.0, 0.05, size=shape[0]).astype(np.float32)
            if "projection" in path:
                bias[eos] = eos_bias  # end a sentence after a plausible number of tokens
            layer.bias = bias

    model_spec.visit_spec(spec, fill)
    spec.register_source_vocabulary(tokens)
    spec.register_target_vocabulary(tokens)
    return spec


def build_package(out: Path, size: str = "tiny", corpus: list[Path] | None = None, seed: int = 1234,
                  version: str = "0.0.1-test", quantization: str | None = "int8", tokenizer: str = "sentencepiece",
                  target_prefix: str = "", stanza: bool = False, folder_name: str | None = None,
                  from_code: str = "vi", to_code: str = "en", code: str = "") -> Path:
    dims = {**SIZES[size], **SIZES[size].get(tokenizer, {})}
    corpus = corpus or sorted((ROOT / "input").glob("*.txt"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / (folder_name or f"translate-{from_code}_{to_code}-{version}")
        folder.mkdir()
        if tokenizer == "sentencepiece":
            tokens = train_sentencepiece(corpus, dims["vocab"], folder)
            filler = "▁filler{}"
        elif tokenizer == "bpe":
            tokens = train_bpe(corpus, dims["vocab"], folder)
            filler = "filler{}"
        else:
            raise ValueError(f"tokenizer {tokenizer!r}: one of {TOKENIZERS}")
        if "<s>" not in tokens:
            tokens.append("<s>")
        if target_prefix and target_prefix not in tokens:
            tokens.append(target_prefix)
        tokens += [filler.format(i) for i in range(dims["model_vocab"] - len(tokens))]
        spec = build_spec(tokens, dims["d_model"], dims["heads"], dims["layers"], dims["ffn"], seed,
                          dims["std"], dims["eos_bias"])
        spec.validate()
        spec.optimize(quantization=quantization)
        (folder / "model").mkdir()
        spec.save(str(folder / "model"))
        meta = {
            "package_version": version, "argos_version": "1.11.0", "from_code": from_code,
            "from_name": "Vietnamese", "to_code": to_code, "to_name": "English", "type": "translate",
            "links": [], "description": f"vnclean test model ({size}, {tokenizer}, random weights, seed {seed})",
        }
        if target_prefix:
            meta["target_prefix"] = target_prefix
        if code:  # argostranslate's optional package code (vnclean names a package CODE-VERSION)
            meta["code"] = code
        (folder / "metadata.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        if stanza:  # the layout of a package's stanza sentence splitter (not a working model)
            (folder / "stanza" / "vi").mkdir(parents=True)
            (folder / "stanza" / "resources.json").write_text("{}", encoding="utf-8")
            (folder / "stanza" / "vi" / "tokenize").mkdir()
            (folder / "stanza" / "vi" / "tokenize" / "vtb.pt").write_bytes(b"not a torch file")
        (folder / "README.md").write_text(
            f"vnclean test package: {size} Transformer with seeded random weights. Output is nonsense.\n",
            encoding="utf-8")
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp_zip = out.with_suffix(".partial")
        with zipfile.ZipFile(tmp_zip, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(folder.rglob("*")):
                if file.is_file():
                    archive.write(file, file.relative_to(Path(tmp)).as_posix())
        shutil.move(tmp_zip, out)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="the .argosmodel file to write")
    ap.add_argument("--size", choices=sorted(SIZES), default="tiny")
    ap.add_argument("--corpus", type=Path, nargs="*", help="Vietnamese text for SentencePiece (default: input/*.txt)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--version", default="0.0.1-test")
    ap.add_argument("--quantization", default="int8", help="int8, int8_float32, float16 or none")
    ap.add_argument("--tokenizer", choices=TOKENIZERS, default="sentencepiece",
                    help="sentencepiece.model, or bpe.model (subword-nmt codes learned from the corpus)")
    ap.add_argument("--target-prefix", default="", help="a target prefix token, as in metadata.json")
    ap.add_argument("--stanza", action="store_true", help="add a stanza/ folder (to be ignored)")
    ap.add_argument("--code", default="", help="metadata code (default none: vnclean says translate-vi_en)")
    args = ap.parse_args()
    q = None if args.quantization == "none" else args.quantization
    path = build_package(args.out, args.size, args.corpus, args.seed, args.version, q, args.tokenizer,
                         args.target_prefix, args.stanza, code=args.code)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
