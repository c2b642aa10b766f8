"""Site templates learned from the batch: what many pages of one site repeat is the site's.

A site's menus, footers, login prompts and widgets come back on every page; an article's text
does not. Before a run strips its documents, :func:`learn` reads every one of them (and keeps
what earlier runs read, in ``_templates.sqlite`` beside the manifest) and records, per site, the
short units each page has. A unit found on at least ``template_min_pages`` pages of the site and
on at least ``template_min_share`` of them is the site's template: the classifier removes it with
the reason ``site-template``. A sentence that two articles quote is not (three pages at least);
a long paragraph shared by pages is syndicated text, not template (``template_max_words``).

The site of a page is the host of its URL (``URL Source:``, a canonical link, a URL line), else
the publisher profile that recognises it; a page with neither has no template.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from vnclean.tasks.blocks import Page, read_page
from vnclean.tasks.classify import Settings, load_settings, unit_key

TEMPLATES_FILE = "_templates.sqlite"


def site_of(page: Page, profile: str | None = None) -> str | None:
    """The host a page names for itself, without ``www.``; else its profile's name.

    >>> from vnclean.tasks.blocks import read_text
    >>> site_of(read_text("https://www.nld.com.vn/a-b-c.htm\\nBài báo."))
    'nld.com.vn'
    """
    url = page.meta.get("url")
    if not url:
        for unit in page.units[:60]:
            if unit.text.startswith(("http://", "https://")) and " " not in unit.text:
                url = unit.text
                break
    host = urlsplit(url).hostname if url else None
    if host:
        return host.lower().removeprefix("www.")
    return profile


def page_keys(page: Page, settings: Settings) -> set[str]:
    """The keys of a page's units short enough to be template."""
    return {unit_key(u.text) for u in page.units
            if u.text and len(u.text.split()) <= settings.template_max_words and unit_key(u.text)}


@dataclass(frozen=True)
class Seen:
    """One page as the template store records it."""

    doc: str  # the input's path (a re-read page replaces its earlier record)
    site: str
    keys: frozenset[str]


class TemplateStore:
    """Per site: which pages were read and which short units each had (SQLite, one file)."""

    def __init__(self, path: Path) -> None:
        from vnclean.tasks.write import open_sqlite

        self.path = path
        self.db = open_sqlite(path, "CREATE TABLE IF NOT EXISTS pages (site TEXT, doc TEXT, PRIMARY KEY (site, doc))",
                              "CREATE TABLE IF NOT EXISTS units (site TEXT, key TEXT, doc TEXT,"
                              " PRIMARY KEY (site, key, doc))",
                              "CREATE INDEX IF NOT EXISTS units_doc ON units (doc)")
        self._cache: dict[tuple[str, int, float], frozenset[str]] = {}

    def record(self, pages: Iterable[Seen]) -> None:
        with self.db:
            for seen in pages:
                self.db.execute("DELETE FROM units WHERE doc = ?", (seen.doc,))
                self.db.execute("DELETE FROM pages WHERE doc = ?", (seen.doc,))
                self.db.execute("INSERT INTO pages VALUES (?, ?)", (seen.site, seen.doc))
                self.db.executemany("INSERT OR IGNORE INTO units VALUES (?, ?, ?)",
                                    [(seen.site, key, seen.doc) for key in seen.keys])
        self._cache.clear()

    def template(self, site: str | None, settings: Settings | None = None) -> frozenset[str]:
        """The unit keys that make ``site``'s template."""
        if not site:
            return frozenset()
        s = settings or load_settings()
        cache_key = (site, s.template_min_pages, s.template_min_share)
        if cache_key not in self._cache:
            (pages,) = self.db.execute("SELECT COUNT(*) FROM pages WHERE site = ?", (site,)).fetchone()
            need = max(s.template_min_pages, int(pages * s.template_min_share + 0.999999))
            if pages < s.template_min_pages:
                self._cache[cache_key] = frozenset()
            else:
                rows = self.db.execute("SELECT key FROM units WHERE site = ? GROUP BY key HAVING COUNT(*) >= ?",
                                       (site, need)).fetchall()
                self._cache[cache_key] = frozenset(key for (key,) in rows)
        return self._cache[cache_key]

    def close(self) -> None:
        self.db.close()


def seen_page(doc: str, text: str, shape: str, profile: str | None, settings: Settings | None = None) -> Seen | None:
    """What the store records of one normalised scrape (None when its site is unknown)."""
    page = read_page(text, shape)
    site = site_of(page, profile)
    if site is None:
        return None
    return Seen(doc, site, frozenset(page_keys(page, settings or load_settings())))
