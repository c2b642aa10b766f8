"""The temporary Prefect API of a CLI run: tied to this process, and shut down within a deadline.

Without ``PREFECT_API_URL``, Prefect serves its API from a child process for the run. vnclean
starts that child itself, in the main thread, with the kernel told to stop it when this process
dies (Linux ``PR_SET_PDEATHSIG``), so that even a run killed with SIGKILL leaves no API server
behind. On Ctrl-C or SIGTERM, :func:`shutdown` gives Prefect's log and event workers a few
seconds to send what they hold and then stops the server: the run ends within seconds instead
of retrying against a stopped API.
"""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys

PR_SET_PDEATHSIG = 1
DRAIN_SECONDS = 3.0  # per Prefect worker (logs, events) when a run is interrupted


def _die_with_parent() -> None:  # runs in the child between fork and exec
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class _TiedSubprocess:
    """The ``subprocess`` module as Prefect's server module sees it: its children die with us."""

    def __getattr__(self, name: str):
        return getattr(subprocess, name)

    @staticmethod
    def Popen(*args, **kwargs):  # noqa: N802 - the name Prefect calls
        if sys.platform == "linux":
            kwargs.setdefault("preexec_fn", _die_with_parent)
        return subprocess.Popen(*args, **kwargs)


_server = None


def start_temporary_api() -> None:
    """Start Prefect's temporary API now, tied to this process (nothing when an API is set)."""
    global _server
    from prefect.settings import get_current_settings

    if os.environ.get("PREFECT_API_URL") or get_current_settings().api.url or _server is not None:
        return
    import prefect.server.api.server as server_module

    server_module.subprocess = _TiedSubprocess()  # type: ignore[assignment]  # stands in for the module there
    _server = server_module.SubprocessASGIServer()  # the instance Prefect's clients use
    _server.start()


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
        except Exception:  # noqa: BLE001
            pass
