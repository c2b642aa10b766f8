"""vnclean installs one import package: the stage modules and the flows are vnclean.tasks and
vnclean.flows (pyproject.toml's package-dir), nothing named "tasks" or "flows" at the top level
that could clash with another project's in a shared Prefect environment."""
from __future__ import annotations

import subprocess
import sys


def test_only_vnclean_is_importable_outside_the_checkout(tmp_path):
    code = ("import importlib.util as u, vnclean.tasks.blocks as b, vnclean.flows.chunk as c; "
            "print(u.find_spec('tasks'), u.find_spec('flows'), b.read_text('x').units[0].text, "
            "c.run_chunk.__module__)")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["None", "None", "x", "vnclean.flows.chunk"]


def test_the_data_files_ship_with_the_package(tmp_path):
    code = ("from vnclean.tasks.classify import load_settings, load_stopwords; "
            "from vnclean.tasks.boilerplate import load_profiles; "
            "print(load_settings().length_low, len(load_stopwords()) > 100, len(load_profiles().sites) > 3)")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["70", "True", "True"]
