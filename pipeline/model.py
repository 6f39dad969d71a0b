"""The model seam: what the stages ask of a model, and what it answers.

`Model` is all that drafting, the judge round and `eval` use of a model. `translate.Translator`
implements it for an OpenAI-compatible server (with the reply cache, the retry layer and the limit
on requests in flight); a test's fake implements it in a few lines and needs no HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from pipeline.usage import Usage

# A chat: [{"role": "system" | "user" | "assistant", "content": ...}, ...]
Messages = list[dict[str, str]]


@dataclass(frozen=True)
class Reply:
    """What the model answered to one request (or what the cache remembers of it)."""

    content: str
    model: str
    usage: Usage = Usage()  # as the server counted it (nothing from the cache)
    from_cache: bool = False

    @property
    def tokens(self) -> int:
        return self.usage.total


@dataclass
class Translation:
    """A reply to a translation request, with what the cleanup removed from around it."""

    text: str
    model: str
    removed: list[str] = field(default_factory=list)
    from_cache: bool = False
    usage: Usage = Usage()

    @property
    def tokens(self) -> int:
        return self.usage.total


class Model(Protocol):
    """A chat model as the stages use it."""

    @property
    def model(self) -> str:
        """Its name, as drafts and reports record it."""

    def complete(self, messages: Messages, judge: bool = False) -> Reply:
        """The reply to `messages`; `judge`: a judging request (sent with the judge's reasoning
        effort). A service that fails raises ServiceError."""

    def translate(self, comment_ko: str, messages: Messages) -> Translation:
        """The reply to a translation request, cleaned of what models wrap around a translation
        (translate.clean_reply)."""

    def use_jobs(self, jobs: int | None) -> None:
        """Requests in flight for this run: `jobs`, or (None, `--jobs auto`) as many as the
        server sustains."""

    def remember_limit(self) -> None:
        """Keep what this run learned of the server's limit, for the next run."""
