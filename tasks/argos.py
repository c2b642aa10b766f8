"""Argos Translate package management: find, list, install (from the index or a file).

Uses ``argostranslate.package`` (light: no stanza, no torch) for where packages live (its
settings: ARGOS_PACKAGES_DIR, XDG_DATA_HOME, ARGOS_PACKAGE_INDEX) and for unpacking and reading
packages, but does the network itself with a timeout: argostranslate's own ``urlopen`` calls have
none, and its index reader recurses forever when the index cannot be fetched.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

FROM_CODE, TO_CODE = "vi", "en"
NETWORK_TIMEOUT = float(os.environ.get("VNCLEAN_NETWORK_TIMEOUT", "15"))


class ModelError(Exception):
    """A model could not be found, fetched or installed; the message says what to do."""


@dataclass(frozen=True)
class InstalledModel:
    path: Path
    from_code: str
    to_code: str
    version: str
    size_bytes: int
    code: str = ""  # metadata.json's ``code``; argospm's name ``translate-<from>_<to>`` when it has none

    @property
    def id(self) -> str:
        """The package exactly, CODE-VERSION (``translate-vi_en-1.9``): what ``vnclean model list``
        shows, ``--model`` and ``VNCLEAN_MODEL`` name, and documents record in ``translation.model``."""
        code = self.code or f"translate-{self.from_code}_{self.to_code}"
        return f"{code}-{self.version or 'unversioned'}"


def packages_dir() -> Path:
    """Where packages live: ARGOS_PACKAGES_DIR when set (read now, not at import), else
    argostranslate's own setting (settings.json, XDG_DATA_HOME/argos-translate/packages)."""
    if os.environ.get("ARGOS_PACKAGES_DIR"):
        return Path(os.environ["ARGOS_PACKAGES_DIR"])
    from argostranslate import settings

    return Path(settings.package_data_dir)


def _dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def installed_models() -> list[InstalledModel]:
    """Every installed translation package (folders without metadata.json are skipped, not fatal)."""
    found: list[InstalledModel] = []
    base = packages_dir()
    if not base.is_dir():
        return found
    for folder in sorted(base.iterdir()):
        meta_path = folder / "metadata.json"
        if not folder.is_dir() or not meta_path.is_file():
            continue
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if meta.get("type", "translate") != "translate":
            continue
        found.append(InstalledModel(folder, meta.get("from_code", ""), meta.get("to_code", ""),
                                    str(meta.get("package_version", "")), _dir_size(folder),
                                    str(meta.get("code") or "")))
    return found


def vi_en_models() -> list[InstalledModel]:
    return [m for m in installed_models() if (m.from_code, m.to_code) == (FROM_CODE, TO_CODE)]


def newest(models: list[InstalledModel]) -> InstalledModel | None:
    """The newest package by version (PEP 440 order; a version that is not one sorts first)."""
    return max(models, key=lambda m: _version_key(m.version)) if models else None


def find_model(choice: str | None = None) -> InstalledModel | None:
    """The vi→en package in use: ``choice`` (CODE-VERSION, as `vnclean model list` shows it),
    else the one ``VNCLEAN_MODEL`` names, else the newest installed by version; None when no
    vi→en package is installed and none was asked for. A package asked for but not installed is
    a :class:`ModelError` that lists what is installed."""
    models = vi_en_models()
    source = "--model"
    if not choice:
        choice, source = os.environ.get("VNCLEAN_MODEL") or None, "VNCLEAN_MODEL"
    if not choice:
        return newest(models)
    for model in models:
        if model.id == choice:
            return model
    raise ModelError(f"{source} {choice!r} is not an installed vi→en package; installed: "
                     + (", ".join(m.id for m in models) or "none (vnclean model install)"))


def _version_key(version: str) -> tuple:
    from packaging.version import InvalidVersion, Version

    try:
        return (1, Version(version))
    except InvalidVersion:
        return (0, version)


def install_from_file(path: Path) -> InstalledModel:
    """Install a ``.argosmodel`` the user copied in (the offline path)."""
    if not Path(path).is_file():
        raise ModelError(f"{path} does not exist (or is not a file)")
    if not zipfile.is_zipfile(path):
        raise ModelError(f"{path} is not an Argos package (a .argosmodel zip archive)")
    target = packages_dir().resolve()
    with zipfile.ZipFile(path) as archive:
        metas = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith("/metadata.json")]
        if not metas:
            raise ModelError(f"{path} has no <folder>/metadata.json: not an Argos package")
        meta = json.loads(archive.read(metas[0]))
        if meta.get("from_code") != FROM_CODE or meta.get("to_code") != TO_CODE:
            raise ModelError(f"{path} translates {meta.get('from_code')}→{meta.get('to_code')}, not vi→en")
        for member in archive.namelist():
            if target not in (target / member).resolve().parents:
                raise ModelError(f"{path} has a file outside its folder ({member}): refusing to install")
        folder = metas[0].split("/")[0]
        names = set(archive.namelist())
        missing = [what for what, files in (("the model (model/model.bin)", [f"{folder}/model/model.bin"]),
                                            ("a tokenizer (sentencepiece.model or bpe.model)",
                                             [f"{folder}/sentencepiece.model", f"{folder}/bpe.model"]))
                   if not names.intersection(files)]
        if missing:
            raise ModelError(f"{path} is incomplete: it lacks {' and '.join(missing)}; copy the whole file again")
        # argostranslate's install_from_path is this extractall followed by an import of
        # argostranslate.translate (stanza, torch) only to clear a cache: unzip here instead.
        from argostranslate import package

        with package.package_lock:
            archive.extractall(target)
    installed = next((m for m in vi_en_models() if m.path.resolve() == target / folder), None)
    if installed is None:
        raise ModelError(f"unpacked {path} into {target} but found no vi→en package there")
    return installed


def _fetch(url: str, progress: Callable[[int, int], None] | None = None) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=NETWORK_TIMEOUT) as response:
            total = int(response.headers.get("Content-Length") or 0)
            chunks, done = [], 0
            while chunk := response.read(1 << 16):
                chunks.append(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
            return b"".join(chunks)
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        raise ModelError(
            f"cannot reach {url} ({getattr(err, 'reason', err)}). Offline? Copy a vi→en package file "
            "(translate-vi_en-*.argosmodel) to this machine and run `vnclean model install --from FILE`."
        ) from None


def install_from_index(progress: Callable[[int, int], None] | None = None) -> InstalledModel:
    """Update the Argos index, download the newest vi→en package and install it (needs internet)."""
    from argostranslate import settings

    index_url = settings.remote_package_index
    index = json.loads(_fetch(index_url))
    Path(settings.local_package_index).write_bytes(json.dumps(index).encode("utf-8"))
    candidates = [p for p in index if p.get("from_code") == FROM_CODE and p.get("to_code") == TO_CODE]
    if not candidates:
        raise ModelError(f"the Argos index at {index_url} lists no vi→en package")
    best = max(candidates, key=lambda p: _version_key(str(p.get("package_version", ""))))
    errors = []
    for link in best.get("links", []):
        try:
            data = _fetch(link, progress)
        except ModelError as err:
            errors.append(str(err))
            continue
        with tempfile.TemporaryDirectory() as tmp:
            file = Path(tmp) / "translate-vi_en.argosmodel"
            file.write_bytes(data)
            return install_from_file(file)
    raise ModelError("; ".join(errors) or "the index entry has no download links")


def remove(package_id: str) -> InstalledModel:
    """Remove the installed package ``package_id`` (CODE-VERSION, as `vnclean model list` shows
    it); a :class:`ModelError` listing what is installed when there is none by that name."""
    models = installed_models()
    for model in models:
        if model.id == package_id:
            shutil.rmtree(model.path)
            return model
    raise ModelError(f"no installed package {package_id!r}; installed: "
                     + (", ".join(m.id for m in models) or "none"))
