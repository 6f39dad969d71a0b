"""Comment stage: the author's Korean comment and tags, from an option, a file, stdin, $EDITOR,
or a notes file holding a whole day."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from pipeline.entry import Entry
from pipeline.errors import InputError
from pipeline.text import (
    PaperId,
    is_arxiv_id,
    is_blank,
    is_tags_line,
    normalize_text,
    parse_id,
    parse_tags,
)

_UNDECODABLE = re.compile("[\udc80-\udcff]")  # how Python keeps bytes it could not decode
GUIDE = "//"  # guide lines in the editor template; '#' already starts the tags line


# The author's longest comment in a year is 859 characters; ten times that is a wrong file or
# paste (a whole paper), which would be sent to the model at its full cost.
MAX_CHARS = 8000


def clean_comment(text: str) -> str:
    """Outer blank lines and trailing spaces go; the author's own line breaks stay.

    Every way the author's text comes in passes here, so the input rules live here too.
    """
    if _UNDECODABLE.search(text):  # bytes that were not UTF-8 (a command-line argument)
        raise InputError("the text is not UTF-8; nothing was saved")
    text = normalize_text(text)
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    cleaned = "\n".join(lines).strip("\n").strip()
    if len(cleaned) > MAX_CHARS:
        raise InputError(
            f"the text is {len(cleaned):,} characters; a comment is at most {MAX_CHARS:,} "
            "(a wrong file?)"
        )
    return cleaned


# What an input may hold before it is refused unread: it is read up to the limit and no
# further, so a wrong file (/dev/zero, a disk image) costs a moment, never the machine's memory.
MAX_INPUT_CHARS = 64_000  # a comment or an English as typed: the comment, tags, guide lines
MAX_NOTES_CHARS = 2_000_000  # a notes file: a day, or a year, of comments
MAX_DOCUMENT_CHARS = 50_000_000  # a digest to import, a corpus, a saved eval run: years of notes


def read_text_file(path: Path, what: str, *, limit: int) -> str:
    """The one way an input file of the author's is read: UTF-8 text (a BOM is dropped) of at
    most `limit` characters, from a regular file. Anything else is one InputError naming `what`
    and the path: a missing file, a folder, a device or a pipe (refused by type, before any
    read, so /dev/zero is not read and a FIFO does not block), a longer text (read up to the
    limit, no further), bytes that are not UTF-8."""
    named = f"{what} {path}"
    try:
        kind = _kind(path.stat().st_mode)
        if kind is None:  # a regular file; opened without blocking, and checked again once open
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            with os.fdopen(fd, "rb") as handle:
                kind = _kind(os.fstat(handle.fileno()).st_mode)
                if kind is None:
                    return read_stream(handle, named, limit)
    except FileNotFoundError:
        raise InputError(f"{named} does not exist") from None
    except OSError as exc:
        raise InputError(f"cannot read {named}: {exc.strerror}") from None
    raise InputError(f"{named} is {kind}, not a file; give a text file")


def _kind(mode: int) -> str | None:
    """What a file that is not a regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


def read_stream(stream: BinaryIO, source: str, limit: int) -> str:
    """At most `limit` characters of an open byte stream (a file, stdin) as UTF-8 text: at most
    4 * limit + 4 bytes are read (enough for `limit` characters and a BOM); more is refused."""
    most = 4 * limit + 3  # the longest `limit` characters can be, BOM included
    data = stream.read(most + 1)
    text = decode_input(data, source) if len(data) <= most else ""
    if len(data) > most or len(text) > limit:
        raise InputError(
            f"{source} is longer than {limit:,} characters, the most it may hold; "
            "a wrong file? Nothing was taken from it"
        )
    return text


def decode_input(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source} is not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start}); "
            "nothing was saved"
        ) from None


# -- $EDITOR ------------------------------------------------------------------------------------
def editor_template(
    paper_id: str,
    title: str,
    authors: list[str],
    abstract: str,
    comment: str = "",
    tags: list[str] | None = None,
    suggested: list[str] | None = None,
) -> str:
    guide = [
        "Write your Korean comment above. Lines starting with // are removed.",
        "An optional last line of tags: #rl #reasoning",
        "Save and quit to continue; an empty comment aborts and saves nothing.",
        "",
        f"{paper_id}  {title}",
        "(" + ", ".join(authors) + ")",
        "",
        *abstract.split("\n"),
    ]
    if suggested:
        guide += ["", "Tags of similar past entries: " + " ".join(f"#{t}" for t in suggested)]
    head = comment.strip()
    if tags:
        head += "\n" + " ".join(f"#{t}" for t in tags)
    return head + "\n\n" + "\n".join(f"{GUIDE} {line}".rstrip() for line in guide) + "\n"


def parse_edited(text: str) -> tuple[str, list[str] | None]:
    """Drop guide lines; a last line of #tags becomes the tags."""
    lines = [line for line in text.split("\n") if not line.lstrip().startswith(GUIDE)]
    body = clean_comment("\n".join(lines))
    if not body:
        return "", None
    *rest, last = body.split("\n")
    if is_tags_line(last):
        return clean_comment("\n".join(rest)), parse_tags(last)
    return body, None


def english_template(entry: Entry) -> str:
    """The published English to edit, with the Korean, the model's English and the findings."""
    guide = [
        "Edit the published English above. Lines starting with // are removed.",
        "An optional last line of tags: #rl #reasoning",
        "Save and quit to keep it; an empty text changes nothing.",
        "",
        f"{entry.id}  {entry.title}",
        "",
        "Korean:",
        *entry.comment_ko.split("\n"),
    ]
    if entry.machine_en and entry.machine_en != entry.comment_en:
        guide += ["", "The model's English (machine_en):", *entry.machine_en.split("\n")]
    if entry.checks:
        guide += ["", "Last check:", *(str(f) for f in entry.checks)]
    head = entry.comment_en.strip()
    if entry.tags:
        head += "\n" + " ".join(f"#{t}" for t in entry.tags)
    return head + "\n\n" + "\n".join(f"{GUIDE} {line}".rstrip() for line in guide) + "\n"


def _wait_for_editor(command: list[str], editor: str) -> int:
    """Run the editor with Ctrl-C ignored here, as git does: the key belongs to the editor
    (and kills one that does not catch it), never to us, which would kill the editor with
    the text in it. Ignored before the editor starts, so no key pressed in between is ours."""
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if in_main_thread else None
    try:
        try:
            # the editor must not inherit the ignored key: it restores the default for itself
            process = subprocess.Popen(command, preexec_fn=_default_sigint)
        except OSError as exc:
            raise InputError(f"cannot start the editor {editor!r}: {exc.strerror}") from None
        return process.wait()
    finally:
        if in_main_thread:
            signal.signal(signal.SIGINT, previous or signal.default_int_handler)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


RECOVERY_PREFIX = "digest-comment-"
# Text kept for the author lives beside his drafts (DRAFTS/.recovered), not in the system temp
# folder, which is emptied at reboot; the temp folder is the fallback when that cannot be written.
RECOVERY_FOLDER = ".recovered"


def _keep(path: Path, keep_in: Path | None) -> Path:
    """Move a kept file into `keep_in` (where the author's data lives); where it is on failure."""
    if keep_in is None:
        return path
    try:
        keep_in.mkdir(parents=True, exist_ok=True)
        return Path(shutil.move(path, keep_in / path.name))
    except OSError:
        return path


def run_editor(
    template: str,
    editor: str | None = None,
    what: str = "comment",
    retry_with: str = "",
    keep_in: Path | None = None,
) -> tuple[str, list[str] | None]:
    """Open $VISUAL/$EDITOR on the template; the text and tags the author saved.

    Text that cannot be taken (a bad tag, not UTF-8) is not thrown away: the file is kept (moved
    into `keep_in`) and the error names it, with `retry_with` ("... {path}") saying how to use it.
    """
    editor = editor or os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    fd, name = tempfile.mkstemp(prefix=f"digest-{what.lower()}-", suffix=".md")
    path = Path(name)
    keep = False
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(template)
        status = _wait_for_editor([*shlex.split(editor), str(path)], editor)
        if status != 0:
            raise InputError(
                f"the editor {editor!r} exited with status {status}; nothing was saved"
            )
        try:
            with path.open("rb") as handle:
                text = read_stream(handle, "the editor's text", MAX_INPUT_CHARS)
            comment, tags = parse_edited(text)
        except InputError as exc:
            keep = True
            path = _keep(path, keep_in)
            problem = str(exc)
            hint = f"; then {retry_with.format(path=path)}" if retry_with else ""
            raise InputError(
                f"{problem}; your text is kept in {path}: fix it there{hint}"
            ) from None
    finally:
        if not keep:
            path.unlink(missing_ok=True)
    if not comment:
        raise InputError(f"the {what} is empty; nothing was saved")
    return comment, tags


def save_recovery(
    text: str, tags: list[str] | None, what: str = "comment", folder: Path | None = None
) -> Path:
    """Keep text the author gave that could not go into its draft (a mistyped id, a full disk)
    in a file of its own in `folder` (default: the temp folder), in the form `--comment-file`
    (or `edit` on stdin) reads back."""
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f"digest-{what.lower()}-", suffix=".md", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text + ("\n" + " ".join(f"#{t}" for t in tags) if tags else "") + "\n")
    return Path(name)


def is_recovery_file(path: Path, folder: Path | None = None) -> bool:
    """A file digest wrote to keep text (the editor's or a piped comment), in `folder` or the
    temp folder."""
    name = path.name
    places = [Path(tempfile.gettempdir()).resolve()]
    if folder is not None:
        places.append(folder.resolve())
    return (
        path.resolve().parent in places
        and name.startswith((RECOVERY_PREFIX, "digest-english-"))
        and name.endswith(".md")
    )


# -- notes files --------------------------------------------------------------------------------
@dataclass
class NoteBlock:
    line: int  # where the block starts, for messages
    paper_id: PaperId
    comment: str
    tags: list[str] = field(default_factory=list)


def _block(lines: list[tuple[int, str]], source: str) -> NoteBlock:
    """One block of a notes file, or an InputError naming the line at fault."""
    first_line, id_text = lines[0]
    try:
        paper_id = parse_id(id_text)
    except InputError as exc:
        raise InputError(f"{source}:{first_line}: {exc}") from None
    body = lines[1:]
    tags: list[str] = []
    if body and body[-1][1].lstrip().startswith("#") and not is_tags_line(body[-1][1]):
        number, line = body[-1]
        raise InputError(
            f"{source}:{number}: {line.strip()!r} looks like a tags line, but every word of one "
            "starts with # (#rl #reasoning)"
        )
    if body and is_tags_line(body[-1][1]):
        number, line = body.pop()
        try:
            tags = parse_tags(line)
        except InputError as exc:
            raise InputError(f"{source}:{number}: {exc}") from None
    for number, line in body:
        # a blank line lost between two blocks: the comment would swallow the next paper
        if is_arxiv_id(line) or is_tags_line(line):
            what = "an id line" if is_arxiv_id(line) else "a tags line"
            raise InputError(
                f"{source}:{number}: {what} inside the comment of {paper_id}; "
                "separate the blocks with a blank line"
            )
    try:
        comment = clean_comment("\n".join(line for _, line in body))
    except InputError as exc:
        raise InputError(f"{source}:{first_line}: {exc}") from None
    if not comment:
        raise InputError(f"{source}:{first_line}: {id_text.strip()} has no comment")
    return NoteBlock(first_line, paper_id, comment, tags)


def parse_notes(text: str, source: str) -> list[NoteBlock]:
    """Blocks separated by blank lines: an id line, the comment, optionally a last #tags line.

    Every block is validated before any work starts; every bad block is reported at once, each
    with its file and line.
    """
    groups: list[list[tuple[int, str]]] = [[]]
    for number, line in enumerate(normalize_text(text).replace("\r\n", "\n").split("\n"), 1):
        if is_blank(line):
            if groups[-1]:
                groups.append([])
        else:
            groups[-1].append((number, line))
    blocks: list[NoteBlock] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for lines in (g for g in groups if g):
        try:
            block = _block(lines, source)
        except InputError as exc:
            problems.append(str(exc))
            continue
        if block.paper_id.base in seen:
            problems.append(
                f"{source}:{block.line}: {block.paper_id.base} appears twice "
                f"(also line {seen[block.paper_id.base]})"
            )
            continue
        seen[block.paper_id.base] = block.line
        blocks.append(block)
    if problems:
        raise InputError("\n".join(problems))
    if not blocks:
        raise InputError(f"{source}: no notes found (blocks of: id line, comment, optional #tags)")
    return blocks
