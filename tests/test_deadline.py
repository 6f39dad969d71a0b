"""Every model request ends (issue 25): a body that never ends is cut at the request's deadline
and retried as a timeout; a body past the ceiling is cut there; a reply of the wrong shape or
nested past reading is one error line. Against the loopback server, through the command line;
where the point is that it ends, in a real process with a time limit (a regression fails
instead of hanging the suite)."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import pytest

from pipeline.errors import ExitCode
from tests.cli_helpers import load_draft, run, run_process
from tests.conftest import TRANSLATIONS
from tests.servers import ArxivServer, Fault, OpenAIServer

DATE = "2025-06-24"
KO = "PRM. 각 단계가 일관되는지, 추론의 템플릿이 적절한지 등을 평가하게 했군요."
EN = TRANSLATIONS[KO]
TIMEOUT = 1.0  # DIGEST_TIMEOUT: a try ends within twice this
FAST = {"DIGEST_TIMEOUT": str(TIMEOUT), "DIGEST_RETRY_ATTEMPTS": "2"}
# what the server may take to notice a client gone (its next write or two fails)
NOTICED = 1.0
# a process's time limit: its two tries, and starting Python and the client on a busy machine
LIMIT = 2 * (2 * TIMEOUT) + 40

NEVER_ENDING = {
    "a huge Content-Length sent a byte every 0.3 s": Fault(trickle=0.3),
    "an event stream that never ends": Fault(endless=0.2),
    "a 429 whose body never ends": Fault(429, trickle=0.3),
}


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("Error:")]


def tries_within_the_bound(server: OpenAIServer) -> None:
    """Each never-ending answer was hung up on within twice the timeout of its start."""
    cut = [r for r in server.requests if r.get("never_ending")]
    assert cut, "no never-ending answer was served"
    waited = time.monotonic() + 10
    while not all("hung_up" in r for r in cut) and time.monotonic() < waited:
        time.sleep(0.05)  # the server sees the client gone at its next write
    for record in cut:
        assert "hung_up" in record, "the client never hung up"
        assert record["hung_up"] - record["time"] <= 2 * TIMEOUT + NOTICED


# The tests in a real process wait out real deadlines (seconds each): marked slow.
@pytest.mark.slow
@pytest.mark.parametrize("fault", list(NEVER_ENDING.values()), ids=list(NEVER_ENDING))
def test_a_reply_that_never_ends_is_cut_and_retried_as_a_timeout(
    fault: Fault, arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    model_server.faults = [fault]  # the retry gets a real answer
    result = run_process(
        "draft", "2506.18896", "--comment", KO, "--date", DATE, env=FAST, timeout=LIMIT
    )
    assert result.code == 0, result.stderr
    assert "no answer in time; retrying" in result.stderr
    assert len(model_server.requests) == 2
    tries_within_the_bound(model_server)
    assert load_draft(isolated, DATE, "2506.18896")["comment_en"] == EN


@pytest.mark.slow
@pytest.mark.parametrize("fault", list(NEVER_ENDING.values()), ids=list(NEVER_ENDING))
def test_a_server_that_never_finishes_is_exit_3_with_the_comment_kept(
    fault: Fault, arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    model_server.faults = [fault, fault]
    result = run_process(
        "draft", "2506.18896", "--comment", KO, "--date", DATE, env=FAST, timeout=LIMIT
    )
    assert result.code == ExitCode.SERVICE and "Traceback" not in result.stderr
    [error] = error_lines(result.stderr)
    assert "no answer in time" in error and "your comment is saved" in error
    assert len(model_server.requests) == 2
    tries_within_the_bound(model_server)
    draft = load_draft(isolated, DATE, "2506.18896")
    assert draft["comment_ko"] == KO and draft["status"] == "awaiting-translation"


@pytest.mark.slow
def test_the_judge_s_request_is_cut_too(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    assert run("draft", "2506.18896", "--comment", KO, "--date", DATE).code == 0
    model_server.faults = [Fault(endless=0.2), Fault(trickle=0.3)]
    result = run_process("check", "2506.18896", "--judge", env=FAST, timeout=LIMIT)
    assert result.code in (0, 1) and "Traceback" not in result.stderr
    assert "the judge did not answer" in result.stdout + result.stderr
    assert "no answer in time" in result.stdout + result.stderr
    tries_within_the_bound(model_server)
    assert load_draft(isolated, DATE, "2506.18896")["comment_en"] == EN  # the draft intact


@pytest.mark.slow
def test_doctor_s_model_probe_is_cut_too(model_server: OpenAIServer) -> None:
    model_server.faults = [Fault(trickle=0.3), Fault(endless=0.2)]
    result = run_process("doctor", env=FAST, timeout=LIMIT)
    assert result.code == ExitCode.SERVICE and "Traceback" not in result.stdout + result.stderr
    [probe] = [line for line in result.stdout.splitlines() if line.startswith("model")]
    assert "FAIL" in probe and "no answer in time" in probe
    tries_within_the_bound(model_server)


def test_a_body_past_the_ceiling_is_cut_there_and_not_retried(
    arxiv_server: ArxivServer,
    model_server: OpenAIServer,
    isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("pipeline.translate.MAX_REPLY_BYTES", 64 * 1024)
    big = b'{"choices": [{"message": {"content": "' + b"a" * 200_000 + b'"}}]}'
    model_server.faults = [Fault(200, {"Content-Type": "application/json"}, big)]
    result = run("draft", "2506.18896", "--comment", KO, "--date", DATE)
    assert result.code == ExitCode.SERVICE and "Traceback" not in result.stderr
    [error] = error_lines(result.stderr)
    assert "a body over 65,536 bytes" in error and "cut off" in error
    assert len(model_server.requests) == 1
    assert load_draft(isolated, DATE, "2506.18896")["comment_ko"] == KO


def test_no_compression_is_asked_and_a_compressed_bomb_is_cut_by_what_it_decodes_to(
    arxiv_server: ArxivServer,
    model_server: OpenAIServer,
    isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("pipeline.translate.MAX_REPLY_BYTES", 1024 * 1024)
    bomb = gzip.compress(b" " * (64 * 1024 * 1024))  # 64 MB of spaces in ~64 KB
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    model_server.faults = [Fault(200, headers, bomb)]
    result = run("draft", "2506.18896", "--comment", KO, "--date", DATE)
    assert model_server.requests[0]["headers"]["accept-encoding"] == "identity"
    assert result.code == ExitCode.SERVICE and "cut off" in result.stderr


def test_a_reply_nested_200000_deep_is_one_error(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    deep = b"[" * 200_000 + b"]" * 200_000
    model_server.faults = [Fault(200, {"Content-Type": "application/json"}, deep)]
    result = run("draft", "2506.18896", "--comment", KO, "--date", DATE)
    assert result.code == ExitCode.SERVICE and "Traceback" not in result.stderr
    [error] = error_lines(result.stderr)
    assert "JSON nested too deep to read" in error
    assert load_draft(isolated, DATE, "2506.18896")["comment_ko"] == KO


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b'{"choices": [5]}', "a choice that is int"),
        (b'{"choices": [[[]]]}', "a choice that is list"),
        (b'{"choices": [{"message": "hi"}]}', "a message that is str"),
        (b'{"choices": [{"message": {"content": {"a": 1}}}]}', "content is dict"),
    ],
)
def test_a_reply_of_another_shape_is_named(
    body: bytes, named: str, arxiv_server: ArxivServer, model_server: OpenAIServer
) -> None:
    model_server.faults = [Fault(200, {"Content-Type": "application/json"}, body)]
    result = run("draft", "2506.18896", "--comment", KO, "--date", DATE)
    assert result.code == ExitCode.SERVICE and "Traceback" not in result.stderr
    [error] = error_lines(result.stderr)
    assert "did not answer with a chat completion" in error and named in error
