"""Text that cannot go into a draft is kept beside the drafts (DRAFTS/.recovered), never in the
system temp folder, and only what is true is printed (issue 27, item 4). A mistyped id leaves no
draft and no empty day; a full disk is exit 4 with the text kept."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

import pytest

from tests.cli_helpers import draft_sample, drafted, load_draft, run
from tests.servers import ArxivServer, OpenAIServer

DATE = "2025-06-24"
KO = "PRM. 각 단계가 일관되는지, 추론의 템플릿이 적절한지 등을 평가하게 했군요."


def temp_listing() -> set[str]:
    return set(os.listdir(tempfile.gettempdir()))


def kept_path(stderr: str) -> Path:
    error = stderr.strip().splitlines()[-1]
    return Path(error.split("your comment is kept in ", 1)[1].split(": use it with", 1)[0])


def test_a_refused_id_keeps_the_comment_beside_the_drafts_and_claims_no_save(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    before = temp_listing()
    result = run("draft", "2506.1889", "--date", DATE, stdin=KO + "\n#rl\n")
    assert result.code == 2
    assert "Saved the comment" not in result.stderr  # it was never a draft that stays
    assert "arXiv has no paper 2506.1889" in result.stderr
    kept = kept_path(result.stderr)
    assert kept.parent == isolated / "drafts" / ".recovered"
    assert kept.name.startswith("digest-comment-") and kept.suffix == ".md"
    assert kept.read_text(encoding="utf-8") == f"{KO}\n#rl\n"
    assert f"use it with --comment-file {kept}" in result.stderr
    assert not (isolated / "drafts" / DATE).exists()  # no draft, no empty day
    assert temp_listing() == before  # nothing in the system temp folder

    # the kept file is no draft: the store still has none
    assert "no drafts in" in run("check", "--date", DATE).stderr
    # used with the right id, it becomes the draft and goes
    fixed = run("draft", "2506.18896", "--date", DATE, "--comment-file", str(kept))
    assert fixed.code == 0, fixed.stderr
    assert load_draft(isolated, DATE, "2506.18896")["tags"] == ["rl"]
    assert not kept.exists()
    assert temp_listing() == before


def test_a_new_draft_is_announced_as_saved_once_its_paper_is_known(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    result = run("draft", "2506.18896", "--comment", KO, "--date", DATE)
    assert result.code == 0, result.stderr
    lines = result.stderr.splitlines()
    saved = f"Saved the comment in {isolated / 'drafts' / DATE / '2506.18896.yaml'}"
    assert lines.index(saved) > lines.index("arXiv: fetching 1 paper")
    assert lines.index(saved) < lines.index("Translating with gpt-5-mini ...")
    # a changed comment on a draft that exists is announced at once (it cannot be removed)
    changed = run("draft", "2506.18896", "--comment", KO + " 추가", "--date", DATE)
    assert changed.stderr.splitlines()[0].startswith("2506.18896: the comment was replaced")
    assert any(line.startswith("Saved the comment in") for line in changed.stderr.splitlines())
    assert load_draft(isolated, DATE, "2506.18896")["comment_ko"] == KO + " 추가"


def test_text_the_editor_returns_that_cannot_be_taken_is_kept_beside_the_drafts(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    editor = isolated / "ed.sh"
    editor.write_text(f"#!/bin/sh\nprintf '%s\\n%s\\n' '{KO}' '#bad!tag' > \"$1\"\n")
    editor.chmod(0o755)
    before = temp_listing()
    result = run("draft", "2506.18896", "--date", DATE, env={"EDITOR": str(editor)}, tty=True)
    assert result.code == 2
    error = result.stderr.strip().splitlines()[-1]
    kept = Path(error.split("your text is kept in ", 1)[1].split(": fix it there", 1)[0])
    assert kept.parent == isolated / "drafts" / ".recovered"
    assert kept.read_text(encoding="utf-8").startswith(KO)
    assert temp_listing() == before


def test_a_full_disk_is_the_machine_not_the_input(
    arxiv_server: ArxivServer, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exit 4, said as such, and the typed comment kept elsewhere."""
    import pipeline.yamlio

    def full(path: Path, data: bytes, *, durable: bool = True) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(pipeline.yamlio, "atomic_write_bytes", full)
    result = run("draft", "2506.18896", "--comment", KO, "--date", DATE)
    assert result.code == 4, result.stderr
    error = result.stderr.strip().splitlines()[-1]
    assert "No space left on device; free some space and retry" in error
    kept = Path(error.split("your comment is kept in ", 1)[1].split(":", 1)[0])
    assert kept.read_text(encoding="utf-8") == KO + "\n"
    kept.unlink()


def test_a_mistyped_id_keeps_a_piped_comment_in_a_recovery_file(
    arxiv_server: ArxivServer, isolated: Path
) -> None:
    result = run("draft", "2506.1889", "--date", DATE, stdin=KO + "\n")
    assert result.code == 2
    error = result.stderr.strip().splitlines()[-1]
    assert "arXiv has no paper 2506.1889" in error and "your comment is kept in" in error
    kept = Path(error.split("your comment is kept in ", 1)[1].split(":", 1)[0])
    assert kept.read_text(encoding="utf-8") == KO + "\n"
    assert not (isolated / "drafts" / DATE / "2506.1889.yaml").exists()  # no draft of no paper
    kept.unlink()


def test_drafts_folder_not_writable_is_exit_2(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    (isolated / "a-file").write_text("x", encoding="utf-8")
    result = draft_sample(env={"DIGEST_DRAFTS_DIR": str(isolated / "a-file" / "drafts")})
    assert result.code == 2
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("Error: cannot create the drafts folder")
    # nowhere beside the drafts: the temp folder, and the message says what that means
    assert "(a temporary folder, emptied at reboot: move it)" in error
    Path(error.split("your comment is kept in ", 1)[1].split(" (", 1)[0]).unlink()


def test_a_mistyped_id_leaves_no_empty_day(arxiv_server: ArxivServer, isolated: Path) -> None:
    result = run("draft", "2506.1889", "--comment", KO, "--date", "2025-06-27")
    assert result.code == 2 and not (isolated / "drafts" / "2025-06-27").exists()
    Path(result.stderr.split("kept in ", 1)[1].split(":", 1)[0]).unlink()


def test_english_typed_for_edit_is_kept_when_it_cannot_be_saved(
    arxiv_server: ArxivServer,
    model_server: OpenAIServer,
    isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import errno

    import pipeline.yamlio

    drafted()

    def full(path: Path, data: bytes, *, durable: bool = True) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(pipeline.yamlio, "atomic_write_bytes", full)
    result = run("edit", "2506.18896", stdin="My careful English.")
    assert result.code == 4
    kept = Path(result.stderr.split("your English is kept in ", 1)[1].split(":", 1)[0])
    assert kept.read_text(encoding="utf-8") == "My careful English.\n"
    kept.unlink()


def test_a_mistyped_id_in_a_notes_file_leaves_no_draft(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    (isolated / "day.txt").write_text(
        f"2506.18896\n{KO}\n\n2506.1889\n{KO} 오타\n", encoding="utf-8"
    )
    result = run("draft", "--notes", "day.txt", "--date", DATE)
    assert result.code == 2 and "arXiv has no paper 2506.1889" in result.stderr
    assert "no draft kept; the comment is in the notes file" in result.stderr
    assert not (isolated / "drafts" / DATE / "2506.1889.yaml").exists()
    assert load_draft(isolated, DATE, "2506.18896")["status"] == "ready"
