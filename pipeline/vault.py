"""The author's notes vault: one Markdown file per paper, turned into entries.

A note is, in order: an arXiv URL line; `*Title* (Author, Author, ...)` (asterisks optional);
the abstract as a `>` quote; the Korean comment; the English in an `<english>...</english>`
block or as plain paragraphs after the Korean; a `#tags` line; optionally a `# Links` section,
which is ignored. The day comes from the file name: `YYMMDD Title.md`. Real notes lack parts;
a note without an arXiv link, a date or a Korean comment is skipped with its reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.arxiv import parse_id
from pipeline.comment import is_tags_line, parse_tags
from pipeline.digest import HANGUL
from pipeline.errors import InputError

_ARXIV_URL = re.compile(r"https?://(?:www\.)?arxiv\.org/(?:abs|pdf)/\S+", re.IGNORECASE)
_FILE_DATE = re.compile(r"^(\d{2})(\d{2})(\d{2})\s+(.*?)(?:\.md)?$")
_URL_ONLY = re.compile(r"^\s*(?:https?://\S+\s*)+$")

NO_LINK = "no arXiv link"
NO_DATE = "no date in the file name"
NO_COMMENT = "no Korean comment"
UNREADABLE = "unreadable: not UTF-8 or no permission"


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


def parse_note(text: str, path: Path) -> VaultNote:
    """One note; raises Skip(reason) when the note has no usable entry in it."""
    date, file_title = note_date(path)
    lines = text.replace("\r\n", "\n").split("\n")
    if "# Links" in (line.strip() for line in lines):
        lines = lines[: [line.strip() for line in lines].index("# Links")]
    head = [i for i, line in enumerate(lines) if line.strip()][:3]
    link_at = next((i for i in head if _ARXIV_URL.search(lines[i])), None)
    if link_at is None:
        raise Skip(NO_LINK)
    url = _ARXIV_URL.search(lines[link_at])
    assert url is not None
    try:
        paper_id = parse_id(url.group(0).rstrip(").,"))
    except InputError:
        raise Skip(NO_LINK) from None
    rest = lines[link_at + 1 :]

    title = file_title
    authors: list[str] = []
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
            rest = rest[first + 1 :]

    abstract = "\n".join(line[1:].strip() for line in rest if line.startswith(">")).strip()
    body = "\n".join(line for line in rest if not line.startswith(">"))
    english_blocks = re.findall(r"<english>(.*?)</english>", body, re.DOTALL | re.IGNORECASE)
    body = re.sub(r"<english>.*?</english>", "\n\n", body, flags=re.DOTALL | re.IGNORECASE)

    korean: list[str] = []
    english: list[str] = [b.strip() for b in english_blocks if b.strip()]
    tags: list[str] = []
    leading_links: list[str] = []
    plain_english: list[str] = []
    for paragraph in re.split(r"\n\s*\n", body):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        para_lines = paragraph.split("\n")
        if is_tags_line(para_lines[-1]):
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
        elif korean:
            plain_english.append(paragraph)
    if not korean:
        raise Skip(NO_COMMENT)
    return VaultNote(
        path=path,
        date=date,
        paper_id=paper_id.base,
        title=title,
        authors=authors,
        abstract=abstract,
        comment_ko="\n\n".join(leading_links + korean),
        comment_en="\n\n".join(english or plain_english),
        tags=list(dict.fromkeys(tags)),
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest()[:16],
    )


def note_files(folder: Path) -> list[Path]:
    """Every Markdown file below the folder, in a stable order (by name: by date)."""
    return sorted(folder.rglob("*.md"), key=lambda p: (p.name, str(p)))
