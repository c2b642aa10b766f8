"""Strip benchmark: vnclean on real pages from sites it was not written for, leave-one-site-out,
next to jusText and trafilatura, per scrape shape, side by side in one run.

Corpus: tests/data/strip/*.tsv (README there): real pages, every line (text, Markdown) or visible
block (HTML, raw page in the .html beside it) labelled keep / caption / metadata / remove, with
the page's title and date. Leave-one-site-out: the page's site has its profile turned off (and
no learned template: the corpus holds at most two pages of a site), so every figure is on a site
vnclean knows nothing about. Pages marked ``# split: heldout`` were labelled by people who did
not write the rules and were not looked at while writing them: they are also reported alone.

Figures per page, summed per shape and overall:
- body word-F1: words of the body (summary + paragraphs) against the words of the keep rows, over
  all pages' words; "page F1" is the mean of each page's own F1 (a long page counts once);
- leaked: furniture rows (remove) found in the body, as a share of all furniture rows (a row
  leaks when a body paragraph equals it, or, from 4 words, contains it);
- title: the title as labelled (``none``: the page states none, and null is right);
- captions: caption rows found among the captions (on a Markdown line that opens with an image, the
  text after it is enough: the alt text is not shown, often a file name), and "+N" the captions
  given that are no caption row's text (wrong ones);
- pages/s on one core.
``--flattened`` adds every page as a scraper that lost its line breaks saves it (its visible text
joined with spaces on one line: BeautifulSoup's ``get_text(" ")``), same labels, scored by words
(the leaked share undercounts there: a furniture row counts only when the body holds it whole).
``--as-text`` adds every Markdown and HTML page as plain lines (its visible text, one block per
line: ``get_text("\\n")``, a browser's innerText), same labels: the full-page text shape on every site.
jusText reads the lines as <p> (its HTML reader on .html pages); trafilatura reads the .html
pages (its home ground) and the lines as <p>. Neither has a title for lines, so their title
column is empty.

Run: python benchmarks/strip.py [--docs N] [--show] [--flattened]
"""
from __future__ import annotations

import argparse
import functools
import html
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vnclean.tasks.boilerplate import Profiles, Stripped, load_profiles, strip_boilerplate  # noqa: E402
from vnclean.tasks.ingest import normalise  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "strip"
LABELS = ("keep", "caption", "metadata", "remove")
_WORD = re.compile(r"\w+")


@dataclass
class Page:
    name: str
    origin: str
    site: str  # the publisher's domain, without www.
    shape: str  # text | markdown | html
    raw: str  # the scrape as a scraper saved it (for html: the .html file)
    rows: list[tuple[str, str]]  # (label, text) of every non-blank line / block, in order
    numbers: list[int]  # text/markdown: each row's raw line number
    expect: dict[str, str | None] = field(default_factory=dict)
    heldout: bool = False
    excerpt: bool = False  # the first ~2,000 characters of a page only (the older pages)
    derived: str = ""  # "flattened" or "as-text": derived from a labelled page (see those functions)

    def text_of(self, label: str) -> list[str]:
        return [visible(t, self.shape) for lab, t in self.rows if lab == label]


def _site(value: str, origin: str) -> str:
    domain = value.split()[0] if value else ""
    if "." not in domain and origin.startswith("http"):
        domain = origin.split("/")[2]
    return domain.lower().removeprefix("www.")


def load_corpus(folder: Path = CORPUS) -> list[Page]:
    pages = []
    for path in sorted(folder.glob("*.tsv")):
        head: dict[str, str] = {}
        lines: list[str] = []
        rows: list[tuple[str, str]] = []
        numbers: list[int] = []
        expect: dict[str, str | None] = {}
        for row in path.read_text(encoding="utf-8").split("\n"):
            if row.startswith("#") and "\t" not in row and not lines:  # header fields and comments
                key, _, value = row[1:].strip().partition(":")
                key, value = key.strip(), value.strip()
                if key.startswith("expect "):
                    if value != "-":
                        expect[key.removeprefix("expect ")] = None if value == "none" else value
                else:
                    head[key] = value
                continue
            if not row.strip():
                lines.append("")
                continue
            label, _, text = row.partition("\t")
            if label not in LABELS:
                raise ValueError(f"{path.name}: bad label {label!r} in row {row[:60]!r}")
            lines.append(text)
            if text.strip():
                rows.append((label, text))
                numbers.append(len(lines))
        while lines and not lines[-1]:
            lines.pop()
        shape = head.get("shape", "text")
        raw = path.with_suffix(".html").read_text(encoding="utf-8") if shape == "html" else "\n".join(lines)
        origin = head.get("origin", "-")
        pages.append(Page(path.stem, origin, _site(head.get("site", ""), origin), shape, raw, rows,
                          numbers, expect, heldout=head.get("split", "").startswith("heldout"),
                          excerpt=head.get("split", "").startswith("excerpt")))
    return pages


def flattened(page: Page) -> Page:
    """The page as a scraper that joins the visible text with spaces saves it (BeautifulSoup's
    ``get_text(" ")``, a JSON field whose line breaks were lost): one line, same labels."""
    texts = [" ".join(visible(t, page.shape).split()) for _, t in page.rows]
    rows = [(label, text) for (label, _), text in zip(page.rows, texts) if text]
    return Page(page.name, page.origin, page.site, "text", " ".join(t for _, t in rows), rows, [1] * len(rows),
                dict(page.expect), page.heldout, page.excerpt, derived="flattened")


def as_text(page: Page) -> Page:
    """The page as a scraper that keeps one line per block saves it (``get_text("\\n")``, a
    browser's innerText): a Markdown page's links, images and marks reduced to their text, an HTML
    page's blocks one per line; same labels."""
    rows = [(label, text) for label, t in page.rows if (text := " ".join(visible(t, page.shape).split()))]
    return Page(page.name, page.origin, page.site, "text", "\n".join(t for _, t in rows), rows,
                list(range(1, len(rows) + 1)), dict(page.expect), page.heldout, page.excerpt, derived="as-text")


@functools.cache
def profiles_without(site: str) -> Profiles:
    """The profiles with the page's own site's turned off (leave-one-site-out)."""
    full = load_profiles()
    keep = tuple(p for p in full.sites if p.name not in site.replace(".", " ").split()
                 and not any(re.search(d, f"https://{site}/") for d in p.detect_strong))
    return Profiles(full.generic, keep)


@functools.cache
def _normalised(raw: str, shape: str) -> str:
    return normalise(raw, shape)  # the ingest stage's work, not timed as stripping


def run_vnclean(page: Page, profiles: Profiles | None = None) -> Stripped:
    text = _normalised(page.raw, page.shape)
    return strip_boilerplate(text, profiles or profiles_without(page.site), shape=page.shape)


_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_MARK = re.compile(r"^\s*(?:#{1,6}\s+|[*+-]\s+|>\s*)|\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)")


def visible(text: str, shape: str) -> str:
    """The words a reader sees in a labelled Markdown row (scoring only: links to their text,
    images to their alt text, emphasis and heading marks dropped)."""
    if shape != "markdown":
        return text
    text = _MD_IMAGE.sub(r"\1", text)
    text = _MD_LINK.sub(r"\1", text)
    return _MD_MARK.sub(" ", text)


def _key(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


@dataclass
class Output:
    """What an extractor gives for a page: body paragraphs, captions, title."""

    body: list[str]
    captions: list[str] = field(default_factory=list)
    title: str | None = None
    has_title: bool = False
    published: str | None = None


def vnclean_output(page: Page) -> Output:
    s = run_vnclean(page)
    return Output([*([s.summary] if s.summary else []), *s.paragraphs], s.captions, s.title, True, s.published)


def _lines_as_html(page: Page) -> str:
    if page.derived == "flattened":
        return f"<html><body><p>{html.escape(page.raw)}</p></body></html>"
    texts = [visible(t, page.shape) for _, t in page.rows] if page.shape != "html" else []
    return "<html><body>" + "".join(f"<p>{html.escape(t)}</p>" for t in texts) + "</body></html>"


def justext_output(page: Page) -> Output:
    import justext

    doc = page.raw if page.shape == "html" else _lines_as_html(page)
    paragraphs = justext.justext(doc.encode("utf-8"), justext.get_stoplist("Vietnamese"), encoding="utf-8")
    return Output([p.text for p in paragraphs if p.class_type == "good"])


def trafilatura_output(page: Page) -> Output:
    import trafilatura

    doc = page.raw if page.shape == "html" else _lines_as_html(page)
    text = trafilatura.extract(doc, include_comments=False, include_tables=True, favor_precision=False) or ""
    return Output([line for line in text.split("\n") if line.strip()])


@dataclass
class Score:
    gold_words: int = 0
    got_words: int = 0
    common: int = 0
    furniture: int = 0
    leaked: int = 0
    titles: int = 0
    titles_right: int = 0
    captions: int = 0
    captions_found: int = 0
    captions_wrong: int = 0  # captions found that are no caption row
    dates: int = 0
    dates_right: int = 0
    pages: int = 0
    page_f1_sum: float = 0.0  # each page's own F1, summed (its mean: a page counts once, whatever its length)

    def add(self, other: Score) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def f1(self) -> float:
        p = self.common / self.got_words if self.got_words else 0.0
        r = self.common / self.gold_words if self.gold_words else 0.0
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def page_f1(self) -> float:
        return self.page_f1_sum / self.pages if self.pages else 0.0

    @property
    def leak(self) -> float:
        return self.leaked / self.furniture if self.furniture else 0.0


def score_page(page: Page, out: Output) -> tuple[Score, list[str]]:
    """A page's figures and, for --show, its failures in words."""
    s = Score(pages=1)
    notes: list[str] = []
    gold = Counter(w for t in page.text_of("keep") for w in _WORD.findall(t.casefold()))
    got = Counter(w for t in out.body for w in _WORD.findall(t.casefold()))
    s.gold_words, s.got_words, s.common = sum(gold.values()), sum(got.values()), sum((gold & got).values())
    body_keys = {_key(p) for p in out.body}
    body_text = " \n ".join(_key(p) for p in out.body)
    for text in page.text_of("remove"):
        key = _key(text)
        if not key:
            continue
        s.furniture += 1
        if key in body_keys or (len(key.split()) >= 4 and key in body_text):
            s.leaked += 1
            notes.append(f"leaked: {text[:90]}")
    cap_text = " \n ".join(_key(c) for c in out.captions)
    gold_caps = []
    for raw in (t for lab, t in page.rows if lab == "caption"):
        text = visible(raw, page.shape)
        key = _key(text)
        # what a reader sees under the photo: on a line that opens with an image, the text after
        # it (an image's alt text is not shown: often a file name)
        seen = _key(visible(_MD_IMAGE.sub(" ", raw), page.shape)) if page.shape == "markdown" else ""
        if key:
            s.captions += 1
            gold_caps.append(key)
            found = key in cap_text or bool(seen) and seen in cap_text
            s.captions_found += found
            if not found:
                notes.append(f"caption missed: {text[:90]}")
    for caption in out.captions:  # a caption that is no caption row's text: wrong
        key = _key(caption)
        if key and not any(key in g or g in key for g in gold_caps):
            s.captions_wrong += 1
            notes.append(f"caption wrong: {caption[:90]}")
    if out.has_title and "title" in page.expect:
        s.titles = 1
        want = page.expect["title"]
        right = (out.title is None) if want is None else (out.title is not None and _key(out.title) == _key(want))
        s.titles_right = int(right)
        if not right:
            notes.append(f"title: got {out.title!r}, labelled {want!r}")
    if out.has_title and "published" in page.expect:
        s.dates = 1
        want = page.expect["published"]
        # a date-only label: the day is enough; a labelled time: the same minute
        right = out.published is None if want is None else (
            out.published is not None and out.published[:len(want) if len(want) == 10 else 16] == want[:16])
        s.dates_right = int(right)
        if not right:
            notes.append(f"published: got {out.published!r}, labelled {want!r}")
    s.page_f1_sum = s.f1
    missing = gold - got
    if sum(missing.values()) > 0.1 * max(1, s.gold_words):
        lost = [t for t in page.text_of("keep") if _key(t) and _key(t) not in body_text]
        notes += [f"lost: {t[:90]}" for t in lost[:5]]
    return s, notes


SYSTEMS: dict[str, Callable[[Page], Output]] = {
    "vnclean": vnclean_output,
    "jusText": justext_output,
    "trafilatura": trafilatura_output,
}


def evaluate(pages: list[Page], system: str = "vnclean") -> tuple[dict[str, Score], dict[str, list[str]]]:
    """Scores per shape (and 'all', 'heldout'), and each page's failures."""
    by: dict[str, Score] = {}
    notes: dict[str, list[str]] = {}
    for page in pages:
        s, why = score_page(page, SYSTEMS[system](page))
        notes[page.name + (f"~{page.derived}" if page.derived else "")] = why
        if page.derived == "flattened":
            groups: tuple[str, ...] = ("flattened", *(["flat-heldout"] if page.heldout else []))
        elif page.derived == "as-text":
            groups = ("as-text", *(["text-heldout"] if page.heldout else []))
        else:
            groups = (page.shape, "all", *(["heldout"] if page.heldout else []))
        for group in groups:
            by.setdefault(group, Score()).add(s)
    return by, notes


def pages_per_second(pages: list[Page], docs: int) -> dict[str, float]:
    """Pages/s of each system on one core, over the corpus pages in turn."""
    rates = {}
    for name, fn in SYSTEMS.items():
        fn(pages[0])
        n = max(len(pages), docs // (1 if name == "vnclean" else 4))
        start = time.perf_counter()
        for i in range(n):
            fn(pages[i % len(pages)])
        rates[name] = n / (time.perf_counter() - start)
    return rates


def scaling(pages: list[Page]) -> None:
    """Seconds per 1,000 units of pages of 5,000 and 50,000 one-word units, per shape, side by side:
    equal figures mean time grows linearly with the page (a quadratic pass once took 350 s for a
    page of 50,000 one-word lines)."""
    words = " ".join(p.raw for p in pages if p.shape == "text").split()
    print(f"{'units':>8}{'text s/1k':>11}{'markdown s/1k':>15}{'html s/1k':>11}")
    for n in (5_000, 50_000):
        picked = (words * (n // len(words) + 1))[:n]
        shapes = {"text": "\n".join(picked),
                  "markdown": "\n".join(f"* [{w}](https://a.vn/{i})" for i, w in enumerate(picked)),
                  "html": "<html><body>" + "".join(f"<p>{html.escape(w)}</p>" for w in picked) + "</body></html>"}
        cells = []
        for shape, text in shapes.items():
            start = time.perf_counter()
            strip_boilerplate(text, shape=shape)
            cells.append((time.perf_counter() - start) / n * 1000)
        print(f"{n:>8,}{cells[0]:>11.3f}{cells[1]:>15.3f}{cells[2]:>11.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=200, help="pages timed per system (jusText, trafilatura: a quarter)")
    ap.add_argument("--show", action="store_true", help="print each page's failures (not the held-out pages')")
    ap.add_argument("--show-heldout", action="store_true", help="... the held-out pages' too (they stop being unseen)")
    ap.add_argument("--corpus", type=Path, default=CORPUS, help="folder of labelled pages")
    ap.add_argument("--include-excerpts", action="store_true", help="also the older ~2,000-character excerpts")
    ap.add_argument("--flattened", action="store_true",
                    help="also every page flattened to one line (its visible text joined with spaces)")
    ap.add_argument("--as-text", action="store_true",
                    help="also every Markdown and HTML page as plain lines (its visible text, one block per line)")
    ap.add_argument("--scaling", action="store_true",
                    help="also the time per unit of huge pages (5,000 and 50,000 one-word lines) per shape")
    args = ap.parse_args()
    pages = [p for p in load_corpus(args.corpus) if args.include_excerpts or not p.excerpt]
    sites = {p.site for p in pages}
    shapes = Counter(p.shape for p in pages)
    print(f"corpus: {len(pages)} whole pages from {len(sites)} sites ({', '.join(f'{n} {s}' for s, n in sorted(shapes.items()))}); "
          f"{sum(p.heldout for p in pages)} held out; {sum(len(p.rows) for p in pages)} labelled rows; leave-one-site-out")
    flat = [flattened(p) for p in pages] if args.flattened else []
    flat += [as_text(p) for p in pages if p.shape != "text"] if args.as_text else []
    results = {name: evaluate(pages + flat, name) for name in SYSTEMS}
    rates = pages_per_second(pages, args.docs)
    groups = [g for g in ("text", "markdown", "html", "heldout", "all", "flattened", "flat-heldout", "as-text",
                          "text-heldout")
              if g in results["vnclean"][0]]
    print(f"{'shape':<13}{'system':<13}{'pages':>6}{'body F1':>9}{'page F1':>9}{'leaked':>8}{'titles':>9}{'captions':>14}{'pages/s':>9}{'dates':>8}")
    for group in groups:
        for name in SYSTEMS:
            s = results[name][0][group]
            titles = f"{s.titles_right}/{s.titles}" if s.titles else "-"
            caps = f"{s.captions_found}/{s.captions} +{s.captions_wrong}" if s.captions else "-"
            dates = f"{s.dates_right}/{s.dates}" if s.dates else "-"
            rate = f"{rates[name]:.0f}" if group == "all" else ""
            print(f"{group:<13}{name:<13}{s.pages:>6}{s.f1:>9.3f}{s.page_f1:>9.3f}{s.leak:>8.1%}{titles:>9}{caps:>14}{rate:>9}"
                  f"{dates:>8}")
    ours = results["vnclean"][0]["all"]
    print(f"vnclean all: body word-F1 {ours.f1:.3f}, leaked {ours.leak:.1%}, titles {ours.titles_right}/{ours.titles}")
    if args.scaling:
        scaling(pages)
    if args.show:
        for page in pages + flat:
            name = page.name + (f"~{page.derived}" if page.derived else "")
            why = results["vnclean"][1][name]
            if why and (args.show_heldout or not page.heldout):
                print(f"\n{name} ({page.shape}{', held out' if page.heldout else ''}):")
                for line in why[:12]:
                    print("   " + line)


if __name__ == "__main__":
    main()
