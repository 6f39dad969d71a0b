"""Comment stage (pipeline/comment.py): the author's Korean from an option, a file or stdin, and a
day's notes file. Bad input is named (a notes file by file and line, every bad block at once)
before any request, text that is not UTF-8 is refused, what is kept is normalised (NFC, no BOM)."""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.comment import parse_notes
from pipeline.errors import InputError
from tests.cli_helpers import DATE, KO, draft_file, draft_sample, load_draft, run
from tests.conftest import TRANSLATIONS
from tests.servers import ArxivServer, OpenAIServer


def test_decomposed_hangul_is_the_same_comment(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """NFD input (macOS) is stored as NFC, so terms are found and checks run."""
    decomposed = unicodedata.normalize("NFD", KO)
    assert decomposed != KO
    assert run("draft", "2506.18896", "--comment", decomposed, "--date", DATE).code == 0
    saved = load_draft(isolated, DATE, "2506.18896")
    assert saved["comment_ko"] == KO and saved["comment_en"] == TRANSLATIONS[KO]


def test_invisible_separator_lines_and_lost_blank_lines_in_a_notes_file(isolated: Path) -> None:
    """Every bad block is named at once."""
    text = (
        "2506.00001\n첫 코멘트.\n\u200b\n2506.00002\n둘째 코멘트.\n"  # a zero-width separator
        "\n2506.00003\n셋째 코멘트.\n2506.00004\n넷째 코멘트.\n"  # a blank line lost
        "\nnot-an-id\n다섯째.\n"
        "\n2506.00005\n#rl\n여섯째.\n"  # a tags line in the middle
    )
    (isolated / "day.txt").write_text(text, encoding="utf-8")
    result = run("draft", "--notes", "day.txt", "--date", DATE)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert result.code == 2 and len(errors) == 3, result.stderr
    assert "day.txt:9: an id line inside the comment of 2506.00003" in errors[0]
    assert "day.txt:12: not an arXiv id" in errors[1]
    assert "day.txt:16: a tags line inside the comment of 2506.00005" in errors[2]
    assert not (isolated / "drafts").exists()  # nothing started


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("2506.18896\n", 1, "has no comment"),
        ("2506.18896\n코멘트\n#rl #a!b\n", 3, "is not a tag"),
        ("2506.18896\n코멘트\n\n2506.18896v2\n또\n", 4, "appears twice"),
        ("코멘트부터\n2506.18896\n", 1, "not an arXiv id"),
        ("\n\n", 0, "no notes found"),
        ("2506.18896\n" + "가" * 9000 + "\n", 1, "9,000 characters; a comment is at most 8,000"),
    ],
)
def test_bad_notes_files(text: str, line: int, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_notes(text, "n.txt")
    assert message in str(info.value)
    if line:
        assert str(info.value).startswith(f"n.txt:{line}: ")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_notes_parser_never_crashes(text: str) -> None:
    try:
        blocks = parse_notes(text, "n.txt")
    except InputError as exc:
        assert str(exc).startswith("n.txt")
        return
    assert all(b.comment for b in blocks)


def run_bytes(args: list[str], stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args], input=stdin, capture_output=True, timeout=60
    )


@pytest.mark.parametrize(
    "args",
    [["draft", "2506.18896", "--date", DATE], ["edit", "2506.18896"]],
    ids=["draft", "edit"],
)
def test_stdin_that_is_not_utf8_is_one_line_and_saves_nothing(
    args: list[str], arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    if args[0] == "edit":
        assert draft_sample().code == 0
    before = draft_file(isolated, DATE, "2506.18896")
    saved = before.read_bytes() if before.exists() else None
    result = run_bytes(args, KO.encode("euc-kr"))
    error = result.stderr.decode()
    assert result.returncode == 2 and error.count("\n") == 1 and "Traceback" not in error
    assert error.startswith("Error: stdin is not UTF-8 text (byte 0x")
    assert (before.read_bytes() if before.exists() else None) == saved


def test_a_whole_paper_piped_by_mistake_is_refused_before_any_request(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    result = run("draft", "2506.18896", "--date", DATE, stdin="논문 전문. " * 2000)
    assert result.code == 2 and result.stderr == (
        "Error: the text is 13,999 characters; a comment is at most 8,000 (a wrong file?)\n"
    )
    assert not arxiv_server.requests and not model_server.requests


def test_a_byte_order_mark_is_dropped_and_bad_argv_bytes_refused(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    (isolated / "c.txt").write_bytes(b"\xef\xbb\xbf" + KO.encode())
    assert run("draft", "2506.18896", "--comment-file", "c.txt", "--date", DATE).code == 0
    assert load_draft(isolated, DATE, "2506.18896")["comment_ko"] == KO
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "draft", "2506.08737", "--comment", b"\xbf\xf6 x"],
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.decode().strip() == "Error: the text is not UTF-8; nothing was saved"


def test_a_broken_tags_line_in_a_notes_file_is_named(isolated: Path) -> None:
    (isolated / "day.txt").write_text(f"2506.18896\n{KO}\n#rl @@\n", encoding="utf-8")
    result = run("draft", "--notes", "day.txt", "--date", DATE)
    assert result.code == 2 and "day.txt:3: '#rl @@' looks like a tags line" in result.stderr
