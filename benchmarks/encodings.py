"""Encoding benchmark: how often ingest recovers the exact NFC text, per encoding.

Texts: every clean paragraph of the seeds, whole seed articles, and generated Vietnamese
(random well-formed syllables, seed 0), each encoded every way a scrape arrives. A text counts as
recovered when ``normalise(decode_bytes(encoded).text)`` equals the original exactly. TCVN3 rows
use only texts TCVN3 can write (VN3 has no toned capitals). Also prints the decode throughput.

Run: python benchmarks/encodings.py [--generated N]
"""
from __future__ import annotations

import argparse
import random
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from vnclean.tasks.ingest import RejectInput, decode_bytes, normalise  # noqa: E402
from vnclean.tasks.legacy import _ONSET, _RHYMES, _TONES  # noqa: E402
from test_encodings import ENCODINGS, SEED_PARAGRAPHS, _with_tone, tcvn3_can_write  # noqa: E402


def generated(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    onsets, tones = [""] + _ONSET.split("|"), [None, *_TONES]
    out = []
    for _ in range(n):
        words = [_with_tone(rng.choice(onsets), rng.choice(_RHYMES), rng.choice(tones))
                 for _ in range(rng.randint(10, 40))]
        out.append(" ".join(words).capitalize() + ".")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generated", type=int, default=200)
    args = ap.parse_args()
    articles = [normalise(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "input").glob("*.txt"))]
    texts = [unicodedata.normalize("NFC", t) for t in SEED_PARAGRAPHS + articles + generated(args.generated)]
    print(f"{len(texts)} texts ({len(SEED_PARAGRAPHS)} seed paragraphs, {len(articles)} seed articles, "
          f"{args.generated} generated)")
    print(f"{'encoding':<18}{'texts':>7}{'recovered':>11}{'accuracy':>10}  detected as")
    total_bytes, started = 0, time.perf_counter()
    for name, encode in ENCODINGS.items():
        usable = [t for t in texts if not name.startswith("tcvn3") or tcvn3_can_write(t)]
        ok, labels = 0, {}
        for text in usable:
            data = encode(text)
            total_bytes += len(data)
            try:
                decoded = decode_bytes(data)
            except RejectInput as err:
                labels[f"rejected:{err.reason}"] = labels.get(f"rejected:{err.reason}", 0) + 1
                continue
            labels[decoded.encoding] = labels.get(decoded.encoding, 0) + 1
            ok += normalise(decoded.text) == text
        top = ", ".join(f"{k} {v}" for k, v in sorted(labels.items(), key=lambda kv: -kv[1])[:2])
        print(f"{name:<18}{len(usable):>7}{ok:>11}{ok / len(usable):>10.3f}  {top}")
    secs = time.perf_counter() - started
    print(f"decoded {total_bytes / 1e6:.1f} MB in {secs:.1f} s ({total_bytes / 1e6 / secs:.1f} MB/s)")


if __name__ == "__main__":
    main()
