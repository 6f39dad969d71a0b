"""The kinds of failure a user can act on, each with its exit code (the contract's table, and 4
for the machine), and the redaction of secrets from whatever is printed."""

from __future__ import annotations

import errno
import os
import re
from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    OK = 0
    CHECK_FAILED = 1
    BAD_INPUT = 2
    SERVICE = 3
    ENVIRONMENT = 4
    INTERRUPTED = 130


class DigestError(Exception):
    """Base of the errors the CLI turns into one line and an exit code."""

    exit_code: ExitCode = ExitCode.BAD_INPUT


class InputError(DigestError):
    """Bad input or usage: the message names the bad value (and file:line where there is one)."""

    exit_code = ExitCode.BAD_INPUT


class ServiceError(DigestError):
    """arXiv or the model API failed after retries, or is not configured."""

    exit_code = ExitCode.SERVICE


class CheckFailed(DigestError):
    """Work was done, but a check failed (the draft is written and marked)."""

    exit_code = ExitCode.CHECK_FAILED


class EnvironmentFailure(DigestError):
    """The machine failed us (a full disk, an I/O error): not the author's input, not a service."""

    exit_code = ExitCode.ENVIRONMENT


_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}")
_KEY_SHAPED = re.compile(r"\bsk-[A-Za-z0-9_-]{12,}")


def redact(text: str) -> str:
    """The text with the API key, and anything shaped like a bearer token or an OpenAI key,
    replaced: a server's error detail may echo the request's Authorization header."""
    key = os.environ.get("OPENAI_API_KEY", "")
    if len(key) >= 8:
        text = text.replace(key, "[redacted]")
    text = _BEARER.sub(r"\1[redacted]", text)
    return _KEY_SHAPED.sub("[redacted]", text)


def write_failure(path: Path, exc: OSError) -> InputError | EnvironmentFailure:
    """A write that failed: the machine (disk full, I/O) or the set-up (permissions)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO):
        return EnvironmentFailure(f"cannot write {path}: {exc.strerror}; free some space and retry")
    return InputError(f"cannot write {path}: {exc.strerror}")
