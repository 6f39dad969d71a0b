"""The request a reasoning model gets and the one a local model gets, through the CLI against the
loopback OpenAI server: `reasoning_effort` (DIGEST_REASONING_EFFORT, the judge's own), no
temperature for OpenAI's reasoning families, and a server that refuses the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.judge import JUDGE_SYSTEM
from pipeline.translate import is_reasoning_model
from tests.cli_helpers import run
from tests.conftest import dictionary_translator
from tests.servers import ArxivServer, OpenAIServer

KO = "PRM. 각 단계가 일관되는지, 추론의 템플릿이 적절한지 등을 평가하게 했군요."
ID = "2506.18896"


def draft(comment: str = KO, *extra: str) -> None:
    result = run("draft", ID, "--comment", comment, "--date", "2025-06-24", *extra)
    assert result.code == 0, result.stderr


def judge_or_translate(request: dict) -> str:
    """A judge that finds nothing, a translator that passes the checks."""
    return (
        "[]"
        if request["messages"][0]["content"] == JUDGE_SYSTEM
        else dictionary_translator(request)
    )


@pytest.mark.parametrize(
    ("model", "reasoning"),
    [
        ("gpt-5-mini", True),
        ("gpt-5", True),
        ("gpt-5-nano-2025-08-07", True),
        ("gpt-5.1", True),
        ("o1", True),
        ("o3-mini", True),
        ("o4-mini", True),
        ("openai/gpt-5-mini", True),
        ("gpt-4o-mini", False),
        ("gpt-4.1", False),
        ("qwen2.5:14b", False),
        ("llama3.1:8b", False),
        ("o10-preview", False),
        ("mistral-o3", False),
    ],
)
def test_the_reasoning_families(model: str, reasoning: bool) -> None:
    assert is_reasoning_model(model) is reasoning


def test_a_reasoning_model_gets_low_effort_and_no_temperature(
    arxiv_server: ArxivServer, model_server: OpenAIServer
) -> None:
    draft()  # DIGEST_MODEL unset: the default, gpt-5-mini
    (body,) = model_server.bodies()
    assert body["model"] == "gpt-5-mini"
    assert body["reasoning_effort"] == "low"
    assert "temperature" not in body  # it takes only its default


def test_a_local_model_gets_temperature_and_no_effort(
    arxiv_server: ArxivServer, model_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_MODEL", "qwen2.5:14b")
    draft()
    (body,) = model_server.bodies()
    assert body["model"] == "qwen2.5:14b"
    assert body["temperature"] == 0
    assert "reasoning_effort" not in body


def test_an_effort_set_is_sent_to_any_model(
    arxiv_server: ArxivServer, model_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_MODEL", "qwen3:8b")
    monkeypatch.setenv("DIGEST_REASONING_EFFORT", " High ")
    draft()
    (body,) = model_server.bodies()
    assert body["reasoning_effort"] == "high" and body["temperature"] == 0


def test_a_bad_effort_is_exit_2_naming_it(arxiv_server: ArxivServer) -> None:
    result = run(
        "draft",
        ID,
        "--comment",
        KO,
        env={"DIGEST_REASONING_EFFORT": "maximal"},
    )
    assert result.code == 2
    assert result.stderr.strip() == (
        "Error: DIGEST_REASONING_EFFORT='maximal' is not one of minimal, low, medium, high"
    )
    judge = run("check", env={"DIGEST_JUDGE_REASONING_EFFORT": "lots"})
    assert judge.code == 2 and "DIGEST_JUDGE_REASONING_EFFORT='lots'" in judge.stderr


def test_the_judge_has_its_own_effort(
    arxiv_server: ArxivServer, model_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_REASONING_EFFORT", "minimal")
    monkeypatch.setenv("DIGEST_JUDGE_REASONING_EFFORT", "medium")
    model_server.responder = judge_or_translate
    draft(KO, "--judge")
    efforts = [
        (
            "judge" if b["messages"][0]["content"] == JUDGE_SYSTEM else "translate",
            b["reasoning_effort"],
        )
        for b in model_server.bodies()
    ]
    assert efforts == [("translate", "minimal"), ("judge", "medium")]


def test_the_judge_takes_the_translations_effort_unless_told(
    arxiv_server: ArxivServer, model_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    model_server.responder = judge_or_translate
    draft(KO, "--judge")
    assert [b["reasoning_effort"] for b in model_server.bodies()] == ["low", "low"]


def test_a_server_that_refuses_the_effort_is_asked_without_it_and_that_is_remembered(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    model_server.unknown_fields = ("reasoning_effort",)
    first_run = run("draft", ID, "--comment", KO, "--date", "2025-06-24")
    assert first_run.code == 0, first_run.stderr
    assert (
        "the model API (gpt-5-mini) does not take reasoning_effort=low; asking without it from "
        "now on" in first_run.stderr
    )
    first, second = model_server.bodies()
    assert first["reasoning_effort"] == "low"  # refused: 400 naming the field
    assert "reasoning_effort" not in second and "temperature" not in second
    assert [r["path"] for r in model_server.requests] == ["/v1/chat/completions"] * 2
    # the reply was cached as asked for: translating again asks nothing
    assert run("translate", ID, "--date", "2025-06-24").code == 0
    assert len(model_server.requests) == 2
    # the next run (a new comment: a new request) asks without it at once
    draft("PRM을 학습하는 다른 방법이네요.")
    assert len(model_server.bodies()) == 3
    assert "reasoning_effort" not in model_server.bodies()[2]
    # remembered per server and model: another model at the same server is asked with it
    model_server.unknown_fields = ()
    result = run(
        "draft",
        "2506.18896",
        "--comment",
        "또 다른 코멘트입니다.",
        "--date",
        "2025-06-25",
        env={"DIGEST_MODEL": "o4-mini"},
    )
    assert result.code == 0, result.stderr
    assert model_server.bodies()[3]["reasoning_effort"] == "low"


def test_a_refusal_that_names_another_field_is_an_error(
    arxiv_server: ArxivServer, model_server: OpenAIServer
) -> None:
    model_server.unknown_fields = ("model",)  # every request refused, not for the effort
    result = run("draft", ID, "--comment", KO, "--date", "2025-06-24")
    assert result.code == 3
    assert "HTTP 400" in result.stderr and "Unrecognized request argument supplied: model" in (
        result.stderr
    )
    assert len(model_server.requests) == 1  # not asked again: nothing to leave out
