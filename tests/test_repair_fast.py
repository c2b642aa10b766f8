"""The repair stage's fast paths give what the plain definitions give (issue 17: same bytes, less time).

Each fast path (a regex that finds capitalised words instead of a Python loop over every word, a
cheap test that rules a text out before a slow regex runs) is checked against the plain
definition it replaced, on drawn text made of the characters that decide them (Vietnamese upper
and lower case, ASCII, digits, "_", "-", brackets, punctuation, odd white space, a Roman numeral
that is upper case but not a letter), and on the real pages of tests/data/strip.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vnclean.tasks import repair as R
from vnclean.tasks.repair import Field_, load_names

ROOT = Path(__file__).resolve().parent.parent

ALPHABET = "aAbBcCđĐeÊêôÔơƠưƯhHiIlLnNtTTrgGxXzZyYàÀảẢệỆữỮ_-1 2\u00a0\t\n.,;:!?()[]\"“”’%ⅧßǅİvV"
WORDS = ["Thủ tướng", "Bộ", "và", "Ông", "ông", "Li", "Trần", "Xi", "Jinping", "Tháng", "vv.", "Hà Nội",
         "Quách Thành Côn", "Quách Thanh Côn", "Nguyễn", "Tấn", "Dũng", "Ruan", "Jinyong", "(", ")", " ", " , ",
         " .", ",.", "  ", "-", "Chủ tịch nước", "Phó Chủ tịch nước", "10", "19"]
texts = st.lists(st.one_of(st.text(alphabet=ALPHABET, max_size=12), st.sampled_from(WORDS)), max_size=30).map(
    lambda parts: " ".join(parts))


def corpus_texts() -> list[str]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from strip import load_corpus

    return [text for page in load_corpus() for _label, text in page.rows]


def context_names_plain(fields: list[Field_]) -> set[str]:
    """The definition :func:`vnclean.tasks.repair._context_names` had before it was made faster."""
    names: set[str] = set()
    for f in fields:
        for segment in re.split(r"[^\w\s-]+", f.text):
            run: list[str] = []
            for word in segment.split() + [""]:
                if word[:1].isupper() and word.isalpha():
                    run.append(word)
                    continue
                for n in (2, 3, 4):
                    for k in range(len(run) - n + 1):
                        names.add(" ".join(run[k:k + n]))
                run = []
    return names


def ascii_caps_plain(text: str) -> int:
    words = text.split()
    return sum(1 for w in words if R._is_ascii_cap(w.strip(",.;:()")) and
               not R.is_vietnamese_ascii_syllable(w.strip(",.;:()")))


def ascii_caps_fast(text: str) -> int:
    return sum(1 for w in R._ASCII_CAP_WORD.findall(text)
               if (len(w) == 1 or not w.isupper()) and not R.is_vietnamese_ascii_syllable(w))


def check(text: str) -> None:
    table = load_names()
    # capitalised words: \w+ tokens whose first character is upper case, and [\w-]+ tokens
    assert [m.span() for m in R._CAPITALISED_WORD.finditer(text) if m[0][0].isupper()] == \
        [m.span() for m in re.finditer(r"\w+", text) if m[0][:1].isupper()]
    assert [m.span() for m in R._CAPITALISED_DASHED.finditer(text) if m[0][0].isupper()] == \
        [m.span() for m in re.finditer(r"[\w-]+", text) if m[0][:1].isupper()]
    fields = [Field_("paragraphs", 0, text), Field_("captions", 0, text[::-1])]
    assert R._context_names(fields) == context_names_plain(fields)
    assert ascii_caps_fast(text) == ascii_caps_plain(text)
    # a text a hint rules out has no match
    if R._DANGLING.search(text):
        assert R._SPACED_PUNCTUATION.search(text)
    for _kind, pattern, _replacement, _flagged, hint in R._RULES:
        if pattern.search(text):
            assert hint.search(text), pattern.pattern
    if table.half_gate.search(text):
        assert table.half_gate_hint.search(text)
    fast = [m.span() for m in table.doubled(text)]
    table.__dict__["_doubled_hint"] = ("",)  # every text passes: the slow regex alone
    try:
        assert fast == [m.span() for m in table.doubled(text)]
    finally:
        del table.__dict__["_doubled_hint"]
    if table._doubled.search(text):
        assert any(twice in text for twice in table._doubled_hint)


@settings(max_examples=300)
@given(texts)
def test_fast_paths_equal_their_definitions_on_drawn_text(text: str) -> None:
    check(text)


def test_fast_paths_equal_their_definitions_on_the_corpus_pages() -> None:
    lines = corpus_texts()
    assert len(lines) > 2000
    for text in lines:
        check(text)


@pytest.mark.parametrize("text, names", [
    ("Ông Tập Cận Bình gặp Thủ tướng Phạm Minh Chính tại Hà Nội.",
     {"Ông Tập", "Tập Cận", "Cận Bình", "Ông Tập Cận", "Tập Cận Bình", "Ông Tập Cận Bình", "Phạm Minh",
      "Minh Chính", "Phạm Minh Chính", "Hà Nội"}),
    # a hyphenated word, a Roman numeral and punctuation end a run; white space does not
    ("Nguyễn-Văn A, Trần Hưng  Đạo(Hà Nội) TP.HCM Ⅷ Ⅸ", {"Trần Hưng", "Hưng Đạo", "Trần Hưng Đạo", "Hà Nội"}),
])
def test_context_names_of_a_sentence(text: str, names: set[str]) -> None:
    assert R._context_names([Field_("paragraphs", 0, text)]) == names


def test_the_hints_find_what_the_slow_regexes_find() -> None:
    table = load_names()
    assert [m[0] for m in table.doubled("Thủ tướng Thủ tướng gặp Bộ Bộ trưởng, (và và)")] == \
        ["Thủ tướng Thủ tướng", "Bộ Bộ", "và và"]
    assert table.doubled("Thủ tướng gặp Bộ trưởng") == []
    assert ascii_caps_fast("(Zhang) Beijing, Nam Abc. ABC A") == 3  # Zhang, Beijing, A; Nam is Vietnamese
    # each rule still fires where its hint lets it
    repaired = R.repair_document("", None, ["Họ đến , . và vv. ngày 19 Tháng 10 , Ông Tập Jinping ."], [])
    assert repaired.paragraphs == ["Họ đến. và v.v. ngày 19 tháng 10, Ông Tập Cận Bình."]
    assert [r.kind for r in repaired.repairs] == ["pinyin-name"] + ["punctuation"] * 4 + ["casing"]
