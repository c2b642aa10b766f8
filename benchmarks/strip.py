"""Strip benchmark: line-level precision/recall/F1 on the labelled corpus (tests/data/strip/*.tsv),
vnclean next to a jusText baseline, and documents/s of both on one core, side by side in one run.

Each corpus file is real page text from one Vietnamese site, every line labelled keep / caption /
metadata / remove (origins in the file headers). "Content" = keep + caption: the text a reader
should get. For jusText the lines are wrapped as HTML paragraphs and classified with its
Vietnamese stoplist; "good" paragraphs count as content.

Run: python benchmarks/strip.py [--docs N]
"""
from __future__ import annotations

import argparse
import html
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tasks.boilerplate import strip_boilerplate  # noqa: E402
from tasks.ingest import normalise  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "strip"
CONTENT = {"keep", "caption"}


@dataclass
class Page:
    name: str
    origin: str
    text: str
    labels: dict[int, str]  # 1-based line -> label, non-blank lines only
    # "# expect title: …" / "# expect published: …" headers: "none" is null, "-" is not checked
    expect: dict[str, str | None] = field(default_factory=dict)


def load_corpus(folder: Path = CORPUS) -> list[Page]:
    pages = []
    for path in sorted(folder.glob("*.tsv")):
        origin, lines, labels, expect = "", [], {}, {}
        for row in path.read_text(encoding="utf-8").split("\n"):
            if row.startswith("# expect "):
                key, _, value = row.removeprefix("# expect ").partition(":")
                if value.strip() != "-":
                    expect[key.strip()] = None if value.strip() == "none" else value.strip()
                continue
            if row.startswith("#"):
                origin = origin or row.removeprefix("# origin:").strip()
                continue
            if not row.strip():
                lines.append("")
                continue
            label, _, text = row.partition("\t")
            if label not in ("keep", "caption", "metadata", "remove"):
                raise ValueError(f"{path.name}: bad label {label!r}")
            lines.append(text)
            labels[len(lines)] = label
        while lines and not lines[-1]:
            lines.pop()
        pages.append(Page(path.stem, origin, "\n".join(lines), labels, expect))
    return pages


def vnclean_labels(page: Page) -> dict[int, str]:
    roles = strip_boilerplate(normalise(page.text)).roles
    return {n: roles.get(n, "keep") for n in page.labels}


def metadata_misses(pages: list[Page]) -> tuple[int, list[str]]:
    """How many expected titles/dates there are, and each one vnclean gets wrong."""
    total, misses = 0, []
    for page in pages:
        got = strip_boilerplate(normalise(page.text))
        for key, want in page.expect.items():
            total += 1
            value = getattr(got, key)
            if value != want:
                misses.append(f"{page.name}: {key} {value!r}, expected {want!r}")
    return total, misses


def justext_labels(page: Page) -> dict[int, str]:
    import justext

    numbers = [n for n in page.labels]
    lines = page.text.split("\n")
    doc = "<html><body>" + "".join(f"<p>{html.escape(lines[n - 1])}</p>" for n in numbers) + "</body></html>"
    paragraphs = justext.justext(doc.encode("utf-8"), justext.get_stoplist("Vietnamese"), encoding="utf-8")
    out = {}
    for n, p in zip(numbers, paragraphs):
        out[n] = "keep" if p.class_type == "good" else "remove"
    return out


def score(pages: list[Page], predict) -> dict[str, float]:
    tp = fp = fn = agree = total = 0
    for page in pages:
        predicted = predict(page)
        for n, gold in page.labels.items():
            got = predicted.get(n, "remove")
            g, p = gold in CONTENT, got in CONTENT
            tp += g and p
            fp += p and not g
            fn += g and not p
            agree += got == gold
            total += 1
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "label_accuracy": agree / total, "lines": total}


def throughput(docs: int) -> tuple[float, float]:
    """Seed-sized documents per second on one core: vnclean's strip stage vs jusText."""
    import justext

    texts = [normalise(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "input").glob("*.txt"))]
    htmls = ["<html><body>" + "".join(f"<p>{html.escape(x)}</p>" for x in t.split("\n") if x) + "</body></html>"
             for t in texts]
    stoplist = justext.get_stoplist("Vietnamese")
    strip_boilerplate(texts[0])  # load profiles once, as a run does
    start = time.perf_counter()
    for i in range(docs):
        strip_boilerplate(texts[i % len(texts)])
    ours = docs / (time.perf_counter() - start)
    start = time.perf_counter()
    for i in range(docs // 4):
        justext.justext(htmls[i % len(htmls)].encode("utf-8"), stoplist, encoding="utf-8")
    theirs = (docs // 4) / (time.perf_counter() - start)
    return ours, theirs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=2000)
    args = ap.parse_args()
    pages = load_corpus()
    ours, theirs = score(pages, vnclean_labels), score(pages, justext_labels)
    print(f"corpus: {len(pages)} pages from {len({p.origin.split('/')[2] for p in pages})} sites, {ours['lines']} labelled lines")
    print(f"{'':<10}{'precision':>10}{'recall':>9}{'F1':>8}{'4-label acc':>13}{'docs/s':>10}")
    ours_rate, theirs_rate = throughput(args.docs)
    for name, s, rate in (("vnclean", ours, ours_rate), ("jusText", theirs, theirs_rate)):
        print(f"{name:<10}{s['precision']:>10.3f}{s['recall']:>9.3f}{s['f1']:>8.3f}"
              f"{s['label_accuracy'] if name == 'vnclean' else float('nan'):>13.3f}{rate:>10.0f}")
    print(f"F1 vnclean - jusText: {ours['f1'] - theirs['f1']:+.3f}; speed ratio vnclean/jusText: {ours_rate / theirs_rate:.1f}")
    total, misses = metadata_misses(pages)
    print(f"titles and dates: {total - len(misses)}/{total} as labelled")
    for miss in misses:
        print("  " + miss)


if __name__ == "__main__":
    main()
