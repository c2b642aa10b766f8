"""The scheduled deployment, end to end, against a real local Prefect server on loopback."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(1)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def stop(proc: subprocess.Popen, sig=signal.SIGINT, seconds: float = 20) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(seconds)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def prefect_server(tmp_path):
    port = free_port()
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home"), "PREFECT_SERVER_API_HOST": "127.0.0.1",
           "PREFECT_SERVER_API_PORT": str(port), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    env.pop("PREFECT_API_URL", None)
    log = open(tmp_path / "server.log", "w")
    proc = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/api"
    try:
        wait_for(lambda: healthy(url) or proc.poll() is not None, 120, "the Prefect server")
        assert proc.poll() is None, (tmp_path / "server.log").read_text()[-2000:]
        yield url, env
    finally:
        stop(proc, signal.SIGTERM)
        log.close()


def flow_runs(url: str) -> list:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    async def read():
        async with get_client() as client:
            return await client.read_flow_runs()

    with temporary_settings(updates={PREFECT_API_URL: url}):
        return asyncio.run(read())


def test_served_deployment_processes_only_the_new_scrape(prefect_server, input_copy, tmp_path, argos_dir):
    url, server_env = prefect_server
    env = {**server_env, "PREFECT_API_URL": url, "ARGOS_PACKAGES_DIR": str(argos_dir)}
    out = tmp_path / "output"
    first = subprocess.run([str(BIN / "vnclean"), "run", "-i", str(input_copy), "-o", str(out)], env=env,
                           capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    seed = sorted(input_copy.glob("*.txt"))[0]
    shutil.copy(seed, input_copy / "new_scrape.txt")
    serve_log = open(tmp_path / "serve.log", "w")
    served = subprocess.Popen([str(BIN / "vnclean"), "serve", "-i", str(input_copy), "-o", str(out),
                               "--interval", "5", "--name", "test-schedule"], env=env, stdout=serve_log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def scheduled_run_done():
            runs = [r for r in flow_runs(url) if r.deployment_id is not None]
            return [r for r in runs if r.state and r.state.is_completed()]

        done = wait_for(scheduled_run_done, 180, "a scheduled flow run to complete")
        assert done[0].state.is_completed()
        runs = [json.loads(line) for line in (out / "_runs.jsonl").read_text(encoding="utf-8").splitlines()]
        assert runs[0]["new"] == 5  # the manual run
        scheduled = runs[1]
        assert scheduled["new"] == 1 and scheduled["skipped"] == 5
        assert [r["id"] for r in scheduled["rows"]] == ["new_scrape"]
        assert all(r["new"] == 0 and r["skipped"] == 6 for r in runs[2:])  # later runs: nothing to do
        assert (out / "new_scrape.json").is_file()
    finally:
        stop(served)
        serve_log.close()
