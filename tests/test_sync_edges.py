"""`digest sync`, `digest new` and the merge rules under them, at their edges: a translation
that fails, a draft broken by hand, a note digest made, a note written for a paper drafted in the
terminal, Obsidian's copies, odd characters and line ends, English quoting a Korean word.

On copies of his real notes (tests/data/vault-sample/) or small notes in his layout, against
the loopback servers."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import unicodedata
from pathlib import Path

import pytest

from pipeline.note import read_note
from tests.cli_helpers import MHC, SINCE_CURRENT, SampleVault, pin_today, run, small_vault, snapshot
from tests.servers import ArxivServer, FakePaper, OpenAIServer

SINCE = SINCE_CURRENT
TODAY = dt.date.today().isoformat()


@pytest.fixture(autouse=True)
def one_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """Drafts are made on TODAY and exported as TODAY, even when the suite crosses midnight."""
    pin_today(monkeypatch, TODAY)


# -- a second sync ---------------------------------------------------------------------------------
def test_a_second_sync_writes_no_file_when_a_note_is_held(
    vault: SampleVault, model_server: OpenAIServer, arxiv_server: ArxivServer, isolated: Path
) -> None:
    """A note held (its English fails a check): the second sync asks nothing and writes no
    file, neither in the vault nor among the drafts."""
    mhc = vault.root / MHC
    korean = read_note(mhc.read_text(encoding="utf-8")).content.comment_ko
    vault.english[korean] = "Korean left here: 한국어."
    assert run("sync", str(vault.root), *SINCE).code == 1
    before = snapshot(vault.root, isolated / "drafts")
    asked = len(model_server.requests), len(arxiv_server.requests)
    again = run("sync", str(vault.root), *SINCE)
    assert again.code == 1
    assert (len(model_server.requests), len(arxiv_server.requests)) == asked
    after = snapshot(vault.root, isolated / "drafts")
    assert [k for k in after if after[k] != before.get(k)] == []


def test_the_daily_export_after_sync_leaves_every_note_as_it_is(vault: SampleVault) -> None:
    """His daily flow: sync, then `digest export DATE --format vault`: the notes sync just
    wrote say what their drafts say, so the export changes no byte."""
    assert run("sync", str(vault.root), *SINCE).code == 0
    before = {p: p.read_bytes() for p in vault.originals}
    exported = run("export", TODAY, "--format", "vault", "-o", str(vault.root))
    assert exported.code == 0, exported.stderr
    assert [p.name for p in before if p.read_bytes() != before[p]] == []


def test_export_after_sync_never_rewrites_his_title_line(
    isolated: Path, model_server: OpenAIServer, arxiv_server: ArxivServer
) -> None:
    """A note whose title line has no authors: sync fetches the paper for context; the
    authors arXiv gave must not be written into his title line by the export that follows."""
    root = small_vault(isolated)
    arxiv_server.add(FakePaper("2512.00001", "A Paper: Long Title", ["Ann Lee"], "Abstract."))
    note = root / "arXiv/251201 A Paper.md"
    note.write_text(
        "https://arxiv.org/abs/2512.00001\n\n*A Paper*\n\n보상에 노이즈를 추가하는 방법.\n", "utf-8"
    )
    model_server.responder = lambda request: "Adding noise to the reward."
    assert run("sync", str(root)).code == 0
    synced = note.read_text(encoding="utf-8")
    assert "Adding noise to the reward." in synced
    exported = run("export", TODAY, "--format", "vault", "-o", str(root))
    assert exported.code == 0, exported.stderr
    assert note.read_text(encoding="utf-8") == synced


# -- digest new ------------------------------------------------------------------------------------
def test_a_note_made_by_new_takes_the_korean_he_drafted_in_the_terminal(
    isolated: Path, model_server: OpenAIServer, arxiv_server: ArxivServer
) -> None:
    """`digest new` makes the note, he then drafts the Korean with `digest draft` (not in
    Obsidian): the note digest itself made is no edit of his, so the export writes into it."""
    root = small_vault(isolated)
    arxiv_server.add(FakePaper("2512.00002", "Noisy Rewards: A Study", ["Ann Lee"], "We study."))
    model_server.responder = lambda request: "Adding noise to the reward."
    made = run("new", "2512.00002", "--vault", str(root))
    assert made.code == 0, made.stderr
    path = Path(made.stdout.strip())
    assert run("draft", "2512.00002", "--comment", "보상에 노이즈를 추가.").code == 0
    exported = run("export", TODAY, "--format", "vault", "-o", str(root))
    assert "edited in the vault since" not in exported.stderr
    assert exported.code == 0, exported.stderr
    text = path.read_text(encoding="utf-8")
    assert "보상에 노이즈를 추가." in text and "Adding noise to the reward." in text
    assert list((root / "arXiv").glob("*.md")) == [path]  # no second note


def test_new_for_a_paper_arxiv_does_not_know_is_one_error_line(
    isolated: Path, arxiv_server: ArxivServer
) -> None:
    root = small_vault(isolated)
    result = run("new", "2512.99999", "--vault", str(root))
    assert result.code == 2, result.stderr
    assert "Error: arXiv has no paper 2512.99999" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list((root / "arXiv").glob("*.md"))


def test_new_when_arxiv_is_down_is_a_service_error(isolated: Path) -> None:
    root = small_vault(isolated)
    result = run("new", "2512.00002", "--vault", str(root), env={"DIGEST_RETRY_ATTEMPTS": "1"})
    assert result.code == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert not list((root / "arXiv").glob("*.md"))


# -- what the note holds ---------------------------------------------------------------------------
def test_sync_keeps_a_crlf_note_whole_and_settles(
    vault: SampleVault, model_server: OpenAIServer
) -> None:
    """A note saved with Windows line ends: the English comes in with his line ends, and the
    second sync asks nothing."""
    mhc = vault.root / MHC
    mhc.write_bytes(mhc.read_bytes().replace(b"\n", b"\r\n"))
    his = vault.originals[mhc].replace(b"\n", b"\r\n")
    result = run("sync", str(vault.root), *SINCE)
    assert result.code == 0, result.stderr
    assert mhc.read_bytes() == his
    asked = len(model_server.requests)
    again = run("sync", str(vault.root), *SINCE)
    assert again.code == 0 and len(model_server.requests) == asked
    assert mhc.read_bytes() == his


def test_sync_keeps_decomposed_hangul_as_he_typed_it(
    vault: SampleVault, model_server: OpenAIServer
) -> None:
    """Korean typed on a Mac may be stored decomposed (NFD): its bytes stay; the English comes
    in after it."""
    mhc = vault.root / MHC
    text = mhc.read_text(encoding="utf-8")
    korean = read_note(text).content.comment_ko
    nfd = unicodedata.normalize("NFD", korean)
    assert nfd != korean
    vault.english[nfd] = vault.english[korean]
    mhc.write_text(text.replace(korean, nfd), encoding="utf-8")
    result = run("sync", str(vault.root), *SINCE)
    assert result.code == 0, result.stderr
    after = mhc.read_text(encoding="utf-8")
    assert nfd in after and "DeepSeek improved" in after


@pytest.mark.parametrize("odd", ["\u202a", "\ufffd", "\x0c"], ids=["bidi", "lost", "formfeed"])
def test_a_korean_with_an_unprintable_character_still_gets_its_english(
    isolated: Path, model_server: OpenAIServer, arxiv_server: ArxivServer, odd: str
) -> None:
    """A character pasted with his Korean (a bidi mark, a U+FFFD, a form feed): his Korean
    stays byte for byte, and the English is written after it (or the note is held with a
    reason he can act on), never `left` with a reason about headings and quotes."""
    root = small_vault(isolated)
    arxiv_server.add(FakePaper("2512.00001", "A Paper", ["Ann Lee"], "Abstract."))
    korean = f"보상에 노이즈를{odd} 추가하는 방법."
    note = root / "arXiv/251201 A Paper.md"
    head = "https://arxiv.org/abs/2512.00001\n\n*A Paper* (Ann Lee)\n\n> Abstract.\n\n"
    note.write_text(head + korean + "\n\n#rl ", encoding="utf-8")
    model_server.responder = lambda request: "Adding noise to the reward."
    result = run("sync", str(root))
    assert "would not read back" not in result.stderr, result.stderr
    text = note.read_text(encoding="utf-8")
    assert text.startswith(head + korean + "\n\n")
    assert result.code in (0, 1)
    if result.code == 0:
        assert "Adding noise to the reward." in text


def test_an_english_paragraph_with_a_korean_word_is_not_a_second_korean(
    isolated: Path, model_server: OpenAIServer, arxiv_server: ArxivServer
) -> None:
    """His English quoting a Korean term is still his English: the note is not bare, so sync
    asks nothing and writes nothing."""
    root = small_vault(isolated)
    text = (
        "https://arxiv.org/abs/2512.00001\n\n*A Paper* (Ann Lee)\n\n> Abstract.\n\n"
        "보상에 노이즈를 추가하는 방법.\n\nAdding noise to the reward (보상).\n\n#rl "
    )
    note = root / "arXiv/251201 A Paper.md"
    note.write_text(text, encoding="utf-8")
    model_server.responder = lambda request: "Adding noise to the reward (reward)."
    result = run("sync", str(root))
    assert note.read_text(encoding="utf-8") == text, result.stderr
    assert not model_server.requests


# -- failures --------------------------------------------------------------------------------------
def test_a_failed_translation_writes_nothing_into_the_note(
    vault: SampleVault, model_server: OpenAIServer
) -> None:
    """He changes the Korean with `digest draft` while the model is down; a sync with the
    model still down must not put his new Korean into the note beside the old English (the
    note would claim that English translates the new Korean)."""
    assert run("sync", str(vault.root), *SINCE).code == 0
    mhc = vault.root / MHC
    synced = mhc.read_bytes()
    korean = read_note(synced.decode("utf-8")).content.comment_ko + " 더."
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "DIGEST_RETRY_ATTEMPTS": "1"}
    drafted = run("draft", "2512.24880", "--comment", korean, env=env)
    assert drafted.code == 3, drafted.stderr
    result = run("sync", str(vault.root), *SINCE, env=env)
    assert result.code == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert mhc.read_bytes() == synced


def test_sync_with_the_model_down_is_exit_3_and_the_notes_stay(vault: SampleVault) -> None:
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "DIGEST_RETRY_ATTEMPTS": "1"}
    before = {p: p.read_bytes() for p in vault.originals}
    result = run("sync", str(vault.root), *SINCE, env=env)
    assert result.code == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert all(p.read_bytes() == data for p, data in before.items())


def test_a_broken_draft_stops_only_its_own_note(vault: SampleVault) -> None:
    """A draft he broke by hand (invalid YAML): its note is named, the others are synced."""
    assert run("sync", str(vault.root), *SINCE).code == 0
    [broken] = list(Path("drafts").rglob("2512.24880.yaml"))
    broken.write_text("id: [unclosed\n", encoding="utf-8")
    youtu = vault.root / "arXiv/251231 Youtu-LLM.md"
    text = youtu.read_text(encoding="utf-8")
    english = read_note(text).content.comment_en
    youtu.write_text(text.replace(english, ""), encoding="utf-8")  # he takes the English out
    result = run("sync", str(vault.root), *SINCE)
    assert "Traceback" not in result.stderr
    assert result.code == 2, result.stderr  # the broken draft is bad input, named
    assert "Error: " in result.stderr and "2512.24880" in result.stderr
    assert english in youtu.read_text(encoding="utf-8"), result.stderr
    # import says the same, and imports the rest
    imported = run("import", "--vault", str(vault.root), "--since", "2025-08-01")
    assert imported.code == 2 and "Traceback" not in imported.stderr
    assert "1 its draft cannot be read" in imported.stderr, imported.stderr


def test_sync_of_a_file_says_it_is_not_a_folder(isolated: Path) -> None:
    root = small_vault(isolated)
    note = root / "arXiv/251201 A Paper.md"
    note.write_text("https://arxiv.org/abs/2512.00001\n\n보상.\n", encoding="utf-8")
    result = run("sync", str(note))
    assert result.code == 2
    assert "does not exist" not in result.stderr, result.stderr


# -- two notes of one paper -----------------------------------------------------------------------
def test_obsidians_duplicate_never_takes_the_english_of_the_original(
    vault: SampleVault, model_server: OpenAIServer
) -> None:
    """Obsidian names a copy `X 1.md`, which sorts before `X.md`. With his original note
    awaiting its English and a copy of it beside, the English goes into the original."""
    mhc = vault.root / MHC
    copy = vault.root / "arXiv/251231 mHC 1.md"
    shutil.copy2(mhc, copy)
    os.utime(copy)  # the copy is the newer file
    result = run("sync", str(vault.root), *SINCE)
    assert result.code == 0, result.stderr
    assert mhc.read_bytes() == vault.originals[mhc]


# -- a paper drafted in the terminal, its note written by hand --------------------------------------
def test_a_note_he_writes_for_a_paper_drafted_in_the_terminal_is_not_silently_ignored(
    isolated: Path, model_server: OpenAIServer, arxiv_server: ArxivServer
) -> None:
    """He drafted the paper with `digest draft`, then wrote its note in Obsidian with the same
    Korean: sync writes the draft's English into it, or names the note and exits 1 (never
    exit 0 with the note left bare)."""
    root = small_vault(isolated)
    korean = "PRM. 각 단계가 일관되는지, 추론의 템플릿이 적절한지 등을 평가하게 했군요."
    assert run("draft", "2506.18896", "--comment", korean).code == 0
    note = root / "arXiv/250623 ReasonFlux-PRM.md"
    note.write_text(f"https://arxiv.org/abs/2506.18896\n\n{korean}\n\n#prm ", encoding="utf-8")
    result = run("sync", str(root))
    english = "evaluate things like whether the steps are coherent"
    assert english in note.read_text(encoding="utf-8") or (
        result.code == 1 and "250623 ReasonFlux-PRM.md" in result.stderr
    ), result.stderr


# -- a first sync over years of notes -------------------------------------------------------------
def test_a_sync_of_many_notes_asks_first_on_a_terminal(
    vault: SampleVault, model_server: OpenAIServer, arxiv_server: ArxivServer
) -> None:
    """Without --since, his older notes that he left without English would all get it: on a
    terminal sync asks first (no: nothing is asked of any service, nothing written)."""
    before = {p: p.read_bytes() for p in vault.originals}
    declined = run("sync", str(vault.root), stdin="n\n", tty=True)
    assert declined.code == 0, declined.stderr
    assert "give each its English? [y/N]" in declined.stderr
    assert "(the oldest: 200803 Encoding in Style.md)" in declined.stderr
    assert "nothing written (" in declined.stderr and "--since" in declined.stderr
    assert not model_server.requests and not arxiv_server.requests
    assert all(p.read_bytes() == data for p, data in before.items())
    # with --since, few enough: not asked
    recent = run("sync", str(vault.root), *SINCE, stdin="", tty=True)
    assert recent.code == 0 and "[y/N]" not in recent.stderr, recent.stderr
    assert "English written into 9 notes" in recent.stderr
    # yes: the rest are written
    model_server.responder = lambda request: "Some English."
    agreed = run("sync", str(vault.root), stdin="y\n", tty=True)
    assert agreed.code in (0, 1) and "[y/N]" in agreed.stderr, agreed.stderr
    assert "English written into" in agreed.stderr


def test_a_note_he_deletes_stays_deleted_for_the_export_too(vault: SampleVault) -> None:
    """A note the import saw in his vault and he deleted since: the day's export leaves it
    deleted (named, exit 1); --force writes it again."""
    assert run("sync", str(vault.root), *SINCE).code == 0
    mhc = vault.root / MHC
    mhc.unlink()
    exported = run("export", TODAY, "--format", "vault", "-o", str(vault.root))
    assert exported.code == 1, exported.stderr
    assert "its note is gone from the vault" in exported.stderr and "--force" in exported.stderr
    assert not list(vault.root.rglob("*mHC*"))
    forced = run("export", TODAY, "--format", "vault", "-o", str(vault.root), "--force")
    assert forced.code == 0, forced.stderr
    assert mhc.exists()
    # into an empty folder (no import saw notes there), every note is written as before
    empty = vault.root.parent / "Empty"
    empty.mkdir()
    fresh = run("export", TODAY, "--format", "vault", "-o", str(empty))
    assert fresh.code == 0 and (empty / MHC).exists(), fresh.stderr
