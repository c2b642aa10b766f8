"""The review report ``output/report.html``: per document, the raw text with removed lines struck
through and labelled with their reason, the clean Vietnamese with repairs highlighted (before →
after on hover), and the English beside it. Self-contained: no external assets, all text escaped."""
from __future__ import annotations

import bisect
from pathlib import Path
from typing import TYPE_CHECKING

from vnclean.tasks.article import Article, Place
from vnclean.tasks.escape import html_text, md_text
from vnclean.tasks.write import atomic_write

if TYPE_CHECKING:
    from vnclean.tasks.models import Repair
    from vnclean.tasks.pipeline import Doc

_CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1400px;padding:1rem;color:#222}
h1{font-size:1.4rem} h2{font-size:1.15rem;margin:2rem 0 .3rem;border-top:2px solid #ccc;padding-top:1rem}
.meta{color:#555;font-size:.9rem} .cols{display:grid;grid-template-columns:1fr 1fr 1fr;gap:1rem}
.cols>div{background:#fafafa;border:1px solid #e3e3e3;border-radius:6px;padding:.6rem;overflow-wrap:anywhere}
.raw p{margin:.15rem 0;font-size:.85rem} .raw .rm{text-decoration:line-through;color:#999}
.tag{display:inline-block;font-size:.7rem;background:#fde2e2;color:#900;border-radius:3px;padding:0 .3rem;margin-right:.3rem;text-decoration:none}
.fix{background:#fff3b0;border-bottom:1px dotted #a80} .cap{font-style:italic;color:#444}
.bad{color:#900} table{border-collapse:collapse} td,th{border:1px solid #ddd;padding:.2rem .5rem;font-size:.9rem}
"""


def repair_spans(text: str, repairs: list[Repair], where: str, index: int | None) -> list[tuple[int, int, Repair]]:
    """Where in ``text`` each repair of this field shows: ``(start, end, repair)``, left to right,
    never overlapping. A repair takes the first place its ``after`` text stands that no earlier
    repair took (so a name repaired twice in a paragraph is marked twice, at both places).

    >>> from vnclean.tasks.models import Repair
    >>> r = Repair(kind="pinyin-name", before="Ruan Jinyong", after="Nguyễn Tấn Dũng", index=0)
    >>> [(a, b) for a, b, _ in repair_spans("Ông Nguyễn Tấn Dũng và Nguyễn Tấn Dũng", [r, r], "paragraphs", 0)]
    [(4, 19), (23, 38)]
    """
    starts: list[int] = []  # the spans taken so far, sorted (non-overlapping: ends sorted too)
    ends: list[int] = []
    found: list[tuple[int, int, Repair]] = []
    cursor: dict[str, int] = {}  # per ``after`` text, where to look next
    for r in repairs:
        if r.where != where or r.index != index or not r.after:
            continue
        at = cursor.get(r.after, 0)
        while (start := text.find(r.after, at)) >= 0:
            end = start + len(r.after)
            k = bisect.bisect_left(starts, end)  # the span before ``end`` is the only one that can overlap
            if k == 0 or ends[k - 1] <= start:
                starts.insert(k, start)
                ends.insert(k, end)
                found.append((start, end, r))
                break
            at = start + 1
        cursor[r.after] = start + 1 if start >= 0 else len(text) + 1
    return sorted(found, key=lambda span: span[0])


def _highlight(text: str, repairs: list[Repair], where: str, index: int | None) -> str:
    """``text`` escaped, with the repaired words marked and the original on hover: built from the
    spans of the plain text, so markup is never searched or replaced."""
    parts, pos = [], 0
    for start, end, r in repair_spans(text, repairs, where, index):
        parts.append(html_text(text[pos:start]))
        parts.append(f'<span class="fix" title="{html_text(r.before)} → {html_text(r.after)}">'
                     f"{html_text(text[start:end])}</span>")
        pos = end
    parts.append(html_text(text[pos:]))
    return "".join(parts)


def _field_html(where: str, inner: str, photo: str) -> str:
    """How a field of the article shows in a document's section (``inner`` is already HTML)."""
    if where == "title":
        return f"<p><b>{inner}</b></p>"
    if where == "summary":
        return f"<p><i>{inner}</i></p>"
    if where == "captions":
        return f'<p class="cap">[{photo}] {inner}</p>'
    return f"<p>{inner}</p>"


MAX_RAW_LINES = 1_500  # raw lines shown per document in its section (the rest: counted)


def document_section(work: Doc) -> str:
    """One document's section: raw scrape (removed lines struck through with their reason),
    clean Vietnamese with repairs highlighted, English."""
    doc = work.document
    if doc is None:
        raise ValueError(f"{work.id}: no document to show (set aside)")
    raw_lines = work.ingested.raw_lines if work.ingested else []
    removed = {r.line: r.reason for r in doc.removed}
    raw = []
    for number, line in enumerate(raw_lines, 1):
        if number > MAX_RAW_LINES:
            raw.append(f"<p class='meta'>… {len(raw_lines) - MAX_RAW_LINES} more lines: see {html_text(doc.source.path)}</p>")
            break
        if not line.strip():
            continue
        if number in removed:
            raw.append(f'<p class="rm"><span class="tag">{html_text(removed[number])}</span>{html_text(line)}</p>')
        else:
            raw.append(f"<p>{html_text(line)}</p>")
    vi = [_field_html(f.where, _highlight(f.text, doc.repairs, f.where, f.index), "Ảnh")
          for f in Article.of(doc).fields() if f.text or f.where != "summary"]
    tr = doc.translation
    if tr.status == "ok":
        copied = {(u.where, u.index): u.language for u in tr.untranslated}

        def mark(f: Place) -> str:  # a paragraph or caption copied in another language than English
            lang = copied.get((f.where, f.index)) if f.index is not None else None
            return f'<span class="bad">[{html_text(lang)}, not translated]</span> ' if lang and lang != "en" else ""

        en = [_field_html(f.where, mark(f) + html_text(f.text), "Photo")
              for f in Article.of(tr).fields() if f.text or f.where != "summary"]
    else:
        en = [f'<p class="bad">translation: {html_text(tr.status)}</p><p>{html_text(tr.detail or "")}</p>']
    uncertain = "".join(f"<li>{html_text(u.text)} ({html_text(u.kind)}): {html_text(', '.join(u.candidates[:5]))}</li>"
                        for u in doc.uncertain)
    mt = doc.machine_translated
    meta = (f"site {html_text(str(doc.site))} · published {html_text(str(doc.published))} · credit {html_text(str(doc.credit))}"
            f" · language {html_text(doc.language)} · encoding {html_text(str(doc.source.encoding))}"
            f" · MT score {mt.score:.2f}{' (flagged)' if mt.flagged else ''} · {len(doc.removed)} lines removed"
            f" · {len(doc.repairs)} repairs")
    return (f'<h2 id="{html_text(doc.id)}">{html_text(doc.title or "(no title)")}</h2><div class="meta">{html_text(doc.id)} · {meta}</div>'
            + (f"<p>Uncertain, left as they are:</p><ul>{uncertain}</ul>" if uncertain else "")
            + '<div class="cols"><div class="raw"><h3>Raw scrape</h3>' + "".join(raw) + "</div>"
            + "<div><h3>Clean Vietnamese</h3>" + "".join(vi) + "</div>"
            + "<div><h3>English</h3>" + "".join(en) + "</div></div>")


def index_row(row, linked: bool) -> str:
    """One document's row of the report's index (a link to its section when ``linked``)."""
    ident = f'<a href="#{html_text(row.id)}">{html_text(row.id)}</a>' if linked else html_text(row.id)
    if row.status in ("rejected", "failed"):
        return f'<tr class="bad"><td>{ident}</td><td colspan="4">{html_text(row.status)}: {html_text(row.reason)}</td></tr>'
    status = row.translation if row.status == "ok" else f"{row.status}: {row.reason}"
    return (f"<tr><td>{ident}</td><td>{html_text(row.title[:90])}</td><td>{row.removed}</td><td>{row.repairs}</td>"
            f"<td>{html_text(status)}</td></tr>")


def render_index(heading: str, rows: list[str], sections: list[str], more: str = "") -> str:
    """The report page: a heading, the index table (``rows`` from :func:`index_row`), a line on
    what the index does not list, and the documents' sections."""
    return ("<!doctype html><html lang='vi'><head><meta charset='utf-8'><title>vnclean review</title>"
            f"<meta name='viewport' content='width=device-width,initial-scale=1'><style>{_CSS}</style></head><body>"
            f"<h1>{html_text(heading)}</h1>"
            "<table><tr><th>id</th><th>title</th><th>removed</th><th>repairs</th><th>translation</th></tr>"
            + "".join(rows) + "</table>" + (f"<p class='meta'>{html_text(more)}</p>" if more else "")
            + "".join(sections) + "</body></html>\n")


def render_report(works: list[Doc]) -> str:
    """The whole report over documents held in memory (a small run, tests)."""
    from vnclean.tasks.runrecord import row_of

    done = [w for w in works if w.document is not None]
    others = [w for w in works if w.document is None]
    rows = [index_row(row_of(w), True) for w in done] + [index_row(row_of(w), False) for w in others]
    return render_index(f"vnclean review — {len(done)} documents, {len(others)} set aside", rows,
                        [document_section(w) for w in done])


def write_report(works: list[Doc], output_dir: Path) -> Path:
    path = output_dir / "report.html"
    atomic_write(path, render_report(sorted(works, key=lambda w: w.id)))
    return path


# ---------------------------------------------------------------------------------------------
# The review in the Prefect UI (a markdown artifact): what needs a person's eyes, per document


def review_notes(w: Doc) -> list[str]:
    """What a person should look at in one document, as markdown list items (none: nothing)."""
    from collections import Counter

    notes: list[str] = []
    aside = w.set_aside
    if aside is not None and not aside.failed:
        notes.append(f"- set aside ({md_text(aside.reason)}): {md_text(aside.detail)}")
    elif aside is not None:
        notes.append(f"- failed in {md_text(aside.stage)}: {md_text(aside.detail)}")
    elif w.document is not None:
        d = w.document
        if d.machine_translated.flagged:
            notes.append(f"- garbled machine translation: score {d.machine_translated.score:.2f} (flagged)")
        for (kind, before, after), n in Counter((r.kind, r.before, r.after) for r in d.repairs).items():
            notes.append(f"- repair {md_text(kind)}: {md_text(before)} → {md_text(after)}" + (f" (×{n})" if n > 1 else ""))
        for (kind, text, cands), n in Counter((u.kind, u.text, tuple(u.candidates[:3])) for u in d.uncertain).items():
            notes.append(f"- uncertain {md_text(kind)}: {md_text(text)}" + (f" — candidates {md_text(', '.join(cands))}" if cands else "")
                         + (f" (×{n})" if n > 1 else ""))
        if w.waiting:
            notes.append(f"- waiting for the model: {md_text(w.waiting)}")
        tr = d.translation
        if tr.status == "failed":
            notes.append(f"- translation failed: {md_text(tr.detail or '')}")
        for u in tr.untranslated:
            if u.language != "en":
                notes.append(f"- not translated: {md_text(u.where)}{'' if u.index is None else f' {u.index}'} "
                             f"is {md_text(u.language)}")
    return notes


def review_markdown_of(entries: list[tuple[str, str, list[str]]], more: int, quiet: int, quiet_ids: list[str]) -> str:
    """The review artifact: ``entries`` (id, label, notes) of documents to look at, how many more
    there are, and how many need nothing (the first of them by id)."""
    lines = ["# vnclean review", ""]
    for doc_id, label, notes in entries:
        lines += [f"## {md_text(doc_id)} — {md_text(label)}", "", *notes, ""]
    if more:
        lines += [f"… and {more} more documents to review: see report.html in the output folder.", ""]
    lines.append(f"{quiet} document(s) need no review" + (f": {', '.join(map(md_text, quiet_ids[:20]))}" if quiet else "")
                 + (" …" if quiet > 20 else "") + ".")
    return "\n".join(lines)


def review_markdown(works: list[Doc], limit: int = 100) -> str:
    """Documents that need review first (set aside, garbled machine translation, repairs, uncertain
    names, translation problems), each with what was changed or doubted; then the count of
    documents that need nothing. A server's UI cannot open ``report.html``; this it shows."""
    entries: list[tuple[str, str, list[str]]] = []
    quiet: list[str] = []
    more = 0
    for w in works:
        notes = review_notes(w)
        if not notes:
            quiet.append(w.id)
        elif len(entries) < limit:
            entries.append((w.id, (w.document.title or w.path) if w.document is not None else w.path, notes))
        else:
            more += 1
    return review_markdown_of(entries, more, len(quiet), quiet)
