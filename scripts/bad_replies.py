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
    NO_HISTORY,
    AcronymUsage,
    is_acronym,
    is_name,
    latin_terms,
    name_pattern,
    numbers,
    run_checks,
    urls,
)
from pipeline.glossary import Glossary, load_glossary  # noqa: E402
from pipeline.translate import SYSTEM_PROMPT, clean_reply  # noqa: E402
from scripts.calibrate import (  # noqa: E402
    DEFAULT_CORPUS,
    Counts,
    has_english,
    in_time,
    learn,
    load_notes,
    split_notes,
    usage_counts,
    vault_notes,
)

KINDS = (
    "hangul",
    "chatter",
    "wrapping",
    "url",
    "number",
    "first-number",
    "added-number",
    "name",
    "first-name",
    "truncated",
    "echo",
    "oversized",
    "non-answer",
    "control",
)
# Made and measured, but a warning by design: an acronym the author himself often writes out or
# leaves out (AcronymUsage), dropped.
INFO_KINDS = ("generic-acronym",)

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


def _name_around(text: str, start: int, end: int) -> str:
    """The name a number stands in (top-1, Qwen2.5-32B), or "" for a number on its own."""
    left = re.search(r"[\w.\-+/@]*$", text[:start])
    right = re.match(r"[\w.\-+/@]*", text[end:])
    name = (left.group(0) if left else "") + text[start:end] + (right.group(0) if right else "")
    name = name.strip(".-+/@")
    return name if re.search(r"[A-Za-z]", name) else ""


def _number(ko: str, en: str, rng: random.Random) -> Iterator[str]:
    wanted = {
        found.group(0)
        for n in numbers(ko)
        if not n.word and (found := re.match(r"[\d.,]*\d", n.shown))
    }
    spots = [m for m in _DIGITS.finditer(en) if m.group(0) in wanted]
    for spot in spots[:4]:
        number = spot.group(0)
        other = str(int(number.replace(",", "").split(".")[0]) + rng.randint(1, 9))
        yield en[: spot.start()] + other + en[spot.end() :]  # changed
        name = _name_around(en, spot.start(), spot.end())
        if name and en.lower().count(name.lower()) > 1:
            continue  # a name said again may be said once (then "it"): not a bad reply
        tail = re.match(r"\s*(?:%|x|×|times|percent)?", en[spot.end() :])
        end = spot.end() + (tail.end() if tail else 0)
        yield re.sub(r"\s{2,}", " ", en[: spot.start()] + en[end:])  # dropped


def _name(ko: str, en: str) -> Iterator[str]:
    names = dict.fromkeys(w for w, _ in latin_terms(ko) if is_name(w) and w in en)
    for name in names:
        yield re.sub(r"\s{2,}", " ", en.replace(name, "the model"))
        yield re.sub(r"\s{2,}", " ", en.replace(name, "")).strip()


_URL_OR_NUMBER = re.compile(r"(https?://\S+)|\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d+)?")


def _first_number(en: str) -> Iterator[str]:
    """The issue's measure: the first number of his English (outside URLs, inside names too:
    Qwen 2 VL, ZeRO-1, 32x32x8) plus 3."""
    for match in _URL_OR_NUMBER.finditer(en):
        if match.group(1):
            continue
        number = match.group(0)
        whole, dot, fraction = number.replace(",", "").partition(".")
        changed = int(whole) + 3
        text = f"{changed:,}" if "," in number else str(changed)
        yield en[: match.start()] + text + dot + fraction + en[match.end() :]
        return


def _added_number(en: str) -> Iterator[str]:
    """A figure the model made up, before the end of his first sentence (or at the end)."""
    end = re.search(r"[.!?](?=\s|$)", en)
    at = end.start() if end else len(en)
    yield en[:at] + " (up to 17% better)" + en[at:]


def _outside_urls(en: str, pattern: re.Pattern[str], replacement: str) -> str:
    parts = re.split(r"(https?://\S+)", en)
    return "".join(
        part if i % 2 else pattern.sub(replacement, part) for i, part in enumerate(parts)
    )


def first_identifier(ko: str, en: str) -> str | None:
    """The first identifier of the Korean (a name, or an acronym) that his English keeps."""
    plain = re.sub(r"https?://\S+", " ", en)
    for word, is_term in latin_terms(ko):
        if is_term and name_pattern(word).search(plain):
            return word
    return None


def _first_name(ko: str, en: str, usage: AcronymUsage) -> dict[str, list[str]]:
    """The issue's measure: the first identifier of the Korean that his English keeps, replaced
    by "the method" wherever his English has it; a generic acronym (one he often writes another
    way) is made apart, as its loss is a warning by design."""
    plain = re.sub(r"https?://\S+", " ", en)
    for word, is_term in latin_terms(ko):
        if not (is_term and name_pattern(word).search(plain)):
            continue
        reply = re.sub(r"\s{2,}", " ", _outside_urls(en, name_pattern(word), "the method"))
        if is_name(word) or (is_acronym(word) and usage.usual(word)):
            return {"first-name": [reply]}
        return {"generic-acronym": [reply]}
    return {}


_CONTROL_SUFFIXES = (
    "\x1b]0;pwned\x07\x1b[2J",  # retitle the terminal, clear the screen
    "\x1b[1;31m",
    "\x00",
    "\x9b2J",  # the same as a C1 control
    " \ud83d",  # half an emoji
    " \ufffd",
)


def _control(en: str) -> Iterator[str]:
    for suffix in _CONTROL_SUFFIXES:
        yield en + suffix
    yield "\x1b[32m" + en + "\x1b[0m"
    word = re.search(r"[A-Za-z]{4,}", en)
    if word:
        middle = word.start() + 2
        for char in ("\x00", "\x08", "\u202e", "\ufffd"):  # the last loses a letter: an error
            yield en[:middle] + char + en[middle:]


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


def bad_replies(
    note: dict, seed: int = 0, usage: AcronymUsage = NO_HISTORY
) -> dict[str, list[str]]:
    """Every kind of bad reply that applies to this note, made from its English (`usage`: how
    the author wrote acronyms before this note)."""
    ko, en = note["comment_ko"], note["comment_en"].strip()
    rng = random.Random(f"{seed}:{note['id']}")
    made: dict[str, list[str]] = {kind: [] for kind in (*KINDS, *INFO_KINDS)}
    made |= _first_name(ko, en, usage)
    made |= {
        "hangul": list(_hangul(ko, en, rng)),
        "chatter": list(_chatter(en)),
        "wrapping": list(_wrapping(en)),
        "url": list(_url(ko, en)),
        "number": list(_number(ko, en, rng)),
        "first-number": list(_first_number(en)),
        "added-number": list(_added_number(en)),
        "name": list(_name(ko, en)),
        "control": list(_control(en)),
        "truncated": list(_truncated(en)),
        "echo": list(_echo(ko, en)),
        "oversized": list(_oversized(en)),
        "non-answer": list(NON_ANSWERS),
    }
    return {kind: [r for r in replies if r.strip() != en] for kind, replies in made.items()}


def caught(
    korean: str, english: str, reply: str, glossary: Glossary, usage: AcronymUsage = NO_HISTORY
) -> bool:
    """Cleaned back to the author's English exactly, or an error on what cleanup left."""
    text, _ = clean_reply(reply, korean)
    if text == english.strip():
        return True
    return any(f.is_error for f in run_checks(korean, text, glossary, usage))


@dataclass
class Rates:
    notes: int = 0
    total: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS + INFO_KINDS, 0))
    caught: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS + INFO_KINDS, 0))
    missed: dict[str, list[tuple[str, str]]] = field(
        default_factory=lambda: {kind: [] for kind in KINDS + INFO_KINDS}
    )

    def rate(self, kind: str) -> float:
        return self.caught[kind] / self.total[kind] if self.total[kind] else 1.0


def measure(
    notes: list[dict],
    glossary: Glossary,
    earlier: list[dict] | None = None,
    kinds: tuple[str, ...] = KINDS + INFO_KINDS,
) -> Rates:
    """Catch rates per kind over the notes whose own English raises no error, taken in the order
    he wrote them, each judged with his acronym usage as his history knew it then (the `earlier`
    notes and those before it here; None: a new user's, with no history)."""
    rates = Rates()
    counts: Counts | None = None if earlier is None else usage_counts(earlier)
    for note in in_time(notes):
        ko, en = note["comment_ko"], note["comment_en"]
        if not has_english(note):
            continue
        usage = NO_HISTORY if counts is None else AcronymUsage(dict(counts))
        if counts is not None:
            learn(counts, note)
        if any(f.is_error for f in run_checks(ko, en, glossary, usage)):
            continue
        rates.notes += 1
        for kind, replies in bad_replies(note, usage=usage).items():
            if kind not in kinds:
                continue
            for reply in replies:
                rates.total[kind] += 1
                if caught(ko, en, reply, glossary, usage):
                    rates.caught[kind] += 1
                else:
                    rates.missed[kind].append((note["id"], reply))
    return rates


def print_rates(name: str, rates: Rates, show: int = 0) -> None:
    print(f"{name}: {rates.notes} notes whose own English passes")
    for kind in KINDS + INFO_KINDS:
        print(
            f"  {kind:<15} {rates.caught[kind]:>5}/{rates.total[kind]:<5} "
            f"= {100 * rates.rate(kind):5.1f}%"
            + ("  (a warning by design)" if kind in INFO_KINDS else "")
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
    print_rates("tuning", measure(tuning, glossary, []), args.show)
    print()
    print_rates("held out", measure(held_out, glossary, tuning), args.show)
    notes = tuning + held_out
    _, extra_held_out = split_notes(vault_notes(besides=notes))
    print()
    print_rates("vault sample, 2025, held out", measure(extra_held_out, glossary, notes), args.show)
    return 0


if __name__ == "__main__":
    sys.exit(main())
