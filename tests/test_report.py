"""The review report: escaped, self-contained, and readable in a real browser."""
from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest

from vnclean.tasks.pipeline import process_chunk
from vnclean.tasks.report import render_report, write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def png_pixels(path: Path) -> bytes:
    """The decompressed image data of a PNG (filter bytes included): enough to tell blank from not."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    return zlib.decompress(idat)


@pytest.fixture(scope="module")
def report(tmp_path_factory, seed_paths):
    out = tmp_path_factory.mktemp("report-out")
    works = process_chunk([str(p) for p in seed_paths], out, translator=None)
    return write_report(works, out), works


def test_report_is_self_contained_and_escaped(report):
    path, works = report
    html = path.read_text(encoding="utf-8")
    assert "http" not in html.split("<body>")[0]  # no external stylesheet or script
    assert "<script" not in html
    assert "src=" not in html
    works[0].document.paragraphs[0] = "<script>alert(1)</script> & “quotes”"
    rendered = render_report(works)
    assert "<script>alert(1)" not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in rendered


def test_report_lists_removed_lines_with_reasons_and_repairs(report):
    html = report[0].read_text(encoding="utf-8")
    assert html.count('<p class="rm">') == 51  # every removed line of the five seeds, struck through
    assert 'title="Ruan Jinyong → Nguyễn Tấn Dũng"' in html


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make test installs it with apt when it can)")
def test_report_renders_in_headless_chromium(report, tmp_path):
    path, works = report
    shot = tmp_path / "report.png"
    profile = tempfile.mkdtemp()
    subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--window-size=1400,1000",
                    "--virtual-time-budget=10000", f"--screenshot={shot}", path.as_uri()],
                   capture_output=True, timeout=120, check=True)
    pixels = png_pixels(shot)
    assert len(set(pixels)) > 50  # not a blank page
    dom = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", path.as_uri()],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    for work in works:
        assert work.document.title in dom


def test_review_artifact_lists_what_needs_a_person_and_nothing_else(seed_paths, tmp_path, argos_dir):
    from vnclean.tasks.report import review_markdown

    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    works = process_chunk([str(p) for p in seed_paths] + [str(bad)], tmp_path / "out", None)
    md = review_markdown(works)
    sections = [line for line in md.splitlines() if line.startswith("## ")]
    assert [s.split(" — ")[0] for s in sections] == ["## 001\\_479e2536b47e5551", "## 004\\_6570346391cedc4e",
                                                    "## empty"]
    assert "- repair pinyin\\-name: Ruan Jinyong → Nguyễn Tấn Dũng (×3)" in md
    assert "- repair name\\-consistency: Quách Thành Côn → Quách Thanh Côn" in md
    assert "- set aside (empty):" in md
    assert "garbled machine translation: score 0.4" in md
    assert md.rstrip().endswith("3 document(s) need no review: 000\\_63c0ffbfaf89c8e9, 002\\_46b391e76224ec4a, "
                                "003\\_53ed54ac5e852cfd.")
