"""Running many model requests at once: a worker pool that Ctrl-C stops at once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import TypeVar

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
