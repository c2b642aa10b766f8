"""Repair benchmark: name repair on garbled text, false repairs and flags on clean real pages, and
how well the MT score tells garbled documents from clean ones.

Two garbled sets, each a row of the table it prints (seeded: --seed, default 0):

- **real pages** (issue 13 item 5): documents of 4 paragraphs cut from the clean paragraphs (``keep``
  rows, as the pipeline reads their lines) of every non-excerpt page of tests/data/strip, up to 3
  per page, garbled the way Chinese->Vietnamese machine translation garbles text. Each names two
  people of the generated name table who were NOT in the old hand-kept 106 names
  (benchmarks/data/names_hand_kept_106.tsv, from the table's history): in pinyin in either order
  ("Guo Shengkun", "Shengkun Guo") or half translated either way ("Quách Shengkun", "Quách Sheng
  Kun", "Guo Thanh Côn"), then the first one's family name alone ("ông Guo"); and a third mention:
  a gloss after a correct name ("Quách Thanh Côn (Guo Shengkun)" or the reverse: must not be
  repaired), a name in neither table nor document (must be left alone and listed as uncertain),
  or one the title writes in Hán-Việt. One title is doubled ("Thủ tướng Thủ tướng"), half the
  paragraphs get a dangling punctuation mark (" ,", " .", ", .").
- **seeds**: single paragraphs from the clean seeds 000/002/003/004 with a table name in pinyin or
  half translated, a name outside the table the title writes, or one nobody knows.

Printed: precision (over every name repair made), recall, uncertain rate, unknown names left
alone, glosses kept, doubled titles undone, documents restored exactly, ROC AUC of the document MT
score (garbled documents vs every clean real page); per kind for the real set; then the repairs
and flags on every corpus page untouched (its labelled text, and the page stripped from the raw
scrape) and on the garbled documents' clean counterparts.

Run: python benchmarks/repair.py [--seed N] [--missed]   (--missed: each name not restored, each
false repair, each repair on a clean page)
"""
from __future__ import annotations

import argparse
import functools
import random
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cn2vn import cn2vn  # noqa: E402
from pypinyin import Style, lazy_pinyin  # noqa: E402

from vnclean.tasks.boilerplate import strip_boilerplate  # noqa: E402
from vnclean.tasks.ingest import ingest_file  # noqa: E402
from vnclean.tasks.repair import load_names, repair_document  # noqa: E402

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
            syllables = list(name.pinyin)  # as the sources romanise it (曾: Zeng, not pypinyin's Ceng)
        else:
            hanzi = rng.choice(OUTSIDE_TABLE)
            vi = cn2vn(hanzi)
            syllables = lazy_pinyin(hanzi, style=Style.NORMAL)
        py = syllables[0].capitalize() + " " + "".join(syllables[1:]).capitalize()
        shown = f"{vi.split()[0]} {py.split(' ', 1)[1]}" if kind == "half" else py
        if kind == "half-split":
            shown = " ".join([vi.split()[0]] + [x.capitalize() for x in syllables[1:]])
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
    from vnclean.tasks.ingest import normalise

    out = []
    for page in strip_bench.load_corpus():
        s = strip_boilerplate(normalise(page.raw, page.shape), shape=page.shape)
        r = repair_document(s.title or "", s.summary, s.paragraphs, s.captions)
        out.append((page.name, r.machine_translated.score, len(r.repairs)))
    return out


# ---------------------------------------------------------------------------------------------
# The garbled set made from real clean pages (issue 13 item 5)

HAND_KEPT = ROOT / "benchmarks" / "data" / "names_hand_kept_106.tsv"
NAME_REPAIRS = ("pinyin-name", "name-consistency")
# how Chinese->Vietnamese machine translation leaves a name (shown) and what a clean text writes
REPAIRABLE = ("pinyin", "western", "half", "half-split", "half-reverse")
# the third mention of a document: a gloss (never repaired), a name nobody knows (left alone,
# listed as uncertain) or a name the document itself writes in Hán-Việt (repaired from it)
THIRD = ("gloss", "gloss-reverse", "unknown", "context")
# multi-word titles the press puts before a name; one mention a document gets its title twice
TITLES = ("Thủ tướng", "Phó Thủ tướng", "Bộ trưởng", "Chủ tịch nước", "Ủy viên Bộ Chính trị", "Tổng Bí thư",
          "Phó Chủ tịch", "Đại sứ", "Thứ trưởng", "Chủ tịch Quốc hội")
DOC_SIZE = 4  # paragraphs a garbled document holds: as many as it has mentions
DOCS_PER_PAGE = 3


def generated_people() -> list:
    """People of the generated name table who were not in the old hand-kept 106 names."""
    old = {line.split("\t")[0] for line in HAND_KEPT.read_text(encoding="utf-8").splitlines()
           if line and not line.startswith("#")}
    return [n for n in load_names().names if n.kind == "person" and n.hanzi not in old]


def _nfc(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


@functools.cache
def corpus_pages() -> tuple[tuple[str, bool, str, tuple[str, ...], tuple[str, ...]], ...]:
    """(page, excerpt, title, keep rows, caption rows) of every page of tests/data/strip: the text
    a reader labelled, each row as the pipeline reads its line (ingest's normalisation, then the
    strip stage's reading of the line: Markdown through markdown-it); an HTML page's rows are its
    visible blocks already."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import strip as strip_bench
    from vnclean.tasks.blocks import read_page
    from vnclean.tasks.ingest import normalise

    out = []
    for page in strip_bench.load_corpus():
        lines: dict[int, str] = {}
        if page.shape != "html":
            for unit in read_page(normalise(page.raw, page.shape), page.shape).units:
                lines[unit.line] = f"{lines[unit.line]} {unit.text}" if unit.line in lines else unit.text
        rows = {"keep": [], "caption": []}
        for (label, text), number in zip(page.rows, page.numbers if page.shape != "html" else [0] * len(page.rows)):
            if label in rows:
                row = _nfc(lines.get(number, "") if page.shape != "html" else text)
                if row:
                    rows[label].append(row)
        out.append((page.name, page.excerpt, _nfc(page.expect.get("title") or ""), tuple(rows["keep"]),
                    tuple(rows["caption"])))
    return tuple(out)


@dataclass
class Mention:
    index: int  # the paragraph of the document
    kind: str
    shown: str  # as the garbled text writes it
    expected: str | None  # what the repair must make of it (None: leave it alone)


@dataclass
class RealCase:
    page: str
    title: str
    garbled: list[str]
    clean: list[str]  # the same text as an editor writes it (Hán-Việt names; glosses kept)
    expected: list[str]  # what a perfect repair gives (names nobody knows left in pinyin)
    mentions: list[Mention]
    doubled_titles: int
    light: list[str] = field(default_factory=list)  # the clean text with only the first name garbled


def _forms(pinyin: tuple[str, ...], han_viet: str) -> dict[str, str]:
    family, given = pinyin[0].capitalize(), "".join(pinyin[1:]).capitalize()
    vi_family, vi_given = han_viet.split(" ", 1)
    return {"pinyin": f"{family} {given}", "western": f"{given} {family}", "half": f"{vi_family} {given}",
            "half-split": " ".join([vi_family] + [s.capitalize() for s in pinyin[1:]]),
            "half-reverse": f"{family} {vi_given}", "surname": family}


def _eligible(paragraph: str) -> bool:
    """A sentence with a comma to put a name after, which the repair leaves alone by itself."""
    if ", " not in paragraph or len(paragraph.split()) < 12 or not paragraph.endswith("."):
        return False
    r = repair_document("Tin", None, [paragraph], [])
    return not r.repairs and not r.uncertain


def _insert(paragraph: str, words: str) -> str:
    head, tail = paragraph.split(", ", 1)
    return f"{head}, {words}, {tail}"


def _dangle(paragraph: str, rng: random.Random) -> str:
    """One punctuation fault MT leaves: a space before a comma or the full stop, or ", ." at the end."""
    choice = rng.randrange(3)
    if choice == 0 or not re.search(r"(?:\w\w|[)”\"%])\.$", paragraph):  # not after "...", "./." or "H."
        return paragraph.replace(", ", " , ", 1)
    if choice == 1:
        return paragraph[:-1] + " ."
    return paragraph[:-1] + ", ."


def make_real_cases(seed: int = 0, pages: int | None = None) -> list[RealCase]:
    """Garbled documents from the clean paragraphs of the labelled corpus (excerpt pages left out):
    up to DOCS_PER_PAGE documents of DOC_SIZE paragraphs per page. Each document names two people of
    the generated table who were not in the old hand-kept 106 (one written in pinyin in either
    name order or half translated either way, the first one's family name again alone later), and
    has a third mention: a gloss in brackets after a correct name (or the reverse), a name in
    neither table nor document, or a name the title writes in Hán-Việt. One title is doubled
    ("Thủ tướng Thủ tướng"), and half the paragraphs get a dangling punctuation mark. ``pages``:
    only every n-th page (a sample)."""
    rng = random.Random(seed)
    people = generated_people()
    outside = [h for h in OUTSIDE_TABLE
               if tuple(lazy_pinyin(h, style=Style.NORMAL)) not in load_names().by_pinyin]
    sources = [p for p in corpus_pages() if not p[1]]
    sources = sources[::pages] if pages else sources
    cases: list[RealCase] = []
    turn = 0
    for name, _excerpt, title, keep, _captions in sources:
        usable = [p for p in keep if _eligible(p)]
        for d in range(min(DOCS_PER_PAGE, len(usable) // DOC_SIZE)):
            window = usable[d * DOC_SIZE:(d + 1) * DOC_SIZE]
            a = rng.choice(people)  # b's family name reads otherwise: "ông Li" alone must be a's
            b = rng.choice([p for p in people if p.pinyin[0] != a.pinyin[0]])
            kinds = [REPAIRABLE[turn % len(REPAIRABLE)], REPAIRABLE[(turn + 2) % len(REPAIRABLE)],
                     "surname", THIRD[turn % len(THIRD)]]
            turn += 1
            doubled = rng.choice((0, 1, 3))  # paragraph 2 names its person by family name alone
            doc_title = title or "Tin tức"
            garbled, clean, expected, mentions, light = [], [], [], [], []
            for i, (paragraph, kind) in enumerate(zip(window, kinds)):
                person = (a, b, a, None)[i]
                if person is not None:
                    py, vi = person.pinyin, person.han_viet
                else:
                    hanzi = rng.choice(outside)
                    py, vi = tuple(lazy_pinyin(hanzi, style=Style.NORMAL)), cn2vn(hanzi)
                forms = _forms(py, vi)
                shown = forms.get(kind) or forms["pinyin"]
                title_word = rng.choice(TITLES)
                salutation = "bà" if " Thị " in f" {vi} " else "ông"
                if kind == "surname":  # the family name alone, after the full name
                    right, wrong, expect = vi.split()[0], shown, vi.split()[0]
                    lead = lead_clean = salutation
                elif kind == "gloss":  # "Lý Cường (Li Qiang)": the agencies' house style
                    right = wrong = expect = f"{vi} ({forms['pinyin']})"
                    shown = forms["pinyin"]
                elif kind == "gloss-reverse":
                    right = wrong = expect = f"{forms['pinyin']} ({vi})"
                elif kind == "unknown":  # nobody can be sure of it: left alone, listed as uncertain
                    right, wrong, expect = vi, shown, shown
                else:
                    right, wrong, expect = vi, shown, vi
                    if kind == "context":
                        doc_title = f"{vi} phát biểu: {doc_title}"
                if kind != "surname":
                    lead_clean = title_word
                    lead = f"{title_word} {title_word}" if i == doubled else title_word
                mentions.append(Mention(i, kind, shown, None if kind.startswith("gloss") or kind == "unknown"
                                        else expect))
                bad = _insert(paragraph, f"{lead} {wrong}")
                if rng.random() < 0.5:
                    bad = _dangle(bad, rng)
                garbled.append(bad)
                clean.append(_insert(paragraph, f"{lead_clean} {right}"))
                light.append(_insert(paragraph, f"{lead_clean} {wrong if i == 0 else right}"))
                expected.append(_insert(paragraph, f"{lead_clean} {expect}"))
            cases.append(RealCase(name, doc_title, garbled, clean, expected, mentions, 1, light))
    return cases


def evaluate_real(cases: list[RealCase]) -> dict:
    """Precision and recall of name repair, uncertain rate, glosses kept, doubled titles undone,
    documents restored exactly, and each garbled and clean document's MT score."""
    kinds = REPAIRABLE + ("surname",) + THIRD
    stats = {k: {"injected": 0, "restored": 0, "wrong": 0, "uncertain": 0} for k in kinds}
    repairs = wrong = titles = titles_done = exact = 0
    missed, false, garbled_scores, clean_scores, light_scores = [], [], [], [], []
    clean_repairs = clean_flags = 0
    for case in cases:
        r = repair_document(case.title, None, case.garbled, [])
        garbled_scores.append(r.machine_translated.score)
        by_index = {m.index: m for m in case.mentions}
        for x in r.repairs:
            if x.kind == "doubled-title":
                titles_done += 1
            if x.kind not in NAME_REPAIRS:
                continue
            repairs += 1
            m = by_index.get(x.index) if x.where == "paragraphs" else None
            if m is None or m.expected is None or (x.before, x.after) != (m.shown, m.expected):
                wrong += 1
                false.append((case.page, m.kind if m else x.where, x.before, x.after))
                if m is not None:
                    stats[m.kind]["wrong"] += 1
        titles += case.doubled_titles
        for m in case.mentions:
            s = stats[m.kind]
            s["injected"] += 1
            done = any(x.kind in NAME_REPAIRS and x.where == "paragraphs" and x.index == m.index
                       and (x.before, x.after) == (m.shown, m.expected) for x in r.repairs)
            listed = any(u.where == "paragraphs" and u.index == m.index and u.text == m.shown for u in r.uncertain)
            s["restored"] += done
            s["uncertain"] += listed
            if m.expected is not None and not done:
                missed.append((case.page, m, [(x.before, x.after) for x in r.repairs if x.index == m.index],
                               [(u.text, u.candidates[:3]) for u in r.uncertain if u.index == m.index]))
        exact += r.paragraphs == case.expected
        light_scores.append(repair_document(case.title, None, case.light, []).machine_translated.score)
        c = repair_document(case.title, None, case.clean, [])
        clean_scores.append(c.machine_translated.score)
        clean_repairs += len(c.repairs)
        clean_flags += c.machine_translated.flagged
    expected = sum(s["injected"] for k, s in stats.items() if k in REPAIRABLE + ("surname", "context"))
    restored = sum(s["restored"] for k, s in stats.items() if k in REPAIRABLE + ("surname", "context"))
    uncertain = sum(s["uncertain"] for k, s in stats.items() if k in REPAIRABLE + ("surname", "context"))
    glosses = [stats[k] for k in ("gloss", "gloss-reverse")]
    return {"per_kind": stats, "documents": len(cases), "names": expected,
            "precision": (repairs - wrong) / repairs if repairs else 1.0,
            "recall": restored / expected if expected else 1.0,
            "uncertain_rate": uncertain / expected if expected else 0.0,
            "unknown_left_alone": (stats["unknown"]["uncertain"] - stats["unknown"]["wrong"])
            / max(1, stats["unknown"]["injected"]),
            "glosses_kept": 1 - sum(g["wrong"] for g in glosses) / max(1, sum(g["injected"] for g in glosses)),
            "titles": (titles_done, titles), "exact": exact / len(cases) if cases else 1.0,
            "missed": missed, "false": false, "scores": garbled_scores, "clean_scores": clean_scores,
            "light_scores": light_scores,
            "clean_repairs": clean_repairs, "clean_flags": clean_flags}


def clean_corpus_pages() -> list[tuple[str, float, list[tuple[str, str, str]]]]:
    """Every page of the corpus untouched, as a reader labelled it (title, keep rows, captions):
    (page, MT score, repairs as (kind, before, after))."""
    out = []
    for name, _excerpt, title, keep, captions in corpus_pages():
        r = repair_document(title, None, list(keep), list(captions))
        out.append((name, r.machine_translated.score, [(x.kind, x.before, x.after) for x in r.repairs]))
    return out


def _row(label: str, result: dict, auc: float) -> str:
    done, titles = result.get("titles", (0, 0))
    return (f"{label:<22}{result['documents']:>6}{result['names']:>7}{result['precision']:>10.3f}{result['recall']:>8.3f}"
            f"{result['uncertain_rate']:>11.3f}{result['unknown_left_alone']:>9.3f}"
            f"{(format(result['glosses_kept'], '.3f') if 'glosses_kept' in result else '-'):>8}"
            f"{(f'{done}/{titles}' if titles else '-'):>9}"
            f"{result['exact']:>8.3f}{auc:>7.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Repair benchmark")
    parser.add_argument("--missed", action="store_true", help="list each garbled name that was not restored, "
                        "and each false repair")
    parser.add_argument("--seed", type=int, default=0, help="seed of the garbled sets (default 0)")
    args = parser.parse_args()

    real = evaluate_real(make_real_cases(args.seed))
    pages = clean_corpus_pages()
    stripped = real_clean_pages()
    clean_scores = [s for _, s, _ in pages] + [s for _, s, _ in stripped]
    seed_cases = make_cases(args.seed)
    seed = evaluate(seed_cases)
    seed["documents"] = len(seed_cases)
    seed["names"] = sum(1 for c in seed_cases if c.kind != "unknown")
    seed["exact"] = seed["exact_text"]

    print(f"{'garbled set':<22}{'docs':>6}{'names':>7}{'precision':>10}{'recall':>8}{'uncertain':>11}"
          f"{'unknown':>9}{'glosses':>8}{'titles':>9}{'exact':>8}{'AUC':>7}")
    print(_row("real pages (corpus)", real, roc_auc(real["scores"], clean_scores)))
    print(_row("seeds 000-004", seed, roc_auc(seed["scores"], clean_scores)))
    print("  names: garbled names that should be repaired; precision over every name repair made; uncertain: "
          "those listed in uncertain instead; unknown: names in neither table nor document left alone and "
          "listed; glosses: glossed names left alone; titles: doubled titles undone; exact: documents restored "
          "word for word; AUC: MT score, garbled documents vs every clean real page")
    print(f"\nreal pages, per kind ({len(generated_people())} people of the generated table not in the old 106):")
    print(f"  {'kind':<14}{'injected':>9}{'restored':>9}{'wrong':>7}{'uncertain':>10}")
    for kind, s in real["per_kind"].items():
        print(f"  {kind:<14}{s['injected']:>9}{s['restored']:>9}{s['wrong']:>7}{s['uncertain']:>10}")
    flagged = sum(s >= 0.2 for s in real["scores"])
    print(f"garbled documents flagged: {flagged}/{len(real['scores'])}; the same documents as an editor writes "
          f"them (Hán-Việt names, glosses): {real['clean_repairs']} repairs, {real['clean_flags']} flagged, "
          f"AUC {roc_auc(real['scores'], real['clean_scores']):.3f}")
    light = real["light_scores"]
    print(f"lightly garbled (only the first name in pinyin or half translated, nothing else): flagged "
          f"{sum(s >= 0.2 for s in light)}/{len(light)}, AUC vs every clean real page {roc_auc(light, clean_scores):.3f}")

    by_kind: dict[str, int] = {}
    for _, _, rs in pages:
        for kind, _, _ in rs:
            by_kind[kind] = by_kind.get(kind, 0) + 1
    names_on_clean = sum(by_kind.get(k, 0) for k in NAME_REPAIRS + ("doubled-title",))
    print(f"\nclean real pages, untouched ({len(pages)}: every page of tests/data/strip, its labelled text): "
          f"flagged {sum(s >= 0.2 for _, s, _ in pages)}, highest MT score {max(s for _, s, _ in pages):.3f}, "
          f"name or title repairs {names_on_clean}, other repairs {sum(by_kind.values()) - names_on_clean} "
          f"({', '.join(f'{n}: {len(rs)}' for n, _, rs in pages if rs) or 'none'}: the pages' own typos)")
    print(f"the same pages stripped from the raw scrape: flagged {sum(s >= 0.2 for _, s, _ in stripped)}, "
          f"highest MT score {max(s for _, s, _ in stripped):.3f}, repairs {sum(n for _, _, n in stripped)}")
    false, texts = false_repairs_on_clean_text()
    print(f"clean seed text: {false} repairs over {texts} clean texts + 3 whole clean documents")
    if args.missed:
        for page, m, repaired, uncertain in real["missed"]:
            print(f"missed [{m.kind}] {page}: {m.shown!r} -> {m.expected!r}: repairs {repaired}, uncertain {uncertain}")
        for page, kind, before, after in real["false"]:
            print(f"false repair [{kind}] {page}: {before!r} -> {after!r}")
        for case, repaired, uncertain in seed["missed"]:
            print(f"missed [seed {case.kind}] {case.name_pinyin!r} -> {case.name_vi!r}: repairs {repaired}, "
                  f"uncertain {uncertain}")
        for name, _, rs in pages:
            for r in rs:
                print(f"repair on clean page {name}: {r}")


if __name__ == "__main__":
    main()
