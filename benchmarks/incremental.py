"""Incremental-run benchmark: a run over N unchanged inputs (default 10,000) only plans.

Makes N scrapes (copies of the seeds), records them in a manifest as a finished run would (each
file hashed once), then times, side by side: hashing every file (what a run without the manifest
must at least do), the manifest's plan for the unchanged folder (stat only), and a whole Prefect
flow run over the folder (everything skipped), inside the flow and end to end in a new process.

Run: python benchmarks/incremental.py [--files N]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=10_000)
    args = ap.parse_args()
    from vnclean.flows.run import plan_run, version_key
    from vnclean.tasks.argos import find_model
    from vnclean.tasks.manifest import Manifest, file_sha256
    from vnclean.tasks.write import Written

    work = Path(tempfile.mkdtemp(prefix="vnclean-incremental-"))
    inp, out = work / "input", work / "output"
    inp.mkdir()
    seeds = sorted((ROOT / "input").glob("*.txt"))
    for i in range(args.files):
        shutil.copy(seeds[i % len(seeds)], inp / f"{i:05d}.txt")
    files = sorted(str(p) for p in inp.glob("*.txt"))
    model = find_model()
    model_id = model.id if model else None
    version = version_key(model_id)  # what a run with the model in use records

    t = time.perf_counter()
    hashes = [file_sha256(Path(p)) for p in files]
    hash_secs = time.perf_counter() - t
    manifest = Manifest(out / "_manifest.sqlite")
    entries = []  # each input done, with the one output the plan then stats
    for p, h in zip(files, hashes):
        doc = out / f"{Path(p).stem}.json"
        doc.write_bytes(b"{}\n")
        st = doc.stat()
        entries.append((p, h, "ok", Path(p).stem, [Written(doc.name, st.st_size, st.st_mtime_ns,
                                                            hashlib.sha256(b"{}\n").hexdigest())]))
    manifest.record(entries, version)
    manifest.close()
    t = time.perf_counter()
    plan = plan_run(files, out, model_id)  # as a run plans: ids, the manifest's decisions (stat only)
    plan_secs = time.perf_counter() - t
    assert not plan.todo and len(plan.skipped) == len(files)

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = ("import json,sys; from vnclean.flows.pipeline import process_scrapes; "
            "s = process_scrapes(input_dir=sys.argv[1], output_dir=sys.argv[2]); print(json.dumps(s))")
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, str(inp), str(out)], env=env, capture_output=True,
                          text=True, timeout=600)
    process_secs = time.perf_counter() - t
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["skipped"] == len(files) and not summary["rows"], summary
    t = time.perf_counter()
    cli = subprocess.run([str(Path(sys.executable).parent / "vnclean"), "run", "-i", str(inp), "-o", str(out)],
                         env={k: v for k, v in env.items() if k != "PREFECT_API_URL"}, capture_output=True,
                         text=True, timeout=600)
    cli_secs = time.perf_counter() - t
    assert cli.returncode == 0 and "Nothing new" in cli.stdout, cli.stdout + cli.stderr
    print(f"{len(files)} unchanged inputs")
    print(f"{'step':<58}{'seconds':>9}")
    print(f"{'hash every file (the least a run without a manifest does)':<58}{hash_secs:>9.2f}")
    print(f"{'run plan (ids, manifest: stat only)':<58}{plan_secs:>9.2f}")
    print(f"{'flow run, inside the flow (list, plan, record, artifacts)':<58}{summary['seconds']:>9.2f}")
    print(f"{'flow run end to end (new process, temporary Prefect API)':<58}{process_secs:>9.2f}")
    print(f"{'vnclean run end to end (nothing new: Prefect not started)':<58}{cli_secs:>9.2f}")
    print(f"plan is {hash_secs / plan_secs:.1f}x faster than hashing; {plan_secs / len(files) * 1e6:.0f} µs per file")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
