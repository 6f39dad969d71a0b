"""The arXiv client when the API refuses: landing pages, the refusal remembered across runs, one
deadline and a size cap per request, and the contact in the User-Agent (issues 25 and 28)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipeline import arxiv
from pipeline.arxiv import API_PAUSE, ArxivClient, user_agent
from pipeline.config import load_settings
from pipeline.errors import InputError, ServiceError
from pipeline.text import parse_id
from tests.cli_helpers import serve_landing_pages
from tests.conftest import SAMPLE_PAPER, closed_port
from tests.servers import ArxivServer, Fault, OpenAIServer

IDS = [f"2506.{n:05d}" for n in range(1, 4)]


@pytest.fixture
def pages(arxiv_server: ArxivServer, monkeypatch: pytest.MonkeyPatch) -> ArxivServer:
    """The loopback arXiv serving its landing pages too, with three more papers."""
    return serve_landing_pages(arxiv_server, monkeypatch, IDS)


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def client(clock: Clock | None = None, sleeps: list[float] | None = None) -> ArxivClient:
    return ArxivClient(
        load_settings(),
        sleep=(sleeps if sleeps is not None else []).append,
        clock=clock or time.time,
    )


# -- the fallback -------------------------------------------------------------------------------
def test_a_throttled_api_sends_each_paper_to_its_landing_page(pages: ArxivServer) -> None:
    pages.api_status = 429
    result = client().fetch([parse_id(i) for i in IDS])
    assert len(pages.api_requests()) == 4  # DIGEST_RETRY_ATTEMPTS in the tests
    assert [r["path"] for r in pages.page_requests()] == [f"/abs/{i}" for i in IDS]
    assert all(result.papers[i].title == f"Paper {i}" for i in IDS)
    assert all(result.papers[i].source == "arxiv-page" for i in IDS)
    assert (result.requests, result.pages, result.missing, result.problems) == (0, 3, {}, {})


def test_pages_are_paced_like_the_api(pages: ArxivServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGEST_ARXIV_DELAY", "3")
    monkeypatch.setenv("DIGEST_RETRY_ATTEMPTS", "1")
    pages.api_status = 429
    clock = Clock()
    sleeps: list[float] = []
    client(clock, sleeps).fetch([parse_id(i) for i in IDS])
    # the API, then three pages, each 3 s after the one before (the clock does not move)
    assert sleeps == [pytest.approx(3.0)] * 3


def test_the_refusal_is_remembered_across_runs_for_a_while(pages: ArxivServer) -> None:
    pages.api_status = 429
    clock = Clock()
    client(clock).fetch([parse_id(IDS[0])])
    assert len(pages.api_requests()) == 4
    # the next run, ten minutes later, goes to the pages at once
    clock.now += 600
    result = client(clock).fetch([parse_id(IDS[1])])
    assert len(pages.api_requests()) == 4 and len(pages.page_requests()) == 2
    assert result.papers[IDS[1]].source == "arxiv-page"
    # the first paper's page record stands while the API rests: nothing is asked
    assert client(clock).fetch([parse_id(IDS[0])]).papers[IDS[0]].source == "arxiv-page"
    assert len(pages.requests) == 6
    # past the pause the API is asked again; it answers, and its record replaces the page's
    clock.now += API_PAUSE
    pages.api_status = None
    result = client(clock).fetch([parse_id(IDS[0])])
    assert result.papers[IDS[0]].source == "arxiv" and len(pages.api_requests()) == 5
    assert "max_results=1" in pages.api_requests()[-1]["path"]


def test_a_page_record_is_asked_of_the_api_once_without_retries(pages: ArxivServer) -> None:
    pages.api_status = 429
    clock = Clock()
    client(clock).fetch([parse_id(IDS[0])])
    clock.now += API_PAUSE + 1
    result = client(clock).fetch([parse_id(IDS[0])])  # still refusing: one try, the page stands
    assert len(pages.api_requests()) == 5 and len(pages.page_requests()) == 1
    assert result.papers[IDS[0]].source == "arxiv-page" and not result.missing
    assert client(clock).api_paused()  # and the refusal is remembered again


def test_a_long_retry_after_is_a_refusal_at_once_and_sets_the_pause(pages: ArxivServer) -> None:
    pages.faults = [Fault(429, {"Retry-After": "7200"})]
    clock = Clock()
    result = client(clock).fetch([parse_id(IDS[0])])
    assert len(pages.api_requests()) == 1 and result.papers[IDS[0]].source == "arxiv-page"
    clock.now += API_PAUSE + 60  # arXiv asked for two hours: still resting
    assert client(clock).api_paused()
    clock.now += 7200
    assert not client(clock).api_paused()


def test_an_unreachable_api_is_not_remembered(
    pages: ArxivServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_ARXIV_API_URL", f"http://127.0.0.1:{closed_port()}/api/query")
    result = client().fetch([parse_id(IDS[0])])
    assert result.papers[IDS[0]].source == "arxiv-page"  # the pages may still answer
    assert not client().api_paused()  # but the next run asks the API first again


def test_refresh_asks_the_api_even_while_it_rests(pages: ArxivServer) -> None:
    pages.api_status = 429
    client().fetch([parse_id(IDS[0])])
    pages.api_status = None
    result = client().fetch([parse_id(IDS[0])], refresh=True)
    assert result.papers[IDS[0]].source == "arxiv" and len(pages.api_requests()) == 5
    assert not client().api_paused()  # it answered: the pause is over


@pytest.mark.parametrize(
    ("named", "message"),
    [("2506.99999", "is the page of 2506.99999, not 2506.00002"), ("", "names no arXiv paper")],
    ids=["another-id", "no-id"],
)
def test_a_page_naming_another_paper_or_none_is_not_taken(
    pages: ArxivServer, named: str, message: str
) -> None:
    pages.api_status = 503
    pages.page_names[IDS[1]] = named
    result = client().fetch([parse_id(i) for i in IDS])
    assert set(result.papers) == {IDS[0], IDS[2]}  # the others are read all the same
    assert message in str(result.missing[IDS[1]])
    assert "arXiv failed after retries: arXiv answered HTTP 503" in str(result.missing[IDS[1]])
    assert len(pages.page_requests()) == 3


def test_an_unknown_paper_on_the_pages_is_bad_input(pages: ArxivServer) -> None:
    pages.api_status = 429
    result = client().fetch([parse_id("2506.99999")])
    assert isinstance(result.problems["2506.99999"], InputError)
    assert "arXiv has no paper 2506.99999" in str(result.problems["2506.99999"])


def test_pages_down_too_cost_one_pages_retries_not_one_per_paper(pages: ArxivServer) -> None:
    pages.api_status = 429
    pages.page_status = 503
    result = client().fetch([parse_id(i) for i in IDS])
    assert not result.papers and set(result.missing) == set(IDS)
    assert len(pages.page_requests()) == 4  # the first page's tries; the rest would fare no better
    why = str(result.missing[IDS[2]])
    assert "arXiv failed after retries: arXiv answered HTTP 429" in why
    assert "arXiv's landing page failed after retries: the page answered HTTP 503" in why
    with pytest.raises(ServiceError, match="landing page failed"):
        client().fetch_one(parse_id(IDS[0]))


def test_a_versioned_id_reads_that_versions_page(pages: ArxivServer) -> None:
    pages.api_status = 429
    paper = client().fetch_one(parse_id("2506.18896v2"))
    assert pages.page_requests()[0]["path"] == "/abs/2506.18896v2"
    assert (paper.version, paper.title) == ("v2", SAMPLE_PAPER.title)


def test_without_pages_an_api_failure_is_raised(pages: ArxivServer) -> None:
    pages.api_status = 429
    with pytest.raises(ServiceError, match="arXiv failed after retries"):
        client().fetch([parse_id(IDS[0])], pages=False)
    assert not pages.page_requests()


# -- the contact --------------------------------------------------------------------------------
def test_the_contact_is_in_every_requests_user_agent(
    pages: ArxivServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_CONTACT", "you@example.org")
    pages.faults = [Fault(429)]  # one API try refused, then an answer
    client().fetch([parse_id(IDS[0])])
    pages.api_status = 429
    client().fetch([parse_id(IDS[1])], refresh=True)
    agents = [r["headers"]["user-agent"] for r in pages.requests]
    assert len(agents) == 7 and len(pages.page_requests()) == 1
    assert all(a.startswith("digest/") and "mailto:you@example.org" in a for a in agents)


def test_user_agent_shape() -> None:
    assert user_agent().startswith("digest/") and "mailto" not in user_agent()
    assert user_agent("a@b.org").endswith("; mailto:a@b.org)")


@pytest.mark.parametrize("value", ["me", "a b@c.org", "a@b", "<a@b.org>"])
def test_a_contact_that_is_no_address_is_refused(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_CONTACT", value)
    with pytest.raises(InputError, match="DIGEST_CONTACT=.* is not an e-mail address"):
        load_settings()


def test_contact_may_be_written_as_mailto(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGEST_CONTACT", " mailto:you@example.org ")
    assert load_settings().contact == "you@example.org"


# -- one deadline per request, and a size cap (issue 25) ---------------------------------------
class Endless:
    """A loopback server whose 200 promises a gigabyte and never ends: a byte every `pause`
    seconds (a trickle), or as fast as it can (a flood), until the client hangs up."""

    def __init__(self, pause: float, head: bytes = b"") -> None:
        self.requests: list[float] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                outer.requests.append(time.monotonic())
                self.send_response(200)
                self.send_header("Content-Length", str(10**9))
                self.end_headers()
                started = time.monotonic()
                try:
                    self.wfile.write(head)
                    while time.monotonic() - started < 60:  # the test ends long before
                        self.wfile.write(b"x" if pause else b"x" * 65536)
                        self.wfile.flush()
                        time.sleep(pause)
                except OSError:
                    pass  # the client hung up, as it should
                self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def trickle() -> Iterator[Endless]:
    server = Endless(pause=0.2)
    yield server
    server.close()


def test_a_trickling_api_is_cut_at_the_deadline_and_retried(
    trickle: Endless, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_TIMEOUT", "1")
    monkeypatch.setenv("DIGEST_RETRY_ATTEMPTS", "2")
    monkeypatch.setenv("DIGEST_ARXIV_API_URL", trickle.url + "api/query")
    started = time.monotonic()
    with pytest.raises(ServiceError, match="did not finish answering within 1s"):
        client().fetch([parse_id(IDS[0])], pages=False)
    took = time.monotonic() - started
    assert len(trickle.requests) == 2  # the cut try was retried as a timeout
    assert trickle.requests[1] - trickle.requests[0] < 2 * 1.0 + 0.2  # one try: under 2 x timeout
    assert took < 2 * (2 * 1.0) + 0.5
    print(f"two tries of a never-ending body with DIGEST_TIMEOUT=1: {took:.2f} s")


def test_a_trickling_landing_page_is_cut_too(
    trickle: Endless, arxiv_server: ArxivServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_TIMEOUT", "1")
    monkeypatch.setenv("DIGEST_RETRY_ATTEMPTS", "1")
    monkeypatch.setenv("DIGEST_ARXIV_ABS_URL", trickle.url + "abs/")
    arxiv_server.api_status = 429
    started = time.monotonic()
    result = client().fetch([parse_id(IDS[0]), parse_id(IDS[1])])
    assert time.monotonic() - started < 2 * 1.0 + 1.0
    assert len(trickle.requests) == 1  # the pages do not answer: the second is not asked
    assert "did not finish answering within 1s" in str(result.missing[IDS[1]])


def test_a_body_past_the_cap_is_refused_and_memory_stays_bounded(
    monkeypatch: pytest.MonkeyPatch, arxiv_server: ArxivServer
) -> None:
    flood = Endless(pause=0.0)
    try:
        monkeypatch.setenv("DIGEST_ARXIV_API_URL", flood.url + "api/query")
        monkeypatch.setattr(arxiv, "FEED_LIMIT", 2 * 2**20)
        with pytest.raises(ServiceError, match="more than 2 MB"):
            client().fetch([parse_id(IDS[0])], pages=False)
        assert len(flood.requests) == 1  # not retried: the same server sends the same
    finally:
        flood.close()


def test_a_landing_page_is_read_only_to_the_end_of_its_head(
    monkeypatch: pytest.MonkeyPatch, arxiv_server: ArxivServer
) -> None:
    head = (
        b'<html><head><meta name="citation_title" content="Flooded" />'
        b'<meta name="citation_author" content="Lee, Ann" />'
        b'<meta name="citation_abstract" content="An abstract." />'
        b'<meta name="citation_arxiv_id" content="2506.00001" /></head><body>'
    )
    flood = Endless(pause=0.0, head=head)
    try:
        monkeypatch.setenv("DIGEST_ARXIV_ABS_URL", flood.url + "abs/")
        arxiv_server.api_status = 429
        paper = client().fetch_one(parse_id(IDS[0]))
        assert paper.title == "Flooded" and len(flood.requests) == 1
    finally:
        flood.close()


def test_the_pause_file_lives_in_the_cache_folder(pages: ArxivServer, isolated: Path) -> None:
    pages.api_status = 429
    client().fetch([parse_id(IDS[0])])
    until = float((isolated / "cache" / "arxiv-api-paused-until").read_text())
    assert until == pytest.approx(time.time() + API_PAUSE, abs=5)


@pytest.mark.parametrize("content", ["", "soon", "1e300", "-5"])
def test_a_pause_file_no_run_wrote_does_not_keep_the_api_away(content: str, isolated: Path) -> None:
    (isolated / "cache").mkdir()
    (isolated / "cache" / "arxiv-api-paused-until").write_text(content, encoding="utf-8")
    assert client().api_paused() == ""


def test_a_draft_ends_in_bounded_time_when_arxiv_trickles_everything(
    trickle: Endless, model_server: OpenAIServer, isolated: Path
) -> None:
    """Issue 25 through the command line: API and landing page both trickle a never-ending
    body; the comment is translated all the same, and the command ends within its bound."""
    from tests.cli_helpers import load_draft, run
    from tests.conftest import TRANSLATIONS

    ko = next(iter(TRANSLATIONS))
    env = {
        "DIGEST_TIMEOUT": "1",
        "DIGEST_RETRY_ATTEMPTS": "2",
        "DIGEST_ARXIV_API_URL": trickle.url + "api/query",
        "DIGEST_ARXIV_ABS_URL": trickle.url + "abs/",
    }
    started = time.monotonic()
    result = run("draft", SAMPLE_PAPER.id, "--comment", ko, "--date", "2025-06-24", env=env)
    took = time.monotonic() - started
    assert result.code == 3 and "Traceback" not in result.stderr
    assert "did not finish answering within 1s" in result.stderr.splitlines()[-1]
    assert len(trickle.requests) == 4  # two tries of the API, two of the page
    assert took < 4 * (2 * 1.0) + 2.0  # each try within twice DIGEST_TIMEOUT, plus the waits
    assert load_draft(isolated, "2025-06-24", SAMPLE_PAPER.id)["comment_en"] == TRANSLATIONS[ko]
    print(f"draft with API and page trickling, DIGEST_TIMEOUT=1, 2 tries each: {took:.2f} s")
