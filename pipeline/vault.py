"""The author's notes vault on disk: which notes there are, what each says, and writing entries
into them without ever losing a character he wrote.

Reading: every `.md` file below the vault that is a regular file (or a link to one); a note's
paper is the arXiv link on its first non-blank line after any front matter (pipeline/note.py
reads the rest). FIFOs, devices, dangling links and enormous files are skipped and named, never
waited on. The day comes from the file name: `YYMMDD Title.md`.

Writing (`write_notes`): each entry on its own, under the vault's lock (`.digest/lock` at the
vault's root, so that two `digest` commands never write one vault at once). An existing note is
patched (note.patch_note: only the blocks the draft owns and that changed), and only when its
bytes are still those digest last read or wrote: they are compared again immediately before the
rename, so an Obsidian save in between is never overwritten. A new note is created only where no
file is (a hard link, which fails rather than replace), so two writers never duplicate a note.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import re
import secrets
import stat
import time
import unicodedata
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path, PurePosixPath

from pipeline.digest import collapse
from pipeline.entry import Entry
from pipeline.errors import DigestError, InputError, write_failure
from pipeline.note import (
    ALL_FIELDS,
    Kind,
    NoPaper,
    NoteContent,
    NotHeld,
    new_note,
    paper_link,
    patch_note,
    read_note,
)
from pipeline.text import is_blank, parse_id

_FILE_DATE = re.compile(r"^(\d{2})(\d{2})(\d{2})\s+(.*?)(?:\.md)?$")
# his rule for a note's name: the title cut before the first of these
_NAME_STOP = re.compile(r'[:?"/\\*<>|]')
# characters Obsidian cannot link to (`#` heading, `[[ ]]` link, `^` block, `|` alias)
_NAME_DROP = re.compile(r"[#\[\]^|]")

NO_LINK = "no arXiv link on its first line"
NO_DATE = "no date in the file name"
NO_COMMENT = "no Korean comment"
UNREADABLE = "unreadable: not UTF-8 or no permission"
NOT_A_FILE = "not a regular file (a FIFO, a device or a folder)"
DANGLING = "a link to nothing"
TOO_LARGE = "over 1 MB: not a note"

NOTES_FOLDER = "arXiv"  # where his new notes sit until he files them into a year folder
MAX_NOTE_BYTES = 1 << 20  # his longest note is a few KB; a file past this is no note of his
# A file name is at most 255 bytes on common file systems; leave room for the date and '.md'.
_MAX_NAME_BYTES = 200
LOCK_FOLDER = ".digest"  # at the vault's root: Obsidian does not show hidden folders
LOCK_TIMEOUT = 300.0  # another digest writing the vault for longer than this is stuck
_TEMP = re.compile(r"^\.dg[0-9a-f]{8}\.tmp$|^\..+\.[0-9a-f]{12}\.tmp$")  # ours, now and before
STALE_TEMP_SECONDS = 3600.0


class Skip(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class VaultNote:
    """A note as read: where it is, its bytes' digest, its text and what it says."""

    path: Path
    date: str
    text: str
    content: NoteContent
    digest: str

    @property
    def paper_id(self) -> str:
        return self.content.paper_id


def note_date(path: Path | PurePosixPath) -> tuple[str, str]:
    """('2024-12-12', 'Phi-4 Technical Report') from '241212 Phi-4 Technical Report.md'."""
    match = _FILE_DATE.match(path.name)
    if not match:
        raise Skip(NO_DATE)
    year, month, day, title = match.groups()
    try:
        return dt.date(2000 + int(year), int(month), int(day)).isoformat(), title.strip()
    except ValueError:
        raise Skip(NO_DATE) from None


def note_digest(data: bytes) -> str:
    """What a note's bytes are known by (a draft's `source_hash`)."""
    return hashlib.sha256(data).hexdigest()[:16]


def parse_note(data: bytes, path: Path) -> VaultNote:
    """One note of a paper with a Korean comment; raises Skip(reason) otherwise."""
    date, file_title = note_date(path)
    try:
        text = data.decode("utf-8")  # a BOM stays in the text: a patch keeps the note's bytes
    except UnicodeDecodeError:
        raise Skip(UNREADABLE) from None
    try:
        note = read_note(text, file_title)
    except NoPaper:
        raise Skip(NO_LINK) from None
    if not note.content.comment_ko:
        raise Skip(NO_COMMENT)
    return VaultNote(path, date, text, note.content, note_digest(data))


# -- which files are notes -----------------------------------------------------------------------
@dataclass
class Listing:
    """The vault's note files (sorted by name: by date) and the files skipped with why."""

    notes: list[Path] = field(default_factory=list)
    odd: list[tuple[Path, str]] = field(default_factory=list)


def list_notes(folder: Path) -> Listing:
    """Every Markdown note below the folder, linked folders included; hidden folders
    (.obsidian, .trash, .digest) are not notes. Only regular files and links to them count:
    anything else is named, not read."""
    listing = Listing()
    seen: set[str] = set()  # folders by their real path: a linked folder is read once, no loops
    for root, dirs, files in os.walk(folder, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if not name.endswith(".md") or name.startswith("."):
                continue
            path = Path(root) / name
            try:
                kind = os.stat(path).st_mode
            except FileNotFoundError:
                listing.odd.append((path, DANGLING))
                continue
            except OSError:
                listing.odd.append((path, UNREADABLE))
                continue
            if stat.S_ISREG(kind):
                listing.notes.append(path)
            else:
                listing.odd.append((path, NOT_A_FILE))
    listing.notes.sort(key=lambda p: (p.name, str(p)))
    return listing


def note_files(folder: Path) -> list[Path]:
    return list_notes(folder).notes


def read_note_bytes(path: Path, limit: int = MAX_NOTE_BYTES) -> bytes:
    """A note's bytes, never more than `limit` (+1 to see it is over), never blocking: a FIFO
    put where a note was is refused, not waited on. Raises Skip with the reason."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise Skip(DANGLING) from None
    except OSError:
        raise Skip(UNREADABLE) from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise Skip(NOT_A_FILE)
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise Skip(TOO_LARGE)
    return data


def vault_root(folder: Path) -> Path:
    """The vault a folder belongs to: the nearest folder holding `.obsidian` (or `.digest`,
    where digest wrote into a folder before), else the folder.

    Imported notes remember their path relative to it, so `import --vault ~/Vault/arXiv` and
    `export --format vault -o ~/Vault` agree on where a note lives.
    """
    folder = folder.resolve()
    for marker in (".obsidian", LOCK_FOLDER):
        for candidate in (folder, *folder.parents):
            if (candidate / marker).is_dir():
                return candidate
    return folder


# -- the vault's notes by paper --------------------------------------------------------------------
_HEAD_BYTES = 4096
_HEAD_LIMIT = 64 * 1024


def read_note_id(path: Path) -> str | None:
    """The arXiv id of a note, from its head only (as read_note finds it), or None."""
    data = b""
    with open(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        while True:
            chunk = handle.read(_HEAD_BYTES)
            data += chunk
            text = data.decode("utf-8", errors="ignore")
            lines = re.split(r"\r\n|\r|\n", text)
            complete = lines if not chunk else lines[:-1]
            found = _first_line_id(complete)
            if found is not None or not chunk or len(data) >= _HEAD_LIMIT:
                return found or None


def _first_line_id(lines: list[str]) -> str | None:
    """The paper of a note's first non-blank line after front matter; "" when that line is
    no arXiv link; None when the lines read so far do not tell yet."""
    at = 0
    if lines and lines[0].lstrip("\ufeff").strip() == "---":
        close = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
        if close is None:
            return None
        at = close + 1
    for line in lines[at:]:
        if not is_blank(line):
            return paper_link(line) or ""
    return None


@dataclass
class VaultIndex:
    """Every note's path (relative to the vault) by arXiv id, first by path first."""

    by_paper: dict[str, list[PurePosixPath]] = field(default_factory=dict)
    odd: list[tuple[Path, str]] = field(default_factory=list)

    def note_of(self, paper: str, own: str = "") -> PurePosixPath | None:
        """The paper's note: the one the draft knows, else the first (in_note_order)."""
        known = self.by_paper.get(paper, [])
        if own and PurePosixPath(own) in known:
            return PurePosixPath(own)
        return known[0] if known else None


_COPY_SUFFIX = re.compile(r"^(.*) \d+$")  # Obsidian's name for a copy: "X 1.md" beside "X.md"


def in_note_order(paths: Iterable[str]) -> list[str]:
    """A paper's notes, the first its note: an original before Obsidian's copies of it
    ("X 1.md" sorts before "X.md" by name; "CosyVoice 2.md" is no copy unless
    "CosyVoice.md" is beside it), then by path."""
    paths = list(paths)
    present = set(paths)

    def is_copy(path: str) -> bool:
        pure = PurePosixPath(path)
        match = _COPY_SUFFIX.match(pure.stem)
        return match is not None and str(pure.with_name(match[1] + pure.suffix)) in present

    return sorted(paths, key=lambda path: (is_copy(path), path))


def index_vault(vault: Path) -> VaultIndex:
    """Every note's paper, reading only each note's head."""
    listing = list_notes(vault)
    index = VaultIndex(odd=listing.odd)
    for path in listing.notes:
        try:
            paper = read_note_id(path)
        except OSError:
            continue  # unreadable: not a note we could compare with, so never one we overwrite
        if paper:
            relative = PurePosixPath(path.relative_to(vault).as_posix())
            index.by_paper.setdefault(paper, []).append(relative)
    for paper, paths in index.by_paper.items():
        index.by_paper[paper] = [PurePosixPath(p) for p in in_note_order(map(str, paths))]
    return index


# -- where new notes go --------------------------------------------------------------------------
def note_name(title: str) -> str:
    """The file name's title part: his rule, the title cut before the first of
    : ? " / \\ * < > |, without what Obsidian cannot link to (# [ ] ^ |) nor invisible
    format characters (bidi controls), at most 200 bytes."""
    name = _NAME_STOP.split(collapse(title), maxsplit=1)[0]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cf", "Cc"))
    name = collapse(_NAME_DROP.sub("", name))
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

    A note digest read or wrote keeps its path (`source_file`, relative to the vault); a new one
    goes to `arXiv/<YYMMDD> <name>.md` (paper_day and note_name), where his newest notes sit.
    """
    if entry.source == "vault" and entry.source_file:
        path = PurePosixPath(entry.source_file)
        if path.is_absolute() or ".." in path.parts or path.suffix != ".md":
            raise InputError(
                f"draft {entry.id} ({entry.date}): source_file {entry.source_file!r} "
                "is not a note inside the vault"
            )
        return path
    name = note_name(entry.title)
    if not any(ch.isalnum() for ch in name):  # `$` of `$\mathcal{O}(n)$: …`: no name at all
        name = parse_id(entry.id).base.replace("/", "_")
    return PurePosixPath(NOTES_FOLDER, f"{paper_day(entry):%y%m%d} {name}.md")


# -- what a note of an entry says ----------------------------------------------------------------
def note_content(entry: Entry) -> NoteContent:
    """What a note says of an entry (the patch writes what it changes printable)."""
    return NoteContent(
        paper_id=parse_id(entry.id).base,
        title=entry.title,
        authors=entry.authors,
        abstract=entry.abstract,
        comment_ko=entry.comment_ko,
        comment_en=entry.comment_en,
        tags=entry.tags,
    )


def _file_title(entry: Entry) -> str:
    """What stands for the title of a note without a title line: its file name's title."""
    if entry.source_file:
        try:
            return note_date(PurePosixPath(entry.source_file))[1]
        except Skip:
            pass
    return collapse(entry.title)


_COMMENTS = frozenset({"comment_ko", "comment_en"})


_LINKS = re.compile(r"https?://|\[\[")
_THE_PAPER = (Kind.FRONT, Kind.LINK, Kind.HEAD, Kind.ABSTRACT, Kind.TAGS)  # the abstract's links


def _fields_of_a_blank_note(text: str) -> frozenset[str] | None:
    """For a note of the paper with no comment in it (as `digest new` makes it, or one he began
    with a line of his own), the fields a draft writes into it: its comments, and tags when it
    has none (his stay). None for any other note; a note that lists other papers under its
    first link is his list, and a comment is never put into it."""
    try:
        note = read_note(text)
    except NoPaper:
        return None
    if any(
        piece.kind in (Kind.KOREAN, Kind.ENGLISH)
        or (piece.kind not in _THE_PAPER and _LINKS.search(piece.text))
        or (piece.kind is Kind.LINK and len(_LINKS.findall(piece.text)) > 1)
        for piece in note.pieces
    ):
        return None
    return _COMMENTS if note.content.tags else _COMMENTS | {"tags"}


def render_note(entry: Entry, base: str | None = None, only: frozenset[str] = ALL_FIELDS) -> str:
    """The entry written into a note: into `base` (the note as it is in the vault), else into
    the note as the draft last saw it (`note`: exported into an empty folder it comes back
    whole), else a new note in his current layout.

    `only`: the blocks to write into an existing note (all, but for sync: the English).
    Raises InputError for an entry without an arXiv id (imported from a text digest)."""
    content = note_content(entry)
    for text in (base, entry.note):
        if not text:
            continue
        try:
            if read_note(text).content.paper_id == content.paper_id:
                return patch_note(text, content, _file_title(entry), only)
        except NoPaper:
            continue
    return new_note(content)


# -- writing -------------------------------------------------------------------------------------
class NoteStatus(StrEnum):
    WRITTEN = "written"  # a new note
    UNCHANGED = "unchanged"  # the note already says what the draft says
    UPDATED = "updated"  # patched: the note was as digest last read or wrote it
    LEFT = "left"  # edited in the vault since (or meanwhile): left as it is
    OVERWRITTEN = "overwritten"  # edited in the vault, and --force patched it anyway
    HELD = "held"  # the draft fails its checks: its note is not written (--force writes it)
    SKIPPED = "skipped"  # the entry cannot be a note (no arXiv id)
    FAILED = "failed"  # it could not be written (the error says why)


@dataclass(frozen=True)
class NoteResult:
    entry_id: str
    status: NoteStatus
    path: PurePosixPath | None = None  # relative to the vault
    reason: str = ""
    text: str = ""  # the note as it is now, when digest wrote it or it says what the draft says
    replaced: str = ""  # the note --force patched over, to keep in the draft's history
    error: DigestError | None = None
    date: str = ""  # the day of the draft it is the note of
    # a note that held no comment (as `digest new` makes it) and took the draft's: its title
    # line, abstract and tags are his, and the draft takes them (merge.adopt_note)
    adopted: bool = False

    @property
    def digest(self) -> str:
        return note_digest(self.text.encode("utf-8")) if self.text else ""

    @property
    def in_sync(self) -> bool:
        """The note now says what the draft says: the draft records it."""
        return self.status in (
            NoteStatus.WRITTEN,
            NoteStatus.UPDATED,
            NoteStatus.OVERWRITTEN,
            NoteStatus.UNCHANGED,
        )

    def line(self) -> str:
        where = str(self.path) if self.path is not None else self.entry_id
        return f"{self.status.value:<11} {where}" + (f" ({self.reason})" if self.reason else "")


def notes_summary(results: list[NoteResult]) -> str:
    """'2 written, 1 unchanged, 1 left (…)'."""
    counts = {status: 0 for status in NoteStatus}
    for result in results:
        counts[result.status] += 1
    parts = [f"{counts[s]} {s.value}" for s in NoteStatus if counts[s] or s is NoteStatus.WRITTEN]
    line = ", ".join(parts)
    if counts[NoteStatus.LEFT]:
        line += (
            " (left: edited in the vault since digest last read it; `digest import --vault` "
            "takes the edit into the draft, --force writes over it, keeping it in the draft)"
        )
    if counts[NoteStatus.HELD]:
        line += " (held: the draft fails its checks; fix it, or --force)"
    return line


class ChangedMeanwhile(Exception):
    """The note is no longer what was read: someone (Obsidian) saved it meanwhile."""


@contextmanager
def vault_lock(vault: Path) -> Iterator[None]:
    """One digest writing into a vault at a time, on every system Obsidian runs on."""
    from filelock import FileLock, Timeout

    folder = vault / LOCK_FOLDER
    try:
        folder.mkdir(exist_ok=True)
    except PermissionError:
        if os.access(vault, os.W_OK):
            raise
        yield  # a vault nobody may write into: nothing to guard (a note to write fails alone)
        return
    except OSError as exc:
        raise write_failure(folder, exc) from None
    lock = FileLock(str(folder / "lock"), timeout=LOCK_TIMEOUT)
    try:
        with lock:
            yield
    except Timeout:
        raise InputError(
            f"another digest command has been writing into {vault} for {LOCK_TIMEOUT:.0f} s "
            f"(lock {folder / 'lock'}); try again when it is done"
        ) from None


def sweep_temp_files(folder: Path, now: float | None = None) -> None:
    """Remove temporary files of ours that a killed writer left behind in a folder. Called
    under the vault's lock, where no other digest writes: a `.dg…tmp` file is a killed run's
    at once; the older versions' names (written without the lock) after an hour."""
    now = time.time() if now is None else now
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if _TEMP.match(name):
            path = folder / name
            try:
                if name.startswith(".dg") or now - path.lstat().st_mtime > STALE_TEMP_SECONDS:
                    path.unlink()
            except OSError:
                pass


def replace_note(path: Path, data: bytes, expected: bytes | None) -> None:
    """Put `data` at `path`, atomically, only while the file holds `expected` (None: only where
    there is no file). Raises ChangedMeanwhile otherwise, writing nothing.

    A link is written through to its target. The comparison runs after the new bytes are on
    disk, immediately before the rename. Obsidian saves a note in place (the same file, opened
    and rewritten): a save landing between the comparison and the rename would go into the file
    the rename takes away. So the note is held by a second name (a hard link) meanwhile, and if
    it was written after all, it is put back at its name, his save whole, and nothing of ours
    stays. The temporary names are short (14 bytes), so a note whose name is near the file
    system's 255-byte limit is updated like any other.
    """
    target = Path(os.path.realpath(path))
    try:
        keep: int | None = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        keep = None
    if (keep is None) != (expected is None):
        raise ChangedMeanwhile
    tmp = _temp_name(target)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask narrows it
    held: Path | None = None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if keep is not None:
            os.chmod(tmp, keep)
        if expected is None:
            _create_only(tmp, target)
            return
        held = _hold(target)
        if not _holds(held or target, expected):
            raise ChangedMeanwhile
        if held is None:  # a file system without hard links: the rename's instant stays open
            os.replace(tmp, target)
            return
        before = os.stat(held)
        if not _still_at(target, before):
            raise ChangedMeanwhile  # saved by a rename since it was held: the name holds his
        os.replace(tmp, target)
        if _written_since(held, before, expected):
            os.replace(held, target)  # his save went into the note replaced: it goes back
            held = None
            raise ChangedMeanwhile
    except Skip:
        raise ChangedMeanwhile from None
    finally:
        tmp.unlink(missing_ok=True)
        if held is not None:
            held.unlink(missing_ok=True)


def _temp_name(target: Path) -> Path:
    return target.parent / f".dg{secrets.token_hex(4)}.tmp"


# what os.link raises on a file system without hard links (some network and FAT drives), or
# on a file that has all the links it may have
_NO_HARD_LINK = frozenset({errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK})


def _hold(target: Path) -> Path | None:
    """A second name for the note as it is now; None on a file system without hard links."""
    held = _temp_name(target)
    try:
        os.link(target, held)
    except FileNotFoundError:
        raise ChangedMeanwhile from None  # deleted since it was read
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINK:
            raise
        return None
    return held


def _holds(path: Path, expected: bytes) -> bool:
    """The file holds `expected` (read no further than one byte past it)."""
    return read_note_bytes(path, max(len(expected), 1) + 1) == expected


def _still_at(target: Path, held: os.stat_result) -> bool:
    try:
        return os.stat(target).st_ino == held.st_ino
    except FileNotFoundError:
        return False


def _written_since(held: Path, before: os.stat_result, expected: bytes) -> bool:
    now = os.stat(held)
    if (now.st_size, now.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
        return True
    try:
        return not _holds(held, expected)
    except Skip:
        return True


def _create_only(tmp: Path, target: Path) -> None:
    """The new note appears whole, and only if no file took its name meanwhile."""
    try:
        os.link(tmp, target)  # fails, atomically, when the name exists
    except FileExistsError:
        raise ChangedMeanwhile from None
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINK:
            raise
        # a file system without hard links: the lock keeps other digests out
        if target.exists():
            raise ChangedMeanwhile from None
        os.replace(tmp, target)


def free_path(vault: Path, path: PurePosixPath, paper: str) -> PurePosixPath | None:
    """The path, or, when another file holds that name (another paper's note), one with the id.

    None when both are taken: a file that is not known as this paper's note is never replaced.
    """
    for candidate in (path, path.with_name(f"{path.stem} ({paper.replace('/', '_')}).md")):
        taken = vault / candidate
        evicted = taken.with_name(f".{taken.name}.icloud")  # a note iCloud keeps off this disk
        if not os.path.lexists(taken) and not os.path.lexists(evicted):
            return candidate
        if candidate == path and not _readable_note(taken):
            return None  # perhaps this paper's own note, unreadable now: never a second one
    return None


def _readable_note(path: Path) -> bool:
    """A note whose paper digest can tell (so that it is another paper's, or none)."""
    try:
        return read_note_id(path) is not None or path.is_file()
    except OSError:
        return False


GONE = "its note is gone from the vault (deleted, or moved out of it)"


def write_notes(
    entries: list[Entry],
    vault: Path,
    force: bool = False,
    failing: Mapping[str, str] | None = None,
    only: frozenset[str] = ALL_FIELDS,
    create: bool = True,
    seen: Collection[str] = (),
) -> tuple[list[NoteResult], list[tuple[Path, str]]]:
    """Write each entry into its note, on its own; (what happened to each, odd files skipped).

    A paper's note anywhere in the vault is that note (the draft's own, else the first by
    path). A note still as digest last read or wrote it (its digest is the draft's
    `source_hash`) is patched; one edited in the vault since is left, unless `force` (then it
    is patched too, and its old text goes back in the result to keep). An entry in `failing`
    (the ids of drafts that fail their checks, and how to fix each) is held, unless `force`.
    `only` names the blocks written into an existing note; `create`: a paper without a note
    gets one (sync writes only into notes that are there: one deleted meanwhile is left), but
    for a draft whose note is among the notes an import `seen` in this vault: he deleted it,
    and it stays deleted, unless `force`. A full disk stops the run with a FAILED result; any
    other failure is that note's alone.
    """
    if not vault.is_dir():
        raise InputError(f"vault folder {vault} does not exist (create it, or check the path)")
    vault = vault_root(vault)  # -o ~/Vault/arXiv means the vault ~/Vault (it has .obsidian)
    results: list[NoteResult] = []
    latest: dict[str, Entry] = {}  # a paper drafted on several days has one note: the latest
    for entry in entries:
        if entry.id not in latest or entry.date >= latest[entry.id].date:
            latest[entry.id] = entry
    with vault_lock(vault):
        index = index_vault(vault)
        swept: set[Path] = set()
        for entry in entries:
            if latest[entry.id] is not entry:
                newer = latest[entry.id].date
                results.append(
                    NoteResult(
                        entry.id,
                        NoteStatus.SKIPPED,
                        reason=f"its draft of {newer} is the note's",
                        date=entry.date,
                    )
                )
                continue
            fails = (failing or {}).get(entry.id, "")
            try:
                # what to say when the paper has no note here: "" makes one
                if not create:
                    gone = GONE
                elif entry.source_file in seen and not force:  # seen here once: he deleted it
                    gone = GONE + "; --force writes it"
                else:
                    gone = ""
                result = _write_one(entry, vault, index, force, fails, swept, only, gone)
            except InputError as exc:  # this draft's own problem (a source_file edited by hand)
                result = NoteResult(entry.id, NoteStatus.FAILED, None, str(exc), error=exc)
            results.append(replace(result, date=entry.date))
            if result.status is NoteStatus.WRITTEN and result.path is not None:
                index.by_paper.setdefault(parse_id(entry.id).base, []).append(result.path)
            if result.error is not None and result.error.exit_code == 4:
                break  # the disk is full: every further note would fail the same way
    return results, index.odd


def _write_one(
    entry: Entry,
    vault: Path,
    index: VaultIndex,
    force: bool,
    fails: str,
    swept: set[Path],
    only: frozenset[str],
    gone: str,
) -> NoteResult:
    try:
        paper = parse_id(entry.id).base
    except InputError:
        return NoteResult(entry.id, NoteStatus.SKIPPED, reason="no arXiv id to link a note to")
    path = index.note_of(paper, entry.source_file)
    if path is None and gone:  # its note is not made again: why
        return NoteResult(entry.id, NoteStatus.LEFT, None, gone)
    if path is None:
        wanted = note_path(entry)
        free = free_path(vault, wanted, paper)
        if free is None:
            reason = "another file holds this name, or one digest cannot read"
            return NoteResult(entry.id, NoteStatus.LEFT, wanted, reason)
        path, current = free, None
    else:
        try:
            current = read_note_bytes(vault / path)
        except Skip as skip:
            return NoteResult(entry.id, NoteStatus.LEFT, path, skip.reason)
    target = vault / path
    status, replaced, blank = NoteStatus.WRITTEN, "", False
    try:
        if current is not None:
            try:
                now = current.decode("utf-8")
            except UnicodeDecodeError:
                return NoteResult(entry.id, NoteStatus.LEFT, path, "not UTF-8 text")
            # a note of the paper with no comment yet (`digest new`'s), and a draft that never
            # knew a note: his Korean and English go in, nothing of his is replaced
            blank_fields = None if entry.source_hash else _fields_of_a_blank_note(now)
            blank = blank_fields is not None
            if blank_fields is not None:
                only = only & blank_fields
            text = render_note(entry, base=now, only=only)
            if text == now:  # says what the draft says already: nothing to write or hold
                return NoteResult(entry.id, NoteStatus.UNCHANGED, path, text=now)
            if note_digest(current) == entry.source_hash or blank:
                status = NoteStatus.UPDATED
            elif force:
                status, replaced = NoteStatus.OVERWRITTEN, now
            else:
                return NoteResult(entry.id, NoteStatus.LEFT, path, "edited in the vault since")
        else:
            text = render_note(entry)
    except NotHeld as exc:
        return NoteResult(entry.id, NoteStatus.LEFT, path, str(exc))
    if fails and not force:
        return NoteResult(entry.id, NoteStatus.HELD, path, fails)
    if current is not None and not os.stat(target).st_mode & 0o222:  # no one may write it
        return NoteResult(entry.id, NoteStatus.LEFT, path, "read-only: you keep it as it is")
    if target.parent not in swept:
        swept.add(target.parent)
        sweep_temp_files(target.parent)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        replace_note(target, text.encode("utf-8"), current)
    except ChangedMeanwhile:
        return NoteResult(entry.id, NoteStatus.LEFT, path, "saved in the vault meanwhile")
    except OSError as exc:
        error = write_failure(target, exc)
        return NoteResult(entry.id, NoteStatus.FAILED, path, str(error), error=error)
    return NoteResult(entry.id, status, path, text=text, replaced=replaced, adopted=blank)
