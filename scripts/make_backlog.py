"""Write a synthetic backlog of scrapes: full-page text made from the seeds' own paragraphs and furniture.

Each scrape is what a site's full-page text dump looks like: a menu, a title and dateline, body
paragraphs drawn from the seeds' articles (numbers changed per document, so the translation memory
does not see the same sentence twice too often), a teaser list and a footer; 1–30 KB, sizes spread
log-uniformly. About 5% are saved as UTF-16 and 5% as Windows-1258, as real backlogs mix them.
Same arguments, same bytes: the random generator is seeded.

    python scripts/make_backlog.py /tmp/backlog --docs 10000 --seed 0
"""
from __future__ import annotations

import argparse
import math
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MENU = ["Trang chủ", "Thời sự", "Thế giới", "Kinh tế", "Xã hội", "Pháp luật", "Văn hóa", "Thể thao",
        "Giáo dục", "Sức khỏe", "Công nghệ", "Du lịch", "Video", "Ảnh", "Đăng nhập", "Đăng ký"]
FOOTER = ["Bản quyền thuộc về Báo Điện tử Tin Mới. Ghi rõ nguồn khi phát hành lại thông tin từ website này.",
          "Giấy phép số 123/GP-BTTTT do Bộ Thông tin và Truyền thông cấp ngày 01/02/2023.",
          "Tổng biên tập: Nguyễn Văn A", "Địa chỉ: 71 Hàng Trống, Hoàn Kiếm, Hà Nội",
          "Hotline: 0901 234 567 - Email: toasoan@tinmoi.vn"]
WEEKDAYS = ["Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy", "Chủ nhật"]


def seed_material() -> tuple[list[str], list[str]]:
    """Body paragraphs and short furniture lines of the seeds, as the pipeline reads them."""
    from vnclean.tasks.boilerplate import strip_boilerplate
    from vnclean.tasks.ingest import ingest_file

    paragraphs: list[str] = []
    furniture: list[str] = []
    for path in sorted((ROOT / "input").glob("*.txt")):
        ingested = ingest_file(path)
        stripped = strip_boilerplate(ingested.text)
        paragraphs += [p for p in stripped.paragraphs if len(p) > 80]
        furniture += [r.text for r in stripped.removed if 3 <= len(r.text) <= 90]
    if not paragraphs:
        raise SystemExit("the seeds in input/ gave no paragraphs")
    return paragraphs, furniture


def make_scrape(rng: random.Random, n: int, paragraphs: list[str], furniture: list[str]) -> str:
    target = int(math.exp(rng.uniform(math.log(1_000), math.log(30_000))))
    renumber = lambda text: re.sub(r"\d+", lambda m: str(rng.randint(1, 10 ** len(m[0]))), text)  # noqa: E731
    lead = renumber(rng.choice(paragraphs))
    title = " ".join(lead.split()[: rng.randint(8, 16)]).rstrip(",.;:") + f" ({n})"
    day = rng.randint(1, 28)
    lines = [item for item in MENU if rng.random() < 0.8]
    lines += rng.sample(furniture, k=min(len(furniture), rng.randint(0, 4)))
    lines += ["", title, f"{rng.choice(WEEKDAYS)}, {day:02d}/{rng.randint(1, 12):02d}/2024 {rng.randint(6, 22):02d}:"
              f"{rng.randint(0, 59):02d} (GMT+7)", "", lead]
    size = sum(len(line.encode()) + 1 for line in lines)
    while size < target:
        paragraph = renumber(rng.choice(paragraphs))
        lines += ["", paragraph]
        size += len(paragraph.encode()) + 2
    lines += ["", rng.choice(["PV", "Minh Anh", "Theo TTXVN", "Hoàng Nam"]), "", "Tin liên quan"]
    lines += [" ".join(renumber(rng.choice(paragraphs)).split()[:12]) for _ in range(rng.randint(2, 5))]
    lines += [""] + FOOTER
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    paragraphs, furniture = seed_material()
    rng = random.Random(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    total = 0
    for n in range(args.docs):
        text = make_scrape(rng, n, paragraphs, furniture)
        roll = rng.random()
        data = text.encode("utf-16") if roll < 0.05 else text.encode("cp1258", "replace") if roll < 0.10 \
            else text.encode("utf-8")
        (args.out / f"scrape-{n:06d}.txt").write_bytes(data)
        total += len(data)
    print(f"{args.docs} scrapes, {total / 1e6:.1f} MB, in {args.out}")


if __name__ == "__main__":
    main()
