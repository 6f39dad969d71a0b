"""Review: what the author changed in the model's English (a word diff), and how much (edit rate)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from diff_match_patch import diff_match_patch

from pipeline.entry import Entry

DELETE, EQUAL, INSERT = -1, 0, 1
_TOKEN = re.compile(r"\w+(?:['’\-]\w+)*|\s+|[^\w\s]")


def tokens(text: str) -> list[str]:
    """Words, runs of whitespace and single punctuation marks: the units of the diff."""
    return _TOKEN.findall(text)


def _diff_tokens(a: list[str], b: list[str], semantic: bool) -> list[tuple[int, list[str]]]:
    """diff-match-patch over tokens: each distinct token becomes one character (its line-mode trick)."""
    table: dict[str, str] = {}
    vocabulary: list[str] = []

    def encode(items: list[str]) -> str:
        out = []
        for item in items:
            if item not in table:
                table[item] = chr(
                    0x100 + len(vocabulary)
                )  # past ASCII, clear of surrogates for a while
                vocabulary.append(item)
            out.append(table[item])
        return "".join(out)

    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0  # no time limit: the same diff on every machine
    diffs = dmp.diff_main(encode(a), encode(b), False)
    if semantic:
        dmp.diff_cleanupSemantic(diffs)
    return [(op, [vocabulary[ord(c) - 0x100] for c in chars]) for op, chars in diffs]


def word_diff(before: str, after: str) -> list[tuple[int, str]]:
    """The diff from `before` to `after` as (operation, text) runs, cleaned up for reading."""
    return [(op, "".join(items)) for op, items in _diff_tokens(tokens(before), tokens(after), True)]


@dataclass
class EditRate:
    edits: int
    words: int

    @property
    def percent(self) -> float:
        return 100.0 * self.edits / self.words if self.words else (0.0 if not self.edits else 100.0)

    def __str__(self) -> str:
        return (
            f"{self.percent:.1f}% ({self.edits} edit{'s' * (self.edits != 1)} / {self.words} words)"
        )


def edit_rate(machine: str, published: str) -> EditRate:
    """Word-level edit distance over the words of the published English (HTER-like)."""
    a = [t for t in tokens(machine) if not t.isspace()]
    b = [t for t in tokens(published) if not t.isspace()]
    edits = 0
    inserted = deleted = 0
    for op, items in _diff_tokens(a, b, False) + [(EQUAL, [])]:
        if op == INSERT:
            inserted += len(items)
        elif op == DELETE:
            deleted += len(items)
        else:
            edits += max(inserted, deleted)  # a substitution is one edit, as in Levenshtein
            inserted = deleted = 0
    return EditRate(edits, len(b))


# -- views --------------------------------------------------------------------------------------
RED_STRIKE, GREEN, RESET = "\x1b[31;9m", "\x1b[32m", "\x1b[0m"


def render_terminal(diffs: list[tuple[int, str]], color: bool) -> str:
    out = []
    for op, text in diffs:
        if op == EQUAL:
            out.append(text)
        elif color:
            out.append(f"{RED_STRIKE if op == DELETE else GREEN}{text}{RESET}")
        else:
            out.append(f"[-{text}-]" if op == DELETE else f"{{+{text}+}}")
    return "".join(out)


def render_html_diff(diffs: list[tuple[int, str]]) -> str:
    out = []
    for op, text in diffs:
        escaped = html.escape(text)
        out.append(
            escaped
            if op == EQUAL
            else f"<{'del' if op == DELETE else 'ins'}>{escaped}</{'del' if op == DELETE else 'ins'}>"
        )
    return "".join(out)


@dataclass
class Review:
    entry: Entry
    before: str  # machine English (or the previous machine English with --against previous)
    after: str
    diffs: list[tuple[int, str]]
    rate: EditRate | None
    note: str = ""  # why there is nothing to show, when there is not


def review_entry(entry: Entry, against: str = "published") -> Review:
    if against == "previous":
        if not entry.history:
            return Review(entry, "", entry.machine_en, [], None, "no previous machine translation")
        before, after = entry.history[-1].get("machine_en", ""), entry.machine_en
    else:
        if not entry.machine_en:
            return Review(
                entry,
                "",
                entry.comment_en,
                [],
                None,
                "no machine English to compare: the English is the author's own",
            )
        before, after = entry.machine_en, entry.comment_en
    rate = edit_rate(before, after)
    note = "no edits: the published English is the model's" if before == after else ""
    return Review(entry, before, after, word_diff(before, after), rate, note)


def format_review(review: Review, color: bool) -> str:
    entry = review.entry
    korean = entry.comment_ko.strip().replace("\n", "\n         ")
    lines = [f"{entry.id}  {entry.title}  ({entry.date})", f"Korean:  {korean}"]
    if review.note and review.rate is None:
        lines.append(f"         {review.note}")
        if review.after:
            lines.append(f"English: {review.after}")
        return "\n".join(lines) + "\n"
    lines.append(f"Diff:    {render_terminal(review.diffs, color)}")
    if review.note:
        lines.append(f"         {review.note}")
    assert review.rate is not None
    lines.append(f"Edit rate: {review.rate}")
    return "\n".join(lines) + "\n"


def average_rate(reviews: list[Review]) -> float | None:
    rates = [r.rate.percent for r in reviews if r.rate is not None]
    return sum(rates) / len(rates) if rates else None


_PAGE_CSS = """
body{font:16px/1.55 system-ui,-apple-system,"Apple SD Gothic Neo","Noto Sans KR",sans-serif;
max-width:46rem;margin:0 auto;padding:1rem;color:#1b1b1b;background:#fff}
h1{font-size:1.4rem}h2{font-size:1.05rem;margin:1.6rem 0 .3rem}
.meta{color:#666;font-size:.85rem}.label{font-weight:600;color:#444;font-size:.8rem;text-transform:uppercase}
del{background:#fde2e2;color:#8a1111}ins{background:#dcf5df;color:#0c5a1b;text-decoration:none}
.rate{font-variant-numeric:tabular-nums}p{margin:.2rem 0 .6rem;white-space:pre-wrap}
"""


def render_html_page(reviews: list[Review], title: str) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{_PAGE_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    average = average_rate(reviews)
    if average is not None:
        parts.append(f'<p class="rate">Average edit rate: {average:.1f}%</p>')
    for review in reviews:
        entry = review.entry
        parts.append(f"<section><h2>{html.escape(entry.title)}</h2>")
        parts.append(f'<div class="meta">{html.escape(entry.id)} · {html.escape(entry.date)}</div>')
        parts.append(
            f'<div class="label">Korean</div><p lang="ko">{html.escape(entry.comment_ko)}</p>'
        )
        if review.rate is None:
            parts.append(f"<p><em>{html.escape(review.note)}</em></p>")
            if review.after:
                parts.append(
                    f'<div class="label">English</div><p lang="en">{html.escape(review.after)}</p>'
                )
        else:
            parts.append(
                f'<div class="label">Machine English</div><p lang="en">{html.escape(review.before)}</p>'
            )
            parts.append(
                f'<div class="label">Published English</div><p lang="en">{html.escape(review.after)}</p>'
            )
            parts.append(
                f'<div class="label">Changes</div><p lang="en">{render_html_diff(review.diffs)}</p>'
            )
            parts.append(f'<p class="rate">Edit rate: {html.escape(str(review.rate))}</p>')
            if review.note:
                parts.append(f"<p><em>{html.escape(review.note)}</em></p>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
