"""The one retry layer for every service call: tenacity, honouring Retry-After."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from typing import TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
)

from pipeline.config import RetryPolicy
from pipeline.errors import ServiceError

T = TypeVar("T")


class TransientError(Exception):
    """A failure worth trying again: 429, 5xx, a dropped connection, a timeout, a cut-off body."""

    def __init__(
        self, message: str, retry_after: float | None = None, *, overload: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.overload = overload  # the server pushed back (429, 5xx, no answer in time)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class _WaitRetryAfterOrBackoff:
    """Wait what the server asked for; otherwise exponential backoff with full jitter."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TransientError) and exc.retry_after is not None:
            return min(exc.retry_after, self.policy.max_retry_after)
        ceiling = min(
            self.policy.max_wait, self.policy.first_wait * 2 ** (state.attempt_number - 1)
        )
        # Half fixed, half random: spreads retries from parallel workers without ever going to 0.
        return ceiling / 2 + random.uniform(0, ceiling / 2)


def call_with_retries(
    func: Callable[[], T],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[int, TransientError, float], None] | None = None,
) -> T:
    """Run func, retrying TransientError within the policy's bounds; then re-raise the last one."""

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if on_retry is not None and isinstance(exc, TransientError):
            wait = state.next_action.sleep if state.next_action else 0.0
            on_retry(state.attempt_number, exc, wait)

    retrying = Retrying(
        retry=retry_if_exception_type(TransientError),
        stop=stop_after_attempt(policy.attempts) | stop_after_delay(policy.max_total),
        wait=_WaitRetryAfterOrBackoff(policy),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    return retrying(func)


def call_service(
    func: Callable[[], T],
    policy: RetryPolicy,
    *,
    service: str,
    advice: str,
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = lambda message: None,
) -> T:
    """call_with_retries for a named service: each retry is logged, and giving up is one
    ServiceError line that names the service and says what to do."""

    def on_retry(attempt: int, exc: TransientError, wait: float) -> None:
        log(f"{service}: {exc}; retrying in {wait:.1f}s (attempt {attempt + 1})")

    try:
        return call_with_retries(func, policy, sleep=sleep, on_retry=on_retry)
    except TransientError as exc:
        raise ServiceError(f"{service} failed after retries: {exc}. {advice}") from None
