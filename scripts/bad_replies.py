"""Realistic bad model replies, built from the author's real English, and how many the checks catch.

For each note whose own English passes the checks, every kind of bad reply that applies to it is
made from that English (Hangul left, chatter, wrapping, a URL, number or name lost, a cut, the
Korean echoed, an oversized reply, a non-answer). A bad reply is caught when, after
`clean_reply`, it raises an error, or when `clean_reply` turns it back into the author's English
exactly. Usage: python scripts/bad_replies.py [--corpus PATH] [--show N]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.check import (  # noqa: E402
    is_name,
    korean_numbers,
    latin_terms,
    run_checks,
    urls,
)
from pipeline.glossary import Glossary, load_glossary  # noqa: E402
from pipeline.translate import SYSTEM_PROMPT, clean_reply  # noqa: E402
from scripts.calibrate import DEFAULT_CORPUS, has_english, load_notes, split_notes  # noqa: E402

KINDS = (
    "hangul",
    "chatter",
    "wrapping",
    "url",
    "number",
    "name",
    "truncated",
    "echo",
    "oversized",
    "non-answer",
)

# Phrasings seen from chat models, and others like them: the checks must not depend on one.
PREAMBLES = (
    "Here is the translation:",
    "Sure! Here is the English version:",
    "Here's my translation of the comment:",
    "Certainly! Here's the translated comment:",
    "Of course. Below is the English translation:",
    "Translation:",
    "English translation:",
    "**English:**",
    "The translation is as follows:",
    "Okay, here is the comment in English:",
    "Sure, here you go — the English version:",
    "Here is the comment translated into natural English:",
)
SIGN_OFFS = (
    "Let me know if you'd like any changes!",
    "I hope this helps!",
    "Let me know if you want a more literal version.",
    "Feel free to ask if you need any adjustments.",
    "If you'd like a more formal tone, I can adjust it.",
    "Would you like me to make it shorter?",
    "Hope that helps.",
    "Is there anything else you'd like me to translate?",
)
NOTES = (
    "(Note: I kept the technical terms in English.)",
    "Note: the original uses a casual tone, which I preserved.",
    "(Translator's note: 'PRM' stands for process reward model.)",
    "Notes:\n- I kept model names and URLs as written.\n- The tone is casual, as in the Korean.",
    "(Literally: 'it seems so'.)",
)
NON_ANSWERS = (
    "I could not find the text to translate.",
    "I'm unable to translate this comment.",
    "As an AI language model, I cannot provide opinions on research papers.",
    "I'm sorry, but I can't help with that.",
    "Could you please provide the Korean text you'd like me to translate?",
    "There is no comment to translate here.",
)


def _chatter(en: str) -> Iterator[str]:
    for preamble in PREAMBLES:
        yield f"{preamble}\n\n{en}"
        if not preamble.endswith("**"):
            yield f"{preamble} {en}"
    for sign_off in SIGN_OFFS:
        yield f"{en}\n\n{sign_off}"
        yield f"{en} {sign_off}"
    for note in NOTES:
        yield f"{en}\n\n{note}"
    yield f"{PREAMBLES[1]}\n\n{en}\n\n{SIGN_OFFS[0]}"


def _wrapping(en: str) -> Iterator[str]:
    for left, right in ('""', "“”", "''", "‘’", "«»"):
        yield f"{left}{en}{right}"
    yield f"```\n{en}\n```"
    yield f"```text\n{en}\n```"
    yield f"Here is the translation:\n```\n{en}\n```"


def _hangul(ko: str, en: str, rng: random.Random) -> Iterator[str]:
    korean_words = re.findall(r"[\uac00-\ud7a3]{2,}", ko)
    english_words = list(re.finditer(r"\b[A-Za-z]{4,}\b", en))
    for _ in range(3):
        if not korean_words or not english_words:
            return
        word = rng.choice(english_words)
        yield en[: word.start()] + rng.choice(korean_words) + en[word.end() :]


def _url(ko: str, en: str) -> Iterator[str]:
    for url in urls(ko):
        if url in en:
            dropped = re.sub(r"\s*\(?\s*" + re.escape(url) + r"\s*\)?", "", en, count=1)
            yield dropped
            yield en.replace(url, url[:-1] + ("0" if url[-1] != "0" else "1"), 1)  # changed


_DIGITS = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")


def _number(ko: str, en: str, rng: random.Random) -> Iterator[str]:
    wanted = {re.match(r"[\d.,]*\d", written).group(0) for written, _, _ in korean_numbers(ko)}  # type: ignore[union-attr]
    spots = [m for m in _DIGITS.finditer(en) if m.group(0) in wanted]
    for spot in spots[:4]:
        number = spot.group(0)
        other = str(int(number.replace(",", "").split(".")[0]) + rng.randint(1, 9))
        yield en[: spot.start()] + other + en[spot.end() :]  # changed
        tail = re.match(r"\s*(?:%|x|×|times|percent)?", en[spot.end() :])
        end = spot.end() + (tail.end() if tail else 0)
        yield re.sub(r"\s{2,}", " ", en[: spot.start()] + en[end:])  # dropped


def _name(ko: str, en: str) -> Iterator[str]:
    names = dict.fromkeys(w for w, _ in latin_terms(ko) if is_name(w) and w in en)
    for name in names:
        yield re.sub(r"\s{2,}", " ", en.replace(name, "the model"))
        yield re.sub(r"\s{2,}", " ", en.replace(name, "")).strip()


def _truncated(en: str) -> Iterator[str]:
    for share in (0.4, 0.6, 0.8):
        cut = en.rfind(" ", 0, int(len(en) * share))
        if cut <= 0:
            continue
        head = en[:cut].rstrip()
        if head and head[-1] not in ".!?)":  # a cut at a sentence's end is not mid-sentence
            yield head


def _echo(ko: str, en: str) -> Iterator[str]:
    yield ko
    yield f"{ko}\n\n{en}"
    yield f"Korean: {ko}\nEnglish: {en}"
    yield f"{en}\n\n(Original: {ko})"


def _oversized(en: str) -> Iterator[str]:
    yield (en + "\n\n") * (1_000_000 // (len(en) + 2) + 1)  # a megabyte: a model looping
    yield f"{SYSTEM_PROMPT}\n\n{en}"
    yield f"{en}\n\n{SYSTEM_PROMPT}"


def bad_replies(note: dict, seed: int = 0) -> dict[str, list[str]]:
    """Every kind of bad reply that applies to this note, made from its English."""
    ko, en = note["comment_ko"], note["comment_en"].strip()
    rng = random.Random(f"{seed}:{note['id']}")
    made = {
        "hangul": list(_hangul(ko, en, rng)),
        "chatter": list(_chatter(en)),
        "wrapping": list(_wrapping(en)),
        "url": list(_url(ko, en)),
        "number": list(_number(ko, en, rng)),
        "name": list(_name(ko, en)),
        "truncated": list(_truncated(en)),
        "echo": list(_echo(ko, en)),
        "oversized": list(_oversized(en)),
        "non-answer": list(NON_ANSWERS),
    }
    return {kind: [r for r in replies if r.strip() != en] for kind, replies in made.items()}


def caught(korean: str, english: str, reply: str, glossary: Glossary) -> bool:
    """Cleaned back to the author's English exactly, or an error on what cleanup left."""
    text, _ = clean_reply(reply, korean)
    if text == english.strip():
        return True
    return any(f.is_error for f in run_checks(korean, text, glossary))


@dataclass
class Rates:
    notes: int = 0
    total: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    caught: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    missed: dict[str, list[tuple[str, str]]] = field(
        default_factory=lambda: {kind: [] for kind in KINDS}
    )

    def rate(self, kind: str) -> float:
        return self.caught[kind] / self.total[kind] if self.total[kind] else 1.0


def measure(notes: list[dict], glossary: Glossary) -> Rates:
    """Catch rates per kind over the notes whose own English raises no error."""
    rates = Rates()
    for note in notes:
        ko, en = note["comment_ko"], note["comment_en"]
        if not has_english(note) or any(f.is_error for f in run_checks(ko, en, glossary)):
            continue
        rates.notes += 1
        for kind, replies in bad_replies(note).items():
            for reply in replies:
                rates.total[kind] += 1
                if caught(ko, en, reply, glossary):
                    rates.caught[kind] += 1
                else:
                    rates.missed[kind].append((note["id"], reply))
    return rates


def print_rates(name: str, rates: Rates, show: int = 0) -> None:
    print(f"{name}: {rates.notes} notes whose own English passes")
    for kind in KINDS:
        print(
            f"  {kind:<11} {rates.caught[kind]:>5}/{rates.total[kind]:<5} "
            f"= {100 * rates.rate(kind):5.1f}%"
        )
        for note_id, reply in rates.missed[kind][:show]:
            print(f"      missed ({note_id}): {reply[:160]!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--glossary", type=Path, default=ROOT / "glossary.yaml")
    parser.add_argument("--show", type=int, default=0, help="print up to N missed replies a kind")
    args = parser.parse_args()
    glossary = load_glossary(args.glossary)
    tuning, held_out = split_notes(load_notes(args.corpus))
    print_rates("tuning", measure(tuning, glossary), args.show)
    print()
    print_rates("held out", measure(held_out, glossary), args.show)
    return 0


if __name__ == "__main__":
    sys.exit(main())
