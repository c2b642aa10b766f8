"""Backlog benchmark: documents/s and peak memory of whole `vnclean run`s at growing batch sizes.

For each size (default 1,000 and 10,000; add 100,000 with --sizes, ~20-30 minutes), a seeded
synthetic backlog (scripts/make_backlog.py: full-page text from the seeds' paragraphs and
furniture, 1-30 KB) is processed by `vnclean run` in a new process, as a user would, on the
chosen runner, without a model or with the tiny test model (scripts/make_test_model.py). It prints,
side by side in one run: wall seconds, documents/s, the throughput as a ratio of the smallest
size's, peak RSS of the vnclean process and of its whole process tree (the temporary Prefect API
is a child), seconds until the first document was on disk, the `_failed` count, and the size of
report.html. The machine is shared: run it on idle cores for absolute figures; the ratios between
sizes are what it is for.

    python benchmarks/scale.py                          # 1,000 and 10,000, threads, no model
    python benchmarks/scale.py --sizes 1000,100000 --model tiny --runner dask
    python benchmarks/scale.py --sizes 2000 --processes 1,2     # threads vs two worker processes

Peak RSS "tree" counts the worker processes and the temporary API server too; "API RSS" and
"workers" are those parts' own peaks (each part peaks at its own time, so they need not add up).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))


def role(proc: psutil.Process) -> str:
    """What a descendant of the run is: the temporary Prefect API server, a worker process, or other."""
    try:
        cmd = " ".join(proc.cmdline())
    except psutil.Error:
        return "other"
    if "uvicorn" in cmd or "prefect.server" in cmd or "server.api" in cmd:
        return "api"
    if "multiprocessing" in cmd or "spawn_main" in cmd or "distributed" in cmd:
        return "workers"
    return "other"


def tree_rss(proc: psutil.Process) -> dict[str, int]:
    """RSS in bytes of the run's own process, of its whole tree, and of the tree's parts (the API
    server, the worker processes summed, anything else)."""
    try:
        own = proc.memory_info().rss
        found = {"own": own, "tree": own, "api": 0, "workers": 0, "other": 0}
        for child in proc.children(recursive=True):
            rss = child.memory_info().rss
            found["tree"] += rss
            found[role(child)] += rss
    except psutil.Error:
        return {}
    return found


def run_once(inp: Path, out: Path, runner: str, env: dict[str, str], processes: int = 1) -> dict:
    cmd = [sys.executable, "-m", "vnclean.cli", "run", "--input", str(inp), "--output", str(out),
           "--runner", runner, "--processes", str(processes)]
    started = time.perf_counter()
    first = None
    peak: dict[str, int] = {}
    with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as child:
        proc = psutil.Process(child.pid)
        while child.poll() is None:
            for part, rss in tree_rss(proc).items():
                peak[part] = max(peak.get(part, 0), rss)
            if first is None and any(out.glob("*.json")):
                first = time.perf_counter() - started
            time.sleep(0.5)
        tail = child.stdout.read()[-2000:] if child.stdout else ""
    seconds = time.perf_counter() - started
    failed = len(list((out / "_failed").glob("*.json"))) if (out / "_failed").is_dir() else 0
    written = sum(1 for p in out.glob("*.json") if not p.name.startswith("_"))
    report = out / "report.html"
    return {"seconds": seconds, "written": written, "failed": failed, "exit": child.returncode,
            "peak": peak, "first": first,
            "report": report.stat().st_size if report.exists() else 0, "tail": tail}


def mb(peak: dict[str, int], part: str) -> str:
    return f"{peak.get(part, 0) / 2**20:.0f}MB"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000", help="comma-separated batch sizes")
    ap.add_argument("--runner", default="threads", choices=["threads", "dask"])
    ap.add_argument("--model", default="none", choices=["none", "tiny"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--processes", default="1", help="comma-separated --processes values, each run side by side")
    ap.add_argument("--keep", action="store_true", help="keep the backlogs and outputs (printed at the end)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="vnclean-scale-"))
    env = {**os.environ, "ARGOS_PACKAGES_DIR": str(work / "argos"), "COLUMNS": "120"}
    env.pop("PREFECT_API_URL", None)
    (work / "argos").mkdir()
    if args.model == "tiny":
        from make_test_model import build_package

        package = build_package(work / "tiny.argosmodel", "tiny")
        subprocess.run([sys.executable, "-m", "vnclean.cli", "model", "install", str(package)], env=env,
                       check=True, stdout=subprocess.DEVNULL)
    print(f"runner {args.runner}, model {args.model}, {os.cpu_count()} cores; work folder {work}")
    print(f"{'processes':>10}{'documents':>10}{'seconds':>9}{'docs/s':>8}{'vs first':>9}{'peak RSS':>10}"
          f"{'tree RSS':>10}{'API RSS':>9}{'workers':>9}{'first out':>10}{'failed':>8}{'report':>10}{'exit':>6}")
    base = None
    for n in sizes:
        inp = work / f"in-{n}"
        subprocess.run([sys.executable, str(ROOT / "scripts" / "make_backlog.py"), str(inp), "--docs", str(n),
                        "--seed", str(args.seed)], check=True, stdout=subprocess.DEVNULL)
        for processes in [int(p) for p in args.processes.split(",")]:
            out = work / f"out-{n}-{processes}"
            r = run_once(inp, out, args.runner, env, processes)
            rate = r["written"] / r["seconds"]
            base = base or rate
            first = f"{r['first']:.0f} s" if r["first"] is not None else "-"
            print(f"{processes:>10}{n:>10,}{r['seconds']:>9.0f}{rate:>8.1f}{rate / base:>9.2f}"
                  f"{mb(r['peak'], 'own'):>10}{mb(r['peak'], 'tree'):>10}"
                  f"{mb(r['peak'], 'api'):>9}{mb(r['peak'], 'workers'):>9}"
                  f"{first:>10}{r['failed']:>8}"
                  f"{r['report'] / 2**20:>8.1f}MB{r['exit']:>6}", flush=True)
            if r["exit"] not in (0, 1):
                print(r["tail"])
    if not args.keep:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
