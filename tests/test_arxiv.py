"""Fetch stage: ids, Atom parsing, and the real client against a loopback arXiv with faults."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.arxiv import ArxivClient, normalize_abstract, parse_feed
from pipeline.config import load_settings
from pipeline.errors import InputError, ServiceError
from pipeline.retry import TransientError
from pipeline.text import PaperId, parse_id
from tests.cli_helpers import DATE, EN, draft_sample, load_draft
from tests.conftest import SAMPLE_PAPER, closed_port
from tests.servers import ArxivServer, FakePaper, Fault, OpenAIServer, wrap_old_style


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2506.18896", PaperId("2506.18896")),
        ("  2506.18896v2 ", PaperId("2506.18896", "v2")),
        ("arXiv:2506.18896", PaperId("2506.18896")),
        ("arxiv:2506.18896v11", PaperId("2506.18896", "v11")),
        ("https://arxiv.org/abs/2506.18896", PaperId("2506.18896")),
        ("http://www.arxiv.org/abs/2506.18896v3", PaperId("2506.18896", "v3")),
        ("https://arxiv.org/pdf/2506.18896", PaperId("2506.18896")),
        ("https://arxiv.org/pdf/2506.18896v2.pdf", PaperId("2506.18896", "v2")),
        ("arxiv.org/abs/2506.18896/", PaperId("2506.18896")),
        ("https://export.arxiv.org/abs/1706.03762?context=cs", PaperId("1706.03762")),
        ("0704.0001", PaperId("0704.0001")),
        ("cs/0112017", PaperId("cs/0112017")),
        ("hep-th/9901001", PaperId("hep-th/9901001")),
        ("hep-th/9901001v2", PaperId("hep-th/9901001", "v2")),
        ("math.GT/0309136", PaperId("math/0309136")),
        ("https://arxiv.org/abs/math.GT/0309136v1", PaperId("math/0309136", "v1")),
    ],
)
def test_every_spelling_maps_to_one_canonical_id(raw: str, expected: PaperId) -> None:
    assert parse_id(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "2506",
        "2506.188",
        "2513.18896",
        "abc",
        "https://example.com/abs/2506.18896",
        "2506.18896v",
        "../2506.18896",
        "hep-th/99",
        "2506.18896; rm -rf /",
    ],
)
def test_anything_else_is_bad_input_naming_the_value(raw: str) -> None:
    with pytest.raises(InputError, match="not an arXiv id"):
        parse_id(raw)


def test_abstract_current_style_is_kept_and_authors_breaks_survive() -> None:
    raw = "  We present X.\n  Code: https://x.y/z  "
    assert normalize_abstract(raw) == "We present X.\n  Code: https://x.y/z".replace("\n  ", "\n")


def test_abstract_old_style_wraps_are_joined() -> None:
    text = (
        "Process Reward Models (PRMs) have recently emerged as a powerful framework for supervising "
        "intermediate reasoning steps in large language models (LLMs).\nProjects: https://github.com/x"
    )
    assert normalize_abstract(wrap_old_style(text)) == text


def test_inner_space_runs_collapse() -> None:
    assert normalize_abstract("a   b\n  c  d") == "a b\nc d"


def test_a_feed_with_a_dtd_is_refused_before_parsing() -> None:
    bomb = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
    <feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&lol2;</title></entry></feed>"""
    with pytest.raises(ServiceError, match="DTD"):
        parse_feed(bomb)
    external = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><feed>&e;</feed>"""
    with pytest.raises(ServiceError):
        parse_feed(external)


def test_unparsable_xml_is_transient() -> None:
    with pytest.raises(TransientError):
        parse_feed(b"<feed xmlns='http://www.w3.org/2005/Atom'><entry>")
    with pytest.raises(TransientError):
        parse_feed(b"Rate exceeded.")


# -- against the loopback server ----------------------------------------------------------------
def client(sleeps: list[float] | None = None) -> ArxivClient:
    recorded = sleeps if sleeps is not None else []
    return ArxivClient(load_settings(), sleep=recorded.append)


def test_fetch_parses_every_field(arxiv_server: ArxivServer) -> None:
    paper = client().fetch_one(parse_id("2506.18896"))
    assert paper.title == SAMPLE_PAPER.title
    assert paper.authors == SAMPLE_PAPER.authors
    assert paper.abstract == SAMPLE_PAPER.abstract
    assert paper.version == "v2"
    assert paper.url == "https://arxiv.org/abs/2506.18896v2"
    assert paper.pdf_url == "https://arxiv.org/pdf/2506.18896v2"
    assert paper.primary_category == "cs.LG"
    request = arxiv_server.requests[0]
    assert request["headers"]["user-agent"].startswith("digest/")


@pytest.mark.parametrize("old_style", [False, True])
def test_both_whitespace_styles_give_the_same_abstract(
    arxiv_server: ArxivServer, old_style: bool
) -> None:
    long = FakePaper(
        "2401.00001",
        "A  title\n  with a wrap",
        ["A"],
        " ".join(["word"] * 60) + "\nSecond paragraph by the authors.",
    )
    arxiv_server.add(long)
    arxiv_server.old_style = old_style
    paper = client().fetch_one(parse_id("2401.00001"))
    assert paper.abstract == long.abstract
    assert paper.title == "A title with a wrap"


def test_a_day_of_a_hundred_ids_is_one_request_in_any_order(arxiv_server: ArxivServer) -> None:
    ids = [f"2501.{i:05d}" for i in range(100)]
    for paper_id in ids:
        arxiv_server.add(FakePaper(paper_id, f"Paper {paper_id}", ["A"], "Abstract."))
    result = client().fetch([parse_id(i) for i in ids])
    assert len(arxiv_server.requests) == 1 == result.requests
    assert "max_results=100" in arxiv_server.requests[0]["path"]
    assert all(result.papers[i].title == f"Paper {i}" for i in ids)


def test_more_than_a_hundred_ids_are_split(arxiv_server: ArxivServer) -> None:
    ids = [f"2501.{i:05d}" for i in range(150)]
    for paper_id in ids:
        arxiv_server.add(FakePaper(paper_id, paper_id, ["A"], "x"))
    result = client().fetch([parse_id(i) for i in ids])
    assert len(arxiv_server.requests) == 2 and len(result.papers) == 150


def test_max_results_is_always_sent_so_arxiv_does_not_cut_at_ten(arxiv_server: ArxivServer) -> None:
    ids = [f"2501.{i:05d}" for i in range(12)]
    for paper_id in ids:
        arxiv_server.add(FakePaper(paper_id, paper_id, ["A"], "x"))
    result = client().fetch([parse_id(i) for i in ids])
    assert len(result.papers) == 12 and not result.problems


def test_unknown_id_is_bad_input_naming_it(arxiv_server: ArxivServer) -> None:
    result = client().fetch([parse_id("2506.18896"), parse_id("2506.99999")])
    assert "2506.18896" in result.papers
    assert "arXiv has no paper 2506.99999" in str(result.problems["2506.99999"])


def test_the_400_error_feed_names_the_id(arxiv_server: ArxivServer) -> None:
    with pytest.raises(InputError, match="incorrect id format for bad/0000001"):
        client().fetch_one(PaperId("bad/0000001"))


def test_429_with_retry_after_is_honoured(arxiv_server: ArxivServer) -> None:
    arxiv_server.faults = [Fault(429, {"Retry-After": "7"})]
    sleeps: list[float] = []
    assert client(sleeps).fetch_one(parse_id("2506.18896")).title == SAMPLE_PAPER.title
    assert sleeps == [7.0]
    assert len(arxiv_server.requests) == 2


def test_503_twice_then_fine(arxiv_server: ArxivServer) -> None:
    arxiv_server.faults = [Fault(503), Fault(503)]
    sleeps: list[float] = []
    client(sleeps).fetch_one(parse_id("2506.18896"))
    assert len(arxiv_server.requests) == 3
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0] * 0.9  # backoff grows


@pytest.mark.parametrize(
    "fault",
    [
        Fault(truncate=True),
        Fault(body=b"<html><body>Service unavailable</body></html>"),
        Fault(body=b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><id>"),
        Fault(body=b"Rate exceeded."),
    ],
    ids=["truncated", "html-page", "cut-xml", "plain-text"],
)
def test_bad_bodies_are_retried(arxiv_server: ArxivServer, fault: Fault) -> None:
    arxiv_server.faults = [fault]
    assert client().fetch_one(parse_id("2506.18896")).title == SAMPLE_PAPER.title
    assert len(arxiv_server.requests) == 2


def test_a_hung_request_is_abandoned_and_retried(
    arxiv_server: ArxivServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_TIMEOUT", "1")  # time enough for the retry on a loaded machine
    arxiv_server.faults = [Fault(hang=4.0)]
    started = time.monotonic()
    client().fetch_one(parse_id("2506.18896"))
    assert time.monotonic() - started < 4.0  # the hang was not waited out
    assert len(arxiv_server.requests) == 2


def test_down_for_good_is_a_service_error_naming_arxiv(arxiv_server: ArxivServer) -> None:
    arxiv_server.faults = [Fault(503)] * 10
    with pytest.raises(ServiceError, match="arXiv failed after retries"):
        client().fetch_one(parse_id("2506.18896"))
    assert len(arxiv_server.requests) == 4  # DIGEST_RETRY_ATTEMPTS in the tests


def test_connection_refused_is_a_service_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGEST_ARXIV_API_URL", f"http://127.0.0.1:{closed_port()}/api/query")
    with pytest.raises(ServiceError, match="cannot reach arXiv"):
        client().fetch_one(parse_id("2506.18896"))


def test_a_too_long_retry_after_fails_at_once(arxiv_server: ArxivServer) -> None:
    arxiv_server.faults = [Fault(429, {"Retry-After": "3600"})]
    with pytest.raises(ServiceError, match="wait 3600s"):
        client().fetch_one(parse_id("2506.18896"))
    assert len(arxiv_server.requests) == 1


# -- cache and pacing ---------------------------------------------------------------------------
def test_cache_versioned_forever_unversioned_for_a_day(arxiv_server: ArxivServer) -> None:
    now = [1_000_000.0]
    settings = load_settings()
    make = lambda: ArxivClient(settings, sleep=lambda s: None, clock=lambda: now[0])  # noqa: E731
    make().fetch_one(parse_id("2506.18896"))
    make().fetch_one(parse_id("2506.18896v2"))
    assert len(arxiv_server.requests) == 2
    make().fetch_one(parse_id("2506.18896"))
    make().fetch_one(parse_id("2506.18896v2"))
    assert len(arxiv_server.requests) == 2
    now[0] += 2 * 24 * 3600
    make().fetch_one(parse_id("2506.18896v2"))
    assert len(arxiv_server.requests) == 2
    make().fetch_one(parse_id("2506.18896"))
    assert len(arxiv_server.requests) == 3
    make().fetch([parse_id("2506.18896")], refresh=True)
    assert len(arxiv_server.requests) == 4


def test_requests_are_paced_across_runs(
    arxiv_server: ArxivServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DIGEST_ARXIV_DELAY", "3")
    now = [500.0]
    sleeps: list[float] = []
    settings = load_settings()
    ArxivClient(settings, sleep=sleeps.append, clock=lambda: now[0]).fetch(
        [parse_id("2506.18896")], refresh=True
    )
    now[0] += 1.0  # a second run, one second later
    ArxivClient(settings, sleep=sleeps.append, clock=lambda: now[0]).fetch(
        [parse_id("2506.18896")], refresh=True
    )
    assert sleeps == [pytest.approx(2.0)]


def test_a_javascript_link_from_the_feed_never_becomes_a_link(isolated: Path) -> None:
    """At the source: only http(s) arXiv URLs are kept from a feed."""
    from pipeline.arxiv import parse_feed

    feed = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2506.18896v1</id>'
        b"<title>T</title><summary>S</summary>"
        b'<link href="javascript:alert(1)" rel="alternate" type="text/html"/></entry></feed>'
    )
    [paper], _ = parse_feed(feed)
    assert paper.url == "https://arxiv.org/abs/2506.18896v1"


@pytest.mark.parametrize(
    "faults",
    [
        [Fault(503), Fault(503)],
        [Fault(truncate=True)],
        [Fault(body=b"<!doctype html><html><body>Oops</body></html>")],
        [Fault(hang=3.0)],
    ],
    ids=["503-twice", "truncated", "html-page", "hang"],
)
def test_arxiv_faults_are_survived(
    faults: list[Fault], arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    arxiv_server.faults = list(faults)
    result = draft_sample(env={"DIGEST_TIMEOUT": "1"})
    assert result.code == 0, result.stderr
    assert load_draft(isolated, DATE, "2506.18896")["comment_en"] == EN
    assert len(arxiv_server.requests) == len(faults) + 1


def test_arxiv_retry_after_is_honoured(
    arxiv_server: ArxivServer, model_server: OpenAIServer
) -> None:
    arxiv_server.faults = [Fault(429, {"Retry-After": "1"})]
    draft_sample()
    first, second = arxiv_server.requests[0]["time"], arxiv_server.requests[1]["time"]
    assert second - first >= 0.95


def test_a_malicious_feed_does_no_harm(arxiv_server: ArxivServer, isolated: Path) -> None:
    secret = isolated / "secret.txt"
    secret.write_text("TOP SECRET", encoding="utf-8")
    evil = (
        f'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2506.18896v1</id>'
        "<title>&x;</title><summary>&x;</summary></entry></feed>"
    ).encode()
    arxiv_server.faults = [Fault(body=evil)]
    result = draft_sample()
    assert result.code == 3 and "DTD" in result.stderr
    assert "TOP SECRET" not in result.stdout + result.stderr


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_id_parser_never_crashes(text: str) -> None:
    try:
        paper_id = parse_id(text)
    except InputError:
        return
    assert parse_id(paper_id.query) == paper_id
    assert "/" not in paper_id.base.replace("/", "", 1)
