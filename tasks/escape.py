"""One escaper per output language: HTML for ``report.html``, Markdown for the Prefect artifacts.

Whatever a scrape or a file name holds (markup, ``[x](javascript:…)`` links, entities, control
characters, bytes that are not UTF-8), it comes out as the same visible text and never as markup.

>>> html_text('<a href="javascript:x">&</a>')
'&lt;a href=&quot;javascript:x&quot;&gt;&amp;&lt;/a&gt;'
>>> md_text("[x](javascript:alert(8)) <b>*n*</b>")
'\\\\[x\\\\]\\\\(javascript\\\\:alert\\\\(8\\\\)\\\\) \\\\<b\\\\>\\\\*n\\\\*\\\\<\\\\/b\\\\>'
"""
from __future__ import annotations

import html
import re
import string
from urllib.parse import urlsplit

from vnclean.tasks.ingest import printable

# CommonMark: "Any ASCII punctuation character may be backslash-escaped" and then stands for
# itself. Escaping all of them leaves no link, image, autolink, raw HTML, entity, emphasis, code
# span, heading, list or table syntax in the text, whatever it holds.
_MD_SPECIAL = re.compile("([" + re.escape(string.punctuation) + "])")
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SAFE_SCHEMES = ("http", "https", "file")


def html_text(text: str) -> str:
    """Text for an HTML element or a quoted attribute value."""
    return html.escape(printable(text), quote=True)


def md_text(text: str) -> str:
    """Text for one line of Markdown (a heading, a list item or a table cell): white space
    collapsed to single spaces, control characters shown as U+FFFD, every ASCII punctuation mark
    backslash-escaped."""
    text = _CONTROLS.sub("\ufffd", " ".join(printable(text).split()))
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_link(label: str, url: str) -> str:
    """A Markdown link to an ``http``, ``https`` or ``file`` URL; any other URL (``javascript:``,
    ``data:`` …) is written as plain text.

    >>> md_link("report", "file:///tmp/out/report.html")
    '[report](<file:///tmp/out/report.html>)'
    >>> md_link("x", "javascript:alert(8)")
    'x \\\\(javascript\\\\:alert\\\\(8\\\\)\\\\)'
    """
    if urlsplit(url).scheme.lower() not in SAFE_SCHEMES or re.search(r"[\s<>\\]", url):
        return md_text(f"{label} ({url})")
    return f"[{md_text(label)}](<{url}>)"
