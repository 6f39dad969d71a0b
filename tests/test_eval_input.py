"""`digest eval` takes nothing on trust (issue 25): a saved run is checked field by field as it is
loaded, a corpus line nested past reading is named, a note given twice is measured once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import run
from tests.conftest import DATA
from tests.servers import OpenAIServer, last_user_comment

CORPUS = DATA / "notes-2024.jsonl"
LINES = CORPUS.read_text(encoding="utf-8").splitlines()
HELD_OUT = [line for line in LINES if json.loads(line)["id"][2:4] in ("09", "10", "11", "12")]
HIS = {
    " ".join(record["comment_ko"].split()): record["comment_en"]
    for record in map(json.loads, LINES)
}


@pytest.fixture
def saved(model_server: OpenAIServer, isolated: Path) -> dict[str, Any]:
    """A run saved with --save, as JSON."""
    model_server.responder = lambda request: HIS.get(
        " ".join(last_user_comment(request).split()), "Something else."
    )
    assert run("eval", "--limit", "3", "--save", "a.json").code == 0
    return json.loads((isolated / "a.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d["notes"][1].update(chrf="high"), 'notes[1].chrf must be a number, not "high"'),
        (
            lambda d: d["notes"][0].update(edits=None),
            "notes[0].edits must be a whole number, not null",
        ),
        (lambda d: d["notes"][2].pop("english"), "notes[2].english is missing"),
        (lambda d: d["notes"][0]["terms"].update(listed=1.5), "notes[0].terms.listed must be"),
        (
            lambda d: d["notes"][0].update(findings=[3]),
            "notes[0].findings[0] must be a JSON object",
        ),
        (
            lambda d: d["summary"].update(seconds="1 s"),
            'summary.seconds must be a number, not "1 s"',
        ),
        (lambda d: d.update(notes={}), "notes must be a list, not {}"),
        (lambda d: d.update(judge="yes"), 'judge must be true or false, not "yes"'),
        (
            lambda d: d.update(context_chars=[1, -2]),
            "context_chars must be a list of whole numbers",
        ),
    ],
)
def test_a_saved_run_with_a_field_of_another_type_is_named(
    change: Any, named: str, saved: dict[str, Any], isolated: Path
) -> None:
    change(saved)
    (isolated / "b.json").write_text(json.dumps(saved), encoding="utf-8")
    result = run("eval", "--compare", "a.json", "b.json")
    assert result.code == 2 and "Traceback" not in result.stderr
    [error] = result.stderr.strip().splitlines()
    assert error.startswith(f"Error: b.json: {named}"), error


def test_a_saved_run_nested_past_reading_is_named(saved: dict[str, Any], isolated: Path) -> None:
    (isolated / "b.json").write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    result = run("eval", "--compare", "a.json", "b.json")
    assert result.code == 2 and "nested more than 32 levels deep" in result.stderr


def test_a_corpus_line_nested_200000_deep_is_named(isolated: Path) -> None:
    (isolated / "c.jsonl").write_text(
        LINES[0] + "\n" + "[" * 200_000 + "]" * 200_000 + "\n", encoding="utf-8"
    )
    result = run("eval", "--corpus", "c.jsonl")
    assert result.code == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("Error: c.jsonl:2: not a JSON object (nested more")


def test_an_id_given_twice_is_reported_once_and_measured_once(
    model_server: OpenAIServer, isolated: Path
) -> None:
    first, second = HELD_OUT[0], HELD_OUT[1]
    (isolated / "c.jsonl").write_text(
        "\n".join([first, second, first, first, *LINES[:20]]) + "\n", encoding="utf-8"
    )
    result = run("eval", "--corpus", "c.jsonl", "--save", "run.json")
    assert result.code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "more than once" in line]
    assert warnings == [
        f"Warning: c.jsonl: 1 id(s) appear more than once: {json.loads(first)['id']} (3 times); "
        "each is measured once, as it first appears"
    ]
    notes = json.loads((isolated / "run.json").read_text(encoding="utf-8"))["notes"]
    ids = [note["id"] for note in notes]
    assert sorted(ids) == sorted({json.loads(first)["id"], json.loads(second)["id"]})


def test_a_corpus_line_may_hold_a_line_separator(
    model_server: OpenAIServer, isolated: Path
) -> None:
    note = {
        "id": "2410.00001",
        "title": "T",
        "authors": ["A"],
        "abstract": "An abstract\u2028with a separator.",
        "comment_ko": "한국어 코멘트입니다.",
        "comment_en": "An English comment.",
        "tags": [],
    }
    (isolated / "corpus.jsonl").write_text(
        json.dumps(note, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    result = run("eval", "--corpus", "corpus.jsonl", "--limit", "1")
    assert "not a JSON object" not in result.stderr
