"""The data files that hold the stages' thresholds, weights and word lists (issue 14): each loads and
validates, each value has its reason in a comment above it, and an edited copy with a bad value,
a value of the wrong type, an unknown key or a missing one is rejected at load, naming the key."""
from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from vnclean.tasks import boilerplate, repair

DATA = Path(boilerplate.__file__).parent / "data"

# data file -> its loader (each takes the file's path; functools.cache: a copy is read afresh)
LOADERS: dict[str, Callable[[Path], object]] = {
    "strip/boilerplate.toml": boilerplate.load_thresholds,
    "strip/boilerplate_words.toml": boilerplate.load_words,
    "repair/repair.toml": repair.load_repair_settings,
    "repair/text_rules.toml": repair.load_text_rules,
}

# (data file, key, a bad value, what the error says besides the key's name)
BAD_VALUES = [
    ("strip/boilerplate.toml", "title_max_words", "-1", "greater than or equal to 1"),
    ("strip/boilerplate.toml", "title_max_words", '"forty"', "valid integer"),
    ("strip/boilerplate.toml", "title_max_words", "40.5", "valid integer"),  # a count is not rounded
    ("strip/boilerplate.toml", "slug_overlap", "1.5", "less than or equal to 1"),
    ("strip/boilerplate_words.toml", "agencies", "[]", "at least 1 item"),
    ("strip/boilerplate_words.toml", "agencies", '"AFP"', "valid list"),
    ("strip/boilerplate_words.toml", "agencies", '["AFP", "Reuters "]', "should match pattern"),
    ("strip/boilerplate_words.toml", "photo_number_words", '["Ảnh"]', "lower case"),
    ("repair/repair.toml", "flag_threshold", "1.5", "less than or equal to 1"),
    ("repair/repair.toml", "flag_threshold", '"0.2"', "valid number"),
    ("repair/repair.toml", "table", "0", "greater than 0"),  # [confidence]
    ("repair/repair.toml", "per_words", "0", "greater than or equal to 1"),  # [score]
    ("repair/repair.toml", "non_vietnamese", "-2.0", "greater than or equal to 0"),
    ("repair/repair.toml", "honorifics", "[]", "at least 1 item"),  # [words]
    ("repair/text_rules.toml", "pattern", "'(unclosed'", "is not a regex"),
    ("repair/text_rules.toml", "replacement", "'\\1'", "names a group the pattern lacks"),  # ", ." has no group
    ("repair/text_rules.toml", "flagged_only", '"no"', "valid boolean"),
]

# data file -> a key written on one line, taken out to test a missing key
ONE_LINE_KEY = {
    "strip/boilerplate.toml": "title_max_words",
    "strip/boilerplate_words.toml": "agencies",
    "repair/repair.toml": "flag_threshold",
    "repair/text_rules.toml": "hint",
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
    return lambda text: re.sub(rf"(?m)^{key} = .*$", lambda _: f"{key} = {value}", text, count=1)


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_each_file_loads_and_is_read_once(name):
    loader = LOADERS[name]
    assert loader(DATA / name) is loader(DATA / name)


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_each_value_has_its_reason_above_it(name):
    """Every key (or run of keys set together, such as a low and a high bound; or a [[rule]] of
    several keys) follows a comment."""
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    assignment = re.compile(r"^[a-z_]+ = ")
    for i, line in enumerate(lines):
        if assignment.match(line):
            j = i - 1
            while j >= 0 and (assignment.match(lines[j]) or lines[j].startswith("[[")):
                j -= 1
            assert j >= 0 and lines[j].startswith("#"), f"{name}: {line.split(' =')[0]} has no comment with its reason"


@pytest.mark.parametrize(("name", "key", "value", "message"), BAD_VALUES)
def test_a_bad_value_is_rejected_naming_the_key(tmp_path, name, key, value, message):
    with pytest.raises(ValueError, match=rf"(?s)invalid.*\b{key}\b.*{re.escape(message)}"):
        LOADERS[name](_copy(tmp_path, name, _set(key, value)))


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_an_unknown_key_is_rejected_naming_it(tmp_path, name):
    def misspelt(text: str) -> str:  # a key added at the top level, before any [table]
        return "tittle_max_words = 40\n" + text
    with pytest.raises(ValueError, match=r"(?s)invalid.*\btittle_max_words\b.*Extra inputs are not permitted"):
        LOADERS[name](_copy(tmp_path, name, misspelt))


@pytest.mark.parametrize("name", sorted(ONE_LINE_KEY))
def test_a_missing_key_is_rejected_naming_it(tmp_path, name):
    key = ONE_LINE_KEY[name]
    with pytest.raises(ValueError, match=rf"(?s)invalid.*\b{key}\b.*Field required"):
        LOADERS[name](_copy(tmp_path, name, lambda text: re.sub(rf"(?m)^{key} = .*\n", "", text, count=1)))


def test_the_error_names_the_file(tmp_path):
    path = _copy(tmp_path, "strip/boilerplate.toml", _set("caption_max_words", "0"))
    with pytest.raises(ValueError, match=re.escape(str(path))):
        boilerplate.load_thresholds(path)


def test_the_files_ship_with_the_package(tmp_path):
    """Read as the installed package reads them, from outside the checkout."""
    code = ("from vnclean.tasks.boilerplate import load_thresholds, load_words; "
            "from vnclean.tasks.repair import load_repair_settings, load_text_rules; "
            "print(load_thresholds().title_max_words, load_words().agencies[0], "
            "load_repair_settings().flag_threshold, load_text_rules().rules[0].kind)")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["40", "AFP", "0.2", "punctuation"]


def test_the_loaded_values_are_the_ones_the_code_uses():
    """The module-level copies the stages read are the files' (loaded once, not edited on the way)."""
    assert boilerplate._LIMIT is boilerplate.load_thresholds()
    assert boilerplate._WORD is boilerplate.load_words()
    assert repair._SETTINGS is repair.load_repair_settings()
    assert [rule.pattern for rule in repair.load_text_rules().rules] == [p.pattern for _, p, _, _, _ in repair._RULES]
