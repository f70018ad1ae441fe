"""The process side of the sandbox: a fork server (zygote) and the in-process solution runner.

This file is run as a script by ``python3 -I -S sandbox_zygote.py ...`` (isolated mode, no site, empty
environment), so it must import nothing but the standard library and its sibling ``sandbox_runner``, never
``speedhints``.

``--serve CONFIG_JSON``
    The fork server. Reads requests on fd 0, forks one child per request, reports on fd 1.
    Protocol (binary, all lengths in bytes):
      request:  one JSON line {"code": n, "stdin": m, "limits": {...}} then n + m bytes
      response: one JSON line {"status", "exit_code", "cpu", "wall", "stdout": k, "stderr_tail"} then k bytes
    On start it prints one JSON line {"ready": true, "uid": ..., "net_isolated": ...}.
The solution itself runs through ``sandbox_runner.run_solution`` (shared with ``run_once``'s fresh interpreter).

Why a zygote: a fresh ``python3`` costs 15-20 ms of start-up per run and the corpus needs over a million runs.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import math
import os
import random
import resource
import select
import signal
import sys
import time
import traceback

if __package__:  # imported by sandbox.py for its helpers
    from .sandbox_runner import report_startup_cpu, run_solution
else:  # run as the fork server script: -I leaves the script's folder off sys.path
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from sandbox_runner import report_startup_cpu, run_solution  # type: ignore[no-redef]

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_REC = 1 << 14
MS_PRIVATE = 1 << 18
MS_RDONLY = 1
MS_REMOUNT = 32
MS_BIND = 4096
MS_MOVE = 8192
PR_SET_CHILD_SUBREAPER = 36
UID_BASE = 61000  # sandbox uids: UID_BASE .. UID_BASE + UID_COUNT - 1, one per live worker (root only)
UID_COUNT = 512
LOCK_DIR = "/tmp/speedhints-sandbox-uids"
SETUP_FAILED = 125  # exit code of a child whose sandbox set-up failed (never the solution's fault)
STDERR_TAIL = 2048
# Modules Codeforces solutions commonly import: loaded once by the zygote so a forked child gets them for
# free, which keeps the measured CPU time about the solution's own work (a fresh interpreter pays ~1 ms each).
PRELOAD = (
    "bisect",
    "collections",
    "decimal",
    "fractions",
    "functools",
    "heapq",
    "itertools",
    "math",
    "operator",
    "re",
    "string",
    "traceback",
)
# Directories every user may write to; each gets a fresh private tmpfs per run (root only).
SCRATCH_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")

_libc = ctypes.CDLL(None, use_errno=True)


def is_root() -> bool:
    return os.geteuid() == 0


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def unshare(flags: int) -> None:
    # Python 3.11 has no os.unshare.
    _check(_libc.unshare(flags), "unshare")


def mount_tmpfs(target: str, size_bytes: int) -> None:
    opts = f"size={max(size_bytes, 1 << 20)},mode=1777".encode()
    _check(_libc.mount(b"tmpfs", target.encode(), b"tmpfs", 0, opts), f"mount {target}")


def acquire_uid() -> tuple[int, int]:
    """Lock one sandbox uid for this process's lifetime (flock is released when the holder dies)."""
    os.makedirs(LOCK_DIR, mode=0o700, exist_ok=True)
    start = random.randrange(UID_COUNT)  # spread concurrent starters out
    for i in range(UID_COUNT):
        uid = UID_BASE + (start + i) % UID_COUNT
        fd = os.open(os.path.join(LOCK_DIR, str(uid)), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        kill_uid(uid)  # a previous holder may have died leaving processes behind
        return uid, fd
    raise RuntimeError("no free sandbox uid")


def kill_uid(uid: int) -> None:
    """SIGKILL every process of `uid`: a forked helper becomes that uid and calls kill(-1, SIGKILL)."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgid(uid)
            os.setuid(uid)
            for _ in range(1000):  # kill(-1) can race with a fork bomb: repeat until nothing is left
                try:
                    os.kill(-1, signal.SIGKILL)
                except ProcessLookupError:
                    break
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def set_rlimits(limits: dict[str, float]) -> None:
    """In a freshly forked child, before the solution runs."""
    # RLIMIT_CPU has whole seconds; the zygote compares the measured time with the exact limit.
    cpu = max(1, math.ceil(limits["cpu_seconds"]))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))  # soft: SIGXCPU, hard: SIGKILL backstop
    resource.setrlimit(resource.RLIMIT_AS, (int(limits["memory_bytes"]),) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(limits["output_bytes"]),) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (int(limits["open_files"]),) * 2)
    resource.setrlimit(resource.RLIMIT_NPROC, (int(limits["processes"]),) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def drop_privileges(uid: int | None) -> None:
    """Root only: become the worker's own unprivileged uid, so RLIMIT_NPROC applies (root ignores it), the
    solution cannot signal the zygote, and everything it leaves behind can be killed by uid."""
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)


SCRATCH_BYTES = 256 << 20  # the run directory's tmpfs: all files a run writes together (each also RLIMIT_FSIZE)
RUN_DIR = "/tmp/run"  # as root: the run's working directory, inside this namespace's private /tmp
ZYGOTE_DIR = "/tmp/.zygote"  # as root: the zygote's own files (input, output), 0700 root


def isolate_filesystem() -> None:
    """As root, once per zygote (or per run_once child): a private mount namespace in which the sandbox uid can
    write nowhere but its run directory. A 0711 tmpfs covers /tmp (the uid can enter its own directory there but
    not list or create anything), read-only-for-others tmpfs cover the other world-writable directories, and
    the interpreter's installation is made readable (`expose_python`). Everything vanishes with the namespace.
    """
    unshare(CLONE_NEWNS)
    _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "make / private")
    for d in SCRATCH_DIRS:
        if os.path.isdir(d):
            # nr_inodes bounds how many files a run can leave for the clean-up to delete
            opts = f"size={SCRATCH_BYTES},nr_inodes=16384,mode=0711" if d == "/tmp" else "size=1m,mode=0755"
            _check(_libc.mount(b"tmpfs", d.encode(), b"tmpfs", 0, opts.encode()), f"mount {d}")
    expose_python()
    os.mkdir(ZYGOTE_DIR, 0o700)


def fresh_run_dir(uid: int | None) -> str:
    """A new empty working directory for one run, owned by the run's uid; the caller removes it afterwards."""
    if uid is not None:
        if os.path.lexists(RUN_DIR):  # a clean-up that failed last time must not take the worker down
            remove_run_dir(RUN_DIR)
        os.mkdir(RUN_DIR, 0o700)
        os.chown(RUN_DIR, uid, uid)
        return RUN_DIR
    return _mkdtemp(scratch_base())


def remove_run_dirs_of(pid: int) -> None:
    """Non-root run_once: remove the working directory its child (`pid`) made for itself."""
    base = scratch_base()
    prefix = f"speedhints-run-{pid}-"
    with contextlib.suppress(OSError):
        for name in os.listdir(base):
            if name.startswith(prefix):
                remove_run_dir(os.path.join(base, name))


def remove_run_dir(path: str) -> None:
    import shutil

    try:
        os.rmdir(path)  # the common case: the program wrote nothing
    except FileNotFoundError:
        pass
    except OSError:
        shutil.rmtree(path, ignore_errors=True)


def expose_python() -> None:
    """Make the interpreter's installation readable by the sandbox uid inside this mount namespace.

    The interpreter may live under a directory other users cannot enter (here /root/.pyenv under a 0700
    /root), and a solution that imports a module the zygote did not preload would then fail with
    PermissionError. We put a fresh 0755 tmpfs over the first closed ancestor (hiding the rest of it) and
    bind-mount the installation back, read-only.
    """
    prefix = os.path.realpath(sys.base_prefix)
    parts = prefix.strip("/").split("/")
    closed = None
    for i in range(1, len(parts)):
        ancestor = "/" + "/".join(parts[:i])
        if not os.stat(ancestor).st_mode & 0o001:
            closed = ancestor
            break
    if closed is None:
        return
    staging = "/tmp/.python"  # inside the fresh /tmp tmpfs
    os.mkdir(staging)
    _check(_libc.mount(prefix.encode(), staging.encode(), None, MS_BIND | MS_REC, None), "bind python")
    _check(_libc.mount(b"tmpfs", closed.encode(), b"tmpfs", 0, b"size=1m,mode=0755"), f"mount {closed}")
    os.makedirs(prefix, 0o755)
    _check(_libc.mount(staging.encode(), prefix.encode(), None, MS_MOVE, None), "move python")
    _check(_libc.mount(None, prefix.encode(), None, MS_REMOUNT | MS_BIND | MS_RDONLY, None), "python read-only")
    os.rmdir(staging)


def scratch_base() -> str:
    """Without root: where run directories and the zygote's files go. $SPEEDHINTS_SANDBOX_TMP, else /dev/shm
    (memory: creating and deleting files there is several times cheaper than on a disk), else /tmp."""
    chosen = os.environ.get("SPEEDHINTS_SANDBOX_TMP")
    if chosen:
        return chosen
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else "/tmp"


def _mkdtemp(base: str) -> str:
    for _ in range(100):
        path = os.path.join(base, f"speedhints-run-{os.getpid()}-{random.getrandbits(48):012x}")
        try:
            os.mkdir(path, 0o700)
            return path
        except FileExistsError:
            continue
    raise RuntimeError("cannot create a working directory")


def _read_exact(fd: int, n: int) -> bytes:
    chunks = []
    while n > 0:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _read_line(fd: int) -> bytes:
    buf = bytearray()
    while True:
        b = os.read(fd, 1)
        if not b:
            raise EOFError
        if b == b"\n":
            return bytes(buf)
        buf += b


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _children_of(pid: int) -> list[int]:
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if int(fields[1]) == pid:
            out.append(int(name))
    return out


def _reap_leftovers(pgid: int, uid: int | None) -> None:
    """Kill and reap everything the run left behind. The zygote is a child subreaper, so every descendant that
    outlives its parent is re-parented to us: when waitpid says we have no children, nothing is left."""
    for attempt in range(10_000):
        try:
            while True:
                pid, _ = os.waitpid(-1, os.WNOHANG)
                if pid == 0:
                    break
        except ChildProcessError:
            return  # fast path: no descendants at all
        if attempt == 0:
            with contextlib.suppress(OSError):
                os.killpg(pgid, signal.SIGKILL)
        if uid is not None:
            kill_uid(uid)
        else:
            for child in _children_of(os.getpid()):
                with contextlib.suppress(OSError):
                    os.kill(child, signal.SIGKILL)
        time.sleep(0.0005 if attempt < 100 else 0.01)
    raise RuntimeError("could not reap leftover processes")


def _classify(
    limits: dict[str, float], wall_timeout: bool, status: int, cpu: float, out_size: int, tail: str
) -> tuple[str, int | None]:
    if wall_timeout:
        return "timeout", None
    exit_code = os.waitstatus_to_exitcode(status)  # negative: killed by that signal
    if exit_code == SETUP_FAILED:
        return "sandbox_error", exit_code
    # SIGXCPU only comes from RLIMIT_CPU; the hard limit's SIGKILL comes one second later.
    if cpu > limits["cpu_seconds"] or exit_code == -signal.SIGXCPU:
        return "timeout", exit_code
    if exit_code == -signal.SIGKILL and cpu >= int(limits["cpu_seconds"]) - 0.05:
        return "timeout", exit_code
    if out_size >= limits["output_bytes"] or "File too large" in tail:
        return "output_limit", exit_code
    if exit_code == 0:
        return "ok", 0
    if "MemoryError" in tail.rstrip().rsplit("\n", 1)[-1]:
        return "memory", exit_code
    if exit_code > 0 or exit_code in (-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS, -signal.SIGFPE):
        return "runtime_error", exit_code
    return "killed", exit_code


def _tail(path: str) -> str:
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        f.seek(max(0, size - STDERR_TAIL))
        return f.read().decode("utf-8", "replace")


def serve_one(
    workdir: str, uid: int | None, limits: dict[str, float], code: bytes, stdin: bytes
) -> tuple[str, int | None, float, float, bytes, str]:
    in_path, out_path, err_path = (os.path.join(workdir, n) for n in ("in", "out", "err"))
    with open(in_path, "wb") as f:
        f.write(stdin)
    in_fd = os.open(in_path, os.O_RDONLY)
    out_fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err_fd = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    report_r, report_w = os.pipe()
    cwd = fresh_run_dir(uid)
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # ------------------------------------------------------------ child
        try:
            os.setsid()
            os.dup2(in_fd, 0)
            os.dup2(out_fd, 1)
            os.dup2(err_fd, 2)
            os.chdir(cwd)
            set_rlimits(limits)
            drop_privileges(uid)
            os.dup2(report_w, 3)
            os.closerange(4, 1 << 16)  # the solution must not see the zygote's pipes or lock
        except BaseException:
            try:
                os.write(2, traceback.format_exc().encode())
            finally:
                os._exit(SETUP_FAILED)
        report_startup_cpu(3)
        run_solution(code, bool(limits.get("file_io")))
    # ------------------------------------------------------------------------------ zygote
    for fd in (in_fd, out_fd, err_fd, report_w):
        os.close(fd)
    wall_timeout = False
    pidfd = os.pidfd_open(pid)
    try:
        ready, _, _ = select.select([pidfd], [], [], limits["wall_seconds"])
        if not ready:
            wall_timeout = True
            os.killpg(pid, signal.SIGKILL)
    finally:
        os.close(pidfd)
    _, status, rusage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    _reap_leftovers(pid, uid)  # first: nothing may still be writing into the run directory
    remove_run_dir(cwd)
    with os.fdopen(report_r, "rb") as f:  # every writer is gone now, so this cannot block
        startup = f.read(64).strip()
    cpu = max(0.0, rusage.ru_utime + rusage.ru_stime - (float(startup) if startup else 0.0))
    out_size = os.path.getsize(out_path)
    tail = _tail(err_path)
    state, exit_code = _classify(limits, wall_timeout, status, cpu, out_size, tail)
    with open(out_path, "rb") as f:
        stdout = f.read(int(limits["output_bytes"]))
    return state, exit_code, cpu, wall, stdout, tail


def serve(config: dict[str, object]) -> None:
    # Anything printed by mistake must not reach fd 1 (the protocol pipe) or a child's output file.
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115
    isolate = bool(config.get("isolate", True)) and is_root()
    uid = None
    net_isolated = False
    if isolate:
        uid, _lock_fd = acquire_uid()  # the lock fd stays open for the zygote's lifetime
        try:
            unshare(CLONE_NEWNET)  # once per zygote: every child inherits an empty network namespace
            net_isolated = True
        except OSError:
            pass
        isolate_filesystem()
    for name in PRELOAD:
        __import__(name)
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if config.get("scratch"):  # the parent's choice (our own environment was scrubbed)
        os.environ["SPEEDHINTS_SANDBOX_TMP"] = str(config["scratch"])
    workdir = ZYGOTE_DIR if uid is not None else _mkdtemp(scratch_base())
    rfd, wfd = 0, 1
    _write_all(wfd, json.dumps({"ready": True, "uid": uid, "net_isolated": net_isolated}).encode() + b"\n")
    try:
        while True:
            try:
                header = json.loads(_read_line(rfd))
                code = _read_exact(rfd, int(header["code"]))
                stdin = _read_exact(rfd, int(header["stdin"]))
            except EOFError:
                return
            state, exit_code, cpu, wall, stdout, tail = serve_one(workdir, uid, header["limits"], code, stdin)
            reply = {
                "status": state,
                "exit_code": exit_code,
                "cpu": cpu,
                "wall": wall,
                "stdout": len(stdout),
                "stderr_tail": tail,
            }
            _write_all(wfd, json.dumps(reply).encode() + b"\n" + stdout)
    finally:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--serve":
        serve(json.loads(sys.argv[2]))
    else:
        sys.stderr.write("usage: sandbox_zygote.py --serve CONFIG_JSON\n")
        sys.exit(2)
