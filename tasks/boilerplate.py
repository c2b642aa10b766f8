"""Stage 2, strip boilerplate: normalised scrape text -> title, metadata, paragraphs, captions.

Every non-blank raw line ends up in exactly one place: the title, a paragraph (possibly joined
with its neighbours), the summary, a caption, or ``removed`` with a reason (metadata lines are
both moved to their field and listed in ``removed``, so the review shows where they went).

The rules are data: ``data/sites/*.toml`` (see its README); the generic layer's word counts and
other limits are in ``data/strip/boilerplate.toml``, each with its reason. The generic layer needs no profile:
separators, image files, datelines and bylines, credit lines, block headings ("Tin liên quan"),
an end-of-article boundary (end marker, credit, share prompt, block heading) after which lines
are site furniture, repeated lines, captions by position and by photo credit, and the joining of
paragraphs that a scrape split in mid-sentence.
"""
from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from vnclean.tasks.blocks import Page, Unit, detect_shape, read_page
from vnclean.tasks.classify import Settings, alternation, classify, load_settings, read_settings, unit_key
from vnclean.tasks.models import Removed
from vnclean.tasks.segment import UPPER, URL_LABEL
from vnclean.tasks.templates import site_of

SITES_DIR = Path(__file__).parent / "data" / "sites"
STRIP_DIR = Path(__file__).parent / "data" / "strip"

# ---------------------------------------------------------------------------------------------
# Thresholds: data/strip/boilerplate.toml, each with its reason there


class Thresholds(BaseModel):
    """The generic layer's word counts and other limits (see the comments in boilerplate.toml for
    each one's reason)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    chars_per_word: int = Field(ge=1)
    detect_strong_weight: int = Field(ge=1)
    date_min_year: int = Field(ge=1)
    date_max_year: int = Field(ge=1)
    dateline_max_words: int = Field(ge=1)
    byline_rest_max_words: int = Field(ge=0)
    credit_max_words: int = Field(ge=1)
    title_min_letter_words: int = Field(ge=1)
    title_max_words: int = Field(ge=1)
    title_dateline_max_words: int = Field(ge=1)
    stated_title_min_words: int = Field(ge=1)
    title_search_lines: int = Field(ge=1)
    title_window_below: int = Field(ge=1)
    slug_min_words: int = Field(ge=1)
    slug_id_min_digits: int = Field(ge=1)
    slug_overlap: float = Field(gt=0, le=1)
    dateline_title_reach: int = Field(ge=1)
    headline_min_words: int = Field(ge=1)
    repeated_title_min_words: int = Field(ge=1)
    article_text_chars: int = Field(ge=1)
    stated_title_text_reach: int = Field(ge=1)
    dateline_anchor_max_words: int = Field(ge=1)
    dateline_anchor_rest_max_words: int = Field(ge=0)
    dateline_anchor_title_reach: int = Field(ge=1)
    dateline_anchor_title_min_words: int = Field(ge=1)
    dateline_anchor_text_reach: int = Field(ge=1)
    image_caption_min_words: int = Field(ge=1)
    image_next_lines: int = Field(ge=1)
    figure_caption_max_words: int = Field(ge=1)
    caption_max_words: int = Field(ge=1)
    short_caption_max_words: int = Field(ge=1)
    agency_caption_max_words: int = Field(ge=1)
    credit_caption_max_words: int = Field(ge=1)
    glued_caption_min_words: int = Field(ge=1)
    glued_caption_max_words: int = Field(ge=1)
    glued_caption_next_min_words: int = Field(ge=1)
    blank_separated_min_gaps: int = Field(ge=1)
    site_header_max_words: int = Field(ge=1)
    section_label_max_words: int = Field(ge=1)
    short_line_max_words: int = Field(ge=1)
    block_heading_max_words: int = Field(ge=1)
    summary_repeat_reach: int = Field(ge=1)
    url_hint_lines: int = Field(ge=1)


@functools.cache
def load_thresholds(path: Path = STRIP_DIR / "boilerplate.toml") -> Thresholds:
    return read_settings(Thresholds, path, "boilerplate thresholds")


# A phrase of a word list: not empty, no space at either end (it is matched as written)
Phrase = Annotated[str, StringConstraints(pattern=r"^\S(?:.*\S)?$")]
Phrases = Annotated[list[Phrase], Field(min_length=1)]  # an empty list would match nothing, or everything


class Words(BaseModel):
    """The generic layer's word lists: labels of bylines, credits, photo credits, datelines and
    addresses, agencies (see the comments in boilerplate_words.toml for each one's reason)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    author_labels: Phrases
    agencies: Phrases
    photo_credit_labels: Phrases
    bracket_credit_labels: Phrases
    bracket_credit_words: Phrases
    dash_credit_labels: Phrases
    sentence_credit_labels: Phrases
    illustration_labels: Phrases
    photo_number_words: Phrases
    credit_words: Phrases
    credit_labels: Phrases
    open_credit_labels: Phrases
    address_labels: Phrases
    dateline_labels: Phrases
    view_counter_labels: Phrases
    comment_counter_labels: Phrases
    page_extensions: Phrases

    @field_validator("photo_number_words")
    @classmethod
    def _case_folded(cls, value: list[str]) -> list[str]:
        for word in value:
            if word != word.casefold():
                raise ValueError(f"{word!r} is compared with a case-folded line: write it in lower case")
        return value


@functools.cache
def load_words(path: Path = STRIP_DIR / "boilerplate_words.toml") -> Words:
    return read_settings(Words, path, "boilerplate word lists")


# read once, when the module is imported: an invalid file stops the pipeline before any page is read
_LIMIT = load_thresholds()
_WORD = load_words()

# ---------------------------------------------------------------------------------------------
# Profiles


class Rule(BaseModel):
    kind: str
    reason: str
    patterns: list[str]

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in ("line", "block"):
            raise ValueError(f"rule kind must be 'line' or 'block', not {value!r}")
        return value

    @field_validator("patterns")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("a rule needs at least one pattern (an empty group would match nothing)")
        for pattern in value:
            re.compile(pattern)
            if not pattern.startswith("^"):
                raise ValueError(f"rule patterns match whole lines from their start: begin {pattern!r} with ^")
        return value


class Profile(BaseModel):
    name: str
    detect: list[str] = Field(default_factory=list)
    detect_strong: list[str] = Field(default_factory=list)
    summary_prefixes: list[str] = Field(default_factory=list)
    teaser_prefixes: list[str] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)


class RuleSet:
    """Many (pattern, reason) rules as one anchored alternation: one regex call per line."""

    def __init__(self, rules: list[tuple[str, str]]) -> None:
        self.reasons = [reason for _, reason in rules]
        alternation = "|".join(f"(?P<r{i}>{pattern})" for i, (pattern, _) in enumerate(rules))
        self.regex = re.compile(alternation) if rules else None

    def reason(self, line: str) -> str | None:
        if self.regex is None:
            return None
        match = self.regex.match(line)
        return self.reasons[int(match.lastgroup[1:])] if match and match.lastgroup else None


@dataclass(frozen=True)
class CompiledRules:
    line: RuleSet
    block: RuleSet
    summary_prefixes: tuple[re.Pattern[str], ...]
    teaser_prefixes: RuleSet


@dataclass(frozen=True, eq=False)
class Profiles:
    generic: Profile
    sites: tuple[Profile, ...]

    @functools.cached_property
    def _detectors(self) -> list[tuple[str, list[re.Pattern[str]], list[re.Pattern[str]]]]:
        return [(p.name, [re.compile(x) for x in p.detect_strong], [re.compile(x) for x in p.detect])
                for p in self.sites]

    def detect(self, text: str) -> str | None:
        best, best_score = None, 0
        for name, strong, weak in self._detectors:
            score = (_LIMIT.detect_strong_weight * sum(1 for p in strong if p.search(text))
                     + sum(1 for p in weak if p.search(text)))
            if score > best_score:
                best, best_score = name, score
        return best

    @functools.cache  # noqa: B019 - a handful of Profiles live as long as the process; each compiles once
    def rules_for(self, site: str | None) -> CompiledRules:
        chosen = [p for p in self.sites if p.name == site]
        # Site rules first: a site's own reading of a line wins over the generic one.
        profiles = chosen + [self.generic]
        line: list[tuple[str, str]] = []
        block: list[tuple[str, str]] = []
        for profile in profiles:
            for rule in profile.rules:
                (line if rule.kind == "line" else block).extend((p, rule.reason) for p in rule.patterns)
        prefixes = [re.compile(p) for prof in profiles for p in prof.summary_prefixes]
        prefixes.append(_GENERIC_PREFIX)
        teasers = [(p, "teaser") for prof in profiles for p in prof.teaser_prefixes]
        return CompiledRules(RuleSet(line), RuleSet(block), tuple(prefixes), RuleSet(teasers))



@functools.cache
def load_profiles(directory: Path = SITES_DIR) -> Profiles:
    """Read and validate every profile once; a broken file is a configuration error."""
    generic, sites = None, []
    for path in sorted(directory.glob("*.toml")):
        try:
            profile = Profile.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
        except Exception as err:  # noqa: BLE001 - re-raised with the file name
            raise ValueError(f"site profile {path} is invalid: {err}") from err
        if profile.name == "generic":
            generic = profile
        else:
            sites.append(profile)
    if generic is None:
        raise ValueError(f"no generic.toml in {directory}")
    return Profiles(generic, tuple(sites))


# ---------------------------------------------------------------------------------------------
# Patterns the generic layer uses

_TERMINAL = ".!?…\"”»)'’"
_WEEKDAY = (r"(?:Thứ\s+(?i:hai|ba|tư|năm|sáu|bảy|[2-7])|Chủ\s+[Nn]hật|CN"
            r"|(?i:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b)")
_DATE_DMY = re.compile(r"(?<![\d/.])(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})(?![\d/])")
_DATE_WORDS = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.I)
_DATE_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::\d{2})?)?")
# a JavaScript Date a page's clock widget printed: "Thu Feb 20 2025 14:46:12 GMT+0700 (Indochina Time)"
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DATE_JS = re.compile(r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                      r"(\d{1,2}) (\d{4})(?= \d{2}:\d{2}| GMT|$)")
# a time zone after a dateline's time: "(GMT+7)", "GMT+0700 (Indochina Time)"
_TZ_TAIL = re.compile(r"\s*(?:\(?(?:GMT|UTC)\s*\+\s*0?7(?::?00)?\)?)?\s*"
                      r"(?:\((?:[A-Z][a-z]+ )?[A-Za-zĐđÀ-ỹ ]{2,30}\))?\s*$")
# "Chủ nhật, ngày 08 tháng 12 năm 2024": the long-form date portal templates print as a clock banner
_CLOCK_BANNER = re.compile(rf"^{_WEEKDAY}\s*,?\s*ngày\s+\d{{1,2}}\s+tháng\s+\d{{1,2}}\s+năm\s+\d{{4}}$", re.I)
_TIME = re.compile(r"(?<![\d:])(\d{1,2})\s*(?::|h|giờ)\s*(\d{2})(?::\d{2})?(?:\s*(?:phút|'))?(?![\d:])"
                   r"(?:\s*(?P<half>AM|PM|SA|CH)\b)?")
_DATELINE_NOISE = re.compile(
    rf"(?i:{alternation(_WORD.dateline_labels)}"
    rf"|(?:{alternation(_WORD.view_counter_labels)}):?\s*[\d.,]+)"
    rf"|\(?(?:GMT|UTC)\s*\+\s*0?7(?::00)?\)?|{_WEEKDAY}|\b(?:AM|PM|SA|CH)\b|ngày|lúc|[,|\-–—()]"
    rf"|\b\d+\s+(?i:{alternation(_WORD.comment_counter_labels)})\b"  # a comment counter beside the date
)
_AUTHOR_LINE = re.compile(
    rf"^(?:{alternation(_WORD.author_labels)})\s*:\s*"
    rf"(?P<author>[{UPPER}][^.;!?:]{{1,60}})$")
# a lone news-agency or photo-agency credit line: "BBC", "AFP", "TTXVN", "Reuters"
_AGENCY_LINE = re.compile(rf"^(?:[A-ZĐ]{{2,8}}(?:/[A-ZĐ]{{2,8}})?|{alternation(_WORD.agencies)})$")
# a photo's credit on its own line under the caption: "Ảnh: CTV", "Ảnh: Nguyễn Văn A/TTXVN"
# (a site's name may be in it: "Ảnh: Nguyễn Văn A, vnexpress.net.")
_PHOTO_CREDIT_LINE = re.compile(rf"^(?:{alternation(_WORD.photo_credit_labels)})\s*:\s*[^;!?]{{1,60}}$")
_CREDIT_LINE = (
    re.compile(rf"^(?:(?:{alternation(_WORD.credit_words)})|(?:{alternation(_WORD.credit_labels)})\s*:)"
               rf"\s*(?P<credit>[{UPPER}][^.;!?:]{{1,60}}?)\s*\.?$"),
    re.compile(r"^\((?P<credit>[A-ZĐ][A-Za-zĐđ0-9 .+/&-]{1,30})\)\.?$"),
    re.compile(rf"^(?:{alternation(_WORD.open_credit_labels)})\s*:\s*(?P<credit>.{{2,80}})$"),
)
# a date a clause follows ("Ngày 19/02/2025, Quốc hội đã…", "Từ 01/4/2025: …"): a sentence's, not a byline's
_DATE_CLAUSE = re.compile(r"\d{4}\s*[,:]\s*[^\W\d]")
# the article's address on a line of its own, bare or labelled as crawlers save it
# ("URL nguồn: https://…", "Link bài viết: https://…", "Source: https://…")
_URL_LINE = re.compile(rf"^(?:(?:{URL_LABEL}|{alternation(_WORD.address_labels)})\s*:\s*)?"
                       r"(?P<url>(?:https?://|www\.)\S+)$", re.I)
_END_MARKER = re.compile(r"\s*(\.?)\s*/\.\s*$")
_PHOTO_CREDIT = rf"\((?:{alternation(_WORD.bracket_credit_labels)})\s*:[^()]{{1,100}}\)"
_FUSED_CAPTION = re.compile(rf"^(?P<caption>.{{8,600}}?{_PHOTO_CREDIT})\s+(?P<rest>\S.*)$")
_CAPTION_ONLY = re.compile(
    rf"^(?:.{{3,600}}(?:{_PHOTO_CREDIT}"
    rf"|\((?:{alternation(_WORD.bracket_credit_words)})\s+[^()]{{1,40}}\)"  # (Ảnh TN), (Hình từ Internet)
    rf"|\s[-–—]\s*(?:{alternation(_WORD.dash_credit_labels)})\s*:\s*[^.()]{{1,60}}"  # - Ảnh: Bộ Công an
    rf"|[.!?…]\s+(?:{alternation(_WORD.sentence_credit_labels)})\s*:\s*[^.()]{{1,60}}"  # … vụ việc. Ảnh: CTV
    rf"|\.\s*(?:{alternation(_WORD.agencies)})"  # ... 3/12/2015. AFP
    rf")|(?:{alternation(_WORD.illustration_labels)})(?:\s*[-–:].{{0,60}})?)\.?$")
# "VOV.VN - ", "(Chinhphu.vn) - ": a publisher prefix in front of the lead.
_GENERIC_PREFIX = re.compile(
    r"^(?:[A-Z][A-Za-z]{1,20}(?:\.[A-Za-z]{2,4}){1,2}|\([A-ZĐ][^()]{1,25}\))\s*[-–—]\s*(?=\S)")


_EDGE_PUNCT = ".,;:!?…\"'“”‘’()[]«»-–—/|"


def _words(text: str) -> int:
    """Number of white-space separated words (fast; thresholds only need the order of size)."""
    return len(text.split())


def _few_words(text: str, limit: int) -> bool:
    """``_words(text) <= limit``, without splitting a line far too long to qualify."""
    return len(text) <= limit * _LIMIT.chars_per_word and len(text.split()) <= limit


def _key(text: str) -> str:
    """Comparison key for repeated lines: case-folded, single-spaced, end punctuation dropped."""
    return " ".join(text.casefold().split()).strip(_EDGE_PUNCT + " ")


# a sentence's end: its stop, then any closing quotes or brackets (a line ending in ")" alone may be
# a headline's date, "(27/7/1947-27/7/2026)")
_SENTENCE_END = re.compile(r"[.!?…:;][\"”’»)\]]*$")


_PHOTO_NUMBER = re.compile(rf"(?:{alternation(_WORD.photo_number_words)})(?: \d+)?")


def _is_title_image(line: str, title_key: str) -> bool:
    """A photo's alt text that is the article's title and its number ("<title> - Ảnh 2.")."""
    key = _key(line)
    return key.startswith(title_key) and bool(_PHOTO_NUMBER.fullmatch(key[len(title_key):].strip(_EDGE_PUNCT + " ")))


def _ends_sentence(text: str) -> bool:
    return text.rstrip().endswith(tuple(_TERMINAL))


def _dateline_ends_sentence(text: str) -> bool:
    """Like :func:`_ends_sentence`, after a time zone at the end ("… 18:01 (GMT+7)") is taken off."""
    return _ends_sentence(_TZ_TAIL.sub("", text))


# ---------------------------------------------------------------------------------------------
# Dates


def find_datetime(line: str) -> tuple[str | None, str]:
    """Find a full date (and time) in a line; return the ISO 8601 string and the rest of the line.

    >>> find_datetime("Cập nhật, 07:04, Chủ Nhật, 05/11/2017 (GMT+7)")
    ('2017-11-05T07:04:00+07:00', '')
    >>> find_datetime("Bộ Công an 10/01/2024 21:00")
    ('2024-01-10T21:00:00+07:00', 'Bộ Công an')
    >>> find_datetime("Thứ Hai, 10.1.2024")
    ('2024-01-10', '')
    >>> find_datetime("2/27/2018")
    ('2018-02-27', '')
    >>> find_datetime("Thu Feb 20 2025 14:46:12 GMT+0700 (Indochina Time)")[0]
    '2025-02-20T14:46:00+07:00'
    >>> find_datetime("Ngày 4/11, tại Hà Nội")[0] is None
    True
    """
    rest = line
    year = month = day = 0  # set from the match; no match returns before they are read
    hour = minute = None
    match = _DATE_ISO.search(rest)
    if match:
        year, month, day = int(match[1]), int(match[2]), int(match[3])
        if match[4]:
            hour, minute = int(match[4]), int(match[5])
    else:
        match = _DATE_DMY.search(rest) or _DATE_WORDS.search(rest)
        if match:
            day, month, year = int(match[1]), int(match[2]), int(match[3])
            if month > 12 >= day:  # month/day/year, as US-made CMSs and blogs print it
                day, month = month, day
        elif match := _DATE_JS.search(rest):
            day, month, year = int(match[2]), _MONTHS.index(match[1].lower()) + 1, int(match[3])
    if match is None or not (1 <= month <= 12 and 1 <= day <= 31
                             and _LIMIT.date_min_year <= year <= _LIMIT.date_max_year):
        return None, line
    rest = rest[: match.start()] + " " + rest[match.end():]
    if hour is None:
        t = _TIME.search(rest)
        if t and int(t[1]) < 24 and int(t[2]) < 60:
            hour, minute = int(t[1]), int(t[2])
            if t["half"] in ("PM", "CH") and hour < 12:  # 03:15 PM, 3:15 CH (chiều)
                hour += 12
            elif t["half"] in ("AM", "SA") and hour == 12:
                hour = 0
            rest = rest[: t.start()] + " " + rest[t.end():]
    rest = " ".join(t for t in _DATELINE_NOISE.sub(" ", _TZ_TAIL.sub("", rest)).split() if any(c.isalnum() for c in t))
    if hour is None:
        return f"{year:04d}-{month:02d}-{day:02d}", rest
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:00+07:00", rest


def credit_of(line: str) -> str | None:
    """The source a short credit line names.

    >>> credit_of("Theo TTXVN"), credit_of("(TTXVN)"), credit_of("Theo dòng thời sự")
    ('TTXVN', 'TTXVN', None)
    """
    if not _few_words(line, _LIMIT.credit_max_words):
        return None
    for pattern in _CREDIT_LINE:
        match = pattern.match(line)
        if match:
            return match["credit"].strip()
    return None


# ---------------------------------------------------------------------------------------------
# The stage


@dataclass
class Block:
    """A paragraph or caption being built: its text and the raw lines it came from."""

    text: str
    lines: list[int]
    glued_to_next: bool = False


@dataclass
class Stripped:
    site: str | None
    title: str | None  # None: no title found (title_source "none")
    url: str | None
    published: str | None
    credit: str | None
    summary: str | None
    paragraphs: list[str]
    captions: list[str]
    removed: list[Removed]
    title_line: int | None = None
    # raw line number -> keep | caption | metadata | remove (what happened to each non-blank line);
    # for html pages the number of the unit in ``view`` instead (one unit per block)
    roles: dict[int, str] = field(default_factory=dict)
    shape: str = "text"
    title_source: str = "none"  # why the title was chosen (see _choose_title)
    view: list[str] = field(default_factory=list)  # the text of each unit the roles number


METADATA_REASONS = frozenset({"url", "dateline", "byline", "credit", "header", "title-tag"})


class _Drop(NamedTuple):
    """A removal while the page is read; the contract's Removed is built once, at the end."""

    line: int
    text: str
    reason: str


class _Builder:
    def __init__(self) -> None:
        self.removed: dict[int, _Drop] = {}
        self.url: str | None = None
        self.published: str | None = None
        self.credit: str | None = None

    def remove(self, number: int, text: str, reason: str) -> None:
        if number not in self.removed:  # built without validation: line, text and reason are known good
            self.removed[number] = _Drop(number, text, reason)


def _metadata_line(b: _Builder, number: int, text: str) -> bool:
    """Move a URL, dateline, byline or credit line to its field; True when the line was one."""
    if url := _URL_LINE.match(text):
        b.url = b.url or url["url"]
        b.remove(number, text, "url")
        return True
    if _few_words(text, _LIMIT.dateline_max_words):
        iso, rest = find_datetime(text)
        if iso is not None:
            rest_words = _words(rest)
            if rest_words == 0:
                b.published = b.published or iso
                b.remove(number, text, "dateline")
                return True
            if (rest_words <= _LIMIT.byline_rest_max_words and rest[:1].isupper() and not _dateline_ends_sentence(text)
                    and not _DATE_CLAUSE.search(text)):
                b.published = b.published or iso
                b.credit = b.credit or rest
                b.remove(number, text, "byline")
                return True
    credit = credit_of(text)
    if credit:
        b.credit = b.credit or credit
        b.remove(number, text, "credit")
        return True
    if _AUTHOR_LINE.match(text):
        b.remove(number, text, "byline")
        return True
    if _AGENCY_LINE.match(text):
        b.remove(number, text, "credit")
        return True
    return False


def _looks_like_title(text: str) -> bool:
    """(A "# …" line left in page text is a hashtag: a "# <title>" on top became the page's h1.)"""
    letters = len(re.findall(r"[^\W\d_]{2,}", text))
    return (not text.startswith("#") and letters >= _LIMIT.title_min_letter_words
            and _words(text) <= _LIMIT.title_max_words
            and not text.rstrip().endswith((".", ";", ",", ":", "/.")))


def _is_dateline(text: str) -> bool:
    if not _few_words(text, _LIMIT.title_dateline_max_words):
        return False
    iso, rest = find_datetime(text)
    return iso is not None and (_words(rest) <= _LIMIT.byline_rest_max_words and not _dateline_ends_sentence(text)
                                or _words(rest) == 0)


_TITLE_SEPARATORS = re.compile(r"\s+[-|–—:«»]\s+")
_PAGE_EXTENSION = re.compile(rf"\.(?:{alternation(_WORD.page_extensions)})$", re.I)


def _fold(text: str) -> str:
    """Accent-folded, lower-case ASCII words (for comparing with a URL slug).

    >>> _fold("Bão số 3 đổ bộ Quảng Ninh")
    'bao so 3 do bo quang ninh'
    """
    import unicodedata
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.findall(r"[a-z0-9]+", text))


def _slug_words(url: str | None) -> set[str]:
    """The words of a URL's last path segment ("…/bao-so-3-do-bo-123456.html" -> bao so 3 do bo)."""
    if not url:
        return set()
    segment = url.split("?")[0].split("#")[0].rstrip("/").rsplit("/", 1)[-1]
    segment = _PAGE_EXTENSION.sub("", segment)
    words = [w for w in re.split(r"[-_+.]+", segment.lower())
             if w and not (w.isdigit() and len(w) >= _LIMIT.slug_id_min_digits)]
    return set(words) if len(words) >= _LIMIT.slug_min_words else set()


def _stated_titles(meta: dict[str, str]) -> list[tuple[str, str]]:
    """Titles the page states outright, best first: ``# h1``/``<h1>``, Jina's ``Title:``,
    ``og:title``, ``<title>`` (with a site name after " - " or " | " cut off), and the phrase a
    flattened page prints twice at its top (:func:`vnclean.tasks.segment.repeated_title`)."""
    out = []
    for key, source in (("h1", "h1"), ("title", "title-header"), ("og_title", "og:title"), ("title_tag", "title-tag"),
                        ("repeated_title", "repeated")):
        value = meta.get(key, "").strip()
        if not value:
            continue
        out.append((value, source))
        parts = _TITLE_SEPARATORS.split(value)
        if len(parts) > 1:
            longest = max(parts, key=len)
            if _words(longest) >= _LIMIT.stated_title_min_words:
                out.append((longest, source))
    return out


def _choose_title(lines: list[str], rules: CompiledRules, meta: dict[str, str] | None = None,
                  window: range | None = None, blocked: frozenset[int] = frozenset(),
                  url: str | None = None, text_starts: int | None = None) -> tuple[int | None, str]:
    """The title's line index and why it was chosen.

    In order: a line the page states as its title (``h1``, ``title-header``, ``og:title``,
    ``title-tag``); the line closest to the URL's slug (``url-slug``); a title-like line next to
    the first dateline (``dateline``); a title-like line the page prints twice (``repeated``);
    the first title-like line (``first-title-like``). Only lines in ``window`` (the article's
    lead) and not in ``blocked`` (links, site templates, page furniture) are candidates for the
    last four. ``(None, "none")`` when nothing qualifies: a page without a title has none.
    """
    meta = meta or {}
    usable = [i for i, raw in enumerate(lines) if raw.strip()]
    for stated, source in _stated_titles(meta):
        key = _key(stated)
        for i in usable:
            if _key(lines[i]) == key and (window is None or i in window or source in ("h1", "title-header")):
                return i, source
    candidates, dates = [], []
    keys: dict[str, int] = {}
    seen = 0
    for i in usable:
        if window is not None and i not in window:
            continue
        line = lines[i].strip()
        seen += 1
        if seen > _LIMIT.title_search_lines:
            break
        key = _key(line)
        keys[key] = keys.get(key, 0) + 1
        if i in blocked or rules.line.reason(line) or _URL_LINE.match(line) or credit_of(line):
            continue
        if _is_dateline(line):
            dates.append(seen)
            continue
        if _CAPTION_ONLY.match(line):
            continue
        if _looks_like_title(line):
            candidates.append((seen, i))
    if not candidates:
        return None, "none"
    slug = _slug_words(url or meta.get("url"))
    if slug:
        scored = []
        for seen_at, i in candidates:
            words = set(_fold(lines[i]).split())
            overlap = len(words & slug) / max(1, len(slug | words))
            # a line close to the slug that the page prints twice (its <title> and <h1>) before
            # one closer to it printed once (the sapo, which often repeats the slug's words)
            twice = overlap >= _LIMIT.slug_overlap and keys[_key(lines[i].strip())] > 1
            scored.append((twice, overlap, -seen_at, i))
        _, overlap, _, best = max(scored)
        if overlap >= _LIMIT.slug_overlap:
            return best, "url-slug"
    for date in dates:
        before = [c for c in candidates if date - _LIMIT.dateline_title_reach <= c[0] < date]
        after = [c for c in candidates if date < c[0] <= date + _LIMIT.dateline_title_reach]
        # above the date as a rule; below it when what is above is a section's name ("Văn hóa -
        # Giải trí") and a headline follows the date
        if before and (not after or _words(lines[before[-1][1]]) >= _LIMIT.headline_min_words
                       or _words(lines[after[0][1]]) < _LIMIT.headline_min_words):
            return before[-1][1], "dateline"
        if after:
            return after[0][1], "dateline"
    repeated = [c for c in candidates
                if keys[_key(lines[c[1]].strip())] > 1 and _words(lines[c[1]]) >= _LIMIT.repeated_title_min_words]
    if repeated:
        return repeated[0][1], "repeated"
    # a title precedes the article's text: a title-like line after it is a caption or subheading
    before_text = [c for c in candidates if text_starts is None or c[1] <= text_starts]
    if before_text:
        return before_text[0][1], "first-title-like"
    return None, "none"


def _stated_title_unit(page: Page) -> int | None:
    """The unit holding the title the page states as a heading (``# h1``, ``<h1>``) or in its
    envelope (Jina's ``Title:``, printed again in the text)."""
    for stated, source in _stated_titles(page.meta):
        if source == "repeated":  # a title, but not a place to start the article from
            continue
        key = _key(stated)
        prints = [k for k, u in enumerate(page.units)
                  if u.text and u.kind not in ("header", "title-tag") and _key(u.text) == key]
        if prints and page.shape == "text":
            # page text that prints it more than once (a "# <title>" on top, again over the text
            # after menus and widgets that read like prose): the last print the article's text follows
            present = [k for k, u in enumerate(page.units) if u.text]
            followed = [k for k in prints
                        if any(len(page.units[j].text) >= _LIMIT.article_text_chars for j in present
                               if k < j <= k + _LIMIT.stated_title_text_reach)]
            return followed[-1] if followed else prints[0]
        if prints:
            return prints[0]
    return None


def _dateline_title_unit(page: Page) -> int | None:
    """In plain text, which states no title: the unit of a title-like line just above a dateline
    that the article's text follows (a few short lines, "Chia sẻ", may sit between): where the
    article starts, whatever widgets above it read like prose. None when no dateline has both."""
    units = page.units
    present = [k for k, u in enumerate(units) if u.text]
    for n, k in enumerate(present):
        text = units[k].text
        if n == 0 or not _few_words(text, _LIMIT.dateline_anchor_max_words) or not (
                text[:1].isupper() or text[:1].isdigit()):
            continue  # a dateline starts with its date, weekday or byline, not inside a sentence
        iso, rest = find_datetime(text)
        # a date and at most a name or "GMT+7": not a sentence's date
        if iso is None or _words(rest) > _LIMIT.dateline_anchor_rest_max_words:
            continue
        above = [j for j in present[max(0, n - _LIMIT.dateline_anchor_title_reach):n]
                 if _looks_like_title(units[j].text) and _words(units[j].text) >= _LIMIT.dateline_anchor_title_min_words
                 and not _is_dateline(units[j].text)]
        below = present[n + 1:n + 1 + _LIMIT.dateline_anchor_text_reach]
        # the text follows: a paragraph of article length just below (not a widget's line)
        if above and any(len(units[j].text) >= _LIMIT.article_text_chars for j in below):
            return above[-1]
    return None


@dataclass
class _View:
    """The lines the assembler reads: one per unit (html: blank lines between blocks), with the
    unit each line came from (None for the blank separators html needs)."""

    lines: list[str]
    unit_of: list[int | None]


def _view(page: Page) -> _View:
    if page.shape != "html":
        return _View([u.text for u in page.units], list(range(len(page.units))))
    lines: list[str] = []
    unit_of: list[int | None] = []
    for k, unit in enumerate(page.units):
        lines.append(unit.text)
        unit_of.append(k)
        if not unit.continues:
            lines.append("")
            unit_of.append(None)
    return _View(lines, unit_of)


# noqa below: the assembler's one pass over the lines; splitting it further is issue 14's seams work
def strip_boilerplate(text: str, profiles: Profiles | None = None, *, shape: str | None = None,  # noqa: C901
                      suffix: str = "", templates: Callable[[str | None], frozenset[str]] | None = None,
                      settings: Settings | None = None) -> Stripped:
    """Split a normalised scrape into title, metadata, paragraphs and captions, recording removals.

    The passes: shape -> units (:mod:`vnclean.tasks.blocks`), classify (:mod:`vnclean.tasks.classify`: links,
    stop words, length, context, the article's main run, the site's template), title and
    metadata, captions, assembly (this module). ``templates`` gives the unit keys a site repeats
    on many pages (:meth:`vnclean.tasks.templates.TemplateStore.template`), given the page's site.
    """
    profiles = profiles or load_profiles()
    settings = settings or load_settings()
    shape = shape or detect_shape(text, suffix)
    page = read_page(text, shape)
    view = _view(page)
    units = page.units
    site = profiles.detect(text)
    rules = profiles.rules_for(site)
    template = templates(site_of(page, site)) if templates is not None else frozenset()
    anchor = _stated_title_unit(page)
    stated = frozenset(unit_key(t) for t, _ in _stated_titles(page.meta))
    classified = classify(units, settings, templates=template, anchor=anchor, titles=stated)
    if anchor is None and page.shape == "text" and classified.start is not None:
        # plain text states no title; when the article's run reaches far above a title over its
        # dateline (widgets that read like prose, menus between), the article starts at that title
        dated = _dateline_title_unit(page)
        if dated is not None and classified.start < dated - settings.lead_window:
            classified = classify(units, settings, templates=template, anchor=dated, titles=stated)
    b = _Builder()
    lines = view.lines
    n_lines = len(lines)

    def unit(index: int) -> Unit | None:
        k = view.unit_of[index]
        return units[k] if k is not None else None

    def paragraph_end(index: int) -> str:
        """The last line of the paragraph line ``index`` starts or continues (Markdown soft breaks)."""
        while (u := unit(index)) is not None and u.continues and index + 1 < n_lines and lines[index + 1].strip():
            index += 1
        return lines[index].strip()

    # what the classifier calls furniture, by view line; and where the article's lead can be
    furniture: dict[int, str] = {}
    outside: set[int] = set()
    blocked: set[int] = set()
    for index in range(n_lines):
        k = view.unit_of[index]
        if k is None or not lines[index]:
            continue
        verdict = classified.verdicts[k]
        if verdict.cls == "bad":
            furniture[index] = verdict.reason
            if verdict.reason in ("links", "site-template"):
                blocked.add(index)
        if classified.outside(k, settings):
            outside.add(index)
    first_good = 0
    if classified.start is not None:
        first_good = next(i for i, k in enumerate(view.unit_of) if k == classified.start)
        window = range(max(0, first_good - settings.lead_window), first_good + _LIMIT.title_window_below)
    else:
        window = None
    url_hint = page.meta.get("url") or next((m["url"] for ln in lines[:_LIMIT.url_hint_lines]
                                             if (m := _URL_LINE.match(ln))), None)
    title_index, title_source = _choose_title(lines, rules, page.meta, window, frozenset(blocked), url_hint,
                                              first_good if classified.start is not None else None)
    body_started = False
    main_start = first_good if classified.start is not None else 0  # view line where the article's run starts

    title: str | None = None
    title_line: int | None = None
    title_key = ""
    pre_title: list[Block] = []
    body: list[Block] = []
    captions: list[Block] = []
    caption_pending = short_caption_pending = False
    alt_captions: dict[int, int] = {}  # line of an image whose alt text was taken as a caption -> next line
    tail_reason: str | None = None  # set once the article has ended
    after_credit = False  # a credit line after the text: only good units may follow
    for index, raw in enumerate(lines):
        number = index + 1
        line = raw.strip()
        u = unit(index)
        if not line:
            if u is not None and u.markup:
                b.remove(number, u.markup, "links" if u.links else "markup")
            else:
                caption_pending = False
            continue
        glued = index + 1 < n_lines and bool(lines[index + 1].strip())
        if u is not None and u.kind in ("header", "title-tag") and index != title_index:
            _header_field(b, number, line, u)
            continue
        reason = rules.line.reason(line)
        if reason:
            b.remove(number, line, reason)
            caption_pending = reason == "image-file"
            continue
        if u is not None and u.kind == "image" and index != title_index:
            below = next((j for j in range(index + 1, min(n_lines, index + 1 + _LIMIT.image_next_lines))
                          if lines[j].strip()), None)
            nxt = lines[below] if below is not None else ""
            if (index not in outside and _words(line) >= _LIMIT.image_caption_min_words and _key(line) != _key(nxt)
                    and _key(line) != title_key and "links" != furniture.get(index)):
                captions.append(Block(line, [number]))
                alt_captions[number] = below + 1 if below is not None else 0
                # its alt text is a caption; a short line under it that is not a sentence is the
                # printed caption ("Người mẫu An Tây", a name under a portrait)
                short_caption_pending = True
            else:
                b.remove(number, line, "image")
                caption_pending = index not in outside
            continue
        if (u is not None and u.figure and index not in outside and index not in furniture
                and _few_words(line, _LIMIT.figure_caption_max_words)):
            captions.append(Block(line, [number]))  # an image and its caption on one line
            caption_pending = short_caption_pending = False
            continue
        if caption_pending and _few_words(line, _LIMIT.caption_max_words) and index not in outside:
            captions.append(Block(line, [number]))
            caption_pending = False
            continue
        if short_caption_pending and _few_words(line, _LIMIT.short_caption_max_words) and not _ends_sentence(line) \
                and index not in outside and index not in furniture:
            captions.append(Block(line, [number]))
            short_caption_pending = False
            continue
        if title is not None and index not in outside and _PHOTO_CREDIT_LINE.match(line):
            captions.append(Block(line, [number]))  # a photo's credit on its own line ("Ảnh: CTV")
            caption_pending = short_caption_pending = False
            continue
        caption_pending = short_caption_pending = False
        # once a block heading ("Tin liên quan", comments) has closed the article, a dated or
        # capitalised line is the footer's (a licence, "RSS"), not the article's byline or credit;
        # after the end marker "/." the credit still follows
        if index not in outside and tail_reason in (None, "after-end") and _metadata_line(b, number, line):
            if body_started and b.removed[number].reason == "credit":
                after_credit = True  # "Theo TTXVN", "Nguồn: X" closes the article's text
            continue
        if u is not None and u.kind == "figcaption" and index not in outside:
            captions.append(Block(line, [number]))
            continue
        block = rules.block.reason(line)
        if block and _few_words(line, _LIMIT.block_heading_max_words):
            if index >= main_start and (body_started or (title is not None and block != "comments")):
                tail_reason = block
                b.remove(number, line, block)
                continue
            if block == "comments" or index < main_start:
                # above the article's main run (a comment counter, a "Tin mới" widget between the
                # title and the text, a "xem thêm" in a menu): that line only; what follows it is
                # the classifier's to judge
                b.remove(number, line, block)
                continue
        if tail_reason is not None:
            if title is not None and _key(line) == title_key:
                b.remove(number, line, "duplicate")
            elif rules.teaser_prefixes.reason(line):
                b.remove(number, line, "teaser")
            else:
                b.remove(number, line, tail_reason)
            continue
        if index not in outside and _few_words(line, _LIMIT.caption_max_words) and _CAPTION_ONLY.match(line):
            captions.append(Block(line, [number]))
            continue
        if (title is not None and glued and _few_words(line, _LIMIT.agency_caption_max_words)
                and not _ends_sentence(line)
                and _AGENCY_LINE.match(lines[index + 1].strip()) and index not in outside):
            captions.append(Block(line, [number]))  # a caption over its photo agency's credit ("BBC")
            continue
        if (title is not None and glued and _few_words(line, _LIMIT.credit_caption_max_words) and index not in outside
                and _PHOTO_CREDIT_LINE.match(lines[index + 1].strip())):
            captions.append(Block(line, [number]))  # a caption over its photo's credit line ("Ảnh: CTV")
            caption_pending = True  # the credit line is the caption's too
            continue
        if title_key and _key(line) == title_key and index != title_index:
            b.remove(number, line, "duplicate")
            continue
        if title_key and _is_title_image(line, title_key):
            # "<title> - Ảnh 1.": a photo whose alt text is the title; a caption may follow it
            b.remove(number, line, "image")
            caption_pending = index not in outside
            continue
        if index in furniture and index != title_index:
            b.remove(number, line, furniture[index] if index not in outside or furniture[index] != "context"
                     else "outside-article")
            continue
        if title is None and index <= (title_index if title_index is not None else -1):
            if index == title_index:
                title, title_line, title_key = line, number, _key(line)
            elif (_few_words(line, _LIMIT.site_header_max_words)
                  and not (_ends_sentence(line) and not line.endswith("..."))):
                b.remove(number, line, "site-header")  # menus, taglines, section names
            else:
                pre_title.append(Block(line, [number], glued))
            continue
        if body and any(p.match(line) for p in rules.summary_prefixes):
            # "(NLĐO) - …", "VTV.vn - …": a publisher's lead prefix once the article's text has
            # begun opens another article's sapo (a teaser), not this article's
            b.remove(number, line, "teaser")
            continue
        if after_credit and (k := view.unit_of[index]) is not None and (
                classified.verdicts[k].cls != "good" or not _SENTENCE_END.search(paragraph_end(index))):
            # after the closing credit, a paragraph that does not end as a sentence is another
            # article's headline (a "» ..." list of links written as text), not this article's
            b.remove(number, line, "after-end")
            continue
        if (not body_started and title is not None and _few_words(line, _LIMIT.section_label_max_words)
                and not _ends_sentence(line)):
            b.remove(number, line, "section-label")
            continue
        if title_key and _key(line) == title_key:
            b.remove(number, line, "duplicate")
            continue
        marker = _END_MARKER.search(line) if "/." in line else None  # what every match holds: found faster
        if marker:
            kept = line[: marker.start()]
            line = kept if kept.endswith(tuple(_TERMINAL)) else kept + "."
            tail_reason = "after-end"
        previous = unit(index - 1) if index > 0 else None
        if (previous is not None and previous.continues and body and body[-1].lines[-1] == number - 1
                and page.shape != "text"):
            # the next line of the same Markdown/HTML paragraph (a soft line break): one paragraph
            body[-1] = Block(f"{body[-1].text} {line}", body[-1].lines + [number], glued)
        else:
            body.append(Block(line, [number], glued))
        body_started = body_started or not _few_words(line, _LIMIT.short_line_max_words)

    if title is None and title_index is not None:  # the title line itself was a header field
        title, title_line = lines[title_index].strip(), title_index + 1
    if title is None and page.meta.get("title"):
        title = page.meta["title"]
        title_source = "title-header"
    if title is None:
        title_source = "none"

    _demote_date_banners(b, title_line, next((i + 1 for i, raw in enumerate(lines) if raw.strip()), None))
    summary, summary_lines = _take_summary(b, pre_title, body, rules)
    body = _split_captions(body, captions, blank_separated=_blank_separated(lines))
    captions = _printed_over_alt(b, captions, alt_captions)
    body = _drop_duplicates(b, body, title if title is not None and title_line is not None else "", summary)
    body = _join_split_paragraphs(body)
    if b.url is None and page.meta.get("url"):
        b.url = page.meta["url"]
    if b.published is None and page.meta.get("published"):
        b.published = find_datetime(page.meta["published"])[0]
    roles = {r.line: ("metadata" if r.reason in METADATA_REASONS else "remove") for r in b.removed.values()}
    roles.update({n: "caption" for c in captions for n in c.lines})
    roles.update({n: "keep" for block in body for n in block.lines})
    roles.update({n: "keep" for n in summary_lines})
    if title_line is not None:
        roles[title_line] = "metadata"
    if "flattened" in page.meta:  # pieces of one raw line: the line's role is its best piece's
        rank = ["remove", "metadata", "caption", "keep"]
        by_line: dict[int, str] = {}
        for number, role in roles.items():
            raw_line = _raw_line(number, page, view) or number
            if rank.index(role) > rank.index(by_line.get(raw_line, "remove")) or raw_line not in by_line:
                by_line[raw_line] = role
        roles = by_line
    removed = _raw_removed(b, page, view, text)
    return Stripped(
        site=site,
        title=title,
        url=b.url,
        published=b.published,
        credit=b.credit,
        summary=summary,
        paragraphs=[p.text for p in body],
        captions=[c.text for c in captions],
        removed=removed,
        title_line=_raw_line(title_line, page, view),
        roles=roles,
        shape=shape,
        title_source=title_source,
        view=lines,
    )


def _header_field(b: _Builder, number: int, line: str, unit: Unit) -> None:
    """An envelope field (Jina's ``URL Source:``, ``Published Time:``) or an HTML ``<title>``."""
    if unit.field == "url_source":
        b.url = b.url or line
        b.remove(number, line, "url")
    elif unit.field == "published_time":
        b.published = b.published or find_datetime(line)[0]
        b.remove(number, line, "dateline")
    else:
        b.remove(number, line, "title-tag" if unit.kind == "title-tag" else "header")


def _raw_line(number: int | None, page: Page, view: _View) -> int | None:
    if number is None:
        return None
    k = view.unit_of[number - 1]
    return page.units[k].line if k is not None else None


def _raw_removed(b: _Builder, page: Page, view: _View, text: str) -> list[Removed]:
    """Removed lines by raw line number: text and Markdown lines as the scrape had them; html
    blocks with their text at their element's source line."""
    if page.shape == "text" and "flattened" not in page.meta:  # view lines are the raw lines
        return [Removed.model_construct(line=r.line, text=r.text, reason=r.reason)
                for r in sorted(b.removed.values())]
    raw = text.split("\n")
    out = []
    for number, entry in b.removed.items():
        k = view.unit_of[number - 1]
        if k is None:
            continue
        line = page.units[k].line
        shown = raw[line - 1].strip() if page.shape == "markdown" and 0 < line <= len(raw) else entry.text
        out.append(Removed.model_construct(line=line, text=shown or entry.text, reason=entry.reason))
    return sorted(out, key=lambda r: r.line)


def _demote_date_banners(b: _Builder, title_line: int | None, first_line: int | None) -> None:
    """A date above the title is the site's clock when the article has its own date below the
    title: keep the article's date as ``published`` and record the banner as site furniture."""
    if title_line is None:
        return
    dated = sorted(r.line for r in b.removed.values() if r.reason in ("dateline", "byline"))
    before = [n for n in dated if n < title_line and b.removed[n].reason == "dateline"]
    after = [n for n in dated if n > title_line]
    article_date = find_datetime(b.removed[after[0]].text)[0] if after else None
    before = [n for n in before if find_datetime(b.removed[n].text)[0] != article_date]
    if before and after:
        for n in before:
            b.removed[n] = b.removed[n]._replace(reason="site-date")
        b.published = article_date
    elif before and before[0] == first_line and _CLOCK_BANNER.match(b.removed[first_line].text):
        # the page opens with today's date in the portal's template: it says when the page was
        # scraped, not when the article was published; no date is better than a wrong one
        b.removed[first_line] = b.removed[first_line]._replace(reason="site-date")
        rest = [n for n in dated if n != first_line]
        b.published = find_datetime(b.removed[rest[0]].text)[0] if rest else None


def _blank_separated(lines: list[str]) -> bool:
    """True when the scrape separates paragraphs with blank lines (most of the time)."""
    gaps = glued = 0
    previous_blank = True
    seen_text = False
    for line in lines:
        blank = not line.strip()
        if not blank and seen_text:
            if previous_blank:
                gaps += 1
            else:
                glued += 1
        seen_text = seen_text or not blank
        previous_blank = blank
    return gaps >= _LIMIT.blank_separated_min_gaps and gaps > glued


def _take_summary(b: _Builder, pre_title: list[Block], body: list[Block],
                  rules: CompiledRules) -> tuple[str | None, list[int]]:
    """The lead: a paragraph before the title (ONECMS) or one with a publisher prefix (VOV.VN - )."""
    summary: str | None = None
    lines: list[int] = []
    if pre_title:
        lead = pre_title[0]
        summary, lines = lead.text, lead.lines
        body[0:0] = pre_title[1:]  # more text before the title: keep it, in order, as body
    elif body:
        first = body[0].text
        for prefix in rules.summary_prefixes:
            match = prefix.match(first)
            if match:
                summary = first[match.end():].strip()
                lines = body.pop(0).lines
                break
    if summary is not None:
        # the lead repeated as the first body paragraph appears once
        for i, block in enumerate(body[:_LIMIT.summary_repeat_reach]):
            if _key(block.text) == _key(summary):
                for number in block.lines:
                    b.remove(number, block.text, "duplicate")
                body.pop(i)
                break
    return summary or None, lines


def _printed_over_alt(b: _Builder, captions: list[Block], alt_captions: dict[int, int]) -> list[Block]:
    """An image's alt text is its caption only when the page prints none under it: when the line
    after the image is a caption too, the alt text (a description for screen readers, often the
    printed caption reworded) is removed with the image."""
    printed = {n for c in captions for n in c.lines}
    out = []
    for c in captions:
        if len(c.lines) == 1 and alt_captions.get(c.lines[0]) in printed:
            b.remove(c.lines[0], c.text, "image")
        else:
            out.append(c)
    return out


def _split_captions(body: list[Block], captions: list[Block], blank_separated: bool) -> list[Block]:
    """Move captions out of the body: photo-credit captions, and short lines glued to a paragraph."""
    kept: list[Block] = []
    for i, block in enumerate(body):
        text = block.text
        if _CAPTION_ONLY.match(text) and _words(text) <= _LIMIT.caption_max_words:
            captions.append(block)
            continue
        fused = _FUSED_CAPTION.match(text)
        if fused and _words(fused["caption"]) <= _LIMIT.caption_max_words and fused["rest"][:1].isupper():
            captions.append(Block(fused["caption"], block.lines))
            block = Block(fused["rest"], block.lines, block.glued_to_next)
            text = block.text
        nxt = body[i + 1] if i + 1 < len(body) else None
        if (blank_separated and block.glued_to_next and nxt is not None
                and nxt.lines[0] == block.lines[-1] + 1
                and _LIMIT.glued_caption_min_words <= _words(text) <= _LIMIT.glued_caption_max_words
                and not _ends_sentence(text) and not text.endswith((",", ";", ":"))
                and _words(nxt.text) >= _LIMIT.glued_caption_next_min_words):
            captions.append(block)
            continue
        kept.append(block)
    return kept


def _drop_duplicates(b: _Builder, body: list[Block], title: str, summary: str | None) -> list[Block]:
    seen = ({_key(title)} if title else set()) | ({_key(summary)} if summary else set())
    kept = []
    for block in body:
        key = _key(block.text)
        if key in seen:
            for number in block.lines:
                b.remove(number, block.text, "duplicate")
            continue
        seen.add(key)
        kept.append(block)
    return kept


def _join_split_paragraphs(body: list[Block]) -> list[Block]:
    """Join a paragraph the scrape split in mid-sentence: it ends with ',' or ';' (or no
    punctuation at all) and the next one starts in lower case."""
    joined: list[Block] = []
    for block in body:
        if joined and block.text[:1].islower() and not _ends_sentence(joined[-1].text) \
                and not joined[-1].text.endswith(":"):
            last = joined[-1]
            joined[-1] = Block(f"{last.text} {block.text}", last.lines + block.lines, block.glued_to_next)
        else:
            joined.append(block)
    return joined
