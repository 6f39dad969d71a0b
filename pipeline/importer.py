"""Import history: a digest in the text format (and, see vault.py, the author's notes vault)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.digest import DigestParseError, collapse, parse_digest
from pipeline.entry import Entry
from pipeline.errors import InputError
from pipeline.store import Store
from pipeline.vault import UNREADABLE, Skip, note_files, parse_note


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


@dataclass
class ImportSummary:
    imported: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)  # reason -> files

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


_CONTENT = ("title", "authors", "abstract", "comment_ko", "comment_en", "tags")


def same_content(a: Entry, b: Entry) -> bool:
    return all(getattr(a, key) == getattr(b, key) for key in _CONTENT)


def upsert(
    store: Store,
    entry: Entry,
    summary: ImportSummary,
    recheck: Callable[[Entry], object],
    existing: Entry | None = None,
) -> None:
    """Write an imported entry unless an identical one is there: importing again changes nothing."""
    existing = existing or store.get(entry.date, entry.id)
    if existing is not None:
        if same_content(existing, entry):
            if existing.source_hash == entry.source_hash:
                summary.unchanged.append(entry.id)
            else:
                store.save(existing)  # same content, new file: remember the new file
                summary.updated.append(entry.id)
            return
        for key in _CONTENT:
            setattr(existing, key, getattr(entry, key))
        existing.source_hash = entry.source_hash
        entry = existing
        summary.updated.append(entry.id)
    else:
        summary.imported.append(entry.id)
    recheck(entry)
    store.save(entry)


def import_vault(
    folder: Path,
    store: Store,
    recheck: Callable[[Entry], object],
    since: str | None = None,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> ImportSummary:
    """Every usable note of the vault becomes a draft; importing again changes nothing."""
    if not folder.is_dir():
        raise InputError(f"vault folder {folder} does not exist")
    files = note_files(folder)
    if not files:
        raise InputError(f"no Markdown notes (*.md) in {folder}")
    summary = ImportSummary()
    for done, path in enumerate(files, 1):
        progress(done, len(files))
        name = str(path.relative_to(folder))
        try:
            note = parse_note(path.read_text(encoding="utf-8"), path)
        except (UnicodeDecodeError, OSError):
            summary.skipped.setdefault(UNREADABLE, []).append(name)
            continue
        except Skip as skip:
            summary.skipped.setdefault(skip.reason, []).append(name)
            continue
        if since is not None and note.date < since:
            summary.skipped.setdefault("before --since", []).append(name)
            continue
        entry = Entry(
            id=note.paper_id,
            date=note.date,
            title=note.title,
            authors=note.authors,
            abstract=note.abstract,
            comment_ko=note.comment_ko,
            comment_en=note.comment_en,
            tags=note.tags,
            url=f"https://arxiv.org/abs/{note.paper_id}",
            source="vault",
            source_file=name,
            source_hash=note.content_hash,
        )
        existing = store.get(entry.date, entry.id)
        if existing is not None and existing.source_hash == entry.source_hash:
            summary.unchanged.append(entry.id)
            continue
        if (
            existing is not None
            and existing.imported
            and existing.content_fingerprint() != existing.imported
        ):
            summary.skipped.setdefault("edited here since the import", []).append(name)
            continue
        entry.imported = entry.content_fingerprint()
        if existing is not None:
            existing.source_hash = entry.source_hash
            existing.imported = entry.imported
        upsert(store, entry, summary, recheck, existing)
    return summary


def import_digest(
    text: str, source: str, store: Store, recheck: Callable[[Entry], object]
) -> ImportSummary:
    try:
        days = parse_digest(text)
    except DigestParseError as exc:
        raise InputError(f"{source}:{exc.line}: {str(exc).split(': ', 1)[1]}") from None
    summary = ImportSummary()
    for day in days:
        for item in day.entries:
            entry = Entry(
                id=title_id(item.title),
                date=day.date,
                title=item.title,
                authors=item.authors,
                abstract=item.abstract,
                comment_ko=item.comment_ko,
                comment_en=item.comment_en,
                tags=item.tags,
                source="digest",
                source_file=source,
            )
            upsert(store, entry, summary, recheck)
    return summary
