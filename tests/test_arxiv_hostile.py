"""A hostile or broken arXiv, through the command line (the review of issue 28): a landing page
built to make the HTML parser burn CPU, a pace file from another clock, a contact no header can
carry, redirect loops, one bad page among good ones, page text with control characters. Every
command ends soon, with one line and the contract's exit code; one bad page fails its paper only.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pipeline.arxiv import ArxivClient
from pipeline.config import load_settings
from pipeline.text import parse_id
from tests.cli_helpers import Result, run
from tests.conftest import SAMPLE_PAPER, TRANSLATIONS
from tests.servers import ArxivServer, FakePaper, OpenAIServer

DATE = "2025-06-24"
KO = next(iter(TRANSLATIONS))
IDS = ["2506.00001", "2506.00002", "2506.00003"]
HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture
def arxiv_pages(arxiv_server: ArxivServer, monkeypatch: pytest.MonkeyPatch) -> ArxivServer:
    """The loopback arXiv with its API refusing (429) and its landing pages up, three papers
    more."""
    monkeypatch.setenv("DIGEST_ARXIV_ABS_URL", arxiv_server.abs_url)
    for paper_id in IDS:
        arxiv_server.add(FakePaper(paper_id, f"Paper {paper_id}", ["Ann Lee"], "An abstract."))
    arxiv_server.api_status = 429
    return arxiv_server


def draft(paper_id: str = SAMPLE_PAPER.id, env: dict[str, str] | None = None) -> Result:
    return run("draft", paper_id, "--comment", KO, "--date", DATE, env=env)


def last_line(result: Result) -> str:
    return result.stderr.strip().splitlines()[-1]


def head(*tags: tuple[str, str], after: str = "") -> bytes:
    """A page whose head holds these meta tags (contents as written, entities and all)."""
    metas = "".join(f'<meta name="{name}" content="{content}" />' for name, content in tags)
    return f"<!DOCTYPE html>\n<html><head><title>x</title>{metas}\n</head>{after}".encode()


# -- the pace file ---------------------------------------------------------------------------------
@pytest.mark.parametrize("content", ["inf", "1e300", "nan", "-1", "1e309", "soon"])
def test_a_pace_file_no_run_wrote_is_ignored(
    content: str, arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    (isolated / "cache").mkdir()
    (isolated / "cache" / "arxiv-last-request").write_text(content, encoding="utf-8")
    started = time.monotonic()
    result = draft(env={"DIGEST_ARXIV_DELAY": "1"})
    assert result.code == 0, result.stderr
    assert time.monotonic() - started < 10  # not waiting on a time that never comes


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("ahead", "waits"),
    [
        (7200.0, []),  # a clock two hours ahead wrote it: not ours, ignored
        (1e300, []),
        (float("inf"), []),
        (2.0, [3.0]),  # ahead by less than the delay: the delay, never more
        (-1.0, [pytest.approx(2.0)]),  # a second ago: the rest of the delay
        (-5.0, []),
    ],
)
def test_the_pace_never_waits_more_than_the_delay(
    ahead: float, waits: list[float], monkeypatch: pytest.MonkeyPatch, isolated: Path
) -> None:
    monkeypatch.setenv("DIGEST_ARXIV_DELAY", "3")
    clock, sleeps = Clock(), []
    (isolated / "cache").mkdir()
    (isolated / "cache" / "arxiv-last-request").write_text(repr(clock.now + ahead))
    client = ArxivClient(load_settings(), sleep=sleeps.append, clock=clock)
    client._pace()
    assert sleeps == waits
    # and the next request is paced from this one
    assert float((isolated / "cache" / "arxiv-last-request").read_text()) == clock.now


# -- the contact -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "contact",
    [
        "연구자@example.com",
        "ü@ex.de",
        "you@example.org\u200b",
        "you@example.org\x7f",
        "a@b.c\x1b[31m",
        "x@y.org\r\nX-Evil: 1",
    ],
    ids=["hangul", "umlaut", "zero-width-space", "del", "escape", "crlf"],
)
@pytest.mark.parametrize("command", [["draft", SAMPLE_PAPER.id, "--comment", KO], ["doctor"]])
def test_a_contact_no_header_can_carry_is_refused_in_one_line(
    contact: str,
    command: list[str],
    arxiv_server: ArxivServer,
    model_server: OpenAIServer,
) -> None:
    result = run(*command, env={"DIGEST_CONTACT": contact})
    assert result.code == 2, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: DIGEST_CONTACT=")
    assert "printable ASCII" in result.stderr
    assert not arxiv_server.requests and not model_server.requests


def test_a_plain_contact_still_goes_into_the_user_agent(
    arxiv_server: ArxivServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_CONTACT", "first.last+arxiv@example.org")
    ArxivClient(load_settings()).fetch_one(parse_id(SAMPLE_PAPER.id))
    agent = arxiv_server.requests[0]["headers"]["user-agent"]
    assert agent.endswith("; mailto:first.last+arxiv@example.org)")
