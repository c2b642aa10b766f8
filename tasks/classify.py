"""Strip pass 2, classify: which units are the article and which are the site around it.

Generic signals only, thresholds in ``data/strip/classify.toml``:

1. each unit alone (jusText's first pass): a unit mostly inside links is ``bad`` (navigation,
   teaser, share bar); a unit that recurs on many pages of its site is ``bad`` (the site's
   template); a short one is ``short``; a long one rich in Vietnamese stop words is ``good``, a
   medium one ``near-good``, one poor in them ``bad``;
2. context (jusText's second pass): ``short`` and ``near-good`` units take the class of their
   nearest good or bad neighbours, so a short sentence inside the article survives and a menu
   item outside it does not;
3. position: the article is the contiguous run of units with the highest score (good units add
   their words, bad ones subtract); what lies outside it is the site's, except for the title,
   dateline and byline just above it and a credit just below it (the assembler looks there);
4. repetition: a short unit inside that run which the page prints again outside it, far away (a
   menu in the header and the footer), is the site's; then the run is found again.

:func:`classify` explains itself: each unit gets its class and, when it is furniture, a reason
(``links``, ``site-template``, ``repeated``, ``menu-words``, ``few-stopwords``, ``context``,
``outside-article``).
"""
from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

from vnclean.tasks.blocks import Unit

DATA = Path(__file__).parent / "data" / "strip"
_PUNCT = ".,;:!?…\"'“”‘’()[]«»-–—/|*_#>"
_WORDS = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")


class Settings(BaseModel):
    """The classifier's thresholds (see the comments in classify.toml for each one's reason)."""

    model_config = ConfigDict(extra="forbid")
    max_link_density: float = Field(ge=0, le=1)
    length_low: int = Field(ge=1)
    length_high: int = Field(ge=1)
    stopwords_low: float = Field(ge=0, le=1)
    stopwords_high: float = Field(ge=0, le=1)
    page_stopwords_min: float = Field(ge=0, le=1)
    max_heading_distance: int = Field(ge=0)
    bad_penalty_min: float = Field(ge=0)
    bad_weight: float = Field(ge=0)
    short_penalty: float = Field(ge=0)
    menu_min_words: int = Field(ge=2)
    menu_capital_share: float = Field(gt=0, le=1)
    lead_window: int = Field(ge=0)
    tail_window: int = Field(ge=0)
    template_min_pages: int = Field(ge=2)
    template_min_share: float = Field(ge=0, le=1)
    template_max_words: int = Field(ge=1)
    repeat_min_distance: int = Field(ge=1)


SettingsModel = TypeVar("SettingsModel", bound=BaseModel)


def read_settings(model: type[SettingsModel], path: Path, what: str) -> SettingsModel:
    """A TOML file of thresholds, validated by ``model``; a clear error naming the file."""
    try:
        return model.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except Exception as err:  # noqa: BLE001 - re-raised with the file name
        raise ValueError(f"{what} {path} are invalid: {err}") from err


def alternation(phrases: Iterable[str]) -> str:
    """The phrases of a word list as one regex alternation: each escaped, the longest first (so a
    phrase is read whole, not cut at a shorter phrase it begins with: "Ảnh minh họa", not "Ảnh").

    >>> print(alternation(["Ảnh", "Ảnh minh họa", "P.V"]))
    Ảnh\\ minh\\ họa|Ảnh|P\\.V
    """
    return "|".join(map(re.escape, sorted(phrases, key=len, reverse=True)))


@functools.cache
def load_settings(path: Path = DATA / "classify.toml") -> Settings:
    return read_settings(Settings, path, "classifier settings")


@functools.cache
def load_stopwords(path: Path = DATA / "stopwords_vi.txt") -> frozenset[str]:
    words = frozenset(line.strip() for line in path.read_text(encoding="utf-8").splitlines()
                      if line.strip() and not line.startswith("#"))
    if not words:
        raise ValueError(f"{path} has no stop words: the classifier would call every text furniture")
    return words


STOPWORD_LISTS = ("stopwords_vi.txt", "stopwords_en.txt")


def page_stopwords(units: list[Unit], settings: Settings | None = None) -> frozenset[str]:
    """The stop-word list of the page's language: the one that covers most of its words, or none
    (an empty set: stop words are not used) when no list reaches ``page_stopwords_min``.

    >>> from vnclean.tasks.blocks import read_text
    >>> en = page_stopwords(read_text("The storm hit the coast on Sunday and it was the worst in years.").units)
    >>> "the" in en, "của" in en
    (True, False)
    """
    s = settings or load_settings()
    words = _WORDS.findall(" ".join(u.text for u in units if u.text).lower())  # once for every list
    best: frozenset[str] = frozenset()
    share = 0.0
    for name in STOPWORD_LISTS:
        stops = load_stopwords(DATA / name)
        density = sum(map(stops.__contains__, words)) / len(words) if words else 0.0
        if density > share:
            best, share = stops, density
    return best if share >= s.page_stopwords_min else frozenset()


def unit_key(text: str) -> str:
    """Comparison key of a unit's text (templates, repetition): case-folded, single-spaced."""
    return " ".join(text.casefold().split()).strip(_PUNCT + " ")


_SENTENCE_STOPS = (".", "!", "?", "…", ".\"", ".”", "?”", "!”", ":", ";")


def capital_share(text: str) -> float:
    """Share of the words (letters first) that start with a capital: menus, section names and
    footer labels are Title Case ("Thời sự Quốc tế Kinh tế Sức khỏe"); Vietnamese prose capitalises
    a sentence's first word and names (0.1-0.3). Vietnamese stop words do not tell them apart: the
    list's syllables ("sự", "tế", "động") are menu words too.

    >>> round(capital_share("Thời sự Quốc tế Lao động Bạn đọc Kinh tế Sức khỏe"), 2)
    0.5
    >>> round(capital_share("Chiều 7/9, bão số 3 đã đổ bộ vào Quảng Ninh."), 2)
    0.33
    """
    words = [w for w in _WORDS.findall(text) if w[:1].isalpha()]
    return sum(1 for w in words if w[:1].isupper()) / len(words) if words else 0.0


# what menus do not hold: semicolons, and numbers with slashes (dates, "số 59/2020/QH14")
_CLAUSE = re.compile(r";|\d/\d")


def _menu_words(text: str, s: Settings) -> bool:
    """Title Case words that do not end as a sentence: a menu on one line. An all-capitals line is
    a heading ("GIỚI THIỆU VỀ HỆ THỐNG PHÁP LUẬT"), not a menu; a line with a semicolon or a
    document number is prose or a reference ("Luật số 64/2020/QH14, Luật số 07/2022/QH15")."""
    if text.rstrip().endswith(_SENTENCE_STOPS) or not any(c.islower() for c in text) or _CLAUSE.search(text):
        return False
    words = [w for w in _WORDS.findall(text) if w[:1].isalpha()]
    return len(words) >= s.menu_min_words and capital_share(text) >= s.menu_capital_share


def stopword_density(text: str, stopwords: frozenset[str]) -> float:
    """Share of the words of ``text`` that are stop words.

    >>> stopword_density("Chiều 7/9, bão số 3 đã đổ bộ vào Quảng Ninh.", load_stopwords()) > 0.2
    True
    >>> stopword_density("Hotline: 0901 234 567 - Email: toasoan@baomoi.vn", load_stopwords()) < 0.2
    True
    """
    words = _WORDS.findall(text.lower())
    return sum(map(stopwords.__contains__, words)) / len(words) if words else 0.0


@dataclass(frozen=True)
class Verdict:
    cls: str  # good | bad (after the context pass); "" for empty units
    reason: str  # why a bad unit is furniture; "" for good ones
    first: str  # the class of the first pass: good | near-good | short | bad
    words: int
    stop_density: float


@dataclass(frozen=True)
class Classified:
    verdicts: list[Verdict]
    start: int | None  # unit index where the article's main run starts (inclusive)
    end: int | None  # ... and ends (inclusive); None, None when the page has no good unit

    def outside(self, index: int, settings: Settings) -> bool:
        """True when unit ``index`` lies outside the article and its lead/tail windows."""
        if self.start is None or self.end is None:
            return False
        return index < self.start - settings.lead_window or index > self.end + settings.tail_window


def repeated_units(units: list[Unit], s: Settings, classified: Classified,
                   titles: frozenset[str] = frozenset()) -> frozenset[int]:
    """Short units inside the article's run whose text the page prints again outside it (and its
    lead and tail), far away: a menu in the header and again in the footer, which the run had
    taken in. A list of steps printed again as the steps' headings stays: both copies are inside;
    so do ``titles``, the keys of the titles the page states, and the lines just above the run."""
    where: dict[str, list[tuple[int, int]]] = {}
    order = 0
    for i, unit in enumerate(units):
        if not unit.text:
            continue
        order += 1
        if len(unit.text) < s.length_low and unit.kind not in ("header", "title-tag"):
            where.setdefault(unit_key(unit.text), []).append((order, i))
    out: set[int] = set()
    for key, places in where.items():
        if not key or key in titles or len(places) < 2 or places[-1][0] - places[0][0] < s.repeat_min_distance:
            continue
        if any(classified.outside(i, s) for _, i in places):
            out.update(i for _, i in places if not classified.outside(i, s))
    return frozenset(out)


def _first_pass(unit: Unit, s: Settings, stopwords: frozenset[str],
                templates: frozenset[str]) -> tuple[str, str, int, float]:
    text = unit.text
    words = len(text.split())
    density = stopword_density(text, stopwords) if stopwords else 1.0  # no list: language-independent
    if templates and words <= s.template_max_words and unit_key(text) in templates:
        return "bad", "site-template", words, density
    if unit.link_density > s.max_link_density:
        return "bad", "links", words, density
    if unit.kind in ("image", "code", "header", "title-tag") or unit.markup:
        return "short", "", words, density
    if _menu_words(text, s):
        return "bad", "menu-words", words, density
    if len(text) < s.length_low:
        return "short", "", words, density
    if density >= s.stopwords_high and len(text) >= s.length_high:
        return "good", "", words, density
    if density >= s.stopwords_low:
        return "near-good", "", words, density
    return "bad", "few-stopwords", words, density


def _neighbours(classes: list[str], kinds: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """For every position, the class of the nearest unit before it and after it whose class is one
    of ``kinds`` ("bad" past either end: the page's edge is the site's), in two linear passes (a
    scan per unit was quadratic: 350 s for a page of 50,000 one-word lines)."""
    before, after = ["bad"] * len(classes), ["bad"] * len(classes)
    last = "bad"
    for k, cls in enumerate(classes):
        before[k] = last
        if cls in kinds:
            last = cls
    last = "bad"
    for k in range(len(classes) - 1, -1, -1):
        after[k] = last
        if classes[k] in kinds:
            last = classes[k]
    return before, after


def classify(units: list[Unit], settings: Settings | None = None, stopwords: frozenset[str] | None = None,
             templates: frozenset[str] = frozenset(), anchor: int | None = None,
             titles: frozenset[str] = frozenset()) -> Classified:
    """Class and reason of every unit, and the article's main run (indexes into ``units``).

    ``anchor`` is the unit of a title the page states (``# h1``, ``Title:``): the article starts
    there, so the run is the best one starting at it, not a longer text elsewhere on the page
    (a paywall notice, a comment thread).

    A second round runs when short units inside the run are printed again outside it
    (:func:`repeated_units`): they are the site's, the run is found again without them."""
    s = settings or load_settings()
    stops = stopwords if stopwords is not None else page_stopwords(units, s)
    passes = _first_passes(units, s, stops, templates)
    found = _classify(units, s, passes, anchor)
    repeated = repeated_units(units, s, found, titles)
    return _classify(units, s, passes, anchor, repeated) if repeated else found


_Passes = tuple[list[str], list[str], list[tuple[int, float]]]


def _first_passes(units: list[Unit], s: Settings, stops: frozenset[str], templates: frozenset[str]) -> _Passes:
    """Each unit's first-pass class and reason, and its (words, stop-word density)."""
    first: list[str] = []
    reasons: list[str] = []
    stats: list[tuple[int, float]] = []
    for unit in units:
        if not unit.text:
            first.append("")
            reasons.append("")
            stats.append((0, 0.0))
            continue
        cls, reason, words, density = _first_pass(unit, s, stops, templates)
        first.append(cls)
        reasons.append(reason)
        stats.append((words, density))
    return first, reasons, stats


def _context(seq: list[str], units: list[Unit], stats: list[tuple[int, float]], s: Settings) -> list[str]:
    """jusText's context pass over the non-empty units' first-pass classes (``units`` and
    ``stats`` aligned with ``seq``): each short and near-good unit takes a class from its neighbours."""
    final = list(seq)
    # jusText's context pass over the non-empty units: short first, then near-good; neighbours are
    # the nearest good or bad unit (near-good ones looked through), or the nearest of the three
    prev_gb, next_gb = _neighbours(seq, ("good", "bad"))
    prev_any, next_any = _neighbours(seq, ("good", "bad", "near-good"))
    for k, cls in enumerate(seq):
        if cls != "short":
            continue
        prev, nxt = prev_gb[k], next_gb[k]
        if prev == nxt:
            final[k] = prev
        elif _sentence_next_to_good(k, seq, units[k], stats[k], s):
            final[k] = "good"
        elif (prev == "bad" and prev_any[k] == "near-good") or (nxt == "bad" and next_any[k] == "near-good"):
            final[k] = "good"
        else:
            final[k] = "bad"
    # short sentences in a row at the text's edge ("… sinh năm 1989.", "Anh từng là ca sĩ."): one
    # that touches the text carries the next, as the first touching it does
    for order in (range(len(seq)), range(len(seq) - 1, -1, -1)):
        step = 1 if order.step > 0 else -1
        for k in order:
            j = k - step
            if (seq[k] == "short" and final[k] == "bad" and 0 <= j < len(seq) and final[j] == "good"
                    and seq[j] in ("good", "short") and _reads_as_sentence(units[k], stats[k], s)):
                final[k] = "good"
    for k, cls in enumerate(seq):
        if cls != "near-good":
            continue
        final[k] = "bad" if prev_gb[k] == next_gb[k] == "bad" else "good"
    return final


def _classify(units: list[Unit], s: Settings, passes: _Passes, anchor: int | None,
              repeated: frozenset[int] = frozenset()) -> Classified:
    first, reasons, stats = list(passes[0]), list(passes[1]), passes[2]
    for i in repeated:  # after the site's template and links, before everything else
        if reasons[i] not in ("site-template", "links"):
            first[i], reasons[i] = "bad", "repeated"
    present = [i for i, cls in enumerate(first) if cls]
    classes = {i: first[i] for i in present}
    seq = [first[i] for i in present]
    if "good" not in seq:  # a short page: its best units are the article, not nothing
        seq = ["good" if cls == "near-good" else cls for cls in seq]
    if "good" not in seq:
        seq = ["good" if cls == "short" and _reads_as_sentence(units[i], stats[i], s) else cls
               for cls, i in zip(seq, present, strict=False)]
    final = _context(seq, [units[i] for i in present], [stats[i] for i in present], s)
    for k, i in enumerate(present):
        classes[i] = final[k]
        if final[k] == "bad" and not reasons[i]:
            reasons[i] = "context"
    start, end = _main_run(present, classes, stats, s, first)
    if anchor is not None:
        start, end = _run_from(anchor, present, classes, stats, s, first) or (start, end)
    verdicts = []
    for i, unit in enumerate(units):
        if not unit.text:
            verdicts.append(Verdict("", "", "", 0, 0.0))
            continue
        cls, reason = classes[i], reasons[i] if classes[i] == "bad" else ""
        if start is not None and end is not None and not start <= i <= end and cls == "good":
            cls, reason = "bad", "outside-article"
        verdicts.append(Verdict(cls, reason, first[i], *stats[i]))
    return Classified(verdicts, start, end)


_SENTENCE_END = (".", "!", "?", "…", ".\"", ".”", "?”", "!”", ":")


def _sentence_next_to_good(k: int, seq: list[str], unit: Unit, stat: tuple[int, float], s: Settings) -> bool:
    """A short unit that reads as a sentence (ends like one, or continues one in lower case) and
    touches a good unit: the last short paragraph of an article, not a menu item."""
    touching = (k > 0 and seq[k - 1] == "good") or (k + 1 < len(seq) and seq[k + 1] == "good")
    return touching and _reads_as_sentence(unit, stat, s)


def _reads_as_sentence(unit: Unit, stat: tuple[int, float], s: Settings) -> bool:
    words, density = stat
    if words < 4 or density < s.stopwords_low or unit.kind in ("image", "header", "title-tag"):
        return False
    return unit.text.endswith(_SENTENCE_END) or unit.text[:1].islower()


def _gain(i: int, classes: dict[int, str], stats: list[tuple[int, float]], s: Settings,
          first_pass: list[str] | None = None) -> float:
    words = stats[i][0]
    if classes[i] != "good":
        return -max(s.bad_penalty_min, words * s.bad_weight)
    if first_pass is not None and first_pass[i] == "short":
        # good only by its neighbours' class: it does not pull the run on by itself (a menu of
        # a hundred short items between a login widget's sentences and the article)
        return words - s.short_penalty
    return words


def _run_from(anchor: int, present: list[int], classes: dict[int, str], stats: list[tuple[int, float]],
              s: Settings, first_pass: list[str] | None = None) -> tuple[int, int] | None:
    """The best run that starts at the first good unit after ``anchor``."""
    after = [i for i in present if i > anchor]
    first = next((i for i in after if classes[i] == "good"), None)
    if first is None:
        return None
    best, best_end, total = 0.0, None, 0.0
    for i in after:
        if i < first:
            continue
        total += _gain(i, classes, stats, s, first_pass)
        if total > best:
            best, best_end = total, i
    return (first, best_end) if best_end is not None else None


def _main_run(present: list[int], classes: dict[int, str], stats: list[tuple[int, float]],
              s: Settings, first_pass: list[str] | None = None) -> tuple[int | None, int | None]:
    """Kadane's maximum-sum run over the non-empty units (good: +words; bad: -penalty)."""
    best = 0.0
    best_span: tuple[int | None, int | None] = (None, None)
    total, begin = 0.0, None
    for i in present:
        gain = _gain(i, classes, stats, s, first_pass)
        if total <= 0:
            total, begin = 0.0, i
        total += gain
        if total > best:
            best, best_span = total, (begin, i)
    return best_span
