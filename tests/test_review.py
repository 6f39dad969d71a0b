"""Review: the word diff of known pairs, token by token; the edit rate; the views."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.entry import Entry
from pipeline.review import (
    DELETE,
    EQUAL,
    INSERT,
    RATE_DEFINITION,
    daily_rates,
    edit_rate,
    format_period,
    format_review,
    period_review,
    render_html_diff,
    render_html_page,
    render_period_html,
    render_terminal,
    review_entry,
    summary_line,
    tokens,
    word_diff,
    words,
)
from tests.cli_helpers import DATE, drafted, make_entry, period_entries, run
from tests.servers import ArxivServer, OpenAIServer


def test_tokens_are_words_spaces_and_punctuation() -> None:
    assert tokens("It's a PRM-based (test).") == [
        "It's",
        " ",
        "a",
        " ",
        "PRM-based",
        " ",
        "(",
        "test",
        ")",
        ".",
    ]


def test_diff_of_a_known_pair_token_by_token() -> None:
    diffs = word_diff(
        "The authors made it evaluate steps.", "The authors designed it to evaluate steps."
    )
    assert diffs == [
        (EQUAL, "The authors "),
        (DELETE, "made"),
        (INSERT, "designed"),
        (EQUAL, " it "),
        (INSERT, "to "),
        (EQUAL, "evaluate steps."),
    ]


def test_words_are_never_split() -> None:
    for op, text in word_diff("reinforcement learning works", "reinforced learning worked"):
        if op != EQUAL:
            assert text.strip() in {"reinforcement", "reinforced", "works", "worked"}


@pytest.mark.parametrize(
    ("machine", "published", "edits", "words"),
    [
        ("A B C D", "A B C D", 0, 4),
        ("A B C D", "A X C D", 1, 4),  # a substitution is one edit
        ("A B C D", "A C D", 1, 4),  # a deletion: over the longer text
        ("A B C D", "A B C D E F", 2, 6),  # two insertions
        ("", "A B", 2, 2),
        ("", "", 0, 0),
        ("A, B.", "A; B!", 0, 2),  # punctuation is not a word
        ("It's PRM-based.", "It is PRM-based.", 2, 3),
        ("x x x E", "E y y y", 4, 4),  # Levenshtein, not the sum of the diff's runs (6)
    ],
)
def test_edit_rate(machine: str, published: str, edits: int, words: int) -> None:
    rate = edit_rate(machine, published)
    assert (rate.edits, rate.words) == (edits, words)
    assert rate.percent == pytest.approx(100 * edits / words if words else 0.0)


def test_the_rate_never_exceeds_100_percent() -> None:
    # The case: 19 words cut to 5 read "380.0% (19 edits / 5 words)".
    machine = "They made it evaluate things like whether the steps are coherent and whether the reasoning templates are appropriate today."
    rate = edit_rate(machine, "A short new sentence here.")
    assert rate.words == 19 and rate.edits == 19 and rate.percent == 100.0
    assert str(rate) == "100.0% (19 edits / 19 words)"
    assert str(edit_rate("A B", "A C")) == "50.0% (1 edit / 2 words)"


@given(st.text(alphabet="ab c.,", max_size=30), st.text(alphabet="ab c.,", max_size=30))
def test_the_rate_is_a_distance_within_bounds(machine: str, published: str) -> None:
    rate = edit_rate(machine, published)
    assert 0 <= rate.edits <= rate.words and 0.0 <= rate.percent <= 100.0
    assert rate.edits == edit_rate(published, machine).edits  # symmetric
    assert (rate.edits == 0) == (words(machine) == words(published))


def test_terminal_view_with_and_without_color() -> None:
    diffs = word_diff("made it", "designed it")
    assert render_terminal(diffs, color=False) == "[-made-]{+designed+} it"
    colored = render_terminal(diffs, color=True)
    assert "\x1b[31;9mmade\x1b[0m" in colored and "\x1b[32mdesigned\x1b[0m" in colored


def test_deleted_and_inserted_words_never_touch() -> None:
    diffs = word_diff(
        "It checks the reasoning templates. It is good.",
        "It checks the reasoning templatesIt is good.",
    )
    # "templates" + "It" must not read "templatesIt": the views put a space between the runs
    diffs = [(EQUAL, "the "), (DELETE, "templates"), (INSERT, "It"), (EQUAL, " is")]
    assert render_html_diff(diffs) == "the <del>templates</del> <ins>It</ins> is"
    colored = render_terminal(diffs, color=True)
    assert "templates\x1b[0m \x1b[32mIt" in colored
    assert render_terminal(diffs, color=False) == "the [-templates-]{+It+} is"
    # no extra space where the text already has one
    spaced = [(EQUAL, "a"), (DELETE, " b"), (INSERT, " c"), (EQUAL, ".")]
    assert render_html_diff(spaced) == "a<del> b</del><ins> c</ins>."


def test_no_edits_and_no_machine_english_say_so() -> None:
    same = review_entry(make_entry())
    assert same.note.startswith("unedited") and same.rate is not None and same.rate.edits == 0
    assert not same.edited
    text = format_review(same, color=False)
    assert "Diff:" not in text and "English: First line." in text
    assert "Edit rate: 0.0% (0 edits / 4 words)" in text
    imported = review_entry(make_entry(machine_en="", comment_en="The author's own."))
    assert imported.rate is None and "author's own" in imported.note
    assert "author's own" in format_review(imported, color=False)
    pending = review_entry(make_entry(machine_en="", comment_en="", status="awaiting-translation"))
    assert pending.note.startswith("awaiting translation")


def test_against_previous_diffs_the_machine_translations() -> None:
    entry = make_entry(machine_en="A new one.", history=[{"machine_en": "An old one."}])
    review = review_entry(entry, "previous")
    assert render_terminal(review.diffs, False) == "[-An old-]{+A new+} one."  # semantic cleanup
    assert review_entry(make_entry(), "previous").note == "no previous machine translation"
    assert summary_line([review]).startswith("1 of 1 entries changed; edit rate 66.7%")


def test_html_escapes_everything() -> None:
    entry = make_entry(
        title="<script>alert('t')</script>",
        comment_ko="<script>alert(1)</script> 코멘트",
        machine_en="A <b>bold</b> claim.",
        comment_en="A <script>x</script> claim.",
    )
    page = render_html_page([review_entry(entry)], "Review <of> it")
    assert "<script>" not in page and "<b>" not in page and "<of>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<del>" in page and "<ins>" in page


def day_entries() -> list[Entry]:
    return [
        make_entry(
            "2506.00001",
            machine_en="They made it evaluate the reasoning templates.",
            comment_en="The authors designed it to judge the reasoning templates.",
        ),
        make_entry("2506.00002", machine_en="Same words.", comment_en="Same words."),
        make_entry("2506.00003", machine_en="", comment_en="His own English."),
    ]


def test_the_review_page_shows_only_what_changed() -> None:
    reviews = [review_entry(e) for e in day_entries()]
    page = render_html_page(reviews, "Review of 2025-06-24")
    # at the top: how many were edited, the day's rate as a bar, and what the rate means
    assert "<strong>1 of 2</strong> entries edited" in page
    day = edit_rate(reviews[0].before, reviews[0].after) + edit_rate("Same words.", "Same words.")
    assert str(day) in page and day.percent == pytest.approx(100 * 5 / 11)
    assert page.index('class="summary"') < page.index("<article")
    assert f'<p class="definition">{html.escape(RATE_DEFINITION)}</p>' in page
    assert page.count('class="bar"') == 2  # the day, and the edited entry
    # the edited entry: its diff once, not the machine and the published English again
    first = page[page.index('<article id="2506.00001"') : page.index('<details class="folded">')]
    assert first.count("reasoning templates") == 1 and "<del>" in first
    assert '<details><summary>Korean</summary><p lang="ko">첫 줄.\n둘째 줄.</p></details>' in first
    # the rest: one folded line per kind, opening on their titles, nothing repeated
    assert page.count("<article") == 1
    rest = page[page.index('<details class="folded">') :]
    assert "<summary>1 unedited</summary>" in rest and '<li id="2506.00002">' in rest
    assert (
        "<summary>1 without machine English (the English is the author&#x27;s own)</summary>"
        in rest
    )
    assert '<li id="2506.00003">' in rest
    assert "Same words" not in page and 'class="bar"' not in rest


def test_the_review_page_has_dark_mode_and_keeps_korean_words_whole() -> None:
    page = render_html_page([review_entry(e) for e in day_entries()], "Review")
    assert "@media (prefers-color-scheme: dark)" in page and "color-scheme:light dark" in page
    assert ":lang(ko){word-break:keep-all}" in page and "overflow-wrap:anywhere" in page
    assert "<script" not in page and "<link" not in page


def test_terminal_summary_uses_the_same_measure() -> None:
    reviews = [review_entry(e) for e in day_entries()]
    assert summary_line(reviews) == "1 of 2 entries edited; edit rate 45.5% (5 edits / 11 words)"
    assert summary_line(reviews[2:]) == "No entry has machine English to compare."


def test_daily_rates_pool_each_days_words() -> None:
    days = daily_rates(period_entries())
    assert [d.date for d in days][:3] == ["2025-05-30", "2025-06-01", "2025-06-03"]
    june_first = days[1]
    one = edit_rate(
        "They made it judge each step of the proof.", "They designed it to judge each step."
    )
    assert (june_first.entries, june_first.compared, june_first.edited) == (2, 2, 1)
    assert june_first.rate is not None and june_first.rate.edits == one.edits
    assert june_first.rate.words == one.words + 9
    assert days[-1].edited == 0 and days[-1].rate is not None and days[-1].rate.percent == 0.0
    lone = daily_rates([make_entry(machine_en="", comment_en="His own.")])
    assert lone[0].rate is None and lone[0].compared == 0


def test_a_period_gives_rates_replacements_and_the_trend() -> None:
    period = period_review(period_entries(), "2025-06-01", "2025-06-30")
    assert [d.date for d in period.days][0] == "2025-06-01" and len(period.days) == 11
    assert period.until == "2025-06-30" and period.edited == 7 and period.compared == 22
    assert ("made", "designed", 7) in period.replacements
    slope = period.trend()
    assert slope is not None and slope < 0  # he edits less and less
    text = format_period(period)
    assert text.startswith("Edit rate per day, 2025-06-01 to 2025-06-30\n")
    assert "2025-06-01  " in text and "1 of 2 edited" in text and "0 of 2 edited" in text
    assert "Period: 7 of 22 entries edited; edit rate" in text and "fewer edits" in text
    assert "  'made' -> 'designed'  (7 times)" in text and RATE_DEFINITION not in text
    assert period_review(period_entries(), "2025-06-20").until == "2025-06-21"


def test_the_period_page_is_an_inline_svg_chart_without_script() -> None:
    period = period_review(period_entries(), "2025-06-01", "2025-06-30")
    page = render_period_html(period)
    assert (
        "<script" not in page
        and "<link" not in page
        and "@media (prefers-color-scheme: dark)" in page
    )
    svg = page[page.index("<svg") : page.index("</svg>") + 6]
    root = ET.fromstring(svg)  # well-formed
    ns = "{http://www.w3.org/2000/svg}"
    dots = root.findall(f"{ns}circle")
    assert len(dots) == 11
    assert str([t.text for t in root.iter(f"{ns}title")][0]).startswith("2025-06-01: ")
    assert (
        root.find(f"{ns}polyline") is not None
        and root.find(f"{ns}line[@class='trend']") is not None
    )
    # the dots go down over time: y grows downwards in SVG
    ys = [float(d.get("cy", "0")) for d in dots]
    assert ys[0] < ys[-1]
    # x follows the calendar: equal gaps for days two apart
    xs = [float(d.get("cx", "0")) for d in dots]
    gaps = [b - a for a, b in zip(xs, xs[1:], strict=False)]
    assert max(gaps) - min(gaps) < 0.2
    # June 21 sits 20/29 of the way from June 1 to June 30, the period asked for
    labels = {t.text: float(t.get("x", "0")) for t in root.iter(f"{ns}text")}
    axis = labels["2025-06-30"] - labels["2025-06-01"]
    assert xs[0] == pytest.approx(labels["2025-06-01"], abs=0.1)
    assert (xs[-1] - xs[0]) / axis == pytest.approx(20 / 29, abs=0.002)
    assert '<td class="words"><del>made</del></td><td class="words"><ins>designed</ins>' in page
    assert page.count("<tr>") == 2 + 1 + 11  # two header rows, a replacement, the days
    assert RATE_DEFINITION.split(":")[0] in page


def test_an_empty_period_says_so() -> None:
    period = period_review([], "2025-06-01", "2025-06-07")
    assert period.days == [] and period.rate is None
    assert "No entry of the period has machine English to compare." in format_period(period)
    page = render_period_html(period)
    assert "None: no machine English to compare." in page and "<svg" in page


def test_review_command(isolated: Path) -> None:
    from pipeline.store import Store

    store = Store(isolated / "drafts")
    store.save(
        make_entry(
            "2506.00001", machine_en="The authors made it.", comment_en="The authors designed it."
        )
    )
    store.save(make_entry("2506.00002", machine_en="Same.", comment_en="Same."))
    one = run("review", "2506.00001", env={"NO_COLOR": "1"})
    assert one.code == 0
    assert "Diff:    The authors [-made-]{+designed+} it." in one.stdout
    assert "Edit rate: 25.0% (1 edit / 4 words)" in one.stdout
    assert "Korean:  첫 줄.\n         둘째 줄.\n" in one.stdout
    day = run("review", "--date", "2025-06-24", "--html", "r.html")
    # 1 edit over the day's 5 words (the CLI's line may still say "Average")
    assert re.search(r"edit rate:? 20\.0%", day.stdout.lower()), day.stdout
    assert "\x1b[" not in day.stdout  # not a terminal: no color
    page = (isolated / "r.html").read_text(encoding="utf-8")
    assert page.count("<article") == 1 and "<strong>1 of 2</strong> entries edited" in page
    assert "<summary>1 unedited</summary>" in page


def test_the_screenshot_script_builds_its_pages_and_skips_without_a_browser(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], isolated: Path
) -> None:
    from scripts import screenshots

    pages = screenshots.pages()
    assert set(pages) == {"day", "range", "review", "period"}
    assert all(p.startswith("<!DOCTYPE html>") and "<script" not in p for p in pages.values())
    assert "⚠ needs review" in pages["day"] and "<svg" in pages["period"]
    monkeypatch.setattr(screenshots.shutil, "which", lambda name: None)
    assert screenshots.main(["screenshots.py", str(isolated / "shots")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("screenshots: skipped") and out.count("\n") == 1
    assert not (isolated / "shots").exists()


def test_review_since_shows_the_rate_per_day_and_a_page(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """The trend over a period, in the terminal and as a page with an inline SVG."""
    drafted()
    assert run("edit", "2506.18896", stdin="A PRM that grades each reasoning step.").code == 0
    result = run("review", "--since", "2025-06-01", "--html", "trend.html")
    assert result.code == 0 and "2025-06-24" in result.stdout
    page = (isolated / "trend.html").read_text(encoding="utf-8")
    assert "<svg" in page and "<script" not in page
    assert run("review", "--since", "2025-06-01", "--date", DATE).code == 2  # one at a time
