"""Flattened pages: cut a line that holds a whole page back into pieces the classifier can judge.

Some scrapers lose the page's line breaks: BeautifulSoup's ``get_text(" ")``, a JSON field saved
without its newlines. Then the menu, the article and the footer sit on one line, and a classifier
of lines can only keep it all or drop it all. :func:`split_flattened` cuts such a line, using
signals that hold on any site (thresholds in ``data/strip/flattened.toml``):

1. sentence ends (``.``, ``?``, ``!``, ``…``, closing quotes, then a capital or a digit);
2. a date with its clock time ("20/05/2026 12:52 GMT+7") ending a short piece: a dateline or byline;
   the title a page prints twice at its top (``<title>``, then ``<h1>``): each its own piece;
   a list's bullet standing as a word ("» Quy định mới …"), and a ``|`` between the items of a
   menu, breadcrumb or byline (not between a date and its time);
3. inside a piece, menu words before prose: the words before a capitalised word are the site's
   when they are Title Case (their "menu evidence" is high) and the words after read as prose;
   those words are cut at each capital, one piece per menu item, as the page's lines would have
   been.

Pure and explainable: :func:`plan` returns each piece with the rule that cut it. Nothing is lost:
the pieces joined with single spaces are the line (single-spaced, as ingest leaves it).
"""
from __future__ import annotations

import functools
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

DATA = Path(__file__).parent / "data" / "strip"
# Vietnamese and other Latin capitals (a range such as "À-Ỹ" also holds the small letters: "đ", "ó")
UPPER = "".join(sorted({c for c in map(chr, range(0x41, 0x1F00)) if c.isupper() and c.isalpha()}))
# a sentence's end and the space after it, before a capital, a digit or an opening quote
_SENTENCE_END = re.compile(rf"[.!?…]+[\"”’»)\]]*(\s+)(?=[\"“‘«(\[#]?[{UPPER}\d])")
# a date with its clock time, either order, with an optional time zone: a dateline's end
_DATETIME = re.compile(
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{4}[\s,|-]*\d{1,2}[:h]\d{2}(?::\d{2})?|\d{1,2}[:h]\d{2}(?::\d{2})?[\s,|-]*"
    r"(?:ngày\s*)?\d{1,2}[/.-]\d{1,2}[/.-]\d{4})(?:\s*\(?(?:GMT|UTC)\s*\+\s*0?7(?::00)?\)?)?(\s+)"
    rf"(?=[{UPPER}])")

# a list's bullet standing as a word before an item ("» Quy định mới ...", "• Tin liên quan"): each
# item of a list whose line breaks were lost starts there
_BULLET = re.compile(rf"(\s+)(?=[»•►▸▪◦■▶➤]\s+[\"“‘«(\[]?[{UPPER}\d])")
# a separator between the items of a menu, a breadcrumb or a byline ("Thời sự | Quốc tế"); not
# between a date and its time ("20/05/2026 | 12:52": one dateline)
_SEPARATOR = re.compile(r"(?<!\d)\s\|(\s+)(?=\S)")


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_line_chars: int = Field(ge=200)
    prose_capital_share: float = Field(gt=0, lt=1)
    min_menu_evidence: float = Field(gt=0)
    max_prose_evidence: float = Field(ge=-1, le=1)
    min_menu_words: int = Field(ge=2)
    min_menu_share: float = Field(ge=-1, le=1)
    min_sentence_words: int = Field(ge=1)
    max_dateline_words: int = Field(ge=2)
    title_first_words: int = Field(ge=1)
    title_second_words: int = Field(ge=1)
    max_title_menu_evidence: float = Field(ge=-1, le=1)
    title_adjacent_words: int = Field(ge=1)


@functools.cache
def load_settings(path: Path = DATA / "flattened.toml") -> Settings:
    from vnclean.tasks.classify import read_settings

    return read_settings(Settings, path, "flattened-page settings")


def is_flattened(line: str, settings: Settings | None = None) -> bool:
    return len(line) >= (settings or load_settings()).min_line_chars


def _cuts(line: str, pattern: re.Pattern[str]) -> list[int]:
    """Offsets where ``pattern``'s first group (the space) ends: where the next piece starts."""
    return [m.end(1) for m in pattern.finditer(line)]


def _pieces(line: str, cuts: list[int]) -> list[str]:
    bounds = [0, *sorted(set(cuts)), len(line)]
    return [line[a:b].strip() for a, b in zip(bounds, bounds[1:], strict=False) if line[a:b].strip()]


def _is_capital(word: str) -> bool:
    return word[:1].isupper()


def _menu_split(piece: str, s: Settings) -> tuple[list[str], str] | None:
    """(menu items, prose) when ``piece`` opens with menu words before prose, else None."""
    words = piece.split(" ")
    evidence = [(1.0 if _is_capital(w) else 0.0) - s.prose_capital_share for w in words]
    best, best_at, total = 0.0, 0, 0.0
    for i, word in enumerate(words):
        # the prose starts at a capital after a small word (a name's syllables stay together)
        if i and _is_capital(word) and not _is_capital(words[i - 1]) and total > best:
            best, best_at = total, i
        total += evidence[i]
    if best < s.min_menu_evidence or not best_at:
        return None
    rest = evidence[best_at:]
    if len(rest) < 6 or sum(rest) / len(rest) > s.max_prose_evidence:
        return None
    return _items(words[:best_at]), " ".join(words[best_at:])


def _items(words: list[str]) -> list[str]:
    """Menu words cut into items: a new item at each capital after a small word (a name's
    syllables and a date's numbers stay with the item)."""
    items: list[list[str]] = []
    for i, word in enumerate(words):
        if not items or (_is_capital(word) and words[i - 1][:1].islower()):
            items.append([word])
        else:
            items[-1].append(word)
    return [" ".join(item) for item in items]


def _all_menu(piece: str, s: Settings) -> list[str] | None:
    """A piece that is menu words throughout (no prose in it), cut into its items, else None."""
    words = piece.split(" ")
    if len(words) < s.min_menu_words:
        return None
    evidence = sum((1.0 if _is_capital(w) else 0.0) - s.prose_capital_share for w in words) / len(words)
    return _items(words) if evidence >= s.min_menu_share else None


def _bare(word: str) -> str:
    return word.casefold().strip(".,;:!?…\"'“”‘’()[]«»-–—|#*")


# a crawler's envelope at the start of the page: its title, then the article's address
# ("<title> URL nguồn: https://…", "Title: <title> URL Source: https://…")
# the labels crawlers put before the article's address (also read on a line of its own: tasks.boilerplate)
URL_LABEL = r"(?:URL(?: Source| nguồn| gốc| bài viết)?|Link(?: bài viết| gốc)?|Source|Đường dẫn)"
_ENVELOPE = re.compile(rf"^(?P<title>(?:Title:\s*)?\S.{{8,300}}?)\s+(?P<url>{URL_LABEL}\s*:\s*https?://\S+)(?:\s+|$)",
                       re.I)


def envelope(line: str) -> tuple[str, str, str] | None:
    """A flattened page that starts with its title and address, as crawlers put them on top:
    (title, address field, the rest of the line), or None.

    >>> envelope("Bão số 3 đổ bộ URL nguồn: https://a.vn/bao-so-3 Trang chủ Thời sự")
    ('Bão số 3 đổ bộ', 'URL nguồn: https://a.vn/bao-so-3', 'Trang chủ Thời sự')
    """
    m = _ENVELOPE.match(line)
    if m is None or len(m["title"].split()) > 40:
        return None
    return m["title"], m["url"], line[m.end():]


def repeated_title(line: str, settings: Settings | None = None) -> tuple[int, int, int, int] | None:
    """Word spans (first start, first end, second start, second end) of the title a flattened
    page prints twice near its top (its ``<title>``, then its ``<h1>`` above the article), or None.

    The repeated phrase must start in the page's first words (``title_first_words``), be printed
    again within ``title_second_words`` words, be 5-40 words long, start as a title does (a
    capital, a digit or a quote, not a word inside a sentence) and not read as menu words (a
    desktop and a mobile menu also repeat). Without one, a phrase printed twice in a row (a
    breadcrumb's last item, then the ``<h1>``) starting in the first ``title_adjacent_words``
    words: the last such one (a widget's repeat comes before the title).

    >>> repeated_title("Bão số 3 đổ bộ vào Quảng Ninh - Báo X Trang chủ Thời sự "
    ...                "Bão số 3 đổ bộ vào Quảng Ninh Chiều 7/9, bão ...")
    (0, 8, 15, 23)
    >>> repeated_title("Tin Bão Số đổ bộ vào miền Bắc Tin Bão Số đổ bộ vào miền Bắc Chiều 7/9, bão ...")
    (0, 8, 8, 16)
    >>> menu = " ".join(["Trang Chủ Thời Sự Kinh Tế"] * 10)
    >>> repeated_title(f"{menu} Hãy gọi cho chúng tôi ngay Hãy gọi cho chúng tôi ngay Tổng đài "
    ...                "Bão số 3 đổ bộ vào Quảng Ninh Bão số 3 đổ bộ vào Quảng Ninh Chiều 7/9, bão ...")
    (74, 82, 82, 90)
    """
    s = settings or load_settings()
    words = [_bare(w) for w in line.split(" ")]
    return (_repeated(line, words, s, s.title_first_words, s.title_second_words, adjacent=False)
            or _repeated(line, words, s, s.title_adjacent_words, s.title_adjacent_words, adjacent=True))


def _repeated(line: str, words: list[str], s: Settings, first_words: int, second_words: int,
              adjacent: bool) -> tuple[int, int, int, int] | None:
    """:func:`repeated_title`'s scan: a phrase of 5-40 words starting in the first ``first_words``
    words and printed again within ``second_words`` words (``adjacent``: right after itself)."""
    n = 5
    first_at: dict[tuple[str, ...], int] = {}
    found: tuple[int, int, int, int] | None = None
    for i in range(min(len(words) - n + 1, first_words + second_words + 1)):  # no print starts later
        gram = tuple(words[i:i + n])
        j = first_at.get(gram)
        if j is None:
            if i < first_words:
                first_at[gram] = i
            continue
        if i - j < n or i - j > second_words:
            continue
        while j > 0 and i - 1 > j + n and words[j - 1] == words[i - 1] and words[j - 1]:
            i, j = i - 1, j - 1
        length = n
        while i + length < len(words) and j + length < i and words[j + length] == words[i + length]:
            length += 1
        if adjacent and j + length != i:
            continue
        raw = line.split(" ")[i:i + length]
        capitals = sum(1 for w in raw if w[:1].isupper()) / length
        opens = raw[0][:1].isupper() or raw[0][:1].isdigit() or raw[0][:1] in "\"“‘«("
        # (rounded: 0.5 - 0.35 is 0.15000000000000002 in floating point, over a limit of 0.15)
        if length <= 40 and opens and round(capitals - s.prose_capital_share, 9) <= s.max_title_menu_evidence:
            if not adjacent:
                return j, j + length, i, i + length
            found = j, j + length, i, i + length  # the last one: a widget's repeat comes before the title's
    return found


def plan(line: str, settings: Settings | None = None) -> list[tuple[str, str]]:
    """The pieces of a flattened line, each with the rule that cut it before it
    (``start``, ``sentence``, ``dateline``, ``bullet``, ``separator``, ``title``, ``menu``, ``prose``).

    >>> for rule, text in plan("Tin liên quan » Giá vàng tăng mạnh » Xăng giảm giá "
    ...                        "Pháp luật | Thời sự | Bạn đọc 20/05/2026 | 12:52"):
    ...     print(rule, "|", text)
    start | Tin liên quan
    bullet | » Giá vàng tăng mạnh
    bullet | » Xăng giảm giá Pháp luật |
    separator | Thời sự |
    separator | Bạn đọc 20/05/2026 | 12:52

    >>> line = ("Trang chủ Thời sự Lạc Xuân 20/05/2026 12:52 GMT+7 Chia sẻ "
    ...         "Trang chủ Thời sự Thế giới Kinh tế Đời sống Sức khỏe Giáo dục Đăng nhập Trước khi bị bắt, "
    ...         "anh ấy từng là ca sĩ của một nhóm nhạc và đã có nhiều bài hát. Anh cũng tham gia một số "
    ...         "chương trình truyền hình.")
    >>> for rule, text in plan(line, load_settings().model_copy(update={"min_line_chars": 200})):
    ...     print(rule, "|", text)
    start | Trang chủ
    menu | Thời sự
    menu | Lạc Xuân 20/05/2026 12:52 GMT+7
    dateline | Chia sẻ
    menu | Trang chủ
    menu | Thời sự
    menu | Thế giới
    menu | Kinh tế
    menu | Đời sống
    menu | Sức khỏe
    menu | Giáo dục
    menu | Đăng nhập
    prose | Trước khi bị bắt, anh ấy từng là ca sĩ của một nhóm nhạc và đã có nhiều bài hát.
    sentence | Anh cũng tham gia một số chương trình truyền hình.
    """
    s = settings or load_settings()
    line = " ".join(line.split())
    cuts = {c: "sentence" for c in _cuts(line, _SENTENCE_END)}
    cuts.update({c: "bullet" for c in _cuts(line, _BULLET)})
    cuts.update({c: "separator" for c in _cuts(line, _SEPARATOR) if c not in cuts})
    # a dateline is short (a byline and the date): a date inside a sentence is the sentence's
    for c in _cuts(line, _DATETIME):
        before = max((k for k in cuts if k < c), default=0)
        if len(line[before:c].split()) <= s.max_dateline_words:
            cuts[c] = "dateline"
    title = repeated_title(line, s)
    titles: set[str] = set()
    if title is not None:  # the title printed twice: each its own piece, never cut as menu words
        offsets = [0]
        for word in line.split(" "):
            offsets.append(offsets[-1] + len(word) + 1)
        for k in title:
            if 0 < k < len(offsets) - 1:
                cuts[offsets[k]] = "title"
        titles = {" ".join(line.split(" ")[title[0]:title[1]]), " ".join(line.split(" ")[title[2]:title[3]])}
    bounds = [0, *sorted(cuts), len(line)]
    rough: list[tuple[str, str]] = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        text = line[a:b].strip()
        if not text:
            continue
        rule = cuts.get(a, "start")
        if rough and rule == "sentence" and len(rough[-1][1].split()) < s.min_sentence_words \
                and rough[-1][0] != "title":
            rough[-1] = (rough[-1][0], f"{rough[-1][1]} {text}")  # "TS. Nguyễn Văn A": one sentence
            continue
        rough.append((rule, text))
    out: list[tuple[str, str]] = []
    for rule, text in rough:
        split = None if text in titles else _menu_split(text, s)
        if split is None and text in titles:
            out.append((rule, text))
            continue
        if split is None:
            items = _all_menu(text, s)
            if items is None:
                out.append((rule, text))
            else:
                out.append((rule, items[0]))
                out += [("menu", item) for item in items[1:]]
            continue
        items, prose = split
        out.append((rule, items[0]))
        out += [("menu", item) for item in items[1:]]
        out.append(("prose", prose))
    return out


def split_flattened(line: str, settings: Settings | None = None) -> list[str]:
    """The pieces of a flattened line, in order; joined with spaces they are the line."""
    return [text for _, text in plan(line, settings)]
