"""The library pairs job: every function-level variant of every family, each run on the test files that exercise
its function (those of them that pass on the unmodified package: the baseline) in a working copy of the sdist; a
variant is kept only when they all still pass, and only when those files call the function at all: once per
function they are run with its body replaced by a raise, and must then fail (``reach_check``).

One working copy per package (work/library/run/NAME-VERSION), made fresh at the start of every job so a killed run
cannot leave a pessimized module behind; each variant is written into its module, tested, and the module's
original text written back. Packages take turns by time spent (families interleaved within a module), so
a partial run covers every package and family rather than finishing one first.
"""

from __future__ import annotations

import hashlib
import itertools
import pickle
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from speedhints.training.data.library.functions import FunctionUnit, module_files, units_of
from speedhints.training.data.library.ledger import Ledger
from speedhints.training.data.library.sdist import Unpacked
from speedhints.training.data.library.substitute import (
    FamilyCount,
    FunctionVariant,
    function_variants,
    unreachable_unit,
)
from speedhints.training.data.library.testrun import (
    TestFile,
    find_test_files,
    imported_from,
    imports_package,
    run_pytest,
    tests_for,
)
from speedhints.training.data.pessimize import Family


@dataclass(frozen=True)
class JobConfig:
    work: Path  # work/library: ledger.sqlite and run/ live here
    baseline_timeout: float = 300.0  # one test file, unmodified
    max_file_seconds: float = 60.0  # a test file slower than this unmodified is not used: every variant would pay it
    min_timeout: float = 60.0  # a variant's run gets max(min_timeout, slack x its files' baseline seconds)
    slack: float = 5.0
    max_timeout: float = 600.0
    max_variants: int | None = None  # stop after this many variant runs (None: all)
    variants_per_family: int = 16  # per module and family (the families' own site cap is 16)


@dataclass(frozen=True)
class Candidate:
    package: Unpacked
    module: str
    path: Path  # the module's file inside the working copy
    original: str  # the module's original text
    unit: FunctionUnit
    variant: FunctionVariant
    test_files: tuple[str, ...]


def working_copy(package: Unpacked, work: Path) -> tuple[Path, Path]:
    """A fresh copy of the unpacked sdist under work/run; returns (copy root, copy import root)."""
    dest = (work / "run" / package.root.name).resolve()
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(package.root, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest, dest / package.import_root.resolve().relative_to(package.root.resolve())


def package_tests(package: Unpacked, copy_root: Path, copy_import: Path) -> list[TestFile]:
    """The package's test files that import it. Raises RuntimeError when ``import`` of the package does not resolve
    to the working copy (then a variant would never be what the tests run)."""
    where = imported_from(copy_root, copy_import, package.top_level[0])
    if not where.startswith(str(copy_import)):
        raise RuntimeError(
            f"{package.pin.name}: `import {package.top_level[0]}` resolves to {where or 'nothing'}, "
            f"not the working copy {copy_import}"
        )
    return [t for t in find_test_files(copy_root) if imports_package(t, package.top_level)]


class Baseline:
    """Which test files pass on the unmodified package, run lazily: a file is run alone the first time a variant
    needs it (a package's suite may have hundreds of files no variant reaches), and the verdict is kept in the
    ledger."""

    def __init__(
        self,
        package: Unpacked,
        copy_root: Path,
        copy_import: Path,
        ledger: Ledger,
        cfg: JobConfig,
        log: Callable[[str], None],
    ) -> None:
        self.package, self.copy_root, self.copy_import = package, copy_root, copy_import
        self.ledger, self.cfg, self.log = ledger, cfg, log
        self.known = ledger.baseline(package.pin.name, package.pin.version)

    def usable(self, files: Sequence[str]) -> dict[str, float]:
        """The files among ``files`` that pass unmodified within ``max_file_seconds``, with their seconds."""
        for path in files:
            if path in self.known:
                continue
            run = run_pytest(self.copy_root, self.copy_import, [path], self.cfg.baseline_timeout)
            pin = self.package.pin
            self.ledger.add_baseline(pin.name, pin.version, path, run.status, run.seconds, run.tail)
            self.known[path] = (run.status, run.seconds)
            self.log(f"baseline {pin.name} {path}: {run.status} in {run.seconds:.1f} s")
        fast = self.cfg.max_file_seconds
        return {f: self.known[f][1] for f in files if self.known[f][0] == "passed" and self.known[f][1] <= fast}


def cached_variants(source: str, fam: Family, cfg: JobConfig, count: FamilyCount) -> list[FunctionVariant]:
    """``function_variants`` through a pickle cache in work/library/variants, keyed by the module text, family and
    limit: the transforms cost minutes per large package on this machine, and a restarted job needs them all again
    to know what it has done. ``count`` receives the counts of the module as if computed now."""
    key = hashlib.sha256(f"{fam.name}\0{cfg.variants_per_family}\0{source}".encode()).hexdigest()
    path = cfg.work / "variants" / key[:2] / f"{key}.pkl"
    if path.is_file():
        found, module_count = pickle.loads(path.read_bytes())
    else:
        module_count = FamilyCount()
        found = function_variants(source, fam, cfg.variants_per_family, module_count)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps((found, module_count)))
        tmp.replace(path)
    count.modules += module_count.modules
    count.modules_with_variants += module_count.modules_with_variants
    count.variants += module_count.variants
    count.function_level += module_count.function_level
    count.dropped.update(module_count.dropped)
    return found


def candidates(
    package: Unpacked,
    copy_import: Path,
    tests: list[TestFile],
    families: Sequence[Family],
    ledger: Ledger,
    cfg: JobConfig,
) -> Iterator[Candidate]:
    """Every function-level variant of the package whose function some test file exercises, module by
    module, families interleaved within a module (one variant of each family in turn). The families' counts go to
    the ledger after each module, so a partial run still reports them."""
    counts = {f.name: FamilyCount() for f in families}
    untested = {f.name: 0 for f in families}
    tested = {f.name: 0 for f in families}
    for module, path in module_files(copy_import, package.top_level):
        original = path.read_text(encoding="utf-8")
        units = {u.qualname: u for u in units_of(module, original)}
        per_family: list[list[Candidate]] = []
        for fam in families:
            found = []
            for variant in cached_variants(original, fam, cfg, counts[fam.name]):
                files = tests_for(module, variant.qualname, tests, package.top_level)
                if not files:
                    untested[fam.name] += 1
                    continue
                tested[fam.name] += 1
                unit = units[variant.qualname]
                found.append(Candidate(package, module, path, original, unit, variant, tuple(t.path for t in files)))
            per_family.append(found)
        for fam in families:
            record = asdict(counts[fam.name])
            record["dropped"] = dict(counts[fam.name].dropped)
            record["no_test_file"] = untested[fam.name]
            record["candidates"] = tested[fam.name]
            ledger.set_counts(package.pin.name, package.pin.version, fam.name, record)
        for group in itertools.zip_longest(*per_family):
            yield from (c for c in group if c is not None)


def reach_check(
    c: Candidate, files: tuple[str, ...], copy_root: Path, copy_import: Path, timeout: float, ledger: Ledger
) -> str:
    """Whether ``files`` call the candidate's function at all: they are run once per unit with the function
    replaced by a raise (``unreachable_unit``); "reached" when they then fail. Kept in the ledger per unit."""
    pin = c.package.pin
    known = ledger.reach(pin.name, pin.version, c.module, c.unit.qualname, c.unit.sha)
    if known is not None:
        return known
    broken = unreachable_unit(c.original, c.unit.qualname)
    if broken is None:
        return "error"
    c.path.write_text(broken, encoding="utf-8")
    try:
        run = run_pytest(copy_root, copy_import, list(files), timeout)
    finally:
        c.path.write_text(c.original, encoding="utf-8")
    # The files pass unmodified, so any failure now is the raise's doing: a test failing (exit 1) or the package not
    # even importing (exit 2: pyparsing builds grammars with one_of at import time) both mean "reached".
    status = {"passed": "unreached", "failed": "reached", "error": "reached"}.get(run.status, run.status)
    ledger.add_reach((pin.name, pin.version, c.module, c.unit.qualname, c.unit.sha, status, " ".join(files),
                      run.seconds))  # fmt: skip
    return status


def run_candidate(
    c: Candidate, copy_root: Path, copy_import: Path, baseline: Baseline, cfg: JobConfig, ledger: Ledger
) -> tuple[str, tuple[str, ...], float, str]:
    """Write the variant into its module, run its usable test files, write the original back;
    (status, files run, seconds, tail). No usable file (none passes unmodified): "no_usable_tests"; usable files
    that never call the function (they pass with it raising): "unreached", and the variant is not run."""
    usable = baseline.usable(c.test_files)
    if not usable:
        return "no_usable_tests", (), 0.0, ""
    files = tuple(f for f in c.test_files if f in usable)
    timeout = min(cfg.max_timeout, max(cfg.min_timeout, cfg.slack * sum(usable.values())))
    reach = reach_check(c, files, copy_root, copy_import, timeout, ledger)
    if reach != "reached":
        return "unreached" if reach == "unreached" else f"reach_{reach}", files, 0.0, ""
    c.path.write_text(c.variant.module_source, encoding="utf-8")
    try:
        run = run_pytest(copy_root, copy_import, list(files), timeout)
    finally:
        c.path.write_text(c.original, encoding="utf-8")
    status = "kept" if run.ok else {"failed": "broke"}.get(run.status, run.status)
    return status, files, run.seconds, run.tail


def not_done(gen: Iterator[Candidate], done: set[tuple[str, str, str, str]]) -> Iterator[Candidate]:
    """The candidates whose variant the ledger has no row for. A function, not a generator expression in
    ``run_job``'s loop: there ``done`` would be looked up when the stream is consumed, after the loop, so every
    package but the last was filtered by the last one's rows and re-ran everything it had run before."""
    return (c for c in gen if (c.module, c.variant.qualname, c.variant.family, c.variant.sha) not in done)


def run_job(
    packages: Sequence[Unpacked],
    families: Sequence[Family],
    cfg: JobConfig,
    log: Callable[[str], None] = print,
    every: Callable[[Ledger], None] | None = None,
    every_seconds: float = 600.0,
) -> dict[str, int]:
    """Run the variants not yet in the ledger, packages taking turns by time spent (see below).

    ``every(ledger)`` is called after a variant when ``every_seconds`` have passed since the last call, and once at
    the end: how the job writes its tables while it runs. Returns counts of this run's statuses.
    """
    ledger = Ledger(cfg.work / "ledger.sqlite")
    streams = []
    for package in packages:
        copy_root, copy_import = working_copy(package, cfg.work)
        try:
            tests = package_tests(package, copy_root, copy_import)
        except RuntimeError as err:
            log(f"skip {err}")
            continue
        log(f"{package.pin.name} {package.pin.version}: {len(tests)} test files import it")
        gen = candidates(package, copy_import, tests, families, ledger, cfg)
        todo = not_done(gen, ledger.done(package.pin.name, package.pin.version))
        streams.append((copy_root, copy_import, Baseline(package, copy_root, copy_import, ledger, cfg, log), todo))
    tally: dict[str, int] = {}
    last = time.monotonic()
    runs = 0
    # Fair share by time, not by count: the next variant comes from the package whose runs have cost the least so
    # far (pygments' test files take ~60 s a run here, toolz's ~2 s), so every package keeps advancing and the cheap
    # ones are not held to the pace of the slowest. The cost of making the candidates counts too.
    spent = [0.0] * len(streams)
    live = list(range(len(streams)))
    while live and (cfg.max_variants is None or runs < cfg.max_variants):
        i = min(live, key=lambda k: spent[k])
        copy_root, copy_import, base, todo = streams[i]
        started = time.monotonic()
        c = next(todo, None)
        if c is None:
            live.remove(i)
            continue
        status, files, seconds, tail = run_candidate(c, copy_root, copy_import, base, cfg, ledger)
        spent[i] += time.monotonic() - started
        runs += 1
        tally[status] = tally.get(status, 0) + 1
        row = (c.package.pin.name, c.package.pin.version, c.module, c.variant.qualname, c.variant.family,
               c.variant.sha, c.unit.sha, status, " ".join(files), seconds, tail)  # fmt: skip
        ledger.add_variant(row)
        log(f"{status} {c.package.pin.name} {c.module}:{c.variant.qualname} {c.variant.family} {seconds:.1f} s")
        if every is not None and time.monotonic() - last >= every_seconds:
            every(ledger)
            last = time.monotonic()
    if every is not None:
        every(ledger)
    ledger.close()
    return tally
