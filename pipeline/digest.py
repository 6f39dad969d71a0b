"""The digest text format (tests/data/format.md): render entries and days, and read them back."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from pipeline.errors import InputError
from pipeline.text import HANGUL, is_tags_line

_DATE_LINE = re.compile(r"^(\d{4})년 (\d{1,2})월 (\d{1,2})일$")
_WHITESPACE = re.compile(r"\s+")


def one_line(text: str) -> str:
    """Line breaks (and the spaces around them) become single spaces."""
    return " ".join(part.strip() for part in text.strip().splitlines() if part.strip())


def collapse(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def korean_date(date: str) -> str:
    day = dt.date.fromisoformat(date)
    return f"{day.year}년 {day.month}월 {day.day}일"


def parse_korean_date(line: str) -> str | None:
    match = _DATE_LINE.match(line)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


@dataclass
class TextEntry:
    """What the text format carries of an entry."""

    title: str
    authors: list[str]
    abstract: str
    comment_ko: str
    comment_en: str
    tags: list[str] = field(default_factory=list)


@dataclass
class TextDay:
    date: str
    entries: list[TextEntry] = field(default_factory=list)


def render_entry(entry: TextEntry) -> str:
    lines = [
        collapse(entry.title),
        "(" + ", ".join(entry.authors) + ")",
        entry.abstract.strip("\n"),
        one_line(entry.comment_ko),
        one_line(entry.comment_en),
    ]
    if entry.tags:
        lines.append(" ".join(f"#{tag}" for tag in entry.tags))
    return "\n".join(lines) + "\n"


def render_day(date: str, entries: list[TextEntry]) -> str:
    return korean_date(date) + "\n" + "".join(render_entry(e) for e in entries)


class DigestParseError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.reason = message

    def naming(self, source: str) -> InputError:
        """The error as the author sees it: the file and the line."""
        return InputError(f"{source}:{self.line}: {self.reason}")


def _split_authors(line: str) -> list[str]:
    inner = line[1:-1]
    return [a.strip() for a in inner.split(", ")] if inner.strip() else []


def parse_digest(text: str) -> list[TextDay]:
    """Read one or several days back; errors carry the 1-based line number. Windows line ends
    (a file saved by another editor) read as line ends."""
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline; a file without one is read the same
    days: list[TextDay] = []
    i = 0

    def need(what: str) -> str:
        if i >= len(lines):
            raise DigestParseError(i + 1, f"the file ends where {what} should be")
        return lines[i]

    while i < len(lines):
        line = lines[i]
        date = parse_korean_date(line)
        if date is not None:
            days.append(TextDay(date))
            i += 1
            continue
        if not days:
            raise DigestParseError(
                i + 1, f"expected a date line like '2025년 6월 24일', got {line!r}"
            )
        if not line.strip():
            raise DigestParseError(i + 1, "blank line (the format has none)")
        title = line
        title_at = i + 1
        i += 1
        authors_line = need("the authors line")
        if not _is_authors_line(authors_line):
            raise DigestParseError(i + 1, "expected the authors line '(Author, Author)'")
        i += 1
        start = i
        while i < len(lines) and not HANGUL.search(lines[i]):
            if parse_korean_date(lines[i]) is not None:
                break
            i += 1
        if i == start:
            raise DigestParseError(i + 1, "expected the abstract")
        merged = _next_entry_within(lines, start, i)
        if merged is not None:
            raise DigestParseError(
                merged + 1,
                "another entry seems to start here (a title, then '(authors)'), inside the "
                f"abstract of the entry at line {title_at}: that entry has no Korean comment "
                "(a line with Hangul); add one, or split the entries by hand",
            )
        if i >= len(lines) or not HANGUL.search(lines[i]):
            raise DigestParseError(i + 1, "expected the Korean comment (a line with Hangul)")
        abstract = "\n".join(lines[start:i])
        comment_ko = lines[i]
        i += 1
        comment_en = need("the English comment")
        i += 1
        tags: list[str] = []
        if i < len(lines) and is_tags_line(lines[i]):
            tags = [t[1:] for t in lines[i].split()]
            i += 1
        days[-1].entries.append(
            TextEntry(title, _split_authors(authors_line), abstract, comment_ko, comment_en, tags)
        )
    return days


_SENTENCE_END = (".", ",", ";", ":")
_LIST_ITEM = re.compile(r"^(?:[-*•–]\s|\d+[.)]\s|\[\d+\]\s)")


def _is_authors_line(line: str) -> bool:
    return line.startswith("(") and line.endswith(")")


def _next_entry_within(lines: list[str], start: int, end: int) -> int | None:
    """The index of a title line inside an abstract, which means two entries were read as one.

    An entry whose comment has no Hangul leaves the reader nothing to end its abstract, so it
    reads on into the next entry. What shows it: `(authors)` right after a title-like line,
    with at least four lines before it (the abstract, the comment without Hangul, the English
    and the title) and the next abstract after it. A tags line before the title makes it
    certain; without one, the title must not end like a sentence, as abstract lines do.
    """
    for k in range(start + 4, end - 1):
        if not _is_authors_line(lines[k]):
            continue
        title, before = lines[k - 1], lines[k - 2]
        if is_tags_line(before) or _looks_like_title(title):
            return k - 1
    return None


def _looks_like_title(line: str) -> bool:
    """Not a sentence, a list item or a parenthesis, as the lines of an abstract may be."""
    line = line.strip()
    return (
        bool(line)
        and not line.endswith(_SENTENCE_END)
        and not _LIST_ITEM.match(line)
        and not line.startswith("(")
    )
