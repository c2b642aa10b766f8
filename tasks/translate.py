"""Stage 4, translate offline: clean Vietnamese -> English with an installed Argos vi→en package.

The package's CTranslate2 model is run directly (argostranslate's own ``translate()`` needs
stanza/torch and downloads a sentence splitter at run time, which fails offline). Tokenising is
argostranslate's own: ``argostranslate.package.Package(path).tokenizer``, SentencePiece
(``sentencepiece.model``) or BPE (``bpe.model``: Moses normalisation and tokenisation, then
subword-nmt BPE, as in converted OPUS-MT packages); a package's ``target_prefix`` is given to
the model and taken off its output; a ``stanza/`` folder in the package is not used (vnclean has
its own sentence splitter), and nothing on this path imports stanza or torch. Decoding settings
are argostranslate's (``apply_packaged_translation``: beam max(1, ARGOS_BEAM_SIZE=4),
length_penalty 0.2, replace_unknowns, one hypothesis), so a paragraph translates to exactly what
argostranslate would produce with the same splitter; what changes is batching (by examples,
which is where the speed is on CPU), a Vietnamese sentence splitter, and a translation memory.

The sentence splitter is tasks/sentences.py.
"""
from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from vnclean.tasks.argos import InstalledModel, ModelError, find_model
from vnclean.tasks.article import Article
from vnclean.tasks.ingest import vietnamese_ratio
from vnclean.tasks.models import Translation, Untranslated
from vnclean.tasks.sentences import split_sentences
from vnclean.tasks.write import open_sqlite, recover_damaged

T = TypeVar("T")

MISSING_MODEL = ("no vi→en translation model installed: run `vnclean model install` (online) or "
                 "`vnclean model install --from FILE.argosmodel`")
MAX_PIECES = 1000  # CTranslate2 silently truncates inputs over 1024 pieces

# ---------------------------------------------------------------------------------------------
# Translation memory


_MEMORY_SCHEMA = ("CREATE TABLE IF NOT EXISTS memory (model TEXT, source TEXT, pieces TEXT, "
                  "PRIMARY KEY (model, source))")


class TranslationMemory:
    """SQLite cache: (model id, exact source sentence) -> target pieces.

    A memory damaged on any page (``PRAGMA quick_check`` when it is opened, or the first error a
    read or write meets) is set aside beside itself with a timestamped name and started again:
    a damaged cache costs model calls, never translations. A full or read-only disk raises
    :class:`vnclean.tasks.write.OutputUnwritable` (the run stops)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        if path is None:
            self._db = sqlite3.connect(":memory:", check_same_thread=False)
            self._db.execute(_MEMORY_SCHEMA)
        else:
            self._db = open_sqlite(path, _MEMORY_SCHEMA)

    def _guard(self, action: Callable[[], T]) -> T:
        """``action`` (called with the lock held), once more on a fresh memory if this one is damaged."""
        try:
            return action()
        except sqlite3.Error as err:
            self._db = recover_damaged(err, self.path, self._db, _MEMORY_SCHEMA)
            return action()

    def get_many(self, model: str, sources: list[str]) -> dict[str, list[str]]:
        def read() -> dict[str, list[str]]:
            found: dict[str, list[str]] = {}
            for i in range(0, len(sources), 500):
                chunk = sources[i:i + 500]
                marks = ",".join("?" * len(chunk))
                for source, pieces in self._db.execute(
                        f"SELECT source, pieces FROM memory WHERE model = ? AND source IN ({marks})",
                        [model, *chunk]):
                    found[source] = pieces.split(" ") if pieces else []
            return found

        with self._lock:
            return self._guard(read)

    def put_many(self, model: str, items: dict[str, list[str]]) -> None:
        def write() -> None:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO memory VALUES (?, ?, ?)",
                                     [(model, s, " ".join(p)) for s, p in items.items()])

        with self._lock:
            self._guard(write)

    def close(self) -> None:
        self._db.close()


# ---------------------------------------------------------------------------------------------
# The translator


def _argos_settings() -> dict:
    from argostranslate import settings

    return {"beam_size": max(1, settings.beam_size), "compute_type": settings.compute_type,
            "device": settings.device}


@dataclass
class Stats:
    sentences: int = 0
    hits: int = 0
    misses: int = 0
    model_calls: int = 0


class Translator:
    """Loads one vi→en package once and translates many sentences per model call."""

    def __init__(self, model: InstalledModel, memory: TranslationMemory | None = None,
                 batch_size: int = 32, threads: int | None = None, exact: bool = True,
                 replicas: int | None = None) -> None:
        import ctranslate2

        self.model = model
        self.tokenizer = load_tokenizer(model.path)
        from argostranslate.package import Package

        self.target_prefix = Package(model.path).target_prefix or ""
        opts = _argos_settings()
        self.beam_size = opts["beam_size"]
        self.batch_size = batch_size
        self.exact = exact
        # Parallelism across batches, not inside one: by default ``threads`` model replicas sharing
        # the weights, one thread each, every batch posted at once. Inside one batch of a few
        # equal-length sentences, intra-op threads mostly wait for each other (benchmarks/translate.py
        # --layouts compares; outputs are the same).
        self.threads = threads or int(os.environ.get("VNCLEAN_TRANSLATE_THREADS", os.cpu_count() or 1))
        self.replicas = replicas or self.threads
        self.ct2 = ctranslate2.Translator(str(model.path / "model"), device=opts["device"],
                                          compute_type=opts["compute_type"], inter_threads=self.replicas,
                                          intra_threads=max(1, self.threads // self.replicas))
        self.memory = memory or TranslationMemory(None)
        self.stats = Stats()
        self._lock = threading.Lock()

    @property
    def id(self) -> str:
        return self.model.id

    # -- pieces -------------------------------------------------------------------------------
    def encode(self, sentence: str) -> list[list[str]]:
        """The package tokenizer's pieces, split into chunks CTranslate2 will not truncate."""
        pieces = self.tokenizer.encode(sentence)
        return [pieces[i:i + MAX_PIECES] for i in range(0, len(pieces), MAX_PIECES)] or [[]]

    def decode(self, pieces: list[str]) -> str:
        """argostranslate's decoding of a paragraph's pieces (the package tokenizer's ``decode``,
        then the target prefix and a leading space taken off), exactly."""
        value = self.tokenizer.decode(pieces)
        if self.target_prefix and value.startswith(self.target_prefix):
            value = value[len(self.target_prefix):]
        return value[1:] if value.startswith(" ") else value

    def _batches(self, lengths: list[int]) -> list[list[int]]:
        """Indices grouped into model calls of at most ``batch_size``, shortest first.

        Exact mode (the default) puts only inputs of the same length in a batch: no padding, so
        every sentence gets exactly the output it gets alone (measured: with padding, 1 sentence
        in 45 decoded differently on a transformer-base int8 model). ``exact=False`` batches
        neighbouring lengths together: fewer, fuller batches, rarely different output, and no
        faster once batches run in parallel (benchmarks/translate.py: 4.1 vs 5.4 sentences/s).
        """
        order = sorted(range(len(lengths)), key=lambda i: lengths[i])
        batches: list[list[int]] = []
        for i in order:
            if batches and len(batches[-1]) < self.batch_size and (
                    not self.exact or lengths[batches[-1][0]] == lengths[i]):
                batches[-1].append(i)
            else:
                batches.append([i])
        return batches

    def _run_batches(self, batches: list[list[list[str]]]) -> list[list[list[str]]]:
        """Target pieces for each batch of piece lists. All batches are posted at once and the
        model's replicas take them in parallel; each batch is decoded as if it were alone."""
        kwargs = dict(replace_unknowns=True, max_batch_size=self.batch_size, batch_type="examples",
                      beam_size=self.beam_size, num_hypotheses=1, length_penalty=0.2, asynchronous=True)
        # No lock: CTranslate2 queues the batches of concurrent callers (documents translated by
        # several task threads) on the same replicas, so they share the cores with no idle tail.
        pending = [self.ct2.translate_batch(
            batch, target_prefix=[[self.target_prefix]] * len(batch) if self.target_prefix else None,
            **kwargs) for batch in batches]
        outputs = [[self._without_prefix(r.result().hypotheses[0]) for r in results] for results in pending]
        with self._lock:
            self.stats.model_calls += len(batches)
        return outputs

    def _without_prefix(self, pieces: list[str]) -> list[str]:
        """A sentence's output without the target prefix CTranslate2 returns in front of it: a
        paragraph's sentences are decoded together, and only its first would lose the prefix in
        the text (argostranslate keeps the later ones: its only difference from vnclean)."""
        if self.target_prefix and pieces[:1] == [self.target_prefix]:
            return pieces[1:]
        return pieces

    def _run_model(self, batch: list[list[str]]) -> list[list[str]]:
        """One model call (the reference path: one batch, alone)."""
        return self._run_batches([batch])[0]

    def translate_pieces(self, sentences: list[str], counts: Stats | None = None) -> list[list[str]]:
        """Target pieces for each sentence: from the memory, or the model in batches.

        A miss is a distinct sentence sent to the model; every other sentence is a hit (served from
        the memory, or a repeat within the call). ``counts`` receives this call's numbers.
        """
        unique = list(dict.fromkeys(sentences))
        known = self.memory.get_many(self.id, unique)
        todo = [s for s in unique if s not in known]
        with self._lock:
            for stats in filter(None, (self.stats, counts)):
                stats.sentences += len(sentences)
                stats.misses += len(todo)
                stats.hits += len(sentences) - len(todo)
        if todo:
            chunks = [(s, c) for s in todo for c in self.encode(s)]
            outputs: list[list[str]] = [[] for _ in chunks]
            groups = self._batches([len(c) for _, c in chunks])
            batches = self._run_batches([[chunks[j][1] for j in idx] for idx in groups])
            for idx, results in zip(groups, batches, strict=False):
                for j, out in zip(idx, results, strict=False):
                    outputs[j] = out
            fresh: dict[str, list[str]] = {}
            for (source, _), out in zip(chunks, outputs, strict=False):
                fresh.setdefault(source, []).extend(out)
            self.memory.put_many(self.id, fresh)
            known.update(fresh)
        return [known[s] for s in sentences]

    def translate_texts(self, texts: list[str], counts: Stats | None = None) -> list[str]:
        """Translate paragraphs: split into sentences, translate all at once, reassemble each
        paragraph by decoding its sentences' pieces together, as argostranslate does."""
        per_text = [split_sentences(t) for t in texts]
        flat = [s for sentences in per_text for s in sentences]
        pieces = self.translate_pieces(flat, counts)
        out, k = [], 0
        for sentences in per_text:
            joined: list[str] = []
            for _ in sentences:
                joined.extend(pieces[k])
                k += 1
            out.append(self.decode(joined))
        return out


def load_tokenizer(package_path: Path):
    """argostranslate's tokenizer for the package at ``package_path`` (``Package.tokenizer``:
    SentencePiece when the package has ``sentencepiece.model``, else BPE from ``bpe.model``),
    loaded now, so that a broken file fails here and threads never race its lazy loading."""
    from argostranslate.package import Package
    from argostranslate.tokenizer import BPETokenizer

    tokenizer = getattr(Package(package_path), "tokenizer", None)
    if tokenizer is None:
        raise FileNotFoundError(f"{package_path} has no sentencepiece.model or bpe.model")
    if isinstance(tokenizer, BPETokenizer):
        tokenizer.lazy_load()
    else:
        tokenizer.lazy_processor()
    return tokenizer


_TRANSLATORS: dict[tuple, Translator] = {}
_TRANSLATORS_LOCK = threading.Lock()


def get_translator(memory_path: Path | None, model: str | None = None) -> Translator | None:
    """The process-wide translator of the package in use (``model``, CODE-VERSION, else
    ``VNCLEAN_MODEL``, else the newest: :func:`vnclean.tasks.argos.find_model`), loaded once per
    process/worker; None when no vi→en package is installed."""
    found = find_model(model)
    if found is None:
        return None
    key = (str(found.path), found.version, str(memory_path))
    with _TRANSLATORS_LOCK:
        if key not in _TRANSLATORS:
            _TRANSLATORS[key] = Translator(found, TranslationMemory(memory_path))
        return _TRANSLATORS[key]


def load_translator(memory_path: Path | None, model: str | None = None) -> tuple[Translator | None, str | None]:
    """``get_translator``, with a model that cannot be loaded (a broken or partly copied package,
    or one this worker does not have) turned into a reason for the documents instead of an
    exception that would stop the run."""
    try:
        return get_translator(memory_path, model), None
    except ModelError as err:  # the package asked for is not installed where this runs
        return None, str(err)
    except Exception as err:  # noqa: BLE001 - reported on every document and in the run summary
        try:
            found = find_model(model)
        except ModelError:
            found = None
        where = f" at {found.path}" if found else ""
        return None, (f"the vi→en model{where} could not be loaded ({type(err).__name__}: {err}); "
                      "reinstall it with `vnclean model install --from FILE.argosmodel`")


def is_vietnamese_text(text: str) -> bool | None:
    """True/False when sure, None when the text is too short to tell.

    Vietnamese marks a quarter to a third of its letters (0.27 for "Toàn cảnh hội nghị"); French
    or Spanish accents a few (0.07 for a French sentence), so those go to the language model.
    """
    ratio = vietnamese_ratio(text)
    if ratio > 0.15:
        return True
    from vnclean.tasks.langid import detect_language, script_language

    if script_language(text):  # Chinese, Japanese, Korean: told by the script, whatever the length
        return False
    if len(text.split()) < 6:
        return True if ratio > 0.05 else None

    return detect_language(text) == "vi"


def translate_document(title: str, summary: str | None, paragraphs: list[str], captions: list[str],
                       translator: Translator | None, language: str | None = None) -> Translation:
    """English aligned 1:1 with the Vietnamese fields. Text that is not Vietnamese is copied as it
    is and listed in ``untranslated`` with its language (English needs no translation; any other
    language is for the reviewer).

    ``language`` is the document's, decided on its whole text: a field too short to tell on its
    own (a three-word title, a short caption) goes with it, so the short English title of an
    English document is copied like its paragraphs, not sent to the vi→en model."""
    if translator is None:
        return Translation(status="missing-model", detail=MISSING_MODEL)
    article = Article(title, summary, tuple(paragraphs), tuple(captions))
    places = list(article.fields())
    texts = [p.text for p in places]
    document_vietnamese = language in (None, "vi", "und")  # unknown: send what may be Vietnamese

    def for_model(text: str) -> bool:
        verdict = is_vietnamese_text(text)
        return document_vietnamese if verdict is None else verdict

    to_model = [i for i, t in enumerate(texts) if t.strip() and for_model(t)]
    counts = Stats()
    english = list(texts)  # non-Vietnamese text is kept as it is
    for i, out in zip(to_model, translator.translate_texts([texts[i] for i in to_model], counts), strict=False):
        english[i] = out
    from vnclean.tasks.langid import detect_language

    sent = set(to_model)
    def language_of(text: str) -> str:
        found = detect_language(text)
        return language if found == "und" and language else found

    untranslated = [Untranslated(where=p.where, index=p.index, language=language_of(p.text))
                    for k, p in enumerate(places) if p.text.strip() and k not in sent]
    en = article.with_texts(english)
    return Translation(
        status="ok", model=translator.id, title=en.title, summary=en.summary,
        paragraphs=list(en.paragraphs), captions=list(en.captions),
        detail=_copied_detail(untranslated), untranslated=untranslated,
        cache_hits=counts.hits, cache_misses=counts.misses)


def _copied_detail(untranslated: list[Untranslated]) -> str | None:
    """ "2 English texts copied; 1 text in zh copied untranslated" """
    if not untranslated:
        return None
    english = sum(u.language == "en" for u in untranslated)
    others: dict[str, int] = {}
    for u in untranslated:
        if u.language != "en":
            others[u.language] = others.get(u.language, 0) + 1
    parts = [f"{english} English text{'s' * (english != 1)} copied"] if english else []
    parts += [f"{n} text{'s' * (n != 1)} in {lang} copied untranslated" for lang, n in sorted(others.items())]
    return "; ".join(parts)
