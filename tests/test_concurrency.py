"""`--jobs auto`: as many requests in flight as the server sustains (issue 15), against loopback
servers of fixed capacity: one that takes everything, one that refuses past 4 (429), one that
queues (each request slower by the load, as Ollama or llama.cpp)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from pipeline.concurrency import AdaptiveLimit, Limit, make_limit
from tests.cli_helpers import load_draft, run
from tests.servers import ArxivServer, FakePaper, OpenAIServer

DATE = "2025-06-24"
KO = "보상에 노이즈를 추가하는 연구"  # glossary: 보상 -> reward


def a_day(arxiv: ArxivServer, model: OpenAIServer, isolated: Path, count: int) -> list[str]:
    ids = [f"2506.{n:05d}" for n in range(1, count + 1)]
    for paper_id in ids:
        arxiv.add(FakePaper(paper_id, f"Paper {paper_id}", ["Ann"], "An abstract."))
    # a letter per comment: every entry is its own request, none answered from the cache
    notes = [
        f"{i}\n{KO} ({chr(ord('a') + n % 26)}{chr(ord('a') + n // 26)})" for n, i in enumerate(ids)
    ]
    (isolated / "day.txt").write_text("\n\n".join(notes), encoding="utf-8")
    model.responder = lambda request: "Research adding noise to the reward ({}).".format(
        request["messages"][-1]["content"].rsplit("(", 1)[1].split(")")[0]
    )
    return ids


def test_a_server_that_takes_everything_gets_the_whole_day_at_once(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    ids = a_day(arxiv_server, model_server, isolated, 30)
    model_server.latency = 1.0
    result = run("draft", "--notes", "day.txt", "--date", DATE)  # --jobs auto is the default
    assert result.code == 0, result.stderr
    assert "Summary: 30 ready" in result.stderr
    assert model_server.peak >= 25  # nearly the whole day in flight in the first round trip
    assert len(model_server.requests) == 30 and load_draft(isolated, DATE, ids[-1])["comment_en"]


def test_a_server_of_four_is_not_flooded_and_nothing_fails(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    a_day(arxiv_server, model_server, isolated, 30)
    model_server.latency, model_server.capacity = 0.2, 4
    result = run("draft", "--notes", "day.txt", "--date", DATE, env={"DIGEST_RETRY_ATTEMPTS": "6"})
    assert result.code == 0, result.stderr
    assert "Summary: 30 ready, 0 need review, 0 failed" in result.stderr
    assert model_server.refused <= 8  # a few 429s while it learns the capacity, not a flood
    assert len(model_server.requests) == 30 + model_server.refused


def test_a_server_that_queues_finishes_without_failures(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    a_day(arxiv_server, model_server, isolated, 12)
    model_server.latency, model_server.capacity, model_server.queue_latency = 0.05, 2, True
    result = run("draft", "--notes", "day.txt", "--date", DATE)
    assert result.code == 0 and "Summary: 12 ready, 0 need review, 0 failed" in result.stderr


def test_a_fixed_number_of_jobs_is_never_exceeded(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    a_day(arxiv_server, model_server, isolated, 10)
    model_server.latency = 0.1
    result = run("draft", "--notes", "day.txt", "--date", DATE, "--jobs", "3")
    assert result.code == 0 and model_server.peak == 3


@pytest.mark.parametrize(("value", "message"), [("0", "not in 1..64"), ("many", "not a number")])
def test_jobs_takes_a_number_or_auto(value: str, message: str) -> None:
    result = run("translate", "--pending", "--jobs", value)
    assert result.code == 2 and message in result.stderr


# -- the limit itself, on a clock the test moves ---------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_slow_start_is_paced_and_an_overload_halves_once_per_round() -> None:
    clock = Clock()
    limit = AdaptiveLimit(initial=4, cap=64, spacing=0.01, clock=clock)
    starts = [limit.acquire() for _ in range(4)]  # the first four at once
    clock.now += 0.01
    starts.append(limit.acquire())  # a fifth after one spacing: slow start
    assert limit.limit == 5 and limit.in_flight == 5
    for started in starts:  # the whole round failed (5xx): the limit halves once, not five times
        limit.release(started, overload=True)
    assert limit.limit == 2 and not limit.probing and limit.refusals == 5


def test_a_refusal_sets_the_limit_to_what_the_server_still_holds() -> None:
    """A server that takes four (429 past that): the limit ends at four, not at half of it."""
    clock = Clock()
    limit = AdaptiveLimit(initial=4, cap=64, spacing=0.01, clock=clock)
    accepted = [limit.acquire() for _ in range(4)]
    extra = []
    for _ in range(3):  # slow start sends three more before the first refusal is back
        clock.now += 0.01
        extra.append(limit.acquire())
    assert limit.limit == 7 and limit.in_flight == 7
    for started in extra:  # each refusal lowers the limit to what is left in flight
        clock.now += 0.002
        limit.release(started, overload=True, refused=True)
        assert limit.limit == limit.in_flight
    assert limit.limit == 4 and limit.refused_at == 5 and not limit.probing
    for started in accepted:  # their replies, at the fastest latency seen
        clock.now += 0.5
        limit.release(started)
    assert 4 < limit.limit < 4.2  # near the level refused, it grows eight times slower


def test_after_a_refusal_the_limit_grows_by_one_per_round_while_latency_is_flat() -> None:
    clock = Clock()
    limit = AdaptiveLimit(initial=4, spacing=0.01, clock=clock)
    limit.release(limit.acquire(), overload=True)  # 4 -> 2
    for _ in range(2):  # one round of replies at the fastest latency
        started = limit.acquire()
        clock.now += 1.0
        limit.release(started)
    assert 2.8 < limit.limit < 3.0  # about one more per round of replies (2 + 1/2 + 1/2.5)
    started = limit.acquire()
    clock.now += 5.0  # five times slower: the server is queueing, so no growth
    before = limit.limit
    limit.release(started)
    assert limit.limit == before


def test_retry_after_holds_every_new_request() -> None:
    import time

    limit = AdaptiveLimit(initial=2)
    refused = time.monotonic()  # the hold runs from the refusal: timed from before it
    limit.release(limit.acquire(), overload=True, retry_after=0.3)
    sent_at = []

    def worker() -> None:
        limit.release(limit.acquire())
        sent_at.append(time.monotonic())

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(5)
    assert sent_at and sent_at[0] - refused >= 0.3  # held, not sent into the same refusal


def test_a_fixed_limit() -> None:
    assert isinstance(make_limit(3), Limit) and not isinstance(make_limit(3), AdaptiveLimit)
    assert isinstance(make_limit(None), AdaptiveLimit)


def test_a_request_that_failed_otherwise_is_no_measure_of_latency() -> None:
    """A 400 or a refused connection comes back in a millisecond: no sign of a fast server."""
    clock = Clock()
    limit = AdaptiveLimit(initial=2, clock=clock)
    limit.release(limit.acquire(), overload=True)
    started = limit.acquire()
    clock.now += 0.001
    limit.release(started, answered=False)
    assert limit.fastest is None
    started = limit.acquire()
    clock.now += 1.0
    limit.release(started)
    assert limit.fastest == 1.0 and limit.limit > 1.0  # a real reply, and the limit grows


def test_what_a_run_learned_of_a_server_starts_the_next_run(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """A server that refused once is not flooded again: the next run starts at what it took."""
    a_day(arxiv_server, model_server, isolated, 12)
    model_server.latency, model_server.capacity = 0.1, 2
    first = run("draft", "--notes", "day.txt", "--date", DATE)
    assert first.code == 0 and model_server.refused > 0
    learned = int(next((isolated / "cache" / "limits").iterdir()).read_text())
    assert 1 <= learned <= 3
    refused = model_server.refused
    again = run("translate", "--date", DATE, env={"DIGEST_MODEL": "another-model"})
    assert again.code == 0
    assert model_server.refused - refused <= 1  # it started at the level learned, not at 4+


def test_an_adaptive_limit_started_from_a_known_level() -> None:
    limit = AdaptiveLimit(known=2)
    assert limit.limit == 2 and not limit.probing and limit.learned() == 2
    assert AdaptiveLimit().learned() is None  # took everything: nothing to remember
