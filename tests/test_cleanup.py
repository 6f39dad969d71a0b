"""Reply cleanup strips what models wrap around a translation, never the author's English; and
realistic bad replies built from his English are caught (scripts/bad_replies.py)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.check import AcronymUsage
from pipeline.glossary import load_glossary
from pipeline.translate import clean_reply, wrapped_in_quotes
from scripts.bad_replies import INFO_KINDS, KINDS, bad_replies, caught, first_identifier, measure
from scripts.calibrate import load_notes, split_notes
from tests.conftest import CORPUS, REPO

KO = "노이즈를 추가하면 학습이 빨라진다는 연구. 간단하지만 효과적이네요."
EN = "Adding noise speeds up training. Simple but effective."


@pytest.mark.parametrize(
    "reply",
    [
        f"Sure! Here is the English version:\n\n{EN}",
        f"Sure! Here is the English version: {EN}",
        f"Here's my translation of the comment:\n{EN}",
        f"Certainly! Here's the translated comment: {EN}",
        f"Of course. Below is the English translation:\n{EN}",
        f"Translation: {EN}",
        f"**English:**\n{EN}",
        f"The translation is as follows: {EN}",
        f"Sure, here you go — the English version:\n\n{EN}",
        f"Sure! {EN}",
        f"{EN}\n\nLet me know if you'd like any changes!",
        f"{EN} Let me know if you'd like any changes!",
        f"{EN} I hope this helps!",
        f"{EN}\n\nWould you like me to make it shorter?",
        f"{EN}\n\n(Note: I kept the technical terms in English.)",
        f"{EN} (Note: the tone is casual, as in the Korean.)",
        f"{EN}\n\nNotes:\n- I kept model names as written.\n- The tone is casual.",
        f"{EN}\n\n---\nTranslator's note: casual register kept.",
        f'"{EN}"',
        f"“{EN}”",
        f"‘{EN}’",
        f"'{EN}'",
        f"```\n{EN}\n```",
        f"```text\n{EN}\n```",
        f"Here is the translation:\n```\n{EN}\n```\nLet me know if you need anything else.",
        f"<think>The user wants a translation.</think>\n{EN}",
        f"{KO}\n\n{EN}",
    ],
)
def test_chatter_in_any_phrasing_is_stripped(reply: str) -> None:
    text, removed = clean_reply(reply, KO)
    assert text == EN
    assert removed


@pytest.mark.parametrize(
    "english",
    [
        EN,
        'He said "hi" and "bye"',
        '"Attention sinks" are real, and so is "massive activation"',
        "It's the authors' idea, and it's neat.",
        "Here, the authors propose a version of DPO: simpler and faster.",
        "Translation models benefit too. Let's see if it scales.",
        "Note that the gains shrink at scale.",
        "Sure enough, the method scales.",
        "A study on machine translation: English to Korean is harder.",
        "It works (literally) out of the box.",
    ],
)
def test_the_authors_english_is_left_alone(english: str) -> None:
    assert clean_reply(english, KO) == (english, [])


def test_what_the_comment_itself_has_is_kept() -> None:
    source = '"인용"으로 시작하는 코멘트.'
    assert clean_reply('"Quoted" opening comment."', source)[0] == '"Quoted" opening comment."'
    note = "참고: 코드는 공개되지 않았습니다."
    assert clean_reply("Note: the code is not released.", note)[0] == (
        "Note: the code is not released."
    )


def test_quotes_around_the_whole_text_are_told_from_quotes_inside_it() -> None:
    assert wrapped_in_quotes('"There are no "Image Experts". Each expert sees both."')
    assert not wrapped_in_quotes('"Image Experts" and "Text Experts"')
    assert wrapped_in_quotes("'It's the authors' idea'")
    assert not wrapped_in_quotes("'A' and 'B'")


def test_the_authors_own_english_passes_cleanup_unchanged() -> None:
    """Cleanup must never "fix" his English: only the vault's <english> tag, which two notes of
    the corpus carry by mistake, is taken off."""
    changed = {}
    for note in load_notes(CORPUS / "notes-2024.jsonl"):
        text, removed = clean_reply(note["comment_en"], note["comment_ko"])
        if text != note["comment_en"].strip():
            changed[note["id"]] = removed
    assert changed == {"2410.08184": ["<english>"], "2412.09764": ["<english>"]}


def test_a_megabyte_reply_is_cleaned_quickly() -> None:
    reply = f"Here is the translation:\n\n{(EN + chr(10)) * 20_000}\nI hope this helps!"
    started = time.monotonic()
    text, removed = clean_reply(reply, KO)
    elapsed = time.monotonic() - started
    assert removed == ["Here is the translation:", "I hope this helps!"]
    assert text.startswith(EN) and len(text) > 1_000_000
    # tens of milliseconds here; the bound is generous enough for any load
    assert elapsed < 5, f"cleaning a 1 MB reply took {elapsed:.1f} s"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.text(max_size=100))
def test_cleanup_never_crashes_and_only_removes(reply: str, source: str) -> None:
    text, _ = clean_reply(reply, source)
    assert len(text) <= len(reply)


# -- bad replies, measured ----------------------------------------------------------------------
GLOSSARY = load_glossary(REPO / "glossary.yaml")
NOTE = {
    "id": "2501.00001",
    "comment_ko": "Qwen2.5-32B에 노이즈를 추가하면 학습이 10% 빨라진다는 연구 "
    "(https://arxiv.org/abs/2506.08737). 10% 개선이면 꽤 크네요.",
    "comment_en": "Adding noise to Qwen2.5-32B makes training 10% faster "
    "(https://arxiv.org/abs/2506.08737). A 10% gain is quite large.",
}


def test_every_kind_of_bad_reply_is_made_and_caught_for_one_note() -> None:
    made = bad_replies(NOTE)
    assert set(made) == set(KINDS) | set(INFO_KINDS)
    for kind in KINDS:
        assert made[kind], kind
        for reply in made[kind]:
            assert caught(NOTE["comment_ko"], NOTE["comment_en"], reply, GLOSSARY), (kind, reply)
    # a number the Korean has twice, kept once
    assert any(reply.count("10%") == 1 for reply in made["number"])
    # the issue's two kinds: the first number +3 inside a name, the first name "the method"
    assert made["first-number"] == [NOTE["comment_en"].replace("Qwen2.5", "Qwen5.5", 1)]
    assert made["first-name"] == [NOTE["comment_en"].replace("Qwen2.5-32B", "the method")]
    assert made["added-number"] == [NOTE["comment_en"].replace(").", ") (up to 17% better).", 1)]


@pytest.mark.parametrize(
    ("english", "changed"),
    [
        ("Trained for 2000 iterations.", "Trained for 2003 iterations."),
        ("ZeRO-1/2/3 compared.", "ZeRO-4/2/3 compared."),
        ("A 32x32x8 latent.", "A 35x32x8 latent."),
        ("Over 2,000 steps.", "Over 2,003 steps."),
        (
            "See https://arxiv.org/abs/2401.1 for top-1 gains.",
            "See https://arxiv.org/abs/2401.1 for top-4 gains.",
        ),
    ],
)
def test_the_first_number_is_changed_wherever_it_stands(english: str, changed: str) -> None:
    note = {"id": "2501.00002", "comment_ko": "숫자.", "comment_en": english}
    assert bad_replies(note)["first-number"] == [changed]


def test_the_first_identifier_his_english_keeps_is_the_one_replaced() -> None:
    korean = "LLM으로 만든 GRPO 변형, Qwen2.5에서 실험."
    english = "A GRPO variant made with language models, tested on Qwen2.5; GRPOs scale."
    assert first_identifier(korean, english) == "GRPO"  # LLM is not kept as written
    made = bad_replies({"id": "2501.00003", "comment_ko": korean, "comment_en": english})
    assert made["first-name"] == [
        "A the method variant made with language models, tested on Qwen2.5; the method scale."
    ]
    # an acronym he often writes another way is made apart: its loss is a warning by design
    generic = AcronymUsage({"GRPO": (10, 5)})
    made = bad_replies(
        {"id": "2501.00003", "comment_ko": korean, "comment_en": english}, usage=generic
    )
    assert made["first-name"] == [] and len(made["generic-acronym"]) == 1


# The issue's target: 95% for every kind, on notes nothing was tuned on.
FLOOR = dict.fromkeys(KINDS, 0.95)
# the issue's kinds are one reply a note: fewer of them
MADE_AT_LEAST = dict.fromkeys(KINDS, 50) | {"first-number": 40, "first-name": 100}


@pytest.mark.slow
def test_bad_replies_are_caught_on_held_out_notes() -> None:
    """The slowest test of the suite (some 20,000 replies): marked slow, still run by default."""
    tuning, held_out = split_notes(load_notes(CORPUS / "notes-2024.jsonl"))
    rates = measure(held_out, GLOSSARY, tuning)
    assert rates.notes > 240
    for kind in KINDS + INFO_KINDS:
        print(f"{kind:<15} {rates.caught[kind]}/{rates.total[kind]} = {rates.rate(kind):.1%}")
    for kind in KINDS:
        assert rates.total[kind] >= MADE_AT_LEAST[kind], kind
        assert rates.rate(kind) >= FLOOR[kind], kind


def test_the_issues_two_kinds_alone_are_caught_on_the_held_out_notes() -> None:
    """The issue's two kinds alone (a few hundred replies), so that a change to the number or
    name checks shows at once."""
    tuning, held_out = split_notes(load_notes(CORPUS / "notes-2024.jsonl"))
    rates = measure(held_out, GLOSSARY, tuning, kinds=("first-number", "first-name"))
    for kind in ("first-number", "first-name"):
        print(f"{kind:<15} {rates.caught[kind]}/{rates.total[kind]} = {rates.rate(kind):.1%}")
        assert rates.total[kind] >= MADE_AT_LEAST[kind], kind
        assert rates.rate(kind) >= 0.95, kind
