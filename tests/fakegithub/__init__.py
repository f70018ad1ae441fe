"""A fake GitHub REST API over real HTTP on 127.0.0.1, for the bot's tests and load benchmark."""

from .server import FakeFile, FakeGitHub, FakePR, Fault, right_side_lines

__all__ = ["Fault", "FakeFile", "FakeGitHub", "FakePR", "right_side_lines"]
