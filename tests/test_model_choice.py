"""Model choice (issue 18 item 3): which vi→en package runs, and what a change of package redoes.

Two real tiny packages built by scripts/make_test_model.py: SentencePiece, version 1.0 (no code in
its metadata: named translate-vi_en-1.0), and BPE, version 1.1, code translate-vi_en_opus.
"""
from __future__ import annotations

import filecmp
import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vnclean.tasks.argos import find_model, install_from_file, installed_models
from vnclean.cli import app

SP, BPE = "translate-vi_en-1.0", "translate-vi_en_opus-1.1"


@pytest.fixture(scope="session")
def sp_file(tmp_path_factory) -> Path:
    from make_test_model import build_package

    return build_package(tmp_path_factory.mktemp("sp10") / "translate-vi_en-1_0.argosmodel", "tiny", version="1.0")


@pytest.fixture(scope="session")
def bpe_file(tmp_path_factory) -> Path:
    from make_test_model import build_package

    return build_package(tmp_path_factory.mktemp("bpe11") / "translate-vi_en_opus-1_1.argosmodel", "tiny",
                         version="1.1", tokenizer="bpe", code="translate-vi_en_opus")


@pytest.fixture
def two_models(argos_dir, sp_file, bpe_file, monkeypatch):
    monkeypatch.delenv("VNCLEAN_MODEL", raising=False)
    return install_from_file(sp_file), install_from_file(bpe_file)


def cli(*args: str):
    return CliRunner().invoke(app, list(args))


def marked(output: str) -> list[str]:
    """The packages `model list` marks in use (the table row whose first cell is '*')."""
    rows = [line.strip("│┃ ").split("│") for line in output.splitlines() if "│" in line]
    return [cells[1].strip() for cells in rows if len(cells) > 1 and cells[0].strip() == "*"]


def test_install_names_each_package_code_version(two_models):
    sp, bpe = two_models
    assert (sp.id, bpe.id) == (SP, BPE)  # install_from_file returns the package it unpacked, not the newest
    assert sorted(m.id for m in installed_models()) == sorted([SP, BPE])
    assert (bpe.path / "bpe.model").is_file()
    assert (sp.path / "sentencepiece.model").is_file()


def test_model_list_marks_the_newest_or_the_package_chosen_by_flag_or_env(two_models, monkeypatch):
    said = cli("model", "list")
    assert said.exit_code == 0
    assert marked(said.output) == [BPE]
    assert f"In use: {BPE} (the newest vi→en package by version" in said.output
    assert find_model().id == BPE

    said = cli("model", "list", "--model", SP)
    assert said.exit_code == 0
    assert marked(said.output) == [SP]
    assert f"In use: {SP} (--model)" in said.output

    monkeypatch.setenv("VNCLEAN_MODEL", SP)
    said = cli("model", "list")
    assert said.exit_code == 0
    assert marked(said.output) == [SP]
    assert f"In use: {SP} (VNCLEAN_MODEL)" in said.output
    assert find_model().id == SP
    assert find_model(BPE).id == BPE  # the flag wins over the environment


def test_an_unknown_choice_is_one_line_exit_2_listing_what_is_installed(two_models, input_copy, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "vnclean.flows.pipeline", None)  # Prefect must not start
    listed = f"installed: {SP}, {BPE}"
    for args, said in {
        ("model", "list", "--model", "translate-vi_en-9.9"):
            f"vnclean: --model 'translate-vi_en-9.9' is not an installed vi→en package; {listed}",
        ("run", "-i", str(input_copy), "-o", str(tmp_path / "out"), "--model", "1.0"):
            f"vnclean: --model '1.0' is not an installed vi→en package; {listed}",
    }.items():
        result = cli(*args)
        assert (result.exit_code, result.output.strip()) == (2, said)
    monkeypatch.setenv("VNCLEAN_MODEL", "translate-vi_en-2.0")
    result = cli("run", "-i", str(input_copy), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert result.output.strip() == f"vnclean: VNCLEAN_MODEL 'translate-vi_en-2.0' is not an installed vi→en package; {listed}"
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")  # serve checks it first; never reached
    result = cli("serve", "-i", str(input_copy), "-o", str(tmp_path / "out"), "--model", "nope-1")
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert listed in result.output
    assert not (tmp_path / "out").exists()


def test_model_remove_removes_one_package_and_refuses_unknown_ones(two_models, argos_dir):
    sp, bpe = two_models
    result = cli("model", "remove", "translate-vi_en-1.2")
    assert (result.exit_code, result.output.strip()) == (
        2, f"vnclean: no installed package 'translate-vi_en-1.2'; installed: {SP}, {BPE}")
    assert bpe.path.is_dir()

    result = cli("model", "remove", BPE)
    assert result.exit_code == 0
    assert not bpe.path.exists()
    assert sp.path.is_dir()
    assert result.output.startswith(f"Removed {BPE} (")
    assert f"In use now: {SP}" in result.output
    assert marked(cli("model", "list").output) == [SP]

    result = cli("model", "remove", SP)
    assert result.exit_code == 0
    assert "No vi→en package left" in result.output
    assert installed_models() == []
    assert list(argos_dir.iterdir()) == []


@pytest.mark.slow
def test_a_package_change_translates_again_and_keeps_the_vietnamese_byte_identical(
        prefect_api, input_copy, tmp_path, argos_dir, sp_file, bpe_file, monkeypatch):
    from test_flow import acceptance, run_flow

    monkeypatch.delenv("VNCLEAN_MODEL", raising=False)
    out = tmp_path / "output"
    docs = sorted(p.stem for p in input_copy.glob("*.txt"))
    install_from_file(sp_file)
    first = run_flow(input_copy, out)  # one package: it is the one in use
    assert first["model"] == SP
    assert first["counts"] == {"ok": 5}
    assert {json.loads((out / f"{d}.json").read_text())["translation"]["model"] for d in docs} == {SP}
    snapshot = tmp_path / "first"
    snapshot.mkdir()
    for d in docs:
        for suffix in (".json", ".vi.txt", ".en.txt"):
            (snapshot / f"{d}{suffix}").write_bytes((out / f"{d}{suffix}").read_bytes())

    install_from_file(bpe_file)  # a newer package: the next run uses it, and it is no downgrade
    said = cli("run", "-i", str(input_copy), "-o", str(out), "--dry-run")
    assert "5 done by another pipeline version or model (5 only to translate again)" in " ".join(said.output.split())
    second = run_flow(input_copy, out)
    assert second["model"] == BPE
    assert second["outdated"] == 5
    assert second["counts"] == {"ok": 5}
    assert "strip" not in second["stage_seconds"]
    assert "repair" not in second["stage_seconds"]  # not cleaned again
    assert second["stage_seconds"]["translate"] > 0
    assert second["cache_misses"] > 0
    for d in docs:
        before = json.loads((snapshot / f"{d}.json").read_text(encoding="utf-8"))
        after = json.loads((out / f"{d}.json").read_text(encoding="utf-8"))
        assert after["translation"]["model"] == BPE
        assert after["translation"]["status"] == "ok"
        assert after["translation"]["paragraphs"] != before["translation"]["paragraphs"]
        assert not filecmp.cmp(out / f"{d}.en.txt", snapshot / f"{d}.en.txt", shallow=False)
        # every field but the translation, byte for byte as written (title, paragraphs, captions,
        # removed, repairs, ..., pipeline_version)
        text_before, text_after = ((p / f"{d}.json").read_text(encoding="utf-8") for p in (snapshot, out))
        assert text_before[:text_before.index('  "translation"')] == text_after[:text_after.index('  "translation"')]
        assert {k: v for k, v in before.items() if k != "translation"} == {
            k: v for k, v in after.items() if k != "translation"}
        assert filecmp.cmp(out / f"{d}.vi.txt", snapshot / f"{d}.vi.txt", shallow=False)
    assert acceptance(out, input_copy, "--require-translation").returncode == 0

    # the user's explicit choice of the older package is theirs: written, not held back; its
    # English comes from the translation memory and every file is again the first run's
    third = run_flow(input_copy, out, model=SP)
    assert third["model"] == SP
    assert third["counts"] == {"ok": 5}
    assert third["cache_misses"] == 0
    assert "strip" not in third["stage_seconds"]
    for d in docs:
        for suffix in (".json", ".vi.txt", ".en.txt"):
            assert filecmp.cmp(out / f"{d}{suffix}", snapshot / f"{d}{suffix}", shallow=False), (d, suffix)
    assert run_flow(input_copy, out, model=SP)["skipped"] == 5  # nothing changed since: nothing done
