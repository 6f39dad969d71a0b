"""Drafts on disk: atomic, readable YAML; broken files reported with file and line; keys added by
hand kept; order numbers never given twice; a killed writer's temporary file cleaned."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import yaml

from pipeline.entry import ERROR, Finding, entry_from_yaml
from pipeline.errors import InputError
from pipeline.store import STALE_TEMP_SECONDS, Store, file_safe
from tests.cli_helpers import DATE, KO, draft_file, draft_sample, make_entry, run
from tests.servers import ArxivServer, OpenAIServer


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    store = Store(tmp_path / "drafts")
    entry = make_entry(checks=[Finding("hangul", ERROR, "x")], history=[{"machine_en": "old"}])
    path = store.save(entry)
    assert path == tmp_path / "drafts" / "2025-06-24" / "2506.18896.yaml"
    loaded = store.load(path)
    assert loaded == entry
    assert loaded.order == 1


def test_multi_line_text_is_a_literal_block_and_unicode_is_kept(tmp_path: Path) -> None:
    path = Store(tmp_path).save(make_entry())
    text = path.read_text(encoding="utf-8")
    assert "comment_ko: |-\n  첫 줄.\n  둘째 줄.\n" in text
    assert "\\u" not in text
    assert yaml.safe_load(text)["id"] == "2506.18896"


def test_text_that_a_block_cannot_hold_still_round_trips(tmp_path: Path) -> None:
    store = Store(tmp_path)
    tricky = "trailing space \nand a tab\t\n  indented\n"
    path = store.save(make_entry(comment_en=tricky))
    assert store.load(path).comment_en == tricky


def test_order_is_first_drafted_order_and_survives_rewrites(tmp_path: Path) -> None:
    store = Store(tmp_path)
    for entry_id in ["2506.00003", "2506.00001", "2506.00002"]:
        store.save(make_entry(entry_id))
    first = store.get("2025-06-24", "2506.00003")
    assert first is not None
    first.comment_en = "Edited."
    store.save(first)
    assert [e.id for e in store.day("2025-06-24").entries] == [
        "2506.00003",
        "2506.00001",
        "2506.00002",
    ]


def test_old_style_ids_stay_inside_the_day_folder(tmp_path: Path) -> None:
    store = Store(tmp_path)
    path = store.save(make_entry("hep-th/9901001"))
    assert path.parent == tmp_path / "2025-06-24"
    assert path.name == "hep-th_9901001.yaml"
    assert store.find("hep-th/9901001").id == "hep-th/9901001"


@pytest.mark.parametrize("bad", ["../../etc/passwd", "..", ".hidden", "a/../../b", "", "x y"])
def test_no_id_can_name_a_file_outside(bad: str) -> None:
    with pytest.raises(InputError):
        file_safe(bad)


def test_no_date_can_name_a_folder_outside(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        Store(tmp_path).path("../2025-06-24", "2506.18896")


def test_find_takes_the_most_recent_day(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.save(make_entry(date="2025-06-24", comment_en="old"))
    store.save(make_entry(date="2025-07-01", comment_en="new"))
    assert store.find("2506.18896").comment_en == "new"
    assert store.find("2506.18896", "2025-06-24").comment_en == "old"
    with pytest.raises(InputError, match="no draft of 2506.99999"):
        store.find("2506.99999")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: 1\ndate: [unclosed\n", r"\.yaml:\d+:\d+: YAML syntax error"),
        ("id: '2506.1'\ndate: 2025-06-24\n", r"\.yaml:1: missing key 'title'"),
        ("- a list\n", r"\.yaml:1: expected a mapping"),
        ("", r"\.yaml:1: the file is empty"),
    ],
)
def test_broken_drafts_are_reported_with_file_and_line(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        entry_from_yaml(text, "drafts/2025-06-24/x.yaml")


def test_wrong_types_name_the_key_and_its_line(tmp_path: Path) -> None:
    text = make_entry().to_yaml().replace("authors:\n- Ann\n- Bob\n", "authors: 7\n")
    line = text.splitlines().index("authors: 7") + 1
    with pytest.raises(InputError, match=rf"x.yaml:{line}: 'authors' must be a list"):
        entry_from_yaml(text, "x.yaml")


def test_a_broken_draft_does_not_hide_the_others(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.save(make_entry("2506.00001"))
    (tmp_path / "2025-06-24" / "2506.00002.yaml").write_text("title: [oops\n", encoding="utf-8")
    day = store.day("2025-06-24")
    assert [e.id for e in day.entries] == ["2506.00001"]
    assert len(day.problems) == 1 and "2506.00002.yaml:" in str(day.problems[0])


def test_writes_are_atomic_no_temp_files_left(tmp_path: Path) -> None:
    store = Store(tmp_path)
    for _ in range(3):
        store.save(make_entry())
    names = sorted(p.name for p in (tmp_path / "2025-06-24").iterdir())
    assert names == [".order", "2506.18896.yaml"]  # the draft and the day's order counter


def test_a_drafts_folder_that_cannot_be_created_is_a_clear_input_error(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="cannot create the drafts folder"):
        Store(tmp_path / "a-file" / "drafts").save(make_entry())


def test_an_unquoted_date_typed_by_hand_is_read(tmp_path: Path) -> None:
    text = make_entry().to_yaml().replace("date: '2025-06-24'", "date: 2025-06-24")
    assert "date: 2025-06-24\n" in text
    assert entry_from_yaml(text, "x.yaml").date == "2025-06-24"


def test_an_unreadable_draft_does_not_give_its_order_number_again(tmp_path: Path) -> None:
    """Orders come from a counter; a day without one starts past every file's order."""
    store = Store(tmp_path)
    store.save(make_entry("2506.00001"))
    broken = tmp_path / DATE / "2506.00002.yaml"
    broken.write_text("order: 2\ntitle: [unclosed\n", encoding="utf-8")
    (tmp_path / DATE / ".order").unlink()  # as in a drafts folder from before the counter
    entry = make_entry("2506.00003")
    store.save(entry)
    assert entry.order == 3
    fixed = make_entry("2506.00004")
    store.save(fixed)
    assert fixed.order == 4


def test_a_temporary_file_left_by_a_killed_writer_is_cleaned(tmp_path: Path) -> None:
    folder = tmp_path / DATE
    folder.mkdir()
    stale = folder / ".2506.00001.yaml.abc123.tmp"
    fresh = folder / ".2506.00002.yaml.def456.tmp"  # a writer at work right now
    for temp in (stale, fresh):
        temp.write_text("half a draft", encoding="utf-8")
    old = time.time() - STALE_TEMP_SECONDS - 60
    os.utime(stale, (old, old))
    Store(tmp_path).save(make_entry("2506.00001"))
    assert not stale.exists() and fresh.exists()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: d.pop("comment_ko"), "missing key 'comment_ko'"),
        (lambda d: d.update(tags="rl"), "'tags' must be a list"),
        (lambda d: d.update(order="first"), "'order' must be a whole number"),
        (lambda d: d.update(status="done"), "'status' must be one of"),
        (lambda d: d.update(date="June 24"), "'date' must be a date"),
    ],
)
def test_drafts_broken_by_hand(
    damage, message: str, arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    assert draft_sample().code == 0
    path = draft_file(isolated, DATE, "2506.18896")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    damage(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = run("check", "2506.18896")
    assert result.code == 2
    assert result.stderr.startswith(f"Error: {path}:") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_id_typed_without_quotes_keeps_its_final_zero(isolated: Path) -> None:
    from pipeline.store import Store
    from tests.cli_helpers import make_entry

    store = Store(isolated / "drafts")
    path = store.save(make_entry("2506.00910"))
    path.write_text(path.read_text(encoding="utf-8").replace("id: '2506.00910'", "id: 2506.00910"))
    assert store.load(path).id == "2506.00910"
    other = path.with_name("2506.00911.yaml")
    other.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")  # says 00910
    result = run("check", "--date", DATE)
    assert (
        result.code == 2
        and "does not match" not in result.stderr
        or "but its file" in result.stderr
    )


def test_keys_added_by_hand_are_kept(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    assert run("draft", "2506.18896", "--comment", KO, "--date", DATE).code == 0
    path = draft_file(isolated, DATE, "2506.18896")
    path.write_text(path.read_text(encoding="utf-8") + "my_note: ask Jiaru about the PRM\n")
    assert run("translate", "2506.18896").code == 0
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["my_note"] == "ask Jiaru about the PRM"
