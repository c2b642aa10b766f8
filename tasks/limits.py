"""Limits that protect the outputs: a title, sapo or caption is capped at a sane length (the
numbers and their reasons: ``tasks/data/limits/limits.toml``), and what is cut off goes to the body
as a paragraph, so nothing is lost and a 2 MB single-line scrape cannot become a 2 MB title.

>>> split_at("Một câu ngắn. Câu thứ hai dài hơn nhiều so với câu đầu.", 24)
('Một câu ngắn.', 'Câu thứ hai dài hơn nhiều so với câu đầu.')
>>> split_at("không có dấu chấm nào trong dòng này", 20)
('không có dấu chấm', 'nào trong dòng này')
"""
from __future__ import annotations

import dataclasses
import functools
import re
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vnclean.tasks.boilerplate import Stripped

LIMITS_FILE = Path(__file__).parent / "data" / "limits" / "limits.toml"
# A scrape larger than this is rejected (too_large) before it is read; ``--max-bytes`` changes it.
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
_SENTENCE_END = re.compile(r"[.!?…][\"”’»)\]]*\s+")


@dataclasses.dataclass(frozen=True)
class Limits:
    title_chars: int
    summary_chars: int
    caption_chars: int
    row_title_chars: int
    row_reason_chars: int


@functools.cache
def load_limits(path: Path = LIMITS_FILE) -> Limits:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return Limits(**data["document"], **data["run"])


def split_at(text: str, limit: int) -> tuple[str, str]:
    """``text`` cut to at most ``limit`` characters — after the last sentence in the second half of
    them, else at the last space, else at ``limit`` — and the rest ("" when it fits)."""
    if len(text) <= limit:
        return text, ""
    window = text[: limit + 1]
    ends = [m.end() for m in _SENTENCE_END.finditer(window, limit // 2)]
    cut = ends[-1] if ends else window.rfind(" ")
    if cut <= 0:
        cut = limit
    return text[:cut].rstrip(), text[cut:].strip()


def shorten(text: str, limit: int) -> str:
    """For a one-line summary: ``text`` cut to ``limit`` characters with "…" when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cap_fields(stripped: Stripped, limits: Limits | None = None) -> Stripped:
    """The title, sapo and captions within their limits; the overflow of the title and sapo opens
    the body (in reading order), a caption's follows it."""
    limits = limits or load_limits()
    title, title_rest = split_at(stripped.title, limits.title_chars) if stripped.title else (stripped.title, "")
    summary, summary_rest = (split_at(stripped.summary, limits.summary_chars) if stripped.summary
                             else (stripped.summary, ""))
    captions, caption_rest = [], []
    for caption in stripped.captions:
        head, rest = split_at(caption, limits.caption_chars)
        captions.append(head)
        caption_rest += [rest] if rest else []
    if not (title_rest or summary_rest or caption_rest):
        return stripped
    paragraphs = [p for p in (title_rest, summary_rest) if p] + stripped.paragraphs + caption_rest
    return dataclasses.replace(stripped, title=title, summary=summary, captions=captions, paragraphs=paragraphs)
