"""The model seam (pipeline.model) and the pieces the Translator is made of: the reply cache and
the limit on requests in flight, which know nothing of OpenAI, and the OpenAI request."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pipeline.concurrency import AdaptiveLimit, Jobs, Limit
from pipeline.config import load_settings
from pipeline.model import Messages, Model, Translation
from pipeline.translate import ReplyCache, Translator, build_messages
from tests.cli_helpers import FAKE_EN as EN
from tests.cli_helpers import KO, FakeModel
from tests.servers import OpenAIServer

MESSAGES = build_messages(KO, [])


def english_of(model: Model, comment_ko: str) -> Translation:
    """What a stage does with any model: the seam is all it sees."""
    model.use_jobs(None)
    try:
        return model.translate(comment_ko, build_messages(comment_ko, []))
    finally:
        model.remember_limit()


def test_the_fake_and_the_translator_are_both_models(model_server: OpenAIServer) -> None:
    fake = FakeModel(lambda messages: f"Sure! Here is the translation:\n{EN}")
    assert english_of(fake, KO).text == EN and len(fake.requests) == 1
    real = Translator(load_settings())
    made = english_of(real, KO)
    assert made.model == real.model and not made.from_cache and len(model_server.requests) == 1
    assert english_of(real, KO).from_cache and real.calls == 1


def test_a_cache_key_is_the_request_as_it_was_sent(tmp_path: Path) -> None:
    """The key is the one earlier versions wrote: replies cached by them are still found."""
    cache = ReplyCache(tmp_path, "openai", "gpt-5-mini")
    request = {"server": "openai", "model": "gpt-5-mini", "messages": MESSAGES, "temperature": 0.0}

    def name(sent: dict[str, object]) -> str:
        key = json.dumps(sent, ensure_ascii=False, sort_keys=True).encode("utf-8")
        return hashlib.sha256(key).hexdigest() + ".json"

    assert cache.path(MESSAGES, 0.0, None).name == name(request)
    assert cache.path(MESSAGES, 0.0, "low").name == name(request | {"reasoning_effort": "low"})
    others = [
        ReplyCache(tmp_path, "http://127.0.0.1:9/v1", "gpt-5-mini").path(MESSAGES, 0.0, None),
        ReplyCache(tmp_path, "openai", "gpt-5").path(MESSAGES, 0.0, None),
        cache.path(MESSAGES, None, None),
        cache.path(build_messages(KO + " 더.", []), 0.0, None),
    ]
    assert len({p.name for p in others} | {cache.path(MESSAGES, 0.0, None).name}) == 5


def test_a_reply_is_found_at_either_temperature_and_only_at_its_effort(tmp_path: Path) -> None:
    cache = ReplyCache(tmp_path / "replies", "openai", "o3")
    assert cache.get(MESSAGES, None) is None  # nothing yet, not even the folder
    cache.put(MESSAGES, None, "low", EN)  # a model that takes only its own temperature
    assert cache.get(MESSAGES, "low") == EN
    assert cache.get(MESSAGES, None) is None and cache.get(MESSAGES, "high") is None
    other: Messages = [*MESSAGES[:-1], {"role": "user", "content": "Another comment."}]
    assert cache.get(other, "low") is None
    record = json.loads(cache.path(MESSAGES, None, "low").read_text("utf-8"))
    assert record == {"model": "o3", "content": EN}


def test_jobs_keep_what_auto_learned_for_the_next_run(tmp_path: Path) -> None:
    learned = tmp_path / "limits" / "server"
    jobs = Jobs(learned)
    jobs.use(3)
    assert type(jobs.limit) is Limit and jobs.limit.limit == 3
    jobs.remember()
    assert not learned.exists()  # a fixed limit teaches nothing
    jobs.use(None)
    assert isinstance(jobs.limit, AdaptiveLimit) and jobs.limit.known is None
    with jobs.slot() as pushed_back:
        pushed_back(None, True)  # refused at once, with nothing else in flight: it takes one
    jobs.remember()
    assert learned.read_text() == "1\n"
    again = Jobs(learned)
    again.use(None)
    assert isinstance(again.limit, AdaptiveLimit) and again.limit.known == 1
    learned.write_text("lots\n")
    again.use(None)
    assert isinstance(again.limit, AdaptiveLimit) and again.limit.known is None  # unreadable
