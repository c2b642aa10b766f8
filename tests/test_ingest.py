"""Ingest: decoding, mojibake repair, normalisation, rejection of bad input."""
from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

import ftfy.bad_codecs  # noqa: F401  (registers "sloppy-windows-1252", how browsers make mojibake)

from vnclean.tasks.ingest import Ingested, decode_bytes, doc_id_for, ingest_bytes, ingest_file, normalise
from vnclean.tasks.models import Rejected

def mojibake(text: str) -> str:
    return text.encode("utf-8").decode("sloppy-windows-1252")


SAMPLE = "Bộ Công an Việt Nam và Bộ An ninh Quốc gia Trung Quốc tổ chức Hội nghị Đối thoại."


def test_seed_is_read_as_utf8_with_its_line_count_kept(seed_paths):
    path = seed_paths[0]
    raw = path.read_text(encoding="utf-8")
    result = ingest_file(path)
    assert isinstance(result, Ingested)
    assert result.source.encoding == "utf-8"
    assert len(result.text.split("\n")) == len(raw.splitlines())
    assert "\xa0" not in result.text


@pytest.mark.parametrize("encode", [
    lambda s: s.encode("utf-8"),
    lambda s: b"\xef\xbb\xbf" + s.encode("utf-8"),
    lambda s: s.encode("utf-16"),  # with BOM
    lambda s: "\ufeff".encode("utf-16-be") + s.encode("utf-16-be"),
    lambda s: s.encode("utf-16-le"),  # no BOM
    lambda s: mojibake(s).encode("utf-8"),
    lambda s: mojibake(mojibake(s)).encode("utf-8"),
    lambda s: unicodedata.normalize("NFD", s).encode("utf-8"),
], ids=["utf8", "utf8-bom", "utf16", "utf16be-bom", "utf16le-nobom", "mojibake", "double-mojibake", "nfd"])
def test_encodings_decode_to_the_nfc_original(encode):
    assert normalise(decode_bytes(encode(SAMPLE)).text) == SAMPLE


def test_mojibake_on_some_lines_only_is_repaired_line_by_line():
    mixed = SAMPLE + "\n" + mojibake(SAMPLE)
    decoded = decode_bytes(mixed.encode("utf-8"))
    assert decoded.text.splitlines() == [SAMPLE, SAMPLE]
    assert decoded.fixes
    assert "mojibake" in decoded.encoding


def test_curly_quotes_are_kept():
    text = "Hai Bộ trưởng đã ký kết “Bản ghi nhớ kết quả hội nghị”."
    assert decode_bytes(text.encode("utf-8")).text == text


def test_normalise_entities_spaces_zero_width_and_nfd():
    raw = "H&agrave; N&#7897;i\u200b,\xa0 nga\u0300y  4/11 \t"
    assert normalise(raw) == "Hà Nội, ngày 4/11"


def test_eth_for_d_with_stroke_fullwidth_letters_and_ligatures():
    assert normalise("ÐÀ NẴNG: ðường phố Ðà Lạt, ông Guðrún") == "ĐÀ NẴNG: đường phố Đà Lạt, ông Guðrún"
    assert normalise("Ｈà Ｎội ｎăｍ ２０２４, ﬁnal") == "Hà Nội năm 2024, final"


def test_windows_vietnamese_labelled_western_is_recovered():
    from vnclean.tasks.legacy import encode_cp1258

    text = "Đường phố Hà Nội đông đúc, người dân đi làm sớm."
    garbled = encode_cp1258(text).decode("cp1252")  # "ÐýõÌng phôì HaÌ Nôòi…"
    decoded = decode_bytes(garbled.encode("utf-8"))
    assert decoded.text == text
    assert decoded.encoding == "utf-8 (cp1258-as-cp1252)"


def test_normalise_never_adds_or_drops_lines():
    raw = "a\r\nb\n\n\u2028c\x0cd\n"
    assert len(normalise(raw).split("\n")) == len(raw.splitlines())


@pytest.mark.parametrize("data,reason", [
    (b"", "empty"),
    (b"  \n\t \n", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    (b"abc\x00\x01\x02\x03def\x00\xff" * 20, "binary"),
])
def test_bad_input_is_rejected_with_a_stable_reason(data, reason):
    result = ingest_bytes(data, Path("x.txt"))
    assert isinstance(result, Rejected)
    assert result.reason == reason
    assert result.detail


def test_too_large_is_rejected_before_reading(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * 2048)
    result = ingest_file(path, max_bytes=1024)
    assert isinstance(result, Rejected)
    assert result.reason == "too_large"


def test_directory_symlink_and_vanished_files_are_rejected(tmp_path, seed_paths):
    (tmp_path / "dir.txt").mkdir()
    (tmp_path / "link.txt").symlink_to(seed_paths[0])
    assert ingest_file(tmp_path / "dir.txt").reason == "not_a_file"
    assert ingest_file(tmp_path / "link.txt").reason == "not_a_file"
    assert ingest_file(tmp_path / "gone.txt").reason == "vanished"


def test_a_50_mb_file_is_rejected_without_being_read(tmp_path, monkeypatch):
    big = tmp_path / "big.txt"
    with open(big, "wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read a file over the limit"))
    result = ingest_file(big)
    assert isinstance(result, Rejected)
    assert result.reason == "too_large"
    assert result.source.bytes == 50 * 1024 * 1024


@pytest.mark.parametrize("name", ["../../etc/passwd.txt", "a b;rm -rf ~.txt", "...txt", "Tin tức $(x).txt"])
def test_document_ids_cannot_escape_the_output_folder(name):
    doc_id = doc_id_for(Path(name))
    assert "/" not in doc_id
    assert not doc_id.startswith(".")
    assert doc_id not in ("", "..")


def test_vietnamese_ratio_and_zero_width_as_defined():
    """issue 17: the regex forms give what the plain definitions gave (letters that isalpha, the
    Vietnamese-only ones among them; every zero-width character removed, nothing else)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from vnclean.tasks.ingest import _VI_LETTERS, normalise_line, vietnamese_ratio

    zero_width = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u17b4\u17b5"

    @settings(max_examples=300)
    @given(st.text(alphabet="aăĐđệỆ Ⅷ²1_-.\n\u00a0" + zero_width + "x", max_size=40))
    def check(text: str) -> None:
        letters = [c for c in text if c.isalpha()]
        assert vietnamese_ratio(text) == (sum(c in _VI_LETTERS for c in letters) / len(letters) if letters else 0.0)
        line = text.replace("\n", " ")
        assert normalise_line(line) == normalise_line(line.translate(dict.fromkeys(map(ord, zero_width))))

    check()
    assert vietnamese_ratio("Việt Nam ²") == 1 / 7  # ệ of V i ệ t N a m; not the ²
    assert normalise_line("Hà\u200b\u00adNội\ufeff") == "HàNội"
