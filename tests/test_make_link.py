"""`make link` puts `digest` on PATH (issue 27, item 1): a link in BINDIR (~/.local/bin by
default) to the venv's script, which then runs from any folder."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import REPO


def make_link(bindir: Path, path: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO), "link", f"BINDIR={bindir}"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PATH": path},
    )


def test_make_link_puts_digest_on_path(isolated: Path) -> None:
    bindir = isolated / "home" / ".local" / "bin"
    linked = make_link(bindir, os.environ["PATH"])
    assert linked.returncode == 0, linked.stderr
    link = bindir / "digest"
    assert link.is_symlink() and link.resolve() == (REPO / ".venv" / "bin" / "digest").resolve()
    assert f'{bindir} is not on PATH: add  export PATH="{bindir}:$PATH"' in linked.stderr
    # on PATH, `digest` runs from a folder that is not the repository's
    elsewhere = isolated / "elsewhere"
    elsewhere.mkdir()
    ran = subprocess.run(
        ["digest", "--version"],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env={**os.environ, "PATH": f"{bindir}:/usr/bin:/bin"},
        timeout=60,
    )
    assert ran.returncode == 0 and ran.stdout.startswith("digest, version "), ran.stderr
    # again, with BINDIR on PATH: the link is replaced, and nothing to advise
    again = make_link(bindir, f"{bindir}:{os.environ['PATH']}")
    assert again.returncode == 0 and "not on PATH" not in again.stderr
    assert link.resolve() == (REPO / ".venv" / "bin" / "digest").resolve()
