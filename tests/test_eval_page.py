"""The eval page shows the 20 worst notes, or says why fewer (issue 27, item 8)."""

from __future__ import annotations

from pipeline.evaluate import render_html
from tests.cli_helpers import eval_note, eval_report


def test_the_twenty_worst_when_twenty_differ() -> None:
    page = render_html(eval_report([eval_note(n, f"Another English {n}.") for n in range(1, 31)]))
    assert "<h2>The 20 notes with the lowest chrF</h2>" in page and "Fewer than" not in page
    assert page.count("<article>") == 20
    assert page.index("2409.00001") < page.index("2409.00002")  # the lowest chrF first
    assert "2409.00021" not in page


def test_fewer_than_twenty_say_why() -> None:
    results = [eval_note(n, f"Another English {n}." if n <= 2 else "") for n in range(1, 51)]
    page = render_html(eval_report(results))
    assert page.count("<article>") == 2
    assert "<h2>The 2 notes with the lowest chrF</h2>" in page
    assert (
        "Fewer than 20: only 2 of the 50 notes differ from his English or fail a check; "
        "the other 48 are his English word for word." in page
    )
    one = render_html(eval_report([eval_note(1, "Other."), eval_note(2, "")]))
    assert "<h2>The 1 note with the lowest chrF</h2>" in one
    same = render_html(eval_report([eval_note(n, "") for n in range(1, 4)]))
    assert "<h2>Every English is his, word for word</h2>" in same and "<article>" not in same
