"""Limits that protect the outputs: capped titles, sapos, captions and run rows with nothing lost,
and a document's language decided on the document as a whole."""
from __future__ import annotations

import json
from dataclasses import asdict

from hypothesis import given
from hypothesis import strategies as st

from vnclean.tasks.boilerplate import Stripped
from vnclean.tasks.limits import cap_fields, load_limits
from vnclean.tasks.pipeline import process_chunk
from vnclean.tasks.translate import Translator, translate_document

LIMITS = load_limits()
SENTENCE = "Bộ Công an Việt Nam và Bộ An ninh Quốc gia Trung Quốc tổ chức hội nghị đối thoại lần thứ hai. "


def stripped(title: str, summary: str | None = None, paragraphs: list[str] | None = None,
             captions: list[str] | None = None) -> Stripped:
    return Stripped(site=None, title=title, url=None, published=None, credit=None, summary=summary,
                    paragraphs=paragraphs or [], captions=captions or [], removed=[])


def words(s: Stripped) -> list[str]:
    return " ".join([s.title or "", s.summary or "", *s.paragraphs, *s.captions]).split()


def test_a_single_line_markdown_scrape_gets_a_capped_title_and_keeps_every_word(tmp_path, argos_dir):
    from vnclean.flows.pipeline import summarise

    page = tmp_path / "one-line.md"  # a crawler page with no line breaks: all of it is the "# heading"
    text = SENTENCE * 600  # 60 KB on one line (a 2 MB one is the same, slower)
    page.write_text("# " + text, encoding="utf-8")
    (work,) = process_chunk([str(page)], tmp_path / "out", translator=None)
    doc = work.document
    assert doc.title_source == "h1"
    assert 0 < len(doc.title) <= LIMITS.title_chars
    assert doc.title.endswith("lần thứ hai.")
    assert " ".join([doc.title, *doc.paragraphs]).split() == text.split()
    run_record = json.dumps(asdict(summarise([work], tmp_path, tmp_path / "out", None, 1.0)), ensure_ascii=False)
    assert len(run_record) < 2000  # what _run.json and _runs.jsonl get per document


def test_overlong_sapo_and_caption_go_to_the_body_in_reading_order():
    summary = SENTENCE * 20  # 2,000 characters
    caption = "Toàn cảnh hội nghị. " + SENTENCE * 8
    s = cap_fields(stripped("Hội nghị", summary, ["Đoạn một."], [caption, "Ảnh: TTXVN"]))
    assert len(s.summary) <= LIMITS.summary_chars
    assert len(s.captions[0]) <= LIMITS.caption_chars
    assert s.paragraphs[1] == "Đoạn một."
    assert s.captions[1] == "Ảnh: TTXVN"
    assert s.summary + " " + s.paragraphs[0] == summary.strip()
    assert s.captions[0] + " " + s.paragraphs[-1] == caption.strip()
    unchanged = stripped("Hội nghị", "Sapo ngắn.", ["Đoạn một."], ["Ảnh: TTXVN"])
    assert cap_fields(unchanged) is unchanged


_WORDS = st.lists(st.sampled_from(["Bộ", "Công", "an.", "hội", "nghị!", "x" * 50, "đối…", "thoại”"]), max_size=400)


@given(title=_WORDS, summary=_WORDS, caption=_WORDS, paragraph=_WORDS)
def test_capping_keeps_every_word_and_keeps_within_the_limits(title, summary, caption, paragraph):
    before = stripped(" ".join(title), " ".join(summary) or None, [" ".join(paragraph)], [" ".join(caption)])
    after = cap_fields(before)
    assert sorted(words(after)) == sorted(words(before))
    assert len(after.title) <= LIMITS.title_chars
    assert len(after.summary or "") <= LIMITS.summary_chars
    assert all(len(c) <= LIMITS.caption_chars for c in after.captions)


ENGLISH = ("The ministry said on Tuesday that the new rules would take effect next month across the country, "
           "according to a statement published on its website.")


def test_the_short_title_of_an_english_page_is_copied_not_translated(tiny_model, tmp_path):
    page = tmp_path / "border.md"
    page.write_text(f"# Border rules change\n\n{ENGLISH}\n\nOfficials expect the changes to reduce delays at "
                    "border crossings and ports, and traders have welcomed the move.\n", encoding="utf-8")
    translator = Translator(tiny_model)
    (work,) = process_chunk([str(page)], tmp_path / "out", translator)
    doc = work.document
    assert doc.language == "en"
    assert doc.translation.title == "Border rules change"
    assert doc.paragraphs
    assert doc.translation.paragraphs == doc.paragraphs  # the body is kept, copied as it is
    assert {(u.where, u.language) for u in doc.translation.untranslated} >= {("title", "en"), ("paragraphs", "en")}
    assert translator.stats.sentences == 0  # nothing went to the vi→en model


def test_short_fields_follow_the_document_language(tiny_model):
    translator = Translator(tiny_model)
    english = translate_document("Border rules change", None, [ENGLISH], ["Port of Hai Phong"], translator,
                                 language="en")
    assert (english.title, english.captions) == ("Border rules change", ["Port of Hai Phong"])
    assert translator.stats.sentences == 0
    assert len(english.untranslated) == 3
    vietnamese = translate_document("Hoi nghi", None, ["Hai bên nhất trí tăng cường hợp tác an ninh."], [],
                                    translator, language="vi")
    assert translator.stats.sentences == 2
    assert not vietnamese.untranslated  # the unaccented title is sent
