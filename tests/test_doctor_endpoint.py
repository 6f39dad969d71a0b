"""`digest doctor` fails the way `draft` does for a URL that is no OpenAI API, and names a URL
without http:// as such (issue 27, item 3)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_helpers import load_draft, run
from tests.servers import ArxivServer, Fault, OpenAIServer

DATE = "2025-06-24"
KO = "PRM. 각 단계가 일관되는지, 추론의 템플릿이 적절한지 등을 평가하게 했군요."
NOT_FOUND = Fault(404, {}, b"404 page not found")  # what Ollama answers on a path it lacks


def model_line(stdout: str) -> str:
    return next(line for line in stdout.splitlines() if line.startswith("model"))


def test_a_url_that_is_no_openai_api_fails_doctor_as_it_fails_draft(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    base = model_server.url.removesuffix("/v1")  # Ollama without /v1: 404 on every path
    model_server.faults = [NOT_FOUND] * 2
    doctor = run("doctor", env={"OPENAI_BASE_URL": base})
    assert doctor.code == 3, doctor.stdout + doctor.stderr
    line = model_line(doctor.stdout)
    assert "FAIL" in line and "has no chat completions endpoint" in line
    assert f"most servers want it to end in /v1: {base}/v1" in line
    assert "All good" not in doctor.stderr and doctor.stderr.strip() == "1 of 5 failed."
    assert [r["path"] for r in model_server.requests] == ["/models", "/chat/completions"]

    model_server.faults = [NOT_FOUND]
    draft = run(
        "draft", "2506.18896", "--comment", KO, "--date", DATE, env={"OPENAI_BASE_URL": base}
    )
    assert draft.code == 3
    # the same sentence as doctor's, word for word
    assert line.split("FAIL", 1)[1].strip() in draft.stderr


def test_a_server_without_a_model_list_is_asked_an_empty_conversation(
    arxiv_server: ArxivServer, model_server: OpenAIServer
) -> None:
    model_server.models = None
    result = run("doctor")
    assert result.code == 0, result.stdout
    line = model_line(result.stdout)
    assert " ok " in line and "serves chat completions" in line and "untested" in line
    # nothing spent: the one completion request has no messages, so no model ran
    assert [r["path"] for r in model_server.requests] == ["/v1/models", "/v1/chat/completions"]
    assert json.loads(model_server.requests[1]["body"])["messages"] == []


def test_a_model_url_without_a_scheme_is_named_in_doctor_and_draft(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    bare = model_server.url.removeprefix("http://")  # 127.0.0.1:PORT/v1
    doctor = run("doctor", env={"OPENAI_BASE_URL": bare})
    assert doctor.code == 3
    expected = f"OPENAI_BASE_URL={bare!r} is not a URL: it needs http:// or https:// in front"
    assert expected in model_line(doctor.stdout) and f"(http://{bare})" in doctor.stdout
    draft = run(
        "draft", "2506.18896", "--comment", KO, "--date", DATE, env={"OPENAI_BASE_URL": bare}
    )
    assert draft.code == 3 and expected in draft.stderr
    assert "Traceback" not in draft.stderr and "after retries" not in draft.stderr
    assert model_server.requests == []  # named at once, not retried as a connection error
    assert load_draft(isolated, DATE, "2506.18896")["comment_ko"] == KO  # the comment is kept


def test_an_arxiv_url_without_a_scheme_is_named(model_server: OpenAIServer) -> None:
    doctor = run("doctor", env={"DIGEST_ARXIV_API_URL": "export.arxiv.org/api/query"})
    line = next(x for x in doctor.stdout.splitlines() if x.startswith("arXiv"))
    assert doctor.code == 3 and "FAIL" in line
    assert "DIGEST_ARXIV_API_URL='export.arxiv.org/api/query' is not a URL" in line
    draft = run("draft", "2506.18896", "--comment", KO, env={"DIGEST_ARXIV_API_URL": "ftp://x"})
    assert draft.code == 3
    assert (
        "DIGEST_ARXIV_API_URL='ftp://x' is not a URL: it needs http:// or https://" in draft.stderr
    )


def test_doctor_names_a_server_that_is_no_openai_api(
    arxiv_server: ArxivServer, model_server: OpenAIServer
) -> None:
    """A 200 on /models that is not a model list (another web app at that URL)."""
    result = run("doctor", env={"OPENAI_BASE_URL": arxiv_server.url.rsplit("/api", 1)[0]})
    assert result.code == 3 and "Traceback" not in result.stderr
    assert "did not answer with a chat completion" in result.stdout or "is not" in result.stdout


def test_a_base_url_without_v1_is_not_blamed_on_the_model(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """Ollama without /v1 answers 404 on every path."""
    model_server.models = None
    model_server.faults = [Fault(404, {}, b"404 page not found")]
    base = model_server.url.removesuffix("/v1")
    result = run(
        "draft", "2506.18896", "--comment", KO, "--date", DATE, env={"OPENAI_BASE_URL": base}
    )
    assert result.code == 3 and "has no chat completions endpoint" in result.stderr
    assert f"{base}/v1" in result.stderr and "DIGEST_MODEL" not in result.stderr
    model_server.faults = [Fault(404, {}, b"404 page not found")] * 2  # /models and chat
    doctor = run("doctor", env={"OPENAI_BASE_URL": base})
    assert doctor.code == 3 and "has no chat completions endpoint" in doctor.stdout
    assert f"{base}/v1" in doctor.stdout
