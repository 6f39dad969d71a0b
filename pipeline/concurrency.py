"""Running many model requests at once: a worker pool that Ctrl-C stops at once, and the limit
on requests in flight (fixed, or adapting to what the server sustains, and remembered)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TypeVar

from pipeline.yamlio import atomic_write

MAX_IN_FLIGHT = 64  # requests at once, whatever the server takes
T = TypeVar("T")
R = TypeVar("R")


def run_parallel(
    items: Sequence[T],
    work: Callable[[T], R],
    workers: int,
    on_done: Callable[[int, R], None] = lambda index, result: None,
) -> list[R]:
    """`work` on every item with up to `workers` at once; results in the order of `items`, and
    `on_done(index, result)` as soon as each is known. Exceptions of `work` propagate."""
    if not items:
        return []
    results: dict[int, R] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(items))))
    try:
        futures = {pool.submit(work, item): index for index, item in enumerate(items)}
        for future in as_completed(futures):
            index = futures[future]
            results[index] = future.result()
            on_done(index, results[index])
    except BaseException:
        # Ctrl-C: drop what has not started; the workers' writes are atomic, so leaving now
        # loses nothing that was done
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return [results[index] for index in range(len(items))]


class Limit:
    """How many model requests may be in flight at once. A fixed number (`--jobs N`)."""

    def __init__(self, limit: int) -> None:
        self.limit = float(limit)
        self.in_flight = 0
        self._cond = threading.Condition()

    def acquire(self) -> float:
        """Wait for a slot; returns the time the request starts."""
        with self._cond:
            while self.in_flight >= int(self.limit):
                self._cond.wait()
            self.in_flight += 1
            return time.monotonic()

    def release(
        self,
        started: float,
        overload: bool = False,
        retry_after: float | None = None,
        answered: bool = True,
        refused: bool = False,
    ) -> None:
        """The request that started at `started` is over: it was answered, or the server pushed
        back (429, 5xx, a timeout: `overload`; `refused` when it said so at once, 429 or 503),
        asking perhaps to wait `retry_after` seconds, or it failed otherwise (`answered` False: a
        400, a refused connection; no sign of load)."""
        with self._cond:
            self.in_flight -= 1
            self._cond.notify_all()

    @contextmanager
    def slot(self) -> Iterator[Callable[..., None]]:
        """`with limit.slot() as pushed_back:` around one request; call `pushed_back(retry_after,
        refused)` when the server answered with an overload. A request that raises anything else
        is no measure of the server's load."""
        started = self.acquire()
        overload: list[tuple[float | None, bool]] = []
        answered = False
        try:
            yield lambda retry_after=None, refused=False: overload.append((retry_after, refused))
            answered = True
        finally:
            retry_after, refused = overload[0] if overload else (None, False)
            self.release(started, bool(overload), retry_after, answered or bool(overload), refused)


class AdaptiveLimit(Limit):
    """`--jobs auto`: as many requests in flight as the server sustains, learned as TCP does.

    A day's requests should all be in flight at once against a server that takes them, and a
    local server that takes one at a time must not be flooded. The only early signal is a fast
    refusal (429 or 503 comes back in milliseconds, a reply in seconds), so the limit starts at
    `initial` and, until the first refusal, grows by one every `spacing` seconds: a refusal
    arrives before many more requests are sent (slow start, paced by time rather than by
    replies, which are too slow to pace anything). A refusal (429 or 503, at once) says how many
    the server takes: the requests still in flight when it comes back (those sent with it come
    back refused too, each lowering the limit to what is left); the limit becomes that, not half
    of it, so a server of fixed capacity is kept full. A 5xx or a timeout says less: it halves
    the limit, once per round trip, however many requests of that round fail. From then on the
    limit grows by one per round trip of replies whose latency stays within twice the fastest
    seen (congestion avoidance), eight times slower near the level last refused. Retry-After
    holds every new request, not only the one refused. Capped at `cap`."""

    def __init__(
        self,
        initial: int = 4,
        cap: int = MAX_IN_FLIGHT,
        spacing: float = 0.01,
        clock: Callable[[], float] = time.monotonic,
        known: int | None = None,
    ) -> None:
        super().__init__(known or initial)
        self.cap = cap
        self.spacing = spacing
        self.clock = clock
        self.known = known
        # slow start, unless an earlier run learned what this server takes (as TCP keeps a
        # destination's threshold): then the run starts there, growing slowly past it
        self.probing = known is None
        self.fastest: float | None = None
        self.refusals = 0
        self.peak = initial  # the most requests in flight at once, for the record
        # the limit at the last refusal: the server's ceiling
        self.refused_at = float(cap + 1 if known is None else known + 1)
        self._last_start = float("-inf")
        self._cut_at = float("-inf")  # when the limit was last halved
        self._hold_until = 0.0

    def acquire(self) -> float:
        with self._cond:
            while True:
                now = self.clock()
                if now < self._hold_until:
                    self._cond.wait(self._hold_until - now)
                    continue
                if self.in_flight < int(self.limit):
                    break
                if self.probing and self.limit < self.cap:
                    if now - self._last_start >= self.spacing:
                        self.limit += 1
                        break
                    self._cond.wait(self.spacing - (now - self._last_start))
                    continue
                self._cond.wait()
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            self._last_start = now
            return now

    def release(
        self,
        started: float,
        overload: bool = False,
        retry_after: float | None = None,
        answered: bool = True,
        refused: bool = False,
    ) -> None:
        with self._cond:
            self.in_flight -= 1
            now = self.clock()
            if overload:
                self.refusals += 1
                if refused:  # it takes what it still holds of ours
                    self.probing = False
                    if self.in_flight < self.limit:
                        self.limit = float(max(1, self.in_flight))
                        self.refused_at = self.limit + 1
                elif started > self._cut_at:  # one cut per round: the others were sent before it
                    self.probing = False
                    self.refused_at = self.limit
                    self.limit = max(1.0, float(int(self.limit) // 2))
                    self._cut_at = now
                if retry_after:
                    self._hold_until = max(self._hold_until, now + min(retry_after, 60.0))
            elif answered:
                latency = now - started
                self.fastest = latency if self.fastest is None else min(self.fastest, latency)
                if not self.probing and latency <= 2 * self.fastest and self.limit < self.cap:
                    # one more per round of replies; near the level refused last, eight times
                    # slower, so that a server at its capacity sees a refusal now and then,
                    # not every other round
                    step = (
                        1 / self.limit if self.limit + 1 < self.refused_at else 1 / (8 * self.limit)
                    )
                    self.limit = min(float(self.cap), self.limit + step)
            self._cond.notify_all()

    def learned(self) -> int | None:
        """What to remember for the next run: the level reached, when this server pushed back
        (or the run started from a remembered level); None when it took everything."""
        if self.refusals or self.known is not None:
            return max(1, int(self.limit))
        return None


def make_limit(jobs: int | None, known: int | None = None) -> Limit:
    """A fixed limit for `--jobs N`, an adaptive one for `--jobs auto` (None), starting from
    the level an earlier run learned, if any."""
    return AdaptiveLimit(known=known) if jobs is None else Limit(jobs)


class Jobs:
    """The limit on a run's requests in flight (`--jobs`), and what `--jobs auto` learned a
    server takes, kept in `learned_file` between runs: a server that refused or queued once is
    not flooded again by the next run. Whatever sends the requests holds `slot()` around each."""

    def __init__(self, learned_file: Path) -> None:
        self.learned_file = learned_file
        self.limit: Limit = Limit(8)  # until a run says how many (use)

    def use(self, jobs: int | None) -> None:
        """Requests in flight for this run: `jobs`, or (None) as many as the server sustains,
        starting from what an earlier run learned of it."""
        known = None
        if jobs is None:
            try:
                known = max(1, int(self.learned_file.read_text(encoding="ascii")))
            except (OSError, ValueError):
                known = None
        self.limit = make_limit(jobs, known)

    def remember(self) -> None:
        learned = self.limit.learned() if isinstance(self.limit, AdaptiveLimit) else None
        if learned is not None:
            try:
                atomic_write(self.learned_file, f"{learned}\n", durable=False)
            except OSError:
                pass  # only costs learning it again

    def slot(self) -> AbstractContextManager[Callable[..., None]]:
        """A slot of the limit in force (Limit.slot): the one `use` set when the request starts."""
        return self.limit.slot()
