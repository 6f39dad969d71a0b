"""His vault as the place he works: `digest sync` writes the English into the notes where he wrote
the Korean, and `digest new` starts a paper's note.

sync is an import, a translation and an export, in that order, on the notes that await their
English: the import (which reads only the notes that changed since) brings every note into its
draft and says which notes have his Korean and no English; those drafts are translated (with
his glossary, his nearest earlier notes as examples and the paper as context, whatever the note
lacks of its paper fetched from arXiv in one request) and checked; then each passing English is
written into its note as any export writes (the English after the Korean, before the tags line,
the note's other bytes untouched, compare-and-swap). A note whose English fails a check gets
none and is named. Notes that have English are only imported: they are his history.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.entry import AWAITING, Entry
from pipeline.errors import InputError, ServiceError, write_failure
from pipeline.publishing import Publishing
from pipeline.results import Outcome
from pipeline.text import PaperId, parse_id, today
from pipeline.vault import NoteResult, NoteStatus

if TYPE_CHECKING:
    from pipeline.importer import ImportSummary

# what sync writes into a note: what he writes in digest too (the paper's head and abstract in
# his note are his: a title he shortened stays short)
SYNCED_FIELDS = frozenset({"comment_ko", "comment_en", "tags"})

OnDone = Callable[[int, Outcome], None]
# runs a batch of translations (their count, the work given an on_done): the caller's progress
Batch = Callable[[int, Callable[[OnDone], list[Outcome]]], list[Outcome]]


@dataclass
class Synced:
    """What a sync did: the import's counts, each translation, and each note written or held."""

    imported: str  # the import's summary line
    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[NoteResult] = field(default_factory=list)  # written, held or left (not unchanged)
    paper_problem: str = ""  # why arXiv gave no paper (the English was made without it)
    import_notes: list[str] = field(default_factory=list)  # the import's (conflicts, ...)
    broken: list[str] = field(default_factory=list)  # drafts that cannot be read: why, each
    declined: int = 0  # notes that would have been written, when he said no


class Syncing(Publishing):
    """sync and new: the vault as the place the author works."""

    def sync(
        self,
        folder: Path,
        *,
        since: str | None = None,
        force: bool = False,
        jobs: int | None = None,
        batch: Batch = lambda total, work: work(lambda index, outcome: None),
        progress: Callable[[int, int], None] = lambda done, total: None,
        go_on: Callable[[list[Entry]], bool] = lambda entries: True,
        saved: Collection[Path] | None = None,
    ) -> Synced:
        """Every note with his Korean and no English gets its English (see the module);
        `batch` runs the translations (with the caller's progress), `progress` the import;
        `go_on` is asked with the drafts to write before any service is (False: none is);
        `saved`: only these notes are synced (--watch: the notes he saved)."""
        from pipeline.importer import import_vault
        from pipeline.vault import write_notes

        vault = _vault_of(folder)
        summary = import_vault(
            vault,
            self.store,
            self.check_entry,
            since,
            progress,
            self._seen_file(vault),
            new_day=today(),
            allow_empty=True,  # a vault he has just begun: nothing to sync yet
        )
        synced = Synced(summary.line(), import_notes=summary.notes, broken=summary.broken)
        awaiting = {str(path) for path in self.history.awaiting(None)}
        entries: list[Entry] = []
        wanted = None if saved is None else {path.resolve() for path in saved}
        for paper, draft in summary.drafts.items():
            if wanted is not None and (vault / draft.source_file).resolve() not in wanted:
                continue
            path = self.store.path(draft.date, paper)
            # his Korean without English, a comment changed under the model's English, or a
            # draft that says what its note does not yet (edited with `digest edit`)
            if draft.bare or draft.ahead or str(path) in awaiting:
                try:
                    entry = self.store.get(draft.date, paper)
                except InputError as exc:
                    self.log(f"Warning: {exc}")
                    continue
                if entry is not None and entry.comment_ko.strip():
                    entries.append(entry)
        if entries and not go_on(entries):
            synced.declined = len(entries)
            entries = []
        self._forget_unsynced(summary, {e.id for e in entries})
        if not entries:
            return synced
        entries, synced.paper_problem = self._fill_papers(entries)
        todo = [e for e in entries if e.status == AWAITING]
        if todo:
            self.resume = "digest sync"  # Ctrl-C: the same command finishes the rest
            # force=False: English he wrote himself is never replaced by the model's
            outcomes = batch(len(todo), lambda on_done: self.finish_many(todo, jobs, on_done))
            synced.outcomes = outcomes
            fresh = {(o.entry.date, o.entry.id): o.entry for o in outcomes if o.entry is not None}
            entries = [fresh.get((e.date, e.id), e) for e in entries]
        # a draft whose translation failed has no English of its Korean for its note: nothing
        # to write (an older English beside the new Korean would say what he did not)
        ready = [e for e in entries if e.comment_en.strip() and e.status != AWAITING]
        if ready:
            # never force over the note: it was read a moment ago, so a note that differs now
            # was saved in Obsidian meanwhile, and his save wins (the next sync takes it up);
            # --force only lets English that fails a check through
            notes, odd = write_notes(
                ready,
                vault,
                force=False,
                failing={} if force else self.failing(ready, log=False),
                only=SYNCED_FIELDS,
                create=False,  # a note deleted meanwhile stays deleted
            )
            for path, reason in odd:
                self.log(f"Warning: {path}: skipped ({reason})")
            self._remember_notes(ready, notes)
            synced.notes = [n for n in notes if n.status is not NoteStatus.UNCHANGED]
        return synced

    def _forget_unsynced(self, summary: ImportSummary, synced: set[str]) -> None:
        """The drafts this import has just made of notes awaiting their English that are not
        synced now (he said no, or --watch syncs only what he saved) are taken back: the day's
        digest holds what sync gave English, and the notes still hold all of it."""
        for paper in summary.imported:
            draft = summary.drafts.get(paper)
            if draft is not None and draft.bare and paper not in synced:
                self.store.remove(draft.date, paper)
                del summary.drafts[paper]

    def _fill_papers(self, entries: list[Entry]) -> tuple[list[Entry], str]:
        """What the notes lack of their papers (the authors, the abstract: the title is the
        note's own), from arXiv in one request; the English is made all the same when arXiv
        gives nothing (the paper is context, not a requirement)."""
        lacking = [e for e in entries if not e.authors or not e.abstract.strip()]
        lacking = [e for e in lacking if e.status == AWAITING]  # only for what is translated
        if not lacking:
            return entries, ""
        try:
            fetched = self.arxiv.fetch([parse_id(e.id) for e in lacking])
        except (ServiceError, InputError) as exc:
            return entries, str(exc)
        fresh = {}
        for entry in lacking:
            paper = fetched.papers.get(parse_id(entry.id).query)
            if paper is not None:
                fresh[entry.date, entry.id] = self._apply_paper(entry, paper)
        return [fresh.get((e.date, e.id), e) for e in entries], ""

    # -- a new note -------------------------------------------------------------------------------
    def new_note(self, paper_text: str, folder: Path) -> tuple[Path, bool]:
        """The paper's note in his current layout at `arXiv/<YYMMDD> <name>.md`: (its path,
        whether it was made now). A note of the paper anywhere in the vault is that note: named,
        never replaced (and arXiv is not asked). A paper he has drafted already gets its
        draft's note (his Korean, its English, his tags; the draft records it); any other, an
        empty paragraph for his Korean."""
        from pipeline.vault import index_vault

        paper_id = parse_id(paper_text)
        vault = _vault_of(folder)
        known = index_vault(vault).note_of(paper_id.base)
        if known is not None:
            return vault / known, False
        drafted = self._drafted(paper_id.base)
        if drafted is not None:
            return self._note_of_draft(drafted, vault)
        return self._empty_note(paper_id, vault)

    def _drafted(self, paper: str) -> Entry | None:
        """The paper's latest draft with his Korean, if he has drafted it."""
        dates = self.store.dates_of(paper)
        try:
            entry = self.store.get(dates[-1], paper) if dates else None
        except InputError as exc:
            self.log(f"Warning: {exc}")
            return None
        return entry if entry is not None and entry.comment_ko.strip() else None

    def _note_of_draft(self, entry: Entry, vault: Path) -> tuple[Path, bool]:
        """The note an export would write for the draft, recorded in it (sync and export then
        know the note; an edit on either side is taken up, not duplicated)."""
        from pipeline.vault import write_notes

        if entry.awaiting_paper:
            [entry], _ = self.fetch_missing([entry])
        for finding in (f for f in self.check_entry(entry) if f.is_error):
            self.log(f"Warning: {entry.id}: {finding}")
        notes, _ = write_notes([entry], vault)
        [note] = notes
        if note.error is not None:
            raise note.error
        if note.path is None or not note.in_sync:
            raise InputError(f"no note made for {entry.id}: {note.reason}")
        self._remember_notes([entry], notes)
        return vault / note.path, note.status is NoteStatus.WRITTEN

    def _empty_note(self, paper_id: PaperId, vault: Path) -> tuple[Path, bool]:
        """A note with the paper and an empty paragraph for his Korean, above suggested tags."""
        from pipeline.note import NoteContent, new_note
        from pipeline.vault import (
            ChangedMeanwhile,
            free_path,
            index_vault,
            note_path,
            replace_note,
            vault_lock,
        )

        paper = self.arxiv.fetch_one(paper_id)
        entry = Entry(
            id=paper_id.base,
            date=today(),
            title=paper.title,
            authors=list(paper.authors),
            abstract=paper.abstract,
            comment_ko="",
            published=paper.published,
        )
        tags = self.suggested_tags(entry)[:3]
        content = NoteContent(
            paper_id.base, entry.title, entry.authors, entry.abstract, "", "", tags
        )
        text = new_note(content)
        if tags:  # an empty paragraph for his Korean, above the tags line
            at = text.rindex("\n\n#")
            text = text[:at] + "\n\n" + text[at:]
        else:
            text += "\n\n"
        with vault_lock(vault):
            known = index_vault(vault).note_of(paper_id.base)  # made while arXiv was asked
            if known is not None:
                return vault / known, False
            free = free_path(vault, note_path(entry), paper_id.base)
            if free is None:
                raise InputError(
                    f"{vault / note_path(entry)} and its name with the id are taken by files "
                    f"that are not notes of {paper_id.base}; rename one and try again"
                )
            path = vault / free
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                replace_note(path, text.encode("utf-8"), None)
            except ChangedMeanwhile:
                raise InputError(f"{path} was made meanwhile; try again") from None
            except OSError as exc:
                raise write_failure(path, exc) from None
        return path, True


def _vault_of(folder: Path) -> Path:
    """The vault a folder is in (a folder of it, or the vault itself)."""
    from pipeline.vault import vault_root

    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is a file, not a vault folder (give the vault's folder)")
    if not folder.is_dir():
        raise InputError(f"vault folder {folder} does not exist (check the path or DIGEST_VAULT)")
    return vault_root(folder)
