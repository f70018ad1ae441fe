"""Library pairs as a training pairs folder (issue 18 item 4): ``speedhints data library folder OUT``.

Each ``split = train`` row of library_pairs.tsv is made again (its family's function-level variant of the module
with the row's sha, as ``heldout.recreate_variant`` makes the held-out rows) and written as one pair of canonical
functions: ``slow`` the pessimized function, ``fast`` the package's own, in the slow side's placeholders
(``canonical_pair``, as the contest synthetic pairs are written), each canonicalised from the function's
``ast.unparse`` text as the runtime canonicalises a function region. ``split = heldout`` rows never enter
training: those packages are the held-out report's; ``--split heldout`` writes them to ``test.jsonl``, to score
models on.

A tenth of the training *functions* (by a hash of package, module and function, so every variant of a function
falls on the same side, and the choice does not move when rows are added) goes to ``valid.jsonl`` for the
trainer's best-checkpoint choice. Each pair says whether its speedup was timed (``timed``); none of the library
pairs is timed today (the packages' tests verify behaviour, not speed), so they carry no speedup, and the curriculum
weighs them half as much as the timed synthetic pairs (``data mix --pairs 'library*2'`` against ``'synth*4'``).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from speedhints.training.data.library.functions import module_files
from speedhints.training.data.library.heldout import HeldoutPair
from speedhints.training.data.library.sdist import Unpacked
from speedhints.training.data.library.substitute import FunctionVariant, function_variants
from speedhints.training.data.pessimize import family
from speedhints.training.data.synth_variants import canonical_pair

VALID_SHARE = 10  # one function in VALID_SHARE goes to valid.jsonl


def function_split(package: str, module: str, function: str) -> str:
    """``valid`` for one function in VALID_SHARE (stable: a hash of its name), ``train`` otherwise."""
    digest = hashlib.sha256(f"{package}:{module}:{function}".encode()).digest()
    return "valid" if digest[0] % VALID_SHARE == 0 else "train"


def pair_rows(
    rows: Iterable[tuple[HeldoutPair, dict[str, str]]], packages: Mapping[str, Unpacked], held_out: bool = False
) -> tuple[dict[str, list[dict[str, Any]]], Counter[str]]:
    """(split -> pair dicts, counts of what was written and what could not be made again, by reason). Training
    rows go to "train" and "valid" by ``function_split``; held-out rows (``held_out``) all go to "test"."""
    out: dict[str, list[dict[str, Any]]] = {"test": []} if held_out else {"train": [], "valid": []}
    counts: Counter[str] = Counter()
    sources: dict[tuple[str, str], str | None] = {}
    variants: dict[tuple[str, str, str], dict[tuple[str, str], FunctionVariant]] = {}
    for pair, raw in rows:
        package = packages.get(pair.package)
        if package is None:
            counts["package not prepared"] += 1
            continue
        key = (pair.package, pair.module)
        if key not in sources:
            found = dict(module_files(package.import_root, package.top_level))
            sources[key] = found[pair.module].read_text(encoding="utf-8") if pair.module in found else None
        original = sources[key]
        if original is None:
            counts["module not found"] += 1
            continue
        made = (pair.package, pair.module, pair.family)
        if made not in variants:  # a module's family variants are made once for all of its rows
            variants[made] = {(v.qualname, v.sha): v for v in function_variants(original, family(pair.family), 16)}
        variant = variants[made].get((pair.function, pair.variant_sha))
        if variant is None:
            counts["variant not recreated"] += 1
            continue
        both = canonical_pair(variant.slow_function, variant.fast_function)
        if both is None:
            counts["not canonicalisable"] += 1
            continue
        timed = raw.get("timed") == "yes" and bool(raw.get("speedup"))
        name = f"{pair.package}:{pair.module}:{pair.function}"
        split = "test" if held_out else function_split(pair.package, pair.module, pair.function)
        out[split].append({"problem": name, "slow_id": f"{name}:{pair.family}:{pair.variant_sha[:12]}",
                           "fast_id": name, "families": pair.family, "slow": both[0], "fast": both[1],
                           "speedup": float(raw["speedup"]) if timed else None, "timed": timed})  # fmt: skip
        counts[split] += 1
    return out, counts


def write_folder(out: Path, pairs: Mapping[str, list[dict[str, Any]]]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for split, items in pairs.items():
        (out / f"{split}.jsonl").write_text("".join(json.dumps(p) + "\n" for p in items), encoding="utf-8")
