"""The strip stage on real pages from sites it was not written for (tests/data/strip/), scored
as benchmarks/strip.py scores them: leave-one-site-out (the page's own site profile off)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import strip as bench  # noqa: E402


@pytest.fixture(scope="module")
def pages():
    return bench.load_corpus()


@pytest.fixture(scope="module")
def scores(pages):
    return bench.evaluate([p for p in pages if not p.excerpt])[0]


def test_every_page_has_its_origin_licence_and_shape(pages):
    for page in pages:
        assert page.origin.startswith("http") or page.origin == "-", page.name
        assert page.shape in ("text", "markdown", "html"), page.name
        assert page.rows, page.name


def test_text_and_markdown_rows_rebuild_the_raw_page(pages):
    """Every raw line of a text or Markdown page is labelled: nothing can hide from the score."""
    for page in pages:
        if page.shape == "html":
            continue
        raw = page.raw.split("\n")
        for number, (_label, text) in zip(page.numbers, page.rows):
            assert raw[number - 1] == text, (page.name, number)
        assert len(page.rows) == sum(1 for line in raw if line.strip()), page.name
