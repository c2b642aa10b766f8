"""Strip boilerplate: metadata, furniture, captions, joins — on the seeds and on generic shapes."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import example, given, settings, strategies as st

from vnclean.tasks.boilerplate import Profiles, find_datetime, load_profiles, strip_boilerplate
from vnclean.tasks.ingest import ingest_file


def strip_seed(seed_paths, prefix):
    path = next(p for p in seed_paths if p.name.startswith(prefix))
    return strip_boilerplate(ingest_file(path).text)


def test_ttxvn_dateline_credit_and_split_paragraphs(seed_paths):
    s = strip_seed(seed_paths, "000")
    assert s.site == "ttxvn"
    assert s.published == "2017-11-05T07:04:00+07:00"
    assert s.credit == "TTXVN"
    assert len(s.paragraphs) == 7  # two paragraphs split after ';' are joined back
    assert s.paragraphs[2].count("; đồng thời, từng bước") == 1
    assert s.paragraphs[-1].endswith("tầm cao mới…")  # '/.' end marker gone
    assert {r.reason for r in s.removed} == {"dateline", "credit"}


def test_onecms_page(seed_paths):
    s = strip_seed(seed_paths, "002")
    assert s.site == "onecms"
    assert s.credit == "Bộ Công an"
    assert s.published == "2024-01-10T21:00:00+07:00"
    assert s.summary.startswith("Chiều 10.1.2024")
    assert not s.paragraphs[0].startswith("Chiều 10.1.2024")
    assert len(s.captions) == 6
    assert s.captions[0] == "Toàn cảnh hội nghị"
    reasons = {r.line: r.reason for r in s.removed}
    assert reasons[12] == "image-file"
    assert reasons[57] == "footer"
    assert reasons[58] == "duplicate"
    assert reasons[54] == "teaser"  # a full sentence, but a teaser of another article


def test_vietnamplus_url_and_fused_caption(seed_paths):
    s = strip_seed(seed_paths, "003")
    assert s.url.startswith("http://www.vietnamplus.vn/")
    assert s.captions == ["Thượng tướng Tô Lâm, Ủy viên Bộ Chính trị, Bộ trưởng Bộ Công an Việt Nam. (Ảnh: Trí Dũng/TTXVN)"]
    assert s.paragraphs[0].startswith("Tối 13/1")
    assert s.paragraphs[0].endswith("chống bạo loạn.")


def test_vov_sapo_captions_and_related_block(seed_paths):
    s = strip_seed(seed_paths, "004")
    assert s.site == "vov"
    assert s.summary.startswith("Sau hội đàm")
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
    assert s.site == "tuoitre"
    assert s.summary.startswith("Giá lúa tại nhiều tỉnh")
    assert s.paragraphs == ["Nông dân ở An Giang cho biết thương lái đến tận ruộng mua lúa với giá cao hơn "
                            "năm ngoái, nhưng chi phí phân bón cũng tăng."]
    assert [r.reason for r in s.removed][-4:] == ["tags", "related-links", "related-links", "related-links"]


@pytest.mark.parametrize("line,iso", [
    ("Cập nhật, 07:04, Chủ Nhật, 05/11/2017 (GMT+7)", "2017-11-05T07:04:00+07:00"),
    ("Thứ Hai, 10/01/2024 - 21:00", "2024-01-10T21:00:00+07:00"),
    ("10.1.2024", "2024-01-10"),
    ("Ngày 5 tháng 11 năm 2017", "2017-11-05"),
    ("2024-01-10T08:30", "2024-01-10T08:30:00+07:00"),
    ("Thứ Ba, 05/03/2024 03:15 PM", "2024-03-05T15:15:00+07:00"),  # 12-hour clocks
    ("Monday, 12/02/2024 12:30 AM", "2024-02-12T00:30:00+07:00"),
    ("Cập nhật 3:05 CH 01/02/2023", "2023-02-01T15:05:00+07:00"),  # CH = chiều
    ("Ngày 4/11", None),  # no year: never guess it
    ("45/13/2024", None),
])
def test_dates(line, iso):
    assert find_datetime(line)[0] == iso


def test_dateline_with_lowercase_weekday_and_comment_counter_names_no_credit():
    s = strip_boilerplate("Mưa lớn kéo dài ở miền Trung\n\nThứ sáu, 03/01/2020 12:01 PM - 0 Trả lời\n\n"
                          "Nhiều tuyến đường ở Quảng Nam bị ngập sâu sau ba ngày mưa lớn liên tục.")
    assert s.published == "2020-01-03T12:01:00+07:00"
    assert s.credit is None
    assert [r.reason for r in s.removed] == ["dateline"]


def test_follow_us_prompt_whose_platform_icons_were_lost():
    s = strip_boilerplate("Mưa lớn kéo dài ở miền Trung\nNhiều tuyến đường ở Quảng Nam bị ngập sâu.\n"
                          "Theo dõi Example.vn trên\nNgười dân được sơ tán khỏi vùng trũng thấp.")
    assert ("share-prompt", "Theo dõi Example.vn trên") in [(r.reason, r.text) for r in s.removed]
    assert s.paragraphs == ["Nhiều tuyến đường ở Quảng Nam bị ngập sâu.", "Người dân được sơ tán khỏi vùng trũng thấp."]


def test_cms_fields_above_a_title_printed_twice():
    page = ("221\n2081\nKinh tế - Xã hội\nkinh-te\n/kinh-te/\n588308\n"
            "Giá lúa tăng mạnh ở Đồng bằng sông Cửu Long\n1\nArticle\nnull\n"
            "Giá lúa tăng mạnh ở Đồng bằng sông Cửu Long\n\n"
            "Nông dân ở An Giang cho biết thương lái đến tận ruộng mua lúa với giá cao hơn năm ngoái.")
    s = strip_boilerplate(page)
    assert s.title == "Giá lúa tăng mạnh ở Đồng bằng sông Cửu Long"
    assert s.paragraphs == ["Nông dân ở An Giang cho biết thương lái đến tận ruộng mua lúa với giá cao hơn năm ngoái."]
    assert {r.line: r.reason for r in s.removed}[11] == "duplicate"


def test_portal_clock_banner_is_not_the_article_date():
    body = "Xác định người có công còn nhiều trăn trở\n\nCông tác xác nhận người có công vẫn gặp nhiều khó khăn."
    s = strip_boilerplate("Thứ Hai, ngày 23 tháng 11 năm 2026\n16:02 (GMT +7)\n\n" + body)
    assert s.published is None
    assert s.removed[0].reason == "site-date"
    # the same page with the article's own date below the title: that date, the banner still furniture
    s = strip_boilerplate("Thứ Hai, ngày 23 tháng 11 năm 2026\n\n" + body.replace("\n\n", "\n\n10/01/2024 21:00\n\n", 1))
    assert s.published == "2024-01-10T21:00:00+07:00"
    assert s.removed[0].reason == "site-date"
    # a dated first line that is not in the banner's long form stays the article's date
    s = strip_boilerplate("10/01/2024 21:00\n" + body)
    assert s.published == "2024-01-10T21:00:00+07:00"


def test_caption_above_its_photo_agency_credit():
    s = strip_boilerplate("Mưa lớn kéo dài ở miền Trung\n\nNhiều tuyến đường ở Quảng Nam bị ngập sâu.\n\n"
                          "Người dân sơ tán khỏi vùng trũng thấp ở Hội An\nAFP\n"
                          "Chính quyền địa phương đã mở các điểm tránh trú an toàn.")
    assert s.captions == ["Người dân sơ tán khỏi vùng trũng thấp ở Hội An"]
    assert s.paragraphs == ["Nhiều tuyến đường ở Quảng Nam bị ngập sâu.", "Chính quyền địa phương đã mở các điểm tránh trú an toàn."]


ARTICLE = ("Mưa lớn kéo dài ở miền Trung\n\n"
           "Nhiều tuyến đường ở Quảng Nam bị ngập sâu sau ba ngày mưa lớn liên tục, người dân phải sơ tán "
           "đến các điểm tránh trú an toàn do chính quyền địa phương bố trí.\n\n"
           "Theo đó:\n\n"
           "Các trường học trong vùng ngập được cho học sinh nghỉ học cho đến khi nước rút hoàn toàn và "
           "đường sá được dọn dẹp sạch sẽ.\n\n")


def test_a_credit_names_its_source_in_capitals():
    # "Theo đó:" ("accordingly:") opens a list; "Theo Báo Đắk Lắk" credits a paper
    s = strip_boilerplate(ARTICLE + "Theo Báo Đắk Lắk")
    assert s.credit == "Báo Đắk Lắk"
    assert "Theo đó:" in s.paragraphs
    assert s.paragraphs[-1].startswith("Các trường học")


def test_headlines_after_the_closing_credit_are_another_articles():
    teasers = ["» Quy định mới về tổ chức đơn vị sự nghiệp công lập từ ngày 01/7/2026",
               "» Trưng bày tài liệu lưu trữ và kỷ vật của cán bộ đi B nhân dịp kỷ niệm 79 năm Ngày Thương binh-Liệt\n"
               "sĩ (27/7/1947-27/7/2026)"]
    s = strip_boilerplate(ARTICLE + "Nguồn: Báo Quảng Nam\n\n" + "\n\n".join(teasers) + "\n")
    assert s.credit == "Báo Quảng Nam"
    assert s.paragraphs[-1].startswith("Các trường học")
    assert [r.reason for r in s.removed if r.text.startswith("»")] == ["after-end"] * 2
    assert "sĩ (27/7/1947-27/7/2026)" in [r.text for r in s.removed]
    # a sentence after the credit is still the article's (a closing note, a correction)
    s = strip_boilerplate(ARTICLE + "Nguồn: Báo Quảng Nam\n\nBài viết đã được cập nhật thêm số liệu về "
                          "lượng mưa tại các huyện miền núi của tỉnh trong ngày hôm nay.")
    assert s.paragraphs[-1].startswith("Bài viết đã được cập nhật")


def test_caption_over_its_photo_credit_line_and_no_metadata_from_the_footer():
    page = ("Mưa lớn kéo dài ở miền Trung\nLạc Xuân\n20/05/2026 12:52 GMT+7\nChia sẻ\n"
            "Nhiều tuyến đường ở Quảng Nam bị ngập sâu sau ba ngày mưa lớn liên tục, người dân phải sơ tán.\n"
            "Người dân sơ tán khỏi vùng trũng thấp ở Hội An\nẢnh: CTV\n"
            "Chính quyền địa phương đã mở các điểm tránh trú an toàn cho hàng nghìn hộ dân trong vùng ngập.\n"
            "Tin liên quan\nBão số 3 đổ bộ vào Quảng Ninh\nRSS\n"
            "Giấy phép xuất bản số 110/GP - BTTTT cấp ngày 24.3.2020\n")
    s = strip_boilerplate(page, shape="text")
    assert s.captions == ["Người dân sơ tán khỏi vùng trũng thấp ở Hội An", "Ảnh: CTV"]
    assert s.paragraphs[-1].startswith("Chính quyền địa phương")
    # after the article's end ("Tin liên quan"), a lone "RSS" or a licence line with its date is
    # the footer's, not the article's credit or byline
    assert s.credit is None
    assert s.published == "2026-05-20T12:52:00+07:00"


def test_page_without_title_has_none_and_keeps_its_first_paragraph():
    lead = ("Ngày 17-11, cơ quan điều tra đã khởi tố vụ án và bắt tạm giam hai bị can về hành vi lừa đảo "
            "chiếm đoạt tài sản của nhiều người dân. Vụ việc đang được mở rộng điều tra.")
    s = strip_boilerplate(lead + "\n\nKết quả điều tra ban đầu cho thấy các bị can đã lập nhiều trang mạng giả.")
    # no line of the page is its title: null, not a made-up one
    assert s.title is None
    assert s.title_source == "none"
    assert lead in (s.summary, *s.paragraphs)
    assert s.removed == []


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
# a long paragraph printed twice: the copy goes, and two short sentences end the text once cleaned
@example(paragraphs=["Bộ " + "bộ " * 23 + "bộ.", "Bộ bộ bộ bộ bộ bộ.", "Bộ bộ bộ bộ bộ bộ bộ.", "Bộ " + "bộ " * 23 + "bộ."])
def test_cleaning_clean_text_is_idempotent(paragraphs):
    text = "Tiêu đề bài báo về hợp tác an ninh\n\n" + "\n\n".join(paragraphs)
    once = strip_boilerplate(text)
    again = strip_boilerplate("\n\n".join([once.title, *once.paragraphs]))
    assert again.paragraphs == once.paragraphs
    assert again.title == once.title


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
    kept = " ".join([s.title or "", s.summary or "", *s.paragraphs, *s.captions, s.url or ""]).casefold()
    removed = {r.line for r in s.removed}
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip() and number not in removed:
            words = re.findall(r"\w+", line.casefold())
            assert words, (number, line)
            assert sum(w in kept for w in words) / len(words) >= 0.9, (number, line)
    assert set(s.roles) == {n for n, line in enumerate(text.split("\n"), 1) if line.strip()}

def test_a_photo_whose_alt_text_is_the_title_opens_a_caption():
    page = ("Mưa lớn kéo dài ở miền Trung\n07/09/2024 18:30\n"
            "Nhiều tuyến đường ở Quảng Nam bị ngập sâu sau ba ngày mưa lớn liên tục, người dân phải sơ tán.\n"
            "Mưa lớn kéo dài ở miền Trung - Ảnh 1.\nNgười dân sơ tán khỏi vùng trũng thấp\n"
            "Chính quyền địa phương đã mở các điểm tránh trú an toàn cho hàng nghìn hộ dân trong vùng ngập.")
    s = strip_boilerplate(page, shape="text")
    assert ("image", "Mưa lớn kéo dài ở miền Trung - Ảnh 1.") in [(r.reason, r.text) for r in s.removed]
    assert s.captions == ["Người dân sơ tán khỏi vùng trũng thấp"]


def test_an_image_and_its_caption_on_one_markdown_line_is_a_caption_inside_the_article_only():
    # crawl4ai writes <img> and <figcaption> on one line; the image's alt is a file name
    body = ["Nhiều tuyến đường ở Quảng Nam bị ngập sâu sau ba ngày mưa lớn liên tục, người dân phải sơ tán "
            "đến các điểm tránh trú an toàn do chính quyền địa phương bố trí.",
            "![IMG_0412.jpg](https://a.vn/img/412.jpg)Người dân sơ tán khỏi vùng trũng thấp ở huyện Đại Lộc",
            "Các trường học trong vùng ngập được cho học sinh nghỉ học cho đến khi nước rút hoàn toàn, "
            "chính quyền địa phương cho biết vào chiều 7/9."]
    teasers = ["## Tin liên quan",
               "![t1.jpg](https://a.vn/img/t1.jpg)[Giá vàng hôm nay tăng mạnh](https://a.vn/gia-vang)",
               "![t2.jpg](https://a.vn/img/t2.jpg)Xăng giảm giá từ chiều nay"]
    page = "\n\n".join(["# Mưa lớn kéo dài ở miền Trung", "07/09/2024 18:30", *body, *teasers])
    s = strip_boilerplate(page, shape="markdown")
    assert s.captions == ["Người dân sơ tán khỏi vùng trũng thấp ở huyện Đại Lộc"]
    assert not any("sơ tán khỏi" in p or "Xăng" in p for p in s.paragraphs)
    assert len(s.paragraphs) == 2


def test_an_images_alt_text_is_its_caption_only_when_no_caption_is_printed_under_it():
    more = (" Theo báo cáo của ban chỉ huy phòng chống thiên tai tỉnh, mực nước trên các sông vẫn đang lên và "
            "có thể vượt mức báo động ba vào đêm nay, nên người dân cần theo dõi thông tin cảnh báo thường xuyên.")
    body = ["Nhiều tuyến đường ở Quảng Nam bị ngập sâu sau ba ngày mưa lớn liên tục, người dân phải sơ tán "
            "đến các điểm tránh trú an toàn do chính quyền địa phương bố trí." + more,
            "![Người dân ở vùng trũng thấp được đưa đến nơi an toàn](https://a.vn/img/1.jpg)",
            "Người dân huyện Đại Lộc sơ tán trong đêm (Ảnh: Minh Hải)",
            "Các trường học trong vùng ngập được cho học sinh nghỉ học cho đến khi nước rút hoàn toàn, "
            "chính quyền địa phương cho biết vào chiều 7/9." + more,
            "![Nước lũ tràn qua quốc lộ 1A đoạn qua thị xã Điện Bàn](https://a.vn/img/2.jpg)",
            "Lực lượng chức năng đã cắm biển cảnh báo và cử người trực tại các điểm ngập sâu trên tuyến đường." + more]
    page = "\n\n".join(["# Mưa lớn kéo dài ở miền Trung", "07/09/2024 18:30", *body])
    s = strip_boilerplate(page, shape="markdown")
    assert s.captions == ["Người dân huyện Đại Lộc sơ tán trong đêm (Ảnh: Minh Hải)",
                          "Nước lũ tràn qua quốc lộ 1A đoạn qua thị xã Điện Bàn"]
    assert [r.reason for r in s.removed if r.line == 7] == ["image"]  # the alt text, under which a caption is printed
    assert len(s.paragraphs) == 3


def test_plain_text_article_starts_at_its_title_over_a_dateline():
    # a paywall widget reads like prose; the short items between it and the article leave the
    # classifier no gap: the title above the dateline, with the text just below, says where the
    # article starts
    widget = ["Bạn chưa đăng nhập. Hãy đăng nhập để đồng bộ gói dịch vụ vào tài khoản của bạn ngay hôm nay.",
              "Bạn vừa nạp tiền để mua gói dịch vụ. Để an toàn hơn, chúng tôi khuyến nghị bạn đăng ký tài khoản "
              "hoặc đăng nhập ngay để đồng bộ gói dịch vụ vào tài khoản.",
              "Đăng ký tài khoản", "Đăng nhập ngay", "Gia hạn gói", "Lịch sử giao dịch", "Đăng xuất",
              "Phát triển kinh tế tư nhân và doanh nghiệp dân tộc", "Gửi thông tin góp ý hiến kế cho tòa soạn",
              "Chính sách mới", "Tham vấn chính sách", "Chính sách và cuộc sống", "Hướng dẫn thực hiện chính sách",
              "Gọi tổng đài tiếp nhận các góp ý, đề xuất và hiến kế của bạn đọc"]
    body = ["Nhiều tuyến đường ở Quảng Nam bị ngập sâu sau ba ngày mưa lớn liên tục, người dân phải sơ tán "
            "đến các điểm tránh trú an toàn do chính quyền địa phương bố trí.",
            "Các trường học trong vùng ngập được cho học sinh nghỉ học cho đến khi nước rút hoàn toàn."]
    page = "\n".join([*widget, "Mưa lớn kéo dài ở miền Trung gây ngập sâu", "26/07/2024 08:41", "Chia sẻ", *body])
    s = strip_boilerplate(page, shape="text")
    assert s.title == "Mưa lớn kéo dài ở miền Trung gây ngập sâu"
    assert [*([s.summary] if s.summary else []), *s.paragraphs] == body


@pytest.mark.parametrize("heading", ["Tham khảo thêm", "Bài viết khác:", "Có thể bạn quan tâm", "Tin cùng loại"])
def test_a_related_block_heading_ends_the_article(heading):
    s = strip_boilerplate(ARTICLE + f"{heading}\n\nQuy định mới về tổ chức đơn vị sự nghiệp công lập từ ngày 01/7/2026\n")
    assert s.paragraphs[-1].startswith("Các trường học")
    assert [r.reason for r in s.removed][-2:] == ["related-links", "related-links"]


def test_title_below_its_dateline_when_a_section_name_is_above():
    page = ("Văn hóa - Giải trí\nSao Việt\nXuất bản ngày 10/11/2024 02:12 PM\n"
            "Ca sĩ Chi Dân: Sự nghiệp trượt dốc, 2 lần bị nghi liên quan ma tuý\n"
            "Từng là ca sĩ trẻ được yêu thích, sự nghiệp của Chi Dân trượt dốc sau nhiều lần vướng ồn ào đời tư.")
    s = strip_boilerplate(page, shape="text")
    assert s.title == "Ca sĩ Chi Dân: Sự nghiệp trượt dốc, 2 lần bị nghi liên quan ma tuý"
    assert s.title_source == "dateline"
