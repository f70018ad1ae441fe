"""Runs one solution in this process: the last step of both sandbox paths (stdlib only, cheap to import).

Used by the fork server's children (``sandbox_zygote.py``) and, as a script, by ``run_once``'s fresh interpreter:
``python3 -I -S -c "...; sandbox_runner.main()" CODE_FD REPORT_FD``. By then the caller has set up the limits,
the working directory, fds 0/1/2 and (as root) the uid; what is left is to report the CPU already spent, so it
can be subtracted, and to execute the code the way ``python3 solution.py`` would.
"""

from __future__ import annotations

import builtins
import contextlib
import gc
import io
import os
import resource
import sys
import traceback


class _Quitter:
    """`exit` / `quit` as the site module defines them (we run with -S, so they are not there by default)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Use {self.name}() or Ctrl-D (i.e. EOF) to exit"

    def __call__(self, code: object = None) -> None:
        raise SystemExit(code)


def _install_std_streams() -> None:
    """Rebind sys.std* to fds 0/1/2 the way a fresh interpreter does (UTF-8, universal newlines on input)."""
    sys.stdin = sys.__stdin__ = io.TextIOWrapper(  # type: ignore[misc]
        io.BufferedReader(io.FileIO(0, "rb", closefd=False)), encoding="utf-8", errors="surrogateescape"
    )
    sys.stdout = sys.__stdout__ = io.TextIOWrapper(  # type: ignore[misc]
        io.BufferedWriter(io.FileIO(1, "wb", closefd=False)), encoding="utf-8", errors="surrogateescape"
    )
    sys.stderr = sys.__stderr__ = io.TextIOWrapper(  # type: ignore[misc]
        io.BufferedWriter(io.FileIO(2, "wb", closefd=False)),
        encoding="utf-8",
        errors="backslashreplace",
        line_buffering=True,
    )


def _exit_code(exc: SystemExit) -> int:
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    with contextlib.suppress(Exception):
        print(code, file=sys.stderr)
    return 1


def report_startup_cpu(report_fd: int) -> None:
    """Tell the parent how much CPU this process spent before the solution starts (sandbox set-up, interpreter
    start-up), so cpu_seconds is the solution's own work in both the zygote and the fresh-interpreter path."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    try:
        os.write(report_fd, f"{usage.ru_utime + usage.ru_stime!r}\n".encode())
    finally:
        os.close(report_fd)


def _provide_input_file() -> None:
    """File-I/O problems (Codeforces' "input.txt"/"output.txt" ones): stdin's content also as ./input.txt."""
    data = b""
    while chunk := os.read(0, 1 << 16):
        data += chunk
    os.lseek(0, 0, os.SEEK_SET)  # stdin is a regular file: rewind it for the program
    with open("input.txt", "wb") as f:
        f.write(data)


def _forward_output_file() -> None:
    """File-I/O problems: when the program wrote ./output.txt and nothing on stdout, that file is the output."""
    if os.lseek(1, 0, os.SEEK_CUR) > 0 or not os.path.isfile("output.txt"):
        return
    with open("output.txt", "rb") as f:
        while chunk := f.read(1 << 16):
            view = memoryview(chunk)
            while view:
                view = view[os.write(1, view) :]


def run_solution(source: bytes, file_io: bool = False) -> None:
    """Execute `source` as __main__ with fds 0/1/2 in place, then _exit with its exit code. Never returns."""
    code = 1
    try:
        if file_io:
            _provide_input_file()
        _install_std_streams()
        builtins.exit = _Quitter("exit")  # type: ignore[assignment]
        builtins.quit = _Quitter("quit")  # type: ignore[assignment]
        sys.argv = ["solution.py"]
        sys.setrecursionlimit(1000)
        # Python 2, which these programs were written for, prints ints of any length; 3.11 refuses past 4300
        # digits (a guard for untrusted *input* parsing, which the rlimits already bound here).
        if hasattr(sys, "set_int_max_str_digits"):
            sys.set_int_max_str_digits(0)
        main = type(sys)("__main__")
        sys.modules["__main__"] = main
        try:
            compiled = compile(source, "solution.py", "exec")
            exec(compiled, main.__dict__)
            code = 0
        except SystemExit as exc:
            code = _exit_code(exc)
        except BaseException as exc:
            # the traceback python3 solution.py would print: without this function's own frame
            traceback.print_exception(type(exc), exc, exc.__traceback__.tb_next if exc.__traceback__ else None)
            code = 1
        threading = sys.modules.get("threading")
        if threading is not None:  # like interpreter shutdown: wait for non-daemon threads
            try:
                threading._shutdown()
            except SystemExit as exc:
                code = _exit_code(exc)
            except BaseException:
                traceback.print_exc()
                code = code or 1
        # Like interpreter finalization: drop the program's globals so files it opened and never closed (a
        # buffered open('output.txt', 'w'), os.fdopen(1, 'w')) are flushed by their finalizers before _exit.
        with contextlib.suppress(BaseException):
            main.__dict__.clear()
            gc.collect()
        try:
            if not sys.stdout.closed:  # a program may close sys.stdout itself; python3 ignores that at exit
                sys.stdout.flush()
            if file_io:
                _forward_output_file()
        except BaseException:
            traceback.print_exc()  # e.g. EFBIG when the output limit was hit while flushing
            code = code or 1
        with contextlib.suppress(BaseException):
            sys.stderr.flush()
    finally:
        os._exit(code)


def main() -> None:
    """``CODE_FD REPORT_FD [file_io]``: read the code from CODE_FD (a memfd, so no file the sandbox uid must be
    able to read), report the start-up CPU on REPORT_FD, then run the solution."""
    code_fd, report_fd = int(sys.argv[1]), int(sys.argv[2])
    file_io = sys.argv[3:] == ["file_io"]
    with os.fdopen(code_fd, "rb") as f:
        f.seek(0)
        source = f.read()
    report_startup_cpu(report_fd)
    run_solution(source, file_io)
