"""Renderings of one day or a range of days: the digest text format, Markdown, one HTML page, and
versioned JSON.

Every renderer takes the days in order, `render(days, span=None) -> str`, where `days` is a list of
`DayEntries(date, entries)` (plain `(date, entries)` tuples work too) and `span` the range the
author asked for (`("2025-06-01", "2025-06-30")`), or None for a single DATE.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

from pipeline.digest import TextEntry, korean_date, parse_digest, render_day, render_entry
from pipeline.entry import AWAITING, NEEDS_REVIEW, Entry
from pipeline.errors import InputError
from pipeline.page import render_page
from pipeline.text import HANGUL, arxiv_page, parse_id, printable

if TYPE_CHECKING:
    from pipeline.config import Settings

# Not a URL: nothing is published at an address, and a dead link is worse than a name (issue 18).
JSON_SCHEMA_ID = "urn:digest:schema:digest-v1"
JSON_VERSION = 1


class DayEntries(NamedTuple):
    date: str  # YYYY-MM-DD
    entries: list[Entry]


Days = Sequence[tuple[str, list[Entry]]]
Span = tuple[str, str]


class Renderer(Protocol):
    def __call__(self, days: Days, *, span: Span | None = None) -> str: ...


def text_entry(entry: Entry) -> TextEntry:
    return TextEntry(
        entry.title, entry.authors, entry.abstract, entry.comment_ko, entry.comment_en, entry.tags
    )


def arxiv_link(entry: Entry) -> str:
    """The paper's arXiv page, or "" when none is known.

    The URL arXiv gave is kept only when it is an http(s) abstract page on arxiv.org; anything
    else (a `javascript:` URL, another host) is rebuilt from the id (issue 14).
    """
    if entry.source == "digest":
        return ""  # imported from a text digest: no arXiv id is known
    page = arxiv_page(entry.url)
    if page and "/abs/" in page:
        return page
    try:
        return f"https://arxiv.org/abs/{parse_id(entry.id).base}"
    except InputError:
        return ""


def pending_label(entry: Entry) -> str:
    """What an entry exported with --force still needs ("" when it is ready)."""
    if entry.status == AWAITING or not entry.comment_en.strip():
        return "awaiting translation"
    if entry.status == NEEDS_REVIEW or entry.errors:
        return "needs review"
    return ""


def _as_days(days: Days) -> list[DayEntries]:
    return [DayEntries(date, list(entries)) for date, entries in days]


def _span_of(days: list[DayEntries], span: Span | None) -> Span:
    if span is not None:
        return span
    return (days[0].date, days[-1].date) if days else ("", "")


def _range_title(span: Span) -> str:
    first, last = span
    if first == last:
        return korean_date(first)
    end = korean_date(last)
    if first[:4] == last[:4]:
        end = end.split(" ", 1)[1]  # the year once: 2025년 6월 24일 – 7월 1일
    return f"{korean_date(first)} – {end}"


# -- text --------------------------------------------------------------------------------------
_PROBE_BEFORE = TextEntry("Before", ["A"], "Before.", "앞.", "Before.", [])
_PROBE_AFTER = TextEntry("After", ["A"], "After.", "뒤.", "After.", ["after"])


def text_problem(entry: Entry) -> str:
    """Why the entry cannot be written in the text format, or "" when it can.

    The format has no blank lines and finds the Korean comment by its Hangul, so an entry with
    no English yet, no title or abstract, or a comment without Hangul would not read back as
    itself (it would merge into its neighbour or break the file).
    """
    if not entry.comment_en.strip():
        return "no English yet (awaiting translation)"
    if not entry.title.strip() or not entry.abstract.strip():
        return "the paper's title and abstract are not fetched from arXiv yet"
    if not HANGUL.search(entry.comment_ko):
        return "the Korean comment has no Hangul, so a reader cannot tell it from the abstract"
    if HANGUL.search(entry.abstract) or HANGUL.search(entry.title):
        return (
            "the paper's title or abstract holds Hangul, which the text format reads as the "
            "start of the Korean comment"
        )
    mine = text_entry(entry)
    if any(not line.strip() for line in render_entry(mine).splitlines()):
        return "it holds a blank line (in the abstract), which the text format does not have"
    # Anything else the reader would take differently: read it back between two entries, the one
    # before without tags, so that it can neither swallow nor be swallowed by a neighbour.
    entries = [_PROBE_BEFORE, mine, _PROBE_AFTER]
    written = render_day("2000-01-01", entries)
    try:
        [day] = parse_digest(written)
    except ValueError:
        return "it would not read back from the text format"
    if [render_entry(e) for e in day.entries] != [render_entry(e) for e in entries]:
        return "it would not read back from the text format"
    return ""


def text_left_out(days: Days) -> list[tuple[Entry, str]]:
    """The entries the text rendering leaves out, each with the reason (see text_problem)."""
    return [
        (entry, problem)
        for _date, entries in days
        for entry in entries
        if (problem := text_problem(entry))
    ]


def render_text(days: Days, *, span: Span | None = None) -> str:
    """The digest text format, the days one after another, each opened by its date line.

    An entry the format cannot carry (text_problem: chiefly one awaiting translation under
    `export --force`) is left out rather than written as a line the format forbids; the caller
    names them with text_left_out. So whatever this writes, `digest import` reads back. In a
    range, a day left with no entry is left out too (it would not come back from an import).
    """
    out = []
    for date, entries in _as_days(days):
        carried = [text_entry(e) for e in entries if not text_problem(e)]
        if carried or span is None:
            out.append(render_day(date, carried))
    return "".join(out)


# -- Markdown ----------------------------------------------------------------------------------
_MD_INLINE = re.compile(r"[\\`*_\[\]<>|~$]|&(?=#?\w+;)")
_MD_HEADING = re.compile(r"^#{1,6}(?=\s|$)")
_MD_ORDERED = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")


def _md_escape(text: str) -> str:
    """Inline syntax: emphasis, code, links, HTML, tables, strikethrough, math, entities."""
    return _MD_INLINE.sub(lambda m: "\\" + m.group(0), text)


def _md_line(line: str) -> str:
    """One line of the author's text that no Markdown reader takes for a block.

    Headings (`# `), lists (`- `, `+ `, `1. `), rules and setext underlines (`---`, `===`),
    quotes (`>`, escaped inline), and indented code (leading spaces dropped).
    """
    line = _md_escape(line.strip())
    if _MD_HEADING.match(line) or line[:1] in ("-", "+", "="):
        return "\\" + line
    return _MD_ORDERED.sub(r"\1\\\2", line)


def _md_lines(text: str) -> str:
    """Keep the author's line breaks: Markdown needs a trailing backslash for a hard break."""
    paragraphs = [p.strip() for p in text.strip().split("\n\n") if p.strip()]
    return "\n\n".join(
        "\\\n".join(_md_line(line) for line in p.split("\n") if line.strip()) for p in paragraphs
    )


def _md_entry(entry: Entry, level: str) -> list[str]:
    link = arxiv_link(entry)
    title = _md_escape(" ".join(entry.title.split()) or entry.id).replace("#", "\\#")
    out = [f"{level} [{title}]({link})" if link else f"{level} {title}", ""]
    label = pending_label(entry)
    if label:
        out += [f"**⚠ {label.capitalize()}**", ""]
    if entry.authors:
        out += [f"*{_md_escape(', '.join(entry.authors))}*", ""]
    # the paper authors' line breaks: separate paragraphs inside the quote
    lines = [line for line in entry.abstract.split("\n") if line.strip()]
    if lines:
        out += "\n>\n".join(f"> {_md_line(line)}" for line in lines).split("\n") + [""]
    for comment in (entry.comment_ko, entry.comment_en):
        if comment.strip():
            out += [_md_lines(comment), ""]
    if entry.tags:
        out += [" ".join(f"`#{t}`" for t in entry.tags), ""]
    return out


def render_markdown(days: Days, *, span: Span | None = None) -> str:
    """Each day under its `#` date heading, each entry a `##` title linking to arXiv.

    Entries not ready (exported with --force) carry a bold "⚠ Needs review" or "⚠ Awaiting
    translation" line under their title.
    """
    out: list[str] = []
    for date, entries in _as_days(days):
        out += [f"# {korean_date(date)}", ""]
        for i, entry in enumerate(entries):
            out += _md_entry(entry, "##")
            if i < len(entries) - 1:
                out += ["---", ""]
    return "\n".join(out).rstrip("\n") + "\n"


# -- HTML --------------------------------------------------------------------------------------
_CSS = """
body{font-size:17px;line-height:1.6;max-width:44rem}
h1{font-size:1.5rem;margin:.5rem 0 1.5rem}
.day>h2{font-size:1.25rem;margin:2rem 0 .5rem}
article{border-top:1px solid var(--line);padding:1rem 0}
article>h2,article>h3{font-size:1.1rem;line-height:1.35;margin:0 0 .3rem}
.authors{color:var(--muted);font-size:.85rem;margin:0 0 .6rem}
details{font-size:.9rem;color:var(--muted);margin:.4rem 0 .8rem}summary{cursor:pointer}
.ko,.en{white-space:pre-wrap;margin:.4rem 0}.ko{font-weight:500}
.badge{display:inline-block;font-size:.8rem;font-weight:600;margin:.1rem 0 .4rem;padding:.05rem .6rem;
border-radius:1rem;background:var(--warn-bg);color:var(--warn-fg);border:1px solid var(--warn-line)}
.tags{display:flex;flex-wrap:wrap;gap:.35rem;padding:0;list-style:none}
.tags li{font-size:.8rem;background:var(--chip);border-radius:1rem;padding:.1rem .6rem}
"""


# An http(s) URL in the author's text: URL characters of ASCII only, so that a Korean particle
# written right after it (`https://github.com/x에서`) is not taken into the link.
_TEXT_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'*+,;=%()]+")
_URL_HOST = re.compile(r"https?://[A-Za-z0-9\[]")


def _trim_url(url: str) -> str:
    """Closing punctuation is the sentence's, and so is an unbalanced bracket (`(see x.org/a).`)."""
    while url:
        last = url[-1]
        if (
            last in ".,;:!?'"
            or last == ")"
            and url.count("(") < url.count(")")
            or last == "]"
            and url.count("[") < url.count("]")
        ):
            url = url[:-1]
        else:
            break
    return url


def linked(text: str) -> str:
    """The text escaped for HTML, with each http(s) URL in it a link (escaped in the attribute
    and in the text; no other scheme is ever linked)."""
    e = html.escape
    out, done = [], 0
    for match in _TEXT_URL.finditer(text):
        url = _trim_url(match.group(0))
        if not _URL_HOST.match(url):
            continue  # "https://" alone, or with nothing that can be a host
        start = match.start()
        out += [e(text[done:start]), f'<a href="{e(url)}">{e(url)}</a>']
        done = start + len(url)
    return "".join(out) + e(text[done:])


def _html_entry(entry: Entry, heading: str) -> list[str]:
    e = html.escape
    link = arxiv_link(entry)
    title = e(" ".join(entry.title.split()) or entry.id)
    if link:
        title = f'<a href="{e(link)}">{title}</a>'
    out = [f'<article id="{e(entry.id)}">', f'<{heading} lang="en">{title}</{heading}>']
    label = pending_label(entry)
    if label:
        out.append(f'<p class="badge" lang="en">⚠ {e(label)}</p>')
    if entry.authors:
        out.append(f'<p class="authors" lang="en">{e(", ".join(entry.authors))}</p>')
    if entry.abstract.strip():
        out.append(
            f'<details lang="en"><summary>Abstract</summary><p>{linked(entry.abstract)}</p></details>'
        )
    out.append(f'<p class="ko" lang="ko">{linked(entry.comment_ko.strip())}</p>')
    if entry.comment_en.strip():
        out.append(f'<p class="en" lang="en">{linked(entry.comment_en.strip())}</p>')
    if entry.tags:
        out.append('<ul class="tags">' + "".join(f"<li>#{e(t)}</li>" for t in entry.tags) + "</ul>")
    out.append("</article>")
    return out


def render_html(days: Days, *, span: Span | None = None) -> str:
    """One self-contained page: a single day as its date and entries; a range with one section
    per day under its date heading. Entries not ready carry a "⚠ needs review" or "⚠ awaiting
    translation" badge."""
    e = html.escape
    listed = _as_days(days)
    title = _range_title(_span_of(listed, span))
    out = [f"<h1>{e(title)}</h1>"]
    if len(listed) == 1 and span in (None, (listed[0].date, listed[0].date)):
        for entry in listed[0].entries:
            out += _html_entry(entry, "h2")
    else:
        for date, entries in listed:
            out += [f'<section class="day" id="d{e(date)}">', f"<h2>{e(korean_date(date))}</h2>"]
            for entry in entries:
                out += _html_entry(entry, "h3")
            out.append("</section>")
    return render_page(f"{title} digest", out, _CSS, lang="ko")


# -- JSON --------------------------------------------------------------------------------------
def json_day(date: str, entries: list[Entry]) -> dict[str, object]:
    """One day's document, as `export DATE --format json` writes it (without `$schema`)."""
    return {
        "version": JSON_VERSION,
        "date": date,
        "entries": [
            {
                "id": entry.id,
                "arxiv_url": arxiv_link(entry) or None,
                "title": " ".join(entry.title.split()),
                "authors": entry.authors,
                "abstract": entry.abstract,
                "comment_ko": entry.comment_ko,
                "comment_en": entry.comment_en,
                "tags": entry.tags,
                "status": entry.status,
            }
            for entry in entries
        ],
    }


def json_document(days: Days, span: Span | None = None) -> dict[str, object]:
    """A day document for one DATE; for a range, `{"version", "from", "to", "days": [day…]}`.

    A range asked for (span given) is always the range form, even when only one of its days has
    drafts, so a script reading `days` never meets the other shape.
    """
    listed = _as_days(days)
    if span is None and len(listed) == 1:
        return {"$schema": JSON_SCHEMA_ID, **json_day(*listed[0])}
    first, last = _span_of(listed, span)
    return {
        "$schema": JSON_SCHEMA_ID,
        "version": JSON_VERSION,
        "from": first,
        "to": last,
        "days": [json_day(date, entries) for date, entries in listed],
    }


def render_json(days: Days, *, span: Span | None = None) -> str:
    return json.dumps(json_document(days, span), ensure_ascii=False, indent=2) + "\n"


def shown(entry: Entry) -> Entry:
    """The entry as it may be published: its text printable (no escape sequence or control
    character reaches a file, a page or a terminal; the draft keeps what was typed)."""
    return replace(
        entry,
        title=printable(entry.title),
        authors=[printable(a) for a in entry.authors],
        abstract=printable(entry.abstract),
        comment_ko=printable(entry.comment_ko),
        comment_en=printable(entry.comment_en),
    )


RENDERERS: dict[str, Renderer] = {
    "text": render_text,
    "markdown": render_markdown,
    "html": render_html,
    "json": render_json,
}


# -- where output may go --------------------------------------------------------------------------
def check_output(path: Path, settings: Settings) -> None:
    """An output the author names (-o, --html, --save) never lands on what digest keeps: the
    drafts folder or anything in it, the cache (replies, the history), the glossary. A mistyped
    `-o drafts/D/ID.yaml` would otherwise replace a draft with a digest. `-` is stdout."""
    if str(path) == "-":
        return
    target = path.resolve()  # through links: a link to a draft is that draft
    kept = {
        "the drafts folder": settings.drafts_dir,
        "digest's cache": settings.cache_dir,
        "the glossary": settings.glossary_path,
    }
    for name, place in kept.items():
        where = place.resolve()
        if target == where or target.is_relative_to(where):
            inside = "" if target == where else "inside "
            raise InputError(
                f"{path} is {inside}{name} ({where}); digest never writes output there: "
                "give another path"
            )
