"""The rules deciding what digest writes into his vault where a note and a draft meet: a
terminal draft adopting a note (merge.take_note), a draft writing into a note `digest new` made
(vault._write_one, merge.adopt_note), English quoting Korean and Korean asides in brackets
(note._Reader.kind_of), a title line without authors (note.patch_note), an original before
Obsidian's copy (vault.in_note_order), the question before a large sync and what declining it
leaves (cli.sync, Syncing.sync), a broken draft in an import (importer.import_vault).

On copies of his real notes and small notes in his layout, against the loopback servers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
import threading
from pathlib import Path, PurePosixPath

import pytest

import pipeline.note
import pipeline.watch
from pipeline.note import patch_note, read_note
from pipeline.vault import in_note_order, index_vault
from tests.cli_helpers import (
    CURRENT_LAYOUT,
    MHC,
    SAMPLE_VAULT,
    SINCE_CURRENT,
    SampleVault,
    pin_today,
    run,
    small_vault,
)
from tests.servers import ArxivServer, FakePaper, OpenAIServer

KO = "보상에 노이즈를 추가하는 방법."
EN = "Adding noise to the reward."
SINCE, CURRENT = SINCE_CURRENT, CURRENT_LAYOUT
TODAY = dt.date.today().isoformat()


@pytest.fixture(autouse=True)
def one_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """Drafts are made on TODAY and exported as TODAY, even when the suite crosses midnight."""
    pin_today(monkeypatch, TODAY)


PAPER = FakePaper("2512.00002", "Noisy Rewards: A Study", ["Ann Lee"], "We study rewards.")


# -- rule 5: an original before Obsidian's copy ----------------------------------------------------
def test_an_obsidian_copy_of_a_paper_whose_title_ends_in_a_number_is_not_its_note(
    isolated: Path,
) -> None:
    """`241213 CosyVoice 2.md` is his note (a title ending in a number, as Llama 2, YAYI 2);
    Obsidian's copy of it is `241213 CosyVoice 2 1.md`. The original is the paper's note."""
    root = isolated / "Obsidian"
    (root / "arXiv/2024").mkdir(parents=True)
    original = root / "arXiv/2024/241213 CosyVoice 2.md"
    shutil.copy2(SAMPLE_VAULT / "arXiv/2024/241213 CosyVoice 2.md", original)
    shutil.copy2(original, root / "arXiv/2024/241213 CosyVoice 2 1.md")
    paper = read_note(original.read_text(encoding="utf-8")).content.paper_id
    assert index_vault(root).note_of(paper) == PurePosixPath("arXiv/2024/241213 CosyVoice 2.md")


def test_note_order_puts_the_original_first_for_plain_titles() -> None:
    ordered = in_note_order(["arXiv/251231 mHC 1.md", "arXiv/251231 mHC.md"])
    assert ordered == ["arXiv/251231 mHC.md", "arXiv/251231 mHC 1.md"]


# -- rule 2: a note without comments takes the terminal draft's ------------------------------------
def test_a_second_export_keeps_his_tags_in_a_note_digest_new_made(
    isolated: Path, model_server: OpenAIServer, arxiv_server: ArxivServer
) -> None:
    """`digest new`, he writes his tags (and shortens the title) in Obsidian, then drafts the
    Korean in the terminal with other tags. The first export writes only the comments (his
    tags stay); the same export again must not then write the draft's tags and title over his."""
    root = small_vault(isolated)
    arxiv_server.add(PAPER)
    model_server.responder = lambda request: EN
    made = run("new", PAPER.id, "--vault", str(root))
    assert made.code == 0, made.stderr
    path = Path(made.stdout.strip())
    text = path.read_text(encoding="utf-8")
    text = text.replace("*Noisy Rewards: A Study*", "*Noisy Rewards*").rstrip("\n")
    text = re.sub(r"\n\n#[^\n]*$", "", text) + "\n\n#mine\n"
    path.write_text(text, encoding="utf-8")
    assert run("draft", PAPER.id, "--comment", KO, "--tags", "rl").code == 0
    first = run("export", TODAY, "--format", "vault", "-o", str(root))
    assert first.code == 0, first.stderr
    once = path.read_text(encoding="utf-8")
    assert KO in once and EN in once and "#mine" in once and "*Noisy Rewards*" in once
    again = run("export", TODAY, "--format", "vault", "-o", str(root))
    assert again.code == 0, again.stderr
    assert path.read_text(encoding="utf-8") == once


# -- rule 3: after the Korean, Hangul only in brackets is English ----------------------------------
def _old_reading(monkeypatch: pytest.MonkeyPatch, text: str) -> object:
    """The note as read before rule 3 (ff317a9): nothing taken out as quoted."""
    with monkeypatch.context() as patch:
        patch.setattr(pipeline.note, "_QUOTED", re.compile(r"(?!)"))
        return _reading(text)


def _reading(text: str) -> object:
    note = read_note(text)
    pieces = [(str(p.kind), p.gap, p.text) for p in note.pieces]
    return pieces, note.tail, dataclasses.astuple(note.content)


def test_rule_3_reads_every_sample_note_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every note of tests/data/vault-sample reads piece for piece as it did before."""
    changed, read = [], 0
    for path in sorted(SAMPLE_VAULT.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        try:
            now = _reading(text)
        except pipeline.note.NoPaper:
            continue
        read += 1
        if now != _old_reading(monkeypatch, text):
            changed.append(path.name)
    assert read > 90 and changed == []


def test_a_bracketed_korean_aside_after_his_korean_is_not_taken_for_english(
    isolated: Path, model_server: OpenAIServer, arxiv_server: ArxivServer
) -> None:
    """His Korean, then a Korean aside of his wholly in brackets (no English yet): the note
    awaits its English; sync writes it (before rule 3 it did), never takes the aside for it."""
    root = small_vault(isolated)
    arxiv_server.add(PAPER)
    model_server.responder = lambda request: EN
    note = root / "arXiv/251201 Noisy Rewards.md"
    note.write_text(
        f"https://arxiv.org/abs/{PAPER.id}\n\n*Noisy Rewards: A Study* (Ann Lee)\n\n"
        f"> We study rewards.\n\n{KO}\n\n(자세한 내용은 부록 B 참고.)\n\n#rl\n",
        encoding="utf-8",
    )
    assert read_note(note.read_text(encoding="utf-8")).content.comment_en == ""
    result = run("sync", str(root))
    assert result.code == 0, result.stderr
    assert EN in note.read_text(encoding="utf-8")


def test_english_quoting_a_korean_word_after_his_korean_is_english() -> None:
    text = (
        f"https://arxiv.org/abs/{PAPER.id}\n\n*Noisy Rewards* (Ann Lee)\n\n> We study.\n\n"
        f'{KO}\n\nAdding noise to the reward ("보상").\n\n#rl\n'
    )
    content = read_note(text).content
    assert content.comment_ko == KO and content.comment_en == 'Adding noise to the reward ("보상").'


# -- rule 4: a title line without authors ---------------------------------------------------------
def test_a_title_line_without_authors_gains_none_when_the_title_changes() -> None:
    text = f"https://arxiv.org/abs/{PAPER.id}\n\n*Noisy*\n\n> We study.\n\n{KO}\n\n{EN}\n\n#rl\n"
    content = read_note(text).content
    new = dataclasses.replace(content, title="Noisy Rewards: A Study", authors=["Ann Lee"])
    patched = patch_note(text, new)
    assert "*Noisy Rewards: A Study*\n" in patched and "Ann Lee" not in patched
    assert patched.replace("*Noisy Rewards: A Study*", "*Noisy*") == text


def test_a_title_line_with_authors_keeps_them_when_the_title_changes() -> None:
    text = (
        f"https://arxiv.org/abs/{PAPER.id}\n\n*Noisy* (Ann Lee, Bo Kim)\n\n> We study.\n\n"
        f"{KO}\n\n{EN}\n\n#rl\n"
    )
    content = read_note(text).content
    patched = patch_note(text, dataclasses.replace(content, title="Noisy Rewards"))
    assert patched == text.replace("*Noisy*", "*Noisy Rewards*")


# -- rule 6: asked first on a terminal ------------------------------------------------------------
def test_after_he_declines_a_save_under_watch_never_syncs_his_old_notes(
    vault: SampleVault,
    model_server: OpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`digest sync --watch` on a terminal: he answers no to "give each its English?". The
    watch goes on; he saves one note: that save must not give English to the older notes he
    just declined (years of notes he left without English on purpose)."""
    saved_once: list[int] = []

    def one_save(
        folder: Path, on_saved: object, quiet: float = 0, ready: threading.Event | None = None
    ) -> None:
        assert callable(on_saved)
        if ready is not None:
            ready.set()
        on_saved([folder / MHC])  # he saves today's note once, then stops the watch
        saved_once.append(1)

    monkeypatch.setattr(pipeline.watch, "watch_notes", one_save)
    result = run("sync", str(vault.root), "--watch", stdin="n\n", tty=True)
    assert "[y/N]" in result.stderr and saved_once == [1], result.stderr
    old = [p for p in vault.originals if p.name < CURRENT]
    assert [p.name for p in old if p.read_bytes() != vault.originals[p]] == []


def test_after_he_declines_the_days_export_is_not_filled_with_his_old_papers(
    vault: SampleVault,
) -> None:
    """He says no: nothing is written into the vault, and his day's digest (`digest export
    TODAY`) is not made of the ~90 older papers the declined sync looked at."""
    declined = run("sync", str(vault.root), stdin="n\n", tty=True)
    assert declined.code == 0 and "nothing written (" in declined.stderr, declined.stderr
    exported = run("export", TODAY)
    old_ids = set()
    for path in vault.originals:
        if path.name < CURRENT:
            try:
                old_ids.add(read_note(path.read_text(encoding="utf-8")).content.paper_id)
            except pipeline.note.NoPaper:
                continue
    listed = [i for i in old_ids if i in exported.stdout or i in exported.stderr]
    assert len(listed) <= 20, (exported.code, len(listed), exported.stderr[-600:])


# -- rule 1: a note written for a paper drafted in the terminal ----------------------------------
NOTE = "arXiv/251201 Noisy Rewards.md"


def _terminal_draft_and_note(
    root: Path, arxiv_server: ArxivServer, model_server: OpenAIServer, body: str
) -> Path:
    """He drafts the paper in the terminal (the model's English), then writes its note."""
    arxiv_server.add(PAPER)
    model_server.responder = lambda request: EN
    assert run("draft", PAPER.id, "--comment", KO).code == 0
    note = root / NOTE
    note.write_text(f"https://arxiv.org/abs/{PAPER.id}\n\n*Noisy Rewards*\n\n{body}", "utf-8")
    return note


def _files(*folders: Path) -> dict[str, bytes]:
    return {
        str(p): p.read_bytes()
        for folder in folders
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".digest" not in p.parts
    }


def test_an_adopted_note_keeps_every_byte_of_his_and_settles(
    isolated: Path, model_server: OpenAIServer, arxiv_server: ArxivServer
) -> None:
    """His note has the draft's Korean (with a trailing hard break, his link and tags): sync
    adds the draft's English and nothing else; a second sync and the day's export write nothing."""
    root = small_vault(isolated)
    body = f"{KO}  \n\n[[251130 Reward Noise]]\n\n#rl\n"
    note = _terminal_draft_and_note(root, arxiv_server, model_server, body)
    before = note.read_text(encoding="utf-8")
    first = run("sync", str(root))
    assert first.code == 0, first.stderr
    after = note.read_text(encoding="utf-8")
    assert EN in after
    assert after.replace(f"\n\n{EN}", "", 1) == before, after
    files = _files(root, isolated / "drafts")
    asked = len(model_server.requests)
    assert run("sync", str(root)).code == 0
    exported = run("export", TODAY, "--format", "vault", "-o", str(root))
    assert exported.code == 0, exported.stderr
    assert run("sync", str(root)).code == 0
    assert note.read_text(encoding="utf-8") == after
    assert len(model_server.requests) == asked
    again = _files(root, isolated / "drafts")
    assert [k for k in again if again[k] != files.get(k)] == [] or all(
        "drafts" in k for k in again if again[k] != files.get(k)
    )


def test_a_note_with_his_own_english_beside_a_terminal_draft_is_named_and_never_written(
    isolated: Path, model_server: OpenAIServer, arxiv_server: ArxivServer
) -> None:
    """The note has the draft's Korean and his own English (not the model's): neither is
    changed, the note is named (exit 1), and a second sync writes no file either."""
    root = small_vault(isolated)
    body = f"{KO}\n\nHis own English of it.\n\n#rl\n"
    note = _terminal_draft_and_note(root, arxiv_server, model_server, body)
    before = note.read_bytes()
    first = run("sync", str(root))
    assert first.code == 1 and "251201 Noisy Rewards.md" in first.stderr, first.stderr
    assert note.read_bytes() == before
    files = _files(root, isolated / "drafts")
    second = run("sync", str(root))
    assert second.code == 1
    assert _files(root, isolated / "drafts") == files
    exported = run("export", TODAY, "--format", "vault", "-o", str(root))
    assert note.read_bytes() == before, exported.stderr


def test_a_note_whose_korean_he_rephrased_is_never_paired_with_the_terminal_english(
    isolated: Path, model_server: OpenAIServer, arxiv_server: ArxivServer
) -> None:
    """The note's Korean is not the draft's (he rephrased it in Obsidian): the model's English
    of the draft's Korean must never go into the note beside his other Korean."""
    root = small_vault(isolated)
    body = "보상에 잡음을 넣으면 학습이 빨라진다는 주장.\n\n#rl\n"
    note = _terminal_draft_and_note(root, arxiv_server, model_server, body)
    result = run("sync", str(root))
    text = note.read_text(encoding="utf-8")
    assert EN not in text
    assert result.code == 1 or "Adding" not in text


def test_a_note_whose_korean_is_all_decomposed_hangul_gets_its_english(
    isolated: Path, model_server: OpenAIServer, arxiv_server: ArxivServer
) -> None:
    """(Not of the newest rules: found on the way.) A Korean paragraph of Hangul only, stored
    decomposed (NFD, as a Mac may): it is his Korean, so sync gives it its English; it must not
    be skipped as "no Korean comment" with exit 0."""
    import unicodedata

    root = small_vault(isolated)
    arxiv_server.add(PAPER)
    model_server.responder = lambda request: EN
    note = root / NOTE
    nfd = unicodedata.normalize("NFD", KO)
    note.write_text(
        f"https://arxiv.org/abs/{PAPER.id}\n\n*Noisy Rewards*\n\n{nfd}\n\n#rl\n", "utf-8"
    )
    result = run("sync", str(root))
    assert result.code == 0, result.stderr
    after = note.read_text(encoding="utf-8")
    assert nfd in after and EN in after, result.stderr


# -- rule 7: one broken draft ----------------------------------------------------------------------
def test_a_broken_draft_once_fixed_is_synced_by_the_next_sync(vault: SampleVault) -> None:
    """The broken draft's paper waits (exit 2, named); once he fixes the draft (deletes it),
    the same sync gives the note its English."""
    mhc = vault.root / MHC
    assert run("sync", str(vault.root), *SINCE).code == 0
    [draft] = list(Path("drafts").rglob("2512.24880.yaml"))
    good = draft.read_bytes()
    draft.write_text("id: [unclosed\n", encoding="utf-8")
    text = mhc.read_text(encoding="utf-8")
    english = read_note(text).content.comment_en
    mhc.write_text(text.replace(english, ""), encoding="utf-8")
    broken = run("sync", str(vault.root), *SINCE)
    assert broken.code == 2 and "2512.24880" in broken.stderr, broken.stderr
    assert english not in mhc.read_text(encoding="utf-8")
    draft.write_bytes(good)
    fixed = run("sync", str(vault.root), *SINCE)
    assert fixed.code == 0, fixed.stderr
    assert english in mhc.read_text(encoding="utf-8")


def test_a_bracketed_korean_aside_between_his_korean_and_english_stays_out_of_the_english() -> None:
    """His Korean, a Korean aside of his in brackets, his English: the aside is no part of his
    English (before rule 3 it was read with the Korean; now the digest's English field, and any
    English written over it, would take it)."""
    aside = "(자세한 내용은 부록 B 참고.)"
    text = (
        f"https://arxiv.org/abs/{PAPER.id}\n\n*Noisy Rewards* (Ann Lee)\n\n> We study.\n\n"
        f"{KO}\n\n{aside}\n\n{EN}\n\n#rl\n"
    )
    content = read_note(text).content
    assert content.comment_en == EN, content


# -- rule 2: which notes count as holding no comment ----------------------------------------------
def test_a_list_note_whose_first_line_links_the_paper_is_not_written_into(
    isolated: Path, model_server: OpenAIServer, arxiv_server: ArxivServer
) -> None:
    """Notes like his `210121 Papers.md`: a first line that links a paper, then a list of other
    papers, no comment. It is no note `digest new` made; a terminal draft of that paper must not
    write its Korean and English into his list (as an `updated`, with exit 0)."""
    root = small_vault(isolated)
    arxiv_server.add(PAPER)
    model_server.responder = lambda request: EN
    papers = root / "arXiv/210121 Papers.md"
    papers.write_text(
        f"https://arxiv.org/abs/{PAPER.id}\nhttps://arxiv.org/abs/2101.00001\n"
        "https://arxiv.org/abs/2101.00002\n\n- [[210120 Other Paper]]\n- [[210119 Third]]\n",
        encoding="utf-8",
    )
    before = papers.read_bytes()
    assert run("draft", PAPER.id, "--comment", KO).code == 0
    exported = run("export", TODAY, "--format", "vault", "-o", str(root))
    assert papers.read_bytes() == before, exported.stderr
