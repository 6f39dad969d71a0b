"""The three kinds of failure a user can act on, each with its exit code (CONTRACT.md)."""

from __future__ import annotations

from enum import IntEnum


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
