"""Review: the word diff of known pairs, token by token; the edit rate; the views."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.review import (
    DELETE,
    EQUAL,
    INSERT,
    edit_rate,
    format_review,
    render_html_page,
    render_terminal,
    review_entry,
    tokens,
    word_diff,
)
from tests.cli_helpers import run
from tests.test_store import make_entry


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
        ("A B C D", "A C D", 1, 3),  # a deletion
        ("A B C D", "A B C D E F", 2, 6),  # two insertions
        ("", "A B", 2, 2),
        ("A, B.", "A; B.", 1, 4),  # punctuation counts as a token
    ],
)
def test_edit_rate(machine: str, published: str, edits: int, words: int) -> None:
    rate = edit_rate(machine, published)
    assert (rate.edits, rate.words) == (edits, words)
    assert rate.percent == pytest.approx(100 * edits / words)


def test_terminal_view_with_and_without_color() -> None:
    diffs = word_diff("made it", "designed it")
    assert render_terminal(diffs, color=False) == "[-made-]{+designed+} it"
    colored = render_terminal(diffs, color=True)
    assert "\x1b[31;9mmade\x1b[0m" in colored and "\x1b[32mdesigned\x1b[0m" in colored


def test_no_edits_and_no_machine_english_say_so() -> None:
    same = review_entry(make_entry())
    assert same.note.startswith("no edits") and same.rate is not None and same.rate.edits == 0
    imported = review_entry(make_entry(machine_en="", comment_en="The author's own."))
    assert imported.rate is None and "author's own" in imported.note
    assert "author's own" in format_review(imported, color=False)


def test_against_previous_diffs_the_machine_translations() -> None:
    entry = make_entry(machine_en="A new one.", history=[{"machine_en": "An old one."}])
    review = review_entry(entry, "previous")
    assert render_terminal(review.diffs, False) == "[-An old-]{+A new+} one."  # semantic cleanup
    assert review_entry(make_entry(), "previous").note == "no previous machine translation"


def test_html_escapes_everything() -> None:
    entry = make_entry(
        title="<script>alert('t')</script>",
        comment_ko="<script>alert(1)</script> 코멘트",
        machine_en="A <b>bold</b> claim.",
        comment_en="A <script>x</script> claim.",
    )
    page = render_html_page([review_entry(entry)], "Review")
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<del>" in page and "<ins>" in page


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
    assert "Edit rate: 20.0% (1 edit / 5 words)" in one.stdout
    assert "Korean:  첫 줄.\n         둘째 줄.\n" in one.stdout
    day = run("review", "--date", "2025-06-24", "--html", "r.html")
    assert "Average edit rate: 10.0% over 2 entries" in day.stdout
    assert "\x1b[" not in day.stdout  # not a terminal: no color
    assert (isolated / "r.html").read_text(encoding="utf-8").count("<section>") == 2
