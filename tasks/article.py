"""A document's text as one immutable value, and the one walk over its fields.

Repair, translate, the review report and the plain-text files all go over the same four fields in
the same order: the title, the summary (sapo) when there is one, the paragraphs, the captions.
:meth:`Article.fields` is that walk; :meth:`Article.with_texts` puts a stage's output, aligned 1:1
with it, back into the same shape. ``where`` and ``index`` are the names the contract's repairs,
uncertain spans and untranslated texts use.

>>> a = Article("Tin", None, ("Một.", "Hai."), ("Ảnh",))
>>> [(f.where, f.index, f.text) for f in a.fields()]
[('title', None, 'Tin'), ('paragraphs', 0, 'Một.'), ('paragraphs', 1, 'Hai.'), ('captions', 0, 'Ảnh')]
>>> a.with_texts([f.text.upper() for f in a.fields()])
Article(title='TIN', summary=None, paragraphs=('MỘT.', 'HAI.'), captions=('ẢNH',))
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Place:
    """One field of an article: ``where`` (title | summary | paragraphs | captions), the item's
    ``index`` in a list field (None for title and summary), and its text."""

    where: str
    index: int | None
    text: str


class HasText(Protocol):
    """Anything with an article's four fields: the strip and repair results, a Document, its Translation."""

    @property
    def title(self) -> str | None: ...
    @property
    def summary(self) -> str | None: ...
    @property
    def paragraphs(self) -> Sequence[str]: ...
    @property
    def captions(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class Article:
    title: str  # "" when the document has none
    summary: str | None  # None: no sapo (not walked); "" is a sapo with no text (walked)
    paragraphs: tuple[str, ...] = ()
    captions: tuple[str, ...] = ()

    @classmethod
    def of(cls, text: HasText) -> Article:
        return cls(text.title or "", text.summary, tuple(text.paragraphs), tuple(text.captions))

    def fields(self) -> Iterator[Place]:
        """Title, summary (when not None), paragraphs, captions: the order of every stage."""
        yield Place("title", None, self.title)
        if self.summary is not None:
            yield Place("summary", None, self.summary)
        for i, paragraph in enumerate(self.paragraphs):
            yield Place("paragraphs", i, paragraph)
        for i, caption in enumerate(self.captions):
            yield Place("captions", i, caption)

    def with_texts(self, texts: Sequence[str]) -> Article:
        """The same fields with new texts, given in :meth:`fields` order."""
        head = 2 if self.summary is not None else 1
        body = head + len(self.paragraphs)
        if len(texts) != body + len(self.captions):
            raise ValueError(f"{len(texts)} texts for an article of {body + len(self.captions)} fields")
        return Article(texts[0], texts[1] if self.summary is not None else None,
                       tuple(texts[head:body]), tuple(texts[body:]))
