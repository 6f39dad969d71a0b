"""How the history keeps in step with the drafts folder cheaply: only the day folders that changed
are looked into, every file when a command reports on the history itself, and a command that
writes many drafts (an import) records them as it goes, so that no later command parses them."""

from __future__ import annotations

import os
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from pipeline.entry import Entry
from pipeline.history import History
from pipeline.store import Store
from pipeline.tags import vocabulary
from tests.cli_helpers import make_entry, run

LONG_AGO = 1_600_000_000  # 2020: a folder whose mtime is this is settled, not "racily" new


def days_store(root: Path, days: int = 6, per_day: int = 3, settled: bool = True) -> Store:
    store = Store(root / "drafts")
    for d in range(days):
        for n in range(per_day):
            store.save(
                make_entry(
                    f"2401.{d:02d}{n:03d}",
                    f"2024-01-{d + 1:02d}",
                    comment_ko=f"보상 모델 {d}번째 날의 {n}번째 코멘트.",
                    tags=["rl", f"day-{d}"],
                )
            )
    if settled:
        settle(store)
    return store


def settle(store: Store) -> None:
    """Every day folder's mtime in the past, as after a day of other work."""
    for day in store.days():
        os.utime(store.root / day, (LONG_AGO, LONG_AGO))


class Parses:
    """Which draft files the history parses (reads back)."""

    def __init__(self, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[Path] = []
        original = store.load

        def load(path: Path) -> Entry:
            self.paths.append(path)
            return original(path)

        monkeypatch.setattr(store, "load", load)


def history(store: Store) -> History:
    return History(store, store.root.parent / "cache" / "history.sqlite3")


def overwrite_in_place(path: Path, old: str, new: str) -> None:
    """As an editor that overwrites the file does: same inode, the folder's mtime untouched."""
    folder_times = os.stat(path.parent)
    text = path.read_text(encoding="utf-8").replace(old, new)
    with path.open("r+", encoding="utf-8") as handle:
        handle.write(text)
        handle.truncate()
    os.utime(path.parent, ns=(folder_times.st_atime_ns, folder_times.st_mtime_ns))


def test_only_the_folders_that_changed_are_looked_into(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = days_store(tmp_path)
    assert history(store).count() == (18, 6)
    settle(store)  # (the sync saw them fresh: it looks again once, then trusts their mtime)
    history(store).sync()
    parses = Parses(store, monkeypatch)
    listed: list[str] = []
    scandir = os.scandir

    def listing(path: str) -> object:
        listed.append(str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", listing)
    history(store).sync()
    assert parses.paths == [] and listed == [str(store.root)]  # the days' names only
    # a new draft, a changed one and a removed one: in two folders
    store.save(make_entry("2401.99999", "2024-01-02", comment_ko="새로운 코멘트입니다."))
    changed = store.load(store.path("2024-01-03", "2401.02001"))
    changed.comment_en = "Edited."
    store.save(changed)
    store.path("2024-01-03", "2401.02002").unlink()
    listed.clear()
    parses.paths.clear()  # (the load just above)
    again = history(store)
    assert again.count() == (18, 6)
    assert sorted(listed) == sorted(str(store.root / d) for d in ("", "2024-01-02", "2024-01-03"))
    assert sorted(parses.paths) == sorted(
        [store.path("2024-01-02", "2401.99999"), store.path("2024-01-03", "2401.02001")]
    )
    assert "2401.02002" not in {e.id for e in again.entries()}


def test_a_day_folder_removed_takes_its_drafts_out(tmp_path: Path) -> None:
    store = days_store(tmp_path)
    history(store).sync()
    for path in (store.root / "2024-01-04").iterdir():
        path.unlink()
    (store.root / "2024-01-04").rmdir()
    remaining = history(store)
    assert remaining.count() == (15, 5)
    assert "day-3" not in remaining.tag_counts()


def test_a_draft_overwritten_in_place_is_seen_by_the_reports_on_the_history(
    tmp_path: Path, isolated: Path
) -> None:
    store = days_store(isolated)
    assert run("tags").code == 0
    settle(store)
    assert run("tags").code == 0  # the folders' mtimes trusted from now on
    overwrite_in_place(store.path("2024-01-05", "2401.04000"), "- day-4", "- day-four")
    # a report on the history itself looks at every file
    assert "#day-four" in run("tags", "--all").stdout
    # (as `review --since`, `glossary suggest` and `doctor` do); a draft's quick look does not,
    # and needs not: its examples come from the folders that changed
    quick = history(store)
    assert quick.tag_counts()["day-four"] == 1  # seen: the tags run above recorded it


def test_a_racily_new_folder_is_looked_into_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = days_store(tmp_path, settled=False)
    history(store).sync()  # every folder written just now: not trusted yet
    path = store.path("2024-01-01", "2401.00000")
    overwrite_in_place(path, "- day-0", "- day-zero")  # in the same tick, as far as mtime shows
    assert history(store).tag_counts()["day-zero"] == 1


def test_drafts_recorded_as_they_are_written_are_not_parsed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = days_store(tmp_path, days=2)
    kept = history(store)
    kept.sync()
    for n in range(300):  # as an import writes them
        entry = make_entry(
            f"2402.{n:05d}", f"2024-02-{1 + n % 20:02d}", comment_ko=f"기록 {n}번.", tags=["x"]
        )
        kept.record(store.save(entry), entry)
    parses = Parses(store, monkeypatch)
    later = history(store)
    assert later.count() == (306, 22)
    assert parses.paths == []  # nothing recorded is parsed again
    assert later.tag_counts()["x"] == 300
    assert [e.key for _, e in later.nearest("기록 123번!", k=1)] == ["2402.00123"]
    # recorded, then removed with its folder before any sync: gone from the history too
    gone = make_entry("2403.00001", "2024-03-01", comment_ko="곧 지워질 코멘트.")
    kept.record(store.save(gone), gone)
    store.remove("2024-03-01", "2403.00001")
    assert "2403.00001" not in {e.id for e in history(store).entries()}


def test_recording_into_an_unusable_history_does_nothing(tmp_path: Path) -> None:
    store = days_store(tmp_path, days=1)
    broken = History(store, tmp_path / "cache" / "history.sqlite3")
    (tmp_path / "cache" / "history.sqlite3").mkdir(parents=True)  # a folder: no database
    entry = make_entry("2403.00001", "2024-03-01")
    broken.record(store.save(entry), entry)  # no error: the history is only a cache
    assert store.path("2024-03-01", "2403.00001").exists()


def test_a_history_whose_rows_were_dropped_looks_everywhere(tmp_path: Path) -> None:
    store = days_store(tmp_path)
    kept = history(store)
    assert kept.count() == (18, 6)
    settle(store)
    history(store).sync()
    assert kept.path is not None
    with sqlite3.connect(kept.path) as db:  # as a schema change drops the drafts, say
        db.execute("DELETE FROM drafts")
    assert history(store).count() == (18, 6)


def test_tag_counts_from_the_history_are_the_vocabulary_of_the_drafts(tmp_path: Path) -> None:
    store = Store(tmp_path / "drafts")
    lists = [["llm", "rl"], ["LLM", "llm"], ["object_detection"], ["rl"], [], ["rl"]]
    for n, tags in enumerate(lists):
        store.save(make_entry(f"2404.{n:05d}", "2024-04-01", tags=tags))
    entries = [store.load(p) for p in store.files()]
    counts = history(store).tag_counts()
    assert counts == vocabulary(entries) == Counter({"rl": 3, "llm": 2, "object-detection": 1})
    assert history(store).tag_counts(exclude="2404.00000") == Counter(
        {"rl": 2, "llm": 1, "object-detection": 1}
    )
