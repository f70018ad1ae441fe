"""The sandbox against hostile and ordinary programs, through both the fork server and a fresh interpreter."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from speedhints.training.data import sandbox_zygote
from speedhints.training.data.compare import outputs_match
from speedhints.training.data.sandbox import Limits, RunResult, Sandbox, run_once

ROOT = sandbox_zygote.is_root()
FAST = Limits(cpu_seconds=1.0, wall_seconds=2.0, memory_bytes=512 << 20, output_bytes=4 << 20)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(workers=2, limits=FAST) as sb:
        yield sb


@pytest.fixture(params=["zygote", "fresh"])
def run(request: pytest.FixtureRequest, sandbox: Sandbox):  # type: ignore[no-untyped-def]
    """Each behaviour is checked through both paths, which must agree."""
    if request.param == "zygote":
        return lambda code, stdin=b"", limits=FAST: sandbox.run(code, stdin, limits)
    return lambda code, stdin=b"", limits=FAST: run_once(code, stdin, limits)


def test_echo_and_cpu_time_is_the_programs_own(run) -> None:  # type: ignore[no-untyped-def]
    r: RunResult = run("a, b = map(int, input().split())\nprint(a + b)\n", b"2 40\n")
    assert (r.status, r.exit_code, r.stdout) == ("ok", 0, b"42\n")
    assert r.cpu_seconds < 0.05  # interpreter start-up (~15 ms) is not counted
    busy = run("s = 0\nfor i in range(2 * 10**6): s += i\nprint(s)\n")
    assert busy.status == "ok" and busy.stdout == b"1999999000000\n"
    assert busy.cpu_seconds > 5 * r.cpu_seconds


def test_site_builtins_and_sys_exit(run) -> None:  # type: ignore[no-untyped-def]
    r = run("print(1)\nexit()\nprint(2)\n")
    assert (r.status, r.stdout) == ("ok", b"1\n")
    r = run("import sys\nprint('x')\nsys.exit(3)\n")
    assert (r.status, r.exit_code, r.stdout) == ("runtime_error", 3, b"x\n")


def test_stdin_buffer_and_universal_newlines(run) -> None:  # type: ignore[no-untyped-def]
    r = run("import sys\nprint(repr(sys.stdin.buffer.readline()), repr(input()))\n", b"a\r\nb\r\n")
    assert r.stdout == b"b'a\\r\\n' 'b'\n"


def test_closing_stdout_itself_is_fine(run) -> None:  # type: ignore[no-untyped-def]
    r = run("import sys\nprint(5)\nsys.stdout.flush()\nsys.stdout.close()\n")
    assert (r.status, r.stdout) == ("ok", b"5\n")


def test_file_io_mode_gives_input_txt_and_takes_output_txt(run) -> None:  # type: ignore[no-untyped-def]
    code = "data = open('input.txt').read().split()\nopen('output.txt', 'w').write(str(sum(map(int, data))))\n"
    limits = Limits(cpu_seconds=1.0, wall_seconds=5.0, file_io=True)
    r = run(code, b"2 40\n", limits)
    assert (r.status, r.stdout) == ("ok", b"42")
    assert run("print(input())\n", b"stdin still works\n", limits).stdout == b"stdin still works\n"
    plain = run(code, b"2 40\n")  # without the mode there is no input.txt
    assert plain.status == "runtime_error" and "FileNotFoundError" in plain.stderr_tail
    assert Limits().key() != limits.key() and "file_io" not in Limits().key()


def test_files_left_open_are_flushed_at_exit(run) -> None:  # type: ignore[no-untyped-def]
    """As at interpreter shutdown: a program that never closes what it opened still gets its output out."""
    limits = Limits(cpu_seconds=1.0, wall_seconds=5.0, file_io=True)
    assert run("f = open('output.txt', 'w')\nf.write('7')\n", b"", limits).stdout == b"7"
    assert run("import os\nout = os.fdopen(1, 'w')\nout.write('hello')\n").stdout == b"hello"


def test_big_integers_print_like_python2(run) -> None:  # type: ignore[no-untyped-def]
    r = run("print(len(str(5 ** 20000)))\n")
    assert (r.status, r.stdout) == ("ok", b"13980\n")


def test_reading_past_stdin_is_a_runtime_error(run) -> None:  # type: ignore[no-untyped-def]
    r = run("input()\ninput()\n", b"only one line\n")
    assert r.status == "runtime_error" and "EOFError" in r.stderr_tail


def test_syntax_error_is_a_runtime_error(run) -> None:  # type: ignore[no-untyped-def]
    r = run("print 'python 2'\n")
    assert r.status == "runtime_error" and "SyntaxError" in r.stderr_tail


def test_infinite_loop_hits_the_cpu_limit(run) -> None:  # type: ignore[no-untyped-def]
    limits = Limits(cpu_seconds=1.0, wall_seconds=20.0)  # a generous wall: the shared machine may be busy
    r = run("while True:\n    pass\n", b"", limits)
    assert r.status == "timeout" and r.exit_code == -signal.SIGXCPU  # RLIMIT_CPU, not the wall clock
    assert 0.5 <= r.cpu_seconds <= 2.5  # rusage is tick-sampled: on a busy VM it reads a little under 1 s


def test_sleeping_hits_the_wall_limit(run) -> None:  # type: ignore[no-untyped-def]
    limits = Limits(cpu_seconds=1.0, wall_seconds=0.5)
    r = run("import time\ntime.sleep(30)\n", b"", limits)
    assert r.status == "timeout" and r.exit_code is None
    assert 0.4 < r.wall_seconds < 2.0


def test_exhausting_memory(run) -> None:  # type: ignore[no-untyped-def]
    # generous CPU: the VM's first touch of fresh memory can be slow
    limits = Limits(cpu_seconds=3.0, wall_seconds=6.0, memory_bytes=256 << 20)
    r = run("x = []\nwhile True:\n    x.append(bytearray(1 << 24))\n", b"", limits)
    assert r.status == "memory" and "MemoryError" in r.stderr_tail


def test_printing_100_mb_stops_at_the_output_limit(run) -> None:  # type: ignore[no-untyped-def]
    r = run("import sys\nline = 'x' * (1 << 20)\nfor _ in range(100):\n    sys.stdout.write(line)\n")
    assert r.status == "output_limit"
    assert len(r.stdout) <= FAST.output_bytes


def test_fork_bomb_is_contained_and_cleaned_up(run) -> None:  # type: ignore[no-untyped-def]
    bomb = (
        "import os, sys, time\n"
        "for _ in range(200):\n"
        "    try:\n"
        "        os.fork()\n"
        "    except OSError:\n"
        "        pass\n"
        "os.write(1, b'%d\\n' % os.getpid())\n"
        "time.sleep(30)\n"
    )
    limits = Limits(cpu_seconds=1.0, wall_seconds=1.0, processes=16)
    t0 = time.perf_counter()
    r = run(bomb, b"", limits)
    assert r.status == "timeout"
    assert time.perf_counter() - t0 < 5.0
    pids = [int(x) for x in r.stdout.split()]
    assert pids, "the bomb's processes should have reported themselves"
    if ROOT:
        assert len(set(pids)) <= limits.processes  # RLIMIT_NPROC held the bomb
    time.sleep(0.2)
    assert all(_state_of(pid) in ("Z", "gone") for pid in pids)  # nothing of the bomb still runs
    assert run("print('alive')\n").stdout == b"alive\n"


def _state_of(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "gone"
    return stat[stat.rfind(")") + 2]


def test_background_children_do_not_outlive_the_run(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    time.sleep(3)\n"
        "    print('late', flush=True)\n"
        "    os._exit(0)\n"
        "print('parent done')\n"
    )
    r = run(code)
    assert (r.status, r.stdout) == ("ok", b"parent done\n")
    assert r.wall_seconds < 1.0  # the run did not wait for the sleeping grandchild: it was killed


@pytest.mark.skipif(not ROOT, reason="needs root: only then do runs get their own uid and mount namespace")
def test_writing_files_outside_and_inside_cwd(run) -> None:  # type: ignore[no-untyped-def]
    # A stand-in for the run cache, outside /tmp (which each run gets its own empty copy of).
    work = Path(__file__).resolve().parents[1] / "work"
    work.mkdir(exist_ok=True)
    victim_dir = Path(tempfile.mkdtemp(prefix="test-victim-", dir=work))
    os.chmod(victim_dir, 0o755)
    victim = victim_dir / "cache.sqlite"
    victim.write_bytes(b"precious")
    code = (
        "import os\n"
        "def attempt(path):\n"
        "    try:\n"
        "        open(path, 'w').write('x')\n"
        "        return 'wrote'\n"
        "    except OSError as e:\n"
        "        return type(e).__name__\n"
        "print(attempt('inside.txt'), os.listdir('.'))\n"
        "for path in ['/tmp/outside.txt', '/var/tmp/x', '/dev/shm/x', os.path.expanduser('~/x'),"
        f" {str(victim)!r}]:\n"
        "    print(attempt(path))\n"
    )
    r = run(code)
    assert r.status == "ok", r.stderr_tail
    lines = r.stdout.decode().splitlines()
    assert lines[0] == "wrote ['inside.txt']"
    assert all(line == "PermissionError" or line == "FileNotFoundError" for line in lines[1:]), lines
    assert victim.read_bytes() == b"precious"
    assert not Path("/tmp/outside.txt").exists()
    # the next run starts in a fresh, empty directory and sees none of it
    again = run("import os\nprint(os.listdir('.'))\n")
    assert again.stdout == b"[]\n"
    shutil.rmtree(victim_dir)


@pytest.mark.skipif(not ROOT, reason="the run directory's own tmpfs needs root")
def test_creating_endless_files_is_bounded_and_cleaned(sandbox: Sandbox) -> None:
    code = (
        "n = 0\n"
        "try:\n"
        "    while True:\n"
        "        open('f%d' % n, 'w').close()\n"
        "        n += 1\n"
        "except OSError as e:\n"
        "    print(n < 20000, type(e).__name__)\n"
    )
    limits = Limits(cpu_seconds=5.0, wall_seconds=20.0)
    r = sandbox.run(code, b"", limits)
    assert (r.status, r.stdout) == ("ok", b"True OSError\n")  # the tmpfs ran out of inodes
    assert sandbox.run("import os\nprint(len(os.listdir('.')))\n", b"").stdout == b"0\n"


def test_writing_in_cwd_is_removed_afterwards_without_isolation(tmp_path: Path) -> None:
    """The non-root path: a fresh directory per run that is deleted afterwards."""
    os.environ["SPEEDHINTS_SANDBOX_TMP"] = str(tmp_path)
    try:
        with Sandbox(workers=1, limits=FAST, isolate=False) as sb:
            r = sb.run("import os\nopen('f.txt', 'w').write('x')\nprint(os.listdir('.'), os.getcwd())\n", b"")
            listing, cwd = r.stdout.decode().split(" ")
            assert listing == "['f.txt']" and Path(cwd.strip()).parent == tmp_path  # it ran where we said
            assert sb.run("import os\nprint(os.listdir('.'))\n", b"").stdout == b"[]\n"
    finally:
        del os.environ["SPEEDHINTS_SANDBOX_TMP"]
    assert not any(p.name.startswith("speedhints-run-") for p in tmp_path.iterdir())


@pytest.mark.skipif(not ROOT, reason="network namespaces need root")
def test_network_is_denied(run) -> None:  # type: ignore[no-untyped-def]
    r = run("import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=1)\n")
    assert r.status == "runtime_error" and "unreachable" in r.stderr_tail


def test_closing_fds_and_killing_its_parent(run, sandbox: Sandbox) -> None:  # type: ignore[no-untyped-def]
    r = run("import os\nos.closerange(0, 1024)\n")
    assert r.status in ("ok", "runtime_error")
    r = run("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nprint('still here')\n")
    if ROOT:  # another uid: the zygote (or our own process) cannot be signalled
        assert r.status == "runtime_error" and "PermissionError" in r.stderr_tail
    assert sandbox.run("print(7)\n", b"").stdout == b"7\n"


def test_a_program_that_kills_its_zygote_without_isolation(tmp_path: Path) -> None:
    """Without a uid of its own (non-root) a program can kill the zygote mid-run: the worker is replaced and the
    run retried once (a lost worker is otherwise the machinery's fault); killed twice, the run is "killed"."""
    with Sandbox(workers=1, limits=FAST, isolate=False) as sb:
        r = sb.run("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n", b"")
        assert r.status == "killed" and "worker lost twice" in r.stderr_tail
        assert sb.restarts == 2  # one retry on a fresh worker, which it killed too
        assert sb.run("print(3)\n", b"").stdout == b"3\n"


def test_a_killed_worker_is_replaced(sandbox: Sandbox) -> None:
    before = sandbox.worker_pids
    os.kill(before[0], signal.SIGKILL)
    time.sleep(0.1)
    results = [sandbox.run(f"print({i})\n", b"") for i in range(6)]
    assert [r.stdout for r in results] == [f"{i}\n".encode() for i in range(6)]
    assert before[0] not in sandbox.worker_pids and len(sandbox.worker_pids) == 2
    assert sandbox.restarts >= 1


def test_map_runs_everything_in_parallel(sandbox: Sandbox) -> None:
    jobs = ((i, "print(int(input()) ** 2)\n", f"{i}\n".encode()) for i in range(40))
    got = dict(sandbox.map(jobs))
    assert sorted(got) == list(range(40))
    assert all(got[i].stdout == f"{i * i}\n".encode() for i in range(40))


def test_both_paths_agree_on_output() -> None:
    code = "n = int(input())\nprint(' '.join(str(i * i) for i in range(n)))\nprint(n / 7)\n"
    with Sandbox(workers=1, limits=FAST) as sb:
        a = sb.run(code, b"30\n")
    b = run_once(code, b"30\n", FAST)
    assert a.stdout == b.stdout and outputs_match(a.stdout, b.stdout.decode())
