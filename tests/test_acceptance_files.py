"""tests/acceptance/ is a verbatim copy of ../shared/acceptance, so the repo stands alone."""
from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent / "acceptance"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "acceptance"


@pytest.mark.parametrize("name", ["check.py", "seeds.json"])
def test_copy_matches_shared(name):
    if not SHARED.is_dir():
        pytest.skip("no ../shared beside this checkout")
    assert (HERE / name).read_bytes() == (SHARED / name).read_bytes()


def test_input_holds_the_seeds():
    seeds = Path(__file__).resolve().parents[1] / "input"
    import json

    expected = json.loads((HERE / "seeds.json").read_text(encoding="utf-8"))
    assert sorted(p.stem for p in seeds.glob("*.txt")) == sorted(expected)
