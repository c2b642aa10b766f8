"""Repair benchmark: precision/recall of name repair on garbled passages made from clean seed text,
and the number of false repairs on all the clean text we have.

The garbled set is generated deterministically (seed 0) from the clean paragraphs of seeds
000/002/003/004 (after the strip stage):
- ``table``: a name from the name table inserted in pinyin ("ông Guo Shengkun");
- ``half``: the same, half translated ("ông Quách Shengkun");
- ``half-split``: half translated with the given name's syllables as separate words ("ông Quách Sheng Kun");
- ``context``: a Chinese name NOT in the table, in pinyin, while the title names it in Hán-Việt;
- ``unknown``: a name not in the table and nowhere in the document: must be left alone and listed
  as uncertain (a repair here is a guess, counted as a false repair);
- punctuation faults (", .", " .", "vv.") and doubled "Bộ Bộ" in every garbled passage.

It also prints the uncertain rate (garbled names listed in ``uncertain`` instead of repaired) and the
ROC AUC of the document MT score, garbled passages against the real clean pages of tests/data/strip.

Run: python benchmarks/repair.py [--missed]   (--missed: each garbled name not restored, with what happened)
"""
from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cn2vn import cn2vn  # noqa: E402
from pypinyin import Style, lazy_pinyin  # noqa: E402

from tasks.boilerplate import strip_boilerplate  # noqa: E402
from tasks.ingest import ingest_file  # noqa: E402
from tasks.repair import load_names, repair_document  # noqa: E402

CLEAN_SEEDS = ("000", "002", "003", "004")
# Chinese names that are not in tasks/data/names (people a reporter might quote), for the
# context and unknown cases: (hanzi)
OUTSIDE_TABLE = ["刘德华", "张伟国", "李明辉", "王建军", "陈晓东", "杨光明", "赵红梅", "周建华", "吴国平", "黄志强",
                 "孙立新", "马文华", "胡建平", "郭振东", "林海峰", "何光荣", "高建设", "罗永安", "郑国强", "梁宏伟"]


KINDS = ("table", "half", "half-split", "context", "unknown")


def pinyin_name(hanzi: str) -> str:
    syllables = lazy_pinyin(hanzi, style=Style.NORMAL)
    return syllables[0].capitalize() + " " + "".join(syllables[1:]).capitalize()


def clean_texts() -> list[tuple[str, list[str], list[str]]]:
    out = []
    for path in sorted((ROOT / "input").glob("*.txt")):
        if path.name.startswith(CLEAN_SEEDS):
            s = strip_boilerplate(ingest_file(path).text)
            out.append((s.title, ([s.summary] if s.summary else []) + s.paragraphs, s.captions))
    return out


@dataclass
class Case:
    kind: str
    title: str
    garbled: str
    clean: str
    name_pinyin: str
    name_vi: str


def make_cases(seed: int = 0) -> list[Case]:
    rng = random.Random(seed)
    table = [n for n in load_names().names if n.kind == "person" and len(n.pinyin) == 3]
    paragraphs = [(t, p) for t, ps, _ in clean_texts() for p in ps if p.count(",") >= 2]
    cases = []
    for i, (title, para) in enumerate(paragraphs * 3):
        kind = KINDS[i % len(KINDS)]
        if kind in ("table", "half", "half-split"):
            name = rng.choice(table)
            hanzi, vi = name.hanzi, name.han_viet
        else:
            hanzi = rng.choice(OUTSIDE_TABLE)
            vi = cn2vn(hanzi)
        py = pinyin_name(hanzi)
        shown = f"{vi.split()[0]} {py.split(' ', 1)[1]}" if kind == "half" else py
        if kind == "half-split":
            shown = " ".join([vi.split()[0]] + [x.capitalize() for x in lazy_pinyin(hanzi, style=Style.NORMAL)[1:]])
        head, tail = para.split(", ", 1)
        clean = f"{head}, ông {vi}, {tail}"
        garbled = f"{head}, ông {shown}, {tail}"
        # punctuation and doubling faults that a clean text never has
        garbled = garbled.replace(", ", " , ", 1) if rng.random() < 0.5 else garbled
        if garbled.endswith(".") and not garbled.endswith("..") and rng.random() < 0.5:
            garbled = garbled[:-1] + " ."
        case_title = f"{vi} phát biểu về {title}" if kind == "context" else title
        cases.append(Case(kind, case_title, garbled, clean, shown, vi))
    return cases


def evaluate(cases: list[Case]) -> dict:
    stats = {k: {"injected": 0, "restored": 0, "repairs": 0, "wrong": 0, "uncertain": 0}
             for k in KINDS}
    text_exact = 0
    missed, scores = [], []
    for case in cases:
        r = repair_document(case.title, None, [case.garbled], [])
        scores.append(r.machine_translated.score)
        s = stats[case.kind]
        s["injected"] += 1
        names = [x for x in r.repairs if x.kind == "pinyin-name"]
        s["repairs"] += len(names)
        expect_repair = case.kind != "unknown"
        for x in names:
            if not expect_repair or x.after != case.name_vi:
                s["wrong"] += 1
        if expect_repair and any(x.after == case.name_vi for x in names):
            s["restored"] += 1
        s["uncertain"] += sum(1 for u in r.uncertain if u.text == case.name_pinyin)
        if expect_repair and r.paragraphs[0] == case.clean:
            text_exact += 1
        if expect_repair and not any(x.after == case.name_vi for x in names):
            missed.append((case, [(x.before, x.after) for x in names], [(u.text, u.candidates[:3]) for u in r.uncertain]))
    repairs = sum(s["repairs"] for s in stats.values())
    wrong = sum(s["wrong"] for s in stats.values())
    expected = sum(s["injected"] for k, s in stats.items() if k != "unknown")
    restored = sum(s["restored"] for s in stats.values())
    uncertain = sum(s["uncertain"] for k, s in stats.items() if k != "unknown")
    return {"per_kind": stats, "precision": (repairs - wrong) / repairs if repairs else 1.0,
            "recall": restored / expected if expected else 1.0, "exact_text": text_exact / expected,
            "uncertain_rate": uncertain / expected if expected else 0.0,
            "unknown_left_alone": stats["unknown"]["uncertain"] / max(1, stats["unknown"]["injected"]),
            "missed": missed, "scores": scores}


def roc_auc(positive: list[float], negative: list[float]) -> float:
    """Probability that a garbled document scores above a clean one (ties count half)."""
    pairs = [(p > n) + 0.5 * (p == n) for p in positive for n in negative]
    return sum(pairs) / len(pairs) if pairs else float("nan")


def false_repairs_on_clean_text() -> tuple[int, int]:
    """Repairs made on every clean title, paragraph and caption we have (should be 0)."""
    total, count = 0, 0
    for title, paragraphs, captions in clean_texts():
        for text in [title, *paragraphs, *captions]:
            count += 1
            r = repair_document(text, None, [], [])
            total += len(r.repairs)
    # the seeds' whole documents, as the pipeline sees them (004 is expected to get its one repair)
    for title, paragraphs, captions in clean_texts()[:3]:
        total += len(repair_document(title, None, paragraphs, captions).repairs)
    return total, count


def real_clean_pages() -> list[tuple[str, float, int]]:
    """(page, MT score, repairs) for the real pages of tests/data/strip: human-edited news from 9
    sites, some about foreign subjects (names and brands in ASCII), none machine translated."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import strip as strip_bench
    from tasks.ingest import normalise

    out = []
    for page in strip_bench.load_corpus():
        s = strip_boilerplate(normalise(page.raw, page.shape), shape=page.shape)
        r = repair_document(s.title or "", s.summary, s.paragraphs, s.captions)
        out.append((page.name, r.machine_translated.score, len(r.repairs)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="Repair benchmark")
    parser.add_argument("--missed", action="store_true", help="list each garbled name that was not restored")
    args = parser.parse_args()
    cases = make_cases()
    result = evaluate(cases)
    false, texts = false_repairs_on_clean_text()
    print(f"garbled passages: {len(cases)} (from {len(clean_texts())} clean seed documents)")
    print(f"{'kind':<10}{'injected':>10}{'restored':>10}{'repairs':>10}{'wrong':>8}{'uncertain':>11}")
    for kind, s in result["per_kind"].items():
        print(f"{kind:<10}{s['injected']:>10}{s['restored']:>10}{s['repairs']:>10}{s['wrong']:>8}{s['uncertain']:>11}")
    print(f"name repair precision {result['precision']:.3f}  recall {result['recall']:.3f}  "
          f"passages restored exactly {result['exact_text']:.3f}  uncertain rate {result['uncertain_rate']:.3f}  "
          f"unknown names left alone {result['unknown_left_alone']:.3f}")
    print(f"false repairs on clean text: {false} over {texts} clean texts + 3 whole clean documents")
    pages = real_clean_pages()
    print(f"real clean pages: {len(pages)}, flagged {sum(s >= 0.2 for _, s, _ in pages)}, "
          f"highest MT score {max(s for _, s, _ in pages):.3f}, repairs {sum(n for _, _, n in pages)}")
    print(f"MT detection ROC AUC, garbled passages vs real clean pages: "
          f"{roc_auc(result['scores'], [s for _, s, _ in pages]):.3f}")
    if args.missed:
        for case, repaired, uncertain in result["missed"]:
            print(f"missed [{case.kind}] {case.name_pinyin!r} -> {case.name_vi!r}: repairs {repaired}, uncertain {uncertain}")


if __name__ == "__main__":
    main()
