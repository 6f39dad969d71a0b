"""The glossary: validation with file:line, and finding terms in Korean text."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import InputError
from pipeline.glossary import Glossary, load_glossary, parse_glossary
from tests.cli_helpers import KO, SMALL_GLOSSARY, big_glossary, run
from tests.conftest import REPO


@pytest.fixture
def small() -> Glossary:
    return parse_glossary(SMALL_GLOSSARY, "g.yaml")


def found(glossary: Glossary, text: str) -> list[tuple[str, str]]:
    return [(m.term.source, m.text) for m in glossary.find(text)]


def test_the_shipped_glossary_is_valid_and_large_enough() -> None:
    glossary = load_glossary(REPO / "glossary.yaml")
    assert len(glossary.terms) >= 200
    assert {"RLVR", "SFT", "GRPO"} <= set(glossary.keep)
    rl = next(t for t in glossary.terms if t.source == "강화학습")
    assert rl.renderings == ("reinforcement learning", "RL")


def test_forms_of_a_term(small: Glossary) -> None:
    term = next(t for t in small.terms if t.source == "추론")
    assert term.renderings == ("reasoning", "inference") and term.note.startswith("reasoning")
    assert next(t for t in small.terms if t.source == "보상").renderings == ("reward",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("강화학습으로", [("강화학습", "강화학습")]),
        ("강화 학습을", [("강화학습", "강화 학습")]),  # spacing-insensitive
        ("보상 모델을 학습", [("보상 모델", "보상 모델"), ("학습", "학습")]),  # longest first
        ("보상모델의", [("보상 모델", "보상모델")]),
        ("추론을 / 추론의 / 추론에서는", [("추론", "추론")] * 3),  # particles
        ("학습률", []),  # not inside a longer compound
        ("사전학습", []),  # nor at its end
        ("학습하는 모델", [("학습", "학습")]),  # verb endings are fine
        ("Reward에 노이즈를", [("Reward", "Reward")]),  # particles after Latin terms
        ("reward model이 아닌 REWARD", [("Reward", "reward"), ("Reward", "REWARD")]),  # case
        ("RLVR을 사용", [("RLVR", "RLVR")]),
        ("XRLVR 과 RLVRs", []),  # no Latin letters glued on
    ],
)
def test_find(small: Glossary, text: str, expected: list[tuple[str, str]]) -> None:
    assert found(small, text) == expected


def test_spans_point_into_the_text(small: Glossary) -> None:
    text = "요즘 강화 학습의 보상은"
    for match in small.find(text):
        assert text[match.start : match.end] == match.text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("terms: [a, b]\n", r"g.yaml:1: 'terms' must be a mapping"),
        (
            "terms:\n  보상: reward\n  보 상: reward\n",
            r"g.yaml:3: duplicate term '보 상' \(same as line 2",
        ),
        ("terms:\n  보상: reward\n  보상: prize\n", r"g.yaml:3: duplicate term"),
        ("terms:\n  보상: ''\n", r"g.yaml:2: term '보상' has an empty rendering"),
        ("terms:\n  보상: []\n", r"g.yaml:2: term '보상' needs an English rendering"),
        ("terms:\n  보상: {note: x}\n", r"g.yaml:2: term '보상' takes 'en'"),
        ("terms:\n  보상: [reward\n", r"g.yaml:\d+:\d+: YAML syntax error"),
        ("keep: RLVR\n", r"g.yaml:1: 'keep' must be a list"),
        ("keep: [보상]\n", r"g.yaml:1: keep entry '보상' is not Latin-script"),
        ("words: {}\n", r"g.yaml:1: unknown section 'words'"),
        ("terms:\n  보상: 3\n", r"g.yaml:2: term '보상' needs an English rendering"),
    ],
)
def test_problems_name_file_and_line(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_glossary(text, "g.yaml")


def test_strict_and_avoid() -> None:
    glossary = parse_glossary(
        "terms:\n"
        "  리더보드:\n"
        "    en: leaderboard\n"
        "    avoid: [ranking]\n"
        "  보상 모델:\n"
        "    en: [reward model, RM]\n"
        "    strict: true\n"
        "    avoid: compensation model\n"
        "  보상: reward\n",
        "g.yaml",
    )
    board, model, reward = glossary.terms
    assert (board.strict, board.avoid) == (False, ("ranking",))
    assert (model.strict, model.avoid, model.renderings) == (
        True,
        ("compensation model",),
        ("reward model", "RM"),
    )
    assert (reward.strict, reward.avoid) == (False, ())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "terms:\n  보상:\n    en: reward\n    strict: yes please\n",
            r"g.yaml:4: 'strict' of '보상' must be true or false",
        ),
        (
            "terms:\n  보상:\n    en: reward\n    avoid: []\n",
            r"g.yaml:4: 'avoid' of '보상' must be a non-empty rendering or a list of them",
        ),
        (
            "terms:\n  보상:\n    en: reward\n    avoid: [compensation, '']\n",
            r"g.yaml:4: 'avoid' of '보상'",
        ),
        (
            "terms:\n  보상:\n    en: reward\n    severity: high\n",
            r"g.yaml:4: term '보상' has an unknown key 'severity'",
        ),
        (
            "terms:\n  보상:\n    en: reward\n    avoid: [Reward]\n",
            r"g.yaml:2: term '보상' both uses and avoids 'reward'",
        ),
        ("terms:\n  보상:\n    en: reward\n    note: [a, b]\n", r"g.yaml:4: the note of '보상'"),
    ],
)
def test_strict_and_avoid_problems_name_file_and_line(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_glossary(text, "g.yaml")


def test_the_shipped_glossary_keeps_strict_terms_few() -> None:
    """Strict only where another wording would mislead: most terms guide, not block."""
    glossary = load_glossary(REPO / "glossary.yaml")
    strict = [t.source for t in glossary.terms if t.strict]
    assert 1 <= len(strict) <= 10
    assert "보상 모델" in strict and "인식" not in strict
    assert all(t.avoid for t in glossary.terms if t.source in ("강화학습", "확산 모델"))


def test_a_counter_after_a_number_is_not_a_term() -> None:
    glossary = parse_glossary("terms:\n  대규모: large-scale\n  배: boat\n", "g.yaml")
    assert found(glossary, "1,000대 규모의 GPU") == []
    assert found(glossary, "2배 빠른 대규모 모델") == [("대규모", "대규모")]


def test_a_missing_glossary_is_empty(tmp_path: Path) -> None:
    assert load_glossary(tmp_path / "none.yaml").terms == []


def test_matching_stays_fast_with_ten_thousand_terms() -> None:
    glossary = big_glossary(10_000)
    assert len(glossary.terms) > 9_000
    comment = "Reward에 노이즈를 추가하는 것으로 강화학습 속도를 가속시킬 수 있다는 연구. " * 5
    started = time.monotonic()
    for _ in range(50):
        matches = glossary.find(comment)
    per_comment = (time.monotonic() - started) / 50
    assert any(m.term.source == "강화학습" for m in matches)
    print(f"glossary matching, 10,000 terms: {per_comment * 1000:.2f} ms per comment")
    # under a millisecond here; the bound (5 s for the 50) is generous enough for any load
    assert per_comment < 0.1, f"{per_comment * 1000:.0f} ms per comment"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_find_never_crashes_and_spans_are_valid(text: str) -> None:
    glossary = parse_glossary(SMALL_GLOSSARY, "g.yaml")
    for match in glossary.find(text):
        assert 0 <= match.start < match.end <= len(text)
        assert text[match.start : match.end] == match.text


@pytest.mark.parametrize(
    ("glossary", "where"),
    [
        ("terms:\n  보상: [reward\n", r"g.yaml:\d+:\d+: YAML syntax error"),
        ("terms:\n  보상: reward\n  보 상: prize\n", "g.yaml:3: duplicate term"),
        ("terms: [보상]\n", "g.yaml:1: 'terms' must be a mapping"),
    ],
)
def test_a_broken_glossary_is_exit_2_with_file_and_line(
    glossary: str, where: str, isolated: Path
) -> None:
    (isolated / "g.yaml").write_text(glossary, encoding="utf-8")
    result = run("draft", "2506.18896", "--comment", KO, env={"DIGEST_GLOSSARY": "g.yaml"})
    assert result.code == 2
    import re

    assert re.match("Error: " + where, result.stderr.strip())
