"""Every input is read up to its limit and no further (issue 25): a device, a pipe or a folder is
refused by its type before any read, a longer file after reading its limit. Real processes with
a memory limit and a time limit, where memory or blocking is the point."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest

from pipeline.comment import MAX_INPUT_CHARS
from tests.cli_helpers import draft_file, run
from tests.conftest import TRANSLATIONS
from tests.servers import ArxivServer, OpenAIServer

DATE = "2025-06-24"
KO = "PRM. 각 단계가 일관되는지, 추론의 템플릿이 적절한지 등을 평가하게 했군요."
EN = TRANSLATIONS[KO]
MEMORY = 1024**3  # 1 GiB of address space: reading /dev/zero whole would hit it in a second


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run_limited(
    *args: str, stdin: int | IO[bytes] = subprocess.DEVNULL
) -> subprocess.CompletedProcess[str]:
    """digest in a real process with 1 GiB of memory and a minute at most."""
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_limit_memory,
    )


def one_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("Error: ")
    return line


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["draft", "2506.18896", "--comment-file", "/dev/zero"], "comment file /dev/zero"),
        (["draft", "--notes", "/dev/zero"], "notes file /dev/zero"),
        (["import", "/dev/zero"], "digest file /dev/zero"),
        (["eval", "--corpus", "/dev/zero"], "corpus /dev/zero"),
        (["eval", "--compare", "/dev/zero", "/dev/zero"], "results file /dev/zero"),
    ],
)
def test_a_device_is_refused_before_any_read(args: list[str], named: str, isolated: Path) -> None:
    line = one_error(run_limited(*args))
    assert line == f"Error: {named} is a device, not a file; give a text file"


def test_stdin_from_dev_zero_is_read_to_its_limit_only(isolated: Path) -> None:
    with open("/dev/zero", "rb") as zeros:
        line = one_error(run_limited("draft", "2506.18896", "--date", DATE, stdin=zeros))
    assert f"stdin is longer than {MAX_INPUT_CHARS:,} characters" in line
    assert not (isolated / "drafts").exists()


def test_a_named_pipe_does_not_block(isolated: Path) -> None:
    os.mkfifo(isolated / "fifo")  # nobody writes to it: opening it to read would wait forever
    line = one_error(run_limited("draft", "2506.18896", "--comment-file", "fifo"))
    assert line == "Error: comment file fifo is a pipe, not a file; give a text file"
    line = one_error(run_limited("draft", "--notes", "fifo"))
    assert "notes file fifo is a pipe" in line


def test_a_folder_and_a_link_to_a_device_are_named(isolated: Path) -> None:
    (isolated / "folder").mkdir()
    (isolated / "zeros").symlink_to("/dev/zero")
    result = run("import", "folder")
    assert result.code == 2 and "digest file folder is a folder, not a file" in result.stderr
    result = run("draft", "2506.18896", "--comment-file", "zeros")
    assert result.code == 2 and "comment file zeros is a device" in result.stderr


def test_a_comment_file_over_the_limit_leaves_the_draft_intact(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    assert run("draft", "2506.18896", "--comment", KO, "--date", DATE).code == 0
    before = draft_file(isolated, DATE, "2506.18896").read_bytes()
    (isolated / "long.txt").write_text("가" * (MAX_INPUT_CHARS + 1), encoding="utf-8")
    result = run("draft", "2506.18896", "--comment-file", "long.txt", "--date", DATE)
    assert result.code == 2
    assert result.stderr.strip() == (
        f"Error: comment file long.txt is longer than {MAX_INPUT_CHARS:,} characters, "
        "the most it may hold; a wrong file? Nothing was taken from it"
    )
    assert draft_file(isolated, DATE, "2506.18896").read_bytes() == before


def test_the_limit_counts_characters_not_bytes(isolated: Path) -> None:
    """64,000 Hangul syllables are 192,000 bytes: read whole, then the comment rule speaks."""
    (isolated / "long.txt").write_text("가" * MAX_INPUT_CHARS, encoding="utf-8")
    result = run("draft", "2506.18896", "--comment-file", "long.txt", "--date", DATE)
    assert result.code == 2 and "a comment is at most 8,000" in result.stderr


def test_a_glossary_that_is_a_device_is_named(isolated: Path) -> None:
    result = run("draft", "2506.18896", "--comment", KO, env={"DIGEST_GLOSSARY": "/dev/zero"})
    assert result.code == 2
    assert (
        result.stderr.strip()
        == "Error: the glossary /dev/zero is a device, not a file; give a text file"
    )
