"""One note of the author's vault as text: its blocks, what it says of its paper, and the patch
that writes an entry into it while leaving every other character as it is.

A note, in the many layouts he has used since 2019:

- optional YAML front matter (Obsidian's Properties), between `---` lines;
- the arXiv link, on the first non-blank line (`arxiv.org` or `export.arxiv.org`, abs or pdf);
- the title line, `*Title* (Authors)` or `Title (Authors)`, sometimes wrapped onto more lines;
- the abstract as a `>` quote (lazy continuation lines without `>` included);
- the Korean comment: paragraphs with Hangul (a link paragraph just above them belongs to it);
- the English: plain paragraphs after the Korean, or an `<english>…</english>` block;
- a `#tags` line.

Everything else is his and is neither read as the comment nor ever changed: headings and all that
follows a heading after the comment (`# Links`), wiki links, images, code blocks, callouts and
later quotes, tables, rules, a second tags line.

A note is held as pieces: each block's exact text and the exact blank separator before it, so
that joining the pieces gives the note back character for character. `patch_note` is the one rule
for writing: it replaces the blocks whose values differ from the entry's, at their place and in
the note's own style, inserts the ones the note lacks (the English after the Korean, before the
tags line), and never deletes a block for a value the entry does not have.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from pipeline.errors import InputError
from pipeline.text import HANGUL, is_blank, is_tags_line, parse_id, parse_tags, printable


class Kind(StrEnum):
    FRONT = "front matter"
    LINK = "link"
    HEAD = "title"
    ABSTRACT = "abstract"
    KOREAN = "korean"
    ENGLISH = "english"
    TAGS = "tags"
    OTHER = "other"  # his: never read as the entry, never changed


@dataclass(frozen=True)
class Piece:
    gap: str  # the exact separator before the block: line ends and blank lines
    kind: Kind
    text: str  # the block's exact text, without the line end after it
    tagged: bool = False  # English inside <english>…</english>


@dataclass(frozen=True)
class NoteContent:
    """What a note says of its paper; the fields an entry shares with its note."""

    paper_id: str
    title: str
    authors: list[str]
    abstract: str
    comment_ko: str
    comment_en: str
    tags: list[str]


@dataclass(frozen=True)
class Note:
    pieces: list[Piece]
    tail: str  # what follows the last block: its line end, trailing blank lines
    content: NoteContent
    newline: str  # the note's own line end, for what a patch writes

    @property
    def text(self) -> str:
        return "".join(p.gap + p.text for p in self.pieces) + self.tail

    def has(self, kind: Kind) -> bool:
        return any(p.kind is kind for p in self.pieces)


class NoPaper(Exception):
    """The note's first line is no arXiv link: it is not a note of one paper."""


# -- reading -------------------------------------------------------------------------------------
_LINE = re.compile(r"([^\r\n]*)(\r\n|\r|\n|$)")
# the first line's link: a bare URL (with or without its scheme), <URL>, or [text](URL)
_LINK = re.compile(
    r"^(?:<|\[[^\]]*\]\()?((?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/"
    r"[^\s<>()\[\]\u200b-\u200f\u2060\ufeff]+)",
    re.IGNORECASE,
)
_URL_ONLY = re.compile(r"^\s*(?:<?https?://\S+>?\s*)+$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}#{1,6}(?:\s|$)")
# a line of Obsidian links or embeds only: `[[231011 ScaleCrafter]]`, `![[figure.png]]`, `![](x)`
_LINKS_ONLY = re.compile(r"^\s*(?:!?\[\[[^\]]*\]\]|!\[[^\]]*\]\([^)]*\)|\s)+$")
_RULE = re.compile(r"^ {0,3}(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,})$")
# his English block; one note of 2024 opens it misspelled (`<enligsh>`)
_ENGLISH_OPEN = re.compile(r"^\s*<(?:english|enligsh)>", re.IGNORECASE)
_ENGLISH_CLOSE = re.compile(r"</(?:english|enligsh)>", re.IGNORECASE)
_ENGLISH_TAGS = re.compile(r"</?(?:english|enligsh)>", re.IGNORECASE)
_BLANK_RUN = re.compile(r"\n\s*\n")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class _Line:
    start: int
    end: int  # where its content ends (its line end not included)
    content: str

    @property
    def blank(self) -> bool:
        return is_blank(self.content)


def _lines(text: str) -> list[_Line]:
    """The note's lines with their offsets. Only \\n, \\r\\n and \\r end a line: a U+2028 in
    his text is text, not a line break (str.splitlines would split there)."""
    lines, pos = [], 0
    while pos < len(text):
        match = _LINE.match(text, pos)
        assert match is not None  # the pattern matches everywhere, possibly empty
        lines.append(_Line(pos, match.end(1), match.group(1)))
        pos = match.end()
    return lines


def _newline(text: str) -> str:
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf >= text.count("\n") - crlf else "\n"


def paper_link(line: str) -> str | None:
    """The paper id of a note's first line when it is an arXiv link, else None."""
    match = _LINK.match(line.strip().lstrip("\ufeff"))
    if match is None:
        return None
    try:
        return parse_id(match.group(1).rstrip(".,;:")).base
    except InputError:
        return None


def _title_and_authors(text: str) -> tuple[str, list[str]]:
    line = " ".join(text.split())
    if line.startswith("*") and "*" in line[1:]:
        # the emphasis closes at the last `*` before the authors (a title may hold one: A*)
        closing = line.rfind("* (")
        end = closing if closing > 0 else line.rindex("*")
        title, rest = line[1:end], line[end + 1 :].strip()
    else:
        cut = line.rfind(" (")
        title, rest = (line[:cut], line[cut:].strip()) if cut > 0 else (line, "")
    if rest.startswith("("):
        rest = rest[1:]
        if rest.endswith(")"):
            rest = rest[:-1]
    authors = [a.strip() for a in rest.split(",") if a.strip()]
    return " ".join(title.split()), authors


def _may_be_head(line: str) -> bool:
    stripped = line.strip()
    return not (
        stripped.startswith((">", "<", "|", "!["))
        or HANGUL.search(stripped)
        or is_tags_line(stripped)
        or _URL_ONLY.match(stripped)
        or _FENCE.match(line)
        or _HEADING.match(line)
        or _LINKS_ONLY.match(stripped)
        or _RULE.match(line)
    )


class _Reader:
    """Cuts a note into pieces, front to back (see the module's docstring for the layout)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = _lines(text)
        self.at = 0  # the next line to read
        self.pieces: list[Piece] = []
        self.kinds: list[Kind] = []
        self.spans: list[tuple[int, int]] = []  # each piece's first and last line + 1
        self.tagged: list[bool] = []

    def skip_blank(self) -> bool:
        while self.at < len(self.lines) and self.lines[self.at].blank:
            self.at += 1
        return self.at < len(self.lines)

    def paragraph_end(self, start: int) -> int:
        """Where the paragraph from `start` ends: a blank line, or a heading or a code fence,
        which end a paragraph in Markdown without one."""
        if _HEADING.match(self.lines[start].content):
            return start + 1  # a heading is a line of its own
        end = start + 1
        while end < len(self.lines) and not self.lines[end].blank:
            line = self.lines[end].content
            if _HEADING.match(line) or _FENCE.match(line):
                break
            end += 1
        return end

    def add(self, kind: Kind, start: int, end: int, tagged: bool = False) -> None:
        self.kinds.append(kind)
        self.spans.append((start, end))
        self.tagged.append(tagged)
        self.at = end

    def pieces_and_tail(self) -> tuple[list[Piece], str]:
        pieces, previous = [], 0
        for kind, (start, end), tagged in zip(self.kinds, self.spans, self.tagged, strict=True):
            first, last = self.lines[start].start, self.lines[end - 1].end
            pieces.append(Piece(self.text[previous:first], kind, self.text[first:last], tagged))
            previous = last
        return pieces, self.text[previous:]

    def read(self) -> None:
        lines = self.lines
        if lines and lines[0].content.lstrip("\ufeff").strip() == "---":
            close = next(
                (i for i in range(1, len(lines)) if lines[i].content.strip() in ("---", "...")),
                None,
            )
            if close is not None:
                self.add(Kind.FRONT, 0, close + 1)
        if not self.skip_blank() or paper_link(lines[self.at].content) is None:
            raise NoPaper
        self.add(Kind.LINK, self.at, self.at + 1)
        self.read_head_and_abstract()
        self.read_body()

    def read_head_and_abstract(self) -> None:
        lines = self.lines
        if not self.skip_blank():
            return
        if _may_be_head(lines[self.at].content):
            end = self.at + 1
            # a title wrapped onto more lines, or a second line of authors
            while end < len(lines) and not lines[end].blank and _may_be_head(lines[end].content):
                end += 1
            self.add(Kind.HEAD, self.at, end)
            if not self.skip_blank():
                return
        if lines[self.at].content.lstrip().startswith(">") and not _is_callout(
            lines[self.at].content
        ):
            end = self.at + 1
            # `>` lines, and lazy continuation lines (Markdown keeps them in the quote), up to a
            # blank line; his comment (Hangul) or a tags line is never the abstract
            while end < len(lines) and not lines[end].blank:
                line = lines[end].content
                if not line.lstrip().startswith(">") and (
                    HANGUL.search(line)
                    or is_tags_line(line)
                    or _FENCE.match(line)
                    or _HEADING.match(line)
                ):
                    break
                end += 1
            self.add(Kind.ABSTRACT, self.at, end)

    def read_body(self) -> None:
        """The comment's blocks, read in order with where the comment stands (`_State`): the
        English is the prose right after the Korean (or right after a tags line that follows
        the Korean: his early-2024 layout); a tags line after the English, or a heading after
        the Korean, ends the comment, and everything after it is his."""
        lines = self.lines
        state = _State.BEFORE
        tags_read = False
        pending_links: list[int] = []  # link paragraphs just above the comment (indexes)
        while self.skip_blank():
            start = self.at
            line = lines[start].content
            fence = _FENCE.match(line)
            if fence:
                mark = fence.group(1)
                end = start + 1
                while end < len(lines) and not lines[end].content.lstrip(" ").startswith(mark):
                    end += 1
                self.add(Kind.OTHER, start, min(end + 1, len(lines)))
                pending_links.clear()
                continue
            if _ENGLISH_OPEN.match(line) and state is not _State.CLOSED:
                self.add(Kind.ENGLISH, start, self.tagged_end(start), tagged=True)
                state = _State.ENGLISH
                continue
            end = self.paragraph_end(start)
            body_end = end  # the paragraph without the tags lines it ends with
            while body_end > start and is_tags_line(lines[body_end - 1].content):
                body_end -= 1
            if _HEADING.match(line) or _is_setext(lines[start:body_end]):
                self.add(Kind.OTHER, start, start + 1 if _HEADING.match(line) else body_end)
                state = _State.BEFORE if state is _State.BEFORE else _State.CLOSED
                pending_links.clear()
                if _HEADING.match(line):
                    continue
                start = body_end  # a setext heading's tags lines are read below
            if body_end > start and not _is_setext(lines[start:body_end]):
                kind = self.kind_of(start, body_end, state)
                if kind is Kind.KOREAN:
                    for index in pending_links:
                        self.kinds[index] = Kind.KOREAN
                    state = _State.KOREAN
                elif kind is Kind.ENGLISH:
                    state = _State.ENGLISH
                if (
                    kind is Kind.OTHER
                    and state is _State.BEFORE
                    and _URL_ONLY.match("\n".join(line.content for line in lines[start:body_end]))
                ):
                    pending_links.append(len(self.kinds))
                else:
                    pending_links.clear()
                self.add(kind, start, body_end)
            for at in range(body_end, end):
                # the first well-formed tags line is the entry's; another is his text
                ours = (
                    not tags_read
                    and state is not _State.CLOSED
                    and _tags_or_none(lines[at].content) is not None
                )
                self.add(Kind.TAGS if ours else Kind.OTHER, at, at + 1)
                if ours:
                    tags_read = True
                    state = {
                        _State.KOREAN: _State.AFTER_TAGS,  # the English may follow it
                        _State.ENGLISH: _State.CLOSED,  # his layout's end
                    }.get(state, state)

    def tagged_end(self, start: int) -> int:
        """Where an <english> block opened at `start` ends: its closing tag, or, when the tag
        is not closed before a heading that opens a paragraph, the paragraph."""
        lines = self.lines
        for at in range(start, len(lines)):
            if at > start and _HEADING.match(lines[at].content) and lines[at - 1].blank:
                break
            if _ENGLISH_CLOSE.search(lines[at].content):
                return at + 1
        return self.paragraph_end(start)

    def kind_of(self, start: int, end: int, state: _State) -> Kind:
        if state is _State.CLOSED:
            return Kind.OTHER
        block = [line.content for line in self.lines[start:end]]
        after_korean = state in (_State.KOREAN, _State.ENGLISH, _State.AFTER_TAGS)
        if any(HANGUL.search(line) for line in block) and not _not_prose(block):
            # after his Korean, English prose that quotes a Korean word ("the reward (보상)")
            # is English: his Korean has Hangul outside brackets and quotes (each of his 512
            # paragraphs in tests/data does); a Korean aside all in brackets stays Korean
            outside = " ".join(_QUOTED.sub("", line) for line in block)
            if not (after_korean and not HANGUL.search(outside) and _LATIN.search(outside)):
                return Kind.KOREAN
        if after_korean and not _not_prose(block):
            return Kind.ENGLISH
        return Kind.OTHER


class _State(StrEnum):
    """Where a note's comment stands as its blocks are read."""

    BEFORE = "before the comment"
    KOREAN = "in the Korean"
    ENGLISH = "in the English"
    AFTER_TAGS = "after a tags line that follows the Korean"
    CLOSED = "after the comment"


# The first line of a block that is no comment's prose: a quote or callout, a table, HTML, a
# math block, a footnote, indented code, a checklist, a Dataview field, an image with a caption.
_NOT_PROSE = re.compile(
    r"^(?:\s*(?:>|\||<(?!https?:)|\$\$|\[\^[^\]]*\]:|!\[|[-*+] \[[ xX]\])"
    r"|(?: {4}|\t)|\s*[\w-]+:: )"
)
_LATIN = re.compile(r"[A-Za-z]")
# what a quote or a bracket holds, on one line
_QUOTED = re.compile(r'\([^()\n]*\)|"[^"\n]*"|“[^”\n]*”|‘[^’\n]*’|`[^`\n]*`|\[[^\]\n]*\]')
_LETTER = re.compile(r"[A-Za-z\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")  # jamo too (NFD)


def _not_prose(block: list[str]) -> bool:
    """A block neither the Korean nor the English can be: his links, images, math, tables,
    quotes, HTML, footnotes, code, checklists, fields, rules, or nothing to read (emoji)."""
    return bool(
        _NOT_PROSE.match(block[0])
        or all(_LINKS_ONLY.match(line) for line in block)
        or (len(block) == 1 and _RULE.match(block[0]))
        or not any(_LETTER.search(line) for line in block)
    )


def _is_setext(block: list[_Line]) -> bool:
    """A paragraph underlined with === or --- is a heading (Markdown's setext style)."""
    return len(block) > 1 and re.fullmatch(r" {0,3}(=+|-+)\s*", block[-1].content) is not None


def _is_callout(line: str) -> bool:
    return line.lstrip().lstrip(">").lstrip().startswith("[!")


def _tags_or_none(line: str) -> list[str] | None:
    try:
        return parse_tags(line)
    except InputError:
        return None  # a malformed tag: the line is his text, not our tags line


def read_note(text: str, fallback_title: str = "") -> Note:
    """A note's pieces and what it says; raises NoPaper when its first line is no arXiv link.

    `fallback_title` (the file name's) stands for a note without a title line."""
    reader = _Reader(text)
    reader.read()
    pieces, tail = reader.pieces_and_tail()
    # A plain paragraph beside an <english> block is his text, not a second English.
    if any(p.tagged for p in pieces):
        pieces = [
            replace(p, kind=Kind.OTHER) if p.kind is Kind.ENGLISH and not p.tagged else p
            for p in pieces
        ]
    return Note(pieces, tail, _content(pieces, fallback_title), _newline(text))


def _unix(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _abstract_of(text: str) -> str:
    lines = []
    for line in _unix(text).split("\n"):
        stripped = line.strip()
        lines.append(stripped[1:].strip() if stripped.startswith(">") else stripped)
    return "\n".join(lines).strip()


def _english_of(piece: Piece) -> str:
    return _ENGLISH_TAGS.sub("", _unix(piece.text)).strip() if piece.tagged else piece.text


def _content(pieces: list[Piece], fallback_title: str) -> NoteContent:
    def of(kind: Kind) -> list[Piece]:
        return [p for p in pieces if p.kind is kind]

    link = of(Kind.LINK)[0]
    head = of(Kind.HEAD)
    title, authors = _title_and_authors(head[0].text) if head else (fallback_title, [])
    tags = of(Kind.TAGS)
    return NoteContent(
        paper_id=paper_link(link.text) or "",
        title=title,
        authors=authors,
        abstract="\n".join(_abstract_of(p.text) for p in of(Kind.ABSTRACT)),
        comment_ko=join_paragraphs(_unix(p.text) for p in of(Kind.KOREAN)),
        comment_en=join_paragraphs(_unix(_english_of(p)) for p in of(Kind.ENGLISH)),
        tags=(_tags_or_none(tags[0].text) or []) if tags else [],
    )


def paragraphs(text: str) -> list[str]:
    """A comment's paragraphs, each without outer spaces: what two spellings of it share."""
    parts = (p.strip() for p in _BLANK_RUN.split(_unix(text).strip()))
    return [p for p in parts if p]


def join_paragraphs(texts: Iterable[str]) -> str:
    return "\n\n".join(p for text in texts for p in paragraphs(text))


def same_words(a: str, b: str) -> bool:
    return _WHITESPACE.sub(" ", a).strip() == _WHITESPACE.sub(" ", b).strip()


# -- writing -------------------------------------------------------------------------------------
def _head_text(content: NoteContent, emphasis: bool) -> str:
    title = " ".join(content.title.split())
    authors = f" ({', '.join(content.authors)})" if content.authors else ""
    return (f"*{title}*" if emphasis else title) + authors


def _abstract_text(abstract: str, per_line: bool, newline: str) -> str:
    lines = abstract.strip().split("\n") if per_line else [" ".join(abstract.split())]
    return newline.join(f"> {line.strip()}".rstrip() for line in lines)


def _tags_text(tags: list[str], old: str) -> str:
    """The tags line; tags the old line had keep his spelling (`#object_detection`), and so do
    the spaces after it."""
    spelled = {}
    for word in old.split():
        normal = _tags_or_none(word)
        if normal:
            spelled[normal[0]] = word
    line = " ".join(spelled.get(tag, f"#{tag}") for tag in tags)
    trailing = old[len(old.rstrip()) :] if old else " "  # his current layout ends in one space
    return line + trailing


def new_note(content: NoteContent) -> str:
    """A note in his current layout (since August 2025): link, `*Title* (Authors)`, the abstract
    as one `> ` line, the Korean, the English, the tags line ending in one space, no final
    newline; blocks separated by one blank line, and empty ones left out. Written by the patch
    into a note of the link alone, so that it is read back as the patch is (NotHeld)."""
    return patch_note(f"https://arxiv.org/abs/{content.paper_id}", content)


def _written(text: str, newline: str) -> str:
    return printable(text).replace("\n", newline)


class _Patch:
    """The note's pieces being patched; each change keeps the rest as it is."""

    def __init__(self, note: Note) -> None:
        self.pieces = list(note.pieces)
        self.nl = note.newline

    def indexes(self, *kinds: Kind) -> list[int]:
        return [i for i, p in enumerate(self.pieces) if p.kind in kinds]

    def set_text(self, index: int, text: str) -> None:
        """A block written anew: printable (no escape sequence reaches a note), his line ends."""
        self.pieces[index] = replace(self.pieces[index], text=_written(text, self.nl))

    def insert_after(self, index: int, kind: Kind, text: str) -> int:
        """A new block after the one at `index`, a blank line between; a block that followed
        without one (a heading right under a line) gets one, or it would join the new block."""
        piece = Piece(self.nl * 2, kind, _written(text, self.nl))
        self.pieces.insert(index + 1, piece)
        following = index + 2
        if following < len(self.pieces) and _unix(self.pieces[following].gap).count("\n") < 2:
            self.pieces[following] = replace(self.pieces[following], gap=self.nl * 2)
        return index + 1

    def remove(self, index: int) -> None:
        """A block and the separator before it (after it, for a first block)."""
        gone = self.pieces.pop(index)
        if index == 0 and self.pieces:
            self.pieces[0] = replace(self.pieces[0], gap=gone.gap)

    def anchor(self, *kinds: Kind) -> int | None:
        """The last block of the first kind present (blocks are inserted after it)."""
        for kind in kinds:
            found = self.indexes(kind)
            if found:
                return found[-1]
        return None

    def run(self, kind: Kind, wanted: list[str], after: tuple[Kind, ...]) -> None:
        """The paragraphs of one kind (Korean, plain English) set to `wanted`, one by one: a
        paragraph that did not change keeps its bytes; extra ones follow the last (or, where
        there is none, the block of the first kind in `after`: none, nothing is inserted),
        surplus ones go. Nothing is removed when nothing is wanted."""
        if not wanted:
            return
        have = self.indexes(kind)
        for index, text in zip(have, wanted, strict=False):
            if paragraphs(self.pieces[index].text) != [text]:
                self.set_text(index, text)
        at = have[-1] if have else self.anchor(*after)
        if len(wanted) > len(have) and at is not None:
            for text in wanted[len(have) :]:
                at = self.insert_after(at, kind, text)
        for index in reversed(have[len(wanted) :]):
            self.remove(index)


class NotHeld(Exception):
    """What the entry says cannot be written into the note so that the note says it: a comment
    whose text the note's layout would read as something else (a heading, a quote)."""


ALL_FIELDS = frozenset({"head", "abstract", "comment_ko", "comment_en", "tags"})
_META = {"head": Kind.HEAD, "abstract": Kind.ABSTRACT}


def patch_note(
    text: str, content: NoteContent, fallback_title: str = "", only: frozenset[str] = ALL_FIELDS
) -> str:
    """The note with the entry written into it: only blocks whose values differ from the entry
    are replaced (or, when the note lacks them, inserted); every other character stays.

    The result is read back: an English that plain paragraphs cannot hold (one that starts
    with `>` or `#`) goes into an <english> block, and a note that still would not say what the
    entry says raises NotHeld, so that nothing is written that reads back otherwise. `only`
    names the blocks to write (sync writes the English alone). Raises NoPaper for text that
    is no note of a paper."""
    # a note he made without a title line or an abstract keeps it that way: those are written
    # into a note that is only its link (a new one), never inserted into one of his
    note = read_note(text, fallback_title)
    if any(p.kind not in (Kind.LINK, Kind.FRONT) for p in note.pieces):
        kinds = {p.kind for p in note.pieces}
        only = only - {name for name, kind in _META.items() if kind not in kinds}
        if not note.content.authors:  # a title line he wrote without authors stays so
            content = replace(content, authors=[])
    patched = _patch(text, content, fallback_title, tagged=False, only=only)
    if not _holds(patched, content, fallback_title, only):
        patched = _patch(text, content, fallback_title, tagged=True, only=only)
        if not _holds(patched, content, fallback_title, only):
            raise NotHeld(
                "the note would not read back as the draft says (a comment line the note would "
                "take for a heading, a quote or a tags line?)"
            )
    return patched


def _holds(
    text: str, content: NoteContent, fallback_title: str, only: frozenset[str] = ALL_FIELDS
) -> bool:
    """The note says what the entry says, in every field the patch writes."""
    # both as shown: the patch writes what it changes printable, and leaves what it does not
    # change as he typed it (a bidi mark in his Korean stays his)
    said, content = _shown(read_note(text, fallback_title).content), _shown(content)
    head = "head" not in only or not content.title.strip()
    return (
        (head or (same_words(said.title, content.title) and said.authors == content.authors))
        and (
            "abstract" not in only
            or not content.abstract.strip()
            or same_words(said.abstract, content.abstract)
        )
        and (
            "comment_ko" not in only
            or not content.comment_ko.strip()
            or _same_paragraphs(said.comment_ko, content.comment_ko)
        )
        and (
            "comment_en" not in only
            or not content.comment_en.strip()
            or not said.comment_ko  # English follows his Korean: a note without it gets none
            or _same_paragraphs(said.comment_en, content.comment_en)
        )
        and ("tags" not in only or not content.tags or said.tags == content.tags)
    )


def _shown(content: NoteContent) -> NoteContent:
    return NoteContent(
        content.paper_id,
        printable(content.title),
        [printable(a) for a in content.authors],
        printable(content.abstract),
        printable(content.comment_ko),
        printable(content.comment_en),
        content.tags,
    )


def _same_paragraphs(a: str, b: str) -> bool:
    return paragraphs(a) == paragraphs(b)


def _patch(
    text: str, content: NoteContent, fallback_title: str, tagged: bool, only: frozenset[str]
) -> str:
    """patch_note's edits; `tagged`: English that the note has as plain paragraphs (or lacks)
    is written as an <english> block instead."""
    note = read_note(text, fallback_title)
    old, patch = note.content, _Patch(note)

    if (
        "head" in only
        and content.title.strip()
        and (not same_words(content.title, old.title) or content.authors != old.authors)
    ):
        heads = patch.indexes(Kind.HEAD)
        if heads:
            emphasis = patch.pieces[heads[0]].text.lstrip().startswith("*")
            patch.set_text(heads[0], _head_text(content, emphasis))
        else:
            link = patch.indexes(Kind.LINK)[0]
            patch.insert_after(link, Kind.HEAD, _head_text(content, True))

    if (
        "abstract" in only
        and content.abstract.strip()
        and not same_words(content.abstract, old.abstract)
    ):
        found = patch.indexes(Kind.ABSTRACT)
        if found:
            per_line = "\n" in _unix(patch.pieces[found[0]].text)
            patch.set_text(found[0], _abstract_text(content.abstract, per_line, "\n"))
        else:
            at = patch.anchor(Kind.HEAD, Kind.LINK)
            assert at is not None  # every note has its link
            patch.insert_after(at, Kind.ABSTRACT, _abstract_text(content.abstract, False, "\n"))

    korean = paragraphs(content.comment_ko)
    if "comment_ko" in only and korean != paragraphs(old.comment_ko):
        patch.run(Kind.KOREAN, korean, after=(Kind.ABSTRACT, Kind.HEAD, Kind.LINK))

    english = paragraphs(content.comment_en)
    if "comment_en" in only and english != paragraphs(old.comment_en):
        present = patch.indexes(Kind.ENGLISH)
        blocks = [i for i in present if patch.pieces[i].tagged] or (present if tagged else [])
        if english and (blocks or (tagged and patch.indexes(Kind.KOREAN))):
            inner = "\n\n".join(english)
            block = f"<english>\n{inner}\n</english>"
            if blocks:
                patch.set_text(blocks[0], block)
                for index in reversed([i for i in present if i != blocks[0]]):
                    patch.remove(index)
            else:
                patch.insert_after(patch.indexes(Kind.KOREAN)[-1], Kind.ENGLISH, block)
        else:  # English follows his Korean; a note without Korean gets none
            patch.run(Kind.ENGLISH, english, after=(Kind.KOREAN,))

    if "tags" in only and content.tags and content.tags != old.tags:
        found = patch.indexes(Kind.TAGS)
        if found:
            patch.set_text(found[0], _tags_text(content.tags, patch.pieces[found[0]].text))
        else:  # after the comment, whichever of its blocks comes last
            comment = patch.indexes(Kind.ENGLISH, Kind.KOREAN)
            at = comment[-1] if comment else patch.anchor(Kind.ABSTRACT, Kind.HEAD, Kind.LINK)
            assert at is not None
            patch.insert_after(at, Kind.TAGS, _tags_text(content.tags, ""))

    return "".join(p.gap + p.text for p in patch.pieces) + note.tail
