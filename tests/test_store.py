"""Drafts on disk: atomic, readable YAML; broken files reported with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.entry import ERROR, Finding, entry_from_yaml
from pipeline.errors import InputError
from pipeline.store import Store, file_safe
from tests.cli_helpers import make_entry


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
