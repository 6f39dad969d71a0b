"""Tokens and their estimated cost: the price table (pure), what a draft records of each run's
requests, and the line `review` and `eval` show, through the CLI against the loopback server."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.usage import PRICES, Price, Usage, load_prices, price_of, usage_line
from tests.cli_helpers import load_draft, run
from tests.servers import ArxivServer, OpenAIServer

KO = "PRM. 각 단계가 일관되는지, 추론의 템플릿이 적절한지 등을 평가하게 했군요."
ID, DAY = "2506.18896", "2025-06-24"
# what OpenAI reports for a request whose prompt prefix was cached, with reasoning spent
REPORTED = {
    "prompt_tokens": 1200,
    "completion_tokens": 300,
    "total_tokens": 1500,
    "prompt_tokens_details": {"cached_tokens": 1024},
    "completion_tokens_details": {"reasoning_tokens": 256},
}


# -- the table, pure ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("model", "priced_as"),
    [
        ("gpt-5-mini", "gpt-5-mini"),
        ("GPT-5-mini", "gpt-5-mini"),
        ("gpt-5-mini-2025-08-07", "gpt-5-mini"),  # a dated snapshot: its base, the longest
        ("gpt-5-2025-08-07", "gpt-5"),
        ("openai/gpt-5-nano", "gpt-5-nano"),
        ("o4-mini", "o4-mini"),
        ("o3", "o3"),
        ("o3-pro-2025-06-10", "o3-pro"),
        ("gpt-4o-mini", "gpt-4o-mini"),
        ("qwen2.5:14b", None),
        ("o30", None),
        ("gpt-5x", None),
    ],
)
def test_a_model_is_priced_by_its_name_or_its_base(model: str, priced_as: str | None) -> None:
    assert price_of(model, PRICES) == (PRICES[priced_as] if priced_as else None)


def test_cached_prompt_tokens_cost_less_and_reasoning_is_output() -> None:
    price = Price(input=1.0, cached=0.1, output=10.0)
    used = Usage(requests=1, prompt=1_000_000, cached=400_000, completion=200_000, reasoning=1)
    assert price.cost(used) == pytest.approx(0.6 + 0.04 + 2.0)
    assert Usage() + used == used and not Usage() and used.total == 1_200_000


def test_the_line_names_tokens_the_estimate_and_unknown_models() -> None:
    used = {"gpt-5-mini": Usage(1, 1200, 1024, 300, 256), "qwen2.5:14b": Usage(2, 50, 0, 20, 0)}
    assert usage_line(used, PRICES) == (
        "Model use: 3 requests, 1,250 prompt tokens (1,024 cached), 320 completion tokens "
        "(256 reasoning); about $0.0007 (an estimate at the list prices of gpt-5-mini); "
        "no price known for qwen2.5:14b (see DIGEST_PRICES)"
    )
    assert usage_line({"m": Usage()}, PRICES) is None  # all from the cache: nothing spent


def test_a_prices_file_overrides_and_extends_the_table(isolated: Path) -> None:
    path = isolated / "prices.yaml"
    path.write_text(
        "gpt-5-mini: {input: 1, output: 4}\nQwen2.5:14b: {input: 0, cached: 0, output: 0}\n",
        encoding="utf-8",
    )
    table = load_prices(path)
    assert table["gpt-5-mini"] == Price(1.0, 1.0, 4.0)  # cached: the input price unless given
    assert price_of("qwen2.5:14b", table) == Price(0.0, 0.0, 0.0)
    assert table["o3"] == PRICES["o3"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("gpt-5: 3\n", r"prices\.yaml:1: 'gpt-5' needs \{input: USD, output: USD\}"),
        ("a: {input: 1, output: 2}\nb: {input: 1, output: -2}\n", r"prices\.yaml:2: 'b': prices"),
        ("a: {input: 1, output: 2, outptu: 3}\n", r"prices\.yaml:1: 'a' has unknown keys: outptu"),
        ("a: {input: x, output: 2}\n", r"prices\.yaml:1: 'a': prices must be numbers"),
        ("[1, 2]\n", r"prices\.yaml:1: expected a mapping"),
    ],
)
def test_a_bad_prices_file_is_named_with_its_line(isolated: Path, text: str, problem: str) -> None:
    path = isolated / "prices.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=problem):
        load_prices(path)


# -- recorded in the draft, shown by review and eval ----------------------------------------------
def test_a_draft_records_its_tokens_and_review_shows_the_days_cost(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    model_server.usage = REPORTED
    assert run("draft", ID, "--comment", KO, "--date", DAY).code == 0
    recorded = {"requests": 1, "prompt": 1200, "cached": 1024, "completion": 300, "reasoning": 256}
    assert load_draft(isolated, DAY, ID)["usage"] == {"gpt-5-mini": recorded}

    review = run("review", "--date", DAY)
    assert review.code == 0, review.stderr
    # 176 fresh x $0.25 + 1,024 cached x $0.025 + 300 x $2.00, per million tokens
    assert review.stdout.splitlines()[-1] == (
        "Model use: 1 request, 1,200 prompt tokens (1,024 cached), 300 completion tokens "
        "(256 reasoning); about $0.0007 (an estimate at the list prices of gpt-5-mini)"
    )

    # answered from the cache: costs nothing, adds nothing
    assert run("translate", ID, "--date", DAY).code == 0
    assert len(model_server.requests) == 1
    assert load_draft(isolated, DAY, ID)["usage"] == {"gpt-5-mini": recorded}
    # a new comment: a new request, added to the record
    assert run("draft", ID, "--comment", "PRM을 학습하는 다른 방법이네요.", "--date", DAY).code == 0
    assert load_draft(isolated, DAY, ID)["usage"]["gpt-5-mini"]["requests"] == 2
    assert "Model use: 2 requests, 2,400 prompt tokens" in run("review", ID).stdout


def test_a_local_model_has_tokens_and_no_cost_unless_priced(
    arxiv_server: ArxivServer,
    model_server: OpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
    isolated: Path,
) -> None:
    monkeypatch.setenv("DIGEST_MODEL", "qwen2.5:14b")
    assert run("draft", ID, "--comment", KO, "--date", DAY).code == 0  # usage: 10 in, 10 out
    line = run("review", ID).stdout.splitlines()[-1]
    assert line == (
        "Model use: 1 request, 10 prompt tokens (0 cached), 10 completion tokens (0 reasoning); "
        "no price known for qwen2.5:14b (see DIGEST_PRICES)"
    )
    (isolated / "prices.yaml").write_text("qwen2.5:14b: {input: 0, output: 0}\n", "utf-8")
    monkeypatch.setenv("DIGEST_PRICES", str(isolated / "prices.yaml"))
    assert (
        run("review", ID)
        .stdout.splitlines()[-1]
        .endswith("; about $0 (an estimate at the list prices of qwen2.5:14b)")
    )
    monkeypatch.setenv("DIGEST_PRICES", str(isolated / "missing.yaml"))
    missing = run("review", ID)
    assert missing.code == 2 and "missing.yaml (DIGEST_PRICES)" in missing.stderr


def test_review_of_drafts_without_a_record_shows_no_cost_line(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    model_server.usage = {}  # a server that reports nothing still counts one request
    assert run("draft", ID, "--comment", KO, "--date", DAY).code == 0
    assert load_draft(isolated, DAY, ID)["usage"] == {"gpt-5-mini": {"requests": 1}}
    assert "Model use: 1 request, 0 prompt tokens" in run("review", ID).stdout
    path = isolated / "drafts" / DAY / f"{ID}.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.split("usage:")[0] + text.split("requests: 1\n")[1], encoding="utf-8")
    assert "usage" not in load_draft(isolated, DAY, ID)
    assert "Model use" not in run("review", ID).stdout


def test_a_hand_broken_usage_record_is_named_with_its_line(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    assert run("draft", ID, "--comment", KO, "--date", DAY).code == 0
    path = isolated / "drafts" / DAY / f"{ID}.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("requests: 1", "requests: many"), "utf-8"
    )
    result = run("review", ID)
    assert result.code == 2
    assert f"{ID}.yaml:" in result.stderr and "'usage' must map each model" in result.stderr


def test_eval_shows_the_runs_tokens_and_cost(
    model_server: OpenAIServer, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model_server.usage = REPORTED
    result = run("eval", "--limit", "2")
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    requests = len(model_server.requests)
    assert f"tokens: {1500 * requests} ({1200 * requests} prompt, {1024 * requests} of them " in (
        result.stdout
    )
    cost = next(line for line in lines if line.startswith("cost: "))
    assert cost.startswith("cost: about $0.") and cost.endswith("list prices of gpt-5-mini)")
    again = run("eval", "--limit", "2")  # answered from the cache: no tokens, no cost line
    assert "tokens: 0 (" in again.stdout and "cost:" not in again.stdout
