"""How a run ends in Prefect: a truthful final state and events to alert on.

A run with failed documents (or documents written without their English because translation
failed, or stopped by a full or read-only output folder) ends **Failed**; a run whose only
problems are rejected files ends Completed with a message saying so, or Failed with
``fail_on_rejected``. Everything (documents, ``_run.json``, ``report.html``, artifacts) is written
before the state is decided. The Failed state carries :class:`RunFailed`, so calling the flow
from Python raises it, with the run's summary in ``.summary``.

Events (``prefect.events.emit_event``; the flow run is attached as a related resource):

- ``vnclean.document.failed`` per failed document (at most ``MAX_DOCUMENT_EVENTS`` a run),
  resource ``vnclean.document.<id>``, payload ``id``, ``status``, ``translation``, ``reason``;
- ``vnclean.run.finished`` once, resource ``vnclean.output.<output folder>`` with the label
  ``vnclean.state`` (``Completed`` or ``Failed``, for an automation to match), payload the counts
  (``ok``, ``rejected``, ``failed``, ``waiting``, ``translation_failed``, ``processed``, ``inputs``,
  ``skipped``), ``state`` (``Completed`` or ``Failed``), ``message`` and ``stopped``.
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from prefect.events import emit_event
from prefect.states import Completed, Failed, State

from vnclean.tasks.runrecord import RunSummary

RUN_FINISHED = "vnclean.run.finished"
DOCUMENT_FAILED = "vnclean.document.failed"
MAX_DOCUMENT_EVENTS = 100  # a run that fails thousands of documents sends the first 100 (and the count)


class RunFailed(RuntimeError):
    """Raised by a direct call of the flow that ended Failed; ``summary`` is what it would have returned."""

    def __init__(self, message: str, summary: dict) -> None:
        super().__init__(message, summary)
        self.summary = summary

    def __str__(self) -> str:
        return self.args[0]


def verdict(summary: RunSummary, fail_on_rejected: bool = False) -> tuple[bool, str]:
    """(failed, message) for the run's final state."""
    n = summary.processed
    failed, rejected = summary.count("failed"), summary.count("rejected")
    parts = []
    if summary.stopped:
        parts.append(f"stopped: {summary.stopped}")
    if failed:
        parts.append(f"{failed} of {n} documents failed (see _failed/ and report.html)")
    if summary.translation_failed:
        parts.append(f"{summary.translation_failed} of {n} documents written without English: translation failed")
    if rejected:
        parts.append(f"{rejected} of {n} files rejected (see _rejected/)"
                     + ("" if fail_on_rejected else "; fail_on_rejected makes this Failed"))
    if summary.count("waiting"):
        parts.append(f"{summary.count('waiting')} documents wait for the model")
    is_failed = bool(summary.stopped or failed or summary.translation_failed or (fail_on_rejected and rejected))
    if not parts:
        parts.append(f"{summary.count('ok')} documents ok" if n else "nothing new to process")
    return is_failed, "; ".join(parts)


def emit_events(summary: RunSummary, state: str, message: str) -> None:
    """``vnclean.document.failed`` per failed document (capped), then ``vnclean.run.finished``."""
    output = str(Path(summary.output_dir).resolve())
    sent = 0
    for row in summary.rows:
        if row.status != "failed" and not (row.status == "ok" and row.translation == "failed"):
            continue
        if sent == MAX_DOCUMENT_EVENTS:
            break
        emit_event(event=DOCUMENT_FAILED,
                   resource={"prefect.resource.id": f"vnclean.document.{row.id}", "prefect.resource.name": row.id},
                   related=[{"prefect.resource.id": f"vnclean.output.{output}", "prefect.resource.role": "output"}],
                   payload={"id": row.id, "status": row.status, "translation": row.translation,
                            "reason": row.reason})
        sent += 1
    counts = {status: summary.count(status) for status in ("ok", "rejected", "failed", "waiting")}
    emit_event(event=RUN_FINISHED,
               resource={"prefect.resource.id": f"vnclean.output.{output}", "prefect.resource.name": output,
                         "vnclean.state": state},
               payload={**counts, "translation_failed": summary.translation_failed, "processed": summary.processed,
                        "inputs": summary.inputs, "skipped": summary.skipped, "state": state, "message": message,
                        "stopped": summary.stopped, "document_events": sent, "seconds": summary.seconds})


def final_state(summary: RunSummary, fail_on_rejected: bool = False) -> State:
    """Send the run's events and return its final state (Failed carries :class:`RunFailed`)."""
    is_failed, message = verdict(summary, fail_on_rejected)
    emit_events(summary, "Failed" if is_failed else "Completed", message)
    result = asdict(summary)
    if is_failed:
        return Failed(message=message, data=RunFailed(message, result))
    return Completed(message=message, data=result)
