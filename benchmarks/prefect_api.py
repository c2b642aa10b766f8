"""Task runs per second a Prefect API sustains here, side by side in one run: the temporary API a
`vnclean run` serves from its own process (vnclean/api.py), Prefect's own temporary API (a child
process, what a flow called without `PREFECT_API_URL` gets), and a `prefect server start` on loopback.

Each measurement is a flow that submits N no-op task runs (default 400), at most `--in-flight` at a
time (vnclean's own bound on chunks), on the thread runner, and waits for them: what one task run
costs in API traffic (creation, state changes, their events), with no work inside. vnclean makes
one task run per chunk (up to 500 documents), so a 100,000-document backlog needs ~200 of them:
the API is far from its limit; the old design (five task runs per chunk of 50, all submitted at
once) needed 10,000 and timed out.

    python benchmarks/prefect_api.py [--runs 400] [--in-flight 2]
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import sys, time
from collections import deque
from prefect import flow, task

@task
def noop(i: int) -> int:
    return i

@flow
def many(n: int, in_flight: int) -> float:
    start = time.perf_counter()
    pending = deque()
    for i in range(n):
        while len(pending) >= in_flight:
            pending.popleft().result()
        pending.append(noop.submit(i))
    while pending:
        pending.popleft().result()
    return time.perf_counter() - start

n, in_flight = int(sys.argv[1]), int(sys.argv[2])
if sys.argv[3] == "in-process":
    from vnclean import api

    api.start_temporary_api()
many(5, in_flight)  # warm up: the API and the client are up
print(n / many(n, in_flight))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(env: dict[str, str], runs: int, in_flight: int, how: str = "") -> float:
    out = subprocess.run([sys.executable, "-c", CHILD, str(runs), str(in_flight), how or "-"], env=env,
                         capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise SystemExit(out.stderr[-2000:])
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=400)
    ap.add_argument("--in-flight", type=int, default=2)
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="vnclean-api-"))
    base = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
            "PREFECT_LOGGING_LEVEL": "WARNING", "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120"}
    base.pop("PREFECT_API_URL", None)
    in_process = measure(base, args.runs, args.in_flight, "in-process")
    temporary = measure(base, args.runs, args.in_flight)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port",
                               str(port)], env=base, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import httpx

        url = f"http://127.0.0.1:{port}/api"
        for _ in range(600):
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        dedicated = measure({**base, "PREFECT_API_URL": url}, args.runs, args.in_flight)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"{args.runs} no-op task runs, {args.in_flight} in flight, {os.cpu_count()} cores")
    print(f"{'API':<28}{'task runs/s':>12}{'ratio':>8}")
    print(f"{'in-process (vnclean run)':<28}{in_process:>12.1f}{1.0:>8.2f}")
    print(f"{'temporary (Prefect, child)':<28}{temporary:>12.1f}{temporary / in_process:>8.2f}")
    print(f"{'prefect server start':<28}{dedicated:>12.1f}{dedicated / in_process:>8.2f}")


if __name__ == "__main__":
    main()
