"""Review: what the author changed in the model's English (a word diff), how much (edit rate), per
entry, per day and over a period; terminal and HTML views."""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from diff_match_patch import diff_match_patch

from pipeline.entry import Entry
from pipeline.page import render_page
from pipeline.text import printable

DELETE, EQUAL, INSERT = -1, 0, 1
_TOKEN = re.compile(r"\w+(?:['’\-]\w+)*|\s+|[^\w\s]")
_WORD = re.compile(r"\w+(?:['’\-]\w+)*")

RATE_DEFINITION = (
    "Edit rate: the word edits (insertions, deletions, substitutions) that turn the model's "
    "English into the published English, over the words of the longer of the two; punctuation "
    "is not a word. 0% is unedited, 100% is nothing kept."
)


def tokens(text: str) -> list[str]:
    """Words, runs of whitespace and single punctuation marks: the units of the diff."""
    return _TOKEN.findall(text)


def words(text: str) -> list[str]:
    """The words of a text, as the edit rate counts them (no punctuation)."""
    return _WORD.findall(text)


def _diff_tokens(a: list[str], b: list[str]) -> list[tuple[int, list[str]]]:
    """diff-match-patch over tokens: each distinct token becomes one character (its line-mode trick)."""
    table: dict[str, str] = {}
    vocabulary: list[str] = []

    def encode(items: list[str]) -> str:
        out = []
        for item in items:
            if item not in table:
                # past ASCII, clear of surrogates for a while
                table[item] = chr(0x100 + len(vocabulary))
                vocabulary.append(item)
            out.append(table[item])
        return "".join(out)

    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0  # no time limit: the same diff on every machine
    diffs = dmp.diff_main(encode(a), encode(b), False)
    dmp.diff_cleanupSemantic(diffs)
    return [(op, [vocabulary[ord(c) - 0x100] for c in chars]) for op, chars in diffs]


def word_diff(before: str, after: str) -> list[tuple[int, str]]:
    """The diff from `before` to `after` as (operation, text) runs, cleaned up for reading."""
    return [(op, "".join(items)) for op, items in _diff_tokens(tokens(before), tokens(after))]


@dataclass
class EditRate:
    """Word edits over the words of the longer text (see RATE_DEFINITION): never above 100%."""

    edits: int
    words: int

    @property
    def percent(self) -> float:
        return 100.0 * self.edits / self.words if self.words else 0.0

    def __add__(self, other: EditRate) -> EditRate:
        return EditRate(self.edits + other.edits, self.words + other.words)

    def __str__(self) -> str:
        return (
            f"{self.percent:.1f}% ({self.edits} edit{'s' * (self.edits != 1)} / "
            f"{self.words} word{'s' * (self.words != 1)})"
        )


def _levenshtein(a: list[str], b: list[str]) -> int:
    previous = list(range(len(b) + 1))
    for i, item in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (item != other))
            )
        previous = current
    return previous[-1]


def edit_rate(machine: str, published: str) -> EditRate:
    """Word-level edit distance (Levenshtein over words, punctuation left out) over the words of
    the longer text, so 100% means nothing was kept and the rate never exceeds it."""
    a, b = words(machine), words(published)
    # Common head and tail cost nothing and make the quadratic part small for light edits.
    while a and b and a[0] == b[0]:
        a, b = a[1:], b[1:]
    while a and b and a[-1] == b[-1]:
        a, b = a[:-1], b[:-1]
    return EditRate(_levenshtein(a, b), max(len(words(machine)), len(words(published))))


def total_rate(rates: Iterable[EditRate | None]) -> EditRate | None:
    """All edits over all words (each entry weighs by its length), or None with nothing to compare."""
    present = [r for r in rates if r is not None]
    return sum(present[1:], present[0]) if present else None


# -- one entry ---------------------------------------------------------------------------------
@dataclass
class Review:
    entry: Entry
    before: str  # machine English (or the previous machine English with --against previous)
    after: str
    diffs: list[tuple[int, str]]
    rate: EditRate | None
    note: str = ""  # why there is nothing to show, when there is not
    against: str = "published"

    @property
    def edited(self) -> bool:
        return self.rate is not None and self.before != self.after


def review_entry(entry: Entry, against: str = "published") -> Review:
    if against == "previous":
        # the history also keeps a hand-edited English that --force replaced: skip those
        earlier = [h["machine_en"] for h in entry.history if h.get("machine_en")]
        if not earlier:
            return Review(
                entry, "", entry.machine_en, [], None, "no previous machine translation", against
            )
        before, after = earlier[-1], entry.machine_en
        same = "unchanged: the same machine English as before"
    else:
        if not entry.machine_en:
            note = (
                "no machine English to compare: the English is the author's own"
                if entry.comment_en.strip()
                else "awaiting translation: no English yet"
            )
            return Review(entry, "", entry.comment_en, [], None, note, against)
        before, after = entry.machine_en, entry.comment_en
        same = "unedited: the published English is the model's"
    rate = edit_rate(before, after)
    note = same if before == after else ""
    return Review(entry, before, after, word_diff(before, after), rate, note, against)


def fold_label(review: Review) -> str:
    """How a review with nothing to show is counted in a day's folded line ("18 unedited"); ""
    for one that has a diff to show."""
    if review.edited:
        return ""
    if review.rate is not None:
        return "unchanged" if review.against == "previous" else "unedited"
    if review.against == "previous":
        return "without a previous machine translation"
    if review.after.strip():
        return "without machine English (the English is the author's own)"
    return "awaiting translation"


def fold(reviews: list[Review]) -> tuple[list[Review], list[tuple[str, list[Review]]]]:
    """A day's reviews as the ones to show (edited) and the rest by kind, each kind one line:
    after an import, a day is mostly the author's own English, which has nothing to show."""
    shown = [r for r in reviews if not fold_label(r)]
    groups: dict[str, list[Review]] = {}
    for review in reviews:
        label = fold_label(review)
        if label:
            groups.setdefault(label, []).append(review)
    return shown, list(groups.items())


def folded_line(label: str, reviews: list[Review], names: int = 5) -> str:
    """`18 unedited: 2506.00002 2506.00003 … and 13 more`."""
    ids = [r.entry.id for r in reviews]
    listed = " ".join(ids[:names]) + (f" and {len(ids) - names} more" if len(ids) > names else "")
    return f"{len(ids)} {label}: {listed}"


RED_STRIKE, GREEN, RESET = "\x1b[31;9m", "\x1b[32m", "\x1b[0m"


def _runs(diffs: list[tuple[int, str]]) -> list[tuple[int, str, bool]]:
    """The runs, each with whether a space must be shown before it.

    A deletion and an insertion that meet with no space between them would read as one word
    ("templates" + "It" as "templatesIt"), so the views put a space between them.
    """
    out = []
    previous_op, previous_text = EQUAL, " "
    for op, text in diffs:
        gap = (
            op != EQUAL
            and previous_op not in (EQUAL, op)
            and not previous_text[-1:].isspace()
            and not text[:1].isspace()
        )
        out.append((op, text, gap))
        previous_op, previous_text = op, text
    return out


def render_terminal(diffs: list[tuple[int, str]], color: bool) -> str:
    """`[-deleted-]{+inserted+}` without color; red struck-through / green with color."""
    out = []
    for op, raw, gap in _runs(diffs):
        text = printable(raw)  # only the colours below may drive the terminal
        if op == EQUAL:
            out.append(text)
        elif color:
            out.append(f"{' ' * gap}{RED_STRIKE if op == DELETE else GREEN}{text}{RESET}")
        else:  # the brackets already separate the runs
            out.append(f"[-{text}-]" if op == DELETE else f"{{+{text}+}}")
    return "".join(out)


def render_html_diff(diffs: list[tuple[int, str]]) -> str:
    out = []
    for op, text, gap in _runs(diffs):
        escaped = html.escape(text)
        if op == EQUAL:
            out.append(escaped)
        else:
            tag = "del" if op == DELETE else "ins"
            out.append(f"{' ' * gap}<{tag}>{escaped}</{tag}>")
    return "".join(out)


def format_review(review: Review, color: bool) -> str:
    """The terminal view of one entry: the Korean, the diff (or why there is none), the rate."""
    entry = review.entry
    korean = entry.comment_ko.strip().replace("\n", "\n         ")
    lines = [f"{entry.id}  {entry.title}  ({entry.date})", f"Korean:  {korean}"]
    if review.rate is None:
        lines.append(f"         {review.note}")
        if review.after:
            lines.append(f"English: {review.after}")
        return "\n".join(lines) + "\n"
    if review.edited:
        lines.append(f"Diff:    {render_terminal(review.diffs, color)}")
    else:
        lines.append(f"English: {review.after}")
        lines.append(f"         {review.note}")
    lines.append(f"Edit rate: {review.rate}")
    return "\n".join(lines) + "\n"


def format_reviews(reviews: list[Review], color: bool) -> str:
    """The terminal view of several entries: each edited one whole, the rest folded by kind into
    one line each, then the day's summary. One entry is shown whole whatever it is."""
    if len(reviews) == 1:
        return format_review(reviews[0], color)
    shown, folded = fold(reviews)
    parts = [format_review(r, color) for r in shown]
    lines = [folded_line(label, group) for label, group in folded]
    if lines:
        parts.append("\n".join(lines) + "\n")
    parts.append(summary_line(reviews) + "\n")
    return "\n".join(parts)


def summary_line(reviews: list[Review]) -> str:
    """How many entries were edited and the rate over all of them, for the foot of a day."""
    compared = [r for r in reviews if r.rate is not None]
    rate = total_rate(r.rate for r in compared)
    if rate is None:
        return "No entry has machine English to compare."
    verb = "changed" if reviews[0].against == "previous" else "edited"
    edited = sum(r.edited for r in compared)
    return f"{edited} of {len(compared)} entries {verb}; edit rate {rate}"


# -- pages -------------------------------------------------------------------------------------
_PAGE_CSS = """
body{font-size:16px;line-height:1.55;max-width:46rem}
h1{font-size:1.4rem;margin:.4rem 0 .6rem}h2{font-size:1.05rem;line-height:1.35;margin:0 0 .2rem}
body>h2{font-size:1.15rem;margin:1.6rem 0 .4rem}
.summary{font-size:1.05rem;margin:.2rem 0;display:flex;flex-wrap:wrap;align-items:center;gap:.2rem 1rem}.definition{color:var(--muted);font-size:.8rem;margin:.3rem 0 1rem}
article{border-top:1px solid var(--line);padding:.8rem 0}
.meta{color:var(--muted);font-size:.85rem;display:flex;flex-wrap:wrap;align-items:center;gap:.2rem .6rem}
.rate{font-variant-numeric:tabular-nums;display:inline-flex;align-items:center;gap:.4rem;white-space:nowrap}
.bar{display:inline-block;width:5rem;height:.5rem;border-radius:.25rem;background:var(--bar);overflow:hidden}
.bar>span{display:block;height:100%;background:var(--fill)}
.diff{margin:.4rem 0;white-space:pre-wrap}.quiet{color:var(--muted);margin:.2rem 0}
details{font-size:.9rem;color:var(--muted)}summary{cursor:pointer}details p{white-space:pre-wrap;margin:.3rem 0}
details.folded{border-top:1px solid var(--line);padding:.7rem 0;font-size:1rem}
.folded ul{margin:.4rem 0;padding-left:1.2rem;font-size:.9rem}.folded li{margin:.15rem 0}
table{border-collapse:collapse;font-size:.85rem;margin:.4rem 0 1.2rem}
td,th{padding:.25rem .7rem .25rem 0;text-align:left;vertical-align:middle;overflow-wrap:normal}
th,td{white-space:nowrap}td.words{white-space:normal}td .bar{width:3rem}th{font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:.6rem 0 1.2rem;max-width:34rem}svg{width:100%;height:auto;display:block}
svg text{fill:var(--muted);font-size:13px}.grid{stroke:var(--line)}
.line{fill:none;stroke:var(--fill);stroke-width:2}.dot{fill:var(--fill)}
.trend{stroke:var(--muted);stroke-dasharray:4 3;stroke-width:1.2}
"""


def _bar(rate: EditRate) -> str:
    width = f"{min(rate.percent, 100.0):.1f}"
    return f'<span class="bar" aria-hidden="true"><span style="width:{width}%"></span></span>'


def _rate_html(rate: EditRate) -> str:
    return f'<span class="rate">{_bar(rate)}{html.escape(str(rate))}</span>'


def _page(title: str, body: list[str]) -> str:
    return render_page(title, [f"<h1>{html.escape(title)}</h1>", *body], _PAGE_CSS)


def _entry_html(review: Review) -> list[str]:
    from pipeline.export import arxiv_link  # export does not import review: no cycle

    e = html.escape
    entry = review.entry
    link = arxiv_link(entry)
    title = e(" ".join(entry.title.split()) or entry.id)
    if link:
        title = f'<a href="{e(link)}">{title}</a>'
    meta = f"<span>{e(entry.id)} · {e(entry.date)}</span>"
    if review.edited and review.rate is not None:
        meta += _rate_html(review.rate)
    out = [f'<article id="{e(entry.id)}">', f'<h2 lang="en">{title}</h2>']
    out.append(f'<div class="meta">{meta}</div>')
    if review.edited:
        out.append(f'<p class="diff" lang="en">{render_html_diff(review.diffs)}</p>')
        korean = e(entry.comment_ko.strip())
        out.append(f'<details><summary>Korean</summary><p lang="ko">{korean}</p></details>')
    else:
        word = "unchanged" if review.against == "previous" else "unedited"
        line = word if review.rate is not None else review.note
        out.append(f'<p class="quiet">{e(line)}</p>')
    out.append("</article>")
    return out


def render_html_page(reviews: list[Review], title: str) -> str:
    """The review of a day (or of one entry): at the top how many entries were edited and the
    day's rate; per entry its rate as a bar and only the diff, or one line "unedited"."""
    compared = [r for r in reviews if r.rate is not None]
    rate = total_rate(r.rate for r in compared)
    body = []
    if rate is not None:
        verb = "changed" if reviews[0].against == "previous" else "edited"
        edited = sum(r.edited for r in compared)
        body.append(
            f'<p class="summary"><span><strong>{edited} of {len(compared)}</strong> entries '
            f"{verb}</span>{_rate_html(rate)}</p>"
        )
    else:
        body.append('<p class="summary">No entry has machine English to compare.</p>')
    body.append(f'<p class="definition">{html.escape(RATE_DEFINITION)}</p>')
    if len(reviews) == 1:
        return _page(title, body + _entry_html(reviews[0]))
    shown, folded = fold(reviews)
    for review in shown:
        body += _entry_html(review)
    for label, group in folded:
        body += _folded_html(label, group)
    return _page(title, body)


def _folded_html(label: str, reviews: list[Review]) -> list[str]:
    """One line for the entries with nothing to show ("18 unedited"), opening on their titles."""
    from pipeline.export import arxiv_link

    e = html.escape
    items = []
    for review in reviews:
        entry = review.entry
        title = e(" ".join(entry.title.split()) or entry.id)
        link = arxiv_link(entry)
        if link:
            title = f'<a href="{e(link)}">{title}</a>'
        items.append(f'<li id="{e(entry.id)}"><span lang="en">{title}</span> · {e(entry.id)}</li>')
    return [
        f'<details class="folded"><summary>{len(reviews)} {e(label)}</summary>',
        '<ul lang="en">' + "".join(items) + "</ul></details>",
    ]


# -- a period ----------------------------------------------------------------------------------
@dataclass
class DayRate:
    date: str
    entries: int  # drafts of the day
    compared: int  # of those, with machine English to compare
    edited: int
    rate: EditRate | None  # over the compared entries; None when there are none


def daily_rates(entries: Iterable[Entry]) -> list[DayRate]:
    """The edit rate of each day that has drafts, in date order (all edits over all words)."""
    by_day: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_day[entry.date].append(entry)
    days = []
    for date in sorted(by_day):
        reviews = [review_entry(e) for e in by_day[date]]
        compared = [r for r in reviews if r.rate is not None]
        rate = total_rate(r.rate for r in compared)
        days.append(
            DayRate(date, len(reviews), len(compared), sum(r.edited for r in compared), rate)
        )
    return days


@dataclass
class PeriodReview:
    since: str
    until: str
    days: list[DayRate]
    replacements: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def rate(self) -> EditRate | None:
        return total_rate(d.rate for d in self.days)

    @property
    def edited(self) -> int:
        return sum(d.edited for d in self.days)

    @property
    def compared(self) -> int:
        return sum(d.compared for d in self.days)

    def trend(self) -> float | None:
        """Least-squares slope of the daily rates, in percentage points per week (None with
        fewer than three days to compare): below zero, the model comes closer to his English."""
        points = [
            (dt.date.fromisoformat(d.date).toordinal(), d.rate.percent)
            for d in self.days
            if d.rate is not None and d.rate.words
        ]
        if len(points) < 3:
            return None
        mean_x = sum(x for x, _ in points) / len(points)
        mean_y = sum(y for _, y in points) / len(points)
        spread = sum((x - mean_x) ** 2 for x, _ in points)
        if not spread:
            return None
        return 7 * sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def hand_replacements(entries: Iterable[Entry], min_times: int = 2) -> list[tuple[str, str, int]]:
    """(model's words, author's words, times) for replacements made by hand more than once."""
    counts: Counter[tuple[str, str]] = Counter()
    for entry in entries:
        if not entry.machine_en or entry.machine_en == entry.comment_en:
            continue
        diffs = word_diff(entry.machine_en, entry.comment_en)
        seen = set()
        for (op, text), (next_op, next_text) in zip(diffs, diffs[1:], strict=False):
            if op == DELETE and next_op == INSERT:
                pair = (text.strip().lower(), next_text.strip().lower())
                if pair[0] and pair[1] and pair not in seen:
                    seen.add(pair)
                    counts[pair] += 1
    return [(a, b, n) for (a, b), n in counts.most_common() if n >= min_times]


def period_review(
    entries: Iterable[Entry], since: str, until: str | None = None, most: int = 10
) -> PeriodReview:
    """Rates per day from `since` to `until` (both included; default: the last day with drafts),
    and the `most` replacements he made by hand most often (made twice or more first)."""
    chosen = [e for e in entries if e.date >= since and (until is None or e.date <= until)]
    days = daily_rates(chosen)
    last = until or (days[-1].date if days else since)
    return PeriodReview(since, last, days, hand_replacements(chosen, min_times=1)[:most])


def _trend_words(slope: float | None) -> str:
    if slope is None:
        return "trend: too few days to tell"
    if abs(slope) < 0.05:
        return "trend: flat"
    direction = "fewer edits" if slope < 0 else "more edits"
    return f"trend: {slope:+.1f} points a week ({direction} over time)"


def format_period(period: PeriodReview, width: int = 20) -> str:
    """The terminal view of `review --since`: a bar per day, the total, the usual replacements."""
    lines = [f"Edit rate per day, {period.since} to {period.until}"]
    for day in period.days:
        if day.rate is None:
            continue  # folded into one line below
        filled = round(width * min(day.rate.percent, 100.0) / 100)
        bar = "█" * filled + "·" * (width - filled)
        lines.append(
            f"{day.date}  {bar}  {day.rate.percent:5.1f}%  {day.edited} of {day.compared} edited"
        )
    without = _without_machine_english(period)
    if without:
        lines.append(without)
    total = period.rate
    if total is None:
        lines.append("No entry of the period has machine English to compare.")
    else:
        lines.append(
            f"Period: {period.edited} of {period.compared} entries edited; edit rate {total}; "
            + _trend_words(period.trend())
        )
    lines.append(_replacements_heading(period))
    lines += [f"  {a!r} -> {b!r}  ({n} time{'s' * (n != 1)})" for a, b, n in period.replacements]
    return "\n".join(lines) + "\n"


def _without_machine_english(period: PeriodReview) -> str:
    """The days with nothing to compare (imported: the English is his own), as one line."""
    days = [d for d in period.days if d.rate is None]
    if not days:
        return ""
    entries = sum(d.entries for d in days)
    return (
        f"{len(days)} day{'s' * (len(days) != 1)} without machine English "
        f"({entries:,} entr{'ies' if entries != 1 else 'y'}: the English is your own)"
    )


def _no_replacements(period: PeriodReview) -> str:
    """Why the period has no replacement to show."""
    if period.edited:
        return "your edits only added or removed words"
    if period.compared:
        return "no English was edited"
    return "no machine English to compare"


def _replacements_heading(period: PeriodReview) -> str:
    if period.replacements:
        return "Replaced most often (model's words -> yours):"
    return f"Replaced most often: none ({_no_replacements(period)})"


def _svg_chart(period: PeriodReview) -> str:
    """The rate per day as an inline SVG line chart: x the calendar, y the rate; no script."""
    width, height, left, right, top, bottom = 420, 200, 40, 12, 12, 28
    points = [(d, d.rate) for d in period.days if d.rate is not None and d.rate.words]
    peak = max((r.percent for _, r in points), default=0.0)
    ceiling = min(100, max(20, math.ceil(peak / 20) * 20))  # 20, 40, ...: grid lines at quarters
    start = dt.date.fromisoformat(period.since).toordinal()
    end = max(dt.date.fromisoformat(period.until).toordinal(), start + 1)

    def x(date: str) -> float:
        ordinal = dt.date.fromisoformat(date).toordinal()
        return left + (width - left - right) * (ordinal - start) / (end - start)

    def y(percent: float) -> float:
        return top + (height - top - bottom) * (1 - min(percent, ceiling) / ceiling)

    label = f"Edit rate per day from {period.since} to {period.until}"
    out = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(label)}" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    for step in range(0, ceiling + 1, ceiling // 4):
        out.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(step):.1f}" '
            f'y2="{y(step):.1f}"/><text x="{left - 4}" y="{y(step) + 4.5:.1f}" '
            f'text-anchor="end">{step}%</text>'
        )
    for date, anchor in ((period.since, "start"), (period.until, "end")):
        out.append(f'<text x="{x(date):.1f}" y="{height - 6}" text-anchor="{anchor}">{date}</text>')
    coords = [(x(d.date), y(r.percent)) for d, r in points]
    if len(coords) > 1:
        out.append(
            '<polyline class="line" points="'
            + " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in coords)
            + '"/>'
        )
    slope = period.trend()
    if slope is not None:
        # the fitted line, over the days that have a rate
        xs = [dt.date.fromisoformat(d.date).toordinal() for d, _ in points]
        ys = [r.percent for _, r in points]
        mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
        per_day = slope / 7

        def fit(ordinal: int) -> float:
            return y(max(0.0, mean_y + per_day * (ordinal - mean_x)))

        first, last = points[0][0].date, points[-1][0].date
        out.append(
            f'<line class="trend" x1="{x(first):.1f}" y1="{fit(xs[0]):.1f}" '
            f'x2="{x(last):.1f}" y2="{fit(xs[-1]):.1f}"/>'
        )
    for (day, rate), (cx, cy) in zip(points, coords, strict=True):
        tip = f"{day.date}: {rate.percent:.1f}%, {day.edited} of {day.compared} edited"
        out.append(
            f'<circle class="dot" cx="{cx:.1f}" cy="{cy:.1f}" r="3.5">'
            f"<title>{html.escape(tip)}</title></circle>"
        )
    out.append("</svg>")
    return "".join(out)


def render_period_html(period: PeriodReview) -> str:
    """The page of `review --since D --html FILE`: the summary, the chart of the rate per day, the
    words he replaces most often, and a table of the days. Self-contained, no JavaScript."""
    e = html.escape
    total = period.rate
    body = []
    if total is None:
        body.append('<p class="summary">No entry of the period has machine English to compare.</p>')
    else:
        body.append(
            f'<p class="summary"><span><strong>{period.edited} of {period.compared}</strong> '
            f"entries edited over {sum(d.rate is not None for d in period.days)} days"
            f"</span>{_rate_html(total)}</p>"
        )
        body.append(f'<p class="quiet">{e(_trend_words(period.trend()))}</p>')
    body.append(f'<p class="definition">{e(RATE_DEFINITION)}</p>')
    body.append(f"<figure>{_svg_chart(period)}</figure>")
    body.append("<h2>Replaced most often</h2>")
    if period.replacements:
        body.append("<table><tr><th>the model's words</th><th>yours</th><th>times</th></tr>")
        for before, after, times in period.replacements:
            body.append(
                f'<tr><td class="words"><del>{e(before)}</del></td>'
                f'<td class="words"><ins>{e(after)}</ins></td>'
                f'<td class="num">{times}</td></tr>'
            )
        body.append("</table>")
    else:
        body.append(f'<p class="quiet">None: {e(_no_replacements(period))}.</p>')
    body.append("<h2>Per day</h2>")
    rated = [d for d in period.days if d.rate is not None]
    if rated:
        body.append(
            "<table><tr><th>day</th><th>edited</th><th>edit rate</th><th>edits/words</th></tr>"
        )
        for day in rated:
            assert day.rate is not None
            body.append(
                f'<tr><td>{e(day.date)}</td><td class="num">{day.edited} of {day.compared}</td>'
                f'<td><span class="rate">{_bar(day.rate)}{day.rate.percent:.1f}%</span></td>'
                f'<td class="num">{day.rate.edits} / {day.rate.words}</td></tr>'
            )
        body.append("</table>")
    without = _without_machine_english(period)
    if without:
        body.append(f'<p class="quiet">{e(without)}</p>')
    return _page(f"Edit rate, {period.since} to {period.until}", body)
