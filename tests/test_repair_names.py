"""Repair on real text (issue 13): glosses, doubled titles, half-translated names."""
from __future__ import annotations

import functools
import re

from hypothesis import given, settings, strategies as st

from vnclean.tasks.boilerplate import strip_boilerplate
from vnclean.tasks.ingest import ingest_file
from vnclean.tasks.repair import find_glosses, load_names, repair_document
from conftest import INPUT


@functools.cache
def clean_sentences() -> list[str]:
    """Sentences of the clean seed articles (000, 002, 003) that get no repair on their own."""
    out = []
    for path in sorted(INPUT.glob("00[023]_*.txt")):
        s = strip_boilerplate(ingest_file(path).text)
        for paragraph in s.paragraphs:
            for sentence in re.split(r"(?<=\.) (?=[A-ZĐÂ])", paragraph):
                if len(sentence.split()) >= 6 and not repair_document("Tin", None, [sentence], []).repairs:
                    out.append(sentence)
    return out


def pinyin_of(syllables: tuple[str, ...]) -> str:
    """As agencies print it: "Li Qiang", "Xi Jinping" (the table's key: surnames read as surnames, "Bo Xilai")."""
    return syllables[0].capitalize() + " " + "".join(syllables[1:]).capitalize()



def chinese_people():
    table = load_names()
    return [(n.han_viet, pinyin_of(n.pinyin)) for n in table.names if n.kind == "person"]


def test_the_issue_gloss_is_not_repaired_and_not_counted():
    text = "Thủ tướng Trung Quốc Lý Cường (Li Qiang) đã hội kiến Thủ tướng Phạm Minh Chính tại Bắc Kinh."
    r = repair_document("Tin", None, [text], [])
    assert r.paragraphs == [text]
    assert r.repairs == []
    assert r.uncertain == []
    assert r.machine_translated.score == 0.0
    assert not r.machine_translated.flagged
    reverse = "Ông Li Qiang (Lý Cường) và ông Wang Yi (Vương Nghị) dự lễ ký kết."
    r = repair_document("Tin", None, [reverse], [])
    assert r.paragraphs == [reverse]
    assert r.repairs == []
    assert r.machine_translated.score == 0.0


def test_a_gloss_is_recognised_only_beside_the_name_it_glosses():
    table = load_names()
    assert [g.plain for g in find_glosses("Ông Lý Cường (Li Qiang) tới.", table)] == ["Lý Cường"]
    # another person's surname before the bracket, or words between: not a gloss
    assert find_glosses("Ông Vương Nghị (Li Qiang) tới.", table) == []
    assert find_glosses("Ông Lý Cường cho biết (Li Qiang) tới.", table) == []
    # a pinyin name in brackets with no name before it is still machine translation: repaired
    r = repair_document("Tin", None, ["Thủ tướng Trung Quốc (Li Qiang) tới Hà Nội."], [])
    assert r.paragraphs == ["Thủ tướng Trung Quốc (Lý Cường) tới Hà Nội."]


def test_a_gloss_in_a_garbled_document_is_kept_while_the_rest_is_repaired():
    text = "Ông Xi Jinping gặp Thủ tướng Lý Cường (Li Qiang) và Trần Daguang ."
    r = repair_document("Tin", None, [text], [])
    assert r.paragraphs == ["Ông Tập Cận Bình gặp Thủ tướng Lý Cường (Li Qiang) và Trần Đại Quang."]
    assert sorted((x.before, x.after) for x in r.repairs if x.kind == "pinyin-name") == [
        ("Trần Daguang", "Trần Đại Quang"), ("Xi Jinping", "Tập Cận Bình")]


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_adding_a_gloss_to_a_clean_sentence_changes_nothing(data):
    sentence = data.draw(st.sampled_from(clean_sentences()))
    han_viet, pinyin = data.draw(st.sampled_from(chinese_people()))
    words = sentence.split(" ")
    at = data.draw(st.integers(1, len(words) - 1))
    gloss = data.draw(st.sampled_from([f"{han_viet} ({pinyin})", f"{pinyin} ({han_viet})"]))
    plain = " ".join(words[:at] + [han_viet] + words[at:])
    glossed = " ".join(words[:at] + [gloss] + words[at:])
    before, after = (repair_document("Tin", None, [t], []) for t in (plain, glossed))
    assert after.paragraphs == [glossed]
    assert after.repairs == before.repairs == []
    assert after.uncertain == before.uncertain
    assert after.machine_translated == before.machine_translated


@functools.cache
def seed_title_sites() -> list[tuple[str, int, int]]:
    """(clean paragraph, start, end) of every title of office in the clean seed articles."""
    table = load_names()
    out = []
    for path in sorted(INPUT.glob("00[0234]_*.txt")):
        for paragraph in strip_boilerplate(ingest_file(path).text).paragraphs:
            for title in table.doubled_titles:
                for m in re.finditer(rf"(?<!\w){re.escape(title)}(?!\w)", paragraph):
                    out.append((paragraph, m.start(), m.end()))
    return out


def test_every_title_in_the_clean_seeds_doubled_is_repaired_back_to_the_original():
    sites = seed_title_sites()
    assert len(sites) >= 40
    restored = 0
    for paragraph, start, end in sites:
        doubled = paragraph[:end] + " " + paragraph[start:end] + paragraph[end:]
        r = repair_document("Tin", None, [doubled], [])
        titles = [x for x in r.repairs if x.kind == "doubled-title"]
        if paragraph[start:].startswith(("Đại sứ quán", "Lãnh sự quán", "Tổng Lãnh sự quán")):  # a noun: kept
            assert titles == []
            assert r.paragraphs == [doubled]
            continue
        assert r.paragraphs == [paragraph]
        assert len(titles) == 1
        assert r.machine_translated.features["doubled_words"] == 1
        restored += 1
    assert restored >= 30


def test_doubled_titles_of_the_issue():
    cases = {
        "Thủ tướng Thủ tướng Phạm Minh Chính chủ trì cuộc họp.": "Thủ tướng Phạm Minh Chính chủ trì cuộc họp.",
        "Bộ trưởng Bộ trưởng Ngoại giao Vương Nghị cho biết.": "Bộ trưởng Ngoại giao Vương Nghị cho biết.",
        "Tổng Bí thư Tổng Bí thư Tổng Bí thư Tô Lâm tiếp đoàn.": "Tổng Bí thư Tô Lâm tiếp đoàn.",
        "Phó Thủ tướng Phó Thủ tướng Trần Hồng Hà dự lễ.": "Phó Thủ tướng Trần Hồng Hà dự lễ.",
        "Uỷ viên Uỷ viên Bộ Chính trị dự họp.": "Uỷ viên Bộ Chính trị dự họp.",
        "Chủ tịch Chủ tịch nước đã ký quyết định.": "Chủ tịch nước đã ký quyết định.",
        "Người phát ngôn Người phát ngôn Bộ Ngoại giao Trung Quốc cho biết.":
            "Người phát ngôn Bộ Ngoại giao Trung Quốc cho biết.",
    }
    for garbled, clean in cases.items():
        r = repair_document("Tin", None, [garbled], [])
        assert r.paragraphs == [clean], garbled
        assert [x.kind for x in r.repairs] == ["doubled-title"]


def test_titles_that_only_look_doubled_are_kept():
    for text in ["Ông gặp Đại sứ, Đại sứ quán Lào tổ chức tiệc.",
                 "Họ mời Đại sứ Đại sứ quán Việt Nam tại Bắc Kinh.",
                 "Thủ tướng, Thủ tướng Chính phủ và Phó Thủ tướng dự họp.",
                 "Bà là Chủ tịch, Chủ tịch đoàn gồm năm người."]:
        r = repair_document("Tin", None, [text], [])
        assert r.repairs == [], text
        assert r.paragraphs == [text], text


def repaired(text: str, title: str = "Tin"):
    return repair_document(title, None, [text], [])


def test_half_translated_names_either_way_are_repaired_from_the_table():
    cases = {
        # surname translated, given name in pinyin (one word, or split in syllables)
        "Thủ tướng Phạm Mingzheng tiếp Đại sứ Trung Quốc tại Hà Nội.": "Phạm Minh Chính",
        "Thủ tướng Phạm Ming Zheng tiếp Đại sứ Trung Quốc tại Hà Nội.": "Phạm Minh Chính",
        # surname in pinyin, given name translated (also with its tone marks lost: towards the table)
        "Thủ tướng Fan Minh Chính tiếp Đại sứ Trung Quốc tại Hà Nội.": "Phạm Minh Chính",
        "Thủ tướng Fan Minh Chinh tiếp Đại sứ Trung Quốc tại Hà Nội.": "Phạm Minh Chính",
        "Chủ tịch Xi Cận Bình hội đàm với Tổng Bí thư Tô Lâm.": "Tập Cận Bình",
        # all pinyin, in Chinese or Western order, given name whole or split
        "Thủ tướng Fan Ming Zheng tiếp Đại sứ Trung Quốc tại Hà Nội.": "Phạm Minh Chính",
        "Thủ tướng Mingzheng Fan tiếp Đại sứ Trung Quốc tại Hà Nội.": "Phạm Minh Chính",
        "Thủ tướng Ming Zheng Fan tiếp Đại sứ Trung Quốc tại Hà Nội.": "Phạm Minh Chính",
        "Chủ tịch Jinping Xi hội đàm với Tổng Bí thư Tô Lâm.": "Tập Cận Bình",
        "Nguyên Thủ tướng Keqiang Li từng thăm Việt Nam.": "Lý Khắc Cường",
    }
    for garbled, name in cases.items():
        r = repaired(garbled)
        names = [x for x in r.repairs if x.kind == "pinyin-name"]
        assert [x.after for x in names] == [name], garbled
        assert r.paragraphs[0] == garbled.replace(names[0].before, name)
        assert name in r.paragraphs[0]
        assert r.uncertain == []
        assert r.machine_translated.flagged


def test_half_translated_names_nobody_can_be_sure_of_are_listed_with_candidates_not_changed():
    r = repaired("Ông Zhang Minh Chính, Phó Chủ tịch tỉnh Vân Nam, dự hội nghị.")
    assert r.paragraphs == ["Ông Zhang Minh Chính, Phó Chủ tịch tỉnh Vân Nam, dự hội nghị."]
    assert [(u.text, u.candidates[0]) for u in r.uncertain] == [("Zhang Minh Chính", "Trương Minh Chính")]
    r = repaired("Ông Weiguo Zhang, Phó Chủ tịch tỉnh Vân Nam, dự hội nghị.")
    assert r.repairs == []
    assert [u.text for u in r.uncertain] == ["Weiguo Zhang"]
    # Western order: Zhang is the surname (Trương, or the rarer Chương: each reading is shown)
    assert all(c.startswith(("Trương ", "Chương ")) for c in r.uncertain[0].candidates)
    assert r.uncertain[0].candidates[0].startswith("Trương ")
    # the document itself names him: certain
    r = repaired("Ông Weiguo Zhang, Phó Chủ tịch tỉnh Vân Nam, dự hội nghị.", title="Ông Trương Vĩ Quốc dự hội nghị")
    assert [(x.before, x.after) for x in r.repairs if x.kind == "pinyin-name"] == [("Weiguo Zhang", "Trương Vĩ Quốc")]


def test_vietnamese_names_that_start_like_pinyin_are_left_alone():
    for text in ["Nhà văn Ma Văn Kháng và ông Hà Văn Lâm dự lễ.", "Bà Lò Thị Minh và ông Ma Seo Chứ dự họp.",
                 "Ông Hu Sen và ông Li Minh gặp nhau."]:
        r = repaired(text)
        assert r.repairs == [], text
        assert r.uncertain == [], text
        assert r.paragraphs == [text], text


def test_a_tone_variant_the_document_alone_writes_is_listed_in_garbled_text_never_changed():
    garbled = "Ông Xi Jinping nói , sau đó Tập Cân Bình phát biểu ."
    r = repaired(garbled)
    assert r.paragraphs == ["Ông Tập Cận Bình nói, sau đó Tập Cân Bình phát biểu."]
    assert [(u.text, u.candidates) for u in r.uncertain] == [("Tập Cân Bình", ["Tập Cận Bình"])]
    # a clean text: "Trần Văn Thành" is a Vietnamese official, not Chen Wenqing (Trần Văn Thanh)
    clean = "Thiếu tướng Trần Văn Thành, Phó Giám đốc Công an tỉnh, chủ trì hội nghị."
    r = repaired(clean)
    assert r.repairs == []
    assert r.uncertain == []
    assert r.paragraphs == [clean]
