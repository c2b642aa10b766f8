"""Strip boilerplate: metadata, furniture, captions, joins — on the seeds and on generic shapes."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from tasks.boilerplate import Profiles, find_datetime, load_profiles, strip_boilerplate
from tasks.ingest import ingest_file


def strip_seed(seed_paths, prefix):
    path = next(p for p in seed_paths if p.name.startswith(prefix))
    return strip_boilerplate(ingest_file(path).text)


def test_ttxvn_dateline_credit_and_split_paragraphs(seed_paths):
    s = strip_seed(seed_paths, "000")
    assert s.site == "ttxvn"
    assert s.published == "2017-11-05T07:04:00+07:00" and s.credit == "TTXVN"
    assert len(s.paragraphs) == 7  # two paragraphs split after ';' are joined back
    assert s.paragraphs[2].count("; đồng thời, từng bước") == 1
    assert s.paragraphs[-1].endswith("tầm cao mới…")  # '/.' end marker gone
    assert {r.reason for r in s.removed} == {"dateline", "credit"}


def test_onecms_page(seed_paths):
    s = strip_seed(seed_paths, "002")
    assert s.site == "onecms" and s.credit == "Bộ Công an" and s.published == "2024-01-10T21:00:00+07:00"
    assert s.summary.startswith("Chiều 10.1.2024") and not s.paragraphs[0].startswith("Chiều 10.1.2024")
    assert len(s.captions) == 6 and s.captions[0] == "Toàn cảnh hội nghị"
    reasons = {r.line: r.reason for r in s.removed}
    assert reasons[12] == "image-file" and reasons[57] == "footer" and reasons[58] == "duplicate"
    assert reasons[54] == "teaser"  # a full sentence, but a teaser of another article


def test_vietnamplus_url_and_fused_caption(seed_paths):
    s = strip_seed(seed_paths, "003")
    assert s.url.startswith("http://www.vietnamplus.vn/")
    assert s.captions == ["Thượng tướng Tô Lâm, Ủy viên Bộ Chính trị, Bộ trưởng Bộ Công an Việt Nam. (Ảnh: Trí Dũng/TTXVN)"]
    assert s.paragraphs[0].startswith("Tối 13/1") and s.paragraphs[0].endswith("chống bạo loạn.")


def test_vov_sapo_captions_and_related_block(seed_paths):
    s = strip_seed(seed_paths, "004")
    assert s.site == "vov" and s.summary.startswith("Sau hội đàm")
    assert s.captions == ["Bộ Công an hai nước tiến hành hội đàm cấp cao",
                          "Bộ trưởng Công an hai nước ký kết Bản ghi nhớ kết quả hội nghị"]
    tail = [r for r in s.removed if r.line >= 26]
    assert {r.reason for r in tail} == {"related-links", "teaser"}
    assert all(r.reason == "teaser" for r in tail if r.text.startswith("VOV.VN"))


def test_every_nonblank_line_is_accounted_for(seed_paths):
    for path in seed_paths:
        text = ingest_file(path).text
        s = strip_boilerplate(text)
        kept = " ".join([s.title, s.summary or "", *s.paragraphs, *s.captions, s.url or ""])
        removed = {r.line for r in s.removed}
        for number, line in enumerate(text.split("\n"), 1):
            if line.strip() and number not in removed:
                words = re.findall(r"\w+", line)
                assert sum(w in kept for w in words) / len(words) >= 0.9, (path.name, number, line)


UNKNOWN_SITE = """Giá lúa tăng mạnh ở Đồng bằng sông Cửu Long

Thứ Hai, 10/01/2024 - 21:00

TTO - Giá lúa tại nhiều tỉnh Đồng bằng sông Cửu Long tăng từ 200 đến 300 đồng mỗi kg trong tuần qua.

Nông dân ở An Giang cho biết thương lái đến tận ruộng mua lúa với giá cao hơn năm ngoái,

nhưng chi phí phân bón cũng tăng.

Tags: giá lúa, nông nghiệp
Xem thêm
Xuất khẩu gạo đạt kỷ lục
Giá phân bón giảm nhẹ
"""


def test_unknown_layout_with_generic_rules_only():
    s = strip_boilerplate(UNKNOWN_SITE)
    assert s.title == "Giá lúa tăng mạnh ở Đồng bằng sông Cửu Long"
    assert s.published == "2024-01-10T21:00:00+07:00"
    assert s.site == "tuoitre" and s.summary.startswith("Giá lúa tại nhiều tỉnh")
    assert s.paragraphs == ["Nông dân ở An Giang cho biết thương lái đến tận ruộng mua lúa với giá cao hơn "
                            "năm ngoái, nhưng chi phí phân bón cũng tăng."]
    assert [r.reason for r in s.removed][-4:] == ["tags", "related-links", "related-links", "related-links"]


@pytest.mark.parametrize("line,iso", [
    ("Cập nhật, 07:04, Chủ Nhật, 05/11/2017 (GMT+7)", "2017-11-05T07:04:00+07:00"),
    ("Thứ Hai, 10/01/2024 - 21:00", "2024-01-10T21:00:00+07:00"),
    ("10.1.2024", "2024-01-10"),
    ("Ngày 5 tháng 11 năm 2017", "2017-11-05"),
    ("2024-01-10T08:30", "2024-01-10T08:30:00+07:00"),
    ("Ngày 4/11", None),  # no year: never guess it
    ("45/13/2024", None),
])
def test_dates(line, iso):
    assert find_datetime(line)[0] == iso


def test_profiles_are_validated(tmp_path):
    (tmp_path / "generic.toml").write_text('name = "generic"\n[[rules]]\nkind = "line"\nreason = "x"\npatterns = []\n')
    load_profiles.cache_clear()
    with pytest.raises(ValueError, match="at least one pattern"):
        load_profiles(tmp_path)
    load_profiles.cache_clear()
    assert isinstance(load_profiles(), Profiles)


vietnamese_words = st.sampled_from(
    "Bộ Công an Việt Nam hợp tác an ninh hai nước thống nhất tăng cường trao đổi thông tin tội phạm".split())
paragraph = st.lists(vietnamese_words, min_size=6, max_size=25).map(lambda ws: " ".join(ws).capitalize() + ".")


@settings(max_examples=60, deadline=None)
@given(st.lists(paragraph, min_size=1, max_size=6))
def test_cleaning_clean_text_is_idempotent(paragraphs):
    text = "Tiêu đề bài báo về hợp tác an ninh\n\n" + "\n\n".join(paragraphs)
    once = strip_boilerplate(text)
    again = strip_boilerplate("\n\n".join([once.title, *once.paragraphs]))
    assert again.paragraphs == once.paragraphs and again.title == once.title


SEED_LINES = [line for p in sorted((Path(__file__).resolve().parents[1] / "input").glob("*.txt"))
              for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
FURNITURE = ["-----------------", "k7.jpg", "Tin liên quan", "(3) Bình luận", "Chia sẻ", "Tags: an ninh",
             "Theo TTXVN", "Cập nhật, 07:04, Chủ Nhật, 05/11/2017 (GMT+7)", "POWERED BY ONECMS",
             "Mời quý độc giả theo dõi VOV.VN trên", "một giờ trước", "Xem thêm", ""]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(SEED_LINES), st.sampled_from(FURNITURE)), min_size=1, max_size=40))
def test_nothing_is_lost_from_any_mix_of_lines(lines):
    """Every non-blank line is kept (title, summary, paragraph, caption), moved to a metadata
    field, or listed in removed with a reason."""
    text = "\n".join(lines)
    s = strip_boilerplate(text)
    kept = " ".join([s.title, s.summary or "", *s.paragraphs, *s.captions, s.url or ""]).casefold()
    removed = {r.line for r in s.removed}
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip() and number not in removed:
            words = re.findall(r"\w+", line.casefold())
            assert words and sum(w in kept for w in words) / len(words) >= 0.9, (number, line)
    assert set(s.roles) == {n for n, line in enumerate(text.split("\n"), 1) if line.strip()}