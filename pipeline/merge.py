"""The rules that decide what is kept when what is on disk meets what arrives.

Every change to a draft is a read-modify-write under the store's lock (`Store.update`): the
draft is read again as it is now, and one of these rules decides what to write. Each is a
function of (the draft as it is now, what arrives) to a `Merged`: the draft to write (None:
write nothing), what happened, and what to tell the author. They never touch the disk and never
modify what they are given, so each reads as one function and is tested as a table
(tests/test_merge.py). What they share: nothing the author wrote is lost (text replaced goes to
the draft's `history`), and what changed meanwhile wins over a stale copy.

`check` is how the caller checks a draft (the glossary and his usage are the caller's): a rule
calls it on what it writes whenever the English or the comment changed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from pipeline.arxiv import API_SOURCE, PAGE_SOURCE, Paper
from pipeline.digest import one_line
from pipeline.entry import AWAITING, EARLIER_ENGLISH, Entry, Finding
from pipeline.note import NoPaper, NoteContent, paragraphs, read_note, same_words
from pipeline.text import PaperId
from pipeline.usage import Usage
from pipeline.vault import Skip, note_date

Check = Callable[[Entry], object]


@dataclass
class Merged:
    """What a rule makes of a draft: what to write (None: nothing), and what happened."""

    entry: Entry | None
    outcome: str = ""  # imported, updated, unchanged, changed meanwhile, or why it was skipped
    notes: list[str] = field(default_factory=list)  # what the author should know


def same_text(a: str, b: str) -> bool:
    return a.strip() == b.strip()


def _own(current: Entry) -> Entry:
    """A copy to change: a rule never modifies what it was given."""
    return copy.deepcopy(current)


# -- the paper --------------------------------------------------------------------------------
def apply_paper(entry: Entry, paper: Paper) -> bool:
    """Take arXiv's current metadata into the draft; True if anything changed.

    A landing page's record never replaces the API's (it lacks the categories, the comment and
    the authors' line breaks); the API's replaces a page's. A note's own title, authors and
    abstract are the author's: arXiv fills only what the note lacks. The draft's `source` says
    which record it holds, unless it came from a digest or a vault (then it says that)."""
    if paper.source == PAGE_SOURCE and entry.source == API_SOURCE and entry.title:
        return False
    fresh = {
        "title": paper.title,
        "authors": list(paper.authors),
        "abstract": paper.abstract,
        "version": paper.version,
        "url": paper.url or entry.url,
        "published": paper.published,
        "updated": paper.updated,
        "primary_category": paper.primary_category,
        "arxiv_comment": paper.comment,
    }
    if entry.source == "vault":
        for name in ("title", "authors", "abstract"):
            if getattr(entry, name):
                del fresh[name]
    if entry.source in (API_SOURCE, PAGE_SOURCE):
        fresh["source"] = paper.source
    changed = False
    for name, value in fresh.items():
        if getattr(entry, name) != value:
            setattr(entry, name, value)
            changed = True
    return changed


def paper_entry(paper_id: PaperId, date: str, paper: Paper | None) -> Entry:
    """A draft-to-be holding only the paper: what the editor shows before a comment exists."""
    entry = Entry(id=paper_id.base, date=date, title="", authors=[], abstract="", comment_ko="")
    if paper is not None:
        apply_paper(entry, paper)
    return entry


def take_paper(current: Entry | None, paper: Paper, check: Check) -> Merged:
    """arXiv's record into the draft. English made while the draft waited for its paper is
    checked again (it no longer waits), never translated again."""
    if current is None:
        return Merged(None, "gone")
    entry = _own(current)
    if not apply_paper(entry, paper):
        return Merged(None, "unchanged")
    if entry.comment_en.strip() or entry.machine_en:
        check(entry)
    return Merged(entry, "updated")


# -- what the author types --------------------------------------------------------------------
def take_comment(
    current: Entry | None,
    paper_id: PaperId,
    date: str,
    comment: str,
    tags: list[str] | None,
    paper: Paper | None = None,
) -> Merged:
    """His comment (and tags) on disk before any model call; a changed comment awaits
    translation, the one it replaces stays in the history. Without `paper` (not fetched yet) a
    new draft holds the comment only. A draft nothing changed in is not written again."""
    notes = []
    entry = (
        _own(current)
        if current is not None
        else Entry(
            id=paper_id.base,
            date=date,
            title="",
            authors=[],
            abstract="",
            comment_ko=comment,
            tags=tags or [],
            url=f"https://arxiv.org/abs/{paper_id.base}",
        )
    )
    changed = current is None
    if not same_text(comment, entry.comment_ko):
        if current is not None and entry.comment_ko.strip():
            notes.append(
                f"{entry.id}: the comment was replaced; the earlier one is kept in the "
                "draft's history"
            )
        if (
            current is not None
            and entry.comment_en.strip()
            and entry.comment_en != entry.machine_en
        ):
            # his English stays (nothing he wrote is replaced unasked), known to be of the
            # comment before: a check says so until it is made anew or he keeps it (edit)
            entry.extra[EARLIER_ENGLISH] = True
        entry.replace_text("comment_ko", comment, "a new comment")
        entry.status = AWAITING
        changed = True
    if tags is not None and tags != entry.tags:
        entry.tags = tags
        changed = True
    if paper is not None:
        changed |= apply_paper(entry, paper)
    return Merged(entry if changed else None, "saved" if changed else "unchanged", notes)


def take_hand_edit(
    current: Entry | None, entry_id: str, english: str, tags: list[str] | None, check: Check
) -> Merged:
    """His English (and tags) from `digest edit` becomes the published English, checked; a
    draft removed meanwhile is an error, never silently recreated."""
    if current is None:
        return Merged(None, f"the draft of {entry_id} was removed meanwhile")
    entry = _own(current)
    changed = english != entry.comment_en or (tags is not None and tags != entry.tags)
    changed |= entry.extra.pop(EARLIER_ENGLISH, None) is not None  # he keeps it for this one
    entry.comment_en = english
    if tags is not None:
        entry.tags = tags
    check(entry)
    if not changed and (entry.checks, entry.status) == (current.checks, current.status):
        return Merged(None, "unchanged")
    return Merged(entry, "saved" if changed else "checked")


# -- what the model makes -----------------------------------------------------------------------
@dataclass(frozen=True)
class MadeEnglish:
    """A translation as the translation core made it, to be written into a draft."""

    english: str
    model: str
    glossary: str  # the fingerprint of the glossary it was made with
    cleanup: list[str]
    repairs: int
    attempts: list[dict[str, object]]
    usage: Usage
    judged: list[Finding]  # the judge's findings on it (--judge)
    judge_read: bool  # the judge answered something readable: it is recorded


def record_usage(entry: Entry, model: str, usage: Usage) -> None:
    """Add what a run's model requests used to the draft's record (per model, over every run)."""
    if usage:
        entry.usage[model] = (Usage.from_dict(entry.usage.get(model, {})) + usage).to_dict()


def take_translation(
    current: Entry | None, base: Entry, made: MadeEnglish, force: bool, check: Check
) -> Merged:
    """A translation of `base` (the draft as it was when the request went) into the draft as it
    is now. A comment changed meanwhile wins: the translation is of the old one. English he
    edited by hand is kept (the new English goes to machine_en), unless `force` on a draft not
    edited meanwhile: then his English goes to the history. The machine English replaced goes
    to the history too."""
    if current is None or not same_text(current.comment_ko, base.comment_ko):
        waiting = current is not None and current.status == AWAITING
        return Merged(
            None,
            "changed meanwhile",
            [
                f"{base.id}: the comment changed while it was being translated; the new one "
                + (
                    f"awaits translation: run `digest translate {base.id}`"
                    if waiting
                    else "is translated already"
                )
            ],
        )
    entry, notes = _own(current), []
    edited_meanwhile = entry.comment_en != base.comment_en
    new_english = entry.machine_en != made.english
    if entry.machine_en and new_english:
        entry.history.append(
            {"machine_en": entry.machine_en, "model": entry.model, "glossary": entry.glossary}
        )
    if entry.hand_edited and (not force or edited_meanwhile):
        why = "was edited meanwhile" if edited_meanwhile else "was edited by hand"
        if new_english or edited_meanwhile:
            notes.append(
                f"{base.id}: comment_en {why}, so it was kept; the new machine English is in "
                "machine_en" + ("" if edited_meanwhile else " (use --force to replace it)")
            )
        else:
            notes.append(
                f"{base.id}: comment_en {why}, so it was kept (the machine English is the same)"
            )
    else:
        if entry.hand_edited:  # --force: the replaced English stays in the history
            entry.history.append({"comment_en": entry.comment_en, "replaced": "--force"})
            notes.append(
                f"{base.id}: your hand-edited comment_en was replaced; it is kept in the "
                "draft's history"
            )
        entry.comment_en = made.english
        entry.extra.pop(EARLIER_ENGLISH, None)
    entry.machine_en = made.english
    entry.model = made.model
    entry.glossary = made.glossary
    entry.cleanup = list(made.cleanup)
    entry.repairs = made.repairs
    entry.attempts = list(made.attempts)
    record_usage(entry, made.model, made.usage)
    if made.judge_read:  # else an earlier judgement stands while its English does
        entry.judge, entry.judged = list(made.judged), made.english
    check(entry)
    if not made.judge_read:
        entry.checks += made.judged  # a judge that failed: shown, not recorded
    return Merged(entry, "translated", notes)


def take_check(current: Entry | None, checked: Entry, model: str, spent: Usage) -> Merged:
    """The result of checking `checked` (and the judge's review, and what it cost) saved onto
    the draft, only while it holds the same text: what changed meanwhile gets its own check."""
    if current is None or (current.comment_ko, current.comment_en) != (
        checked.comment_ko,
        checked.comment_en,
    ):
        return Merged(None, "changed meanwhile")
    entry = _own(current)
    entry.checks, entry.status = list(checked.checks), checked.status
    entry.judge, entry.judged = list(checked.judge), checked.judged
    record_usage(entry, model, spent)
    return Merged(entry, "checked")


# -- imports ------------------------------------------------------------------------------------
_FIELDS = ("title", "authors", "abstract", "comment_ko", "comment_en", "tags")


def _same(name: str, a: object, b: object) -> bool:
    """Two values of a field as a note holds them: comments by their paragraphs, titles and
    abstracts by their words."""
    if name in ("comment_ko", "comment_en"):
        return paragraphs(str(a)) == paragraphs(str(b))
    if name in ("title", "abstract"):
        return same_words(str(a), str(b))
    return a == b


def _as_read(text: str, entry: Entry) -> NoteContent | None:
    """What a note the draft recorded said, as import read it (None: no such note)."""
    try:
        title = note_date(PurePosixPath(entry.source_file))[1]
    except Skip:  # a place whose name holds no date: the note has its title line
        title = entry.title
    try:
        return read_note(text, title).content
    except NoPaper:
        return None


def take_note(current: Entry | None, note: Entry, check: Check) -> Merged:
    """A note of his vault into its draft (`note`: the draft the note makes).

    Each field is merged three ways, against the note as digest last read or wrote it (the
    draft's `note`): what changed on one side only is taken from that side, so his Obsidian
    edits and the draft's own edits both stay. Where both sides changed a field differently,
    the draft's stays and the note is not recorded as read (so no export writes over his
    version without --force), and the import says so; an English the model made that never
    reached the note is no such conflict: his own English from the note wins (the model's stays
    in machine_en). A comment replaced goes to the history. A comment he changed under the
    model's English, or English he deleted, makes the draft await its translation again. A
    draft an earlier digest imported, which kept no note, is given it."""
    if current is None:
        check(note)
        return Merged(note, "imported")
    if current.source_hash == note.source_hash and current.source_file == note.source_file:
        if current.note == note.note:
            return Merged(None, "unchanged")  # this very note, imported (or exported) before
        entry = _own(current)
        entry.note = note.note
        entry.extra.pop("vault", None)  # the layout facts an earlier digest kept instead
        return Merged(entry, "unchanged")
    base = _as_read(current.note, current) if current.note else None
    theirs, conflicts = [], []
    if base is None and current.imported and current.content_fingerprint() == current.imported:
        # no note recorded, the draft as an import made it: what differs is his
        theirs = [n for n in _FIELDS if not _same(n, getattr(note, n), getattr(current, n))]
    elif base is None:
        # drafted (or edited) here, and this note never recorded: it is the draft's note when
        # its comment says nothing against the draft's (each of Korean, English and tags the
        # same, or on one side only); the draft takes what only the note has, and its head and
        # abstract (his, as any draft of a note takes them)
        said = [n for n in ("comment_ko", "comment_en", "tags") if getattr(note, n)]
        against = [
            n
            for n in said
            if getattr(current, n) and not _same(n, getattr(note, n), getattr(current, n))
        ]
        if against:
            reason = (
                "edited here since the import"
                if current.imported
                else "drafted here, and the note says otherwise"
            )
            notes = [
                f"{current.id}: {', '.join(against)} differ between {note.source_file} and the "
                "draft made here; neither is changed (make them agree, in the note or with "
                "`digest edit`)"
            ]
            return Merged(None, reason, notes)
        theirs = [
            n
            for n in ("title", "authors", "abstract", *said)
            if getattr(note, n) and not _same(n, getattr(note, n), getattr(current, n))
        ]
    else:
        for name in _FIELDS:
            was, ours, new = getattr(base, name), getattr(current, name), getattr(note, name)
            if _same(name, new, was) or _same(name, new, ours):
                continue  # the note did not change it, or says what the draft says
            if _same(name, ours, was) or (
                name == "comment_en"
                and ours == current.machine_en
                and bool(new)
                and _same("comment_ko", current.comment_ko, base.comment_ko)
            ):
                # only the note changed it; or his English beats the model's, when both are of
                # the Korean the note has (not of a Korean changed here since)
                theirs.append(name)
            else:
                conflicts.append(name)
        # a Korean from one side and an English from the other would be a pair he never wrote
        # together: the English of the other Korean (the model's is only made again)
        ours_ko = not _same("comment_ko", current.comment_ko, base.comment_ko)
        ours_en = not _same("comment_en", current.comment_en, base.comment_en)
        his_en = current.comment_en != current.machine_en
        if "comment_ko" in theirs and "comment_en" not in theirs and ours_en and his_en:
            theirs.remove("comment_ko")
            conflicts.append("comment_ko")
        if "comment_en" in theirs and "comment_ko" not in theirs and ours_ko:
            theirs.remove("comment_en")
            conflicts.append("comment_en")
    entry = _own(current)
    if "comment_en" in theirs:  # his English in his note, beside the Korean it has
        entry.extra.pop(EARLIER_ENGLISH, None)
    for name in theirs:
        if name in ("comment_ko", "comment_en"):
            entry.replace_text(name, getattr(note, name), f"import of {note.source_file}")
        else:
            setattr(entry, name, copy.deepcopy(getattr(note, name)))
    if conflicts:  # his side of the rest is taken; the note stays unread, so never overwritten
        notes = [
            f"{current.id}: {', '.join(conflicts)} changed both in {note.source_file} and in "
            "the draft; the draft's is kept (`digest export --format vault --force` writes it "
            "into the note, keeping the note's in the draft's history)"
        ]
        if theirs:
            check(entry)
        return Merged(entry if theirs else None, "edited on both sides", notes)
    entry.source_hash, entry.source_file, entry.note = (
        note.source_hash,
        note.source_file,
        note.note,
    )
    entry.imported = note.imported  # what the note says, as of now
    entry.extra.pop("vault", None)
    if theirs:
        check(entry)
    stale = "comment_ko" in theirs and "comment_en" not in theirs and entry.machine_en
    if entry.comment_ko.strip() and (
        not entry.comment_en.strip() or (stale and entry.comment_en == entry.machine_en)
    ):
        # the model's English is of a comment he has since changed, or he took it out
        entry.status = AWAITING
    return Merged(entry, "updated")


def take_digest_entry(
    current: Entry | None, new: Entry, target: Entry | None, source: str, check: Check
) -> Merged:
    """An entry of a text digest into its draft (`target`: the draft of its day with its
    title, as the import read it) or a new one (`new`). The text format holds a comment on one
    line, so a draft whose comment has line breaks is the same text; only a real difference
    replaces the draft's value (the comment replaced goes to the history). A draft saved by
    another command since the import read it wins."""
    if current is None:
        entry = _own(new)
        check(entry)
        return Merged(entry, "imported")
    if target is not None and current.content_fingerprint() != target.content_fingerprint():
        return Merged(None, "changed here while importing")
    shown = {  # the draft as the text format reads it back
        "authors": current.authors,
        "abstract": current.abstract.strip("\n"),
        "comment_ko": one_line(current.comment_ko),
        "comment_en": one_line(current.comment_en),
        "tags": current.tags,
    }
    changes = {k: getattr(new, k) for k, v in shown.items() if v != getattr(new, k)}
    if not changes:
        return Merged(None, "unchanged")
    entry = _own(current)
    for key, value in changes.items():
        if key in ("comment_ko", "comment_en"):
            entry.replace_text(key, str(value), f"import of {source}")
        else:
            setattr(entry, key, copy.deepcopy(value))
    check(entry)
    return Merged(entry, "updated")


def adopt_note(
    current: Entry | None, written: Entry, path: str, digest: str, text: str, replaced: str
) -> Merged:
    """A note that held no comment (as `digest new` made it) took the draft's: the draft takes
    what the note says that is his (its title line, abstract and tags, as any draft of a note
    does), and records it, so that no later export writes the draft's over them."""
    if current is None or current.content_fingerprint() != written.content_fingerprint():
        return Merged(None, "changed meanwhile")
    try:
        said = read_note(text, current.title).content
    except NoPaper:
        return record_note(current, written, path, digest, text, replaced)
    entry = _own(current)
    for name in ("title", "authors", "abstract", "tags"):
        if getattr(said, name):
            setattr(entry, name, copy.deepcopy(getattr(said, name)))
    merged = record_note(entry, entry, path, digest, text, replaced)
    return Merged(merged.entry or entry, "recorded")


def record_note(
    current: Entry | None, written: Entry, path: str, digest: str, text: str, replaced: str
) -> Merged:
    """The note an export wrote (or found saying what the draft says), recorded in the draft:
    its place, bytes and text, and that the draft's content went into it. A draft changed
    meanwhile is left: the next export tells. A note --force wrote over is kept in the
    history."""
    if current is None or current.content_fingerprint() != written.content_fingerprint():
        return Merged(None, "changed meanwhile")
    record = (path, digest, current.content_fingerprint(), text)
    if record == (current.source_file, current.source_hash, current.imported, current.note):
        return Merged(None, "unchanged")
    entry = _own(current)
    entry.source_file, entry.source_hash, entry.imported, entry.note = record
    entry.extra.pop("vault", None)  # an earlier digest's layout facts
    if replaced:  # the vault's edit that --force wrote over: kept, not lost
        entry.history.append({"note": replaced, "replaced": "export --force"})
    return Merged(entry, "recorded")
