"""``speedhints review --verify CMD``: a hint is posted only when the user's own command passes with it applied.

Each candidate is applied alone to a fresh temporary copy of the checked-out pull request, and CMD (e.g.
``pytest -q -x``) runs there under a timeout; only candidates whose CMD exits 0 are kept, and their comment says so.
CMD first runs on an unchanged copy: if it fails there, a pass with a hint would prove nothing, so nothing is
posted. Everything shares one time budget per pull request; what the budget does not reach is not posted (and the
comments earlier runs left on those files are kept, since they were not re-judged). ``--verify-bench CMD`` then
times a second command on the unchanged copy and on the candidate's, alternately, and reports the ratio of the
medians, all measured in this one job.

This executes pull-request code, so it runs only where the user asked for it: ``speedhints review`` in their own
Actions job, inside their own CI checkout. ``speedhints serve`` (the webhook server) never imports this module and
has no setting that reaches it (tests/test_bot_verify.py checks both).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from speedhints.bot.render import inline_code
from speedhints.bot.runner import Screened, hint_matches_source
from speedhints.model_export.hints import Hint
from speedhints.model_export.source import source_lines

BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class VerifyConfig:
    command: str  # run with the shell in the copy's root, e.g. "pytest -q -x"
    checkout: Path = Path(".")  # the pull request as checked out by the workflow
    timeout_s: float = 300.0  # per run of a command
    budget_s: float = 900.0  # per pull request: copies, the baseline run, every candidate and benchmark
    bench_command: str | None = None
    bench_runs: int = 3  # per side (before / after), alternated


@dataclass(frozen=True)
class CommandResult:
    returncode: int | None  # None: killed at its timeout
    seconds: float
    timeout_s: float
    last_line: str  # the last non-blank line of its output, for the log

    @property
    def passed(self) -> bool:
        return self.returncode == 0

    def describe(self) -> str:
        if self.returncode is None:
            return f"timed out after {self.timeout_s:.0f} s"
        tail = f": {self.last_line}" if self.last_line else ""
        return f"exit {self.returncode}{tail}"


@dataclass
class Verdict:
    hint: Hint
    kept: bool
    reason: str  # one line: why it is kept or not
    evidence: str = ""  # the sentence for the comment (kept hints only)


@dataclass
class Verification:
    verdicts: list[Verdict] = field(default_factory=list)
    problem: str | None = None  # set when nothing could be verified (the baseline failed, ...)


def run_command(command: str, cwd: Path, timeout_s: float) -> CommandResult:
    """Run ``command`` with the shell in ``cwd``; on timeout, kill its whole process group.

    The output goes to a file rather than a pipe, so a grandchild that keeps the pipe open cannot hang us."""
    env = dict(os.environ)
    # Put the copy first on the import path: a project installed in editable mode would otherwise be imported
    # from the original checkout, and the command would never see the candidate.
    paths = [str(cwd / "src"), str(cwd)] if (cwd / "src").is_dir() else [str(cwd)]
    env["PYTHONPATH"] = os.pathsep.join([*paths, *filter(None, [env.get("PYTHONPATH")])])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    with tempfile.TemporaryFile() as out:
        start = time.monotonic()
        proc = subprocess.Popen(
            command,
            shell=True,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            code: int | None = proc.wait(timeout=max(timeout_s, 0.001))
        except subprocess.TimeoutExpired:
            code = None
        seconds = time.monotonic() - start
        _kill_group(proc.pid)  # also what a finished command left running in the background
        if code is None:
            proc.wait()
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return CommandResult(code, seconds, timeout_s, lines[-1][:200] if lines else "")


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is already gone
        os.killpg(pgid, signal.SIGKILL)


def copy_checkout(src: Path, dest: Path) -> Path:
    """Copy the checkout (``.git`` included: some builds read it), links as links; when the temporary directory
    lies inside the checkout (TMPDIR set there), it is left out, or the copy would copy itself."""
    own = dest.parent.resolve()
    ignore = None
    if own.is_relative_to(src.resolve()):

        def ignore(directory: str, names: list[str]) -> list[str]:
            return [n for n in names if (Path(directory) / n).resolve() == own]

    shutil.copytree(src, dest, symlinks=True, ignore=ignore)
    return dest


def apply_hint(root: Path, hint: Hint) -> bool:
    """Replace the hint's lines in ``root / hint.path``; False when the file there does not have those lines."""
    target = root / hint.path
    try:
        data = target.read_bytes()
        bom = BOM if data.startswith(BOM) else b""
        text = data[len(bom) :].decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    lines = source_lines(text)
    if not hint_matches_source(hint, hint.path, lines):
        return False
    new = "".join(lines[: hint.start_line - 1]) + hint.suggestion + "".join(lines[hint.end_line :])
    target.write_bytes(bom + new.encode("utf-8"))
    return True


def where(hint: Hint) -> str:
    return f"{hint.path}:{hint.start_line}-{hint.end_line} (latent {hint.latent})"


class Verifier:
    """Runs the user's command on each candidate; ``screen`` is what ``run_review`` calls."""

    def __init__(self, config: VerifyConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.clock = clock

    def verify(self, hints: Sequence[Hint]) -> Verification:
        """Verdicts for ``hints``, best first (the budget is spent in that order)."""
        cfg = self.config
        result = Verification()
        if not hints:
            return result
        deadline = self.clock() + cfg.budget_s
        try:
            return self._verify(hints, deadline, result)
        except OSError as exc:  # the checkout cannot be copied or written: nothing is verified
            result.problem = f"cannot verify hints: {exc}; none is posted"
            result.verdicts = [Verdict(h, False, "not verified") for h in hints]
            return result

    def _verify(self, hints: Sequence[Hint], deadline: float, result: Verification) -> Verification:
        cfg = self.config
        with tempfile.TemporaryDirectory(prefix="speedhints-verify-") as tmp:
            base = copy_checkout(cfg.checkout, Path(tmp) / "base")
            before = run_command(cfg.command, base, min(cfg.timeout_s, deadline - self.clock()))
            if not before.passed:
                result.problem = (
                    f"{inline_code(cfg.command)} fails on the pull request as it is "
                    f"({before.describe()}); no hint can be verified, none is posted"
                )
                result.verdicts = [Verdict(h, False, "not verified") for h in hints]
                return result
            for index, hint in enumerate(hints):
                result.verdicts.append(self._one(hint, base, Path(tmp) / f"candidate-{index}", deadline))
        return result

    def _one(self, hint: Hint, base: Path, work: Path, deadline: float) -> Verdict:
        cfg = self.config
        left = deadline - self.clock()
        if left <= 0:
            return Verdict(hint, False, f"not verified: the {cfg.budget_s:.0f} s verification budget is spent")
        copy_checkout(cfg.checkout, work)
        try:
            if not apply_hint(work, hint):
                return Verdict(
                    hint,
                    False,
                    f"not verified: {cfg.checkout / hint.path} does not have these lines "
                    "(check out the pull request's head commit)",
                )
            after = run_command(cfg.command, work, min(cfg.timeout_s, left))
            if not after.passed:
                return Verdict(hint, False, f"{inline_code(cfg.command)} fails with it ({after.describe()})")
            evidence = f"{inline_code(cfg.command)} passes with this change."
            if cfg.bench_command:
                evidence += " " + self._bench(base, work, deadline)
            return Verdict(hint, True, f"{inline_code(cfg.command)} passes with it", evidence)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _bench(self, base: Path, work: Path, deadline: float) -> str:
        cfg = self.config
        assert cfg.bench_command is not None
        bench = inline_code(cfg.bench_command)
        times: dict[Path, list[float]] = {base: [], work: []}
        for run in range(cfg.bench_runs):
            # alternate who goes first, so that a machine getting busier does not favour one side
            for side in (base, work) if run % 2 == 0 else (work, base):
                left = deadline - self.clock()
                if left <= 0:
                    return f"{bench} was not timed: the verification budget is spent."
                timed = run_command(cfg.bench_command, side, min(cfg.timeout_s, left))
                if not timed.passed:
                    which = "before" if side == base else "after"
                    return f"{bench} was not timed: it failed {which} this change ({timed.describe()})."
                times[side].append(timed.seconds)
        old, new = statistics.median(times[base]), statistics.median(times[work])
        ratio = old / new if new > 0 else float("inf")
        return (
            f"{bench} took {old:.2f} s before and {new:.2f} s after it: before/after = {ratio:.2f}x "
            f"(median of {cfg.bench_runs} runs each, alternated, in this job)."
        )

    def screen(self, hints: Sequence[Hint]) -> Screened:
        """What ``run_review`` posts: the kept hints, their sentences, and one log line per hint."""
        result = self.verify(hints)
        out = Screened()
        if result.problem:
            out.log.append(result.problem)
        for v in result.verdicts:
            if v.kept:
                out.kept.append(v.hint)
                out.evidence[v.hint.marker] = v.evidence
            elif v.reason.startswith("not verified"):
                out.unsettled_paths.add(v.hint.path)  # not judged: earlier comments on the file stay
            if not result.problem:
                out.log.append(f"verify: {where(v.hint)}: {v.reason}{'; posted' if v.kept else '; not posted'}")
        return out
