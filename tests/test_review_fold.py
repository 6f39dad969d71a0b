"""`review` after an import (issue 27, items 6 and 8): what has machine English and was edited is
shown, the rest is folded into one line per kind; `--since` shows the words replaced most often;
the rate's definition is in --help and on the page, not repeated on every run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipeline.review import RATE_DEFINITION
from pipeline.store import Store
from tests.cli_helpers import make_entry, run

DATE = "2025-06-24"


def twenty_entry_day(store: Store) -> None:
    """2 edited, 17 unedited, 1 with the author's own English (imported)."""
    for n in range(1, 21):
        entry_id = f"2506.{n:05d}"
        if n <= 2:
            entry = make_entry(
                entry_id,
                machine_en="They made it judge each step.",
                comment_en="They designed it to judge each step.",
            )
        elif n == 20:
            entry = make_entry(entry_id, machine_en="", comment_en="His own English.")
        else:
            entry = make_entry(entry_id, machine_en="Same words.", comment_en="Same words.")
        store.save(entry)


def test_a_day_shows_the_edited_entries_and_folds_the_rest(isolated: Path) -> None:
    twenty_entry_day(Store(isolated / "drafts"))
    result = run("review", "--date", DATE, "--html", "day.html")
    assert result.code == 0, result.stderr
    out = result.stdout
    assert out.count("Diff:") == 2 and out.count("Korean:") == 2
    assert out.count("unedited") == 1
    ids = " ".join(f"2506.{n:05d}" for n in range(3, 8))
    assert f"\n17 unedited: {ids} and 12 more\n" in out
    assert "\n1 without machine English (the English is the author's own): 2506.00020\n" in out
    assert out.rstrip().endswith("2 of 19 entries edited; edit rate 8.3% (4 edits / 48 words)")
    assert out.count("A Title  (2025-06-24)") == 2  # two cards, not twenty
    assert RATE_DEFINITION not in out + result.stderr  # in --help and on the page
    page = (isolated / "day.html").read_text(encoding="utf-8")
    assert page.count("<article") == 2
    assert '<details class="folded"><summary>17 unedited</summary>' in page
    assert page.count("<li ") == 18 and RATE_DEFINITION.split(":")[0] in page


def test_one_entry_is_shown_whole_whatever_it_is(isolated: Path) -> None:
    twenty_entry_day(Store(isolated / "drafts"))
    one = run("review", "2506.00005")
    assert "English: Same words.\n         unedited: the published English is the model's\n" in (
        one.stdout
    )
    own = run("review", "2506.00020")
    assert "no machine English to compare: the English is the author's own" in own.stdout


def imported_history(store: Store, days: int = 150) -> None:
    """An import: a note a day of his own English; then two drafted days with machine English."""
    start = dt.date(2025, 6, 1)
    for n in range(days):
        date = (start + dt.timedelta(days=n)).isoformat()
        store.save(make_entry(f"own-{n:03d}", date, machine_en="", comment_en="His own."))
    later = (start + dt.timedelta(days=days)).isoformat()
    last = (start + dt.timedelta(days=days + 1)).isoformat()
    store.save(
        make_entry(
            "2511.00001", later, machine_en="It made a model.", comment_en="It designed a model."
        )
    )
    store.save(
        make_entry("2511.00002", last, machine_en="We made tools.", comment_en="We designed tools.")
    )
    store.save(make_entry("2511.00003", last, machine_en="Good.", comment_en="Good."))


def test_since_folds_the_days_without_machine_english_and_shows_the_replacements(
    isolated: Path,
) -> None:
    imported_history(Store(isolated / "drafts"))
    result = run("review", "--since", "2025-06-01", "--html", "trend.html")
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert not any("no machine English" in line for line in lines)
    days = [line for line in lines if line[:4] == "2025" and "edited" in line]
    assert [d[:10] for d in days] == ["2025-10-29", "2025-10-30"]
    assert "150 days without machine English (150 entries: the English is your own)" in lines
    at = lines.index("Replaced most often (model's words -> yours):")
    assert lines[at + 1] == "  'made' -> 'designed'  (2 times)"
    assert len(lines) < 10
    assert RATE_DEFINITION not in result.stdout + result.stderr
    page = (isolated / "trend.html").read_text(encoding="utf-8")
    assert page.count("<tr>") == 2 + 1 + 2  # two headers, one replacement, two days
    assert "150 days without machine English (150 entries: the English is your own)" in page
    assert '<td class="words"><del>made</del></td><td class="words"><ins>designed</ins>' in page


def test_a_replacement_made_once_is_shown_too(isolated: Path) -> None:
    store = Store(isolated / "drafts")
    store.save(
        make_entry("2506.00001", machine_en="It made a model.", comment_en="It built a model.")
    )
    result = run("review", "--since", DATE)
    assert "  'made' -> 'built'  (1 time)" in result.stdout.splitlines()
    store.save(make_entry("2506.00001", machine_en="Same.", comment_en="Same."))
    none = run("review", "--since", DATE)
    assert "Replaced most often: none (no English was edited)" in none.stdout


def test_review_help_defines_the_rate_and_promises_the_replacements() -> None:
    text = " ".join(run("review", "--help").stdout.split())
    assert "over the words of the longer of the two" in text
    assert "the words you replace most often" in text
