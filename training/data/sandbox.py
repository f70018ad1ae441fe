"""Run untrusted Python 3 solutions: one forked subprocess per run, under rlimits, in a fresh directory.

Two ways in, with the same limits and the same result type:

- ``Sandbox``: owns ``workers`` fork servers (``sandbox_zygote.py --serve``) started once; each run is one
  child forked by a zygote. This costs a few ms per run instead of ~15-20 ms for a fresh interpreter, which is
  what makes the corpus's ~1.3M runs feasible on 2 cores. ``run()`` is thread-safe; ``map()`` keeps every
  worker busy.
- ``run_once``: a fresh ``python3`` per run with the same limits applied in ``preexec_fn``; the reference the
  fork server is benchmarked against, and the fallback where a fork server is not possible.

What is enforced, as root and not, is written down in training/data/SANDBOX.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TypeVar

from speedhints.training.data import sandbox_zygote as zygote

K = TypeVar("K")

ZYGOTE_PATH = Path(zygote.__file__).resolve()
# run_once's fresh interpreter. As root the run sees its own tmpfs over /tmp, so neither a venv nor a checkout
# that lives under /tmp (CI's clone, say) is visible to it: it runs the real interpreter (the sandbox mounts that
# installation back read-only) and gets the runner's source on its command line rather than as a file to import.
INTERPRETER = os.path.realpath(sys.executable)
RUNNER_BOOT = (ZYGOTE_PATH.parent / "sandbox_runner.py").read_text(encoding="utf-8") + "\nmain()\n"
STATUSES = ("ok", "runtime_error", "timeout", "memory", "output_limit", "killed")
# A zygote that does not answer this long after the wall limit is presumed wedged and replaced.
ZYGOTE_GRACE_SECONDS = 20.0


@dataclass(frozen=True)
class Limits:
    cpu_seconds: float = 2.0  # RLIMIT_CPU (whole seconds, + 1 s SIGKILL backstop); exceeded -> "timeout"
    wall_seconds: float = 6.0  # the whole process group (and, as root, the uid) is killed after this
    memory_bytes: int = 1 << 30  # RLIMIT_AS
    output_bytes: int = 32 << 20  # RLIMIT_FSIZE; stdout goes to a file, so printing 100 MB -> "output_limit"
    open_files: int = 64  # RLIMIT_NOFILE
    processes: int = 32  # RLIMIT_NPROC, per sandbox uid (root); see SANDBOX.md for the non-root case
    # Not a limit but a run mode that changes results, so it travels (and is cached) with the limits: also give
    # stdin as ./input.txt and take ./output.txt as the output (Codeforces' file-I/O problems).
    file_io: bool = False

    def key(self) -> str:
        """Stable text for cache keys: a result is only reused under the same limits (and mode)."""
        fields: dict[str, object] = asdict(self)
        if not self.file_io:
            del fields["file_io"]  # keys from before the field existed stay valid
        else:
            fields["file_io"] = "v2"  # v1 lost output.txt when the program never closed it
        return json.dumps(fields, sort_keys=True)


@dataclass(frozen=True)
class RunResult:
    status: str  # "ok" | "runtime_error" | "timeout" | "memory" | "output_limit" | "killed"
    exit_code: int | None  # negative: killed by that signal; None after a wall timeout
    stdout: bytes
    stderr_tail: str  # last ~2 KB of stderr, for diagnostics
    cpu_seconds: float  # child's rusage user+sys (the program's own work, not interpreter start-up)
    wall_seconds: float


class SandboxError(RuntimeError):
    """The sandbox itself failed (not the solution): never cached, never blamed on the program."""


def scrubbed_env() -> dict[str, str]:
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}


def _reply_to_result(reply: dict[str, object], stdout: bytes) -> RunResult:
    status = str(reply["status"])
    if status == "sandbox_error":
        raise SandboxError(f"sandbox set-up failed: {reply['stderr_tail']}")
    exit_code = reply["exit_code"]
    return RunResult(
        status=status,
        exit_code=None if exit_code is None else int(exit_code),  # type: ignore[call-overload]
        stdout=stdout,
        stderr_tail=str(reply["stderr_tail"]),
        cpu_seconds=float(reply["cpu"]),  # type: ignore[arg-type]
        wall_seconds=float(reply["wall"]),  # type: ignore[arg-type]
    )


class _Worker:
    """One zygote process and the pipes to it; one thread at a time uses it (the Sandbox's idle queue)."""

    def __init__(self, isolate: bool) -> None:
        config = json.dumps({"isolate": isolate, "scratch": zygote.scratch_base()})
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-S", str(ZYGOTE_PATH), "--serve", config],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=scrubbed_env(),
            cwd="/",
            start_new_session=True,  # a Ctrl-C in the terminal reaches us, not the zygotes mid-run
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin = self.proc.stdin
        self.stdout = self.proc.stdout
        ready = self._read_line(timeout=30.0)
        info = json.loads(ready)
        self.uid: int | None = info["uid"]
        self.net_isolated: bool = info["net_isolated"]

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _read_line(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self.stdout], [], [], timeout)
        if not ready:
            raise TimeoutError("sandbox worker did not answer")
        line = self.stdout.readline()
        if not line.endswith(b"\n"):
            raise EOFError("sandbox worker exited")
        return line

    def send(self, code: bytes, stdin: bytes, limits: Limits) -> None:
        header = {"code": len(code), "stdin": len(stdin), "limits": asdict(limits)}
        self.stdin.write(json.dumps(header).encode() + b"\n" + code + stdin)
        self.stdin.flush()

    def receive(self, limits: Limits) -> RunResult:
        reply = json.loads(self._read_line(timeout=limits.wall_seconds + ZYGOTE_GRACE_SECONDS))
        n = int(reply["stdout"])
        stdout = self.stdout.read(n) if n else b""
        if len(stdout) != n:
            raise EOFError("sandbox worker exited mid-reply")
        return _reply_to_result(reply, stdout)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
        self.stdout.close()

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


class Sandbox:
    """Context manager owning `workers` fork-server processes; `run` is thread-safe, `map` is parallel.

    `isolate=False` skips the root-only measures (own uid, namespaces); it exists for tests of the non-root
    behaviour and is implied when not running as root.
    """

    def __init__(self, workers: int | None = None, limits: Limits = Limits(), isolate: bool = True) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.limits = limits
        self.isolate = isolate
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False
        self.restarts = 0  # how many dead or wedged workers were replaced
        for _ in range(self.workers):
            self._start_worker()

    def _start_worker(self) -> _Worker:
        worker = _Worker(self.isolate)
        with self._lock:
            self._all.append(worker)
        self._idle.put(worker)
        return worker

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.remove(worker)
            self.restarts += 1
        if not self._closed:
            self._start_worker()

    @property
    def worker_pids(self) -> list[int]:
        with self._lock:
            return [w.pid for w in self._all]

    @property
    def enforcement(self) -> dict[str, bool]:
        """What this sandbox actually enforces beyond rlimits (all workers start the same way)."""
        with self._lock:
            w = self._all[0]
        return {
            "own_uid": w.uid is not None,
            "network_namespace": w.net_isolated,
            "mount_namespace": w.uid is not None,
        }

    def run(self, code: str, stdin: bytes, limits: Limits | None = None) -> RunResult:
        if self._closed:
            raise SandboxError("sandbox is closed")
        limits = limits or self.limits
        data = code.encode("utf-8", "surrogateescape")
        lost = ""
        for _attempt in range(2):
            result = self._run_on_a_worker(data, stdin, limits)
            if result is not None:
                return result
            # The zygote died or wedged mid-run. As root the program cannot signal it, so that is the machinery
            # failing, not the program: run it once more on the fresh worker before blaming the program.
            lost = "sandbox worker lost twice (the program killed its zygote, or the machine is in trouble)"
        return RunResult("killed", None, b"", lost, 0.0, 0.0)

    def _run_on_a_worker(self, data: bytes, stdin: bytes, limits: Limits) -> RunResult | None:
        """One attempt; None when the worker was lost mid-run (it has been replaced)."""
        worker: _Worker | None = self._idle.get()
        assert worker is not None
        try:
            if not worker.alive():  # died between runs (killed from outside): replace, then run normally
                self._replace(worker)
                worker = self._idle.get()
            try:
                worker.send(data, stdin, limits)
            except OSError:
                # the request never reached a live zygote, so the run did not happen: retry once on a new one
                self._replace(worker)
                worker = self._idle.get()
                worker.send(data, stdin, limits)
            try:
                return worker.receive(limits)
            except (EOFError, TimeoutError, OSError, ValueError):
                self._replace(worker)
                worker = None
                return None
        except BaseException:
            if worker is not None and not worker.alive():
                self._replace(worker)
                worker = None
            raise
        finally:
            if worker is not None:
                self._idle.put(worker)

    def map(self, jobs: Iterable[tuple[K, str, bytes]], limits: Limits | None = None) -> Iterator[tuple[K, RunResult]]:
        """Runs (key, code, stdin) jobs on all workers in parallel, yielding results as they finish.

        At most 2 x workers jobs are in flight, so `jobs` may be a lazy generator over millions of runs.
        """
        it = iter(jobs)
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="sandbox") as pool:
            pending: dict[Future[RunResult], K] = {}

            def fill() -> None:
                while len(pending) < 2 * self.workers:
                    try:
                        key, code, stdin = next(it)
                    except StopIteration:
                        return
                    pending[pool.submit(self.run, code, stdin, limits)] = key

            fill()
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    key = pending.pop(fut)
                    yield key, fut.result()
                fill()

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for w in workers:
            w.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_with_starvation_retry(sandbox: Sandbox, code: str, stdin: bytes, limits: Limits) -> RunResult:
    """`sandbox.run`, but a wall-clock timeout of a program that was computing (not sleeping) and had not used its
    CPU limit is retried once with three times the wall limit: on a busy shared machine a CPU-bound program can
    be starved past the wall limit, and that says nothing about the program. The result is stored under the
    original limits by the callers: only the CPU limit defines the outcome."""
    result = sandbox.run(code, stdin, limits)
    starved = result.status == "timeout" and result.exit_code is None and result.cpu_seconds > 0.05
    if starved and result.cpu_seconds < 0.9 * limits.cpu_seconds:
        result = sandbox.run(code, stdin, replace(limits, wall_seconds=3 * limits.wall_seconds))
    return result


# ------------------------------------------------------------------------------------- one fresh interpreter


# uids locked by this process for run_once, reused across runs (locking one costs a fork); one run per uid at a
# time, since the clean-up after a run kills every process of its uid.
_spare_uids: queue.Queue[int] = queue.Queue()
_uid_locks: list[int] = []  # lock fds, held until the process exits


def _take_uid() -> int:
    try:
        return _spare_uids.get_nowait()
    except queue.Empty:
        uid, fd = zygote.acquire_uid()
        _uid_locks.append(fd)
        return int(uid)


def run_once(code: str, stdin: bytes, limits: Limits = Limits(), isolate: bool = True) -> RunResult:
    """A fresh ``python3 -I -S`` per run with the same limits, applied between fork and exec."""
    import tempfile

    root = isolate and zygote.is_root()
    uid = _take_uid() if root else None
    code_fd = os.memfd_create("solution", 0)
    report_r, report_w = os.pipe()
    tmp = tempfile.TemporaryDirectory(prefix="speedhints-once-")
    try:
        os.write(code_fd, code.encode("utf-8", "surrogateescape"))
        in_path, out_path, err_path = (os.path.join(tmp.name, n) for n in ("in", "out", "err"))
        Path(in_path).write_bytes(stdin)
        limit_dict = {k: float(v) for k, v in asdict(limits).items()}

        def preexec() -> None:  # in the child between fork and exec: what the zygote does, once per run here
            if root:
                with contextlib.suppress(OSError):
                    zygote.unshare(zygote.CLONE_NEWNET)
                zygote.isolate_filesystem()  # also makes the interpreter readable for the uid we become
            os.chdir(zygote.fresh_run_dir(uid))
            zygote.set_rlimits(limit_dict)
            zygote.drop_privileges(uid)

        with open(in_path, "rb") as fin, open(out_path, "wb") as fout, open(err_path, "wb") as ferr:
            start = time.perf_counter()
            proc = subprocess.Popen(
                [INTERPRETER, "-I", "-S", "-c", RUNNER_BOOT, str(code_fd), str(report_w)]
                + (["file_io"] if limits.file_io else []),
                stdin=fin,
                stdout=fout,
                stderr=ferr,
                env=scrubbed_env(),
                cwd="/",
                pass_fds=(code_fd, report_w),
                preexec_fn=preexec,
                start_new_session=True,
            )
        os.close(report_w)
        report_w = -1
        wall_timeout = False
        pidfd = os.pidfd_open(proc.pid)
        try:
            ready, _, _ = select.select([pidfd], [], [], limits.wall_seconds)
            if not ready:
                wall_timeout = True
                os.killpg(proc.pid, signal.SIGKILL)
        finally:
            os.close(pidfd)
        _, status, rusage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)  # keep Popen from waiting again
        wall = time.perf_counter() - start
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        if uid is not None:
            zygote.kill_uid(uid)  # the run directory vanished with the child's mount namespace
        else:
            zygote.remove_run_dirs_of(proc.pid)
        with os.fdopen(report_r, "rb") as f:
            report_r = -1
            startup = f.read().strip()
        startup_cpu = float(startup) if startup else 0.0
        cpu = max(0.0, rusage.ru_utime + rusage.ru_stime - startup_cpu)
        tail = zygote._tail(err_path)
        state, exit_code = zygote._classify(limit_dict, wall_timeout, status, cpu, os.path.getsize(out_path), tail)
        if state == "sandbox_error":
            raise SandboxError(f"sandbox set-up failed: {tail}")
        with open(out_path, "rb") as f:
            out = f.read(limits.output_bytes)
        return RunResult(state, exit_code, out, tail, cpu, wall)
    finally:
        for fd in (code_fd, report_r, report_w):
            if fd >= 0:
                os.close(fd)
        tmp.cleanup()
        if uid is not None:
            _spare_uids.put(uid)
