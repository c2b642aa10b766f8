"""Stage 3, repair machine translation: detect garbled Chinese->Vietnamese MT and repair only what
is certain.

Repairs (each recorded as {kind, before, after, confidence, where, index}):
- ``pinyin-name``: a Chinese name left in pinyin ("Ruan Jinyong", half-translated "Trần Daguang",
  or a surname/given name alone once the full name is resolved) -> its Hán-Việt reading, when the
  name table or the document itself makes the reading certain; otherwise the span is listed in
  ``uncertain`` with candidates and left as it is.
- ``name-consistency``: a tone-mark variant of a name ("Quách Thành Côn") -> the spelling that the
  name table and the same document agree on ("Quách Thanh Côn").
- ``punctuation``: ", ." -> ".", space before punctuation, "vv." -> "v.v.".
- ``doubled-word``: "Bộ Bộ" -> "Bộ" for words never written twice (data/names/never_doubled.txt).
- ``doubled-title``: "Thủ tướng Thủ tướng" -> "Thủ tướng" for titles of office (data/names/doubled_titles.txt).
- ``casing``: "19 Tháng 10" -> "19 tháng 10" mid-sentence.
- ``caption-credit``: in a flagged document, a caption's "(Nguồn: X)" fused by the MT -> ". Nguồn: X".

A clean article gets no repair: every rule fires only on a fault that edited Vietnamese never has.
"""
from __future__ import annotations

import functools
import itertools
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from vnclean.tasks.article import Article
from vnclean.tasks.classify import alternation, read_settings
from vnclean.tasks.models import MachineTranslated, Repair, Uncertain

NAMES_DIR = Path(__file__).parent / "data" / "names"
REPAIR_DIR = Path(__file__).parent / "data" / "repair"

# ---------------------------------------------------------------------------------------------
# Settings: data/repair/repair.toml and data/repair/text_rules.toml, each value with its reason there


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ScoreWeights(_Strict):
    """The MT score: weight of each fault, counted per ``per_words`` words, and of non-Vietnamese words."""

    pinyin_name: float = Field(ge=0)
    dangling_punctuation: float = Field(ge=0)
    doubled_word: float = Field(ge=0)
    per_words: int = Field(ge=1)
    non_vietnamese: float = Field(ge=0)


Confidence = Annotated[float, Field(gt=0, le=1)]


class Confidences(_Strict):
    """A name repair's confidence, by what made it certain."""

    table: Confidence
    table_half: Confidence
    consistency: Confidence
    table_in_document: Confidence
    resolved_alone: Confidence
    caption_credit: Confidence
    document: Confidence


class NameLimits(_Strict):
    max_word_syllables: int = Field(ge=1)
    min_syllables: int = Field(ge=1)
    max_syllables: int = Field(ge=1)
    max_splits: int = Field(ge=1)


class CandidateLimits(_Strict):
    shown: int = Field(ge=1)
    ranked: int = Field(ge=1)
    readings_per_syllable: int = Field(ge=1)
    max_combinations: int = Field(ge=1)


class Review(_Strict):
    excerpt_chars: int = Field(ge=0)


Phrases = Annotated[list[Annotated[str, StringConstraints(pattern=r"^\S(?:.*\S)?$")]], Field(min_length=1)]


class RepairWords(_Strict):
    honorifics: Phrases
    caption_credit_labels: Phrases


class RepairSettings(_Strict):
    """The repair stage's weights, confidences and limits (see repair.toml for each one's reason)."""

    flag_threshold: float = Field(gt=0, le=1)
    score: ScoreWeights
    confidence: Confidences
    names: NameLimits
    candidates: CandidateLimits
    review: Review
    words: RepairWords


@functools.cache
def load_repair_settings(path: Path = REPAIR_DIR / "repair.toml") -> RepairSettings:
    return read_settings(RepairSettings, path, "repair settings")


class TextRule(_Strict):
    """A pattern repair (see text_rules.toml)."""

    kind: str = Field(min_length=1)
    pattern: str
    replacement: str
    flagged_only: bool
    hint: str

    @field_validator("pattern", "hint")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as err:
            raise ValueError(f"{value!r} is not a regex: {err}") from err
        return value

    @model_validator(mode="after")
    def _groups(self) -> TextRule:
        try:
            re.compile(self.pattern).sub(self.replacement, "")  # the template is read even with no match
        except (re.error, IndexError) as err:
            raise ValueError(f"replacement {self.replacement!r} names a group the pattern lacks: {err}") from err
        return self


class TextRules(_Strict):
    rules: list[TextRule] = Field(min_length=1)


@functools.cache
def load_text_rules(path: Path = REPAIR_DIR / "text_rules.toml") -> TextRules:
    return read_settings(TextRules, path, "text repair rules")


# read once, when the module is imported: an invalid file stops the pipeline before any text is repaired
_SETTINGS = load_repair_settings()


def _read_tsv(path: Path) -> list[list[str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            rows.append(line.split("\t"))
    return rows[1:]  # header


_TONES = "\u0300\u0301\u0303\u0309\u0323"


def syllable_key(word: str) -> tuple[str, str]:
    """A key equal for the same syllable whatever the tone-mark placement ("Huỷ" = "Hủy")."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    return ("".join(c for c in decomposed if c not in _TONES), "".join(c for c in decomposed if c in _TONES))


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower case, no tone marks or vowel hats, đ -> d: 'Quách Thành Côn' -> 'quach thanh con'."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# The start of a capitalised word, for regexes that find them in C instead of a Python loop over
# every word: any word character but a digit, "_" and the lower-case letters of ASCII and of
# Vietnamese (a superset: callers keep the words whose first character ``isupper()``). The
# lookbehind after it is "no word character before" (``(?<!\w)``) moved behind the first
# character, so that the regex engine looks for that character class first.
_VI_LOWER = "".join(sorted({unicodedata.normalize("NFC", base + tone) for base in "aăâeêioôơuưy"
                            for tone in ("", *_TONES)} | {"đ"}))
_CAP_START = rf"[^\W\d_a-z{_VI_LOWER}]"
_CAPITALISED_WORD = re.compile(rf"{_CAP_START}(?<!\w[\s\S])\w*")  # a \w+ token, capitalised
_CAPITALISED_DASHED = re.compile(rf"{_CAP_START}(?<![\w-][\s\S])[\w-]*")  # a [\w-]+ token, capitalised
_WORD_CHAR = re.compile(r"\w")


@dataclass(frozen=True)
class Name:
    hanzi: str
    pinyin: tuple[str, ...]
    han_viet: str
    kind: str


@dataclass(eq=False)
class NameTable:
    names: list[Name]
    by_pinyin: dict[tuple[str, ...], list[Name]]
    by_fold: dict[str, list[Name]]
    first_folds: frozenset[str]
    surnames_pinyin: dict[str, list[str]]  # pinyin -> Hán-Việt readings, most common surname first
    surnames_vi: set[str]
    syllables: dict[str, list[str]]  # pinyin syllable -> Hán-Việt readings
    never_doubled: frozenset[str]
    doubled_titles: tuple[str, ...] = ()  # multi-word titles of office, longest first
    title_nouns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # "Đại sứ" -> ("Đại sứ quán",)
    # Vietnamese name frequency (data/names/vi_name_frequency.tsv), keyed by syllable_key: a family
    # name's share of the population (%), a given-name syllable's number of listed names using it
    vi_surnames: dict[tuple[str, str], float] = field(default_factory=dict)
    vi_given: dict[tuple[str, str], int] = field(default_factory=dict)

    @functools.cached_property
    def _halves(self) -> frozenset[tuple[str, tuple[str, ...]]]:
        return frozenset((n.han_viet.split()[0], n.pinyin[1:]) for n in self.names if n.kind == "person")

    @functools.cached_property
    def family_pinyin(self) -> frozenset[str]:
        """The first pinyin syllable of the table's people (their family names' keys)."""
        return frozenset(n.pinyin[0] for n in self.names if n.kind == "person")

    @functools.cached_property
    def half_gate(self) -> re.Pattern[str]:
        """A family name of the table's people before a capitalised ASCII word ("Trần Xi", "Tòng Shi")."""
        family = sorted({n.han_viet.split()[0] for n in self.names if n.kind == "person"}, key=len, reverse=True)
        return re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, family))}) [A-Z][a-z]+(?!\w)")

    @functools.cached_property
    def half_gate_hint(self) -> re.Pattern[str]:
        """What every match of :attr:`half_gate` holds, without its boundaries: found faster, as it
        starts with a letter (the family names' first letters)."""
        family = sorted({n.han_viet.split()[0] for n in self.names if n.kind == "person"}, key=len, reverse=True)
        return re.compile(rf"(?:{'|'.join(map(re.escape, family))}) [A-Z][a-z]")

    @functools.cached_property
    def lone_family(self) -> re.Pattern[str]:
        """A capitalised ASCII word after "ông", "bà", "ngài" or a title of office ("ông Li", "Thủ tướng Li")."""
        titles = "|".join(map(re.escape, self.doubled_titles)) or "(?!)"
        honorifics = alternation(_SETTINGS.words.honorifics)
        return re.compile(rf"(?<!\w)(?:{honorifics}|{titles}) (?P<n>[A-Z][a-z]+)(?!\w)")

    def knows_half(self, surname: str, given: tuple[str, ...]) -> bool:
        """Does the table hold a person with this Hán-Việt family name and this pinyin given name
        ("Trương" + gao li: Trương Cao Lệ)? Then "Trương Gao Li" is that name half translated, though
        "Gao" and "Li" could be read as Vietnamese syllables."""
        return (surname, given) in self._halves

    def is_vi_given(self, word: str) -> bool:
        """Is this word, spelt exactly so (tone marks and all), a syllable of Vietnamese given names?

        >>> [load_names().is_vi_given(w) for w in ("Lan", "Mai", "Minh", "Quan", "Le", "Chun", "Hua")]
        [True, True, True, False, False, False, False]
        """
        return syllable_key(word) in self.vi_given

    @functools.cached_property
    def reading_keys(self) -> dict[str, frozenset[tuple[str, str]]]:
        return {s: frozenset(map(syllable_key, readings)) for s, readings in self.syllables.items()}

    @functools.cached_property
    def max_syllable(self) -> int:
        return max(map(len, self.syllables))

    @functools.cached_property
    def _doubled(self) -> re.Pattern[str]:
        titles = "|".join(map(re.escape, self.doubled_titles)) or "(?!)"
        words = "|".join(map(re.escape, sorted(self.never_doubled)))
        return re.compile(rf"(?<!\w)(?P<t>{titles})(?: (?P=t))+(?!\w)|\b(?P<w>{words})(?: (?P=w))+\b")

    @functools.cached_property
    def _doubled_hint(self) -> tuple[str, ...]:
        """What every match of :attr:`_doubled` holds: a title or word, a space, the same again."""
        return tuple(f"{w} {w}" for w in (*self.doubled_titles, *sorted(self.never_doubled)))

    def doubled(self, text: str) -> list[re.Match[str]]:
        """A never-doubled word or title written twice or more ("Bộ Bộ", "Thủ tướng Thủ tướng"); not
        when the last copy begins a noun ("Đại sứ Đại sứ quán": a title, then the embassy).

        >>> [m[0] for m in load_names().doubled("Thủ tướng Thủ tướng gặp Đại sứ Đại sứ quán Lào tại Bộ Bộ")]
        ['Thủ tướng Thủ tướng', 'Bộ Bộ']
        """
        def begins_noun(m: re.Match[str]) -> bool:
            last = text[m.end() - len(m["t"]):]
            return any(last.startswith(noun) and not last[len(noun):len(noun) + 1].isalnum()
                       for noun in self.title_nouns.get(m["t"], ()))
        if not any(twice in text for twice in self._doubled_hint):
            return []
        return [m for m in self._doubled.finditer(text) if m["w"] or not begins_noun(m)]


@functools.cache
def load_names(directory: Path = NAMES_DIR) -> NameTable:
    names = [Name(h, tuple(p.split()), hv, k) for h, p, hv, k, *_ in _read_tsv(directory / "names.tsv")]
    by_pinyin: dict[tuple[str, ...], list[Name]] = {}
    by_fold: dict[str, list[Name]] = {}
    for name in names:
        by_pinyin.setdefault(name.pinyin, []).append(name)
        by_fold.setdefault(fold(name.han_viet), []).append(name)
    surnames_pinyin: dict[str, list[str]] = {}
    surnames_vi: set[str] = set()
    for _hanzi, py, hv in _read_tsv(directory / "surnames.tsv"):  # in order of frequency
        if hv not in surnames_pinyin.setdefault(py, []):
            surnames_pinyin[py].append(hv)
        surnames_vi.add(hv)
    syllables = {}
    for line in (directory / "pinyin_hanviet.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            syllable, readings = line.split("\t")
            syllables[syllable] = readings.split(",")
    never = frozenset(
        w.strip() for w in (directory / "never_doubled.txt").read_text(encoding="utf-8").splitlines()
        if w.strip() and not w.startswith("#"))
    titles: set[str] = set()
    nouns: set[str] = set()
    for line in (directory / "doubled_titles.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            entry = line.strip().lstrip("+")
            (nouns if line.startswith("+") else titles).update({entry, entry.replace("Ủy", "Uỷ")})
    title_nouns: dict[str, tuple[str, ...]] = {}
    for title in titles:
        title_nouns[title] = tuple(n for n in sorted(nouns) if n.startswith(title + " "))
    first_folds = frozenset(key.split()[0] for key in by_fold)
    vi_surnames: dict[tuple[str, str], float] = {}
    vi_given: dict[tuple[str, str], int] = {}
    frequency = directory / "vi_name_frequency.tsv"
    for kind, word, weight in (_read_tsv(frequency) if frequency.exists() else []):
        if kind == "surname":
            vi_surnames[syllable_key(word)] = float(weight)
        else:
            vi_given[syllable_key(word)] = int(weight)
    return NameTable(names, by_pinyin, by_fold, first_folds, surnames_pinyin, surnames_vi, syllables, never,
                     tuple(sorted(titles, key=lambda t: (-len(t), t))), title_nouns, vi_surnames, vi_given)


# ---------------------------------------------------------------------------------------------
# Pinyin and Vietnamese syllables

_VI_ONSET = "ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|g|h|k|l|m|n|p|r|s|t|v|x"
_VI_RHYMES_ASCII = (
    "a ai ao au ay ac ach am an ang anh ap at e eo em en ep et i ia iu im in ip it ich inh o oa oai "
    "oay oac oach oan oang oanh oap oat oe oen oet oi om on ong op ot oc u ua ui um un ung up ut uc "
    "uy uya uyu uyt uych uynh y"
).split()
_VI_SYLLABLE = re.compile(rf"^(?:{_VI_ONSET})?(?:{'|'.join(sorted(_VI_RHYMES_ASCII, key=len, reverse=True))})$")


@functools.lru_cache(maxsize=65536)
def is_vietnamese_ascii_syllable(token: str) -> bool:
    """Could this diacritic-free token be a Vietnamese syllable (level tone, no hats)?

    >>> [is_vietnamese_ascii_syllable(t) for t in ("Nam", "Sen", "Hun", "Chen", "Jin", "Yong", "Geng", "Guang")]
    [True, True, True, True, False, False, False, False]
    """
    t = token.lower()
    if not _VI_SYLLABLE.match(t):
        return False
    if t.startswith("c") and not t.startswith("ch") and t[1:2] in ("e", "i", "y"):
        return False
    if t.startswith("k") and not t.startswith("kh") and t[1:2] not in ("e", "i", "y"):
        return False
    if t.startswith("g") and not t.startswith(("gh", "gi")) and t[1:2] in ("e", "i"):
        return False
    if t.startswith("ng") and not t.startswith("ngh") and t[2:3] in ("e", "i"):
        return False
    return True


@functools.lru_cache(maxsize=65536)
def segmentations(token: str, table: NameTable,
                  limit: int = _SETTINGS.names.max_word_syllables) -> list[tuple[str, ...]]:
    """Every way to read an ASCII token as 1..limit pinyin syllables, fewest syllables first.

    >>> segmentations("Jinyong", load_names())
    [('jin', 'yong')]
    """
    t = token.lower()
    out: list[tuple[str, ...]] = []

    def walk(start: int, acc: tuple[str, ...]) -> None:
        if len(acc) > limit:
            return
        if start == len(t):
            out.append(acc)
            return
        for end in range(min(len(t), start + table.max_syllable), start, -1):
            piece = t[start:end]
            if piece in table.syllables:
                walk(end, acc + (piece,))

    walk(0, ())
    return sorted(out, key=len)


_TOKEN = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)


def _is_ascii_cap(word: str) -> bool:
    return word.isascii() and word[:1].isupper() and word.isalpha() and (len(word) == 1 or not word.isupper())


@dataclass
class Span:
    start: int
    end: int
    text: str
    syllables: tuple[str, ...]
    vi_prefix: str | None = None  # a Vietnamese surname already translated ("Trần Daguang")
    vi_suffix: str | None = None  # a given name already translated, after a pinyin surname ("Fan Minh Chính")
    alt: tuple[str, ...] | None = None  # the syllables in the other name order ("Jinping Xi" / "Xi Jinping")
    # the same words read with the first as a Hán-Việt family name ("Chu Yong Kang": Chu + yong kang)
    half: Span | None = None


_ASCII_CAPITALISED = re.compile(r"(?<!\w)[A-Z][a-z]+(?!\w)( (?=[^\W\d_]))?")


@functools.lru_cache(maxsize=256)  # a field is asked up to four times (score, glosses, two repair passes)
def _may_hold_pinyin(text: str, table: NameTable) -> bool:
    """Every span needs a capitalised ASCII token that is not a Vietnamese syllable, or a pinyin
    surname (or a table person's family name) before another word ("Hu Cẩm Đào"), or a table
    person's family name in Hán-Việt before an ASCII word ("Trần Xi")."""
    return any(not is_vietnamese_ascii_syllable(m[0].rstrip()) and segmentations(m[0].rstrip(), table)
               or m[1] and (m[0].rstrip().lower() in table.surnames_pinyin
                            or m[0].rstrip().lower() in table.family_pinyin)
               for m in _ASCII_CAPITALISED.finditer(text)) \
        or bool(table.half_gate_hint.search(text) and table.half_gate.search(text))


def _is_vi_name_word(word: str, table: NameTable, or_pinyin: bool = False) -> bool:
    """A capitalised Vietnamese word that cannot be pinyin ("Minh", "Chính"; not "Chun"); with
    ``or_pinyin``, also one that could be either ("Mai", "Quan", "Can")."""
    if not (word[:1].isupper() and word.isalpha()) or (len(word) > 1 and word.isupper()):
        return False
    return not word.isascii() or (is_vietnamese_ascii_syllable(word) and (or_pinyin or not segmentations(word, table)))


def find_pinyin_spans(text: str, table: NameTable, loose: bool = False) -> list[Span]:
    """``loose``: also a family name followed by given-name syllables that read as Vietnamese but
    that no Vietnamese given name uses ("Hồ Chun Hua", "Vương Le Quan"); the repair asks for it in
    a document already flagged as machine translated, the MT score never does."""
    if not _may_hold_pinyin(text, table) and not (loose and _TWO_ASCII_CAPS.search(text)):
        return []
    return list(_find_pinyin_spans(text, table, loose))


def _orders(split: tuple[tuple[str, ...], ...],
            table: NameTable) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    """The syllables of pinyin words in Chinese order (surname first) and in Western order (a
    one-syllable surname last), each None when its surname is not a Chinese one."""
    syllables = tuple(s for part in split for s in part)
    last = split[-1]
    western = last + syllables[:-1] if len(last) == 1 else None
    if western and last[0] not in table.surnames_pinyin and western not in table.by_pinyin:
        western = None
    # a surname not in the list of Chinese ones only for a name the table knows ("Tuan Mingxun")
    return (syllables if syllables[0] in table.surnames_pinyin or syllables in table.by_pinyin else None), western


_TWO_ASCII_CAPS = re.compile(r"(?<!\w)[A-Z][a-z]* [A-Z][a-z]*(?!\w)")


@functools.lru_cache(maxsize=4096)
# noqa below: one scan that tries each way a name can be written; splitting it is issue 14's seams work
def _find_pinyin_spans(text: str, table: NameTable, loose: bool = False) -> tuple[Span, ...]:  # noqa: C901
    """Spans that read as a Chinese name left in pinyin.

    A span is 2..3 capitalised ASCII tokens that all read as pinyin (2..4 syllables), starting with
    a Chinese surname or, in Western order, ending with one ("Jinping Xi"), at least one token not a
    possible Vietnamese syllable ("Ruan Jinyong", but never "Hun Sen"); or a Hán-Việt surname
    followed by such tokens ("Trần Daguang", "Trần Da Guang"); or a pinyin surname followed by a
    Hán-Việt given name ("Fan Minh Chính": when the table knows the name, or the surname cannot be
    Vietnamese); or one such token alone (kept for the second pass, once full names are resolved).

    >>> [s.text for s in find_pinyin_spans("Thủ tướng Việt Nam Ruan Jinyong gặp Hun Sen và Lee Hyuk", load_names())]
    ['Ruan Jinyong']
    >>> [(s.text, s.syllables) for s in find_pinyin_spans("Ông Jinping Xi gặp Fan Minh Chính", load_names())]
    [('Jinping Xi', ('xi', 'jin', 'ping')), ('Fan Minh Chính', ('fan',))]
    """
    tokens = list(_TOKEN.finditer(text))
    readings = [segmentations(t[0], table) if _is_ascii_cap(t[0]) else [] for t in tokens]
    foreign = [bool(r) and not is_vietnamese_ascii_syllable(t[0]) for t, r in zip(tokens, readings, strict=False)]

    def adjacent(a: int, b: int) -> bool:
        return text[tokens[a].end():tokens[b].start()] == " "

    def half_split(i: int) -> Span | None:
        """A translated surname followed by the given name's syllables as separate pinyin words,
        at least one of them not Vietnamese ("Trần Da Guang"); or any such words when the table
        knows the name: three of them ("Võ Shi Ying Chun"), or a family name that is not a Chinese
        one ("Tòng Shi Fang")."""
        if i < 1 or i + 1 >= len(tokens) or not readings[i] or not readings[i + 1] or not adjacent(i - 1, i):
            return None
        surname = tokens[i - 1][0]
        for k in (i + 3, i + 2):
            if k > len(tokens) or not all(readings[x] and len(readings[x][0]) == 1 for x in range(i, k)):
                continue
            if not all(adjacent(x, x + 1) for x in range(i, k - 1)):
                continue
            syllables = tuple(readings[x][0][0] for x in range(i, k))
            if not table.knows_half(surname, syllables):
                if k == i + 3 or surname not in table.surnames_vi:
                    continue
                if not any(foreign[i:k]) and not (loose and not all(table.is_vi_given(tokens[x][0])
                                                                    for x in range(i, k))):
                    continue
            return Span(tokens[i - 1].start(), tokens[k - 1].end(), text[tokens[i - 1].start():tokens[k - 1].end()],
                        syllables, surname)
        return None

    def one_word_half(i: int) -> Span | None:
        """A translated family name before the given name in one pinyin word, as pinyin writes a
        given name ("Trần Daguang"); also a word that reads as Vietnamese but no Vietnamese name
        uses, when the table knows the name ("Trần Xi", "La Gan"), and the split the table knows
        ("Đinh Guangen": guan-gen, not guang-en)."""
        prev = i - 1
        if prev < 0 or not readings[i] or not adjacent(prev, i):
            return None
        surname = tokens[prev][0]
        split = next((s for s in readings[i] if table.knows_half(surname, s)), None)
        if split is not None and (foreign[i] or not table.is_vi_given(tokens[i][0])):
            return Span(tokens[prev].start(), tokens[i].end(), text[tokens[prev].start():tokens[i].end()],
                        split, surname)
        if foreign[i] and surname in table.surnames_vi and len(readings[i][0]) <= _SETTINGS.names.max_word_syllables:
            return Span(tokens[prev].start(), tokens[i].end(), text[tokens[prev].start():tokens[i].end()],
                        readings[i][0], surname)
        return None

    def surname_then_vietnamese(i: int) -> Span | None:
        """A pinyin surname followed by the given name already in Hán-Việt ("Fan Minh Chính"); a
        family name that is not a Chinese surname only when the table knows the name ("Tuan Minh Huấn")."""
        if not readings[i] or len(readings[i][0]) != 1:
            return None
        chinese = readings[i][0][0] in table.surnames_pinyin
        if not chinese and readings[i][0][0] not in table.family_pinyin:
            return None
        given: list[int] = []  # up to three words, also ones that could be pinyin: the table decides
        for x in (i + 1, i + 2, i + 3):
            if x >= len(tokens) or not adjacent(x - 1, x) or not _is_vi_name_word(tokens[x][0], table, True):
                break
            given.append(x)
        surname = readings[i][0][0]
        for n in range(len(given), 0, -1):
            words = fold(" ".join(tokens[x][0] for x in given[:n]))
            if any(len(name.pinyin) == n + 1 and name.pinyin[0] == surname
                   and fold(name.han_viet).split(" ", 1)[1] == words for name in table.names):
                break
        else:
            given = list(itertools.takewhile(lambda x: _is_vi_name_word(tokens[x][0], table), given[:2]))
            if not chinese or not foreign[i] or not given:  # "Ma Văn Kháng" is a Vietnamese name
                return None
            n = len(given)
        last = tokens[given[n - 1]]
        return Span(tokens[i].start(), last.end(), text[tokens[i].start():last.end()], (surname,),
                    vi_suffix=text[tokens[given[0]].start():last.end()])

    spans: list[Span] = []
    i = 0
    while i < len(tokens):
        if not readings[i]:  # no way of reading it as pinyin: no span starts here (most words)
            i += 1
            continue
        found, best = half_split(i), None
        if found is None:
            found = surname_then_vietnamese(i)
        for size in (2, 3) if found is None else ():
            k = i + size
            if k > len(tokens) or not all(readings[x] for x in range(i, k)):
                continue
            if not all(adjacent(x, x + 1) for x in range(i, k - 1)):
                continue
            # a token may split into syllables more than one way ("Guangen": guang-en, guan-gen;
            # "Jinai": jin-ai, ji-nai): the split the table knows, else the first
            splits = list(itertools.islice(itertools.product(*(readings[x] for x in range(i, k))),
                                           _SETTINGS.names.max_splits))
            known = next((c for c in splits if any(o in table.by_pinyin for o in _orders(c, table) if o)), None)
            if not any(foreign[i:k]) and not (loose and known):  # "Xi Chen" only in a flagged document
                continue
            split = known or splits[0]
            normal, western = _orders(split, table)
            if not _SETTINGS.names.min_syllables <= sum(map(len, split)) <= _SETTINGS.names.max_syllables:
                continue
            if normal is None and western is None:
                continue
            # the order the table knows; else a surname written alone in front is Chinese order
            # ("Xi Jinping"), a surname alone behind a longer given name Western ("Jinping Xi")
            if western and (western in table.by_pinyin and normal not in table.by_pinyin
                            or normal is None or len(split[0]) > 1 and normal not in table.by_pinyin):
                syllables, alt = western, normal
            else:
                assert normal is not None  # both orders None was skipped above; no Western order: Chinese
                syllables, alt = normal, western
            # what the table knows first, then the usual lengths of a Chinese name: 3, 2, 4
            rank = (syllables in table.by_pinyin, {3: 2, 2: 1}.get(len(syllables), 0))
            if best is None or rank > best:
                best = rank
                found = Span(tokens[i].start(), tokens[k - 1].end(),
                             text[tokens[i].start():tokens[k - 1].end()], syllables, alt=alt)
                # an ASCII Hán-Việt family name in front ("Chu", "La", "Mai", "Du") may be translated
                # already: "Chu Yong Kang", "Du Zhengsheng"
                half = half_split(i + 1) if tokens[i][0] in table.surnames_vi else None
                if half is None and size == 2:
                    half = one_word_half(i + 1)
                if half is not None and half.end == found.end:
                    found.half = half
        if found is None:
            found = one_word_half(i)
        if found is None and foreign[i]:
            found = Span(tokens[i].start(), tokens[i].end(), tokens[i][0], readings[i][0], "?single")
        if found is not None:
            spans.append(found)
            while i < len(tokens) and tokens[i].start() < found.end:
                i += 1
        else:
            i += 1
    return tuple(spans)


# ---------------------------------------------------------------------------------------------
# Glosses: "Thủ tướng Trung Quốc Lý Cường (Li Qiang)" is the house style of Vietnamese agencies


@dataclass(frozen=True)
class Gloss:
    """A name and its gloss in brackets: text[start:end] is "Lý Cường (Li Qiang)" or "Li Qiang (Lý Cường)".
    ``plain`` is what the MT score reads instead: the Hán-Việt name alone."""
    start: int
    end: int
    plain: str


_BRACKETED = re.compile(r" ?\(([^()\n]{2,80})\)")


def _same_name(words: list[str], syllables: tuple[str, ...], table: NameTable) -> bool:
    """Could these Vietnamese words be that pinyin name? Capitalised, as many words as syllables, and
    the table says so or the surname is a Hán-Việt reading of the pinyin's ("Lý" of "li"). Lenient
    on purpose: a bracket that glosses a name is the writer's; the given name may follow press usage."""
    if len(words) != len(syllables) or not all(w[:1].isupper() and w.isalpha() for w in words):
        return False
    if any(fold(n.han_viet) == fold(" ".join(words)) for n in table.by_pinyin.get(syllables, [])):
        return True
    keys = [table.reading_keys.get(s, frozenset()) for s in syllables]
    return syllable_key(words[0]) in keys[0]


def find_glosses(text: str, table: NameTable) -> list[Gloss]:
    """A pinyin name in brackets right after the Hán-Việt name it glosses, or the reverse.

    >>> text = "Ông Lý Cường (Li Qiang) và Wang Yi (Vương Nghị)."
    >>> [(g.start, g.end, g.plain) for g in find_glosses(text, load_names())]
    [(4, 23, 'Lý Cường'), (27, 47, 'Vương Nghị')]
    """
    if "(" not in text:
        return []
    spans = find_pinyin_spans(text, table)
    by_start = {s.start: s for s in spans if s.vi_prefix is None and s.vi_suffix is None}
    by_end = {s.end: s for s in spans if s.vi_prefix is None and s.vi_suffix is None}
    glosses = []
    for m in _BRACKETED.finditer(text):
        inner_start = m.start(1)
        span = by_start.get(inner_start)
        if span is not None and span.end == m.end(1):  # "Lý Cường (Li Qiang)"
            words = list(re.finditer(r"[^\W\d_]+", text[:m.start()]))[-len(span.syllables):]
            joined = bool(words) and text[words[0].start():m.start()].count(" ") == len(words) - 1
            if joined and words[-1].end() == m.start() and _same_name([w[0] for w in words], span.syllables, table):
                glosses.append(Gloss(words[0].start(), m.end(), text[words[0].start():m.start()]))
            continue
        span = by_end.get(m.start())
        inner = m[1].strip()
        if span is not None and _same_name(inner.split(), span.syllables, table):  # "Li Qiang (Lý Cường)"
            glosses.append(Gloss(span.start, m.end(), inner))
    return glosses


def _outside_glosses(spans: list[Span], glosses: list[Gloss]) -> list[Span]:
    return [s for s in spans if not any(g.start <= s.start < g.end for g in glosses)]


def _without_glosses(text: str, table: NameTable) -> str:
    for g in reversed(find_glosses(text, table)):
        text = text[:g.start] + g.plain + text[g.end:]
    return text


# ---------------------------------------------------------------------------------------------
# The stage


@dataclass
class Field_:
    where: str
    index: int | None
    text: str


@dataclass
class Repaired:
    title: str
    summary: str | None
    paragraphs: list[str]
    captions: list[str]
    repairs: list[Repair] = field(default_factory=list)
    uncertain: list[Uncertain] = field(default_factory=list)
    machine_translated: MachineTranslated = field(default_factory=lambda: MachineTranslated(score=0.0, flagged=False))


def _candidates(syllables: tuple[str, ...], table: NameTable, limit: int) -> list[list[str]]:
    return [[r for r in table.syllables.get(s, [])[:limit]] for s in syllables]


class Context(set):
    """The capitalised names of a document (and its batch); ``keys`` compares them whatever the
    tone-mark placement, computed once per document."""

    @functools.cached_property
    def keys(self) -> frozenset[tuple[tuple[str, str], ...]]:
        return frozenset(tuple(map(syllable_key, name.split())) for name in self)


def rank_candidates(candidates: list[str], table: NameTable, context: set[str],
                    limit: int = _SETTINGS.candidates.shown) -> list[str]:
    """Order the Hán-Việt readings of a name nobody can be sure of, for the reviewer: names the
    document (or its batch) already writes first, then how common they are in Vietnamese names
    (data/names/vi_name_frequency.tsv): the family name by its share of the population (then in the
    order of the Chinese surname list), the given name by how many Vietnamese names use each of its
    syllables; then the order the tables give (the table's names; readings of the most characters first).
    Family names take turns, so the first few candidates show each reading of the family name.

    >>> rank_candidates(["Trương Vi Quắc", "Trương Vi Quốc", "Trương Vĩ Quốc"], load_names(), set())
    ['Trương Vi Quốc', 'Trương Vĩ Quốc', 'Trương Vi Quắc']
    >>> rank_candidates(["Lý Minh Huy", "Lý Minh Huệ", "Lê Minh Huy", "Lê Minh Huệ"], load_names(), set())
    ['Lê Minh Huy', 'Lý Minh Huy', 'Lê Minh Huệ', 'Lý Minh Huệ']
    >>> rank_candidates(["Trương Vi Quốc", "Trương Vệ Quốc"], load_names(), {"Trương Vệ Quốc"})
    ['Trương Vệ Quốc', 'Trương Vi Quốc']
    """
    in_context = context.keys if isinstance(context, Context) else Context(context).keys

    unique = list(dict.fromkeys(candidates))
    surname_order: dict[str, int] = {}
    for name in unique:
        surname_order.setdefault(name.split()[0], len(surname_order))

    def key(k: int) -> tuple:
        words = unique[k].split()
        return (tuple(map(syllable_key, words)) not in in_context,
                -table.vi_surnames.get(syllable_key(words[0]), 0.0), surname_order[words[0]],
                -sum(math.log1p(table.vi_given.get(syllable_key(w), 0)) for w in words[1:]), k)

    ranked = sorted(range(len(unique)), key=key)
    found = [k for k in ranked if key(k)[0] is False]
    by_surname: dict[str, list[int]] = {}
    for k in ranked[len(found):]:
        by_surname.setdefault(unique[k].split()[0], []).append(k)
    # each family name's likeliest given names in turn, so that the first few show every family
    # name the pinyin may be ("Li": Lê as Vietnamese names go, Lý as Chinese ones do)
    found += [k for row in itertools.zip_longest(*by_surname.values()) for k in row if k is not None]
    return [unique[k] for k in found][:limit]


def _resolve(span: Span, table: NameTable, context: set[str],
             resolved: dict[tuple[str, ...], str]) -> tuple[str | None, tuple[str, ...] | None, list[str], float]:
    """Hán-Việt for a pinyin span: (replacement, its full pinyin key, ranked candidates, confidence).
    A span with a second reading ("Chu Yong Kang": all pinyin, or Chu + pinyin) is certain only
    when exactly one reading resolves."""
    first = _resolve_one(span, table, context, resolved)
    if span.half is None:
        return first
    second = _resolve_one(span.half, table, context, resolved)
    if first[0] and second[0] and first[0] != second[0]:
        return None, None, rank_candidates([first[0], second[0]], table, context), 0.0
    if first[0] or second[0]:
        return first if first[0] else second
    return None, None, rank_candidates(first[2] + second[2], table, context), 0.0


def _resolve_one(span: Span, table: NameTable, context: set[str],
                 resolved: dict[tuple[str, ...], str]) -> tuple[str | None, tuple[str, ...] | None, list[str], float]:
    if span.vi_prefix == "?single":  # a lone surname or given name: only once the full name is known
        hits = set()
        for key, hv in resolved.items():
            parts = hv.split()
            if key[1:] == span.syllables and len(parts) == len(key):
                hits.add(" ".join(parts[1:]))
            elif key[:1] == span.syllables:
                hits.add(parts[0])
        return (hits.pop(), None, [], _SETTINGS.confidence.resolved_alone) if len(hits) == 1 else (
            None, None, sorted(hits), 0.0)
    if span.vi_suffix:  # "Fan Minh Chính": the given name is already Hán-Việt
        given = fold(span.vi_suffix)
        n = len(span.vi_suffix.split())
        matches = [m for m in table.names if len(m.pinyin) == n + 1 and m.pinyin[0] == span.syllables[0]
                   and fold(m.han_viet).split(" ", 1)[1] == given]
        if len({m.han_viet for m in matches}) == 1:  # also "Fan Minh Chinh": resolved towards the table
            return matches[0].han_viet, matches[0].pinyin, [], _SETTINGS.confidence.table_half
        surnames = table.surnames_pinyin.get(span.syllables[0], []) or table.syllables.get(span.syllables[0], [])
        first = {syllable_key(x) for x in surnames}
        in_context = sorted({name for name in context if len(name.split()) == n + 1 and syllable_key(
            name.split()[0]) in first and fold(name.split(" ", 1)[1]) == given})
        if len(in_context) == 1:
            return in_context[0], None, [], _SETTINGS.confidence.document
        ranked = rank_candidates(in_context + [f"{x} {span.vi_suffix}" for x in surnames], table, context)
        return None, None, ranked, 0.0
    if span.vi_prefix:  # "Trần Daguang": the surname is already Hán-Việt
        matches = [n for n in table.names
                   if n.han_viet.split()[0] == span.vi_prefix and n.pinyin[1:] == span.syllables]
        if len({n.han_viet for n in matches}) == 1:
            return matches[0].han_viet, matches[0].pinyin, [], _SETTINGS.confidence.table_half
        in_context = _in_context([span.vi_prefix], span.syllables, table, context)
        if len(in_context) == 1:
            return in_context[0], None, [], _SETTINGS.confidence.document
        return None, None, rank_candidates(in_context + _combos((span.vi_prefix,), span.syllables, table),
                                           table, context), 0.0
    candidates: list[str] = []
    for syllables in filter(None, (span.syllables, span.alt)):  # the likelier name order first
        after, full_key, found, confidence = _resolve_pinyin(syllables, table, context)
        if after:
            return after, full_key, [], confidence
        candidates += [c for c in rank_candidates(found, table, context) if c not in candidates]
    return None, None, candidates[:_SETTINGS.candidates.shown], 0.0


def _resolve_pinyin(syllables: tuple[str, ...], table: NameTable,
                    context: set[str]) -> tuple[str | None, tuple[str, ...] | None, list[str], float]:
    matches = table.by_pinyin.get(syllables, [])
    if len({n.han_viet for n in matches}) == 1:
        return matches[0].han_viet, syllables, [], _SETTINGS.confidence.table
    if matches:
        known = {n.han_viet for n in matches if n.han_viet in context}
        if len(known) == 1:
            return known.pop(), syllables, [], _SETTINGS.confidence.table_in_document
        return None, None, rank_candidates(sorted({n.han_viet for n in matches}), table, context,
                                           limit=_SETTINGS.candidates.ranked), 0.0
    surname = table.surnames_pinyin.get(syllables[0], [])
    in_context = _in_context(surname, syllables[1:], table, context)
    if len(in_context) == 1:
        return in_context[0], syllables, [], _SETTINGS.confidence.document
    return None, None, rank_candidates(in_context + _combos(tuple(surname), syllables[1:], table), table, context,
                                       limit=_SETTINGS.candidates.ranked), 0.0


def _in_context(surnames: list[str], given: tuple[str, ...], table: NameTable, context: set[str]) -> list[str]:
    """Names in the document whose every syllable is a reading of the pinyin: the document
    itself says which reading is meant (001's title says "Nguyễn Tấn Dũng")."""
    first = {syllable_key(s) for s in surnames}
    keys = [table.reading_keys.get(s, frozenset()) for s in given]
    found = []
    for name in context:
        words = name.split()
        if len(words) == len(given) + 1 and syllable_key(words[0]) in first and all(
                syllable_key(w) in k for w, k in zip(words[1:], keys, strict=False)):
            found.append(name)
    return sorted(set(found))


def _combos(first: tuple[str, ...], rest: tuple[str, ...], table: NameTable) -> list[str]:
    parts = [list(first) or ["?"]] + _candidates(rest, table, limit=_SETTINGS.candidates.readings_per_syllable)
    return [" ".join(p) for p in itertools.islice(itertools.product(*parts), _SETTINGS.candidates.max_combinations)]


def _context_names(fields: list[Field_]) -> set[str]:
    """Capitalised Vietnamese word sequences (2..4 words) present in the document."""
    names: set[str] = set()

    def add(run: list[str]) -> None:
        for n in (2, 3, 4):
            for k in range(len(run) - n + 1):
                names.add(" ".join(run[k:k + n]))

    for f in fields:
        # words are the runs of word characters and "-" between spaces and punctuation (a name
        # never spans punctuation); a run of names goes on over white space only
        run: list[str] = []
        end = 0
        for m in _CAPITALISED_DASHED.finditer(f.text):
            word = m[0]
            if not (word[0].isupper() and word.isalpha()):
                continue  # not a name's word: the text between this and the next one is not white space
            if run and not f.text[end:m.start()].isspace():
                add(run)
                run = []
            run.append(word)
            end = m.end()
        add(run)
    return names


def _apply(f: Field_, start: int, end: int, after: str) -> None:
    f.text = f.text[:start] + after + f.text[end:]


def _repair_names(fields: list[Field_], table: NameTable, context: set[str],
                  repairs: list[Repair], uncertain: list[Uncertain], flagged: bool = False) -> None:
    resolved: dict[tuple[str, ...], str] = {}  # full pinyin -> Hán-Việt, from full names first
    for singles in (False, True):
        for f in fields:
            # a gloss in brackets is the writer's, not the machine's: never repaired
            spans = _outside_glosses(find_pinyin_spans(f.text, table, loose=flagged), find_glosses(f.text, table))
            for span in reversed(spans):
                is_single = span.vi_prefix == "?single"
                if is_single != singles:
                    continue
                after, key, candidates, confidence = _resolve(span, table, context, resolved)
                if after:
                    if key:
                        resolved[key] = after
                    repairs.append(Repair(kind="pinyin-name", before=span.text, after=after,
                                          confidence=confidence, where=f.where, index=f.index))
                    _apply(f, span.start, span.end, after)
                elif not is_single or candidates:
                    uncertain.append(Uncertain(kind="pinyin-name", text=span.text, candidates=candidates,
                                               where=f.where, index=f.index))
            if singles and resolved:
                _repair_lone_family_names(f, table, resolved, repairs, uncertain)
    # repairs were collected right to left within a field; report them in reading order
    repairs.sort(key=lambda r: (["title", "summary", "paragraphs", "captions"].index(r.where), r.index or 0))


def _repair_lone_family_names(f: Field_, table: NameTable, resolved: dict[tuple[str, ...], str],
                              repairs: list[Repair], uncertain: list[Uncertain]) -> None:
    """The family name alone after "ông", "bà" or a title, once the document's full name in pinyin
    is resolved, also when it reads as a Vietnamese word ("ông Li", "Thủ tướng Chen": Lý, Trần);
    never one followed by another capitalised word ("ông Cao Văn Long" is someone else)."""
    for m in reversed(list(table.lone_family.finditer(f.text))):
        word = m["n"]
        if not is_vietnamese_ascii_syllable(word) or re.match(r" [^\W\d_]*[^\W\d_a-zà-ỹđ]", f.text[m.end():]):
            continue  # a foreign one was a span already; a capital next is another name
        hits = sorted({hv.split()[0] for key, hv in resolved.items() if key[0] == word.lower()})
        if len(hits) == 1:
            repairs.append(Repair(kind="pinyin-name", before=word, after=hits[0],
                                  confidence=_SETTINGS.confidence.resolved_alone, where=f.where, index=f.index))
            _apply(f, m.start("n"), m.end("n"), hits[0])
        elif hits:
            uncertain.append(Uncertain(kind="pinyin-name", text=word, candidates=hits, where=f.where, index=f.index))


def _repair_consistency(fields: list[Field_], table: NameTable, repairs: list[Repair],
                        uncertain: list[Uncertain], flagged: bool = False) -> None:
    """Tone-mark variants of a name in the table, when the document also uses the table's form
    more often. A variant is otherwise listed as uncertain, when the document also writes the
    table's form or is flagged as machine translated, and never changed: "Trần Văn Thành" may
    be a Vietnamese official, not a misspelt Chen Wenqing (Trần Văn Thanh).

    One pass, left to right, over each field (windows of 3 then 4 words at each capitalised word
    that can start a known name); edits are applied right to left, so the cost is linear in the
    text (it restarted after every edit once: 8.5 s for a 0.8 MB paragraph).
    """
    full_text = "\n".join(f.text for f in fields)
    counts: dict[str, int] = {}

    def count(text: str) -> int:
        if text not in counts:
            counts[text] = full_text.count(text)
        return counts[text]

    for f in fields:
        # the capitalised words (\w+ tokens): a window is n of them with no other word between
        words = [m for m in _CAPITALISED_WORD.finditer(f.text) if m[0][0].isupper()]
        next_to = [not _WORD_CHAR.search(f.text, a.end(), b.start()) for a, b in zip(words, words[1:], strict=False)]
        edits: list[tuple[int, int, str]] = []
        free_from = 0  # no two edits overlap
        for k, word in enumerate(words):
            if word.start() < free_from or fold(word[0]) not in table.first_folds:
                continue
            for n in (3, 4):
                if k + n > len(words):
                    continue
                window = words[k:k + n]
                text = f.text[window[0].start():window[-1].end()]
                if not all(next_to[k:k + n - 1]) or " " * 2 in text:
                    continue
                names = table.by_fold.get(fold(text))
                if not names:
                    continue
                target = names[0].han_viet
                if text == target or unicodedata.normalize("NFD", text) == unicodedata.normalize("NFD", target):
                    continue
                if _same_tones(text, target):
                    continue  # only the tone-mark placement differs (hoà/hòa): not a different name
                if count(target) > count(text):
                    repairs.append(Repair(kind="name-consistency", before=text, after=target,
                                          confidence=_SETTINGS.confidence.consistency, where=f.where, index=f.index))
                    edits.append((window[0].start(), window[-1].end(), target))
                    free_from = window[-1].end()
                    break
                if flagged or target in full_text:  # the table and the document disagree on which is right
                    uncertain.append(Uncertain(kind="name-consistency", text=text, candidates=[target],
                                               where=f.where, index=f.index))
        for begin, finish, target in reversed(edits):
            f.text = f.text[:begin] + target + f.text[finish:]


def _same_tones(a: str, b: str) -> bool:
    tones = "\u0300\u0301\u0303\u0309\u0323"
    def sig(s: str) -> tuple[str, str]:
        d = unicodedata.normalize("NFD", s)
        return "".join(c for c in d if c not in tones), "".join(sorted(c for c in d if c in tones))
    return sig(a) == sig(b)


# (kind, pattern, replacement, only in a flagged document, what every match holds: a text with
# none is not searched for the pattern, most are not, and this is found much faster), in the order
# of data/repair/text_rules.toml, each rule's reason there
_RULES: list[tuple[str, re.Pattern[str], str, bool, re.Pattern[str]]] = [
    (rule.kind, re.compile(rule.pattern), rule.replacement, rule.flagged_only, re.compile(rule.hint))
    for rule in load_text_rules().rules
]


def _repair_text_rules(fields: list[Field_], table: NameTable, repairs: list[Repair], flagged: bool) -> None:
    for f in fields:
        for kind, pattern, replacement, flagged_only, hint in _RULES:
            if flagged_only and not flagged or not hint.search(f.text):
                continue
            for m in reversed(list(pattern.finditer(f.text))):
                after = m.expand(replacement)
                repairs.append(Repair(kind=kind, before=_context(f.text, m.start(), m.end()),
                                      after=_context(f.text[:m.start()] + after + f.text[m.end():],
                                                     m.start(), m.start() + len(after)),
                                      where=f.where, index=f.index))
                _apply(f, m.start(), m.end(), after)
        for m in reversed(table.doubled(f.text)):
            once = m["t"] or m["w"]
            repairs.append(Repair(kind="doubled-title" if m["t"] else "doubled-word", before=m[0], after=once,
                                  where=f.where, index=f.index))
            _apply(f, m.start(), m.end(), once)


def _context(text: str, start: int, end: int, width: int = _SETTINGS.review.excerpt_chars) -> str:
    """A short excerpt around a change, so the review sees the repaired words in place."""
    left = text.rfind(" ", 0, max(0, start - width))
    right = text.find(" ", min(len(text), end + width))
    return text[left + 1 if left >= 0 else 0: right if right >= 0 else len(text)].strip()


_CAPTION_CREDIT = re.compile(
    rf"(?<=[^\W\d_])\s*\(({alternation(_SETTINGS.words.caption_credit_labels)})\s*:\s*([^()]{{1,60}})\)\s*$")


# ", ." dangles; ",..." is a list's "and so on" ("Facebook, Zalo,... Bên cạnh đó")
_DANGLING = re.compile(r"(?:[\w)\]”’%]|\w\")\s+[.,;:](?![.\w])|,\s*\.(?!\.)")
# what every dangling mark has (a space or comma before it): most paragraphs have none, and this
# is found much faster than _DANGLING's matches are ruled out
_SPACED_PUNCTUATION = re.compile(r"[\s,][.,;:]")
# a white-space-separated word that is a capitalised ASCII word with only ",.;:()" around it
_ASCII_CAP_WORD = re.compile(r"(?<!\S)[,.;:()]*([A-Z][A-Za-z]*)[,.;:()]*(?!\S)")


def score_machine_translation(fields: list[Field_], table: NameTable) -> MachineTranslated:
    """Explainable MT score: per paragraph, faults that edited Vietnamese does not have."""
    w = _SETTINGS.score
    paragraph_scores = []
    totals = {"pinyin_names": 0.0, "dangling_punctuation": 0.0, "doubled_words": 0.0, "non_vietnamese": 0.0}
    for f in fields:
        if f.where not in ("paragraphs", "summary"):
            continue
        text = _without_glosses(f.text, table)  # a name's gloss is house style: it does not count
        pinyin = len([s for s in find_pinyin_spans(text, table) if s.vi_prefix != "?single"])
        dangling = len(_DANGLING.findall(text)) if _SPACED_PUNCTUATION.search(text) else 0
        dbl = len(table.doubled(text))
        words = len(text.split())
        # the words that are, once stripped of ",.;:()", a capitalised ASCII word not Vietnamese
        ascii_caps = sum(1 for w in _ASCII_CAP_WORD.findall(text)
                         if (len(w) == 1 or not w.isupper()) and not is_vietnamese_ascii_syllable(w))
        non_vi = ascii_caps / max(1, words)
        # faults per 100 words: one stray " ," in a 400-word paragraph (a page whose line breaks
        # were lost is one paragraph) is a typo, the same fault in every sentence is the machine's
        raw = ((w.pinyin_name * pinyin + w.dangling_punctuation * dangling + w.doubled_word * dbl)
               / max(1.0, words / w.per_words) + w.non_vietnamese * non_vi)
        paragraph_scores.append(round(1 - math.exp(-raw), 3))
        totals["pinyin_names"] += pinyin
        totals["dangling_punctuation"] += dangling
        totals["doubled_words"] += dbl
        totals["non_vietnamese"] += non_vi
    score = round(sum(paragraph_scores) / len(paragraph_scores), 3) if paragraph_scores else 0.0
    return MachineTranslated(score=score, flagged=score >= _SETTINGS.flag_threshold,
                             features={k: round(v, 3) for k, v in totals.items()},
                             paragraph_scores=paragraph_scores)


def repair_document(title: str, summary: str | None, paragraphs: list[str], captions: list[str],
                    batch_names: set[str] | None = None, table: NameTable | None = None) -> Repaired:
    """Score and repair one document's text; the input lists are not modified."""
    table = table or load_names()
    article = Article(title, summary, tuple(paragraphs), tuple(captions))
    fields = [Field_(place.where, place.index, place.text) for place in article.fields()]
    mt = score_machine_translation(fields, table)
    repairs: list[Repair] = []
    uncertain: list[Uncertain] = []
    context = Context(_context_names(fields) | (batch_names or set()))
    _repair_names(fields, table, context, repairs, uncertain, mt.flagged)
    _repair_consistency(fields, table, repairs, uncertain, mt.flagged)
    _repair_text_rules(fields, table, repairs, mt.flagged)
    if mt.flagged:
        for f in fields:
            if f.where == "captions":
                m = _CAPTION_CREDIT.search(f.text)
                if m:
                    after = f"{f.text[:m.start()].rstrip()}. {m[1]}: {m[2].strip()}"
                    repairs.append(Repair(kind="caption-credit", before=f.text, after=after,
                                          confidence=_SETTINGS.confidence.caption_credit, where=f.where,
                                          index=f.index))
                    f.text = after
    out = article.with_texts([f.text for f in fields])
    return Repaired(title=out.title, summary=out.summary, paragraphs=list(out.paragraphs),
                    captions=list(out.captions), repairs=repairs, uncertain=uncertain, machine_translated=mt)
