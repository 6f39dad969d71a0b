"""YAML from people is plain data (issue 25): aliases, unusual tags and deep nesting are refused
with file:line before anything is built; what digest writes never holds an alias."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline import yamlio
from pipeline.errors import InputError
from tests.cli_helpers import draft_file, run
from tests.conftest import TRANSLATIONS
from tests.servers import ArxivServer, OpenAIServer

DATE = "2025-06-24"
KO = "PRM. 각 단계가 일관되는지, 추론의 템플릿이 적절한지 등을 평가하게 했군요."
EN = TRANSLATIONS[KO]

# Nine lines that stand for 9**7 (4.8 million) strings once expanded: a "billion laughs".
ALIAS_BOMB = """\
lol0: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
lol1: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
lol2: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
lol3: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
lol4: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
lol5: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
lol6: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
"""


@pytest.fixture
def drafted(arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path) -> Path:
    assert run("draft", "2506.18896", "--comment", KO, "--date", DATE).code == 0
    return draft_file(isolated, DATE, "2506.18896")


def test_edit_of_a_draft_holding_an_alias_bomb_ends_at_once(drafted: Path) -> None:
    """A real process with a time limit: before, `edit` expanded the bomb and never returned."""
    drafted.write_text(drafted.read_text(encoding="utf-8") + ALIAS_BOMB, encoding="utf-8")
    before = drafted.read_bytes()
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "edit", "2506.18896", "--date", DATE],
        input="A PRM, edited by hand.\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    line = before.decode().splitlines().index(ALIAS_BOMB.splitlines()[1]) + 1
    assert proc.stderr.strip() == (
        f"Error: {drafted}:{line}: YAML aliases (*name) are not allowed; write the value out"
    )
    assert drafted.read_bytes() == before  # the draft intact
    for command in (["check", "--date", DATE], ["export", DATE]):
        result = run(*command)
        assert result.code == 2 and f"{drafted}:{line}: YAML aliases" in result.stderr


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ("!!python/object:collections.OrderedDict {}", "!!python/object:collections.OrderedDict"),
        ("!!python/name:os.system", "!!python/name:os.system"),
        ("!custom reward", "!custom"),
        ("!!binary aGVsbG8=", "!!binary"),
        ("!!set {reward: null}", "!!set"),
    ],
)
def test_a_glossary_with_a_tag_is_exit_2_with_file_and_line(
    value: str, tag: str, isolated: Path
) -> None:
    (isolated / "g.yaml").write_text(f"terms:\n  보상: reward\n  모델: {value}\n", encoding="utf-8")
    result = run("draft", "2506.18896", "--comment", KO, env={"DIGEST_GLOSSARY": "g.yaml"})
    assert result.code == 2 and "Traceback" not in result.stderr
    assert not (isolated / "drafts").exists()  # refused before anything was saved
    assert result.stderr.strip() == (
        f"Error: g.yaml:3: the YAML tag {tag} is not allowed; "
        "only plain text, numbers, lists and mappings"
    )


def test_a_hand_added_key_with_a_tag_in_a_draft_is_named(drafted: Path) -> None:
    text = drafted.read_text(encoding="utf-8")
    drafted.write_text(text + "mine: !!python/object/apply:os.system [true]\n", encoding="utf-8")
    result = run("check", "2506.18896")
    line = len(text.splitlines()) + 1
    assert result.code == 2
    assert f"{drafted}:{line}: the YAML tag !!python/object/apply:os.system" in result.stderr


def test_standard_tags_and_plain_values_still_load() -> None:
    data, lines, typed = yamlio.load_mapping(
        "id: !!str 2506.00910\nwhen: 2025-06-24\nn: !!int '3'\nok: true\nnothing: null\n", "d"
    )
    assert data["id"] == "2506.00910" and data["n"] == 3 and data["ok"] is True
    assert lines["when"] == 2 and typed["id"] == "2506.00910"


def test_nesting_past_the_limit_is_named() -> None:
    deep = "a: " + "[" * (yamlio.MAX_DEPTH + 1) + "]" * (yamlio.MAX_DEPTH + 1) + "\n"
    with pytest.raises(InputError, match=r"^d:1: nested more than 32 levels deep"):
        yamlio.load_mapping(deep, "d")
    with pytest.raises(InputError, match="YAML syntax error"):  # libyaml's own limit, at 1,000
        yamlio.load_mapping("a: " + "[" * 200_000, "d")


def test_a_value_held_twice_is_written_twice_never_as_an_alias() -> None:
    shared = ["rl", "reasoning"]
    text = yamlio.dump({"tags": shared, "history": [{"tags": shared}]})
    assert "&" not in text and "*" not in text
    assert yamlio.load_mapping(text, "d")[0]["history"][0]["tags"] == shared


def test_an_anchor_without_an_alias_is_harmless_and_loads() -> None:
    """Only an alias can multiply a document; an anchor alone is a name, nothing more."""
    assert yamlio.load_mapping("a: &x 1\nb: 2\n", "d")[0] == {"a": 1, "b": 2}


def test_json_is_bounded_in_depth() -> None:
    assert yamlio.load_json('{"a": [1, {"b": 2}]}') == {"a": [1, {"b": 2}]}
    for deep in ("[" * 200_000 + "]" * 200_000, "[" * 40 + "]" * 40):
        with pytest.raises(ValueError, match="nested more than 32 levels deep"):
            yamlio.load_json(deep)


def test_the_drafts_digest_writes_load_with_the_strict_loader(drafted: Path) -> None:
    """Everything digest writes is plain data: its own drafts pass the loader that refuses."""
    assert yaml.safe_load(drafted.read_text(encoding="utf-8"))["comment_en"] == EN
    assert run("check", "2506.18896").code == 0
