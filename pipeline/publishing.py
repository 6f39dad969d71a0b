"""Where drafts go and come from: the digest's formats, his vault, and imports.

`export` renders a day or a range in a format, or writes each entry into its note of his vault
(pipeline/vault.py, on its own, recorded in the draft); `import_vault` and `import_digest` read
his history into drafts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.drafting import Drafting
from pipeline.entry import Entry
from pipeline.errors import (
    CheckFailed,
    InputError,
)
from pipeline.merge import adopt_note, record_note
from pipeline.results import (
    Exported,
    fix_command,
)
from pipeline.store import Day
from pipeline.text import DateSpan

if TYPE_CHECKING:
    from pipeline.importer import ImportSummary
    from pipeline.vault import NoteResult


class Publishing(Drafting):
    """Exports and imports; they translate nothing, but sync (which does) builds on both."""

    # -- history --------------------------------------------------------------------------------
    def import_vault(
        self, folder: Path, since: str | None, progress: Callable[[int, int], None]
    ) -> ImportSummary:
        from pipeline.importer import import_vault

        fresh = not self.store.root.exists()
        summary = import_vault(
            folder, self.store, self.check_entry, since, progress, self._seen_file(folder)
        )
        if fresh and self.store.root.exists():
            self.log(f"Started a new drafts folder: {self.store.root.absolute()}")
        return summary

    def _seen_file(self, folder: Path) -> Path:
        """What the last import of this vault into these drafts found (importer.Seen)."""
        from pipeline.vault import vault_root

        key = f"{self.store.root.resolve()}\n{vault_root(folder)}"
        name = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
        return self.settings.cache_dir / "imports" / f"{name}.json"

    def import_digest(self, path: Path) -> ImportSummary:
        from pipeline.comment import MAX_DOCUMENT_CHARS, read_text_file
        from pipeline.importer import import_digest

        text = read_text_file(path, "digest file", limit=MAX_DOCUMENT_CHARS)
        fresh = not self.store.root.exists()
        summary = import_digest(text, str(path), self.store, self.check_entry)
        if fresh and self.store.root.exists():
            self.log(f"Started a new drafts folder: {self.store.root.absolute()}")
        return summary

    # -- export ---------------------------------------------------------------------------------
    def days_for_export(self, dates: DateSpan, force: bool, per_note: bool = False) -> list[Day]:
        """The days of a date or range that have drafts, in order, refusing (unless `force`)
        while a draft cannot be read or an entry fails its checks. Only the days the drafts
        folder has are looked at: a range of ten thousand years costs what its drafts cost.
        `per_note` (the vault, where each note is written on its own) refuses neither: failing
        entries are held there."""
        first, last = dates
        held = [d for d in self.store.days() if first <= d <= last]  # YYYY-MM-DD sorts as dates
        days = [day for day in (self.store.day(d) for d in held) if day.entries or day.problems]
        if not days:
            raise self.store.no_drafts(str(dates), "digest export {date}")
        problems = [p for d in days for p in d.problems]
        for problem in problems:
            self.log(f"Warning: left out: {problem}" if force or per_note else f"Error: {problem}")
        if problems and not force and not per_note:
            raise InputError(
                f"{len(problems)} draft(s) cannot be read (above); fix them or use --force"
            )
        entries = [e for d in days for e in d.entries]
        if not entries:
            raise self.store.no_drafts(str(dates), "digest export {date}")
        if not per_note:
            failing = self.failing(entries)
            if failing and not force:
                hints = "; ".join(list(failing.values())[:3])
                unfetched = sum(e.awaiting_paper for e in entries if e.id in failing)
                raise CheckFailed(
                    f"{len(failing)} of {len(entries)} entries fail their checks"
                    + (f" ({unfetched} wait for their paper from arXiv)" if unfetched else "")
                    + f"; fix them ({hints}{'; ...' if len(failing) > 3 else ''}) "
                    "or export with --force"
                )
        return [d for d in days if d.entries]

    def failing(self, entries: list[Entry], log: bool = True) -> dict[str, str]:
        """The entries whose drafts fail their checks now, each with the command that fixes it;
        their findings are logged (`log`)."""
        failing = {}
        for entry in entries:
            errors = [f for f in self.check_entry(entry) if f.is_error]
            if errors:
                failing[entry.id] = fix_command(entry)
                for finding in errors if log else []:
                    self.log(f"{entry.id}: {finding}")
        return failing

    def _with_its_note(self, entry: Entry) -> Entry:
        """A draft that knows no note of its paper takes what another draft of the paper (on
        another day) knows of it: the note digest wrote for the paper is the paper's note."""
        if entry.source_hash:
            return entry
        for date in reversed(self.store.dates_of(entry.id)):
            if date == entry.date:
                continue
            try:
                other = self.store.get(date, entry.id)
            except InputError:
                continue
            if other is not None and other.source_hash:
                entry.source_file, entry.source_hash = other.source_file, other.source_hash
                entry.note = other.note
                break
        return entry

    def _remember_notes(self, entries: list[Entry], notes: list[NoteResult]) -> None:
        """Each draft records its note as it is now (path, bytes and text), and that its
        content was written: a later export patches a note nobody touched, a later import
        updates a draft nobody touched, and neither overwrites an edit made on the other side."""
        by_draft = {(e.date, e.id): e for e in entries}
        for note in notes:
            if not note.in_sync:
                continue
            written = by_draft[note.date, note.entry_id]
            rule = partial(
                adopt_note if note.adopted else record_note,
                written=written,
                path=str(note.path),
                digest=note.digest,
                text=note.text,
                replaced=note.replaced,
            )
            self.store.apply(written.date, written.id, rule)

    def export(self, dates: DateSpan, fmt: str, force: bool, vault: Path | None = None) -> Exported:
        """The days' digest in a format; with `vault`, the days' notes written into that folder,
        each on its own (a failing entry's note is held, unless `force`)."""
        from pipeline.export import RENDERERS, DayEntries, shown, text_left_out
        from pipeline.importer import Seen
        from pipeline.vault import write_notes

        vault = vault or self.settings.vault
        if fmt == "vault" and vault is None:
            raise InputError(
                "--format vault writes notes into your vault: give -o VAULT_DIR "
                "(or set DIGEST_VAULT)"
            )
        days = [
            DayEntries(d.date, d.entries)
            for d in self.days_for_export(dates, force, per_note=fmt == "vault")
        ]
        count = sum(len(d.entries) for d in days)
        if fmt == "vault":
            assert vault is not None
            entries = [self._with_its_note(e) for d in days for e in d.entries]
            # the notes the last import saw here: one of them gone now, he deleted it
            seen = Seen(self._seen_file(vault)).known
            notes, odd = write_notes(entries, vault, force, self.failing(entries), seen=seen)
            for path, reason in odd:
                self.log(f"Warning: {path}: skipped ({reason})")
            self._remember_notes(entries, notes)
            return Exported("", count, [d.date for d in days], notes=notes)
        days = [DayEntries(d.date, [shown(e) for e in d.entries]) for d in days]
        left_out = text_left_out(days) if fmt == "text" else []
        for entry, reason in left_out:
            self.log(f"{'Warning' if force else 'Error'}: {entry.id} ({entry.date}): {reason}")
        if left_out and not force:
            raise CheckFailed(
                f"{len(left_out)} entr{'y' if len(left_out) == 1 else 'ies'} cannot be written in "
                "the text format (above); fix them (a comment: digest draft ID --comment …), "
                "or export with --force to leave them out"
            )
        span = (dates.first, dates.last) if dates.first != dates.last else None
        text = RENDERERS[fmt](days, span=span)
        return Exported(text, count - len(left_out), [d.date for d in days], notes=[])
