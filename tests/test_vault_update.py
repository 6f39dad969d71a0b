"""His vault is never damaged (issue 22), on copies of his real notes: an update changes only
what changed, each note is written on its own, import reads each note exactly and settles, odd
files never block, and neither a second digest nor an Obsidian save is ever raced. Through the
command line: a note follows its draft, an edit in Obsidian comes back into the draft, and edits
on both sides are never overwritten."""

from __future__ import annotations

import errno
import os
import shutil
import time
from pathlib import Path, PurePosixPath

import pytest
import yaml

from pipeline.entry import READY, Entry
from pipeline.importer import ANOTHER_NOTE, import_vault
from pipeline.note import Kind, read_note
from pipeline.store import Store
from pipeline.vault import (
    STALE_TEMP_SECONDS,
    ChangedMeanwhile,
    NoteStatus,
    index_vault,
    replace_note,
    write_notes,
)
from tests.cli_helpers import DATE, EN, KO, drafted, load_draft, run, start
from tests.conftest import DATA
from tests.servers import ArxivServer, OpenAIServer

SAMPLE = DATA / "vault-sample"
SHAPES = DATA / "vault-shapes"


def copy_vault(tmp_path: Path, *sources: Path) -> Path:
    vault = tmp_path / "vault"
    for source in sources:
        shutil.copytree(source, vault, dirs_exist_ok=True)
    (vault / ".obsidian").mkdir(exist_ok=True)
    return vault


def imported(store: Store, vault: Path) -> list[Entry]:
    import_vault(vault, store, lambda entry: None)
    return [store.load(path) for path in store.files()]


def pieces(text: str, but: Kind) -> list[tuple[Kind, str]]:
    return [(p.kind, p.text) for p in read_note(text).pieces if p.kind is not but]


VAULTS = [SAMPLE, *sorted(p for p in SHAPES.iterdir() if p.is_dir())]  # shapes share papers


@pytest.mark.parametrize("source", VAULTS, ids=[p.name for p in VAULTS])
def test_an_update_keeps_every_line_that_is_not_the_english(tmp_path: Path, source: Path) -> None:
    """Every note of the sample and of each shape: the English edited in the draft, exported."""
    vault = copy_vault(tmp_path, source)
    before = {p: p.read_bytes().decode("utf-8") for p in vault.rglob("*.md")}
    store = Store(tmp_path / "drafts")
    entries = imported(store, vault)
    for entry in entries:
        entry.comment_en = f"A new English for {entry.id}.\n\nIts second paragraph."
    results, _ = write_notes(entries, vault)
    updated = [r for r in results if r.status is NoteStatus.UPDATED]
    assert (
        len(updated)
        == len(entries)
        == (89 if source == SAMPLE else 0 if source.name == "not-a-paper" else 1)
    )
    for result in updated:
        assert result.path is not None
        old, new = before[vault / result.path], (vault / result.path).read_bytes().decode()
        assert pieces(new, Kind.ENGLISH) == pieces(old, Kind.ENGLISH), result.path
        assert f"A new English for {result.entry_id}." in new
    untouched = set(before) - {vault / r.path for r in updated if r.path is not None}
    assert all(p.read_bytes().decode() == before[p] for p in untouched)


def test_each_note_is_written_on_its_own(tmp_path: Path) -> None:
    """A draft that fails a check holds its own note back, not the others (exit 1)."""
    vault = copy_vault(tmp_path, SAMPLE)
    store = Store(tmp_path / "drafts")
    entries = [e for e in imported(store, vault) if e.date.startswith("2024-12")]
    for entry in entries:
        entry.comment_en = entry.comment_en + " Edited."
        store.save(entry)
    failing = entries[0]
    failing.comment_en = "Korean left in the English: 한국어."
    store.save(failing)
    note = vault / failing.source_file
    held_before = note.read_bytes()
    days = sorted({e.date for e in entries})
    result = run("export", f"{days[0]}..{days[-1]}", "--format", "vault", "-o", str(vault))
    assert result.code == 1, result.stderr
    assert f"held        {failing.source_file} (digest edit {failing.id})" in result.stderr
    held = {line.split(" (")[0][12:] for line in result.stderr.splitlines() if line[:4] == "held"}
    # one of his own notes of the month fails too (a citation he left out of the English)
    assert len(held) == 2 and f"{len(entries) - 2} updated, 2 held" in result.stderr
    assert note.read_bytes() == held_before
    for entry in entries:
        edits = (vault / entry.source_file).read_text(encoding="utf-8").count(" Edited.")
        assert edits == (entry.source_file not in held), entry.source_file
    forced = run(
        "export", f"{days[0]}..{days[-1]}", "--format", "vault", "-o", str(vault), "--force"
    )
    assert forced.code == 0, forced.stderr
    assert "한국어." in note.read_text(encoding="utf-8")


def test_import_settles_and_never_mixes_papers(tmp_path: Path) -> None:
    vault = copy_vault(tmp_path, SAMPLE, SHAPES)  # the shapes are second notes of sample papers
    store = Store(tmp_path / "drafts")
    first = import_vault(vault, store, lambda entry: None)
    assert len(first.imported) == 89 and len(first.skipped[ANOTHER_NOTE]) == 13
    histories = {path: store.load(path).history for path in store.files()}
    for _ in range(2):
        again = import_vault(vault, store, lambda entry: None)
        assert (len(again.imported), len(again.updated), len(again.unchanged)) == (0, 0, 89)
        assert {path: store.load(path).history for path in store.files()} == histories
    # no draft holds another paper's note: each note's first line links the draft's paper
    for path in store.files():
        draft = store.load(path)
        assert read_note(draft.note).content.paper_id == draft.id, path
        assert draft.note == (vault / draft.source_file).read_bytes().decode("utf-8")
    assert "not-a-paper/210121 Papers.md" in first.skipped["no arXiv link on its first line"]


def test_a_paper_with_two_notes_keeps_the_note_its_draft_knows(tmp_path: Path) -> None:
    vault = copy_vault(tmp_path, SHAPES / "two-notes")
    store = Store(tmp_path / "drafts")
    (entry,) = imported(store, vault)
    assert entry.source_file == "251231 mHC.md"  # the original, not Obsidian's copy `mHC 1`
    # he deletes the original and keeps the copy: the draft follows, once
    (vault / "251231 mHC.md").unlink()
    summary = import_vault(vault, store, lambda entry: None)
    assert len(summary.updated) == 1
    assert store.load(store.files()[0]).source_file == "251231 mHC 1.md"
    (vault / "251231 mHC.md").write_bytes((vault / "251231 mHC 1.md").read_bytes())
    summary = import_vault(vault, store, lambda entry: None)
    assert (len(summary.updated), len(summary.unchanged)) == (0, 1)  # its own note still
    assert summary.skipped[ANOTHER_NOTE] == ["251231 mHC.md (2512.24880)"]


def test_a_note_that_later_gains_front_matter_is_the_same_note(tmp_path: Path) -> None:
    vault = copy_vault(tmp_path, SAMPLE / "arXiv/2025")
    store = Store(tmp_path / "drafts")
    entries = imported(store, vault)
    note = vault / entries[0].source_file
    note.write_text("---\nstatus: read\n---\n" + note.read_text(encoding="utf-8"), "utf-8")
    summary = import_vault(vault, store, lambda entry: None)
    assert len(summary.updated) == 1
    entries = [store.load(p) for p in store.files()]
    entries[0].comment_en += " More."
    results, _ = write_notes(entries, vault)
    assert [r.status for r in results].count(NoteStatus.UPDATED) == 1
    assert sorted(p.name for p in vault.rglob("*.md")) == sorted(
        p.name for p in (SAMPLE / "arXiv/2025").rglob("*.md")
    )  # no duplicate `… (id).md`
    assert note.read_text(encoding="utf-8").startswith("---\nstatus: read\n---\nhttps://")


def test_odd_files_are_skipped_and_never_block(tmp_path: Path) -> None:
    vault = copy_vault(tmp_path, SAMPLE / "arXiv/2025")
    os.mkfifo(vault / "251201 A FIFO.md")
    (vault / "251202 Zero.md").symlink_to("/dev/zero")
    (vault / "251203 Gone.md").symlink_to(vault / "nowhere.md")
    (vault / "251204 Folder.md").mkdir()
    started = time.monotonic()
    result = run("import", "--vault", str(vault), "--list-skipped")
    assert result.code == 0, result.stderr
    assert "2 imported" in result.stderr
    assert "skipped (not a regular file (a FIFO, a device or a folder)): 251201 A FIFO.md" in (
        result.stderr
    )
    assert "skipped (a link to nothing): 251203 Gone.md" in result.stderr
    assert "251202 Zero.md" in result.stderr
    exported = run("export", "2025-12-26..2025-12-28", "--format", "vault", "-o", str(vault))
    assert exported.code == 0, exported.stderr
    assert "Warning:" in exported.stderr and "251201 A FIFO.md" in exported.stderr
    assert time.monotonic() - started < 30


def test_a_linked_note_is_written_through_its_link(tmp_path: Path) -> None:
    vault = copy_vault(tmp_path, SAMPLE / "arXiv/2025")
    real = tmp_path / "elsewhere" / "251226 SWE-RM.md"
    real.parent.mkdir()
    shutil.move(vault / "251226 SWE-RM.md", real)
    (vault / "251226 SWE-RM.md").symlink_to(real)
    store = Store(tmp_path / "drafts")
    entries = imported(store, vault)
    for entry in entries:
        entry.comment_en += " Edited."
    results, _ = write_notes(entries, vault)
    assert {r.status for r in results} == {NoteStatus.UPDATED}
    assert (vault / "251226 SWE-RM.md").is_symlink()
    assert real.read_text(encoding="utf-8").count(" Edited.") == 1


def test_a_note_named_near_the_file_system_limit_is_updated(tmp_path: Path) -> None:
    vault = copy_vault(tmp_path, SAMPLE / "arXiv/2025")
    long = "251226 " + "Long Title " * 22 + ".md"  # 252 bytes: only 3 to spare
    assert 250 <= len(long.encode()) <= 255
    (vault / "251226 SWE-RM.md").rename(vault / long)
    store = Store(tmp_path / "drafts")
    entries = imported(store, vault)
    for entry in entries:
        entry.comment_en += " Edited."
    results, _ = write_notes(entries, vault)
    assert {r.status for r in results} == {NoteStatus.UPDATED}
    assert (vault / long).read_text(encoding="utf-8").count(" Edited.") == 1


def test_a_temp_file_a_killed_export_left_is_swept(tmp_path: Path) -> None:
    """Under the vault's lock no other digest writes: a temp file of ours is a killed run's at
    once; one an earlier version wrote (without the lock) after an hour."""
    vault = copy_vault(tmp_path, SAMPLE / "arXiv/2025")
    killed = vault / ".dg89abcdef.tmp"
    old_stale = vault / ".251226 SWE-RM.md.0123456789ab.tmp"
    old_fresh = vault / ".251228 Diversity or Precision.md.ba9876543210.tmp"
    for path in (killed, old_stale, old_fresh):
        path.write_text("half a note", encoding="utf-8")
    hour_ago = time.time() - STALE_TEMP_SECONDS - 60
    os.utime(old_stale, (hour_ago, hour_ago))
    store = Store(tmp_path / "drafts")
    entries = imported(store, vault)
    for entry in entries:
        entry.comment_en += " Edited."
    write_notes(entries, vault)
    assert not killed.exists() and not old_stale.exists()
    assert old_fresh.exists()  # perhaps an earlier version's writer, at work right now


def edited_in_both(tmp_path: Path) -> tuple[Path, list[Entry], Path, str]:
    """His 2025 notes imported, each draft's English edited here; the first note's save in
    Obsidian (a wiki link more), for a test to land at a moment of its choosing."""
    vault = copy_vault(tmp_path, SAMPLE / "arXiv/2025")
    store = Store(tmp_path / "drafts")
    entries = imported(store, vault)
    for entry in entries:
        entry.comment_en += " Edited."
    target = vault / entries[0].source_file
    his = target.read_text(encoding="utf-8") + "\n\n[[251225 Another note]]"
    return vault, entries, target, his


def test_an_obsidian_save_between_the_read_and_the_rename_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The note is compared again after the new bytes are on disk, just before the rename."""
    vault, entries, target, his = edited_in_both(tmp_path)
    real_fsync = os.fsync
    saved: list[bool] = []

    def obsidian_saves_meanwhile(fd: int) -> None:
        real_fsync(fd)
        if not saved:  # his save lands while digest's new note is being written
            target.write_text(his, encoding="utf-8")
            saved.append(True)

    monkeypatch.setattr(os, "fsync", obsidian_saves_meanwhile)
    results, _ = write_notes(entries, vault)
    assert results[0].status is NoteStatus.LEFT and "meanwhile" in results[0].reason
    assert target.read_text(encoding="utf-8") == his
    assert results[1].status is NoteStatus.UPDATED
    assert not list(vault.glob(".dg*.tmp"))


def saved_by_obsidian_around_the_rename(
    monkeypatch: pytest.MonkeyPatch, target: Path, his: str, when: str
) -> None:
    """His in-place save (open, truncate, write: how Obsidian saves) lands at the worst moment
    of digest's rename over the note: just before it ("before"), or opened just before it and
    written just after it ("across", the file it writes into is then no longer at the name)."""
    real_replace = os.replace

    def rename(source: str | os.PathLike[str], destination: str | os.PathLike[str]) -> None:
        if Path(destination) != target or not Path(source).name.startswith(".dg"):
            return real_replace(source, destination)
        monkeypatch.setattr(os, "replace", real_replace)  # once
        if when == "before":
            target.write_text(his, encoding="utf-8")
            return real_replace(source, destination)
        with open(target, "w", encoding="utf-8") as handle:
            real_replace(source, destination)
            handle.write(his)
        return None

    monkeypatch.setattr(os, "replace", rename)


@pytest.mark.parametrize("when", ["before", "across"])
def test_an_obsidian_save_at_the_moment_of_the_rename_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    """The note is held by a second name over the rename: a save that went into it is put back."""
    vault, entries, target, his = edited_in_both(tmp_path)
    saved_by_obsidian_around_the_rename(monkeypatch, target, his, when)
    results, _ = write_notes(entries, vault)
    assert results[0].status is NoteStatus.LEFT and "meanwhile" in results[0].reason
    assert target.read_text(encoding="utf-8") == his
    assert results[1].status is NoteStatus.UPDATED
    assert "Edited." in (vault / entries[1].source_file).read_text(encoding="utf-8")
    assert not list(target.parent.glob(".dg*")), "a temporary name left in his vault"


def test_a_note_deleted_in_the_instant_before_the_update_stays_deleted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note = tmp_path / "251201 A Paper.md"
    note.write_text("https://arxiv.org/abs/2512.00001\n\n한국어.\n", encoding="utf-8")
    expected = note.read_bytes()
    real_link = os.link

    def deleted_first(source: str | os.PathLike[str], destination: str | os.PathLike[str]) -> None:
        if Path(source) == note.resolve():
            note.unlink()  # he deletes it in Obsidian
        real_link(source, destination)

    monkeypatch.setattr(os, "link", deleted_first)
    with pytest.raises(ChangedMeanwhile):
        replace_note(note, expected + b"\nEnglish.\n", expected)
    assert not note.exists() and not list(tmp_path.glob(".dg*"))


def test_without_hard_links_a_note_is_updated_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file system without hard links (some network and FAT drives): written all the same."""
    vault = copy_vault(tmp_path, SAMPLE / "arXiv/2025")
    store = Store(tmp_path / "drafts")
    entries = imported(store, vault)
    entries[0].comment_en += " Edited."

    def no_links(*_: object, **__: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    results, _ = write_notes(entries[:1], vault)
    assert results[0].status is NoteStatus.UPDATED
    target = vault / entries[0].source_file
    assert "Edited." in target.read_text(encoding="utf-8")
    assert not list(target.parent.glob(".dg*"))


# -- real processes -------------------------------------------------------------------------------
def day_of_drafts(isolated: Path, count: int) -> list[Entry]:
    """A day of drafts made here (never exported), as `digest draft` leaves them."""
    store = Store(isolated / "drafts")
    entries = []
    for n in range(count):
        entry = Entry(
            id=f"2512.{n + 10000:05d}",
            date="2025-12-31",
            title=f"Paper {n}: A Study",
            authors=["Ann Lee"],
            abstract="An abstract.",
            comment_ko=f"코멘트 {n}.",
            machine_en=f"Comment {n}.",
            comment_en=f"Comment {n}.",
            tags=["rl"],
            status=READY,
            published="2025-12-30T10:00:00Z",
        )
        store.save(entry)
        entries.append(entry)
    return entries


@pytest.mark.slow
def test_two_exports_at_once_never_duplicate_a_note(isolated: Path) -> None:
    day_of_drafts(isolated, 200)
    vault = isolated / "vault"
    vault.mkdir()
    args = ["export", "2025-12-31", "--format", "vault", "-o", str(vault)]
    # 200 notes: long enough that the two always overlap (without the lock: duplicates)
    procs = [start(args), start(args)]
    codes = [p.wait(timeout=120) for p in procs]
    errors = [p.stderr.read() for p in procs if p.stderr]
    assert codes == [0, 0], errors
    names = sorted(p.name for p in (vault / "arXiv").iterdir())
    assert len(names) == 200 and not any("(" in n for n in names), names
    assert not list((vault / "arXiv").glob(".*.tmp"))


def test_obsidian_saving_during_an_export_loses_nothing(isolated: Path) -> None:
    """A real process saves notes in place, as Obsidian does, while a real export updates them:
    every note he saved holds his last save."""
    day_of_drafts(isolated, 60)
    vault = isolated / "vault"
    vault.mkdir()
    args = ["export", "2025-12-31", "--format", "vault", "-o", str(vault)]
    assert run(*args).code == 0
    store = Store(isolated / "drafts")
    for path in store.files():
        entry = store.load(path)
        entry.comment_en += " Changed here."
        store.save(entry)
    notes = sorted((vault / "arXiv").iterdir())
    script = (
        "import sys, time\n"
        "paths = sys.argv[1:]\n"
        "for round in range(3):\n"
        "    for n, path in enumerate(paths[::2]):\n"
        "        text = open(path, encoding='utf-8').read()\n"
        "        with open(path, 'w', encoding='utf-8') as f:\n"
        "            f.write(text + f'\\n\\n[[his link {round}]]')\n"
        "        time.sleep(0.002)\n"
    )
    import subprocess
    import sys

    obsidian = subprocess.Popen([sys.executable, "-c", script, *map(str, notes)])
    export = start(args)
    assert obsidian.wait(timeout=60) == 0
    export.wait(timeout=120)
    for path in notes[::2]:
        text = path.read_text(encoding="utf-8")
        assert text.endswith("[[his link 2]]"), path.name  # his last save, whole
        assert text.count("[[his link") == 3
    # the notes he did not touch followed their drafts
    assert all("Changed here." in p.read_text(encoding="utf-8") for p in notes[1::2])


def test_the_draft_records_what_it_wrote(isolated: Path) -> None:
    day_of_drafts(isolated, 2)
    vault = isolated / "vault"
    vault.mkdir()
    assert run("export", "2025-12-31", "--format", "vault", "-o", str(vault)).code == 0
    path = isolated / "drafts/2025-12-31/2512.10000.yaml"
    draft = yaml.safe_load(path.read_text(encoding="utf-8"))
    note = vault / draft["source_file"]
    assert draft["note"] == note.read_text(encoding="utf-8")
    assert PurePosixPath(draft["source_file"]) == PurePosixPath("arXiv/251230 Paper 0.md")
    assert index_vault(vault).by_paper["2512.10000"] == [PurePosixPath("arXiv/251230 Paper 0.md")]


# -- importing again reads only what changed ------------------------------------------------------
def test_importing_again_reads_only_what_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipeline.importer as importer

    monkeypatch.setattr(importer.Seen, "RACY_NS", 0)  # these files are seconds old
    vault = copy_vault(tmp_path, SAMPLE)
    store = Store(tmp_path / "drafts")
    seen = tmp_path / "cache" / "seen.json"
    first = import_vault(vault, store, lambda entry: None, seen_file=seen)
    reads: list[Path] = []
    loads: list[Path] = []
    real_read, real_load = importer.read_note_bytes, Store.load

    def counted_read(path: Path, *args: int) -> bytes:
        reads.append(path)
        return real_read(path, *args)

    def counted_load(self: Store, path: Path) -> Entry:
        loads.append(path)
        return real_load(self, path)

    monkeypatch.setattr(importer, "read_note_bytes", counted_read)
    monkeypatch.setattr(Store, "load", counted_load)
    again = import_vault(vault, store, lambda entry: None, seen_file=seen)
    assert (reads, loads) == ([], [])
    assert (len(again.unchanged), again.skipped) == (len(first.imported), first.skipped)

    # he edits one note in Obsidian; a draft is edited here; another note is filed elsewhere
    edited = vault / "arXiv/251231 mHC.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n\n[[his link]]", encoding="utf-8")
    changed = store.load(store.path("2024-12-18", "2412.13795"))
    changed.comment_en += " Edited here."
    store.save(changed)
    moved = vault / "arXiv/2024/241216 No More Adam.md"
    moved.rename(vault / "arXiv/241216 No More Adam.md")
    reads.clear()
    loads.clear()
    third = import_vault(vault, store, lambda entry: None, seen_file=seen)
    # the two notes that changed, and the note of the draft that changed (to compare)
    assert sorted(p.name for p in reads) == [
        "241216 No More Adam.md",
        "241218 Mix-LN.md",
        "251231 mHC.md",
    ]
    assert len(third.updated) == 2 and len(third.unchanged) == len(first.imported) - 2
    assert store.load(store.path("2024-12-18", "2412.13795")).comment_en.endswith("Edited here.")

    # a broken record costs one full read, nothing else
    seen.write_text("{not json", encoding="utf-8")
    reads.clear()
    fourth = import_vault(vault, store, lambda entry: None, seen_file=seen)
    assert len(reads) == 99 and len(fourth.unchanged) == len(first.imported)


def test_a_file_changed_within_the_clock_tick_is_read_again(tmp_path: Path) -> None:
    """Times of the last two seconds are not trusted: a note saved twice in one tick of a
    coarse clock (same size, same time) is still read."""
    vault = copy_vault(tmp_path, SAMPLE / "arXiv/2025")
    store = Store(tmp_path / "drafts")
    seen = tmp_path / "seen.json"
    import_vault(vault, store, lambda entry: None, seen_file=seen)
    note = vault / "251226 SWE-RM.md"
    stamp = note.stat()
    note.write_text(note.read_text(encoding="utf-8").replace("metrics", "metricz"), "utf-8")
    os.utime(note, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # same size, same time
    summary = import_vault(vault, store, lambda entry: None, seen_file=seen)
    assert len(summary.updated) == 1


# -- a hostile review's cases ---------------------------------------------------------------------
def test_a_note_digest_cannot_see_is_never_written_twice(tmp_path: Path) -> None:
    """A note iCloud evicted (only `.X.md.icloud` on this disk), and notes behind a linked
    folder: never a second note of the paper."""
    entries = day_of_drafts(tmp_path, 2)
    vault = tmp_path / "vault"
    (vault / "arXiv").mkdir(parents=True)
    (vault / "arXiv" / ".251230 Paper 0.md.icloud").write_bytes(b"bplist00")
    results, _ = write_notes(entries, vault)
    assert [r.status for r in results] == [NoteStatus.LEFT, NoteStatus.WRITTEN]
    assert not (vault / "arXiv" / "251230 Paper 0 (2512.10000).md").exists()
    # his notes folder is a link to elsewhere: its notes are the vault's all the same
    elsewhere = tmp_path / "elsewhere"
    (vault / "arXiv").rename(elsewhere)
    (vault / "arXiv").symlink_to(elsewhere, target_is_directory=True)
    again, _ = write_notes(entries[1:], vault)
    assert [r.status for r in again] == [NoteStatus.UNCHANGED]
    assert sorted(p.name for p in elsewhere.iterdir()) == [
        ".251230 Paper 0.md.icloud",
        "251230 Paper 1.md",
    ]


def test_a_paper_drafted_on_two_days_has_one_note_that_settles(isolated: Path) -> None:
    (entry,) = day_of_drafts(isolated, 1)
    store = Store(isolated / "drafts")
    later = store.load(store.path(entry.date, entry.id))
    later.date, later.order, later.comment_en = "2026-01-02", 0, "Comment 0, said better."
    store.save(later)
    vault = isolated / "vault"
    vault.mkdir()
    args = ["export", "2025-12-31..2026-01-02", "--format", "vault", "-o", str(vault)]
    first = run(*args)
    assert first.code == 0, first.stderr
    assert "skipped" in first.stderr and "its draft of 2026-01-02 is the note's" in first.stderr
    note = vault / "arXiv/251230 Paper 0.md"
    assert "Comment 0, said better." in note.read_text(encoding="utf-8")
    for _ in range(2):  # settles: nothing written, nothing left, no history growth
        again = run(*args)
        assert again.code == 0 and "1 unchanged" in again.stderr, again.stderr
    assert store.load(store.path("2026-01-02", entry.id)).history == []
    # a draft of a later day knows the note the earlier one wrote: no false "edited"
    newest = store.load(store.path("2026-01-02", entry.id))
    newest.date, newest.order, newest.source_hash, newest.note = "2026-01-03", 0, "", ""
    newest.comment_en = "Comment 0, the third take."
    store.save(newest)
    third = run("export", "2026-01-03", "--format", "vault", "-o", str(vault))
    assert third.code == 0 and "1 updated" in third.stderr, third.stderr


def test_a_note_that_needs_no_writing_is_never_held(tmp_path: Path) -> None:
    vault = copy_vault(tmp_path, SAMPLE / "arXiv/2025")
    entries = imported(Store(tmp_path / "drafts"), vault)
    failing = {e.id: f"digest edit {e.id}" for e in entries}
    results, _ = write_notes(entries, vault, failing=failing)
    assert {r.status for r in results} == {NoteStatus.UNCHANGED}


def test_one_bad_draft_fails_alone(tmp_path: Path) -> None:
    entries = imported(Store(tmp_path / "drafts"), copy_vault(tmp_path, SAMPLE / "arXiv/2025"))
    entries[0].source_file = "/tmp/elsewhere.md"  # edited by hand
    empty = tmp_path / "empty"
    empty.mkdir()
    results, _ = write_notes(entries, empty)
    assert [r.status for r in results] == [NoteStatus.FAILED, NoteStatus.WRITTEN]
    assert "not a note inside the vault" in results[0].reason


def test_a_read_only_note_is_left_as_he_keeps_it(tmp_path: Path) -> None:
    vault = copy_vault(tmp_path, SAMPLE / "arXiv/2025")
    entries = imported(Store(tmp_path / "drafts"), vault)
    note = vault / entries[0].source_file
    before = note.read_bytes()
    note.chmod(0o444)
    for entry in entries:
        entry.comment_en += " Edited."
    results, _ = write_notes(entries, vault)
    assert results[0].status is NoteStatus.LEFT and "read-only" in results[0].reason
    assert note.read_bytes() == before and results[1].status is NoteStatus.UPDATED


def test_digest_vault_names_the_vault_for_import_and_export(isolated: Path) -> None:
    vault = copy_vault(isolated, SAMPLE / "arXiv/2025")
    env = {"DIGEST_VAULT": str(vault)}
    assert "2 imported" in run("import", "--vault", env=env).stderr
    exported = run("export", "2025-12-26..2025-12-28", "--format", "vault", env=env)
    assert exported.code == 0 and "2 unchanged" in exported.stderr, exported.stderr
    missing = run("import", "--vault")
    assert missing.code == 2 and "DIGEST_VAULT" in missing.stderr


def test_the_day_goes_into_the_vault_in_his_layout(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    drafted()
    vault = isolated / "vault"
    vault.mkdir()
    first = run("export", DATE, "--format", "vault", "-o", str(vault))
    assert first.code == 0, first.stderr
    note = vault / "arXiv" / "250623 ReasonFlux-PRM.md"  # published 2025-06-23, title cut at ':'
    text = note.read_bytes().decode("utf-8")
    assert text.startswith("https://arxiv.org/abs/2506.18896\n\n*ReasonFlux-PRM: Trajectory")
    assert text.endswith(f"{KO}\n\n{EN}\n\n#rl ")  # one trailing space, no final newline
    assert "1 written" in first.stderr
    again = run("export", DATE, "--format", "vault", "-o", str(vault))
    assert again.code == 0 and "1 unchanged" in again.stderr
    # his addition below the tags line is his: the note still says what the draft says
    note.write_text(text + "\n\nMy own addition in Obsidian.", encoding="utf-8")
    kept = run("export", DATE, "--format", "vault", "-o", str(vault))
    assert kept.code == 0 and "1 unchanged" in kept.stderr
    # his edit of the English in Obsidian is left, unless --force (his addition stays)
    edited = note.read_text(encoding="utf-8").replace(EN, "His own English.")
    note.write_text(edited, encoding="utf-8")
    left = run("export", DATE, "--format", "vault", "-o", str(vault))
    assert left.code == 1 and "1 left" in left.stderr
    assert note.read_text(encoding="utf-8") == edited
    forced = run("export", DATE, "--format", "vault", "-o", str(vault), "--force")
    assert forced.code == 0
    assert note.read_bytes().decode("utf-8") == text + "\n\nMy own addition in Obsidian."
    assert run("export", DATE, "--format", "vault").code == 2  # -o names the vault


def test_a_note_he_filed_elsewhere_is_that_note(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    drafted()
    vault = isolated / "vault"
    vault.mkdir()
    assert run("export", DATE, "--format", "vault", "-o", str(vault)).code == 0
    filed = vault / "arXiv" / "2025" / "250623 ReasonFlux-PRM.md"
    filed.parent.mkdir()
    (vault / "arXiv" / "250623 ReasonFlux-PRM.md").rename(filed)
    again = run("export", DATE, "--format", "vault", "-o", str(vault))
    assert again.code == 0 and "1 unchanged" in again.stderr
    assert not (vault / "arXiv" / "250623 ReasonFlux-PRM.md").exists()


def exported_to_vault(isolated: Path) -> Path:
    drafted()
    vault = isolated / "vault"
    vault.mkdir()
    assert run("export", DATE, "--format", "vault", "-o", str(vault)).code == 0
    return vault / "arXiv" / "250623 ReasonFlux-PRM.md"


def test_a_note_nobody_touched_follows_the_draft(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    note = exported_to_vault(isolated)
    mine = "A PRM that grades each reasoning step."
    assert run("edit", "2506.18896", stdin=mine).code == 0
    again = run("export", DATE, "--format", "vault", "-o", str(note.parent.parent))
    assert again.code == 0 and "1 updated" in again.stderr  # no --force needed
    assert mine in note.read_text(encoding="utf-8")


def test_a_note_edited_in_the_vault_comes_back_into_its_draft(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    note = exported_to_vault(isolated)
    text = note.read_text(encoding="utf-8").replace(EN, "My English, written in Obsidian.")
    note.write_text(text, encoding="utf-8")
    result = run("import", "--vault", str(note.parent.parent))
    assert result.code == 0 and "1 updated" in result.stderr, result.stderr
    assert (
        load_draft(isolated, DATE, "2506.18896")["comment_en"] == "My English, written in Obsidian."
    )
    assert not (isolated / "drafts" / "2025-06-23").exists()  # no second draft on the paper's day
    history = load_draft(isolated, DATE, "2506.18896")["history"]
    assert {"comment_en": EN, "replaced": "import of arXiv/250623 ReasonFlux-PRM.md"} in history


def test_edits_on_both_sides_are_never_overwritten(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    note = exported_to_vault(isolated)
    vault = note.parent.parent
    obsidian = note.read_text(encoding="utf-8") + "\n\nMy paragraph in Obsidian."
    note.write_text(obsidian, encoding="utf-8")
    mine = "A PRM, edited here: whether the steps are coherent and the templates fit."
    assert run("edit", "2506.18896", stdin=mine).code == 0
    left = run("export", DATE, "--format", "vault", "-o", str(vault))
    assert (
        left.code == 1 and "1 left" in left.stderr and note.read_text(encoding="utf-8") == obsidian
    )
    # the import takes his side (his paragraph), the draft keeps its own (the English) ...
    merged = run("import", "--vault", str(vault))
    assert "1 updated" in merged.stderr, merged.stderr
    assert load_draft(isolated, DATE, "2506.18896")["comment_en"] == mine
    # ... and the export writes both into the note
    written = run("export", DATE, "--format", "vault", "-o", str(vault))
    assert written.code == 0 and "1 updated" in written.stderr
    text = note.read_text(encoding="utf-8")
    assert mine in text and text.endswith("My paragraph in Obsidian.")
    # where both sides changed the same part, the draft's stays; --force writes it, his is kept
    note.write_text(text.replace(mine, "His English in Obsidian."), encoding="utf-8")
    assert run("edit", "2506.18896", stdin=mine + " Again.").code == 0
    skipped = run("import", "--vault", str(vault))
    assert "1 skipped (1 edited on both sides)" in skipped.stderr
    forced = run("export", DATE, "--format", "vault", "-o", str(vault), "--force")
    assert forced.code == 0 and "1 overwritten" in forced.stderr
    history = load_draft(isolated, DATE, "2506.18896")["history"]
    assert any("His English in Obsidian." in h.get("note", "") for h in history)
