"""Writing the author's notes vault: his layout, the name rule, and imported notes byte for byte."""

from __future__ import annotations

import os
import shutil
import stat
import time
from pathlib import Path, PurePosixPath

import pytest

from pipeline.entry import READY, Entry
from pipeline.errors import InputError
from pipeline.importer import import_vault
from pipeline.store import Store
from pipeline.vault import (
    NoteStatus,
    index_vault,
    note_name,
    note_path,
    notes_summary,
    paper_day,
    parse_note,
    render_note,
    write_notes,
)
from tests.conftest import DATA

VAULT = DATA / "vault-sample"
CURRENT_LAYOUT_SINCE = "250801"  # his notes since August 2025


def new_entry(**changes: object) -> Entry:
    """A draft as `digest draft` leaves it: fetched from arXiv, commented, translated."""
    entry = Entry(
        id="2512.24880",
        date="2026-01-02",
        title="mHC: Manifold-Constrained\n  Hyper-Connections",
        authors=["Zhenda Xie", "Yixuan Wei", "Wenfeng Liang"],
        abstract="Recently, studies exemplified by Hyper-Connections (HC) have extended the"
        " residual connection paradigm.\nCode: https://github.com/x/mhc",
        comment_ko="DeepSeek이 Hyper Connections의 Signal Propagation을 개선.\n\n"
        "Skip Connection은 가장 의심받지 않는 선택이었죠.",
        machine_en="DeepSeek improved the signal propagation of Hyper Connections.\n\n"
        "Skip connections were the least questioned choice.",
        comment_en="DeepSeek improved the signal propagation of Hyper Connections.\n\n"
        "Skip connections were the least questioned choice.",
        tags=["transformer", "deepseek"],
        status=READY,
        url="https://arxiv.org/abs/2512.24880v1",
        version="v1",
        published="2025-12-31T18:59:00Z",
    )
    for key, value in changes.items():
        setattr(entry, key, value)
    return entry


CURRENT_NOTE = (
    "https://arxiv.org/abs/2512.24880\n"
    "\n"
    "*mHC: Manifold-Constrained Hyper-Connections* (Zhenda Xie, Yixuan Wei, Wenfeng Liang)\n"
    "\n"
    "> Recently, studies exemplified by Hyper-Connections (HC) have extended the residual"
    " connection paradigm. Code: https://github.com/x/mhc\n"
    "\n"
    "DeepSeek이 Hyper Connections의 Signal Propagation을 개선.\n"
    "\n"
    "Skip Connection은 가장 의심받지 않는 선택이었죠.\n"
    "\n"
    "DeepSeek improved the signal propagation of Hyper Connections.\n"
    "\n"
    "Skip connections were the least questioned choice.\n"
    "\n"
    "#transformer #deepseek "
)


# -- the current layout ---------------------------------------------------------------------------
def test_a_new_entry_is_written_in_his_current_layout() -> None:
    entry = new_entry()
    assert render_note(entry) == CURRENT_NOTE
    assert note_path(entry) == PurePosixPath("arXiv/251231 mHC.md")


def test_a_new_note_reads_back_as_the_entry(tmp_path: Path) -> None:
    entry = new_entry()
    note = parse_note(render_note(entry).encode("utf-8"), tmp_path / note_path(entry).name)
    content = note.content
    assert (note.paper_id, content.title, content.authors) == (
        "2512.24880",
        "mHC: Manifold-Constrained Hyper-Connections",
        entry.authors,
    )
    assert content.comment_ko == entry.comment_ko and content.comment_en == entry.comment_en
    assert content.tags == entry.tags and note.date == "2025-12-31"
    assert content.abstract == " ".join(entry.abstract.split("\n"))  # one `> ` line


def test_an_entry_without_english_or_tags_ends_with_what_it_has() -> None:
    entry = new_entry(comment_en="", tags=[], abstract="")
    assert render_note(entry).endswith(
        "*mHC: Manifold-Constrained Hyper-Connections* "
        "(Zhenda Xie, Yixuan Wei, Wenfeng Liang)\n\n"
        "DeepSeek이 Hyper Connections의 Signal Propagation을 "
        "개선.\n\nSkip Connection은 가장 의심받지 않는 선택이었죠."
    )


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("mHC: Manifold-Constrained Hyper-Connections", "mHC"),
        ("Does RLHF Scale? Exploring the Impacts", "Does RLHF Scale"),
        ("Input/Output Tokenizers for Speech", "Input"),
        ('The "Perfect" Reward: A Study', "The"),
        ("Diversity or Precision? A Deep Dive", "Diversity or Precision"),
        ("From $r$ to $Q^*$: Your Language Model", "From $r$ to $Q"),
        # what Obsidian cannot link to is dropped: # [ ] ^ and invisible format characters
        ("C# [[Wiki]] Models^2", "C Wiki Models2"),
        ("Right\u202eto\u200b left\u2066isolate", "Rightto leftisolate"),
        ("Tab\tand\x07bell", "Tab andbell"),
        ("A PhD Student's Perspective on NLP", "A PhD Student's Perspective on NLP"),
        (
            "Wavelet Latent Diffusion (Wala): Billion-Parameter 3D",
            "Wavelet Latent Diffusion (Wala)",
        ),
        ("BAM! Just Like That", "BAM! Just Like That"),
        ("Back\\slash, pipe | and <angle> brackets", "Back"),
        ("Data, Data   Everywhere:\n A Guide", "Data, Data Everywhere"),
        ("  Spaces before a colon  : and after", "Spaces before a colon"),
    ],
)
def test_the_name_rule(title: str, name: str) -> None:
    assert note_name(title) == name


def test_a_name_never_too_long_for_the_file_system_and_never_empty() -> None:
    long = note_name("Word " * 100)
    assert len(long.encode("utf-8")) <= 200 and long.endswith("Word")
    assert note_path(new_entry(title=": leading colon")) == PurePosixPath(
        "arXiv/251231 2512.24880.md"
    )
    assert note_path(new_entry(title='"Quoted" Title')) == PurePosixPath(
        "arXiv/251231 2512.24880.md"
    )


def test_the_day_is_the_first_version_in_utc_else_the_digest_day() -> None:
    assert paper_day(new_entry(published="2025-12-31T23:30:00-05:00")).isoformat() == "2026-01-01"
    assert paper_day(new_entry(published="")).isoformat() == "2026-01-02"  # the digest day
    assert paper_day(new_entry(published="not a date")).isoformat() == "2026-01-02"


# -- imported notes: their own bytes and path -----------------------------------------------------
def import_sample(tmp_path: Path, vault: Path = VAULT) -> list[Entry]:
    store = Store(tmp_path / "drafts")
    import_vault(vault, store, lambda entry: None)
    return [store.load(path) for path in store.files()]


def test_imported_notes_come_back_byte_for_byte(tmp_path: Path) -> None:
    """Exported into an empty vault, every imported note comes back whole at its own path:
    links, headings, `# Links`, trailing spaces and all (the draft keeps the note)."""
    entries = import_sample(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    results, _ = write_notes(entries, empty)
    assert {r.status for r in results} == {NoteStatus.WRITTEN}
    counts = {"current": [0, 0], "older": [0, 0]}
    for result in results:
        assert result.path is not None
        original = (VAULT / result.path).read_bytes()  # the path it came from
        layout = "current" if result.path.name >= CURRENT_LAYOUT_SINCE else "older"
        counts[layout][1] += 1
        counts[layout][0] += (empty / result.path).read_bytes() == original
    for layout, (same, total) in counts.items():
        print(f"{layout} layout: {same} of {total} notes byte for byte ({same / total:.1%})")
    assert counts == {"current": [9, 9], "older": [80, 80]}


def test_exporting_the_imported_sample_changes_nothing(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    shutil.copytree(VAULT, vault)
    before = {p: p.read_bytes() for p in vault.rglob("*.md")}
    entries = import_sample(tmp_path, vault)
    results, _ = write_notes(entries, vault, force=False)
    assert [r.status for r in results].count(NoteStatus.UNCHANGED) == 89
    assert {p: p.read_bytes() for p in vault.rglob("*.md")} == before  # nothing written
    assert notes_summary(results) == "0 written, 89 unchanged"


def test_the_note_is_kept_in_the_draft(tmp_path: Path) -> None:
    entries = {e.id: e for e in import_sample(tmp_path)}
    links = entries["2401.10208"]
    assert links.note == (VAULT / links.source_file).read_text(encoding="utf-8")
    assert links.note.endswith(
        "\n\n# Links\n\n[[240104 LLM Augmented LLMs.md]]\n[[240116 GATS.md]]"
    )
    assert entries["2412.06000"].source_file == "arXiv/2024/241208 Does RLHF Scale.md"


def test_an_edited_draft_changes_only_what_changed_in_the_notes_own_spelling(
    tmp_path: Path,
) -> None:
    entries = {e.id: e for e in import_sample(tmp_path)}
    old = entries["2008.00951"]  # 200803 Encoding in Style: `#gan_inversion #stylegan`
    assert render_note(old) == old.note
    old.tags = ["gan-inversion", "stylegan", "encoder"]
    assert render_note(old).endswith("\n\n#gan_inversion #stylegan #encoder")
    old.title = "Encoding in Style"
    assert "\n\nEncoding in Style (Elad Richardson," in render_note(old)  # still no asterisks


def test_a_wiki_link_paragraph_is_not_english(tmp_path: Path) -> None:
    entries = {e.id: e for e in import_sample(tmp_path)}
    hidiffusion = entries["2311.17528"]
    assert hidiffusion.comment_en == ""
    hidiffusion.comment_en = "Raising a diffusion model's resolution without training."
    assert render_note(hidiffusion).endswith(
        "window self attention으로 교체했네요.\n\n"
        "Raising a diffusion model's resolution without training.\n\n"
        "#diffusion \n\n[[231011 ScaleCrafter]]\n\n# Links\n\n[[231011 ScaleCrafter.md]]"
    )


def test_a_vault_imported_from_its_notes_folder_keeps_paths_from_the_vault_root(
    tmp_path: Path,
) -> None:
    vault = tmp_path / "Vault"
    shutil.copytree(VAULT, vault)
    (vault / ".obsidian").mkdir()
    trash = vault / ".trash"
    trash.mkdir()
    shutil.copy(vault / "arXiv/251231 mHC.md", trash / "251231 mHC.md")
    entries = import_sample(tmp_path, vault / "arXiv")
    mhc = next(e for e in entries if e.id == "2512.24880")
    assert mhc.source_file == "arXiv/251231 mHC.md"  # not the copy in .trash
    assert index_vault(vault).by_paper["2512.24880"] == [PurePosixPath("arXiv/251231 mHC.md")]


# -- writing --------------------------------------------------------------------------------------
def test_new_notes_are_written_exactly_and_readable_by_others(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    old_umask = os.umask(0o022)
    try:
        results, _ = write_notes([new_entry()], vault)
    finally:
        os.umask(old_umask)
    assert [(r.status, r.path) for r in results] == [
        (NoteStatus.WRITTEN, PurePosixPath("arXiv/251231 mHC.md"))
    ]
    written = vault / "arXiv/251231 mHC.md"
    assert written.read_bytes() == CURRENT_NOTE.encode("utf-8")  # no final newline
    assert stat.S_IMODE(written.stat().st_mode) == 0o644
    assert [p.name for p in written.parent.iterdir()] == ["251231 mHC.md"]  # no temp file left
    again, _ = write_notes([new_entry()], vault)
    assert again[0].status is NoteStatus.UNCHANGED
    assert notes_summary(again) == "0 written, 1 unchanged"


def test_the_umask_is_respected(tmp_path: Path) -> None:
    old_umask = os.umask(0o077)
    try:
        write_notes([new_entry()], tmp_path)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((tmp_path / "arXiv/251231 mHC.md").stat().st_mode) == 0o600


def test_a_note_edited_in_the_vault_is_left_unless_forced(tmp_path: Path) -> None:
    write_notes([new_entry()], tmp_path)
    note = tmp_path / "arXiv/251231 mHC.md"
    edited = note.read_text(encoding="utf-8").replace("least questioned", "least doubted")
    note.write_text(edited, encoding="utf-8")
    note.chmod(0o600)  # his own permissions on his own note
    left, _ = write_notes([new_entry()], tmp_path)
    assert left[0].status is NoteStatus.LEFT and left[0].path == PurePosixPath(
        "arXiv/251231 mHC.md"
    )
    assert note.read_text(encoding="utf-8") == edited
    forced, _ = write_notes([new_entry()], tmp_path, force=True)
    assert forced[0].status is NoteStatus.OVERWRITTEN
    assert note.read_text(encoding="utf-8") == CURRENT_NOTE
    assert stat.S_IMODE(note.stat().st_mode) == 0o600


def test_a_note_he_filed_elsewhere_is_that_note(tmp_path: Path) -> None:
    write_notes([new_entry()], tmp_path)
    filed = tmp_path / "arXiv/2025/251231 mHC (renamed).md"
    filed.parent.mkdir()
    (tmp_path / "arXiv/251231 mHC.md").rename(filed)
    results, _ = write_notes([new_entry()], tmp_path)
    assert results[0].status is NoteStatus.UNCHANGED
    assert results[0].path == PurePosixPath("arXiv/2025/251231 mHC (renamed).md")
    assert not (tmp_path / "arXiv/251231 mHC.md").exists()
    # the same paper with a version in its link, written by hand, is the same note too
    filed.write_text("https://www.arxiv.org/abs/2512.24880v2\n\n*mHC*\n\n메모", encoding="utf-8")
    assert write_notes([new_entry()], tmp_path)[0][0].status is NoteStatus.LEFT


def test_another_papers_note_with_the_same_name_is_never_replaced(tmp_path: Path) -> None:
    other = tmp_path / "arXiv/251231 mHC.md"
    other.parent.mkdir()
    other.write_text("https://arxiv.org/abs/2512.00001\n\n다른 논문", encoding="utf-8")
    results, _ = write_notes([new_entry()], tmp_path, force=True)
    assert results[0].status is NoteStatus.WRITTEN
    assert results[0].path == PurePosixPath("arXiv/251231 mHC (2512.24880).md")
    assert other.read_text(encoding="utf-8") == "https://arxiv.org/abs/2512.00001\n\n다른 논문"
    (tmp_path / "arXiv/251231 mHC (2512.24880).md").write_text("not a note", encoding="utf-8")
    blocked, _ = write_notes([new_entry()], tmp_path, force=True)
    assert blocked[0].status is NoteStatus.LEFT and "another file" in blocked[0].reason


def test_an_entry_without_an_arxiv_id_is_skipped_and_a_missing_vault_is_an_error(
    tmp_path: Path,
) -> None:
    digest_entry = new_entry(id="longwriter-zero-mastering-ultra-long-608a5b80", source="digest")
    results, _ = write_notes([digest_entry, new_entry()], tmp_path)
    assert [r.status for r in results] == [NoteStatus.SKIPPED, NoteStatus.WRITTEN]
    assert results[0].line() == (
        "skipped     longwriter-zero-mastering-ultra-long-608a5b80 (no arXiv id to link a note to)"
    )
    with pytest.raises(InputError, match="does not exist"):
        write_notes([new_entry()], tmp_path / "missing")


def test_an_imported_path_cannot_leave_the_vault(tmp_path: Path) -> None:
    entry = new_entry(source="vault", source_file="../outside.md")
    with pytest.raises(InputError, match="not a note inside the vault"):
        note_path(entry)


def test_scanning_thousands_of_notes_reads_only_their_heads(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    folder = vault / "arXiv"
    folder.mkdir(parents=True)
    body = CURRENT_NOTE + "\n\n" + "긴 본문. " * 2000  # about 20 KB a note
    count = 3000
    for n in range(count):
        paper = f"2501.{n:05d}"
        (folder / f"250101 Paper {n}.md").write_text(
            body.replace("2512.24880", paper), encoding="utf-8"
        )
    started = time.perf_counter()
    index = index_vault(vault)
    elapsed = time.perf_counter() - started
    print(f"vault scan: {count} notes in {elapsed:.2f} s ({elapsed / count * 1e6:.0f} µs a note)")
    assert len(index.by_paper) == count and index.by_paper["2501.00042"] == [
        PurePosixPath("arXiv/250101 Paper 42.md")
    ]
