"""The data files that hold the stages' thresholds, weights and word lists (issue 14): each loads and
validates, each value has its reason in a comment above it, and an edited copy with a bad value,
a value of the wrong type, an unknown key or a missing one is rejected at load, naming the key."""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from vnclean.tasks import boilerplate

DATA = Path(boilerplate.__file__).parent / "data"

# data file -> its loader (each takes the file's path; functools.cache: a copy is read afresh)
LOADERS: dict[str, Callable[[Path], object]] = {
    "strip/boilerplate.toml": boilerplate.load_thresholds,
}

# data file -> (a key, a valid value of another type, a value out of its range)
BAD_VALUES = {
    "strip/boilerplate.toml": ("title_max_words", '"forty"', "-1"),
}


def _copy(tmp_path: Path, name: str, edit: Callable[[str], str]) -> Path:
    text = (DATA / name).read_text(encoding="utf-8")
    edited = edit(text)
    assert edited != text, "the edit changed nothing"
    path = tmp_path / Path(name).name
    path.write_text(edited, encoding="utf-8")
    return path


def _set(key: str, value: str) -> Callable[[str], str]:
    """Replace the value of ``key`` (a line ``key = …`` at the start of a line)."""
    return lambda text: re.sub(rf"(?m)^{key} = .*$", f"{key} = {value}", text, count=1)


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_each_file_loads_and_is_read_once(name):
    loader = LOADERS[name]
    assert loader(DATA / name) is loader(DATA / name)


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_each_value_has_its_reason_above_it(name):
    """Every key (or run of keys set together, such as a low and a high bound) follows a comment."""
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    assignment = re.compile(r"^[a-z_]+ = ")
    for i, line in enumerate(lines):
        if assignment.match(line):
            j = i - 1
            while j >= 0 and assignment.match(lines[j]):
                j -= 1
            assert j >= 0 and lines[j].startswith("#"), f"{name}: {line.split(' =')[0]} has no comment with its reason"


@pytest.mark.parametrize("name", sorted(BAD_VALUES))
def test_a_value_out_of_range_is_rejected_naming_the_key(tmp_path, name):
    key, _, out_of_range = BAD_VALUES[name]
    with pytest.raises(ValueError, match=rf"(?s)invalid.*\b{key}\b.*greater than"):
        LOADERS[name](_copy(tmp_path, name, _set(key, out_of_range)))


@pytest.mark.parametrize("name", sorted(BAD_VALUES))
def test_a_value_of_the_wrong_type_is_rejected_naming_the_key(tmp_path, name):
    key, wrong_type, _ = BAD_VALUES[name]
    with pytest.raises(ValueError, match=rf"(?s)invalid.*\b{key}\b.*valid"):
        LOADERS[name](_copy(tmp_path, name, _set(key, wrong_type)))


@pytest.mark.parametrize("name", sorted(BAD_VALUES))
def test_a_fractional_count_is_not_rounded(tmp_path, name):
    key, _, _ = BAD_VALUES[name]
    with pytest.raises(ValueError, match=rf"(?s)\b{key}\b.*valid integer"):
        LOADERS[name](_copy(tmp_path, name, _set(key, "40.5")))


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_an_unknown_key_is_rejected_naming_it(tmp_path, name):
    def misspelt(text: str) -> str:  # a key added at the top level, before any [table]
        return "tittle_max_words = 40\n" + text
    with pytest.raises(ValueError, match=r"(?s)invalid.*\btittle_max_words\b.*Extra inputs are not permitted"):
        LOADERS[name](_copy(tmp_path, name, misspelt))


@pytest.mark.parametrize("name", sorted(BAD_VALUES))
def test_a_missing_key_is_rejected_naming_it(tmp_path, name):
    key = BAD_VALUES[name][0]
    with pytest.raises(ValueError, match=rf"(?s)invalid.*\b{key}\b.*Field required"):
        LOADERS[name](_copy(tmp_path, name, lambda text: re.sub(rf"(?m)^{key} = .*\n", "", text, count=1)))


def test_the_error_names_the_file(tmp_path):
    path = _copy(tmp_path, "strip/boilerplate.toml", _set("caption_max_words", "0"))
    with pytest.raises(ValueError, match=re.escape(str(path))):
        boilerplate.load_thresholds(path)
