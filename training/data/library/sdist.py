"""Fetching and unpacking the pinned source distributions, and the facts read from them: license, import root.

The sdists live under work/ (git-ignored); nothing of a package's code is ever committed. ``pip download
--no-binary NAME --no-deps NAME==VERSION`` is the only network step: the source distribution, because wheels do
not carry the test suites.
"""

from __future__ import annotations

import email.parser
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from speedhints.training.data.library.pins import Pin


class SdistError(Exception):
    """A package's sdist is missing, unreadable or not laid out as expected; the message says which."""


@dataclass(frozen=True)
class Unpacked:
    pin: Pin
    root: Path  # the unpacked sdist: work/library/src/NAME-VERSION
    import_root: Path  # the folder to put on sys.path: root, or root/src for a src layout
    top_level: tuple[str, ...]  # importable top-level names found under import_root: ("more_itertools",)
    license: str


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def find_archive(pin: Pin, sdist_dir: Path) -> Path | None:
    """The downloaded archive of ``pin`` in ``sdist_dir`` (names are normalized differently by different builders)."""
    want = f"{_normalize(pin.name)}-{pin.version}".lower()
    for path in sorted(sdist_dir.glob("*")):
        for suffix in (".tar.gz", ".zip", ".tar.bz2"):
            if path.name.endswith(suffix) and _normalize(path.name[: -len(suffix)]).lower() == _normalize(want):
                return path
    return None


def download(pin: Pin, sdist_dir: Path) -> Path:
    """``pip download`` the sdist of ``pin`` into ``sdist_dir`` unless it is there already."""
    found = find_archive(pin, sdist_dir)
    if found is not None:
        return found
    sdist_dir.mkdir(parents=True, exist_ok=True)
    # --no-binary NAME rather than :all:: the package itself comes as an sdist either way, but :all: also builds
    # its build backend (setuptools, hatchling...) from source to read its metadata, minutes per package here.
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-binary", pin.name, "--no-deps", "-d", str(sdist_dir)]
    proc = subprocess.run([*cmd, pin.requirement], capture_output=True, text=True)
    found = find_archive(pin, sdist_dir)
    if proc.returncode != 0 or found is None:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise SdistError(f"pip download {pin.requirement} failed: {tail}")
    return found


def unpack(archive: Path, dest: Path) -> Path:
    """Extract ``archive`` to ``dest`` (its single top folder becomes ``dest``); an existing ``dest`` is kept."""
    if dest.is_dir():
        return dest
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(tmp)
    else:
        with tarfile.open(archive) as tf:
            tf.extractall(tmp, filter="data")  # "data": no absolute paths, links out of the tree or devices
    entries = list(tmp.iterdir())
    if len(entries) != 1 or not entries[0].is_dir():
        shutil.rmtree(tmp)
        raise SdistError(f"{archive.name}: expected one top folder, found {len(entries)} entries")
    entries[0].rename(dest)
    tmp.rmdir()
    return dest


_LICENSE_CLASSIFIER = re.compile(r"^License :: (?:OSI Approved :: )?(.+)$")


def read_license(root: Path) -> str:
    """The license the sdist's PKG-INFO declares: License-Expression, else the license classifiers, else License."""
    pkg_info = root / "PKG-INFO"
    if not pkg_info.is_file():
        raise SdistError(f"{root.name}: no PKG-INFO")
    meta = email.parser.Parser().parsestr(pkg_info.read_text(encoding="utf-8", errors="replace"))
    expression = (meta.get("License-Expression") or "").strip()
    if expression:
        return expression
    classifiers = [m.group(1) for c in meta.get_all("Classifier") or [] if (m := _LICENSE_CLASSIFIER.match(c))]
    if classifiers:
        return " / ".join(classifiers)
    text = (meta.get("License") or "").strip().splitlines()
    return text[0].strip() if text and text[0].strip() else "UNKNOWN"


def import_root(root: Path) -> tuple[Path, tuple[str, ...]]:
    """Where the package's modules import from (``src/`` layout or flat) and the top-level names there.

    A top-level name is a package folder (with ``__init__.py``) or a lone module, excluding test and build
    folders: those are what a test file imports.
    """
    base = root / "src" if (root / "src").is_dir() else root
    skip = {"tests", "test", "docs", "doc", "build", "benchmarks", "scripts", "examples", "tools", "setup", "conftest"}
    names = []
    for path in sorted(base.iterdir()):
        if path.name in skip or path.name.startswith((".", "_")):
            continue
        if (
            path.is_dir()
            and (path / "__init__.py").is_file()
            or (path.suffix == ".py" and base is root and _is_module(path))
        ):
            names.append(path.stem if path.suffix == ".py" else path.name)
    if not names:
        raise SdistError(f"{root.name}: no importable package found under {base}")
    return base, tuple(names)


def _is_module(path: Path) -> bool:
    # A flat single-module distribution (tabulate.py): a .py at the root that is not a build or test script.
    return path.is_file() and not path.name.startswith(("test", "setup", "conftest", "noxfile", "tasks", "fabfile"))


def prepare(pin: Pin, work: Path) -> Unpacked:
    """Download (if needed) and unpack ``pin`` under ``work`` and read its license and import root."""
    archive = download(pin, work / "sdist")
    root = unpack(archive, work / "src" / f"{pin.name}-{pin.version}")
    base, top = import_root(root)
    return Unpacked(pin=pin, root=root, import_root=base, top_level=top, license=read_license(root))


def from_folder(pin: Pin, root: Path) -> Unpacked:
    """An already unpacked sdist at ``root`` (what ``prepare`` gives after unpacking; tests build one by hand)."""
    base, top = import_root(root)
    return Unpacked(pin=pin, root=root, import_root=base, top_level=top, license=read_license(root))
