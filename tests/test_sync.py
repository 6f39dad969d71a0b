"""`digest sync` and `digest new` (issue 23): he writes the Korean in Obsidian, the English
appears in his note. On copies of his real notes (tests/data/vault-sample/) whose English was
taken out, against loopback servers whose model answers with his own English."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from pipeline.note import read_note
from tests.cli_helpers import SINCE_CURRENT, SampleVault, follow, run, start, wait_for
from tests.servers import ArxivServer, FakePaper, OpenAIServer, last_user_comment

SINCE = SINCE_CURRENT  # his older notes have no English by choice: left out here


def test_sync_gives_his_notes_back_and_a_second_run_does_nothing(
    vault: SampleVault, model_server: OpenAIServer, arxiv_server: ArxivServer
) -> None:
    first = run("sync", str(vault.root), *SINCE)
    assert first.code == 0, first.stderr
    assert "English written into 9 notes" in first.stderr
    assert vault.same_as_his() == len(vault.originals) == 99  # every note, byte for byte
    requests = len(model_server.requests)
    assert requests >= 9 and not arxiv_server.requests  # the notes have their papers
    again = run("sync", str(vault.root), *SINCE)
    assert again.code == 0 and "nothing to write" in again.stderr
    assert len(model_server.requests) == requests and not arxiv_server.requests
    assert vault.same_as_his() == 99


def test_a_note_whose_english_fails_is_named_and_gets_none(
    vault: SampleVault, model_server: OpenAIServer
) -> None:
    mhc = vault.root / "arXiv/251231 mHC.md"
    bare = mhc.read_bytes()
    korean = read_note(bare.decode("utf-8")).content.comment_ko
    his = vault.english[korean]
    vault.english[korean] = "Korean left here: 한국어."
    result = run("sync", str(vault.root), *SINCE)
    assert result.code == 1
    assert "held        arXiv/251231 mHC.md (digest edit 2512.24880)" in result.stderr
    assert mhc.read_bytes() == bare  # no English
    again = run("sync", str(vault.root), *SINCE)  # named again, nothing asked
    assert again.code == 1 and "held" in again.stderr
    # he fixes it here: the next sync writes it
    assert run("edit", "2512.24880", stdin=his).code == 0
    fixed = run("sync", str(vault.root), *SINCE)
    assert fixed.code == 0 and "updated     arXiv/251231 mHC.md" in fixed.stderr
    assert mhc.read_bytes() == vault.originals[mhc]  # his note, whole again


def test_force_writes_english_that_fails(vault: SampleVault) -> None:
    mhc = vault.root / "arXiv/251231 mHC.md"
    korean = read_note(mhc.read_bytes().decode("utf-8")).content.comment_ko
    vault.english[korean] = "Korean left here: 한국어."
    result = run("sync", str(vault.root), *SINCE, "--force")
    # written all the same; the exit says a check failed, as `draft` does
    assert result.code == 1 and "한국어." in mhc.read_text(encoding="utf-8")
    assert "English written into 9 notes" in result.stderr


def test_a_save_in_obsidian_while_sync_works_is_never_overwritten(
    vault: SampleVault, model_server: OpenAIServer
) -> None:
    """His save lands after the import read the note, while the model translates it."""
    mhc = vault.root / "arXiv/251231 mHC.md"
    his = mhc.read_text(encoding="utf-8") + "\n\n[[his link]]"

    def saves_meanwhile(request: dict) -> str:
        if "DeepSeek" in last_user_comment(request):
            mhc.write_text(his, encoding="utf-8")
        return vault.answer(request)

    model_server.responder = saves_meanwhile
    result = run("sync", str(vault.root), *SINCE)
    assert result.code == 1, result.stderr
    assert "left        arXiv/251231 mHC.md (edited in the vault since)" in result.stderr
    assert mhc.read_text(encoding="utf-8") == his
    # the next sync takes his save and writes the English into it
    model_server.responder = vault.answer
    again = run("sync", str(vault.root), *SINCE)
    assert again.code == 0, again.stderr
    text = mhc.read_text(encoding="utf-8")
    assert text.endswith("[[his link]]") and "DeepSeek improved" in text


def test_force_never_writes_over_a_save_in_obsidian(
    vault: SampleVault, model_server: OpenAIServer
) -> None:
    """--force lets failing English through; his save made while sync works still wins."""
    mhc = vault.root / "arXiv/251231 mHC.md"
    his = mhc.read_text(encoding="utf-8") + "\n\n[[his link]]"

    def saves_meanwhile(request: dict) -> str:
        if "DeepSeek" in last_user_comment(request):
            mhc.write_text(his, encoding="utf-8")
        return vault.answer(request)

    model_server.responder = saves_meanwhile
    result = run("sync", str(vault.root), *SINCE, "--force")
    assert "left        arXiv/251231 mHC.md (edited in the vault since)" in result.stderr
    assert mhc.read_text(encoding="utf-8") == his


def test_a_note_deleted_while_sync_works_stays_deleted(
    vault: SampleVault, model_server: OpenAIServer
) -> None:
    mhc = vault.root / "arXiv/251231 mHC.md"

    def deletes_meanwhile(request: dict) -> str:
        if "DeepSeek" in last_user_comment(request) and mhc.exists():
            mhc.unlink()
        return vault.answer(request)

    model_server.responder = deletes_meanwhile
    result = run("sync", str(vault.root), *SINCE)
    assert "its note is gone from the vault" in result.stderr, result.stderr
    assert not list(vault.root.rglob("*mHC*")) and not list(vault.root.rglob("*2512.24880*"))


def test_what_he_changes_with_digest_is_written_at_the_next_sync(
    vault: SampleVault, model_server: OpenAIServer
) -> None:
    """The draft ahead of its note: a new Korean (digest draft, translated then), or new
    English (digest edit), goes into the note with nothing else of it changed."""
    assert run("sync", str(vault.root), *SINCE).code == 0
    mhc = vault.root / "arXiv/251231 mHC.md"
    before = mhc.read_text(encoding="utf-8")
    note = read_note(before).content
    korean, english = note.comment_ko + " 더.", note.comment_en + " More."
    vault.english[korean] = english
    drafted = run("draft", "2512.24880", "--comment", korean)
    assert drafted.code == 0, drafted.stderr
    synced = run("sync", str(vault.root), *SINCE)
    assert synced.code == 0 and "updated     arXiv/251231 mHC.md" in synced.stderr
    after = mhc.read_text(encoding="utf-8")
    assert after == before.replace(note.comment_ko, korean).replace(note.comment_en, english)
    better = english + " Better now."
    assert run("edit", "2512.24880", stdin=better).code == 0
    edited = run("sync", str(vault.root), *SINCE)
    assert edited.code == 0 and "updated     arXiv/251231 mHC.md" in edited.stderr
    assert mhc.read_text(encoding="utf-8") == after.replace(english, better)


def test_a_comment_he_changes_under_the_english_is_translated_again(vault: SampleVault) -> None:
    assert run("sync", str(vault.root), *SINCE).code == 0
    mhc = vault.root / "arXiv/251231 mHC.md"
    text = mhc.read_text(encoding="utf-8")
    korean = read_note(text).content.comment_ko
    changed = korean + " 한 문장 더."
    vault.english[changed] = vault.english[korean] + " One sentence more."
    mhc.write_text(text.replace(korean, changed), encoding="utf-8")
    result = run("sync", str(vault.root), *SINCE)
    assert result.code == 0, result.stderr
    now = read_note(mhc.read_text(encoding="utf-8")).content
    assert now.comment_ko == changed and now.comment_en == vault.english[changed]


def test_a_note_that_lacks_its_paper_gets_it_from_arxiv(
    isolated: Path, model_server: OpenAIServer, arxiv_server: ArxivServer
) -> None:
    vault = isolated / "Obsidian"
    (vault / "arXiv").mkdir(parents=True)
    arxiv_server.add(FakePaper("2512.00001", "A Paper: Long Title", ["Ann Lee"], "Its abstract."))
    note = vault / "arXiv/251201 A Paper.md"
    note.write_text("https://arxiv.org/abs/2512.00001\n\n보상에 노이즈를 추가하는 방법.\n", "utf-8")
    model_server.responder = lambda request: "Adding noise to the reward."
    result = run("sync", str(vault))
    assert result.code == 0, result.stderr
    assert len(arxiv_server.requests) == 1  # what the note lacks, asked once: the paper's context
    assert "Its abstract." in str(model_server.requests[0])
    assert note.read_text(encoding="utf-8") == (
        "https://arxiv.org/abs/2512.00001\n\n보상에 노이즈를 추가하는 방법.\n\n"
        "Adding noise to the reward.\n"
    )  # the note keeps its own layout: no title line is added, its line end stays


def test_digest_vault_is_the_vault_and_none_is_a_clear_error(vault: SampleVault) -> None:
    result = run("sync", *SINCE, env={"DIGEST_VAULT": str(vault.root)})
    assert result.code == 0 and "English written into 9 notes" in result.stderr
    missing = run("sync")
    assert missing.code == 2 and "DIGEST_VAULT" in missing.stderr


# -- digest new ---------------------------------------------------------------------------------
def test_new_makes_his_note_and_names_an_existing_one(
    isolated: Path, arxiv_server: ArxivServer, model_server: OpenAIServer
) -> None:
    vault = isolated / "Obsidian"
    vault.mkdir()
    arxiv_server.add(
        FakePaper("2512.00002", "Noisy Rewards: A Study", ["Ann Lee", "Bo Kim"], "We study noise.")
    )
    made = run("new", "2512.00002", "--vault", str(vault))
    assert made.code == 0, made.stderr
    path = Path(made.stdout.strip())
    assert path == vault / "arXiv/250623 Noisy Rewards.md"  # the day of its first version
    assert path.read_text(encoding="utf-8") == (
        "https://arxiv.org/abs/2512.00002\n\n*Noisy Rewards: A Study* (Ann Lee, Bo Kim)\n\n"
        "> We study noise.\n\n"
    )
    again = run("new", "arXiv:2512.00002v1", "--vault", str(vault))
    assert again.code == 0 and Path(again.stdout.strip()) == path
    assert "already has a note" in again.stderr
    # he writes his Korean where the note leaves room for it, then syncs
    path.write_text(path.read_text(encoding="utf-8") + "보상에 노이즈를 추가.", encoding="utf-8")
    model_server.responder = lambda request: "Adding noise to the reward."
    synced = run("sync", str(vault))
    assert synced.code == 0, synced.stderr
    assert path.read_text(encoding="utf-8").endswith(
        "> We study noise.\n\n보상에 노이즈를 추가.\n\nAdding noise to the reward."
    )


def test_new_for_a_paper_he_drafted_makes_the_drafts_note(
    isolated: Path, arxiv_server: ArxivServer, model_server: OpenAIServer
) -> None:
    vault = isolated / "Obsidian"
    (vault / ".obsidian").mkdir(parents=True)
    arxiv_server.add(FakePaper("2512.00002", "Noisy Rewards: A Study", ["Ann Lee"], "We study."))
    model_server.responder = lambda request: "Adding noise to the reward."
    assert run("draft", "2512.00002", "--comment", "보상에 노이즈를 추가.").code == 0
    asked = len(arxiv_server.requests)
    made = run("new", "2512.00002", "--vault", str(vault))
    assert made.code == 0, made.stderr
    path = Path(made.stdout.strip())
    note = read_note(path.read_text(encoding="utf-8")).content
    assert (note.comment_ko, note.comment_en) == (
        "보상에 노이즈를 추가.",
        "Adding noise to the reward.",
    )
    assert len(arxiv_server.requests) == asked  # the draft has its paper
    # the draft knows its note: a sync finds nothing to do, a second new names it
    synced = run("sync", str(vault))
    assert synced.code == 0 and "nothing to write" in synced.stderr, synced.stderr
    again = run("new", "2512.00002", "--vault", str(vault))
    assert Path(again.stdout.strip()) == path and len(arxiv_server.requests) == asked


# -- --watch --------------------------------------------------------------------------------------
@pytest.mark.slow
def test_watch_syncs_each_saved_note_once(
    isolated: Path, arxiv_server: ArxivServer, model_server: OpenAIServer
) -> None:
    vault = isolated / "Obsidian"
    (vault / "arXiv").mkdir(parents=True)
    (vault / ".obsidian").mkdir()
    model_server.responder = lambda request: {
        "보상에 노이즈를 추가.": "Adding noise to the reward.",
        "학습 속도를 높이는 방법.": "A way to speed up training.",
    }.get(last_user_comment(request), "Something else.")
    proc = start(["sync", str(vault), "--watch"], env={"DIGEST_RETRY_ATTEMPTS": "1"})
    printed = follow(proc)
    try:
        # the first sync is done, the vault is watched
        wait_for(lambda: "Watching" in "".join(printed) or proc.poll() is not None, 60)
        assert proc.poll() is None, "".join(printed)
        first = vault / "arXiv/251201 First.md"
        # one save, written the way Obsidian writes: several writes in a row
        for text in (
            "https://arxiv.org/abs/2512.00001\n\n",
            "https://arxiv.org/abs/2512.00001\n\n보상에 노이즈를 추가.",
        ):
            first.write_text(text, encoding="utf-8")
            time.sleep(0.1)
        # the line is printed after the note is written: waiting on it, not on the note,
        # keeps the Ctrl-C below from landing between the two
        wait_for(lambda: "updated     arXiv/251201 First.md" in "".join(printed), 60)
        assert "Adding noise" in first.read_text(encoding="utf-8")
        assert len(model_server.requests) == 1
        # a note written elsewhere and moved into a year folder
        second = vault / "draft.md.tmp"
        second.write_text("https://arxiv.org/abs/2512.00003\n\n학습 속도를 높이는 방법.", "utf-8")
        (vault / "arXiv/2025").mkdir()
        moved = vault / "arXiv/2025/251202 Second.md"
        second.rename(moved)
        wait_for(lambda: "updated     arXiv/2025/251202 Second.md" in "".join(printed), 60)
        assert "speed up training" in moved.read_text(encoding="utf-8")
        assert len(model_server.requests) == 2
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    wait_for(lambda: printed and printed[-1] == "", 10)  # the reader saw the end of the stream
    stderr = "".join(printed)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.count("updated     arXiv/251201 First.md") == 1
    assert stderr.count("updated     arXiv/2025/251202 Second.md") == 1
    assert "to finish the rest: digest sync" in stderr
    assert os.path.exists(moved)


@pytest.mark.slow
def test_ctrl_c_keeps_what_is_done_and_the_same_command_finishes(
    vault: SampleVault, model_server: OpenAIServer
) -> None:
    model_server.latency = 1.0
    args = ["sync", str(vault.root), *SINCE, "--jobs", "1"]
    proc = start(args)
    wait_for(lambda: len(model_server.requests) >= 3, 60)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "Traceback" not in stderr
    assert "to finish the rest: digest sync" in stderr
    asked = len(model_server.requests)
    model_server.latency = 0
    finished = run(*args)
    assert finished.code == 0, finished.stderr
    assert vault.same_as_his() == 99
    # what was translated before Ctrl-C is not asked again: a clean run asks 10 (one note
    # takes a repair turn); at most the one request Ctrl-C cut short is asked twice
    assert asked >= 3 and len(model_server.requests) <= 10 + 1
