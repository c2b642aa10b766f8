"""Escaping: whatever titles, names, paragraphs and file names hold, report.html and the Prefect
artifacts' Markdown show it as text, parsed back with real parsers: no link with a dangerous
scheme, no element the input smuggled in, and the text itself survives."""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from vnclean.tasks.escape import md_link, md_text
from vnclean.tasks.ingest import printable
from vnclean.tasks.models import Failed, Rejected, Repair, Source, Uncertain
from vnclean.tasks.pipeline import Doc, Done, SetAside, process_chunk
from vnclean.tasks.report import render_report, review_markdown

ATTACKS = ["[x](javascript:alert(8))", "![i](data:text/html;base64,PHNjcmlwdD4=)", "<script>alert(1)</script>",
           '"><img src=x onerror=alert(1)>', "<javascript:alert(1)>", "&lt;b&gt; &amp; &#106;avascript:",
           "[a]: javascript:alert(2)\n\n[a]", "`code` *em* __strong__ ~~del~~", "# heading\n- item\n1. one",
           "| a | b |\n|---|---|", "\\", "x\r\ny\x00z\x1b", "Nguyễn Tấn Dũng", "a\u2028b"]
TEXT = st.one_of(st.sampled_from(ATTACKS), st.text(max_size=40),
                 st.lists(st.sampled_from(ATTACKS + ["ầ", " ", "Dũng"]), max_size=4).map("".join))
ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "table", "tr", "th", "td",
                "a", "div", "p", "span", "b", "i", "ul", "li"}


@pytest.fixture(scope="module")
def seed_work(tmp_path_factory, seed_paths):
    """A real document (seed 001, with repairs) whose fields the tests replace."""
    out = tmp_path_factory.mktemp("escape-out")
    (work,) = process_chunk([str(seed_paths[1])], out, translator=None)
    assert work.document is not None
    assert work.document.repairs
    return work


class Parsed(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.data: list[str] = []
        self.fixes: list[tuple[str, str]] = []  # (title, text) of each repair highlight
        self.open_spans = 0
        self.nested = 0
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "span":
            self.nested += self.open_spans > 0
            self.open_spans += 1
            if attrs.get("class") == "fix":
                self.fixes.append((attrs["title"], ""))

    def handle_endtag(self, tag):
        if tag == "span":
            self.open_spans -= 1

    def handle_data(self, data):
        self.data.append(data)
        if self.open_spans and self.fixes and self.tags[-1][1].get("class") == "fix":
            title, text = self.fixes[-1]
            self.fixes[-1] = (title, text + data)


def test_a_name_repaired_twice_in_one_paragraph_is_marked_twice_without_nesting(seed_work):
    doc = seed_work.document.model_copy(deep=True)
    doc.paragraphs = ["Thủ tướng Nguyễn Tấn Dũng nói. Ông Nguyễn Tấn Dũng cũng cho biết, ông Vương Nghị đồng ý."]
    doc.repairs = [Repair(kind="pinyin-name", before="Wang Yi", after="Vương Nghị", index=0),
                   *[Repair(kind="pinyin-name", before="Ruan Jinyong", after="Nguyễn Tấn Dũng", index=0)] * 2]
    parsed = Parsed(render_report([Doc(path="x.txt", id=doc.id, end=Done(doc, seed_work.ingested))]))
    paragraph_fixes = [f for f in parsed.fixes if f[1] in ("Nguyễn Tấn Dũng", "Vương Nghị")]
    assert paragraph_fixes[-3:] == [("Ruan Jinyong → Nguyễn Tấn Dũng", "Nguyễn Tấn Dũng")] * 2 + [
        ("Wang Yi → Vương Nghị", "Vương Nghị")]
    assert parsed.nested == 0
    assert doc.paragraphs[0] in "".join(parsed.data)


@given(title=TEXT, before=TEXT, name=TEXT.filter(lambda s: s.strip() != ""), text=TEXT, caption=TEXT)
def test_report_html_shows_any_text_as_text(seed_work, title, before, name, text, caption):
    doc = seed_work.document.model_copy(deep=True)
    doc.title, doc.summary, doc.captions = title, None, [caption]
    doc.paragraphs = [f"{text} {name} và {name}."]
    doc.repairs = [Repair(kind="pinyin-name", before=before, after=name, index=0)] * 2
    doc.uncertain = [Uncertain(kind="name", text=name, candidates=[title, before])]
    work = Doc(path="x.txt", id=doc.id, end=Done(doc, seed_work.ingested))
    failed = Doc(path=f"{name}.txt", id="f", end=SetAside.of(Failed(id="f", stage="strip", error=text)))
    parsed = Parsed(render_report([work, failed]))
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED_TAGS, tag
        assert set(attrs) <= {"class", "id", "href", "title", "charset", "name", "content", "lang", "colspan"}
        assert attrs.get("href", "#").startswith("#")
    assert parsed.nested == 0
    assert [f for f in parsed.fixes if f[0] == f"{before} → {name}"] == [(f"{before} → {name}", name)] * 2
    shown = "".join(parsed.data)
    for original in (title, doc.paragraphs[0], caption, text):
        assert original in shown


MD = MarkdownIt("commonmark").enable("table")
MD.validateLink = lambda url: True  # as permissive as a UI that renders any link: the escaper must hold alone


def inline_children(markdown: str) -> list[list]:
    return [tok.children or [] for tok in MD.parse(markdown) if tok.type == "inline"]


def visible(s: str) -> str:
    """What Markdown shows of one line of text: white space collapsed, controls as U+FFFD."""
    return "".join("\ufffd" if (ord(c) < 32 or ord(c) == 127) else c for c in " ".join(printable(s).split()))


@given(title=TEXT, before=TEXT, after=TEXT, name=TEXT, detail=TEXT)
def test_review_markdown_shows_any_text_as_text(seed_work, title, before, after, name, detail):
    doc = seed_work.document.model_copy(deep=True)
    doc.title = title
    doc.repairs = [Repair(kind="pinyin-name", before=before, after=after, index=0)]
    doc.uncertain = [Uncertain(kind="name", text=name, candidates=[after])]
    works = [Doc(path="x.txt", id=doc.id, end=Done(doc)),
             Doc(path=f"in/{name}.txt", id="r", end=SetAside.of(Rejected(id="r", source=Source(path="p", sha256=""),
                                                                         reason="empty", detail=detail)))]
    children = inline_children(review_markdown(works))
    assert {c.type for line in children for c in line} <= {"text"}  # no link, image, HTML, code, emphasis
    lines = ["".join(c.content for c in line) for line in children]
    for original in (title or "x.txt", before, after, name, detail, f"in/{name}.txt"):
        assert any(visible(original) in line for line in lines), original


@given(input_dir=TEXT, doc_id=TEXT, reason=TEXT)
def test_run_summary_markdown_links_only_the_report(tmp_path_factory, input_dir, doc_id, reason):
    from vnclean.flows.pipeline import Row, RunSummary, summary_markdown

    out = tmp_path_factory.mktemp("summary out [x](javascript:y)")
    (out / "report.html").write_text("<!doctype html>", encoding="utf-8")
    summary = RunSummary(input_dir, str(out), None, rows=[Row(doc_id, "failed", reason=reason)],
                         removed={reason: 2}, set_aside={"strip": {reason: 1}})
    tokens = [c for line in inline_children(summary_markdown(summary)) for c in line]
    links = [t.attrs["href"] for t in tokens if t.type == "link_open"]
    assert links == [(out / "report.html").resolve().as_uri()]
    assert {t.type for t in tokens} <= {"text", "strong_open", "strong_close", "link_open", "link_close"}
    shown = "".join(t.content for t in tokens)
    assert visible(input_dir) in shown
    assert visible(doc_id) in shown
    assert visible(reason) in shown


@pytest.mark.parametrize("url", ["javascript:alert(8)", "JaVaScRiPt:alert(8)", "data:text/html,<b>x</b>",
                                 "vbscript:x", "file:///a b)", "http://x/<y>"])
def test_md_link_writes_unsafe_urls_as_text(url):
    children = inline_children(md_link("report", url))[0]
    assert [c.type for c in children] == ["text"]
    assert visible(f"report ({url})") == children[0].content


def test_md_text_round_trips_every_ascii_character():
    text = "".join(map(chr, range(33, 127)))
    assert "".join(c.content for c in inline_children(md_text(text))[0]) == text


def test_the_terminal_summary_prints_reasons_as_text(monkeypatch):
    import io

    from rich.console import Console

    import vnclean.cli as cli

    monkeypatch.setattr(cli, "console", Console(file=io.StringIO(), width=300))
    reason = "strip: ValueError: [/red][link=javascript:alert(1)]x[/link] [bold]"
    from vnclean.tasks.runrecord import Row, RunSummary

    summary = RunSummary("i", "o", "m", inputs=1, new=1, seconds=1)
    row = Row("x", "failed", reason=reason)
    summary.rows.append(row)
    summary.add(row, {})
    cli._print_summary(summary)
    assert f"x: failed — {reason}" in cli.console.file.getvalue()
