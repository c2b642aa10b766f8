"""Vietnamese sentence splitting, for the translate stage (the model translates sentence by sentence).

>>> split_sentences("Ngày 10.1.2024, TP.HCM tăng 3.5%. Ông Nguyễn V. A nói: v.v. Hai bên nhất trí.")
['Ngày 10.1.2024, TP.HCM tăng 3.5%.', 'Ông Nguyễn V. A nói: v.v. Hai bên nhất trí.']
"""
from __future__ import annotations

import re

_ABBREVIATIONS = {
    "tp", "th.s", "ths", "pgs", "gs", "ts", "bs", "ks", "ls", "nxb", "tt", "q", "p", "tx", "mr", "mrs",
    "dr", "st", "no", "vs", "v.v", "tr", "đ", "ng", "nd", "ub", "ubnd",
}
_BOUNDARY = re.compile(r"[.!?…]+[\"”’»)]*(?=\s+[\"“‘«(]?[A-ZÀ-ỸĐ0-9])")


def split_sentences(text: str) -> list[str]:
    """Split Vietnamese news text into sentences; never inside "v.v.", "TP.HCM", "Th.S", an
    initial ("Nguyễn V. A"), a number or date ("10.1.2024", "3.5%"), or a URL (a boundary needs
    white space after the punctuation and a capital, digit or opening quote after that)."""
    sentences, start = [], 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        before = text[start:match.start() + 1]
        word = before.split()[-1] if before.split() else ""
        core = word.rstrip(".!?…")
        stem = core.lower()
        if match.group() == "." and (
                stem in _ABBREVIATIONS or stem.endswith("v.v") or (len(core) == 1 and core.isupper())):
            continue  # an abbreviation or an initial, not the end of a sentence
        sentences.append(text[start:end].strip())
        start = end
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences
