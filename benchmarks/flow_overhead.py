"""Prefect overhead per document: the same N documents (default 2,000) through the plain stage
functions and through the Prefect flow (task runs per chunk of 50, and of 10), side by side.

Documents are the seeds with a numbered first line, so none is a duplicate of another; no
translation model is installed (translation is measured in benchmarks/translate.py).
Overhead per document = (flow seconds - plain seconds) / N.

Run: python benchmarks/flow_overhead.py [--docs N]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=2000)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vnclean-overhead-"))
    os.environ["ARGOS_PACKAGES_DIR"] = str(work / "no-models")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")  # temporary server shutdown noise
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    (work / "no-models").mkdir()
    inp = work / "input"
    inp.mkdir()
    seeds = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "input").glob("*.txt"))]
    for i in range(args.docs):
        (inp / f"{i:05d}.txt").write_text(f"Bản tin số {i}\n" + seeds[i % len(seeds)], encoding="utf-8")
    files = sorted(str(p) for p in inp.glob("*.txt"))

    from vnclean.tasks.pipeline import process_chunk

    t = time.perf_counter()
    for i in range(0, len(files), 50):
        process_chunk(files[i:i + 50], work / "plain", translator=None)
    plain = time.perf_counter() - t

    from vnclean.flows.pipeline import process_scrapes

    process_scrapes(input_dir=str(inp), output_dir=str(work / "warmup"), paths=files[:5])  # API start-up
    rows = []
    for chunk in (50, 10):
        t = time.perf_counter()
        summary = process_scrapes(input_dir=str(inp), output_dir=str(work / f"flow{chunk}"), chunk_size=chunk)
        secs = time.perf_counter() - t
        assert summary["new"] == len(files) and all(r["status"] == "ok" for r in summary["rows"])
        rows.append((chunk, secs))
    print(f"{len(files)} documents, no translation model")
    print(f"{'path':<40}{'seconds':>9}{'ms/doc':>9}{'overhead ms/doc':>17}")
    print(f"{'plain stage functions (chunks of 50)':<40}{plain:>9.2f}{plain / len(files) * 1e3:>9.2f}{'':>17}")
    for chunk, secs in rows:
        label = f"Prefect flow, task runs per {chunk} docs"
        print(f"{label:<40}{secs:>9.2f}{secs / len(files) * 1e3:>9.2f}{(secs - plain) / len(files) * 1e3:>17.2f}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
