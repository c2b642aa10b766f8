"""HTML pages saved as is -> units (see :mod:`vnclean.tasks.blocks`), with lxml's HTML parser.

Each block-level element's own text is one unit (a ``<br>`` starts a new one); text inside
``<a>`` counts as link text; ``<img>`` is an image unit (alt text, ``src``); scripts, styles,
forms' option lists and hidden elements are not text. The page's stated facts are kept in
``meta``: ``<title>``, ``og:title``, the first ``<h1>``, the canonical URL and the published time
that ``<meta>`` tags give.
"""
from __future__ import annotations

import re

import lxml.etree
import lxml.html

from vnclean.tasks.blocks import Page, Unit
from vnclean.tasks.ingest import normalise_line

_SKIP = frozenset({"script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed",
                   "select", "option", "datalist", "canvas", "audio", "video", "source", "track", "map",
                   "link", "meta", "base"})
_BLOCK = frozenset({"address", "article", "aside", "blockquote", "body", "center", "dd", "details", "dialog",
                    "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2",
                    "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "li", "main", "menu", "nav", "ol",
                    "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
                    "title", "caption", "button", "label", "legend", "head", "picture"})
_KINDS = {"li": "item", "dt": "item", "dd": "item", "td": "cell", "th": "cell", "figcaption": "figcaption",
          "caption": "figcaption", "blockquote": "quote", "pre": "code", "title": "title-tag"}
_MAX_DEPTH = 400
_PUBLISHED = ("article:published_time", "datepublished", "pubdate", "publishdate", "dc.date.issued",
              "og:published_time", "article:published", "date")


def visible_text(fragment: str) -> str:
    """The text a reader sees in a fragment of HTML (one raw line inside Markdown, say)."""
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (lxml.etree.ParserError, ValueError, AssertionError):  # lxml asserts on "<html></html>"
        return ""
    for bad in list(root.iter(*_SKIP)):
        if bad.getparent() is not None:
            bad.drop_tree()
    return normalise_line(root.text_content())


def read_html(text: str) -> Page:
    """Units of a whole HTML page, in document order.

    >>> page = read_html('<html><head><title>Bão số 3 - Báo A</title></head><body>'
    ...                  '<ul><li><a href="/ts">Thời sự</a></li></ul><h1>Bão số 3</h1>'
    ...                  '<p>Chiều 7/9, <b>bão</b> đổ bộ.<br>Mưa to.</p><img src="a.jpg" alt="Gió"></body></html>')
    >>> for unit in page.units:
    ...     print(unit.kind, unit.text, unit.link_chars, sep=" | ")
    title-tag | Bão số 3 - Báo A | 0
    item | Thời sự | 7
    heading | Bão số 3 | 0
    paragraph | Chiều 7/9, bão đổ bộ. | 0
    paragraph | Mưa to. | 0
    image | Gió | 0
    >>> page.meta["title_tag"], page.meta["h1"]
    ('Bão số 3 - Báo A', 'Bão số 3')
    """
    data = text.encode("utf-8", "surrogatepass")
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        root = lxml.html.document_fromstring(data, parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return Page("html", [])
    reader = _Reader()
    reader.walk(root, 0, ("paragraph", 0))
    reader.flush(False)
    meta = _meta(root)
    for unit in reader.units:
        if unit.kind == "heading" and unit.level == 1 and unit.text:
            meta.setdefault("h1", unit.text)
            break
    return Page("html", reader.units, meta)


# class or id words Vietnamese and international CMSes give a photo's caption block (the element
# is not a <figcaption>): "caption", "PhotoCMS_Caption", "chu-thich" (Vietnamese for caption),
# vnexpress's <p class="Image">, "img-desc", "photo-note", "legend"
_CAPTION_CLASS = re.compile(r"(?i)caption|chu-?thich|legend|(?:img|image|photo|pic)[-_]?(?:desc|note|text)"
                            r"|(?:^|\s)Image(?:\s|$)")


def _hidden(element: lxml.html.HtmlElement) -> bool:
    if element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    style = (element.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style


class _Reader:
    def __init__(self) -> None:
        self.units: list[Unit] = []
        self.parts: list[str] = []
        self.link_chars = 0
        self.links = 0
        self.line = 0
        self.kind: tuple[str, int] = ("paragraph", 0)

    def add(self, text: str | None, line: int, in_link: bool, kind: tuple[str, int]) -> None:
        if not text:
            return
        if not self.parts:
            self.line, self.kind = line, kind
        self.parts.append(text)
        if in_link:
            self.link_chars += len(" ".join(text.split()))

    def flush(self, continues: bool) -> None:
        text = normalise_line(" ".join("".join(self.parts).split())) if self.parts else ""
        if text:
            kind, level = self.kind
            self.units.append(Unit(text, self.line, kind, level, min(self.link_chars, len(text)),
                                   self.links, continues=continues))
        self.parts, self.link_chars, self.links = [], 0, 0

    def walk(self, element: lxml.html.HtmlElement, depth: int, kind: tuple[str, int],
             in_link: bool = False) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        tag = tag.lower()
        line = element.sourceline or 0
        if tag in _SKIP or _hidden(element) or not tag:
            return
        if tag == "head":
            for child in element:
                if isinstance(child.tag, str) and child.tag.lower() == "title":
                    self.walk(child, depth + 1, kind)
            return
        block = tag in _BLOCK
        if block:
            self.flush(False)
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                kind = ("heading", int(tag[1]))
            elif tag in _KINDS:
                kind = (_KINDS[tag], 0)
            elif _CAPTION_CLASS.search(f"{element.get('class') or ''} {element.get('id') or ''}"):
                kind = ("figcaption", 0)  # a CMS's caption block: <p class="Image">, <div class="PhotoCMS_Caption">
            elif kind[0] in ("title-tag",):
                kind = ("paragraph", 0)
        if tag == "img":
            self.flush(False)
            alt = normalise_line(element.get("alt") or element.get("title") or "")
            self.units.append(Unit(alt, line, "image", src=element.get("src") or element.get("data-src") or "",
                                   link_chars=len(alt) if in_link else 0))
            return
        if tag == "br":
            self.flush(True)
            return
        if tag == "a":
            in_link = True
            self.links += 1
        if depth > _MAX_DEPTH:  # pathological nesting: the rest of the subtree as one text
            self.add(element.text_content(), line, in_link, kind)
        else:
            self.add(element.text, line, in_link, kind)
            for child in element:
                self.walk(child, depth + 1, kind, in_link)
                if isinstance(child.tag, str) or child.tail:
                    self.add(child.tail, child.sourceline or line, in_link, kind)
        if block:
            self.flush(False)


def _meta(root: lxml.html.HtmlElement) -> dict[str, str]:
    meta: dict[str, str] = {}
    title = root.find(".//title")
    if title is not None and title.text_content().strip():
        meta["title_tag"] = normalise_line(title.text_content())
    for tag in root.iter("meta"):
        key = (tag.get("property") or tag.get("name") or tag.get("itemprop") or "").lower()
        value = normalise_line(tag.get("content") or "")
        if not value:
            continue
        if key in ("og:title", "twitter:title"):
            meta.setdefault("og_title", value)
        elif key in ("og:url",):
            meta.setdefault("url", value)
        elif key in _PUBLISHED:
            meta.setdefault("published", value)
    for link in root.iter("link"):
        if (link.get("rel") or "").lower() == "canonical" and link.get("href", "").startswith("http"):
            meta["url"] = link.get("href", "")
    return meta
