"""What a model replies is read in bounded time (issue 25): cleanup and the judge's parsing of a
reply made to be slow (thousands of tags, quotes or brackets) end in moments, with their usual
answer. Each runs in a thread with a time limit, so a regression fails instead of hanging."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from pipeline.judge import UNREADABLE, parse_judgement
from pipeline.translate import clean_reply

LIMIT = 30.0  # seconds: the replies below took minutes to hours before


def within_limit(work: Callable[[], Any]) -> Any:
    box: list[Any] = []
    thread = threading.Thread(target=lambda: box.append(work()), daemon=True)
    thread.start()
    thread.join(LIMIT)
    assert not thread.is_alive(), f"still working after {LIMIT} s"
    return box[0]


def test_cleanup_of_replies_made_to_be_slow_ends_with_the_text_kept() -> None:
    tags = "<think>" * 200_000  # unclosed: a search rescanned from every one
    assert within_limit(lambda: clean_reply(tags, "원문")) == (tags, [])
    quotes = '"' * 1_000_000  # one pair stripped a pass, each pass walking the text
    text, _ = within_limit(lambda: clean_reply(quotes, "원문"))
    assert text == quotes
    chatter = "Sure!\n" * 200_000 + "A PRM."  # one line of chatter removed a pass
    text, removed = within_limit(lambda: clean_reply(chatter, "원문"))
    assert text.endswith("A PRM.") and len(removed) <= 8


def test_a_wrapped_translation_is_still_unwrapped() -> None:
    reply = '<think>hmm</think>\nHere is the translation:\n```\n"A PRM that scores steps."\n```'
    text, removed = clean_reply(reply, "PRM.")
    assert text == "A PRM that scores steps." and len(removed) == 4


def test_the_judge_reads_a_reply_made_to_be_slow_as_unreadable_in_moments() -> None:
    for reply in ("<think>" * 1_000_000, ("[" * 50 + "x") * 100_000, "```json\n" * 200_000):
        [finding] = within_limit(functools.partial(parse_judgement, reply))
        assert finding.message.startswith(UNREADABLE) and not finding.is_error


def test_the_judge_still_reads_a_judgement_after_thinking_and_chatter() -> None:
    reply = (
        "<think>Let me look. [not json</think>Sure, here it is: "
        '{"errors": [{"category": "omission", "severity": "major", "span": "데이터"}]}'
    )
    [finding] = parse_judgement(reply)
    assert finding.is_error and finding.message == "major omission: '데이터'"
