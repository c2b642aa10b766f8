"""Strip pass 1, shape -> units: a scrape's text as the units the classifier and assembler read.

A scrape comes in one of three shapes (:func:`detect_shape`):

- ``text``: plain lines, as ``get_text()`` or a copy from a browser gives them;
- ``markdown``: what crawlers save (crawl4ai, Firecrawl, Jina Reader): ``* [Menu](url)`` lists,
  ``![alt](src)`` images, ``# headings``, ``Title:`` / ``URL Source:`` headers. Read with
  markdown-it-py (CommonMark + tables), never with ad-hoc regexes;
- ``html``: a page saved as is. Read with lxml's HTML parser.

Every shape becomes a list of :class:`Unit`: one visible text with its links reduced to their
text, how much of it sits inside links, what kind of element held it (line, paragraph, heading
and its level, list item, image with its ``src``, table cell, header field) and the raw line it
came from. For ``text`` and ``markdown`` there is exactly one unit per raw line (a blank or
markup-only line is a unit with empty ``text`` and ``markup`` set), so line numbers stay the raw
file's, except that a text line holding a whole flattened page becomes one unit per piece, each
with that line's number; for ``html`` each block-level element is one unit with the element's
source line.
Nothing is lost: every non-blank raw line of a text or Markdown scrape is in exactly one unit.
"""
from __future__ import annotations

import bisect
import dataclasses
import re
from dataclasses import dataclass, field

from markdown_it_pyrs import MarkdownIt, Node

SHAPES = ("text", "markdown", "html")

# Jina Reader's envelope: "Title: …", "URL Source: …", "Published Time: …", "Markdown Content:"
_HEADER = re.compile(r"^(Title|URL Source|Published Time|Description|Markdown Content)\s*:\s*(.*)$")
_HTML_START = re.compile(r"^\s*(?:<!doctype\s+html|<html[\s>]|<\?xml[^>]*>\s*<(?:!doctype|html))", re.I)
_HTML_TAG = re.compile(r"</?(?:p|div|span|a|li|ul|h[1-6]|br|img|table|td|meta|script|section|article)\b[^>]*>", re.I)
_MD_LINK = re.compile(r"!?\[[^\]\n]*\]\([^)\s]+(?:\s+\"[^\"]*\")?\)")
_MD_LINE = re.compile(r"^(?:#{1,6}\s|[*+-]\s+\[|\d+\.\s+\[|!\[|\[!\[|>\s)")


@dataclass(frozen=True)
class Unit:
    """One visible piece of a page, in reading order.

    ``text`` is single-spaced and NFC like every normalised line; ``link_chars`` counts the
    characters of ``text`` that were link text; ``kind`` is ``line`` (plain text), ``paragraph``,
    ``heading`` (with ``level``), ``item`` (list item), ``image`` (text = alt, ``src`` set),
    ``cell``, ``quote``, ``code``, ``header`` (an envelope field; ``field`` names it) or
    ``title-tag`` (an HTML ``<title>``). ``markup`` is set on units that hold only markup (a
    setext underline, a table rule, a raw HTML line with no text): they carry the raw text so
    that nothing is lost, and their ``text`` is empty.
    """

    text: str
    line: int  # 1-based raw line (for html: the element's source line)
    kind: str = "line"
    level: int = 0
    link_chars: int = 0
    links: int = 0
    src: str | None = None
    field: str | None = None
    markup: str = ""
    continues: bool = False  # the next unit is the same paragraph's next line (Markdown softbreak)
    # Markdown: the line opens with an image and goes on with text ("![anh.jpg](src)Chú thích"):
    # a figure and its caption, written on one line by a crawler; ``text`` is the text after it
    figure: bool = False

    @property
    def link_density(self) -> float:
        return self.link_chars / len(self.text) if self.text else 0.0


@dataclass
class Page:
    """A scrape read into units, plus the page-level facts its shape states outright."""

    shape: str
    units: list[Unit]
    meta: dict[str, str] = field(default_factory=dict)  # title, url, published, h1, og_title ...


def detect_shape(text: str, suffix: str = "") -> str:
    """``html`` for .html/.htm files or text that opens like an HTML document, ``markdown`` when
    the Jina envelope or Markdown links/headings are frequent enough, else ``text``.

    >>> detect_shape("<!DOCTYPE html><html><body><p>Xin chào</p></body></html>")
    'html'
    >>> detect_shape("Title: A\\nURL Source: https://a.vn/x\\nMarkdown Content:\\nB")
    'markdown'
    >>> detect_shape("* [Thời sự](https://a.vn/ts)\\n* [Thế giới](https://a.vn/tg)\\n* [Xe](/xe)\\n\\nBài báo.")
    'markdown'
    >>> detect_shape("Hà Nội hôm nay trời mưa.\\nTheo TTXVN")
    'text'
    """
    suffix = suffix.lower()
    if suffix in (".html", ".htm", ".xhtml"):
        return "html"
    if suffix in (".md", ".markdown"):
        return "markdown"
    head = text[:4096]
    if _HTML_START.match(head) or len(_HTML_TAG.findall(head)) >= 8:
        return "html"
    lines = [line for line in text.split("\n", 400)[:400] if line.strip()]
    if not lines:
        return "text"
    if sum(1 for line in lines[:8] if _HEADER.match(line)) >= 2:
        return "markdown"
    marked = sum(1 for line in lines if _MD_LINE.match(line.lstrip()) or _MD_LINK.search(line))
    return "markdown" if marked >= 3 and marked >= 0.1 * len(lines) else "text"


def read_page(text: str, shape: str) -> Page:
    """The units of a normalised scrape of the given shape."""
    if shape == "html":
        from vnclean.tasks.htmlpage import read_html  # lxml only when a page needs it
        return read_html(text)
    if shape == "markdown":
        return read_markdown(text)
    return read_text(text)


def read_text(text: str) -> Page:
    """One unit per line; a line that is only a URL is link text. A line that holds a whole page
    (a flattened scrape, :mod:`vnclean.tasks.segment`) is cut into pieces, one unit each, all with that
    line's number; ``meta["flattened"]`` then says so.

    >>> [u.line for u in read_text("Tin mới\\nMưa to.").units]
    [1, 2]
    """
    from vnclean.tasks.segment import envelope, is_flattened, repeated_title, split_flattened

    units: list[Unit] = []
    meta: dict[str, str] = {}
    h1 = _text_h1(text)
    for number, line in enumerate(text.split("\n"), start=1):
        if is_flattened(line):
            meta["flattened"] = "yes"
            head = envelope(line) if not units else None
            if head is not None:  # "<title> URL nguồn: https://…" on top: the crawler's envelope
                title, address, rest = head
                meta["title"] = title.removeprefix("Title:").strip()
                meta["url"] = address.split(":", 1)[1].strip()
                units += [Unit(title, number), Unit(address, number, link_chars=len(address), links=1)]
                line = rest
            units += [Unit(piece, number) for piece in split_flattened(line)]
            twice = repeated_title(" ".join(line.split()))
            if twice is not None and "repeated_title" not in meta:  # printed twice at the top
                meta["repeated_title"] = " ".join(line.split()[twice[2]:twice[3]])
            continue
        if number == h1:  # "# <title>" on top of page text: a scraper wrote the <h1> as Markdown
            meta["h1"] = line.lstrip("#").strip()
            units.append(Unit(meta["h1"], number, kind="heading", level=1))
            continue
        is_url = line.startswith(("http://", "https://", "www.")) and " " not in line
        units.append(Unit(line, number, link_chars=len(line) if is_url else 0, links=int(is_url)))
    return Page("text", units, meta)


_TEXT_H1 = re.compile(r"^#\s+\S.{8,300}$")


def _text_h1(text: str) -> int | None:
    """The line number of a title written as a Markdown heading (``# <title>``) among the first
    five lines of page text, or None. A row of such lines is a hashtag menu ("# Giá vàng hôm nay
    # World Cup 2026"), not a title: the line's neighbours must not be headings too."""
    lines = [(n, line) for n, line in enumerate(text.split("\n")[:60], start=1) if line.strip()]
    for k, (number, line) in enumerate(lines[:5]):
        if _TEXT_H1.match(line):
            around = [lines[j][1] for j in (k - 1, k + 1) if 0 <= j < len(lines)]
            return None if any(a.startswith("#") for a in around) else number
    return None


# ---------------------------------------------------------------------------------------------
# Markdown (markdown-it, the Rust port with Python bindings: the same CommonMark reading as
# markdown-it-py, ~15x faster on crawler pages of 20-30 KB)

_MD = MarkdownIt("commonmark").enable("table")
# vnclean never renders links. markdown-it refuses javascript:, vbscript:, file: and data:
# targets, which would leave "[ ](javascript:;)" share buttons as literal text: the scheme's first
# letter is changed (same length, so source offsets stay right) before parsing.
_UNSAFE_SCHEME = re.compile(r"(?<=\]\()(?:javascript|vbscript|data|file):", re.I)
_LEAF = frozenset({"paragraph", "heading", "lheading", "trow", "code_block", "fence", "html_block", "hr"})
_BLOCKS = _LEAF | {"bullet_list", "ordered_list", "list_item", "blockquote", "table", "thead", "tbody",
                   "tcell"}
_SPACE_BEFORE_PUNCT = re.compile(r"^ +(?=[,.;:!?…)])")
_CONTAINER_KIND = {"list_item": "item", "blockquote": "quote"}


def read_markdown(text: str) -> Page:
    """Units of a crawler's Markdown: one per raw line, markup reduced to the text a reader sees.

    >>> page = read_markdown("* [Thời sự](https://a.vn/ts)\\n\\n# Bão số 3\\n![Gió mạnh](a.jpg)\\n"
    ...                      "Mưa **to** [ ](javascript:;).")
    >>> [(u.kind, u.text, u.link_chars) for u in page.units if u.text]
    [('item', 'Thời sự', 7), ('heading', 'Bão số 3', 0), ('image', 'Gió mạnh', 0), ('paragraph', 'Mưa to .', 0)]
    >>> page.meta["h1"]
    'Bão số 3'
    """
    raw = text.split("\n")
    meta: dict[str, str] = {}
    fields: dict[int, tuple[str, str]] = {}
    # the Jina envelope sits before the content: read it as fields, not as Markdown
    start = 0
    for i, line in enumerate(raw[:12]):
        match = _HEADER.match(line)
        if match:
            key = match[1].lower().replace(" ", "_")
            fields[i] = (key, match[2].strip())
            if match[2].strip():
                meta.setdefault({"url_source": "url", "published_time": "published"}.get(key, key), match[2].strip())
            start = i + 1
            if key == "markdown_content":
                break
        elif line.strip() and fields:
            break
    if not fields:
        start = 0
    slots: list[Unit | None] = [None] * len(raw)
    for i, (key, value) in fields.items():
        slots[i] = Unit(value if key != "markdown_content" else "", i + 1, "header", field=key,
                        markup=raw[i] if key == "markdown_content" else "")
    body = "\n".join(raw[start:])
    body = _UNSAFE_SCHEME.sub(lambda m: "x" + m[0][1:], body)
    line_starts = [0]
    for line in raw[start:]:
        line_starts.append(line_starts[-1] + len(line.encode("utf-8")) + 1)
    reader = _MarkdownReader(line_starts, start, raw)
    reader.walk(_MD.tree(body), "paragraph", 0)
    unit: Unit | None  # below, a slot: None where the reader found no block
    for index, unit in reader.units.items():
        if index < len(slots) and slots[index] is None:
            slots[index] = unit
            if unit.kind == "heading" and unit.level == 1 and unit.text:
                meta.setdefault("h1", unit.text)
    units: list[Unit] = []
    for index, unit in enumerate(slots):
        line = raw[index].strip()
        if unit is None:  # blank, or markup only: a thematic break, a setext underline, a table rule
            unit = Unit("", index + 1, "markup" if line else "line", markup=line)
        elif not unit.text and not unit.markup and line:  # "[ ](javascript:;)": links with no text
            unit = dataclasses.replace(unit, markup=line)
        units.append(unit)
    if "h1" not in meta:
        for unit in units:
            if unit.kind == "heading" and unit.level == 1 and unit.text:
                meta["h1"] = unit.text
                break
    return Page("markdown", units, meta)


class _MarkdownReader:
    """Walks markdown-it's tree; the visible text of every leaf block, line by line."""

    def __init__(self, line_starts: list[int], offset: int, raw: list[str]) -> None:
        self.raw = raw
        self.line_starts = line_starts
        self.offset = offset  # raw lines before the Markdown (the Jina envelope)
        self.units: dict[int, Unit] = {}

    def line_of(self, byte: int) -> int:
        return bisect.bisect_right(self.line_starts, byte) - 1 + self.offset

    def walk(self, node: Node, kind: str, level: int) -> None:
        for child in node.children:
            name = child.name
            if name == "list_item" and any(c.name not in _BLOCKS for c in child.children):
                self.leaf(child, "item", 0)  # a tight list: the item holds its inline text itself
            elif name in _LEAF:
                self.leaf(child, kind, level)
            elif name in ("table", "thead", "tbody"):
                self.walk(child, "cell", 0)
            else:
                self.walk(child, _CONTAINER_KIND.get(name, kind), level)

    def leaf(self, node: Node, kind: str, level: int) -> None:
        name = node.name
        first = self.line_of(node.srcmap[0]) if node.srcmap else None
        if name in ("heading", "lheading"):
            kind, level = "heading", int(node.meta.get("level", 1))
        if first is None or not node.srcmap or name == "hr":
            return  # markup only
        if name in ("code_block", "fence", "html_block"):
            last = self.line_of(max(node.srcmap[0], node.srcmap[1] - 1))
            for number in range(first, min(last, len(self.raw) - 1) + 1):
                line = self.raw[number].strip()
                if not line:
                    continue
                if name == "html_block":
                    self.units[number] = _html_line(line, number + 1)
                elif not line.startswith(("```", "~~~")):
                    self.units[number] = Unit(line, number + 1, "code")
            return
        lines: dict[int, _Line] = {}
        self.inline(node, lines, first, False, kind == "cell")
        for number, acc in lines.items():
            previous = self.units.get(number)
            unit = acc.unit(number + 1, kind, level, continues=number + 1 in lines)
            if previous is not None and previous.kind == "cell" and kind == "cell":
                unit = _join_cells(previous, unit)
            self.units[number] = unit

    def inline(self, node: Node, lines: dict[int, _Line], line: int, in_link: bool, cells: bool) -> int:
        after_markup = False
        for child in node.children:
            name = child.name
            if child.srcmap:
                line = max(line, self.line_of(child.srcmap[0]))
            acc = lines.setdefault(line, _Line())
            if name == "text":
                piece = str(child.meta.get("content", ""))
                if after_markup:
                    # crawlers write "<em>Xin hãy tin em</em>," as "_Xin hãy tin em_ ,": the space
                    # before the punctuation is the crawler's, not the page's
                    piece = _SPACE_BEFORE_PUNCT.sub("", piece, count=1)
                acc.parts.append(piece)
                if in_link:
                    acc.link_chars += len(" ".join(piece.split()))
            elif name in ("softbreak", "hardbreak"):
                line += 1
            elif name == "code_inline":
                acc.parts.append(str(child.meta.get("content", "")))
            elif name == "link":
                acc.links += 1
                line = self.inline(child, lines, line, True, cells)
            elif name == "image":
                alt: dict[int, _Line] = {}
                self.inline(child, alt, line, in_link, cells)
                if not acc.images and not "".join(acc.parts).strip():
                    acc.image_first = True
                acc.images.append((" ".join(" ".join("".join(a.parts) for a in alt.values()).split()),
                                   str(child.meta.get("url", "")), in_link))
            elif name == "tcell":
                if acc.parts:
                    acc.parts.append(" | ")
                line = self.inline(child, lines, line, in_link, cells)
            elif name != "html_inline":
                line = self.inline(child, lines, line, in_link, cells)
            after_markup = name in ("em", "strong", "link")
        return line


@dataclass
class _Line:
    parts: list[str] = field(default_factory=list)
    link_chars: int = 0
    links: int = 0
    images: list[tuple[str, str, bool]] = field(default_factory=list)  # alt, src, inside a link
    image_first: bool = False  # an image came before any text

    def unit(self, line: int, kind: str, level: int, continues: bool) -> Unit:
        text = " ".join("".join(self.parts).split())
        src = self.images[0][1] if self.images else None
        link_chars = self.link_chars
        if self.images and not text.strip(" |"):
            # a line that is only images: its text is their alt text
            text = " ".join(alt for alt, _, _ in self.images if alt)
            kind = "image"
            link_chars = len(text) if any(linked for _, _, linked in self.images) else 0
        return Unit(text, line, kind, level, min(link_chars, len(text)), self.links, src,
                    continues=continues and bool(text), figure=self.image_first and kind == "paragraph")


def _join_cells(left: Unit, right: Unit) -> Unit:
    text = " | ".join(t for t in (left.text, right.text) if t)
    return Unit(text, left.line, "cell", 0, left.link_chars + right.link_chars, left.links + right.links,
                left.src or right.src)


def _html_line(line: str, number: int) -> Unit:
    """A raw HTML line inside Markdown: its visible text, or markup only."""
    stripped = line.strip()
    if not stripped:
        return Unit("", number)
    from vnclean.tasks.htmlpage import visible_text
    text = visible_text(stripped)
    return Unit(text, number, "paragraph", markup="" if text else stripped)
