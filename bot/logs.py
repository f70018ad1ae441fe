"""Structured JSON log lines for the webhook server, scrubbed of anything that looks like a credential.

Two defences: the values we know are secret (token, private key, webhook secret) are replaced wherever they
appear, and patterns of GitHub tokens, JWTs and PEM blocks are replaced even if we never saw their value
(an installation token minted at run time, say).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Iterable
from typing import Any, TextIO

LOGGER_NAME = "speedhints.bot"
REDACTED = "[REDACTED]"
SECRET_PATTERNS = [
    re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr|ghi)_[A-Za-z0-9_]{10,}"),  # GitHub token prefixes
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{10,}"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),  # a JWT
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S),
    re.compile(r"(?i)\b(authorization|token|bearer)\b([\"':= ]+)(?!\[REDACTED\])[^\s\"',}]{8,}"),
]
# LogRecord attributes that are not user-supplied ``extra`` fields
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
            if "\n" in secret:  # a PEM also shows up JSON-escaped
                text = text.replace(json.dumps(secret)[1:-1], REDACTED)
        for pattern in SECRET_PATTERNS[:-1]:
            text = pattern.sub(REDACTED, text)
        return SECRET_PATTERNS[-1].sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)


class JsonFormatter(logging.Formatter):
    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return self.redactor(json.dumps(entry, default=str, sort_keys=False))


def setup_json_logging(secrets: Iterable[str], stream: TextIO | None = None, level: int = logging.INFO) -> None:
    """Send our logs and uvicorn's through one redacting JSON handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(Redactor(secrets)))
    for name in (LOGGER_NAME, "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False


def get_logger() -> logging.Logger:
    return logging.getLogger(LOGGER_NAME)
