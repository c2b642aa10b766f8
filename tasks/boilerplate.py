"""Stage 2, strip boilerplate: normalised scrape text -> title, metadata, paragraphs, captions.

Every non-blank raw line ends up in exactly one place: the title, a paragraph (possibly joined
with its neighbours), the summary, a caption, or ``removed`` with a reason (metadata lines are
both moved to their field and listed in ``removed``, so the review shows where they went).

The rules are data: ``data/sites/*.toml`` (see its README). The generic layer needs no profile:
separators, image files, datelines and bylines, credit lines, block headings ("Tin liên quan"),
an end-of-article boundary (end marker, credit, share prompt, block heading) after which lines
are site furniture, repeated lines, captions by position and by photo credit, and the joining of
paragraphs that a scrape split in mid-sentence.
"""
from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, Field, field_validator

from tasks.models import Removed

SITES_DIR = Path(__file__).parent / "data" / "sites"

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
        return value


class Profile(BaseModel):
    name: str
    detect: list[str] = Field(default_factory=list)
    detect_strong: list[str] = Field(default_factory=list)
    summary_prefixes: list[str] = Field(default_factory=list)
    teaser_prefixes: list[str] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)


@dataclass(frozen=True)
class CompiledRules:
    line: tuple[tuple[re.Pattern[str], str], ...]
    block: tuple[tuple[re.Pattern[str], str], ...]
    summary_prefixes: tuple[re.Pattern[str], ...]
    teaser_prefixes: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class Profiles:
    generic: Profile
    sites: tuple[Profile, ...]

    def detect(self, text: str) -> str | None:
        best, best_score = None, 0
        for profile in self.sites:
            score = 3 * sum(bool(re.search(p, text)) for p in profile.detect_strong)
            score += sum(bool(re.search(p, text)) for p in profile.detect)
            if score > best_score:
                best, best_score = profile.name, score
        return best

    @functools.cache
    def rules_for(self, site: str | None) -> CompiledRules:
        chosen = [p for p in self.sites if p.name == site]
        # Site rules first: a site's own reading of a line wins over the generic one.
        profiles = chosen + [self.generic]
        line, block = [], []
        for profile in profiles:
            for rule in profile.rules:
                target = line if rule.kind == "line" else block
                target.extend((re.compile(p), rule.reason) for p in rule.patterns)
        prefixes = [re.compile(p) for prof in profiles for p in prof.summary_prefixes]
        prefixes.append(_GENERIC_PREFIX)
        teasers = [re.compile(p) for prof in profiles for p in prof.teaser_prefixes]
        return CompiledRules(tuple(line), tuple(block), tuple(prefixes), tuple(teasers))

    def __hash__(self) -> int:  # for functools.cache on rules_for
        return id(self)


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
_WEEKDAY = r"(?:Thứ\s+(?:Hai|Ba|Tư|Năm|Sáu|Bảy|[2-7])|Chủ\s+[Nn]hật|CN)"
_DATE_DMY = re.compile(r"(?<![\d/.])(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})(?![\d/])")
_DATE_WORDS = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.I)
_DATE_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::\d{2})?)?")
_TIME = re.compile(r"(?<![\d:])(\d{1,2})\s*(?::|h|giờ)\s*(\d{2})(?:\s*(?:phút|'))?(?![\d:])")
_DATELINE_NOISE = re.compile(
    rf"(?i:cập nhật(?: lúc| ngày)?|đăng(?: lúc| ngày)?|ngày đăng|xuất bản|published|updated|posted)"
    rf"|\(?(?:GMT|UTC)\s*\+\s*0?7(?::00)?\)?|{_WEEKDAY}|\b(?:AM|PM|SA|CH)\b|ngày|lúc|[,|\-–—()]"
)
_CREDIT_LINE = (
    re.compile(r"^(?:Theo|Nguồn\s*:)\s+(?P<credit>[A-ZĐÀ-Ỹ][^.;!?]{1,60}?)\s*\.?$"),
    re.compile(r"^\((?P<credit>[A-ZĐ][A-Za-zĐđ0-9 .+/&-]{1,30})\)\.?$"),
    re.compile(r"^Nguồn\s*:\s*(?P<credit>.{2,80})$"),
)
_URL_LINE = re.compile(r"^(?:https?://|www\.)\S+$")
_END_MARKER = re.compile(r"\s*(\.?)\s*/\.\s*$")
_PHOTO_CREDIT = r"\((?:Ảnh|Nguồn|Ảnh minh họa|Ảnh minh hoạ|Ảnh chụp màn hình|Photo|Đồ họa|Đồ hoạ|Video|Clip)\s*:[^()]{1,100}\)"
_FUSED_CAPTION = re.compile(rf"^(?P<caption>.{{8,600}}?{_PHOTO_CREDIT})\s+(?P<rest>\S.*)$")
_CAPTION_ONLY = re.compile(rf"^.{{3,600}}{_PHOTO_CREDIT}\.?$")
# "VOV.VN - ", "(Chinhphu.vn) - ": a publisher prefix in front of the lead.
_GENERIC_PREFIX = re.compile(
    r"^(?:[A-Z][A-Za-z]{1,20}(?:\.[A-Za-z]{2,4}){1,2}|\([A-ZĐ][^()]{1,25}\))\s*[-–—]\s*(?=\S)")
_WORD = re.compile(r"\w+", re.UNICODE)


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def _key(text: str) -> str:
    """Comparison key for repeated lines: case-folded words only."""
    return " ".join(_WORD.findall(text.casefold()))


def _ends_sentence(text: str) -> bool:
    return text.rstrip().endswith(tuple(_TERMINAL))


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
    >>> find_datetime("Ngày 4/11, tại Hà Nội")[0] is None
    True
    """
    rest = line
    year = month = day = None
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
    if match is None or not (1 <= month <= 12 and 1 <= day <= 31 and 1900 <= year <= 2100):
        return None, line
    rest = rest[: match.start()] + " " + rest[match.end():]
    if hour is None:
        t = _TIME.search(rest)
        if t and int(t[1]) < 24 and int(t[2]) < 60:
            hour, minute = int(t[1]), int(t[2])
            rest = rest[: t.start()] + " " + rest[t.end():]
    rest = " ".join(_DATELINE_NOISE.sub(" ", rest).split())
    if hour is None:
        return f"{year:04d}-{month:02d}-{day:02d}", rest
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:00+07:00", rest


def credit_of(line: str) -> str | None:
    """The source a short credit line names.

    >>> credit_of("Theo TTXVN"), credit_of("(TTXVN)"), credit_of("Theo dòng thời sự")
    ('TTXVN', 'TTXVN', None)
    """
    if _words(line) > 10:
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
    title: str
    url: str | None
    published: str | None
    credit: str | None
    summary: str | None
    paragraphs: list[str]
    captions: list[str]
    removed: list[Removed]
    paragraph_lines: list[list[int]] = field(default_factory=list)
    title_line: int | None = None


class _Builder:
    def __init__(self) -> None:
        self.removed: dict[int, Removed] = {}
        self.url: str | None = None
        self.published: str | None = None
        self.credit: str | None = None

    def remove(self, number: int, text: str, reason: str) -> None:
        self.removed.setdefault(number, Removed(line=number, text=text, reason=reason))


def _metadata_line(b: _Builder, number: int, text: str) -> bool:
    """Move a URL, dateline, byline or credit line to its field; True when the line was one."""
    if _URL_LINE.match(text):
        b.url = b.url or text
        b.remove(number, text, "url")
        return True
    if _words(text) <= 14:
        iso, rest = find_datetime(text)
        if iso is not None:
            rest_words = _words(rest)
            if rest_words == 0:
                b.published = b.published or iso
                b.remove(number, text, "dateline")
                return True
            if rest_words <= 6 and rest[:1].isupper() and not _ends_sentence(rest):
                b.published = b.published or iso
                b.credit = b.credit or rest
                b.remove(number, text, "byline")
                return True
    credit = credit_of(text)
    if credit:
        b.credit = b.credit or credit
        b.remove(number, text, "credit")
        return True
    return False


def _looks_like_title(text: str) -> bool:
    n = _words(text)
    return 4 <= n <= 40 and not text.rstrip().endswith((".", ";", ",", ":", "/."))


def strip_boilerplate(text: str, profiles: Profiles | None = None) -> Stripped:
    """Split a normalised scrape into title, metadata, paragraphs and captions, recording removals."""
    profiles = profiles or load_profiles()
    site = profiles.detect(text)
    rules = profiles.rules_for(site)
    b = _Builder()
    lines = text.split("\n")

    title: str | None = None
    title_line: int | None = None
    pre_title: list[Block] = []
    body: list[Block] = []
    captions: list[Block] = []
    caption_pending = False
    tail_reason: str | None = None  # set once the article has ended
    for index, raw in enumerate(lines):
        number = index + 1
        line = raw.strip()
        if not line:
            caption_pending = False
            continue
        glued = index + 1 < len(lines) and bool(lines[index + 1].strip())
        reason = next((r for p, r in rules.line if p.search(line)), None)
        if reason:
            b.remove(number, line, reason)
            caption_pending = reason == "image-file"
            continue
        if caption_pending and _words(line) <= 60:
            captions.append(Block(line, [number]))
            caption_pending = False
            continue
        if _metadata_line(b, number, line):
            continue
        block = next((r for p, r in rules.block if p.search(line)), None)
        if block and _words(line) <= 8 and (title is not None):
            tail_reason = block
            b.remove(number, line, block)
            continue
        if tail_reason is not None:
            if title is not None and _key(line) == _key(title):
                b.remove(number, line, "duplicate")
            elif any(p.search(line) for p in rules.teaser_prefixes):
                b.remove(number, line, "teaser")
            else:
                b.remove(number, line, tail_reason)
            continue
        if title is None:
            if _looks_like_title(line):
                title, title_line = line, number
            elif _words(line) <= 3 and not _ends_sentence(line):
                b.remove(number, line, "breadcrumb")
            else:
                pre_title.append(Block(line, [number], glued))
            continue
        if _key(line) == _key(title):
            b.remove(number, line, "duplicate")
            continue
        marker = _END_MARKER.search(line)
        if marker:
            kept = line[: marker.start()]
            line = kept if kept.endswith(tuple(_TERMINAL)) else kept + "."
            tail_reason = "after-end"
        body.append(Block(line, [number], glued))

    if title is None:  # nothing title-like: the first line is the title whatever it looks like
        first = (pre_title or body or [Block("", [])]).pop(0)
        title, title_line = first.text, (first.lines[0] if first.lines else None)

    summary = _take_summary(b, pre_title, body, rules)
    body = _split_captions(body, captions, blank_separated=_blank_separated(lines))
    body = _drop_duplicates(b, body, title, summary)
    body = _join_split_paragraphs(body)
    return Stripped(
        site=site,
        title=title,
        url=b.url,
        published=b.published,
        credit=b.credit,
        summary=summary,
        paragraphs=[p.text for p in body],
        captions=[c.text for c in captions],
        removed=sorted(b.removed.values(), key=lambda r: r.line),
        paragraph_lines=[p.lines for p in body],
        title_line=title_line,
    )


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
    return gaps >= 2 and gaps > glued


def _take_summary(b: _Builder, pre_title: list[Block], body: list[Block], rules: CompiledRules) -> str | None:
    """The lead: a paragraph before the title (ONECMS) or one with a publisher prefix (VOV.VN - )."""
    summary: str | None = None
    if pre_title:
        lead = pre_title[0]
        summary = lead.text
        for extra in pre_title[1:]:  # more text before the title: keep it, in order, as body
            body.insert(0, extra)
    elif body:
        first = body[0].text
        for prefix in rules.summary_prefixes:
            match = prefix.match(first)
            if match:
                summary = first[match.end():].strip()
                body.pop(0)
                break
    if summary is not None:
        # the lead repeated as the first body paragraph appears once
        for i, block in enumerate(body[:3]):
            if _key(block.text) == _key(summary):
                for number in block.lines:
                    b.remove(number, block.text, "duplicate")
                body.pop(i)
                break
    return summary or None


def _split_captions(body: list[Block], captions: list[Block], blank_separated: bool) -> list[Block]:
    """Move captions out of the body: photo-credit captions, and short lines glued to a paragraph."""
    kept: list[Block] = []
    for i, block in enumerate(body):
        text = block.text
        if _CAPTION_ONLY.match(text) and _words(text) <= 60:
            captions.append(block)
            continue
        fused = _FUSED_CAPTION.match(text)
        if fused and _words(fused["caption"]) <= 60 and fused["rest"][:1].isupper():
            captions.append(Block(fused["caption"], block.lines))
            block = Block(fused["rest"], block.lines, block.glued_to_next)
            text = block.text
        nxt = body[i + 1] if i + 1 < len(body) else None
        if (blank_separated and block.glued_to_next and nxt is not None
                and nxt.lines[0] == block.lines[-1] + 1
                and 2 <= _words(text) <= 30 and not _ends_sentence(text) and not text.endswith((",", ";", ":"))
                and _words(nxt.text) >= 12):
            captions.append(block)
            continue
        kept.append(block)
    return kept


def _drop_duplicates(b: _Builder, body: list[Block], title: str, summary: str | None) -> list[Block]:
    seen = {_key(title)} | ({_key(summary)} if summary else set())
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
