"""Defaults that must be in the environment before Prefect is imported.

Prefect runs with its temporary local API (no server, no account); telemetry off, because it
would try the network; a longer start timeout, because a cold machine needs more than 20 s.
A user's own settings (e.g. PREFECT_API_URL for a real server) win over these defaults.
"""
import os

DEFAULTS = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_LOGGING_LEVEL": os.environ.get("PREFECT_LOGGING_LEVEL", "INFO"),
    # warnings of the stage code (e.g. a cache file set aside) reach the flow run's logs in the UI
    "PREFECT_LOGGING_EXTRA_LOGGERS": "vnclean",
    # ... and outside a flow run (the stages called as a library, tests) they go to the console only,
    # without a warning per record that there is no run to send them to
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
}
for key, value in DEFAULTS.items():
    os.environ.setdefault(key, value)
