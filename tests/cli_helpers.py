"""Run the real `digest` command in a subprocess, as the author would."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


def run(
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
    """Run with a pseudo-terminal on stdin, so that digest opens $EDITOR."""
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
