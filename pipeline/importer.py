"""Import history: a digest in the text format (and, see vault.py, the author's notes vault)."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.comment import MAX_CHARS
from pipeline.digest import DigestParseError, TextEntry, collapse, parse_digest
from pipeline.entry import Entry
from pipeline.errors import InputError
from pipeline.merge import Merged, take_digest_entry, take_note
from pipeline.store import Store, file_safe
from pipeline.vault import (
    Skip,
    VaultNote,
    in_note_order,
    list_notes,
    note_date,
    parse_note,
    read_note_bytes,
    vault_root,
)
from pipeline.yamlio import atomic_write


def title_id(title: str) -> str:
    """The id of an entry known only by its title (the text format carries no arXiv id).

    A slug of the title's first words (at most 40 characters), '-', and the first 8 hex digits
    of the SHA-256 of the title with whitespace collapsed: stable across runs and machines,
    readable in a file listing, and distinct for distinct titles.
    """
    title = collapse(title)
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    if len(slug) > 40:
        slug = slug[:40].rsplit("-", 1)[0]
    digest = hashlib.sha256(title.encode("utf-8")).hexdigest()[:8]
    return f"{slug or 'untitled'}-{digest}"


@dataclass(frozen=True)
class NoteDraft:
    """A note of the vault and its draft, after an import."""

    date: str  # the draft's day
    source_file: str  # the note, relative to the vault
    bare: bool  # the note has his Korean and no English yet
    ahead: bool = False  # the draft says what the note does not yet (changed here since)


@dataclass
class ImportSummary:
    imported: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)  # reason -> files
    drafts: dict[str, NoteDraft] = field(default_factory=dict)  # paper -> its note's draft
    notes: list[str] = field(default_factory=list)  # what the author should know (conflicts)
    broken: list[str] = field(default_factory=list)  # drafts that cannot be read: why, each

    def line(self) -> str:
        parts = [
            f"{len(self.imported)} imported",
            f"{len(self.updated)} updated",
            f"{len(self.unchanged)} unchanged",
        ]
        skipped = sum(len(v) for v in self.skipped.values())
        if skipped:
            reasons = ", ".join(f"{len(v)} {k}" for k, v in sorted(self.skipped.items()))
            parts.append(f"{skipped} skipped ({reasons})")
        return ", ".join(parts)


BROKEN_DRAFT = "its draft cannot be read"
ANOTHER_NOTE = "a second note of a paper (the paper's draft is another note's)"


def note_entry(note: VaultNote, source_file: str) -> Entry:
    """A draft of what a note says; it records the note (its place, bytes and text)."""
    content = note.content
    entry = Entry(
        id=content.paper_id,
        date=note.date,
        title=content.title,
        authors=content.authors,
        abstract=content.abstract,
        comment_ko=content.comment_ko,
        comment_en=content.comment_en,
        tags=content.tags,
        url=f"https://arxiv.org/abs/{content.paper_id}",
        source="vault",
        source_file=source_file,  # relative to the vault, where exporting it again puts it back
        source_hash=note.digest,
        note=note.text,
    )
    entry.imported = entry.content_fingerprint()
    return entry


class Seen:
    """What the last import found, so that the next reads only what changed since (as git's
    index does): for each note, its size and time and what it was (its paper, or why it was
    skipped); for each paper's draft, its day, its file's size and time, and its note.

    A note whose size and time are as recorded is not read again; a paper whose notes and draft
    file are all as recorded, and in sync then, is unchanged without reading either. Times
    within two seconds of the run that recorded them are not trusted (a file changed twice in
    one tick of a coarse clock) when it is saved: those are read again. Losing the file costs
    one slow import.
    """

    RACY_NS = 2_000_000_000

    def __init__(self, path: Path | None) -> None:
        self.path = path
        # source_file -> [size, mtime_ns, paper, skipped, bare (Korean and no English)]
        self.notes: dict[str, list[Any]] = {}
        # paper -> [date, size, mtime_ns, source_file, ahead]
        self.drafts: dict[str, list[Any]] = {}
        self.fresh_notes: dict[str, list[Any]] = {}
        self.fresh_drafts: dict[str, list[Any]] = {}
        # every note an import of this vault has seen, there still or not (a note gone from it
        # was deleted or moved by him: an export does not make it again)
        self.known: set[str] = set()
        if path is None:
            return
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") == 3:
                self.notes, self.drafts = dict(data["notes"]), dict(data["drafts"])
                self.known = {str(name) for name in data.get("known", [])}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass  # no record, or a broken one: read everything

    @staticmethod
    def stamp(path: Path) -> tuple[int, int] | None:
        try:
            info = path.stat()
        except OSError:
            return None
        return info.st_size, info.st_mtime_ns

    def note(self, source_file: str, stamp: tuple[int, int] | None) -> list[Any] | None:
        """What the note was when last read, if it has not changed since (None: read it)."""
        record = self.notes.get(source_file)
        if stamp is None or record is None or tuple(record[:2]) != stamp:
            return None
        self.fresh_notes[source_file] = record
        return record

    def saw_note(
        self,
        source_file: str,
        stamp: tuple[int, int] | None,
        paper: str,
        skipped: str,
        bare: bool = False,
    ) -> None:
        if stamp is not None:
            self.fresh_notes[source_file] = [*stamp, paper, skipped, bare]

    def draft_unchanged(
        self, paper: str, date: str | None, draft: Path | None
    ) -> tuple[str, bool] | None:
        """The note the paper's draft holds, and whether the draft is ahead of it, if the draft
        is as it was when the last import read it."""
        record = self.drafts.get(paper)
        if record is None or draft is None or record[0] != date:
            return None
        if tuple(record[1:3]) != self.stamp(draft):
            return None
        self.fresh_drafts[paper] = record
        return str(record[3]), bool(record[4])

    def saw_draft(self, paper: str, date: str, draft: Path, source_file: str, ahead: bool) -> None:
        stamp = self.stamp(draft)
        if stamp is not None:
            self.fresh_drafts[paper] = [date, *stamp, source_file, ahead]

    def save(self) -> None:
        if self.path is None:
            return
        trusted = time.time_ns() - self.RACY_NS  # what changed since may not show in its time
        data = {
            "version": 3,
            "notes": {k: v for k, v in self.fresh_notes.items() if v[1] < trusted},
            "drafts": {k: v for k, v in self.fresh_drafts.items() if v[2] < trusted},
            "known": sorted(self.known | set(self.fresh_notes)),
        }
        try:
            atomic_write(self.path, json.dumps(data, ensure_ascii=False), durable=False)
        except OSError:
            pass  # a cache: the next import reads everything


def import_vault(
    folder: Path,
    store: Store,
    recheck: Callable[[Entry], object],
    since: str | None = None,
    progress: Callable[[int, int], None] = lambda done, total: None,
    seen_file: Path | None = None,
    new_day: str | None = None,
    allow_empty: bool = False,
) -> ImportSummary:
    """Every usable note of the vault becomes a draft; importing again changes nothing.

    A note's paper is the arXiv link on its first line (note.read_note). A paper with several
    notes has one draft: from the note its draft already records, else from the first (an
    original before its Obsidian copy, then by path); the others are named as skipped, never
    swapped in. A paper that already has a draft, on any day, is that draft. A draft edited here
    since it was last imported or exported is not overwritten, nor is one drafted here that the
    note contradicts: both are skipped with the reason. Each change is a read-modify-write under the store's lock (merge.take_note decides),
    so a command saving meanwhile loses nothing. `seen_file` keeps what this import found
    (Seen), so that the next one reads only the notes and drafts that changed. `new_day` is
    the day of a new draft of a note that awaits its English (sync: the day it is written),
    else a new draft is on its note's day. The summary says, per paper, its draft and whether
    its note awaits the English.
    """
    if not folder.is_dir():
        raise InputError(f"vault folder {folder} does not exist")
    listing = list_notes(folder)
    if not listing.notes and not listing.odd and not allow_empty:
        raise InputError(f"no Markdown notes (*.md) in {folder}")  # the wrong folder, likely
    summary = ImportSummary()
    seen = Seen(seen_file)
    for path, reason in listing.odd:
        summary.skipped.setdefault(reason, []).append(str(path.relative_to(folder)))
    # notes remember their path relative to the vault, which may be above the folder imported
    below_root = folder.resolve().relative_to(vault_root(folder))
    # each paper's notes: their place in the vault and, once read, what they say
    by_paper: dict[str, list[tuple[str, VaultNote | None]]] = {}
    paths: dict[str, Path] = {}
    for path in listing.notes:
        name = str(path.relative_to(folder))
        source_file = (below_root / path.relative_to(folder)).as_posix()
        paths[source_file] = path
        if since is not None:
            try:
                if note_date(path)[0] < since:
                    summary.skipped.setdefault("before --since", []).append(name)
                    continue
            except Skip:
                pass  # named below, with its reason
        stamp = Seen.stamp(path)
        known = seen.note(source_file, stamp)
        if known is not None:
            paper, skipped = known[2], known[3]
            if skipped:
                summary.skipped.setdefault(skipped, []).append(name)
            else:
                by_paper.setdefault(paper, []).append((source_file, None))
            continue
        try:
            note = parse_note(read_note_bytes(path), path)
        except Skip as skip:
            summary.skipped.setdefault(skip.reason, []).append(name)
            seen.saw_note(source_file, stamp, "", skip.reason)
            continue
        if len(note.content.comment_ko) > MAX_CHARS:  # a paper pasted into a note
            reason = f"a comment over {MAX_CHARS:,} characters"
            summary.skipped.setdefault(reason, []).append(name)
            seen.saw_note(source_file, stamp, "", reason)
            continue
        bare = not note.content.comment_en
        seen.saw_note(source_file, stamp, note.paper_id, "", bare)
        by_paper.setdefault(note.paper_id, []).append((source_file, note))

    drafted = store.days_by_name()  # read once: thousands of notes, one folder listing
    for done, (paper, notes) in enumerate(by_paper.items(), 1):
        progress(done, len(by_paper))
        days = drafted.get(file_safe(paper), [])
        date = days[-1] if days else None
        draft_file = store.path(date, paper) if date else None
        kept = seen.draft_unchanged(paper, date, draft_file)
        if kept is not None and all(n is None for _, n in notes) and kept[0] in dict(notes):
            own, ahead = kept
            summary.unchanged.append(paper)  # neither its notes nor its draft changed
            _name_the_others(summary, notes, own, paper)
            assert date is not None
            bare = bool(seen.fresh_notes[own][4])
            summary.drafts[paper] = NoteDraft(date, own, bare, ahead)
            continue
        read = _read_unread(notes, paths, summary)
        if not read:
            continue
        try:
            source_file, note = _the_note(read, store, date, paper)
            _name_the_others(summary, read, source_file, paper)
            entry = note_entry(note, source_file)
            bare = not note.content.comment_en
            date = date or (new_day if bare and new_day else entry.date)
            made, draft = store_note(store, date, entry, recheck)
        except InputError as exc:  # its draft broken by hand: that paper alone waits for a fix
            summary.skipped.setdefault(BROKEN_DRAFT, []).extend(name for name, _ in read)
            summary.broken.append(str(exc))
            continue
        summary.notes += made.notes
        if made.outcome == "imported":
            drafted.setdefault(file_safe(entry.id), []).append(date)
        if made.outcome in ("imported", "updated", "unchanged") and draft is not None:
            getattr(summary, made.outcome).append(entry.id)
            ahead = draft.content_fingerprint() != draft.imported
            seen.saw_draft(paper, date, store.path(date, paper), source_file, ahead)
            summary.drafts[paper] = NoteDraft(date, source_file, bare, ahead)
        else:
            summary.skipped.setdefault(made.outcome, []).append(source_file)
    seen.save()
    return summary


def _read_unread(
    notes: list[tuple[str, VaultNote | None]], paths: dict[str, Path], summary: ImportSummary
) -> list[tuple[str, VaultNote]]:
    """The paper's notes, each read: those the last import saw unchanged are read now."""
    read = []
    for source_file, note in notes:
        if note is None:
            try:
                note = parse_note(read_note_bytes(paths[source_file]), paths[source_file])
            except Skip as skip:  # it changed after all (between the look and the read)
                summary.skipped.setdefault(skip.reason, []).append(source_file)
                continue
        read.append((source_file, note))
    return read


def _name_the_others(
    summary: ImportSummary, notes: list[tuple[str, Any]], chosen: str, paper: str
) -> None:
    for other, _ in notes:
        if other != chosen:
            summary.skipped.setdefault(ANOTHER_NOTE, []).append(f"{other} ({paper})")


def _the_note(
    notes: list[tuple[str, VaultNote]], store: Store, date: str | None, paper: str
) -> tuple[str, VaultNote]:
    """Of a paper's notes, the one its draft records, else the first (vault.in_note_order)."""
    first = {path: at for at, path in enumerate(in_note_order(path for path, _ in notes))}
    notes = sorted(notes, key=lambda item: first[item[0]])
    if len(notes) > 1 and date is not None:
        try:
            draft = store.get(date, paper)
        except InputError:
            draft = None  # a broken draft: named when its note is stored
        if draft is not None:
            for item in notes:
                if item[0] == draft.source_file:
                    return item
    return notes[0]


def store_note(
    store: Store, date: str, note: Entry, check: Callable[[Entry], object]
) -> tuple[Merged, Entry | None]:
    """Put one imported note into its draft (merge.take_note): what happened, and the draft."""
    note.date = date
    return store.apply(date, note.id, lambda current: take_note(current, note, check))


def import_digest(
    text: str, source: str, store: Store, recheck: Callable[[Entry], object]
) -> ImportSummary:
    """Every entry of a text digest into its day's drafts; importing again changes nothing.

    An entry whose title (whitespace collapsed) is that of a draft of the same day is that
    draft, wherever it came from (drafted here and exported, or imported before): it is
    unchanged, or updated where the text differs (a comment it replaces is kept in the draft's
    history). Two drafts of one day with the same title are matched in their order. Others
    become drafts with a title id. Each change is a read-modify-write under the store's lock; a
    draft saved by another command since the import read the day is left as it is (skipped).
    """
    try:
        days = parse_digest(text)
    except DigestParseError as exc:
        raise exc.naming(source) from None
    summary = ImportSummary()
    for day in days:
        same_title: dict[str, list[Entry]] = {}
        for draft in store.day(day.date).entries:  # in first-drafted order
            same_title.setdefault(collapse(draft.title), []).append(draft)
        for item in day.entries:
            matches = same_title.get(collapse(item.title), [])
            target = matches.pop(0) if matches else None
            outcome, entry_id = store_text_entry(store, day.date, item, target, source, recheck)
            if outcome in ("imported", "updated", "unchanged"):
                getattr(summary, outcome).append(entry_id)
            else:
                summary.skipped.setdefault(outcome, []).append(entry_id)
    return summary


def store_text_entry(
    store: Store,
    date: str,
    item: TextEntry,
    target: Entry | None,
    source: str,
    check: Callable[[Entry], object],
) -> tuple[str, str]:
    """One entry of a text digest into its draft (`target`, matched by title) or a new one
    (merge.take_digest_entry); (what happened, the draft's id)."""
    entry_id = target.id if target is not None else title_id(item.title)
    new = Entry(
        id=entry_id,
        date=date,
        title=item.title,
        authors=item.authors,
        abstract=item.abstract,
        comment_ko=item.comment_ko,
        comment_en=item.comment_en,
        tags=item.tags,
        source="digest",
        source_file=source,
    )
    made, _ = store.apply(
        date, entry_id, lambda current: take_digest_entry(current, new, target, source, check)
    )
    return made.outcome, entry_id
