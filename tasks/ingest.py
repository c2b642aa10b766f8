"""Stage 1, ingest: raw bytes -> normalised text with the raw line structure kept.

Line numbers matter: every later stage reports removed lines by their 1-based number in the raw
file (as ``str.splitlines`` counts them), so normalisation works line by line and never adds or
drops a line.

>>> decode_bytes("Bộ Công an".encode("utf-8")).text
'Bộ Công an'
>>> decode_bytes("Bộ Công an".encode("utf-8").decode("cp1252", "replace").encode("utf-8")).text
'Bộ Công an'
>>> normalise_line("  Hà\\xa0 Nội\\u200b  ")
'Hà Nội'
"""
from __future__ import annotations

import hashlib
import html
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import ftfy
import ftfy.badness
import ftfy.chardata

from vnclean.tasks.blocks import detect_shape
from vnclean.tasks.legacy import DECODERS, best_reading, is_syllable, syllable_score
from vnclean.tasks.limits import DEFAULT_MAX_BYTES
from vnclean.tasks.models import Rejected, Source

# The file names vnclean reads from an input folder: plain text, crawler Markdown, saved HTML.
INPUT_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")

# ftfy's defaults are opinionated: keep curly quotes (Vietnamese news uses “ ”), let it undo
# mojibake and fix C1 controls; we do HTML entities and NFC ourselves.
FTFY_CONFIG = ftfy.TextFixerConfig(
    uncurl_quotes=False,
    unescape_html=False,
    fix_character_width=False,
    normalization="NFC",
    explain=False,
)

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u17b4\u17b5]+")  # removed (a regex: str.translate
# with a table looks every character of a non-ASCII line up in a dict, five times slower)
# Combining marks still loose after NFC are decoration, not Vietnamese (every Vietnamese letter
# composes): U+034F grapheme joiner, U+0336 strike-through, U+033C seagull ... as spam pages use.
_STRAY_MARKS = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
_ODD_SPACES = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t\x0b\x0c]")
_MULTI_SPACE = re.compile(r" {2,}")
_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")
_BINARY_MAGIC = (
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"%PDF", "PDF document"),
    (b"PK\x03\x04", "ZIP archive"),
    (b"\x7fELF", "ELF executable"),
)
# Letters that only Vietnamese (among Latin-script languages) uses; a decoded text rich in them
# is almost certainly decoded right.
_VI_LETTERS = set(
    "ăâđêôơưĂÂĐÊÔƠƯàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
    "ÀÁẢÃẠẰẮẲẴẶẦẤẨẪẬÈÉẺẼẸỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌỒỐỔỖỘỜỚỞỠỢÙÚỦŨỤỪỨỬỮỰỲÝỶỸỴ"
)

_VI_LETTER = re.compile("[" + "".join(sorted(_VI_LETTERS)) + "]")


@dataclass
class Decoded:
    text: str
    encoding: str
    fixes: list[str] = field(default_factory=list)


class RejectInput(Exception):
    """Raised by :func:`decode_bytes` for input that cannot be processed."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass
class Ingested:
    id: str
    source: Source
    text: str  # normalised, same number of lines as the raw text
    raw_lines: list[str]  # decoded, not normalised (what the review report shows)
    fixes: list[str] = field(default_factory=list)
    shape: str = "text"  # text | markdown | html (vnclean.tasks.blocks.detect_shape)


# Output names are "<id>.json", "<id>.vi.txt", "<id>.en.txt" and, while written, the temp file
# ".<id>.en.txt.XXXXXXXX.tmp": 21 bytes around the id. File systems allow 255 bytes (NAME_MAX).
MAX_ID_BYTES = 200
MAX_ID_CHARS = 120  # a readable id: the name's first 120 characters at most


def printable(text: str) -> str:
    """Text that can be written anywhere (JSON, SQLite, logs): a file name's bytes that are not
    UTF-8 (Python holds them as lone surrogates) are shown as ``\\xNN``, the rest is kept.

    >>> printable(b"caf\\xe9.txt".decode("utf-8", "surrogateescape"))
    'caf\\\\xe9.txt'
    """
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate no file name makes
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def display_path(path: str | Path) -> str:
    """:func:`printable` for a path (``source.path`` of documents and set-aside records)."""
    return printable(str(path))


def path_key(path: str | Path) -> str:
    """A path as a database key that never fails to encode and never mixes two paths up: the path
    itself when it is valid Unicode, else NUL (which no path contains) and the hex of its bytes."""
    text = str(path)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return "\0" + os.fsencode(text).hex()


def _stem(path: Path) -> str:
    return path.name[: -len(path.suffix)] if path.suffix.lower() == ".txt" else path.name


def _cut_utf8(text: str, max_bytes: int) -> str:
    return text.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")


def doc_id_for(path: Path, hash_chars: int = 8, salt: bytes | None = None) -> str:
    """A document id from a file name that can never address anything outside the output folder.

    A name that is already safe is its own id (the contract: the input file's stem; for a
    Markdown or HTML scrape the whole name, so "a.txt", "a.md" and "a.html" stay apart); any
    other gets the safe form plus a short hash of the real name, so "a b.txt" and "a_b.txt" differ.
    Ids are at most ``MAX_ID_BYTES`` bytes of UTF-8 (a shortened one ends in the hash), so every
    output name fits the file system, whatever the input name's bytes (not UTF-8 ones included).
    :func:`assign_ids` makes the ids of a batch unique.

    >>> doc_id_for(Path("input/000_63c0.txt"))
    '000_63c0'
    >>> doc_id_for(Path("input/bao-so-3.html"))
    'bao-so-3.html'
    >>> doc_id_for(Path("a/../b c;rm -rf.txt"))
    'b_c_rm_-rf-d44f82e8'
    >>> doc_id_for(Path("...txt"))
    '_..-b4d8a842'
    >>> doc_id_for(Path("ầ" * 81 + ".txt"))[-12:], len(doc_id_for(Path("ầ" * 81 + ".txt")).encode()) <= MAX_ID_BYTES
    ('ầầầ-448fbfc1', True)
    """
    stem = _stem(path)
    safe = re.sub(r"[^\w.-]+", "_", stem, flags=re.UNICODE).strip("_") or "_"
    if safe.startswith("."):
        safe = "_" + safe
    if salt is None and safe == stem and len(safe) <= MAX_ID_CHARS and len(safe.encode("utf-8")) <= MAX_ID_BYTES:
        return safe
    digest = hashlib.sha1(salt if salt is not None else os.fsencode(path.name)).hexdigest()[:hash_chars]
    return f"{_cut_utf8(safe[:MAX_ID_CHARS], MAX_ID_BYTES - 1 - hash_chars)}-{digest}"


def assign_ids(paths: list[str]) -> dict[str, str]:
    """A unique id for every path, the same for the same set of paths whatever their order.

    When ids clash ("a b.txt" and "a_b-19d703ab.txt", "x.md" and "x.md.txt", "a.txt" in two
    folders), the name that is its own id keeps it (a ``.txt`` first, as the contract says, then
    the smallest name in bytes); the others get a longer hash of their name (of their whole path
    when two folders hold the same name), longer again in the unlikely case that clashes too.

    >>> sorted(assign_ids(["in/a_b-19d703ab.txt", "in/a b.txt"]).values())
    ['a_b-19d703ab', 'a_b-19d703abd2b95c3b']
    """
    ids = {p: doc_id_for(Path(p)) for p in paths}
    for width in (16, 24, 32, 40):
        owners: dict[str, list[str]] = {}
        for p, doc_id in ids.items():
            owners.setdefault(doc_id, []).append(p)
        clashes = [ps for ps in owners.values() if len(ps) > 1]
        if not clashes:
            return ids
        for ps in clashes:
            ps.sort(key=lambda p: (ids[p] != _stem(Path(p)), Path(p).suffix.lower() != ".txt", os.fsencode(p)))
            names = [os.fsencode(Path(p).name) for p in ps]
            for p in ps[1:]:
                name = os.fsencode(Path(p).name)
                salt = name if names.count(name) == 1 else os.fsencode(p)
                ids[p] = doc_id_for(Path(p), width, salt)
    raise RuntimeError(f"could not give unique ids to {len(paths)} inputs")  # 160-bit hashes clashing


def list_inputs(input_dir: Path) -> list[Path]:
    """The scrapes in a folder (``*.txt``, ``*.md``, ``*.html`` …), in a stable order (re-runs
    are byte-identical)."""
    return sorted((p for p in input_dir.iterdir() if p.suffix.lower() in INPUT_SUFFIXES), key=lambda p: p.name)


def vietnamese_ratio(text: str) -> float:
    """Share of letters that are Vietnamese-specific (a plain-ASCII text scores 0)."""
    letters = sum(map(str.isalpha, text))
    if not letters:
        return 0.0
    return len(_VI_LETTER.findall(text)) / letters


# Unicode's control (Cc, but line breaks and tabs), surrogate (Cs) and private-use (Co) code
# points, and U+FFFD: what decoding binary or the wrong encoding leaves
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff\ufffd"
                      "\U000f0000-\U000ffffd\U00100000-\U0010fffd]+")


def _control_ratio(text: str) -> float:
    """Share of ``text`` that is control, surrogate, private-use or replacement characters.

    >>> _control_ratio("ab\\x00\\ufffd\\n")
    0.4
    """
    if not text:
        return 0.0
    return sum(map(len, _CONTROL.findall(text))) / len(text)


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even_nul = sample[0::2].count(0) / len(sample[0::2])
    odd_nul = sample[1::2].count(0) / len(sample[1::2])
    if odd_nul > 0.3 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.3 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def decode_bytes(data: bytes) -> Decoded:
    """Decode raw scrape bytes, repairing mojibake; raise :class:`RejectInput` when impossible."""
    if not data.strip():
        raise RejectInput("empty", "the file is empty or holds only white space")
    for magic, what in _BINARY_MAGIC:
        if data.startswith(magic):
            raise RejectInput("binary", f"starts like a {what}")
    encoding: str | None = None
    if data.startswith(b"\xef\xbb\xbf"):
        encoding, data = "utf-8-sig", data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif b"\x00" in data[:4096]:
        encoding = _utf16_without_bom(data)
        if encoding is None:
            raise RejectInput("binary", "contains NUL bytes and is not UTF-16")
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as err:
            raise RejectInput("undecodable", f"declared {encoding} by its byte-order mark, but {err}") from None
        if encoding == "utf-16":
            encoding = "utf-16-le" if data.startswith(b"\xff\xfe") else "utf-16-be"
            text = text.lstrip("\ufeff")
    else:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = _decode_legacy(data)
    if not text.strip():
        raise RejectInput("empty", "the file holds only white space")
    decoded = _repair_mojibake(Decoded(text, encoding))  # mojibake carries C1 controls ftfy removes
    if _control_ratio(decoded.text) > 0.02:
        raise RejectInput("binary", "more than 2% control or replacement characters after decoding")
    if encoding not in ("tcvn3", "vni"):
        decoded = _legacy_text(decoded)
        if decoded.fixes and not decoded.encoding.endswith(tuple(f"({name})" for name in DECODERS)):
            # ftfy changed something: TCVN3/VNI seen through cp1252 can look like mojibake to it
            plain = _legacy_text(Decoded(text, encoding))
            if plain.text != text and syllable_score(plain.text) > syllable_score(decoded.text):
                decoded = plain
    return decoded


def _decode_legacy(data: bytes) -> tuple[str, str]:
    """Non-UTF-8 bytes: Windows Vietnamese (cp1258), TCVN3 or VNI (read through cp1252), or
    Western cp1252 — whichever reads best as Vietnamese."""
    candidates: list[tuple[float, str, str]] = []
    for codec in ("cp1258", "cp1252"):
        try:
            text = unicodedata.normalize("NFC", data.decode(codec))
        except UnicodeDecodeError:
            continue
        candidates.append((syllable_score(text) - _control_ratio(text), text, codec))
        if codec == "cp1252":
            name, decoded = best_reading(text)
            if name:
                candidates.append((syllable_score(decoded), decoded, name))
    if not candidates:
        raise RejectInput("undecodable", "not UTF-8, UTF-16, cp1258, cp1252, TCVN3 or VNI")
    score, text, codec = max(candidates, key=lambda c: c[0])
    return text, codec


def _legacy_text(decoded: Decoded) -> Decoded:
    """UTF-8 text that is really TCVN3/VNI seen through cp1252 ("ViÖt Nam", "Vieät Nam") or VIQR."""
    name, text = best_reading(decoded.text)
    if name:
        decoded.fixes.append(f"{name} text converted to Unicode")
        decoded.encoding = f"{decoded.encoding} ({name})"
        decoded.text = text
    return decoded


# The characters one of ftfy's enabled fixers acts on besides mojibake (C1 controls, ligatures,
# line breaks, surrogates, terminal escapes, the control characters it removes), from its own tables
_FTFY_CHARS = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(
    {*ftfy.chardata.CONTROL_CHARS, *ftfy.chardata.LIGATURES, *range(0x80, 0xA0), 0x1B, 0x0D, 0x2028, 0x2029})) +
    "\ud800-\udfff]")


def _ftfy_has_work(line: str) -> bool:
    """False when ftfy would only NFC-normalise ``line``: no mojibake (its own ``is_bad`` test,
    the first thing its encoding fixer asks) and none of the characters its other fixers change.
    Skipping it there is most of ingest's time on clean pages."""
    return bool(_FTFY_CHARS.search(line)) or ftfy.badness.is_bad(line)


def _repair_mojibake(decoded: Decoded) -> Decoded:
    """Undo UTF-8-read-as-cp1252 (possibly twice, possibly only on some lines) with ftfy."""
    fixed_lines = []
    changed = 0
    for line in decoded.text.splitlines():
        if not line or line.isascii():
            fixed = line
        elif _ftfy_has_work(line):
            fixed = ftfy.fix_text(line, config=FTFY_CONFIG)
        else:  # what ftfy returns for a line none of its fixers would touch
            fixed = unicodedata.normalize("NFC", line)
        if unicodedata.normalize("NFC", fixed) != unicodedata.normalize("NFC", line):
            changed += 1
        fixed_lines.append(fixed)
    if changed:
        decoded.fixes.append(f"mojibake repaired on {changed} line(s) (ftfy)")
        if decoded.encoding == "utf-8":
            decoded.encoding = "utf-8 (cp1252 mojibake repaired)"
        decoded.text = "\n".join(fixed_lines)
    return decoded


_ETH_WORD = re.compile(r"\w*[Ðð]\w*")
# Fullwidth ASCII (from CJK input methods) and Latin ligatures, as NFKC would write them
_COMPATIBILITY: dict[int, int | str] = {**{cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)},
                  **{ord(c): unicodedata.normalize("NFKC", c) for c in "ﬀﬁﬂﬃﬄﬅﬆ"}}


_COMPATIBLE = re.compile("[\uff01-\uff5e\ufb00-\ufb06]")


def _fix_eth(line: str) -> str:
    """"Ðà Nẵng" -> "Đà Nẵng": Đ/đ written as the Icelandic eth (cp1252 has Ð/ð where cp1258 has
    Đ/đ), only in words that then read as Vietnamese syllables ("Guðrún" stays)."""
    def swap(m: re.Match[str]) -> str:
        word = m[0].replace("Ð", "Đ").replace("ð", "đ")
        return word if is_syllable(word) else m[0]
    return _ETH_WORD.sub(swap, line)


def normalise_line(line: str, entities: bool = True) -> str:
    """NFC, HTML entities, no zero-width characters, single ordinary spaces, no edge spaces;
    fullwidth letters and ligatures as plain letters, Đ/đ typed as eth as Đ/đ. (An HTML page
    keeps its entities, ``entities=False``: its parser reads them.)"""
    if entities and "&" in line and _ENTITY.search(line):
        line = html.unescape(line)
    line = _ZERO_WIDTH.sub("", line)
    line = _ODD_SPACES.sub(" ", line)
    line = unicodedata.normalize("NFC", line)
    if not line.isascii():
        if _COMPATIBLE.search(line):
            line = line.translate(_COMPATIBILITY)
        if "Ð" in line or "ð" in line:
            line = _fix_eth(line)
    if not line.isascii():
        line = _STRAY_MARKS.sub("", line)
    return _MULTI_SPACE.sub(" ", line).strip()


def normalise(text: str, shape: str = "text") -> str:
    """Normalise every line; the result has exactly as many lines as ``text.splitlines()``."""
    entities = shape != "html"
    return "\n".join(normalise_line(line, entities) for line in text.splitlines())


def ingest_bytes(data: bytes, path: Path, doc_id: str | None = None,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> Ingested | Rejected:
    """Decode and normalise one scrape; bad input becomes a :class:`Rejected` value."""
    doc_id = doc_id or doc_id_for(path)
    source = Source(path=display_path(path), sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    if len(data) > max_bytes:
        return Rejected(id=doc_id, source=source, reason="too_large",
                        detail=f"{len(data)} bytes is over the limit of {max_bytes} (--max-bytes)")
    try:
        decoded = decode_bytes(data)
    except RejectInput as err:
        return Rejected(id=doc_id, source=source, reason=err.reason, detail=err.detail)
    source.encoding = decoded.encoding
    raw_lines = decoded.text.splitlines()
    shape = detect_shape(decoded.text, path.suffix)
    return Ingested(id=doc_id, source=source, text=normalise(decoded.text, shape), raw_lines=raw_lines,
                    fixes=decoded.fixes, shape=shape)


def ingest_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES, doc_id: str | None = None) -> Ingested | Rejected:
    """Read one file; unreadable, vanished or non-regular files are rejected with a reason.
    ``doc_id``: the id :func:`assign_ids` gave it in its batch (default: :func:`doc_id_for`)."""
    doc_id = doc_id or doc_id_for(path)
    empty_source = Source(path=display_path(path), sha256="", bytes=0)
    try:
        if not path.exists() and not path.is_symlink():
            return Rejected(id=doc_id, source=empty_source, reason="vanished",
                            detail="the file disappeared before it could be read")
        if path.is_symlink() or not path.is_file():
            return Rejected(id=doc_id, source=empty_source, reason="not_a_file",
                            detail="a directory, symlink or special file named like a scrape")
        size = path.stat().st_size
        if size > max_bytes:
            return Rejected(id=doc_id, source=empty_source.model_copy(update={"bytes": size}),
                            reason="too_large", detail=f"{size} bytes is over the limit of {max_bytes}")
        data = path.read_bytes()
    except FileNotFoundError:
        return Rejected(id=doc_id, source=empty_source, reason="vanished",
                        detail="the file disappeared before it could be read")
    except OSError as err:
        return Rejected(id=doc_id, source=empty_source, reason="unreadable", detail=printable(str(err)))
    return ingest_bytes(data, path, doc_id, max_bytes)
