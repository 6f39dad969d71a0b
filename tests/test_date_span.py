"""A date range is its two ends, matched against the days that have drafts (issue 25): never
materialised day by day, so ten thousand years cost what one day of drafts costs. `today` and
`yesterday` are dates; an ISO week date is not."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.config import load_settings
from pipeline.errors import InputError
from pipeline.store import Day, Store
from pipeline.text import DateSpan, parse_dates
from pipeline.workflow import Workflow
from tests.cli_helpers import drafted, pin_today, run
from tests.conftest import FORMAT_SAMPLE
from tests.servers import ArxivServer, OpenAIServer

DAY = "2025-06-24"  # the day of the format sample
EVERYTHING = "0001-01-01..9999-12-31"


class CountingStore(Store):
    """A store that counts the days it is asked to read."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.days_read: list[str] = []

    def day(self, date: str) -> Day:
        self.days_read.append(date)
        return super().day(date)


@pytest.fixture
def one_day(isolated: Path) -> Path:
    assert run("import", str(FORMAT_SAMPLE)).code == 0
    return isolated / "drafts"


def test_a_range_is_its_two_ends() -> None:
    assert parse_dates(EVERYTHING) == DateSpan("0001-01-01", "9999-12-31")
    assert str(parse_dates(EVERYTHING)) == EVERYTHING
    assert str(parse_dates(DAY)) == DAY
    with pytest.raises(InputError, match="ends before it starts"):
        parse_dates("9999-12-31..0001-01-01")


def test_ten_thousand_years_read_only_the_days_with_drafts(one_day: Path) -> None:
    store = CountingStore(one_day)
    flow = Workflow(load_settings(), store=store)
    exported = flow.export(parse_dates(EVERYTHING), "text", force=True)
    assert store.days_read == [DAY] and exported.days == [DAY] and exported.entries == 3


def test_export_of_ten_thousand_years_ends_in_moments(one_day: Path) -> None:
    """A real process (before: 43-53 s and 466 MB); the time is printed, the limit is a guard."""
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "export", EVERYTHING, "--format", "json", "--force"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    print(f"export {EVERYTHING}: {time.monotonic() - started:.2f} s")
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    assert (document["from"], document["to"]) == ("0001-01-01", "9999-12-31")
    assert [day["date"] for day in document["days"]] == [DAY]


def test_a_range_without_drafts_is_exit_2_naming_it(one_day: Path) -> None:
    result = run("export", "2024-01-01..2024-12-31")
    assert result.code == 2
    assert f"no drafts for 2024-01-01..2024-12-31 in {one_day}" in result.stderr
    assert f"the latest day with drafts is {DAY}" in result.stderr


def test_a_range_takes_the_days_inside_it_only(one_day: Path) -> None:
    (one_day / "2025-06-23").mkdir()  # a day folder without drafts: skipped
    text = run("export", "2025-06-23..2025-06-24", "--force").stdout
    assert text.startswith("2025년 6월 24일\n")
    assert run("export", "2025-06-25..2025-07-01").code == 2


def test_week_dates_are_not_dates() -> None:
    result = run("export", "2026-W48-4")
    assert result.code == 2 and "is not a date" in result.stderr


def test_today_and_yesterday_are_dates(
    arxiv_server: ArxivServer,
    model_server: OpenAIServer,
    isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drafted(pin_today(monkeypatch))
    assert run("export", "today").stdout.splitlines()[1].startswith("ReasonFlux")
    assert run("check", "--date", "today").code == 0
    assert run("export", "yesterday").code == 2  # no drafts that day: bad input, named
