"""Bad input (issue #2, item 5): every unusable file becomes one line, never a traceback."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from speedhints.model_export.source import BadInput, decode_source, read_source, source_lines


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"print 'hello'\n", r"^not valid Python 3 \(looks like Python 2\): Missing parentheses in call to 'print'"),
        (b"def f(:\n", r"^not valid Python 3: invalid syntax at line 1$"),
        (b"x = '\xff\xfe'\n", r"^file is not UTF-8 \(invalid byte at offset 5\)$"),
        (b"", r"^file is empty$"),
        (b"  \n\n", r"^file is empty$"),
        (b"\x7fELF\x02\x01\x00\x00", r"^file contains NUL bytes \(binary content, not Python source\)$"),
        (
            b"x = " + b"(" * 300 + b")" * 300 + b"\n",
            r"^(code is nested too deeply to parse|not valid Python 3: too many nested parentheses at line 1)$",
        ),
        (b"x = " + b"-" * 150 + b"1\n", r"^code is nested 15\d levels deep, over the limit of 100$"),
    ],
)
def test_bad_content_is_one_line(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.py"
    path.write_bytes(content)
    with pytest.raises(BadInput, match=reason) as info:
        read_source(path)
    assert "\n" not in str(info.value)


def test_size_limit_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "big.py"
    path.write_text("x = 1\n" * 1000)  # 6,000 bytes
    with pytest.raises(BadInput, match=r"^file is 6,000 bytes, over the 5,000-byte limit$"):
        read_source(path, max_bytes=5000)
    assert read_source(path, max_bytes=6000).text.startswith("x = 1\n")


def test_default_limit_is_one_megabyte() -> None:
    with pytest.raises(BadInput, match="over the 1,000,000-byte limit"):
        decode_source(b"#" * 1_000_001)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="^no such file$"):
        read_source(tmp_path / "nope.py")
    with pytest.raises(BadInput, match="^is a directory$"):
        read_source(tmp_path)


def test_good_file_with_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "ok.py"
    path.write_bytes(b"\xef\xbb\xbfprint('ok')\n")
    assert read_source(path).text == "print('ok')\n"


@pytest.mark.parametrize("char", ["\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"])
def test_source_lines_number_lines_as_ast_does(char: str) -> None:
    text = f"# a{char}b\nx = '{char}'\r\ny = 1\rz = 2\n"
    lines = source_lines(text)
    assert lines == [f"# a{char}b\n", f"x = '{char}'\r\n", "y = 1\r", "z = 2\n"]
    assert [n.lineno for n in ast.parse(text).body] == [2, 3, 4]  # what the regions and the hints are numbered by


def test_one_line_splitter_for_hook_bot_and_runtime() -> None:
    """Issue #17 item 4: the bot used str.splitlines while the runtime did not, and dropped hints silently."""
    import speedhints.bot.runner as bot_runner
    import speedhints.hook.regions as hook_regions
    import speedhints.model_export.regions as runtime_regions

    assert bot_runner.source_lines is hook_regions.source_lines is runtime_regions.source_lines is source_lines
