"""Comment stage: the author's Korean comment and tags, from an option, a file, stdin, $EDITOR,
or a notes file holding a whole day."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.arxiv import PaperId, parse_id
from pipeline.entry import Entry
from pipeline.errors import InputError

_UNDECODABLE = re.compile("[\udc80-\udcff]")  # how Python keeps bytes it could not decode
GUIDE = "//"  # guide lines in the editor template; '#' already starts the tags line
_TAG_OK = re.compile(r"^[0-9a-z\uac00-\ud7a3][0-9a-z\uac00-\ud7a3.+-]*$")


def normalize_tag(raw: str) -> str:
    """'#Object_Detection' -> 'object-detection'; words joined by '-'."""
    tag = raw.strip().lstrip("#").strip().lower()
    return re.sub(r"[\s_-]+", "-", tag).strip("-")


def parse_tags(text: str | Iterable[str]) -> list[str]:
    """Tags separated by spaces or commas, '#' optional, order kept, duplicates dropped."""
    words = re.split(r"[\s,]+", text) if isinstance(text, str) else list(text)
    tags: list[str] = []
    for word in words:
        if not word.strip() or word.strip() == "#":
            continue
        tag = normalize_tag(word)
        if not _TAG_OK.match(tag):
            raise InputError(f"tag {word!r} is not a tag (letters, digits and '-' only)")
        if tag not in tags:
            tags.append(tag)
    return tags


def is_tags_line(line: str) -> bool:
    words = line.split()
    return bool(words) and all(w.startswith("#") and len(w) > 1 for w in words)


# The author's longest comment in a year is 859 characters; ten times that is a wrong file or
# paste (a whole paper), which would be sent to the model at its full cost.
MAX_CHARS = 8000


def clean_comment(text: str) -> str:
    """Outer blank lines and trailing spaces go; the author's own line breaks stay.

    Every way the author's text comes in passes here, so the input rules live here too.
    """
    if _UNDECODABLE.search(text):  # bytes that were not UTF-8 (a command-line argument)
        raise InputError("the text is not UTF-8; nothing was saved")
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    cleaned = "\n".join(lines).strip("\n").strip()
    if len(cleaned) > MAX_CHARS:
        raise InputError(
            f"the text is {len(cleaned):,} characters; a comment is at most {MAX_CHARS:,} "
            "(a wrong file?)"
        )
    return cleaned


def read_text_file(path: Path, what: str) -> str:
    """An input file of the author's, as text: UTF-8 (a BOM is dropped), or one clear error."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{what} {path} does not exist") from None
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror}") from None
    return _decode(data, f"{what} {path}")


def read_stdin() -> str:
    return _decode(sys.stdin.buffer.read(), "stdin")


def _decode(data: bytes, source: str) -> str:
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
    the text in it."""
    try:
        process = subprocess.Popen(command)
    except OSError as exc:
        raise InputError(f"cannot start the editor {editor!r}: {exc.strerror}") from None
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if in_main_thread else None
    try:
        return process.wait()
    finally:
        if in_main_thread:
            signal.signal(signal.SIGINT, previous or signal.default_int_handler)


def run_editor(
    template: str, editor: str | None = None, what: str = "comment", retry_with: str = ""
) -> tuple[str, list[str] | None]:
    """Open $VISUAL/$EDITOR on the template; the text and tags the author saved.

    Text that cannot be taken (a bad tag, not UTF-8) is not thrown away: the file is kept and
    the error names it, with `retry_with` ("... {path}") saying how to use it.
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
            comment, tags = parse_edited(path.read_text(encoding="utf-8"))
        except (InputError, UnicodeDecodeError) as exc:
            keep = True
            problem = str(exc) if isinstance(exc, InputError) else "the text is not UTF-8"
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


# -- notes files --------------------------------------------------------------------------------
@dataclass
class NoteBlock:
    line: int  # where the block starts, for messages
    paper_id: PaperId
    comment: str
    tags: list[str] = field(default_factory=list)


def parse_notes(text: str, source: str) -> list[NoteBlock]:
    """Blocks separated by blank lines: an id line, the comment, optionally a last #tags line.

    Every block is validated before any work starts; errors name file and line.
    """
    blocks: list[NoteBlock] = []
    seen: dict[str, int] = {}
    current: list[tuple[int, str]] = []

    def close() -> None:
        if not current:
            return
        first_line, id_text = current[0]
        try:
            paper_id = parse_id(id_text)
        except InputError as exc:
            raise InputError(f"{source}:{first_line}: {exc}") from None
        body = [text for _, text in current[1:]]
        tags: list[str] = []
        if body and is_tags_line(body[-1]):
            try:
                tags = parse_tags(body.pop())
            except InputError as exc:
                raise InputError(f"{source}:{current[len(body) + 1][0]}: {exc}") from None
        try:
            comment = clean_comment("\n".join(body))
        except InputError as exc:
            raise InputError(f"{source}:{first_line}: {exc}") from None
        if not comment:
            raise InputError(f"{source}:{first_line}: {id_text.strip()} has no comment")
        if paper_id.base in seen:
            raise InputError(
                f"{source}:{first_line}: {paper_id.base} appears twice (also line {seen[paper_id.base]})"
            )
        seen[paper_id.base] = first_line
        blocks.append(NoteBlock(first_line, paper_id, comment, tags))
        current.clear()

    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), 1):
        if line.strip():
            current.append((number, line))
        else:
            close()
    close()
    if not blocks:
        raise InputError(f"{source}: no notes found (blocks of: id line, comment, optional #tags)")
    return blocks
