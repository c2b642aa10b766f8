"""Where Dask pays off: documents/s of `vnclean run` on the default thread runner, on Dask (a local
cluster of 2 worker processes) and with --processes 2, at 100, 1,000 and 10,000 documents, side by side.

For each size a seeded synthetic backlog (scripts/make_backlog.py: full-page text, 1-30 KB) is
processed from scratch by each runner in turn, by `vnclean run` in a new process as a user would
(Prefect's temporary API and, for Dask, the cluster's start-up included), without a translation
model. It prints wall seconds, documents/s, each runner's throughput as a ratio of the thread
runner's at the same size, peak RSS of the whole process tree, seconds until the first document
was on disk, the `_failed` count and the exit status. The machine is shared: the ratios within a
size are what it is for; `uptime` is printed before and after each size.

    python benchmarks/runners.py                                # 100, 1,000, 10,000 (long: ~1 h on 2 cores)
    python benchmarks/runners.py --sizes 100,1000 --runners threads,dask
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from scale import run_once  # noqa: E402  (same measuring loop as the backlog benchmark)

RUNNERS = {  # name: (--runner, --processes)
    "threads": ("threads", 1),
    "dask": ("dask", 1),
    "processes2": ("threads", 2),
}


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,1000,10000", help="comma-separated batch sizes")
    ap.add_argument("--runners", default="threads,dask,processes2", help=f"comma-separated, of {', '.join(RUNNERS)}")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    runners = args.runners.split(",")
    if unknown := [r for r in runners if r not in RUNNERS]:
        raise SystemExit(f"unknown runner(s) {unknown}: {', '.join(RUNNERS)}")
    work = Path(tempfile.mkdtemp(prefix="vnclean-runners-"))
    env = {**os.environ, "ARGOS_PACKAGES_DIR": str(work / "argos"), "COLUMNS": "120"}
    env.pop("PREFECT_API_URL", None)  # each run on its own temporary API, as `vnclean run` does by default
    (work / "argos").mkdir()
    print(f"{os.cpu_count()} cores, no translation model; work folder {work}")
    print(f"{'documents':>10}{'runner':>12}{'seconds':>9}{'docs/s':>8}{'vs threads':>11}{'tree RSS':>10}"
          f"{'first out':>10}{'failed':>8}{'exit':>6}", flush=True)
    for n in sizes:
        inp = work / f"in-{n}"
        subprocess.run([sys.executable, str(ROOT / "scripts" / "make_backlog.py"), str(inp), "--docs", str(n),
                        "--seed", str(args.seed)], check=True, stdout=subprocess.DEVNULL)
        print(f"# {n:,} documents; load average before: {load()}", flush=True)
        base = None
        for name in runners:
            runner, processes = RUNNERS[name]
            out = work / f"out-{n}-{name}"
            r = run_once(inp, out, runner, env, processes)
            rate = r["written"] / r["seconds"]
            if name == "threads":
                base = rate
            ratio = f"{rate / base:.2f}" if base else "-"
            first = f"{r['first']:.0f} s" if r["first"] is not None else "-"
            print(f"{n:>10,}{name:>12}{r['seconds']:>9.0f}{rate:>8.1f}{ratio:>11}{r['peak_tree'] / 2**20:>8.0f}MB"
                  f"{first:>10}{r['failed']:>8}{r['exit']:>6}", flush=True)
            if r["exit"] not in (0, 1):
                print(r["tail"])
            shutil.rmtree(out, ignore_errors=True)
        print(f"# load average after: {load()}", flush=True)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
