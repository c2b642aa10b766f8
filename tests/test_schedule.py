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


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory):
    """One real Prefect server on loopback for the tests of this module (each its own deployment)."""
    tmp_path = tmp_path_factory.mktemp("server")
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
        assert scheduled["new"] == 1
        assert scheduled["skipped"] == 5
        assert [r["id"] for r in scheduled["rows"]] == ["new_scrape"]
        assert all(r["new"] == 0 and r["skipped"] == 6 for r in runs[2:])  # later runs: nothing to do
        assert (out / "new_scrape.json").is_file()
    finally:
        stop(served)
        serve_log.close()


class Hooks:
    """A webhook receiver on loopback: every POST body it got, as JSON."""

    def __init__(self) -> None:
        import http.server
        import threading

        self.bodies: list[dict] = []
        hooks = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hooks.bodies.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def of(self, event: str) -> list[dict]:
        return [b for b in self.bodies if b["event"] == event]


def test_a_run_with_a_failed_document_ends_failed_and_the_automation_calls_the_webhook(prefect_server, input_copy,
                                                                                      tmp_path, argos_dir):
    """README "Alerts": scripts/alert_automation.py against a real server, a webhook on loopback."""
    url, server_env = prefect_server
    env = {**server_env, "PREFECT_API_URL": url, "ARGOS_PACKAGES_DIR": str(argos_dir)}
    hooks = Hooks()
    made = subprocess.run([sys.executable, str(Path(__file__).parents[1] / "scripts" / "alert_automation.py"),
                           "--webhook-url", hooks.url], env=env, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr[-2000:]
    out = tmp_path / "output"
    (out / "000_63c0ffbfaf89c8e9.json").mkdir(parents=True)  # a folder where the JSON goes: its write fails
    (input_copy / "empty.txt").write_bytes(b"")  # rejected
    run = subprocess.run([str(BIN / "vnclean"), "run", "-i", str(input_copy), "-o", str(out)], env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    (flow_run,) = [r for r in flow_runs(url) if r.deployment_id is None and r.parameters["output_dir"] == str(out)]
    assert flow_run.state.is_failed()
    assert flow_run.state.message == ("1 of 6 documents failed (see _failed/ and report.html); "
                                      "1 of 6 files rejected (see _rejected/); fail_on_rejected makes this Failed")
    # everything was written before the state was set
    record = json.loads((out / "_run.json").read_text(encoding="utf-8"))
    assert record["counts"] == {"ok": 4, "failed": 1, "rejected": 1}
    assert (out / "report.html").is_file()
    assert (out / "_failed" / "000_63c0ffbfaf89c8e9.json").is_file()

    wait_for(lambda: hooks.of("vnclean.run.finished") and hooks.of("vnclean.document.failed"), 45,
             "the automation's webhook calls")
    (finished,) = hooks.of("vnclean.run.finished")
    assert finished["resource"] == f"vnclean.output.{out.resolve()}"
    payload = finished["payload"]
    assert (payload["ok"], payload["failed"], payload["rejected"], payload["processed"]) == (4, 1, 1, 6)
    assert payload["state"] == "Failed"
    assert payload["message"] == flow_run.state.message
    (document,) = hooks.of("vnclean.document.failed")
    assert document["resource"] == "vnclean.document.000_63c0ffbfaf89c8e9"
    assert "IsADirectoryError" in document["payload"]["reason"]

    # the folder is a file again: the retried document is written, the run Completed, no webhook call
    (out / "000_63c0ffbfaf89c8e9.json").rmdir()
    (input_copy / "empty.txt").unlink()
    again = subprocess.run([str(BIN / "vnclean"), "run", "-i", str(input_copy), "-o", str(out)], env=env,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    runs = [r for r in flow_runs(url) if r.deployment_id is None and r.parameters["output_dir"] == str(out)]
    assert sorted(r.state.type.value for r in runs) == ["COMPLETED", "FAILED"]
    time.sleep(3)  # the automation had 45 s for the first run's calls; a Completed run makes none
    assert len(hooks.of("vnclean.run.finished")) == 1
    hooks.server.shutdown()


def test_serve_passes_the_run_options_and_sigterm_stops_it_and_pauses_the_schedule(prefect_server, input_copy,
                                                                                  tmp_path, tiny_model):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    url, server_env = prefect_server
    env = {**server_env, "PREFECT_API_URL": url, "ARGOS_PACKAGES_DIR": str(tiny_model.path.parent)}
    log = open(tmp_path / "serve.log", "w")
    served = subprocess.Popen([str(BIN / "vnclean"), "serve", "-i", str(input_copy), "-o", str(tmp_path / "out"),
                               "--cron", "0 3 * * *", "--timezone", "Asia/Ho_Chi_Minh", "--name", "options-test",
                               "--chunk-size", "7", "--require-translation", "--fail-on-rejected",
                               "--model", tiny_model.id],
                              env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                              # as nohup or `&` in a script start it: SIGINT ignored, which SIGTERM
                              # must not rely on
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))

    async def deployment():
        async with get_client() as client:
            try:
                return await client.read_deployment_by_name("vnclean/options-test")
            except Exception:  # noqa: BLE001 - not there yet
                return None

    def read():
        with temporary_settings(updates={PREFECT_API_URL: url}):
            return asyncio.run(deployment())

    try:
        made = wait_for(lambda: read() if "polling for" in (tmp_path / "serve.log").read_text() or read() else None,
                        90, "the served deployment")
        assert made.parameters == {"input_dir": str(input_copy.resolve()), "output_dir": str((tmp_path / "out").resolve()),
                                   "chunk_size": 7, "require_translation": True, "fail_on_rejected": True,
                                   "wait_for_lock": 600.0, "model": "translate-vi_en-0.0.1-test"}
        (schedule,) = made.schedules
        assert (schedule.schedule.cron, schedule.schedule.timezone) == ("0 3 * * *", "Asia/Ho_Chi_Minh")
        assert schedule.active
        assert not made.paused
        served.send_signal(signal.SIGTERM)  # systemd, docker stop
        assert served.wait(60) == 0  # the pause waits up to 20 s for a slow API; a loaded CI machine is slow
    finally:
        stop(served)
        log.close()
    said = (tmp_path / "serve.log").read_text()
    assert "Traceback" not in said, said[-3000:]
    assert "its schedule is paused" in said, said[-3000:]
    assert read().paused


def test_served_runs_use_the_runner_serve_was_given():
    """`serve --runner dask` sets VNCLEAN_RUNNER; a served run's process loads the flow with it."""
    code = "import vnclean.flows.pipeline as p; print(type(p.process_scrapes.task_runner).__name__)"
    root = Path(__file__).parents[1]
    for runner, expected in (("dask", "DaskTaskRunner"), ("threads", "ThreadPoolTaskRunner")):
        done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "VNCLEAN_RUNNER": runner, "PYTHONPATH": str(root)})
        assert done.stdout.strip() == expected, done.stderr[-2000:]
