"""The review report ``output/report.html``: per document, the raw text with removed lines struck
through and labelled with their reason, the clean Vietnamese with repairs highlighted (before →
after on hover), and the English beside it. Self-contained: no external assets, all text escaped."""
from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from tasks.write import atomic_write

if TYPE_CHECKING:
    from tasks.pipeline import Work

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


def _highlight(text: str, repairs: list, where: str, index: int | None) -> str:
    """Escape ``text`` and mark the repaired words, with the original on hover."""
    html = escape(text)
    for r in repairs:
        if r.where != where or r.index != index or not r.after:
            continue
        after = escape(r.after)
        if after in html:
            html = html.replace(after, f'<span class="fix" title="{escape(r.before)} → {after}">{after}</span>', 1)
    return html


def _document_section(work: Work) -> str:
    doc = work.document
    raw_lines = work.ingested.raw_lines if work.ingested else []
    removed = {r.line: r.reason for r in doc.removed}
    raw = []
    for number, line in enumerate(raw_lines, 1):
        if not line.strip():
            continue
        if number in removed:
            raw.append(f'<p class="rm"><span class="tag">{escape(removed[number])}</span>{escape(line)}</p>')
        else:
            raw.append(f"<p>{escape(line)}</p>")
    vi = [f"<p><b>{_highlight(doc.title or '', doc.repairs, 'title', None)}</b></p>"]
    if doc.summary:
        vi.append(f"<p><i>{_highlight(doc.summary, doc.repairs, 'summary', None)}</i></p>")
    vi += [f"<p>{_highlight(p, doc.repairs, 'paragraphs', i)}</p>" for i, p in enumerate(doc.paragraphs)]
    vi += [f'<p class="cap">[Ảnh] {_highlight(c, doc.repairs, "captions", i)}</p>' for i, c in enumerate(doc.captions)]
    tr = doc.translation
    if tr.status == "ok":
        en = [f"<p><b>{escape(tr.title or '')}</b></p>"] + ([f"<p><i>{escape(tr.summary)}</i></p>"] if tr.summary else [])
        copied = {(u.where, u.index): u.language for u in tr.untranslated}

        def mark(where: str, i: int) -> str:
            lang = copied.get((where, i))
            return f'<span class="bad">[{escape(lang)}, not translated]</span> ' if lang and lang != "en" else ""

        en += [f"<p>{mark('paragraphs', i)}{escape(p)}</p>" for i, p in enumerate(tr.paragraphs)]
        en += [f'<p class="cap">[Photo] {mark("captions", i)}{escape(c)}</p>' for i, c in enumerate(tr.captions)]
    else:
        en = [f'<p class="bad">translation: {escape(tr.status)}</p><p>{escape(tr.detail or "")}</p>']
    uncertain = "".join(f"<li>{escape(u.text)} ({escape(u.kind)}): {escape(', '.join(u.candidates[:5]))}</li>"
                        for u in doc.uncertain)
    mt = doc.machine_translated
    meta = (f"site {escape(str(doc.site))} · published {escape(str(doc.published))} · credit {escape(str(doc.credit))}"
            f" · language {escape(doc.language)} · encoding {escape(str(doc.source.encoding))}"
            f" · MT score {mt.score:.2f}{' (flagged)' if mt.flagged else ''} · {len(doc.removed)} lines removed"
            f" · {len(doc.repairs)} repairs")
    return (f'<h2 id="{escape(doc.id)}">{escape(doc.title or "(no title)")}</h2><div class="meta">{escape(doc.id)} · {meta}</div>'
            + (f"<p>Uncertain, left as they are:</p><ul>{uncertain}</ul>" if uncertain else "")
            + '<div class="cols"><div class="raw"><h3>Raw scrape</h3>' + "".join(raw) + "</div>"
            + "<div><h3>Clean Vietnamese</h3>" + "".join(vi) + "</div>"
            + "<div><h3>English</h3>" + "".join(en) + "</div></div>")


def render_report(works: list[Work]) -> str:
    done = [w for w in works if w.document is not None]
    others = [w for w in works if w.document is None]
    rows = "".join(
        f'<tr><td><a href="#{escape(w.id)}">{escape(w.id)}</a></td><td>{escape((w.document.title or "")[:90])}</td>'
        f"<td>{len(w.document.removed)}</td><td>{len(w.document.repairs)}</td>"
        f"<td>{escape(w.document.translation.status)}</td></tr>" for w in done)
    rows += "".join(
        f'<tr class="bad"><td>{escape(w.id)}</td><td colspan="4">'
        f"{escape(('rejected: ' + w.rejected.reason + ' — ' + w.rejected.detail) if w.rejected else ('failed in ' + w.failed.stage + ': ' + w.failed.error) if w.failed else '')}"
        "</td></tr>" for w in others)
    return ("<!doctype html><html lang='vi'><head><meta charset='utf-8'><title>vnclean review</title>"
            f"<meta name='viewport' content='width=device-width,initial-scale=1'><style>{_CSS}</style></head><body>"
            f"<h1>vnclean review — {len(done)} documents, {len(others)} set aside</h1>"
            "<table><tr><th>id</th><th>title</th><th>removed</th><th>repairs</th><th>translation</th></tr>"
            f"{rows}</table>" + "".join(_document_section(w) for w in done) + "</body></html>\n")


def write_report(works: list[Work], output_dir: Path) -> Path:
    path = output_dir / "report.html"
    atomic_write(path, render_report(sorted(works, key=lambda w: w.id)))
    return path


# ---------------------------------------------------------------------------------------------
# The review in the Prefect UI (a markdown artifact): what needs a person's eyes, per document


def _md(text: str) -> str:
    """Text safe inside a markdown table cell or list item."""
    return " ".join(text.split()).replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")


def review_markdown(works: list[Work], limit: int = 100) -> str:
    """Documents that need review first (set aside, garbled machine translation, repairs, uncertain
    names, translation problems), each with what was changed or doubted; then the count of
    documents that need nothing. A server's UI cannot open ``report.html``; this it shows."""
    from collections import Counter

    lines = ["# vnclean review", ""]
    quiet: list[str] = []
    shown = 0
    for w in works:
        notes: list[str] = []
        if w.rejected is not None:
            notes.append(f"- set aside ({w.rejected.reason}): {_md(w.rejected.detail)}")
        elif w.failed is not None:
            notes.append(f"- failed in {w.failed.stage}: {_md(w.failed.error)}")
        else:
            d = w.document
            assert d is not None
            if d.machine_translated.flagged:
                notes.append(f"- garbled machine translation: score {d.machine_translated.score:.2f} (flagged)")
            for (kind, before, after), n in Counter((r.kind, r.before, r.after) for r in d.repairs).items():
                notes.append(f"- repair {kind}: {_md(before)} → {_md(after)}" + (f" (×{n})" if n > 1 else ""))
            for (kind, text, cands), n in Counter((u.kind, u.text, tuple(u.candidates[:3])) for u in d.uncertain).items():
                notes.append(f"- uncertain {kind}: {_md(text)}" + (f" — candidates {_md(', '.join(cands))}" if cands else "")
                             + (f" (×{n})" if n > 1 else ""))
            if w.waiting:
                notes.append(f"- waiting for the model: {_md(w.waiting)}")
            tr = d.translation
            if tr.status == "failed":
                notes.append(f"- translation failed: {_md(tr.detail or '')}")
            for u in tr.untranslated:
                if u.language != "en":
                    notes.append(f"- not translated: {u.where}{'' if u.index is None else f' {u.index}'} is {u.language}")
        label = (w.document.title or w.path) if w.document is not None else w.path
        if not notes:
            quiet.append(w.id)
            continue
        shown += 1
        if shown > limit:
            continue
        lines += [f"## {_md(w.id)} — {_md(label)}", "", *notes, ""]
    if shown > limit:
        lines += [f"… and {shown - limit} more documents to review: see report.html in the output folder.", ""]
    lines.append(f"{len(quiet)} document(s) need no review" + (f": {', '.join(map(_md, quiet[:20]))}" if quiet else "")
                 + (" …" if len(quiet) > 20 else "") + ".")
    return "\n".join(lines)
