"""The strip stage on the shapes real scrapers save (crawler Markdown, saved HTML, full-page
text), on pages written here in those shapes, and the site templates learned from a batch."""
from __future__ import annotations

from pathlib import Path

import pytest

from vnclean.tasks.blocks import detect_shape, read_markdown
from vnclean.tasks.boilerplate import strip_boilerplate
from vnclean.tasks.ingest import ingest_bytes
from vnclean.tasks.pipeline import learn_templates
from vnclean.tasks.templates import TemplateStore

BODY = [
    "Chiều 7/9, bão số 3 đã đổ bộ vào các tỉnh ven biển Quảng Ninh và Hải Phòng với sức gió mạnh cấp 12, "
    "giật cấp 15, khiến nhiều cây xanh bị quật đổ và hàng nghìn ngôi nhà bị tốc mái.",
    "Theo Ban chỉ đạo phòng chống thiên tai, các địa phương đã sơ tán hơn 50.000 người dân ra khỏi vùng "
    "nguy hiểm trước khi bão vào, đồng thời cấm tàu thuyền ra khơi từ sáng ngày 6/9.",
    "Tại thành phố Hạ Long, lực lượng cứu hộ đang khẩn trương dọn dẹp các tuyến đường bị cây đổ chắn ngang "
    "để bảo đảm giao thông cho người dân đi lại trong những ngày tới.",
]
TITLE = "Bão số 3 đổ bộ vào Quảng Ninh và Hải Phòng"

JINA = f"""Title: {TITLE} - Báo Thời Tiết
URL Source: https://baothoitiet.vn/bao-so-3-do-bo-vao-quang-ninh-va-hai-phong-123456.html
Published Time: 2024-09-07T18:30:00+07:00
Markdown Content:
* [Trang chủ](https://baothoitiet.vn/)
* [Thời sự](https://baothoitiet.vn/thoi-su)
* [Thế giới](https://baothoitiet.vn/the-gioi)
* [Kinh tế](https://baothoitiet.vn/kinh-te)

[ ](javascript:;) [ ](javascript:; "Chia sẻ facebook")

# {TITLE}

{BODY[0]}

![Cây đổ trên đường Trần Hưng Đạo, thành phố Hạ Long chiều 7/9](https://img.baothoitiet.vn/a.jpg)

{BODY[1]}
{BODY[2]}

## Tin liên quan

## [Miền Bắc mưa lớn kéo dài đến hết tuần](https://baothoitiet.vn/mien-bac-mua-lon-456.html)

[![Miền Bắc mưa lớn](https://img.baothoitiet.vn/b.jpg)](https://baothoitiet.vn/mien-bac-mua-lon-456.html)

* [Giới thiệu](https://baothoitiet.vn/gioi-thieu) * [Liên hệ](https://baothoitiet.vn/lien-he)

© Bản quyền thuộc về Báo Thời Tiết. Giấy phép số 123/GP-BTTTT.
"""


def test_crawler_markdown_page():
    assert detect_shape(JINA) == "markdown"
    s = strip_boilerplate(JINA)
    assert s.shape == "markdown"
    assert s.title == TITLE
    assert s.title_source == "h1"
    assert s.url == "https://baothoitiet.vn/bao-so-3-do-bo-vao-quang-ninh-va-hai-phong-123456.html"
    assert s.published == "2024-09-07T18:30:00+07:00"
    assert [s.summary, *s.paragraphs] == [BODY[0], f"{BODY[1]} {BODY[2]}"] or s.paragraphs == [
        BODY[0], f"{BODY[1]} {BODY[2]}"]
    assert s.captions == ["Cây đổ trên đường Trần Hưng Đạo, thành phố Hạ Long chiều 7/9"]
    reasons = {r.text: r.reason for r in s.removed}
    assert reasons["* [Thời sự](https://baothoitiet.vn/thoi-su)"] == "links"
    assert reasons['[ ](javascript:;) [ ](javascript:; "Chia sẻ facebook")'] == "links"
    teaser = "## [Miền Bắc mưa lớn kéo dài đến hết tuần](https://baothoitiet.vn/mien-bac-mua-lon-456.html)"
    assert teaser in reasons


def test_markdown_loses_no_line():
    """Every non-blank raw line of a Markdown scrape is the title, body, a caption, metadata or removed."""
    s = strip_boilerplate(JINA)
    raw = JINA.split("\n")
    placed = set(s.roles)
    for number, line in enumerate(raw, 1):
        if line.strip():
            assert number in placed, (number, line)
    removed = {r.line for r in s.removed}
    kept = {n for n, role in s.roles.items() if role in ("keep", "caption")}
    assert not removed & kept


def test_markdown_reader_reduces_links_and_images_to_their_text():
    page = read_markdown("* [Thời sự](https://a.vn/ts)\n\n## [Bài khác](https://a.vn/x)\n"
                         "Mưa **to** ở [Hà Nội](https://a.vn/hn).\n[![Ảnh](a.jpg)](https://a.vn/y)")
    units = [(u.kind, u.text, u.link_chars) for u in page.units if u.text]
    assert units == [("item", "Thời sự", 7), ("heading", "Bài khác", 8), ("paragraph", "Mưa to ở Hà Nội.", 6),
                     ("image", "Ảnh", 3)]


HTML = f"""<!DOCTYPE html><html><head><title>{TITLE} | Báo Thời Tiết</title>
<meta property="og:url" content="https://baothoitiet.vn/bao-so-3-123456.html">
<meta property="article:published_time" content="2024-09-07T18:30:00+07:00">
<script>var ads = "Quảng cáo";</script><style>p {{ color: red }}</style></head>
<body><header><ul><li><a href="/">Trang chủ</a></li><li><a href="/thoi-su">Thời sự</a></li>
<li><a href="/the-gioi">Thế giới</a></li><li><a href="/kinh-te">Kinh tế</a></li></ul>
<div class="login">Đăng nhập</div></header>
<article><h1>{TITLE}</h1><p class="date">Thứ bảy, 07/09/2024 18:30</p>
<p>{BODY[0]}</p>
<figure><img src="a.jpg" alt=""><figcaption>Cây đổ trên đường Trần Hưng Đạo, thành phố Hạ Long chiều 7/9.</figcaption></figure>
<p>{BODY[1]}</p><p>{BODY[2]}</p><div style="display:none">Nội dung ẩn không được hiện ra.</div></article>
<aside><h3>Tin liên quan</h3><ul><li><a href="/x">Miền Bắc mưa lớn kéo dài đến hết tuần</a></li>
<li><a href="/y">Giá xăng giảm mạnh từ chiều nay</a></li></ul></aside>
<footer><p>© Bản quyền thuộc về Báo Thời Tiết. Giấy phép số 123/GP-BTTTT.</p></footer></body></html>"""


@pytest.mark.parametrize("flattened", [False, True])
def test_saved_html_page(flattened):
    page = HTML.replace("\n", "") if flattened else HTML
    ingested = ingest_bytes(page.encode("utf-8"), Path("bao-so-3.html"))
    assert ingested.shape == "html"
    s = strip_boilerplate(ingested.text, shape=ingested.shape)
    assert s.title == TITLE
    assert s.published == "2024-09-07T18:30:00+07:00"
    assert s.url == "https://baothoitiet.vn/bao-so-3-123456.html"
    assert [*([s.summary] if s.summary else []), *s.paragraphs] == BODY
    assert s.captions == ["Cây đổ trên đường Trần Hưng Đạo, thành phố Hạ Long chiều 7/9."]
    text = " ".join([s.title or "", s.summary or "", *s.paragraphs, *s.captions])
    for gone in ("Quảng cáo", "Thời sự", "Đăng nhập", "Nội dung ẩn", "Giá xăng", "Giấy phép"):
        assert gone not in text


@pytest.mark.parametrize("shape", ["html", "text"])
def test_a_widget_heading_between_title_and_text_does_not_end_the_article(shape):
    """"Tin mới" (a latest-news widget) under the title opens no teaser block over the article:
    above the article's text only that heading goes; after the text, "Tin liên quan" ends it."""
    widget = ["Tin mới", "Miền Bắc mưa lớn kéo dài đến hết tuần", "Giá xăng giảm mạnh từ chiều nay"]
    tail = ["Tin liên quan", "Hà Nội ngập sâu sau trận mưa lớn nhất năm, nhiều tuyến phố tê liệt hoàn toàn"]
    if shape == "html":
        items = "".join(f'<li><a href="/t{i}">{t}</a></li>' for i, t in enumerate(widget[1:]))
        page = (f"<html><head><title>{TITLE}</title></head><body><h1>{TITLE}</h1>"
                f"<div class=\"widget\"><h3>{widget[0]}</h3><ul>{items}</ul></div>"
                + "".join(f"<p>{p}</p>" for p in BODY) + f"<h3>{tail[0]}</h3><p>{tail[1]}</p></body></html>")
        name = "bao.html"
    else:
        page = "\n".join([TITLE, *widget, *BODY, *tail])
        name = "bao.txt"
    ingested = ingest_bytes(page.encode("utf-8"), Path(name))
    s = strip_boilerplate(ingested.text, shape=ingested.shape)
    assert s.title == TITLE
    assert [*([s.summary] if s.summary else []), *s.paragraphs] == BODY
    reasons = {r.text: r.reason for r in s.removed}
    assert reasons["Tin mới"] == "teaser"
    assert reasons[tail[1]] == "related-links"


def test_html_entities_are_read_by_the_parser_not_before_it():
    page = "<html><body><h1>A &lt;b&gt; B</h1><p>" + BODY[0].replace(",", " &amp;", 1) + "</p></body></html>"
    ingested = ingest_bytes(page.encode("utf-8"), Path("x.html"))
    s = strip_boilerplate(ingested.text, shape=ingested.shape)
    assert s.title == "A <b> B"
    assert "&" in s.paragraphs[0] + (s.summary or "")


def test_title_is_null_when_the_page_states_none():
    s = strip_boilerplate("\n\n".join(BODY))
    assert s.title is None
    assert s.title_source == "none"
    assert [*([s.summary] if s.summary else []), *s.paragraphs] == BODY


def test_title_closest_to_the_url_slug_among_the_lines_above_the_text():
    page = "\n".join(["https://baothoitiet.vn/bao-so-3-do-bo-vao-quang-ninh-va-hai-phong-123456.html",
                      "Thời tiết hôm nay ở miền Bắc", TITLE, *BODY])
    s = strip_boilerplate(page)
    assert s.title == TITLE
    assert s.title_source == "url-slug"


def _site_page(n: int, quote: str | None = None) -> str:
    """A page of one site: its menu, its promo sentence and footer, and an article of its own."""
    body = [f"Bài số {n}: {BODY[n % 3]}", BODY[(n + 1) % 3]]
    if quote:
        body.insert(1, quote)
    return "\n\n".join([
        f"https://baomoi.example.vn/bai-{n}-{'abcdefgh'[n]}.html",
        "Trang chủ", "Thời sự", f"Tin số {n} trong ngày về thời tiết cả nước", *body,
        "Mời quý vị và các bạn gửi tin bài, ảnh, video về cho chúng tôi qua hộp thư của tòa soạn để cùng "
        "chia sẻ thông tin hữu ích với cộng đồng bạn đọc trên cả nước.",
        "Tòa soạn: 12 Lý Thường Kiệt, Hoàn Kiếm, Hà Nội. Điện thoại: 024 3825 0000.",
    ])


def test_site_template_learned_from_a_batch(tmp_path):
    quote = ("“Chúng tôi sẽ tiếp tục theo dõi sát diễn biến của thời tiết và sẵn sàng các phương án ứng phó "
             "với mọi tình huống xấu có thể xảy ra”, ông Nguyễn Văn An cho biết.")
    paths = []
    for n in range(4):
        path = tmp_path / f"page{n}.txt"
        path.write_text(_site_page(n, quote if n < 2 else None), encoding="utf-8")
        paths.append(str(path))
    store_path = tmp_path / "_templates.sqlite"
    assert learn_templates(paths, store_path) == 4
    store = TemplateStore(store_path)
    alone = strip_boilerplate(Path(paths[0]).read_text(encoding="utf-8"))
    learned = strip_boilerplate(Path(paths[0]).read_text(encoding="utf-8"), templates=store.template)
    promo = "Mời quý vị và các bạn gửi tin bài"
    assert any(p.startswith(promo) for p in alone.paragraphs)  # a fine sentence on one page
    assert not any(p.startswith(promo) for p in learned.paragraphs)  # the site's, on all four
    assert {r.reason for r in learned.removed if r.text.startswith(promo)} == {"site-template"}
    # a sentence that two of the site's articles quote is the articles' own
    assert quote in learned.paragraphs
    store.close()


def test_a_page_read_again_replaces_its_record(tmp_path):
    path = tmp_path / "page.txt"
    path.write_text(_site_page(1), encoding="utf-8")
    store_path = tmp_path / "_templates.sqlite"
    for _ in range(3):
        learn_templates([str(path)], store_path)
    store = TemplateStore(store_path)
    assert store.template("baomoi.example.vn") == frozenset()  # one page, read three times
    store.close()


def test_a_page_in_english_keeps_its_text():
    """The stop-word list is the page's language's: an English page's paragraphs are not
    'few-stopwords' for lack of Vietnamese function words; its menu and footer still go."""
    body = ["Typhoon Yagi, the strongest storm to hit northern Vietnam in decades, made landfall on Saturday "
            "afternoon in Quang Ninh and Hai Phong, tearing roofs off thousands of houses.",
            "Authorities had evacuated more than 50,000 people from coastal areas before the storm arrived, "
            "and fishing boats were ordered to stay in port from Friday morning.",
            "In Ha Long, rescue workers were clearing roads blocked by fallen trees so that residents could "
            "move around again in the coming days."]
    page = "\n".join(["Home", "World", "Business", "Sign in", "Storm Yagi hits northern Vietnam",
                      "Sunday, September 8, 2024 10:15", *body, "© 2024 Example News. All rights reserved."])
    s = strip_boilerplate(page)
    assert s.title == "Storm Yagi hits northern Vietnam"
    assert [*([s.summary] if s.summary else []), *s.paragraphs] == body
    assert {r.text for r in s.removed} >= {"Home", "World", "Business", "Sign in"}


@pytest.mark.parametrize("credit", ["(Hình từ Internet)", "(Ảnh: Minh Anh)", "(Hình minh họa)", ". Ảnh: Minh Anh"])
def test_a_caption_is_told_by_its_photo_credit(credit):
    caption = f"Cây đổ trên đường Trần Hưng Đạo, thành phố Hạ Long chiều 7/9{'' if credit[0] == '.' else ' '}{credit}"
    s = strip_boilerplate("\n\n".join([TITLE, BODY[0], caption, BODY[1], BODY[2]]))
    assert s.captions == [caption]
    assert [*([s.summary] if s.summary else []), *s.paragraphs] == BODY


MENU = ("Trang chủ Thời sự Chính trị Xã hội Thế giới Kinh tế Tài chính Bất động sản Đời sống Sức khỏe Giáo dục "
        "Pháp luật Văn hóa Giải trí Thể thao Công nghệ Xe Du lịch Video Ảnh Bạn đọc Thời tiết Đăng nhập Đăng ký "
        "Tiện ích Liên hệ Quảng cáo Đặt báo Tin mới Tin nóng Tin nổi bật Góc nhìn Podcast Magazine")
MORE = [
    "Ngành điện lực cho biết đã khôi phục cấp điện cho phần lớn khách hàng ở khu vực trung tâm, các xã vùng "
    "sâu vùng xa sẽ được cấp điện trở lại trong hai ngày tới.",
    "Các trường học ở Quảng Ninh và Hải Phòng cho học sinh nghỉ học hết thứ hai để dọn dẹp lớp học và kiểm "
    "tra độ an toàn của cơ sở vật chất sau bão.",
    "Cơ quan khí tượng cảnh báo mưa lớn còn kéo dài ở các tỉnh miền núi phía Bắc, người dân cần đề phòng lũ "
    "quét và sạt lở đất tại những nơi có địa hình dốc.",
]


def test_a_flattened_page_is_cut_back_into_its_parts():
    """A page saved with its line breaks lost (get_text(" ")): menu, title twice, dateline, text,
    related titles and footer on one line."""
    page = " ".join([
        f"{TITLE} - Báo Thời Tiết", MENU, MENU, TITLE, "Hoàng Nam 07/09/2024 18:30 GMT+7 Chia sẻ", *BODY, *MORE,
        "Tin liên quan Miền Bắc mưa lớn kéo dài đến hết tuần Giá xăng giảm mạnh từ chiều nay Tin cùng chuyên mục "
        "Hà Nội thông xe cầu vượt mới Nông dân miền Tây trúng mùa lúa Xem nhiều nhất Giá vàng hôm nay tăng mạnh "
        "Thủ đô đón đoàn khách quốc tế đầu tiên của năm", MENU, MENU,
        "© Bản quyền thuộc về Báo Thời Tiết. Giấy phép số 123/GP-BTTTT do Bộ Thông tin và Truyền thông cấp. "
        "Tổng biên tập: Nguyễn Văn A. Địa chỉ: 71 Hàng Trống, Hoàn Kiếm, Hà Nội. Đường dây nóng: 0901 234 567."])
    assert len(page) > 2500  # flattened.toml: min_line_chars
    ingested = ingest_bytes(page.encode("utf-8"), Path("bao-so-3.txt"))
    s = strip_boilerplate(ingested.text, shape=ingested.shape)
    assert s.title == TITLE
    assert s.published == "2024-09-07T18:30:00+07:00"
    assert [*([s.summary] if s.summary else []), *s.paragraphs] == BODY + MORE
    text = " ".join([s.summary or "", *s.paragraphs, *s.captions])
    for gone in ("Đăng nhập", "Chia sẻ", "Tin liên quan", "Giấy phép", "Đường dây nóng"):
        assert gone not in text
    assert {r.line for r in s.removed} == {1}  # every piece is of the page's one raw line
    assert set(s.roles) == {1}


def test_a_menu_on_one_line_of_page_text_is_furniture_whatever_its_stop_words():
    # Vietnamese stop words are syllables that menu items share ("sự", "tế", "động", "bạn"): a
    # whole menu on one line reads as prose by them; its Title Case tells it apart
    page = "\n".join([
        "Bạn chưa đăng nhập. Hãy đăng nhập để đồng bộ gói dịch vụ vào tài khoản của bạn.",
        "Thời sự Quốc tế Lao động Bạn đọc Kinh tế Sức khỏe Giáo dục Pháp luật Văn hóa - Văn nghệ Giải trí Thể thao",
        "Chính trị Xã hội Đô thị Người Việt đó đây Hay - lạ Vấn đề nóng Hồ sơ Quân sự - Quốc phòng",
        TITLE, "07/09/2024 18:30", *BODY,
        "Tổng biên tập Nguyễn Văn A Phó Tổng biên tập Trần Thị B Tòa soạn Liên hệ Quảng cáo",
    ])
    s = strip_boilerplate(page, shape="text")
    assert s.title == TITLE
    assert [*([s.summary] if s.summary else []), *s.paragraphs] == BODY
    assert [r.line for r in s.removed if r.reason == "menu-words"] == [2, 3, 9]


def test_a_cms_caption_block_in_html_is_a_caption():
    page = HTML.replace('<figure><img src="a.jpg" alt=""><figcaption>Cây đổ trên đường Trần Hưng Đạo, thành phố Hạ Long chiều 7/9.</figcaption></figure>',
                        '<img src="a.jpg" alt=""><p class="Image">Cây đổ trên đường Trần Hưng Đạo, thành phố Hạ Long chiều 7/9.</p>')
    assert "figcaption" not in page.split("<article>")[1]
    s = strip_boilerplate(ingest_bytes(page.encode("utf-8"), Path("bao-so-3.html")).text, shape="html")
    assert s.captions == ["Cây đổ trên đường Trần Hưng Đạo, thành phố Hạ Long chiều 7/9."]
    assert [*([s.summary] if s.summary else []), *s.paragraphs] == BODY


def test_a_menu_printed_again_in_the_footer_is_the_sites_even_inside_the_articles_run():
    # page text (innerText): a slogan that reads like prose, then a menu in sentence case one item
    # per line (no link marks, stop words in every item) pull the article's run up to the masthead;
    # the footer prints the same menu again, outside the run: those items are the site's
    menu = ["Chính sách mới", "Tham vấn chính sách", "Người dân góp ý", "Chính sách và cuộc sống",
            "Hướng dẫn thực hiện chính sách", "Gửi thông tin góp ý của bạn"]
    steps = ["Lập đề nghị xây dựng văn bản", "Soạn thảo văn bản", "Thẩm định dự thảo"]
    reports = [f"Tại xã ven biển số {i}, chính quyền đã huy động lực lượng giúp người dân chằng chống nhà "
               f"cửa và thu hoạch lúa trước khi bão vào, theo báo cáo của ban chỉ huy huyện {i}." for i in range(22)]
    body = [BODY[0], "Quy trình gồm ba bước:", *steps, BODY[1], *reports, f"{steps[0]}:", BODY[2]]
    footer = ["Đọc nhiều", "Giá xăng giảm mạnh từ chiều nay", "Miền Bắc mưa lớn kéo dài đến hết tuần",
              "Hà Nội ngập sâu sau trận mưa lớn nhất năm", "Lịch cắt điện tuần tới ở các quận nội thành",
              "Tuyển sinh đầu cấp năm học mới", "Giá vàng hôm nay tăng nhẹ",
              *menu, "© Báo điện tử Thời tiết", "Giấy phép số: 19/GP-CBC, cấp ngày 10/5/2024."]
    page = "\n".join(["Báo Thời Tiết", "Diễn đàn của nhân dân, doanh nghiệp về phòng chống thiên tai, thời tiết",
                      *menu, TITLE, "07/09/2024 18:30", *body, *footer])
    s = strip_boilerplate(page, shape="text")
    assert s.title == TITLE
    assert s.published == "2024-09-07T18:30:00+07:00"
    reasons = {r.line: r.reason for r in s.removed}
    assert [reasons.get(n) for n in range(3, 3 + len(menu))] == ["repeated"] * len(menu)
    text = [*([s.summary] if s.summary else []), *s.paragraphs]
    for item in menu:
        assert item not in text
    # a list printed again as a heading far below, inside the article, is the article's: the list
    # stays, and the heading goes only as the body's duplicate, not as the site's
    assert [p for p in text if p in steps] == steps
    heading = page.split("\n").index(f"{steps[0]}:") + 1
    assert reasons[heading] == "duplicate"
    assert text[-1] == BODY[2]


@pytest.mark.parametrize("flattened", [False, True])
def test_a_crawlers_title_and_address_on_top_are_the_title_and_url(flattened):
    """RAG-course crawlers save "<title>" then "URL nguồn: <address>" above the page's text; flattened,
    they lead the one line. The address is the document's url, the title its title."""
    url = "https://baothoitiet.vn/thoi-su/tin-bao-khan-cap-9-9-2024.html"  # a slug that does not name the title
    head = [TITLE, f"URL nguồn: {url}"]
    rest = [MENU, MENU, MENU, "Hoàng Nam 07/09/2024 18:30 GMT+7 Chia sẻ", *BODY, *MORE, MENU, MENU,
            "© Bản quyền thuộc về Báo Thời Tiết. Giấy phép số 123/GP-BTTTT do Bộ Thông tin và Truyền thông cấp."]
    page = " ".join(head + rest) if flattened else "\n".join(head + rest)
    assert (max(map(len, page.split("\n"))) > 2500) == flattened  # flattened.toml: min_line_chars
    s = strip_boilerplate(page, shape="text")
    assert s.title == TITLE
    assert s.url == url
    assert s.published == "2024-09-07T18:30:00+07:00"  # the dateline's, not a date in the address
    assert s.credit is None or "URL" not in s.credit
    assert BODY[1] in s.paragraphs
    assert not any("URL nguồn" in p for p in s.paragraphs)


@pytest.mark.parametrize("line", ["Ngày 19/02/2025, Quốc hội đã thông qua", "Từ 01/4/2025: Theo Điều 60 Luật mới"])
def test_a_date_that_a_clause_follows_is_the_texts_not_a_byline(line):
    s = strip_boilerplate("\n".join([TITLE, line, *BODY]), shape="text")
    assert s.published is None
    assert all(r.reason != "byline" for r in s.removed)
    assert s.credit is None


def test_a_short_line_under_a_photo_whose_alt_text_is_a_caption_is_its_printed_caption():
    # crawl4ai Markdown of a portrait: the alt text describes it, the name printed under it is its
    # caption (the alt text, for screen readers, is removed with the image: the labelled pages call
    # an alt text furniture when a caption is printed under it)
    photo = "![Lực lượng cứu hộ dọn cây đổ trên đường phố Hạ Long](https://a.vn/anh-1.jpg)"
    s = strip_boilerplate("\n\n".join([f"# {TITLE}", BODY[0], photo, "Trưởng ban Nguyễn Văn Nam", BODY[1], BODY[2]]),
                          shape="markdown")
    assert s.captions == ["Trưởng ban Nguyễn Văn Nam"]
    assert [r.reason for r in s.removed if r.line == 5] == ["image"]
    assert [*([s.summary] if s.summary else []), *s.paragraphs] == BODY
    # a sentence under the photo is the text's, not a caption
    s = strip_boilerplate("\n\n".join([f"# {TITLE}", BODY[0], photo, BODY[1], BODY[2]]), shape="markdown")
    assert s.captions == ["Lực lượng cứu hộ dọn cây đổ trên đường phố Hạ Long"]
    assert [*([s.summary] if s.summary else []), *s.paragraphs] == BODY


def test_a_photo_credit_on_its_own_line_is_a_caption():
    credit = "Ảnh: Nguyễn Văn A, baothoitiet.vn."
    s = strip_boilerplate("\n\n".join([TITLE, BODY[0], credit, BODY[1], BODY[2]]), shape="text")
    assert s.captions == [credit]
    assert [*([s.summary] if s.summary else []), *s.paragraphs] == BODY


def test_page_text_with_its_title_as_a_markdown_heading_on_top():
    """A scraper wrote the <h1> as "# <title>" over the page's text; the title is printed again
    over the article, after a widget whose text reads like prose: the article starts there."""
    widget = ("Bạn đọc có thể gửi ý kiến, phản ánh về các vấn đề đời sống, xã hội tới đường dây nóng của "
              "tòa soạn, các phản ánh sẽ được chuyển tới cơ quan chức năng để xem xét và giải quyết kịp thời.")
    page = "\n".join([f"# {TITLE}", "Trang chủ", "Thời sự", widget, "Liên hệ", TITLE, *BODY])
    s = strip_boilerplate(page, shape="text")
    assert s.title == TITLE
    assert s.title_source == "h1"
    assert [*([s.summary] if s.summary else []), *s.paragraphs] == BODY
    # a row of "# …" lines on top is a hashtag menu, not a title
    page = "\n".join(["# Giá vàng hôm nay", "# World Cup 2026 mới nhất", "# Thời tiết Hà Nội hôm nay", TITLE, *BODY])
    s = strip_boilerplate(page, shape="text")
    assert s.title == TITLE
    assert s.title_source != "h1"


@pytest.mark.parametrize(("dateline", "iso"), [
    ("C.N - Thứ bảy, 09/03/2019 18:01 (GMT+7)", "2019-03-09T18:01:00+07:00"),  # byline, date, time zone
    ("10/07/2017 09:36:48", "2017-07-10T09:36:00+07:00"),  # seconds
    ("Thu Feb 20 2025 14:46:12 GMT+0700 (Indochina Time)", "2025-02-20T14:46:00+07:00"),  # a JS clock widget
])
def test_datelines_as_pages_print_them(dateline, iso):
    s = strip_boilerplate("\n".join([TITLE, dateline, *BODY]), shape="text")
    assert s.published == iso
    assert [*([s.summary] if s.summary else []), *s.paragraphs] == BODY


@pytest.mark.parametrize("line", ["<html></html>", "<html><body></body></html>", "<p>" * 500])
def test_html_lines_inside_markdown_never_crash_the_reader(line):
    s = strip_boilerplate("\n\n".join([f"# {TITLE}", line, *BODY]), shape="markdown")
    assert s.title == TITLE
    assert BODY[1] in s.paragraphs
