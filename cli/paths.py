"""Where the training commands read the corpus and keep their work, by default: relative to the current directory.

Computed from the package's own location these defaults pointed inside site-packages on a normal install
(``…/site-packages/speedhints/work``). They are relative paths instead, read as the README says (run the
commands from the checkout's root, the corpus beside it in ``../shared``), or absolute from an environment
variable. The committed tables under ``training/corpus/`` are package data and stay where they are.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

DATA_ENV = "SPEEDHINTS_DATA"  # the corpus file, codeforces_python.jsonl.gz
WORK_ENV = "SPEEDHINTS_WORK"  # the git-ignored work folder of the corpus pipeline
DATA = Path("..") / "shared" / "data" / "codeforces_python.jsonl.gz"
WORK = Path("work")


def default_data(environ: Mapping[str, str] = os.environ) -> Path:
    return Path(environ[DATA_ENV]) if environ.get(DATA_ENV) else DATA


def default_work(environ: Mapping[str, str] = os.environ) -> Path:
    return Path(environ[WORK_ENV]) if environ.get(WORK_ENV) else WORK
