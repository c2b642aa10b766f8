"""A process-local hook the CLI uses to draw its progress bar while the flow runs."""
from __future__ import annotations

import threading
from collections.abc import Callable

_listeners: list[Callable[[str, str], None]] = []
_lock = threading.Lock()


def subscribe(listener: Callable[[str, str], None]) -> None:
    with _lock:
        _listeners.append(listener)


def unsubscribe(listener: Callable[[str, str], None]) -> None:
    with _lock:
        if listener in _listeners:
            _listeners.remove(listener)


def notify(doc_id: str, status: str) -> None:
    """Called once per document when it is done (written, rejected or failed)."""
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        listener(doc_id, status)
