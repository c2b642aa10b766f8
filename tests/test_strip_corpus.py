"""The strip stage on real pages from sites it was not written for (tests/data/strip/)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import strip as bench  # noqa: E402


def test_corpus_covers_at_least_six_sites_with_origins():
    pages = bench.load_corpus()
    hosts = {p.origin.split("/")[2] for p in pages}
    assert len(hosts) >= 6 and all(p.origin.startswith("http") for p in pages)
    assert sum(len(p.labels) for p in pages) >= 60


def test_line_level_precision_and_recall():
    result = bench.score(bench.load_corpus(), bench.vnclean_labels)
    assert result["precision"] >= 0.95, result
    assert result["recall"] >= 0.95, result


def test_better_than_justext_on_the_same_lines():
    pages = bench.load_corpus()
    ours, theirs = bench.score(pages, bench.vnclean_labels), bench.score(pages, bench.justext_labels)
    assert ours["f1"] > theirs["f1"] + 0.05, (ours, theirs)


def test_titles_and_dates_as_labelled():
    """Each page's title and date as a person labelled them: a portal's clock banner is not the
    article's date, and a page whose title the crawl lost gets none of its lines taken for one."""
    pages = bench.load_corpus()
    total, misses = bench.metadata_misses(pages)
    assert total >= 16 and not misses, misses
