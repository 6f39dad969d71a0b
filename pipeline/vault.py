"""The author's notes vault: one Markdown file per paper, read into entries and written from them.

A note is, in order: an arXiv URL line; `*Title* (Author, Author, ...)` (asterisks optional);
the abstract as a `>` quote; the Korean comment; the English in an `<english>...</english>`
block or as plain paragraphs after the Korean; a `#tags` line; optionally a `# Links` section,
which is ignored. The day comes from the file name: `YYMMDD Title.md`. Real notes lack parts;
a note without an arXiv link, a date or a Korean comment is skipped with its reason.

Writing: `render_note` gives an entry in the author's current layout (his notes since August
2025), or, for an entry imported from a note, in that note's own layout, recorded at import as a
few layout facts (`NoteLayout`, kept in the draft's `vault` mapping), so that the note comes back
byte for byte. `write_notes` puts a day's entries into a vault without touching a note the author
edited there.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Any

from pipeline.digest import collapse, one_line
from pipeline.entry import Entry
from pipeline.errors import DigestError, InputError, write_failure
from pipeline.text import HANGUL, is_tags_line, parse_id, parse_tags
from pipeline.yamlio import atomic_write_bytes

_ARXIV_URL = re.compile(r"https?://(?:www\.)?arxiv\.org/(?:abs|pdf)/\S+", re.IGNORECASE)
_FILE_DATE = re.compile(r"^(\d{2})(\d{2})(\d{2})\s+(.*?)(?:\.md)?$")
_URL_ONLY = re.compile(r"^\s*(?:https?://\S+\s*)+$")
# a paragraph of Obsidian links only (`[[231011 ScaleCrafter]]`): his cross-references, not English
_WIKI_LINKS_ONLY = re.compile(r"^\s*(?:\[\[[^\]]*\]\]\s*)+$")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_NAME_STOP = re.compile(r'[:?"/\\*<>|]')

NO_LINK = "no arXiv link"
NO_DATE = "no date in the file name"
NO_COMMENT = "no Korean comment"
UNREADABLE = "unreadable: not UTF-8 or no permission"

NOTES_FOLDER = "arXiv"  # where his new notes sit until he files them into a year folder
# A file name is at most 255 bytes on common file systems; leave room for the date and '.md'.
_MAX_NAME_BYTES = 200


class Skip(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class VaultNote:
    path: Path
    date: str
    paper_id: str
    title: str
    authors: list[str]
    abstract: str
    comment_ko: str
    comment_en: str
    tags: list[str] = field(default_factory=list)
    content_hash: str = ""
    # how the note spells things, for its layout (see note_layout)
    head_line: str = ""  # the title line as written; "" when the note has none
    tags_line: str = ""  # the tags line as written
    english_tagged: bool = False  # the English sits in <english>...</english>


def note_date(path: Path) -> tuple[str, str]:
    """('2024-12-12', 'Phi-4 Technical Report') from '241212 Phi-4 Technical Report.md'."""
    match = _FILE_DATE.match(path.name)
    if not match:
        raise Skip(NO_DATE)
    year, month, day, title = match.groups()
    try:
        return dt.date(2000 + int(year), int(month), int(day)).isoformat(), title.strip()
    except ValueError:
        raise Skip(NO_DATE) from None


def _title_and_authors(line: str) -> tuple[str, list[str]]:
    line = line.strip()
    if line.startswith("*") and "*" in line[1:]:
        end = line.index("*", 1)
        title, rest = line[1:end], line[end + 1 :].strip()
    else:
        cut = line.rfind(" (")
        title, rest = (line[:cut], line[cut:].strip()) if cut > 0 else (line, "")
    rest = rest.strip()
    if rest.startswith("("):
        rest = rest[1:]
        if rest.endswith(")"):
            rest = rest[:-1]
    authors = [a.strip() for a in rest.split(",") if a.strip()]
    return " ".join(title.split()), authors


def _link_id(lines: list[str]) -> tuple[int, str] | None:
    """Where the arXiv link is among the first three non-blank lines, and the paper's id."""
    head = [i for i, line in enumerate(lines) if line.strip()][:3]
    for i in head:
        url = _ARXIV_URL.search(lines[i])
        if url:
            try:
                return i, parse_id(url.group(0).rstrip(").,")).base
            except InputError:
                return None
    return None


def parse_note(text: str, path: Path) -> VaultNote:
    """One note; raises Skip(reason) when the note has no usable entry in it."""
    date, file_title = note_date(path)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if "# Links" in (line.strip() for line in lines):
        lines = lines[: [line.strip() for line in lines].index("# Links")]
    found = _link_id(lines)
    if found is None:
        raise Skip(NO_LINK)
    link_at, paper_id = found
    rest = lines[link_at + 1 :]

    title = file_title
    authors: list[str] = []
    head_line = ""
    first = next((i for i, line in enumerate(rest) if line.strip()), None)
    if first is not None:
        candidate = rest[first]
        if not (
            candidate.startswith(">")
            or is_tags_line(candidate)
            or HANGUL.search(candidate)
            or _URL_ONLY.match(candidate)
            or candidate.lstrip().startswith("<")
        ):
            title, authors = _title_and_authors(candidate)
            head_line = candidate
            rest = rest[first + 1 :]

    abstract = "\n".join(line[1:].strip() for line in rest if line.startswith(">")).strip()
    body = "\n".join(line for line in rest if not line.startswith(">"))
    english_blocks = re.findall(r"<english>(.*?)</english>", body, re.DOTALL | re.IGNORECASE)
    body = re.sub(r"<english>.*?</english>", "\n\n", body, flags=re.DOTALL | re.IGNORECASE)

    korean: list[str] = []
    english: list[str] = [b.strip() for b in english_blocks if b.strip()]
    tags: list[str] = []
    tags_line = ""
    leading_links: list[str] = []
    plain_english: list[str] = []
    for raw in _PARAGRAPH_BREAK.split(body):
        paragraph = raw.strip()
        if not paragraph:
            continue
        para_lines = paragraph.split("\n")
        if is_tags_line(para_lines[-1]):
            tags_line = raw.rstrip("\n").rsplit("\n", 1)[-1]  # with its trailing spaces
            try:
                tags += parse_tags(para_lines[-1])
            except InputError:
                pass  # a malformed tag is dropped, the note is kept
            paragraph = "\n".join(para_lines[:-1]).strip()
            if not paragraph:
                continue
        if HANGUL.search(paragraph):
            korean.append(paragraph)
        elif not korean and _URL_ONLY.match(paragraph):
            leading_links.append(paragraph)  # a project page above the comment belongs to it
        elif korean and not _WIKI_LINKS_ONLY.match(paragraph):
            plain_english.append(paragraph)
    if not korean:
        raise Skip(NO_COMMENT)
    return VaultNote(
        path=path,
        date=date,
        paper_id=paper_id,
        title=title,
        authors=authors,
        abstract=abstract,
        comment_ko="\n\n".join(leading_links + korean),
        comment_en="\n\n".join(english or plain_english),
        tags=list(dict.fromkeys(tags)),
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest()[:16],
        head_line=head_line,
        tags_line=tags_line,
        english_tagged=bool(english),
    )


def _walk_notes(folder: Path) -> Iterable[Path]:
    """Markdown files below the folder; hidden folders (.obsidian, .trash) are not notes."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.endswith(".md") and not name.startswith("."):
                yield Path(root) / name


def note_files(folder: Path) -> list[Path]:
    """Every Markdown file below the folder, in a stable order (by name: by date)."""
    return sorted(_walk_notes(folder), key=lambda p: (p.name, str(p)))


def vault_root(folder: Path) -> Path:
    """The vault a folder belongs to: the nearest folder holding `.obsidian`, else the folder.

    Imported notes remember their path relative to it, so `import --vault ~/Vault/arXiv` and
    `export --format vault -o ~/Vault` agree on where a note lives.
    """
    folder = folder.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / ".obsidian").is_dir():
            return candidate
    return folder


# -- layout --------------------------------------------------------------------------------------
@dataclass
class NoteLayout:
    """How a note is laid out; every default is the author's current layout.

    Spellings (`link`, `head_line`, `tags_line`) are kept only where the rendering would spell
    the same value differently, and are used only while they still spell the entry's value: a
    title or tags changed in the draft are written afresh.
    """

    link: str = ""  # the link line as written (a version, `www.`), if not https://arxiv.org/abs/ID
    head: str = "emphasis"  # `*Title* (Authors)`; "plain": `Title (Authors)`; "none": no such line
    head_line: str = ""  # the title line as written, where the head style cannot spell it
    abstract: str = "line"  # one `> ` line; "lines": a `> ` line per line of the abstract
    english: str = "plain"  # paragraphs after the Korean; "tagged": in <english>...</english>
    tags_first: bool = False  # the tags line before the English (notes of early 2024)
    tags_line: str = ""  # the tags line as written, where it spells the tags otherwise (#a_b)
    tags_space: bool = True  # the tags line ends with one space
    end: str = ""  # what follows the last block: a newline, a `# Links` section

    def to_dict(self) -> dict[str, Any]:
        """The facts that differ from the current layout: what a draft stores."""
        default = NoteLayout()
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if getattr(self, f.name) != getattr(default, f.name)
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "draft") -> NoteLayout:
        """From a draft's `vault` mapping; unknown keys are ignored, wrong types are an error."""
        layout = cls()
        choices = {
            "head": ("emphasis", "plain", "none"),
            "abstract": ("line", "lines"),
            "english": ("plain", "tagged"),
        }
        for f in fields(cls):
            if f.name not in data:
                continue
            value = data[f.name]
            if f.name in ("tags_first", "tags_space"):
                ok = isinstance(value, bool)
            elif f.name in ("link", "head_line", "tags_line", "end"):
                ok = isinstance(value, str)
            else:
                ok = isinstance(value, str) and value in choices.get(f.name, (value,))
            if not ok:
                raise InputError(f"{source}: vault layout {f.name}: {value!r} is not valid")
            setattr(layout, f.name, value)
        return layout


@dataclass(frozen=True)
class _Content:
    """What a note shows of an entry."""

    paper_id: str
    title: str
    authors: list[str]
    abstract: str
    comment_ko: str
    comment_en: str
    tags: list[str]


def _paragraphs(text: str) -> str:
    """Paragraphs separated by one blank line, each without outer spaces (as a note holds them)."""
    parts = [p.strip() for p in _PARAGRAPH_BREAK.split(text.strip())]
    return "\n\n".join(p for p in parts if p)


def _head(content: _Content, layout: NoteLayout) -> str:
    title = collapse(content.title)
    if layout.head_line and _title_and_authors(layout.head_line) == (title, content.authors):
        return layout.head_line
    if layout.head == "none" and not content.authors:
        return ""  # the note has no title line (its title is the file's)
    authors = f" ({', '.join(content.authors)})" if content.authors else ""
    return (f"{title}" if layout.head == "plain" else f"*{title}*") + authors


def _link(content: _Content, layout: NoteLayout) -> str:
    if layout.link:
        found = _link_id([layout.link])
        if found is not None and found[1] == content.paper_id:
            return layout.link
    return f"https://arxiv.org/abs/{content.paper_id}"


def _tags(content: _Content, layout: NoteLayout) -> str:
    if not content.tags:
        return ""
    line = " ".join(f"#{tag}" for tag in content.tags)
    if layout.tags_line:
        try:
            if parse_tags(layout.tags_line) == content.tags:
                line = layout.tags_line
        except InputError:
            pass
    return line + (" " if layout.tags_space else "")


def _render(content: _Content, layout: NoteLayout) -> str:
    blocks = [_link(content, layout), _head(content, layout)]
    abstract = content.abstract.strip()
    if abstract:
        lines = abstract.split("\n") if layout.abstract == "lines" else [one_line(abstract)]
        blocks.append("\n".join(f"> {line}".rstrip() for line in lines))
    blocks.append(_paragraphs(content.comment_ko))
    english = _paragraphs(content.comment_en)
    if english and layout.english == "tagged":
        english = f"<english>\n{english}\n</english>"
    tags = _tags(content, layout)
    blocks += [tags, english] if layout.tags_first else [english, tags]
    return "\n\n".join(b for b in blocks if b) + layout.end


def _content_of(entry: Entry) -> _Content:
    return _Content(
        parse_id(entry.id).base,
        entry.title,
        entry.authors,
        entry.abstract,
        entry.comment_ko,
        entry.comment_en,
        entry.tags,
    )


def render_note(entry: Entry) -> str:
    """The entry as a note: in its own layout when imported from one, else the current one.

    Raises InputError for an entry without an arXiv id (imported from a text digest).
    """
    return _render(_content_of(entry), NoteLayout.from_dict(entry.vault, f"draft {entry.id}"))


def note_layout(note: VaultNote, text: str) -> NoteLayout:
    """The layout facts of a note as read, so that render_note gives its bytes back.

    Where no layout of the kind render_note writes reproduces the note (a paragraph of English
    before the Korean, two blank lines in a row, trailing spaces), the closest layout is returned:
    such a note exported again differs from the file, which write_notes then leaves as it is.
    """
    content = _Content(
        note.paper_id,
        note.title,
        note.authors,
        note.abstract,
        note.comment_ko,
        note.comment_en,
        note.tags,
    )
    layout = NoteLayout(
        head="none" if not note.head_line else "emphasis",
        abstract="lines" if "\n" in note.abstract else "line",
        english="tagged" if note.english_tagged else "plain",
    )
    if note.head_line and not note.head_line.lstrip().startswith("*"):
        layout.head = "plain"
    # Keep only the spellings that the layout does not already give.
    first_line = text.split("\n", 1)[0]
    if first_line != _link(content, layout):
        layout.link = first_line
    if note.head_line and note.head_line != _head(content, layout):
        layout.head_line = note.head_line
    if note.tags_line:
        layout.tags_space = note.tags_line.endswith(" ") and not note.tags_line.endswith("  ")
        if note.tags_line.rstrip() != _tags(content, layout).rstrip():
            layout.tags_line = note.tags_line.rstrip()
    for tags_first in (False, True):
        layout.tags_first = tags_first
        body = _render(content, layout)
        if text.startswith(body):
            layout.end = text[len(body) :]
            return layout
    layout.tags_first = False
    return layout


# -- where notes go ------------------------------------------------------------------------------
def note_name(title: str) -> str:
    """The file name's title part: the title cut before the first of : ? " / \\ * < > |."""
    name = _NAME_STOP.split(collapse(title), maxsplit=1)[0].strip()
    if len(name.encode("utf-8")) > _MAX_NAME_BYTES:
        cut = name.encode("utf-8")[:_MAX_NAME_BYTES].decode("utf-8", errors="ignore")
        name = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return name.strip().lstrip(".")  # a leading dot would hide the note


def paper_day(entry: Entry) -> dt.date:
    """The day of the paper's first version on arXiv (UTC).

    `published` is arXiv's date of version 1. A draft without it (the paper was never fetched)
    falls back to its digest day, which for a paper read as it appears is within a day or two.
    """
    if entry.published:
        try:
            stamp = dt.datetime.fromisoformat(entry.published.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            if stamp.tzinfo is not None:
                stamp = stamp.astimezone(dt.UTC)
            return stamp.date()
    return dt.date.fromisoformat(entry.date)


def note_path(entry: Entry) -> PurePosixPath:
    """Where the entry's note goes, relative to the vault.

    An imported note keeps the path it came from (`source_file`, relative to the vault); a new
    one goes to `arXiv/<YYMMDD> <name>.md` (paper_day and note_name), where his newest notes sit.
    """
    if entry.source == "vault" and entry.source_file:
        path = PurePosixPath(entry.source_file)
        if path.is_absolute() or ".." in path.parts or path.suffix != ".md":
            raise InputError(
                f"draft {entry.id} ({entry.date}): source_file {entry.source_file!r} "
                "is not a note inside the vault"
            )
        return path
    name = note_name(entry.title) or parse_id(entry.id).base.replace("/", "_")
    return PurePosixPath(NOTES_FOLDER, f"{paper_day(entry):%y%m%d} {name}.md")


# -- the vault's notes by paper --------------------------------------------------------------------
_HEAD_BYTES = 4096
_HEAD_LIMIT = 64 * 1024


def read_note_id(path: Path) -> str | None:
    """The arXiv id of a note, from its first lines only (as parse_note finds it), or None."""
    data = b""
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_HEAD_BYTES)
            data += chunk
            text = data.decode("utf-8", errors="ignore").replace("\r\n", "\n")
            lines = text.split("\n")
            complete = lines if not chunk else lines[:-1]
            found = _link_id(complete)
            if found is not None:
                return found[1]
            nonblank = sum(1 for line in complete if line.strip())
            if not chunk or nonblank >= 3 or len(data) >= _HEAD_LIMIT:
                return None


def index_vault(vault: Path) -> dict[str, list[PurePosixPath]]:
    """Every note's path (relative to the vault) by arXiv id, reading only each note's head."""
    index: dict[str, list[PurePosixPath]] = {}
    for path in note_files(vault):
        try:
            paper = read_note_id(path)
        except OSError:
            continue  # unreadable: not a note we could compare with, so never one we overwrite
        if paper is not None:
            index.setdefault(paper, []).append(PurePosixPath(path.relative_to(vault).as_posix()))
    return index


# -- writing -------------------------------------------------------------------------------------
class NoteStatus(StrEnum):
    WRITTEN = "written"  # a new note
    UNCHANGED = "unchanged"  # the note already holds these bytes
    UPDATED = "updated"  # the draft changed; the note was as digest last wrote or read it
    LEFT = "left"  # the note was edited in the vault since: left as it is
    OVERWRITTEN = "overwritten"  # the note was edited in the vault and --force replaced it
    SKIPPED = "skipped"  # the entry cannot be a note (no arXiv id)
    FAILED = "failed"  # it could not be written (the error says why); the rest was not tried


@dataclass(frozen=True)
class NoteResult:
    entry_id: str
    status: NoteStatus
    path: PurePosixPath | None = None  # relative to the vault
    reason: str = ""
    digest: str = ""  # of the note's bytes as they are now (what the draft records)
    replaced: str = ""  # the note --force overwrote, to keep in the draft's history
    error: DigestError | None = None

    def line(self) -> str:
        where = str(self.path) if self.path is not None else self.entry_id
        return f"{self.status.value:<11} {where}" + (f" ({self.reason})" if self.reason else "")


def notes_summary(results: list[NoteResult]) -> str:
    """'2 written, 1 unchanged, 1 left (the note differs from the draft; --force overwrites)'."""
    counts = {status: 0 for status in NoteStatus}
    for result in results:
        counts[result.status] += 1
    parts = [f"{counts[s]} {s.value}" for s in NoteStatus if counts[s] or s is NoteStatus.WRITTEN]
    line = ", ".join(parts)
    if counts[NoteStatus.LEFT]:
        line += " (left: edited in the vault since; --force overwrites, keeping it in the draft)"
    return line


def note_digest(data: bytes) -> str:
    """What a note's bytes are known by (as an import records them in `source_hash`)."""
    return hashlib.sha256(data).hexdigest()[:16]


def _free_path(vault: Path, path: PurePosixPath, paper: str) -> PurePosixPath | None:
    """The path, or, when another file holds that name (another paper's note), one with the id.

    None when both are taken: a file that is not known as this paper's note is never replaced.
    """
    for candidate in (path, path.with_name(f"{path.stem} ({paper.replace('/', '_')}).md")):
        if not (vault / candidate).exists():
            return candidate
    return None


def write_notes(entries: list[Entry], vault: Path, force: bool = False) -> list[NoteResult]:
    """Write each entry as a note into the vault; a note of the same paper anywhere is that note.

    A note with the same bytes is unchanged. One with other bytes that digest wrote or read
    last (its bytes match the draft's `source_hash`) follows the draft when the draft changed
    since (updated), and is left alone when it did not (unchanged). One edited in
    the vault since is left as it is, unless `force` (then its text goes back in the result, to
    keep). Writes are atomic and keep an existing note's permissions. A write that fails ends
    the run with a FAILED result carrying the error; what was written before stands.
    """
    if not vault.is_dir():
        raise InputError(f"vault folder {vault} does not exist (create it, or check the path)")
    vault = vault_root(vault)  # -o ~/Vault/arXiv means the vault ~/Vault (it has .obsidian)
    index = index_vault(vault)
    results: list[NoteResult] = []
    for entry in entries:
        try:
            paper = parse_id(entry.id).base
        except InputError:
            results.append(
                NoteResult(entry.id, NoteStatus.SKIPPED, reason="no arXiv id to link a note to")
            )
            continue
        data = render_note(entry).encode("utf-8")
        known = index.get(paper, [])
        if known:
            own = PurePosixPath(entry.source_file) if entry.source_file else None
            path = own if own in known else known[0]
        else:
            wanted = note_path(entry)
            free = _free_path(vault, wanted, paper)
            if free is None:
                reason = "another file holds this name and is not this paper's note"
                results.append(NoteResult(entry.id, NoteStatus.LEFT, wanted, reason))
                continue
            path = free
        target = vault / path
        status, replaced = NoteStatus.WRITTEN, ""
        if known:
            try:
                current = target.read_bytes()
            except OSError as exc:
                results.append(_failed(entry, path, write_failure(target, exc)))
                break
            if current == data:
                results.append(
                    NoteResult(entry.id, NoteStatus.UNCHANGED, path, digest=note_digest(data))
                )
                continue
            if note_digest(current) == entry.source_hash:
                if entry.imported == entry.content_fingerprint():
                    # neither side changed since the import: a note in a layout digest does
                    # not reproduce byte for byte is left exactly as the author has it
                    results.append(
                        NoteResult(entry.id, NoteStatus.UNCHANGED, path, digest=entry.source_hash)
                    )
                    continue
                status = NoteStatus.UPDATED
            elif force:
                status, replaced = NoteStatus.OVERWRITTEN, current.decode("utf-8", "replace")
            else:
                results.append(
                    NoteResult(entry.id, NoteStatus.LEFT, path, digest=note_digest(current))
                )
                continue
        try:
            atomic_write_bytes(target, data)
        except OSError as exc:
            results.append(_failed(entry, path, write_failure(target, exc)))
            break
        index.setdefault(paper, []).append(path)
        results.append(
            NoteResult(entry.id, status, path, digest=note_digest(data), replaced=replaced)
        )
    return results


def _failed(entry: Entry, path: PurePosixPath, error: DigestError) -> NoteResult:
    return NoteResult(entry.id, NoteStatus.FAILED, path, reason=str(error), error=error)
