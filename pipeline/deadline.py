"""Every HTTP request ends: one deadline for the whole request and a ceiling on its body.

httpx2's timeouts are per network operation: a server that sends one byte every half second, or
an event stream that never ends, restarts the read timeout at every byte and is never cut. So
each request gets a deadline when it starts (an httpx2 event hook, which keeps the client's
proxies and pool as they are), and its body is read through a stream that checks the deadline
and counts bytes between reads. A read itself is bounded by the read timeout, so a request
ends at most one read timeout after its deadline: within twice the timeout when the deadline is
the timeout.

A server that sends more than the ceiling is cut off at the ceiling (ReplyTooLarge), never read
to the end: what is read is at most the ceiling, whatever a server sends.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx2

_DEADLINE = "digest.deadline"  # the request extension holding its deadline (time.monotonic)
# A compressed body grows up to about a thousand times as it is decoded (gzip, deflate): the
# ceiling applies to what is decoded, so a compressed body may be a thousandth of it. Requests
# ask for no compression (Accept-Encoding: identity), so only a server that ignores it meets this.
_COMPRESSION = 1024


class ReplyTooLarge(Exception):
    """A response body past the ceiling: cut there, not read to its end."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"a body over {limit:,} bytes")
        self.limit = limit


class _BoundedStream(httpx2.SyncByteStream):
    """A response body read until its deadline and up to its ceiling, then cut."""

    def __init__(
        self, inner: httpx2.SyncByteStream, request: httpx2.Request, deadline: float, limit: int
    ) -> None:
        self._inner = inner
        self._request = request
        self._deadline = deadline
        self._limit = limit

    def _check_time(self) -> None:
        if time.monotonic() > self._deadline:
            raise httpx2.ReadTimeout("the whole request took too long", request=self._request)

    def __iter__(self) -> Iterator[bytes]:
        received = 0
        self._check_time()
        for chunk in self._inner:
            received += len(chunk)
            if received > self._limit:
                raise ReplyTooLarge(self._limit)
            self._check_time()
            yield chunk

    def close(self) -> None:
        self._inner.close()

    @property
    def elapsed(self) -> dt.timedelta | None:
        return getattr(self._inner, "elapsed", None)  # what httpx2 reports as response.elapsed


def event_hooks(seconds: float, max_bytes: int) -> dict[str, list[Callable[[Any], None]]]:
    """httpx2 event hooks that give every request of a client a deadline `seconds` after it
    starts (connect and body included) and a body of at most `max_bytes`."""

    def start(request: httpx2.Request) -> None:
        request.extensions[_DEADLINE] = time.monotonic() + seconds

    def bound(response: httpx2.Response) -> None:
        request = response.request
        deadline = request.extensions.get(_DEADLINE, time.monotonic() + seconds)
        encoded = response.headers.get("content-encoding", "identity").strip().lower()
        limit = max_bytes if encoded in ("", "identity") else max_bytes // _COMPRESSION
        assert isinstance(response.stream, httpx2.SyncByteStream)
        response.stream = _BoundedStream(response.stream, request, deadline, limit)

    return {"request": [start], "response": [bound]}


# Asked of every server: a body as it is, so that its ceiling is what it takes in memory.
NO_COMPRESSION = {"Accept-Encoding": "identity"}
