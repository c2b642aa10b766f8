"""Test isolation: no test touches the user's Argos packages, Prefect home or the network."""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_SANDBOX = Path(tempfile.mkdtemp(prefix="vnclean-tests-"))
# Before anything imports argostranslate or Prefect (both read these at import time).
os.environ["XDG_DATA_HOME"] = str(_SANDBOX / "xdg")
os.environ["ARGOS_PACKAGES_DIR"] = str(_SANDBOX / "argos-empty")
os.environ["ARGOS_PACKAGE_INDEX"] = "http://127.0.0.1:9/argos-index/"  # nothing listens: fails at once
os.environ["PREFECT_HOME"] = str(_SANDBOX / "prefect")
os.environ["PREFECT_RESULTS_LOCAL_STORAGE_PATH"] = str(_SANDBOX / "prefect-results")
os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
os.environ["VNCLEAN_NETWORK_TIMEOUT"] = "3"
Path(os.environ["ARGOS_PACKAGES_DIR"]).mkdir(parents=True, exist_ok=True)
sys.path.insert(0, str(ROOT / "scripts"))

# Property tests: the same examples on every run by default, so CI is deterministic (a red CI must
# mean a regression, not a new random draw); HYPOTHESIS_PROFILE=explore draws fresh ones each run.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
_hypothesis_settings.register_profile("explore", max_examples=1000, deadline=None, print_blob=True)
_hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

INPUT = ROOT / "input"
SEED_IDS = sorted(p.stem for p in INPUT.glob("*.txt"))


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_SANDBOX, ignore_errors=True)


@pytest.fixture(scope="session")
def prefect_api():
    """Prefect's test API, started once for every end-to-end test module."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture(scope="session")
def seed_paths() -> list[Path]:
    return sorted(INPUT.glob("*.txt"))


@pytest.fixture(scope="session")
def tiny_model_file(tmp_path_factory) -> Path:
    """A real Argos vi→en package with seeded random weights (scripts/make_test_model.py)."""
    from make_test_model import build_package

    return build_package(tmp_path_factory.mktemp("model") / "translate-vi_en-test.argosmodel", "tiny")


@pytest.fixture
def argos_dir(tmp_path, monkeypatch) -> Path:
    """An empty ARGOS_PACKAGES_DIR of the test's own."""
    folder = tmp_path / "argos-packages"
    folder.mkdir()
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(folder))
    return folder


@pytest.fixture
def tiny_model(argos_dir, tiny_model_file):
    from vnclean.tasks.argos import install_from_file

    return install_from_file(tiny_model_file)


@pytest.fixture
def input_copy(tmp_path) -> Path:
    folder = tmp_path / "input"
    shutil.copytree(INPUT, folder)
    return folder
