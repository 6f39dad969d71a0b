"""Run the real `digest` command line, as the author would: in this process (fast), or in a
real process where a test needs one (signals, a terminal, the make targets, isolation)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipeline.cli import run as run_cli
from pipeline.console import Console


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


@contextmanager
def environment(env: dict[str, str] | None) -> Iterator[None]:
    """os.environ with `env` on top, for the duration of one command."""
    saved = dict(os.environ)
    os.environ.update(env or {})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run(
    *args: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    tty: bool = False,
) -> Result:
    """The command line in this process, through the same entry as `digest` (cli.run), with
    stdin piped (or, with `tty`, a terminal: then $EDITOR opens)."""
    out, err = io.StringIO(), io.StringIO()
    console = Console(
        stdin=io.BytesIO((stdin or "").encode("utf-8")),
        stdout=out,
        stderr=err,
        stdin_isatty=tty,
        no_color=True,
    )
    # click itself writes --help and usage errors to sys.stdout/sys.stderr
    with environment(env), redirect_stdout(out), redirect_stderr(err):
        code = run_cli(list(args), console)
    return Result(code, out.getvalue(), err.getvalue())


def run_process(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None, timeout: float = 60
) -> Result:
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def run_with_tty_stdin(args: list[str], env: dict[str, str]) -> Result:
    """A real process with a pseudo-terminal on stdin, so that digest opens $EDITOR."""
    import pty

    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pipeline", *args],
            stdin=follower,
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            timeout=60,
        )
    finally:
        os.close(leader)
        os.close(follower)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def draft_file(root: Path, date: str, entry_id: str) -> Path:
    return root / "drafts" / date / f"{entry_id.replace('/', '_')}.yaml"


def load_draft(root: Path, date: str, entry_id: str) -> dict:
    return yaml.safe_load(draft_file(root, date, entry_id).read_text(encoding="utf-8"))
