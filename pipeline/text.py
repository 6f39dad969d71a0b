"""Text helpers the stages share: Hangul, normalisation, blank lines, tags, and arXiv ids."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from pipeline.errors import InputError

# Hangul jamo, compatibility jamo and syllables: any of them in an English text is Korean left.
HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")


def has_hangul(text: str) -> bool:
    return HANGUL.search(text) is not None


def normalize_text(text: str) -> str:
    """NFC, so that decomposed Hangul (macOS file names, some editors) is the Hangul we match."""
    return unicodedata.normalize("NFC", text)


def is_blank(line: str) -> bool:
    """A line with nothing visible: spaces, or invisible format characters (a zero-width space)."""
    return all(ch.isspace() or unicodedata.category(ch) == "Cf" for ch in line)


def edit_distance(a: str, b: str, limit: int) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) from a to b; limit + 1 past limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, before[j - 2] + 1)  # a typo that swaps two letters
            current.append(cost)
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return previous[-1]


# A note marker as the author writes one in Korean (참고:, 노트:, 주:, p.s.): where his comment has
# one, a note in the English is his, not model chatter (cleanup and the checks both ask).
NOTE_MARK = re.compile(r"(?:참고|노트|\bnote|\b주)\s*[:：]|\bp\.\s?s\b", re.IGNORECASE)


# -- what chat models say around a translation -------------------------------------------------
# Regular-expression fragments (matched ignoring case) of the chatter a model wraps around a
# translation: cleanup (translate.clean_reply) strips it where it cannot be the author's text, the
# chatter check (check.check_chatter) reports what is left. One copy each, so that the two agree.

# What a reply opens with ("Sure!", "Certainly, here is…"), as alternatives to put in a group:
# the courtesies, which never open a sentence of the author's (alone before the text, they are
# chatter), then words he may open with too ("Great results", "OK, so").
COURTESY_WORDS = r"sure|certainly|of course|absolutely|no problem"
OPENER_WORDS = COURTESY_WORDS + r"|okay|ok|alright|great"
# An announcement of what follows: "Here is…", "Below are…", "The following is…".
ANNOUNCING = r"(?:here|below (?:is|are)|the following is)\b"
# The translation named as such: "The English translation of the comment reads", "My version".
TRANSLATION_LABEL = (
    r"(?:the |my |an? )?(?:english |full |final )?(?:translation|version|rendering)"
    r"(?: of [^\n:]{0,40})?(?: is| reads)?(?: as follows)?"
)
ENGLISH_LABEL = r"english(?: version| text)?"  # "English:", "English version:"
I_TRANSLATED = r"i(?:'ve| have) translated\b"  # "I have translated it as follows."
# The label of a note a model adds: "Translator's note", "N.B.", "Explanation", "P.S.".
NOTE_LABEL = (
    r"(?:translator'?s?|translation|translated|editor'?s?)?\s*"
    r"(?:note|notes|n\.b\.|explanation|remark|p\.s\.)"
)
# The phrases a chat model signs off or offers more with ("Let me know", "Feel free to ask",
# "Would you like me to…"): cleanup strips them from a reply's end, the checks flag what is left.
SIGN_OFF_PHRASES = (
    r"let me know|hope (?:this|that|it) helps"
    r"|feel free to (?:ask|reach|let|request|tell)"
    r"|happy to (?:help|adjust|revise|assist)"
    r"|if you(?:'d| would) like (?:me|any|a |more|further|another|changes)"
    r"|if you need (?:any|anything|more|further|help|changes)|is there anything else"
    r"|i can (?:also )?(?:adjust|revise|rephrase|provide|tweak)"
    r"|(?:would|do) you (?:like|want) (?:me|a |any)"
)


# -- characters that are no text ----------------------------------------------------------------
# What a model's reply (or a broken transport) may carry that is no text: terminal escape
# sequences (ESC[2J clears the screen, ESC]0;…BEL retitles the window), C0 and C1 control
# characters (NUL, BEL, DEL, U+009B), bidi overrides that make text display in another order than
# it reads, and lost characters: a lone surrogate (half of an emoji) or U+FFFD (bytes that were
# not UTF-8). Tab and newline are text.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"  # CSI: ESC[2J, ESC[31m
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"  # OSC: ESC]0;title BEL
    r"|(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x9c\n]*(?:\x1b\\|\x9c)?"  # DCS, SOS, PM, APC
    r"|\x1b[ -/]*[0-~]?"  # any other: ESC c, ESC(B, a lone ESC
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LOST = re.compile(r"( ?)[\ud800-\udfff\ufffd]+( ?)")
# any of the above starts with one of these (ESC and CR among the controls): one quick look
_SUSPECT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffd]")
# Where a character was lost inside a word (mod�l), removing it would leave a misspelt word the
# checks cannot see, or hide Hangul the transport broke: the place is marked, and the mark is an
# error (check_characters), so the English is asked for again or fixed by hand.
LOST_MARK = "[?]"
_CONTROL_NAMES = {
    "\x00": "NUL",
    "\x07": "BEL",
    "\x08": "BS",
    "\x0b": "VT",
    "\x0c": "FF",
    "\x7f": "DEL",
}


def _control_name(char: str) -> str:
    return _CONTROL_NAMES.get(char, f"U+{ord(char):04X}")


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def unprintable(text: str) -> str | None:
    """The first character of `text` that is no text (a control character, an escape, a lost
    character, a bidi override), named; None when there is none. A lone carriage return is one
    (it moves a terminal's cursor back over the line); CRLF is a line end."""
    text = text.replace("\r\n", "\n")
    if not _SUSPECT.search(text):
        return None
    for pattern in (_ESCAPE_SEQUENCE, _CONTROL, _LOST):
        if match := pattern.search(text):
            char = match.group(0)[0]
            if char in "\ufffd":
                return "U+FFFD (a character lost in transport)"
            if "\ud800" <= char <= "\udfff":
                return f"a lone surrogate U+{ord(char):04X} (half a character)"
            return "an escape sequence" if char in "\x1b\x9b\x9d" else _control_name(char)
    return None


def printable(text: str) -> str:
    """`text` as it may be shown or published: no escape sequence, control character, bidi
    override or lost character reaches a terminal, a page or a note (drafts keep text as
    typed; what shows it passes it through here)."""
    return strip_unprintable(text)[0]


def strip_unprintable(text: str) -> tuple[str, list[str]]:
    """`text` without what is no text, and what went (for the draft's `cleanup`).

    Escape sequences, control characters and bidi overrides carry no text: they go. A lost
    character goes where it stood apart from words (a lost emoji or dash); inside a word it is
    replaced by LOST_MARK. Line ends become newlines."""
    if not _SUSPECT.search(text):
        return text, []
    removed: list[str] = []
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    sequences = len(_ESCAPE_SEQUENCE.findall(text))
    if sequences:
        text = _ESCAPE_SEQUENCE.sub("", text)
        removed.append(f"removed {_count(sequences, 'terminal escape sequence')}")
    controls = _CONTROL.findall(text)
    if controls:
        text = _CONTROL.sub("", text)
        names = ", ".join(dict.fromkeys(_control_name(c) for c in controls))
        removed.append(f"removed {_count(len(controls), 'control character')} ({names})")
    # a surrogate pair split into two code points is one character again
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")
    lost = {"apart": 0, "inside": 0}

    def replace(match: re.Match[str]) -> str:
        space_before, space_after = match.group(1), match.group(2)
        before = space_before or (text[match.start() - 1] if match.start() else " ")
        after = space_after or (text[match.end()] if match.end() < len(text) else " ")
        if before.isalnum() or after.isalnum():
            lost["inside"] += 1
            return space_before + LOST_MARK + space_after
        lost["apart"] += 1
        return " " if space_before and space_after else ""

    text = _LOST.sub(replace, text)
    if lost["apart"]:
        removed.append(
            f"removed {_count(lost['apart'], 'lost character')} (U+FFFD or half a surrogate pair)"
        )
    if lost["inside"]:
        removed.append(
            f"marked {_count(lost['inside'], 'character')} lost inside a word as {LOST_MARK}"
        )
    return text, removed


# -- tags ---------------------------------------------------------------------------------------
# Obsidian's nested tags (#ml/rl) are tags too
_TAG_OK = re.compile(r"^[0-9a-z\uac00-\ud7a3][0-9a-z\uac00-\ud7a3.+/-]*(?<!/)$")


def is_tags_line(line: str) -> bool:
    """`#a #b`: every word a '#' and at least one character (any spacing between them)."""
    words = line.split()
    return bool(words) and all(w.startswith("#") and len(w) > 1 for w in words)


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


# -- arXiv ids ----------------------------------------------------------------------------------
_NEW_ID = re.compile(r"^(?P<base>(?P<yymm>\d{4})\.\d{4,5})(?P<version>v\d+)?$")
_OLD_ID = re.compile(
    r"^(?P<archive>[a-z]+(?:-[a-z]+)*)(?:\.[A-Za-z]{2})?/(?P<num>\d{7})(?P<version>v\d+)?$"
)
_ARXIV_URL = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/(?P<rest>.+?)/?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class PaperId:
    """A paper as the author named it: the canonical id, and a version if he gave one."""

    base: str  # 2506.18896 or hep-th/9901001: one draft per base
    version: str = ""  # "v2", or "" for the latest

    @property
    def query(self) -> str:
        return self.base + self.version

    def __str__(self) -> str:
        return self.query


def parse_id(text: str) -> PaperId:
    """Any spelling of an arXiv id (plain, versioned, arXiv:, abs/pdf URL, old-style)."""
    raw = text.strip()
    candidate = raw
    url = _ARXIV_URL.match(candidate.split("?")[0].split("#")[0])
    if url:
        candidate = url.group("rest")
        if candidate.lower().endswith(".pdf"):
            candidate = candidate[:-4]
    elif candidate.lower().startswith("arxiv:"):
        candidate = candidate[6:].strip()
    new = _NEW_ID.match(candidate)
    if new and 1 <= int(new.group("yymm")[2:]) <= 12:
        return PaperId(new.group("base"), new.group("version") or "")
    old = _OLD_ID.match(candidate)
    if old:
        # arXiv's canonical old-style id drops the subject class: math.GT/0309136 -> math/0309136
        return PaperId(f"{old.group('archive')}/{old.group('num')}", old.group("version") or "")
    shown = raw if len(raw) <= 80 else raw[:77] + "..."
    raise InputError(
        f"not an arXiv id: {shown!r} (expected e.g. 2506.18896, arXiv:2506.18896v2, "
        "https://arxiv.org/abs/2506.18896 or hep-th/9901001)"
    )


_ARXIV_PAGE = re.compile(r"^https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/[\w./-]+$", re.I)


def arxiv_page(href: str) -> str | None:
    """An http(s) address of a page on arxiv.org (/abs/ or /pdf/), as https; None for anything
    else. Links come from the network or a hand-edited draft: a `javascript:` one must never
    reach a page."""
    href = href.strip()
    if not _ARXIV_PAGE.match(href):
        return None
    return "https://" + href.split("://", 1)[1]


def is_arxiv_id(text: str) -> bool:
    try:
        parse_id(text)
    except InputError:
        return False
    return True


# -- dates --------------------------------------------------------------------------------------
def today() -> str:
    return dt.date.today().isoformat()


def parse_day(value: str) -> str:
    """A date as the contract takes it (YYYY-MM-DD), or `today` / `yesterday`."""
    text = value.strip()
    words = {"today": 0, "yesterday": 1}
    if text.lower() in words:
        return (dt.date.today() - dt.timedelta(days=words[text.lower()])).isoformat()
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError  # fromisoformat also takes 20250624 and week dates; the contract not
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise InputError(f"date {value!r} is not a date YYYY-MM-DD (or today, yesterday)") from None


class DateSpan(NamedTuple):
    """A day, or a range of days with both ends included: its two ends, never its days one by
    one (a range is matched against the days that have drafts)."""

    first: str  # YYYY-MM-DD
    last: str

    def __str__(self) -> str:
        return self.first if self.first == self.last else f"{self.first}..{self.last}"


def parse_dates(value: str) -> DateSpan:
    """A date, or a range `D1..D2` with both days included."""
    if ".." not in value:
        day = parse_day(value)
        return DateSpan(day, day)
    first_text, _, last_text = value.partition("..")
    first, last = parse_day(first_text), parse_day(last_text)
    if last < first:
        raise InputError(f"date range {value!r} ends before it starts")
    return DateSpan(first, last)
