"""The output contract (../shared/CONTRACT.md) as pydantic models, plus the values stages pass on.

Every document written to ``output/<id>.json`` is a :class:`Document`; a file that cannot be
processed gets ``output/_rejected/<id>.json``, a :class:`Rejected`.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Source(_Model):
    path: str
    sha256: str
    encoding: str | None = None
    bytes: int = 0


class Removed(_Model):
    """A raw line dropped from the text: 1-based line number in the raw file, its text, why."""

    line: int
    text: str
    reason: str


class Repair(_Model):
    """A change to the words of the text. ``before`` is what the input said."""

    kind: str
    before: str
    after: str
    confidence: float = 1.0
    where: str = "paragraphs"  # title | summary | paragraphs | captions
    index: int | None = None  # paragraph/caption index, when where is a list


class Uncertain(_Model):
    """A span the repair stage suspects but does not change: the reviewer decides."""

    kind: str
    text: str
    candidates: list[str] = Field(default_factory=list)
    where: str = "paragraphs"
    index: int | None = None


class MachineTranslated(_Model):
    score: float
    flagged: bool
    features: dict[str, float] = Field(default_factory=dict)
    paragraph_scores: list[float] = Field(default_factory=list)


TranslationStatus = Literal["ok", "missing-model", "failed", "skipped"]


class Untranslated(_Model):
    """A text not given to the vi→en model, copied as it is into the English: English text, or
    text in another language (marked here for the reviewer with the detected language)."""

    where: str  # title | summary | paragraphs | captions
    index: int | None = None
    language: str


class Translation(_Model):
    status: TranslationStatus
    model: str | None = None
    title: str | None = None
    summary: str | None = None
    paragraphs: list[str] = Field(default_factory=list)
    captions: list[str] = Field(default_factory=list)
    detail: str | None = None
    untranslated: list[Untranslated] = Field(default_factory=list)
    # run statistics, reported in the run summary; not written (re-runs are byte-identical)
    cache_hits: int = Field(0, exclude=True)
    cache_misses: int = Field(0, exclude=True)


class Document(_Model):
    id: str
    source: Source
    language: str
    site: str | None
    url: str | None
    title: str | None  # null when the page states no title (see title_source)
    title_source: str = "none"
    published: str | None
    credit: str | None
    summary: str | None
    paragraphs: list[str]
    captions: list[str]
    removed: list[Removed]
    repairs: list[Repair]
    uncertain: list[Uncertain] = Field(default_factory=list)
    machine_translated: MachineTranslated
    translation: Translation
    pipeline_version: str = ""


class Rejected(_Model):
    id: str
    source: Source
    reason: str  # stable snake_case: empty, binary, undecodable, too_large, unreadable, ...
    detail: str = ""


class Failed(_Model):
    """A document whose processing raised in a stage (a bug or a transient error)."""

    id: str
    source: Source | None = None
    stage: str
    error: str
