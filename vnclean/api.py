"""The temporary Prefect API of a CLI run: served from the run's own process, stopped with it.

Without ``PREFECT_API_URL``, Prefect would serve its temporary API from a child process (a second
Python with its own copy of Prefect: ~220 MB, and a process that a killed run can leave behind).
A ``vnclean run`` serves the same API app (Prefect's ``create_app(ephemeral=True)``, the same
SQLite database) from a thread of its own process instead, on a socket it opened itself, and
points Prefect's settings at it (``PREFECT_API_URL``; worker processes and Dask workers inherit
it): about 170 MB less per run, and nothing outlives the run, whatever kills it. On Ctrl-C or
SIGTERM, :func:`shutdown` gives Prefect's log and event workers a few seconds to send what they
hold and then stops the server: the run ends within seconds instead of retrying against a
stopped API.
"""
from __future__ import annotations

import atexit
import ctypes
import os
import signal
import socket
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import uvicorn

PR_SET_PDEATHSIG = 1
DRAIN_SECONDS = 3.0  # per Prefect worker (logs, events) when a run is interrupted
STOP_SECONDS = 5.0  # for the server thread to end its requests and its services


def _die_with_parent() -> None:  # runs in a worker process
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class InProcessAPI:
    """Prefect's API app served by uvicorn from a daemon thread of this process."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))  # a free port, held from now on (no race with another run)
        self.api_url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/api"
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def start(self, timeout: float) -> None:
        """Serve, and return once the API answers (RuntimeError after ``timeout`` seconds)."""
        import httpx
        import uvicorn
        from prefect.server.api.server import create_app

        config = uvicorn.Config(create_app(ephemeral=True, final=True), log_level="error", lifespan="on")
        self.server = uvicorn.Server(config)  # in a thread, uvicorn leaves the signals to the main thread
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       name="vnclean-api", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + timeout
        with httpx.Client() as client:
            while time.monotonic() < deadline:
                if not self.thread.is_alive():
                    raise RuntimeError("Prefect's temporary API did not start (see the log above)")
                try:
                    if client.get(f"{self.api_url}/health", timeout=5).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
        raise RuntimeError(f"Prefect's temporary API did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        if self.server is not None and self.thread is not None and self.thread.is_alive():
            self.server.should_exit = True
            self.thread.join(STOP_SECONDS)
        self.sock.close()


_server: InProcessAPI | None = None


def start_temporary_api() -> None:
    """Serve Prefect's temporary API from this process now, and point Prefect at it (nothing when
    an API is set)."""
    global _server
    from prefect.context import refresh_global_settings_context
    from prefect.settings import get_current_settings

    if os.environ.get("PREFECT_API_URL") or get_current_settings().api.url or _server is not None:
        return
    server = InProcessAPI()
    server.start(float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")))
    _server = server
    # registered before Prefect's log and event workers start (atexit runs last what came first):
    # they send what they hold at exit, then the server stops
    atexit.register(server.stop)
    os.environ["PREFECT_API_URL"] = server.api_url  # for this process's settings and every child
    refresh_global_settings_context()


def api_url() -> str | None:
    """The API this process's runs report to: ``PREFECT_API_URL`` (or Prefect's setting), else the
    temporary API started here; None before one is known. Worker processes that run task runs
    (Dask) are given it: without it each would start a temporary API of its own."""
    from prefect.settings import get_current_settings

    url = os.environ.get("PREFECT_API_URL") or get_current_settings().api.url
    return url or (_server.api_url if _server is not None else None)


def shutdown() -> None:
    """Send what Prefect's workers still hold (a few seconds at most), then stop the temporary API."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        try:
            worker.drain_all(timeout=DRAIN_SECONDS)
        except Exception:  # noqa: BLE001 - an interrupted run must end whatever its workers say
            pass
    if _server is not None:
        try:
            _server.stop()
        except Exception:  # noqa: BLE001 - the process ends right after
            pass
