"""Legacy Vietnamese encodings: TCVN3 (ABC), VNI-Windows and VIQR, to Unicode and back.

There is no maintained Python library for these, so the tables are built here from the layouts
themselves (data: ``data/encodings/tcvn3.tsv``; VNI and VIQR are regular enough to be rules):

- TCVN3 / ABC (TCVN 5712:1993, VN3): one byte per lower-case letter, seen through cp1252 as
  "ViÖt Nam", "Hµ Néi". VN3 has codes only for Ă Â Ê Ô Ơ Ư Đ among capitals; other toned
  capitals were drawn with the same codes in an upper-case font, so they decode to lower case.
- VNI-Windows: base letter followed by a mark byte: "Vieät Nam", "Xin chaøo caùc baïn".
- VIQR (RFC 1456): ASCII marks after the vowel: "Vie^.t Nam", "dd" for đ; "\\." and "\\?" are
  literal punctuation.

Which reading a text needs is decided by :func:`best_reading`: the one whose words are most often
valid Vietnamese syllables (:func:`syllable_score`).

>>> decode_tcvn3("Céng hßa x· héi chñ nghÜa ViÖt Nam")
'Cộng hòa xã hội chủ nghĩa Việt Nam'
>>> decode_vni("Xin chaøo caùc baïn, Vieät Nam")
'Xin chào các bạn, Việt Nam'
>>> decode_viqr("Vie^.t Nam, Ha` No^.i, dda^'t nu+o+'c.")
'Việt Nam, Hà Nội, đất nước.'
"""
from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

TABLES = Path(__file__).parent / "data" / "encodings"

_TONES = {"\u0301": "acute", "\u0300": "grave", "\u0309": "hook", "\u0303": "tilde", "\u0323": "dot"}
_HATS = {"\u0302": "circumflex", "\u0306": "breve", "\u031b": "horn"}


def _parts(char: str) -> tuple[str, str | None, str | None]:
    """'ộ' -> ('o', 'circumflex', 'dot'); 'đ' -> ('đ', None, None)."""
    decomposed = unicodedata.normalize("NFD", char)
    base, hat, tone = decomposed[0], None, None
    for mark in decomposed[1:]:
        hat = _HATS.get(mark, hat)
        tone = _TONES.get(mark, tone)
    return base, hat, tone


@functools.cache
def vietnamese_letters() -> list[str]:
    """Every precomposed Vietnamese letter, lower and upper case."""
    out = []
    for base, hats in (("a", [None, "\u0306", "\u0302"]), ("e", [None, "\u0302"]), ("i", [None]),
                       ("o", [None, "\u0302", "\u031b"]), ("u", [None, "\u031b"]), ("y", [None])):
        for hat in hats:
            for tone in [None, *_TONES]:
                letter = unicodedata.normalize("NFC", base + (hat or "") + (tone or ""))
                out += [letter, letter.upper()]
    return out + ["đ", "Đ"]


# ---------------------------------------------------------------------------------------------
# TCVN3


@functools.cache
def _tcvn3() -> tuple[dict[str, str], dict[str, str]]:
    encode: dict[str, str] = {}
    for line in (TABLES / "tcvn3.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            unicode_char, byte = line.split("\t")
            encode[unicode_char] = bytes([int(byte, 16)]).decode("cp1252")
    decode = {v: k for k, v in encode.items()}
    return encode, decode


def encode_tcvn3(text: str) -> str:
    """Unicode -> TCVN3 as cp1252 characters (toned capitals become their lower-case code)."""
    encode, _ = _tcvn3()
    out = []
    for char in unicodedata.normalize("NFC", text):
        if char in encode:
            out.append(encode[char])
        elif char.lower() in encode and char not in encode:
            out.append(encode[char.lower()])
        else:
            out.append(char)
    return "".join(out)


def decode_tcvn3(text: str) -> str:
    _, decode = _tcvn3()
    return "".join(decode.get(c, c) for c in text)


# ---------------------------------------------------------------------------------------------
# VNI-Windows

_VNI_TONE: dict[str | None, str] = {"acute": "ù", "grave": "ø", "hook": "û", "tilde": "õ", "dot": "ï"}
_VNI_CIRCUMFLEX = {None: "â", "acute": "á", "grave": "à", "hook": "å", "tilde": "ã", "dot": "ä"}
_VNI_BREVE = {None: "ê", "acute": "é", "grave": "è", "hook": "ú", "tilde": "ü", "dot": "ë"}
_VNI_I = {"acute": "í", "grave": "ì", "hook": "æ", "tilde": "ó", "dot": "ò"}


def _vni_letter(char: str) -> str:
    base, hat, tone = _parts(char)
    upper = base.isupper()
    low = base.lower()
    if low == "đ":
        code = "ñ"
        base_out = ""
    elif hat == "circumflex":
        base_out, code = low, _VNI_CIRCUMFLEX[tone]
    elif hat == "breve":
        base_out, code = low, _VNI_BREVE[tone]
    elif hat == "horn":
        base_out, code = ("ô" if low == "o" else "ö"), _VNI_TONE.get(tone, "")
    elif low == "i" and tone:
        base_out, code = "", _VNI_I[tone]
    elif low == "y" and tone == "dot":
        base_out, code = "", "î"
    else:
        base_out, code = low, _VNI_TONE.get(tone, "")
    out = base_out + code
    return out.upper() if upper else out


@functools.cache
def _vni() -> tuple[dict[str, str], re.Pattern[str], dict[str, str]]:
    encode = {c: _vni_letter(c) for c in vietnamese_letters() if _vni_letter(c) != c}
    decode = {v: k for k, v in encode.items()}
    pattern = re.compile("|".join(map(re.escape, sorted(decode, key=len, reverse=True))))
    return encode, pattern, decode


def encode_vni(text: str) -> str:
    encode, _, _ = _vni()
    return "".join(encode.get(c, c) for c in unicodedata.normalize("NFC", text))


def decode_vni(text: str) -> str:
    _, pattern, decode = _vni()
    return pattern.sub(lambda m: decode[m[0]], text)


# ---------------------------------------------------------------------------------------------
# cp1258 (Windows Vietnamese): Python has the codec; letters carry hats precomposed, tones combining


def encode_cp1258(text: str) -> bytes:
    """Unicode -> cp1258 bytes the way Windows writes Vietnamese ("ệ" = "ê" + combining dot)."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        decomposed = unicodedata.normalize("NFD", char)
        tones = "".join(c for c in decomposed if c in _TONES)
        rest = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
        out.append(rest + tones)
    return "".join(out).encode("cp1258")


def decode_cp1258_mojibake(text: str) -> str:
    """Windows Vietnamese read as Windows Western ("ÐýõÌng phôì" for "Đường phố"): a page in
    cp1258 that a server or scraper labelled cp1252/Latin-1. Lines that cannot be cp1252 bytes
    (they hold real Vietnamese letters) are left as they are."""
    lines = []
    for line in text.split("\n"):
        try:
            lines.append(unicodedata.normalize("NFC", line.encode("cp1252").decode("cp1258")))
        except UnicodeError:
            lines.append(line)
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# VIQR (RFC 1456)

_VIQR_TONE = {"acute": "'", "grave": "`", "hook": "?", "tilde": "~", "dot": "."}
_VIQR_HAT = {"circumflex": "^", "breve": "(", "horn": "+"}


def _viqr_letter(char: str) -> str:
    base, hat, tone = _parts(char)
    if base in "đĐ":
        return "dd" if base == "đ" else "DD"
    return base + (_VIQR_HAT[hat] if hat else "") + (_VIQR_TONE[tone] if tone else "")


def encode_viqr(text: str) -> str:
    """Unicode -> VIQR; a literal . or ? right after a vowel is escaped as RFC 1456 says."""
    out: list[str] = []
    vowels = set("aeiouyAEIOUY")
    for char in unicodedata.normalize("NFC", text):
        if char in ".?'`~^(+" and out and out[-1] and out[-1][-1] in vowels | set("^(+'`?~."):
            out.append("\\" + char)
        elif char in set(vietnamese_letters()) and unicodedata.normalize("NFD", char) != char or char in "đĐ":
            out.append(_viqr_letter(char))
        else:
            out.append(char)
    return "".join(out)


_VIQR = re.compile(r"\\([.?'`~^(+])|(DD|dd|Dd)|([aeiouyAEIOUY])([\^(+]?)([`'?~.]?)(?=(\n|\s|\S|$))")


def decode_viqr(text: str) -> str:
    """VIQR -> Unicode. A text that escapes literal punctuation ("\\.", RFC 1456) has tone marks
    in every other . or ? after a vowel; in one that does not, a . or ? at the end of a line is
    punctuation and anywhere else a tone mark."""
    escaped = "\\." in text or "\\?" in text

    def replace(m: re.Match[str]) -> str:
        if m[1]:
            return m[1]
        if m[2]:
            return "Đ" if m[2][0] == "D" else "đ"
        vowel, hat, tone, following = m[3], m[4], m[5], m[6] or ""
        tail = ""
        if tone in (".", "?") and not escaped and (not following or following[:1] == "\n"):
            tail, tone = tone, ""
        combining = {"^": "\u0302", "(": "\u0306", "+": "\u031b", "": ""}[hat]
        combining += {"'": "\u0301", "`": "\u0300", "?": "\u0309", "~": "\u0303", ".": "\u0323", "": ""}[tone]
        return unicodedata.normalize("NFC", vowel + combining) + tail
    return _VIQR.sub(replace, text)


# ---------------------------------------------------------------------------------------------
# Which reading

_ONSET = "ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|đ|g|h|k|l|m|n|p|r|s|t|v|x"
_RHYMES = """
a ai ao au ay ac ach am an ang anh ap at ăc ăm ăn ăng ăp ăt âc âm ân âng âp ât âu ây
e eo ec em en eng ep et ê êu êch êm ên ênh êp êt i ia iu ich im in inh ip it
iêc iêm iên iêng iêp iêt iêu o oa oai oay oac oach oan oang oanh oap oat oăc oăm oăn oăng oăt
oe oeo oen oet oi om on ong op ot oc ooc oong ô ôi ôc ôm ôn ông ôp ôt ơ ơi ơm ơn ơp ơt
u ua uâc uân uâng uât uây ui um un ung up ut uc uê uênh uêch uơ uy uya uyu uych uynh uyt
uyên uyêt uôc uôi uôm uôn uông uôt ư ưa ưi ưu ưc ưm ưn ưng ưt ươc ươi ươm ươn ương ươp ươt ươu
y yêm yên yêng yêt yêu
""".split()
_SYLLABLE = re.compile(rf"^(?:{_ONSET})?(?:{'|'.join(sorted(_RHYMES, key=len, reverse=True))})$")
_TONE_MARKS = dict.fromkeys(map(ord, "\u0300\u0301\u0303\u0309\u0323"))


@functools.lru_cache(maxsize=65536)
def is_syllable(word: str) -> bool:
    """Is this a well-formed Vietnamese syllable (any tone)?

    >>> [is_syllable(w) for w in ("Việt", "người", "nghiêng", "ViÖt", "Vieät", "Hµ")]
    [True, True, True, False, False, False]
    """
    bare = unicodedata.normalize("NFC", unicodedata.normalize("NFD", word.lower()).translate(_TONE_MARKS))
    return bool(_SYLLABLE.match(bare))


_WORD = re.compile(r"[^\s\d.,;:!?()\[\]\"“”'‘’/\\-]+")


def syllable_score(text: str, sample: int = 4000) -> float:
    """Share of the words in (the start of) a text that are Vietnamese syllables."""
    words = _WORD.findall(text[:sample])
    return sum(map(is_syllable, words)) / len(words) if words else 0.0


DECODERS = {"tcvn3": decode_tcvn3, "vni": decode_vni, "viqr": decode_viqr, "cp1258-as-cp1252": decode_cp1258_mojibake}


def best_reading(text: str, sample: int = 3000) -> tuple[str | None, str]:
    """(name of the legacy encoding, decoded text) when one reads clearly better as Vietnamese,
    else (None, text). Clearly: it fixes at least half of the words that are not Vietnamese
    syllables, and at least 80% of its words are."""
    head = text[:sample]
    base = syllable_score(head)
    if base >= 0.95:  # already Vietnamese (legacy text read as Unicode scores about 0.3-0.6)
        return None, text
    best_name, best_score = None, base
    for name, decode in DECODERS.items():
        candidate = decode(head)
        if candidate != head:
            score = syllable_score(candidate)
            if score > best_score:
                best_name, best_score = name, score
    if best_name is None or best_score < 0.8 or best_score - base < 0.5 * (1 - base):
        return None, text
    return best_name, unicodedata.normalize("NFC", DECODERS[best_name](text))
