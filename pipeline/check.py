"""Check stage: one small function per check over (Korean comment, English), each returning findings.

Errors are defects a reader would be misled by (Hangul left, chatter, a URL, number or name lost,
changed or added, characters that are no text, a strict term or an avoided rendering); warnings
are what a careful author may well have meant (a glossary rendering paraphrased, an acronym he
often writes another way, as his history shows: AcronymUsage). Calibrated by
scripts/calibrate.py on the author's own English: tuned on his notes of January-August 2024,
reported on September-December, which nothing here was tuned on.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache

from pipeline.acronym_prior import PRIOR
from pipeline.entry import ERROR, WARNING, Finding, Severity
from pipeline.glossary import Glossary, Match, distinct_terms
from pipeline.text import (
    ANNOUNCING,
    COURTESY_WORDS,
    ENGLISH_LABEL,
    HANGUL,
    I_TRANSLATED,
    LOST_MARK,
    NOTE_LABEL,
    NOTE_MARK,
    OPENER_WORDS,
    SIGN_OFF_PHRASES,
    TRANSLATION_LABEL,
    edit_distance,
    unprintable,
)
from pipeline.translate import SYSTEM_PROMPT, wrapped_in_quotes

_URL = re.compile(r"https?://[^\s<>\"'）)\]]+")
_URL_TAIL = ".,;:!?"


def quote(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def urls(text: str) -> list[str]:
    return [u.rstrip(_URL_TAIL) for u in _URL.findall(text)]


def without_urls(text: str) -> str:
    return _URL.sub(" ", text)


# -- the English is there, and is English --------------------------------------------------------
def check_hangul(korean: str, english: str) -> list[Finding]:
    found = HANGUL.findall(english)
    if not found:
        return []
    first = HANGUL.search(english)
    assert first is not None
    around = english[max(0, first.start() - 15) : first.start() + 25]
    return [
        Finding("hangul", ERROR, f"{len(found)} Hangul character(s) left, e.g. {quote(around)}")
    ]


def check_not_empty(korean: str, english: str) -> list[Finding]:
    if not english.strip():
        return [Finding("empty", ERROR, "the English is empty")]
    if " ".join(english.split()) == " ".join(korean.split()):
        return [Finding("untranslated", ERROR, "the English is the Korean comment unchanged")]
    letters = [c for c in english if c.isalpha()]
    hangul = [c for c in letters if HANGUL.match(c)]
    if letters and len(hangul) / len(letters) > 0.5:
        return [Finding("untranslated", ERROR, "the English is mostly Korean")]
    return []


def check_comment_is_korean(korean: str, english: str) -> list[Finding]:
    """A comment without Hangul is probably not the Korean comment (an English paste), and the
    text digest, which finds the comment by its Hangul, could not carry it."""
    if korean.strip() and not HANGUL.search(korean):
        return [
            Finding(
                "korean",
                WARNING,
                "the comment has no Hangul: is it the Korean comment? (the text digest cannot "
                "carry it)",
            )
        ]
    return []


def check_characters(korean: str, english: str) -> list[Finding]:
    """No character that is no text (a terminal escape, a control character, a lost character)
    in the English, nor the mark cleanup leaves where a character of the reply was lost. Cleanup
    removes them from a model's reply; what is left here was typed, or lost inside a word."""
    what = unprintable(english)
    if what:
        return [Finding("characters", ERROR, f"the English holds {what}: no text; delete it")]
    if LOST_MARK in english and LOST_MARK not in korean:
        at = english.index(LOST_MARK)
        return [
            Finding(
                "characters",
                ERROR,
                f"a character of the model's reply was lost in transport at "
                f"{quote(english[max(0, at - 20) : at + 23])}: ask again or fix it by hand",
            )
        ]
    return []


# -- model chatter: whatever the model said that is not the translation --------------------------
# Each pattern is phrased by what the words do (announce, sign off, annotate, refuse), not by one
# model's wording, and each was checked against the author's own turns of phrase ("I can't help
# but", "Here, the authors"). Talk about "the translation" is left alone when the comment
# itself is about translation (번역).
_TRANSLATION_WORD = (
    r"\b(?:translation|translated|translating|rendering|(?:english|translated) (?:version|text)"
    r"|in english|into english)\b"
)
_PREAMBLE = re.compile(
    r"^\W*(?:(?:"
    + OPENER_WORDS
    + r")\b[^\n]{0,40}?[.!:,]\s*)?(?:"
    + "|".join(
        [
            ANNOUNCING + r"[^\n]{0,60}?" + _TRANSLATION_WORD + r"[^\n]{0,40}?(?::|\n|$)",
            TRANSLATION_LABEL + r"\s*:",
            ENGLISH_LABEL + r"\s*:",
            I_TRANSLATED + r"[^\n]{0,80}?[:.\n]",
        ]
    )
    + ")",
    re.I,
)
_OPENER = re.compile(r"^\W*(?:" + COURTESY_WORDS + r"|happy to help)\s*[!,.]", re.I)
_SIGN_OFF = re.compile(
    r"\b(?:" + SIGN_OFF_PHRASES + r"|any (?:other )?(?:questions|adjustments))", re.I
)
_NOTE = re.compile(r"(?:^|\n|\(|\[|—|--)\s*\**\s*" + NOTE_LABEL + r"\s*\**\s*[:\-]", re.I)
_REMARK = re.compile(
    r"\((?:translation|translated)\b[^)]*\)|\((?:literally|lit\.)\s*[:,]?\s*[\"'“‘][^)]*\)", re.I
)
_ABOUT_TRANSLATION = re.compile(
    r"\b(?:i(?:'ve| have)? (?:translated|rendered)\b"
    r"|i(?:'ve| have)? (?:kept|preserved|left) (?:the |all )?(?:original |english )?"
    r"(?:terms?|names?|urls?|acronyms?|numbers?|wording|formatting)\b"
    r"|(?:the|this|my) (?:english )?(?:translation|rendering) (?:is|keeps|preserves|above)"
    r"|the (?:korean|source) (?:text|comment|sentence|wording)|the original korean"
    r"|in (?:the )?korean\b|(?:the )?(?:text|comment|message|passage) you "
    r"(?:provided|sent|shared|gave|wrote))",
    re.I,
)
_CANNOT = (
    r"(?:cannot|can't|can ?not|could not|couldn't|won't|will not|am unable to|must decline to)"
)
_NON_ANSWER = re.compile(
    r"\b(?:i(?:'m| am) (?:sorry|afraid)\b[^.!?\n]{0,40}?\b(?:can(?:no|')t|unable|not able|"
    r"translat|help|assist|provide)"
    r"|i(?:'m| am) (?:unable|not able) to (?:help|assist|translate|provide|comply|process|find)"
    r"|i " + _CANNOT + r" (?:help(?! but)|assist|translate|provide (?:a|the|any) translation"
    r"|comply|process (?:this|the|your)|fulfil|fulfill|complete (?:this|the|your) request"
    r"|find (?:the|any|a) (?:text|comment|content|input))"
    r"|as an ai(?: language model| assistant| model)?, i\b"
    r"|i(?:'m| am) (?:an ai|a language model|an assistant)\b"
    r"|(?:there is|there's|there was) no (?:korean )?(?:text|comment|content|input)"
    r" (?:to translate|provided|given|included|here)"
    r"|please provide (?:the|a|your|some)|no (?:korean )?(?:text|comment|content|input) "
    r"(?:was |has been )?(?:provided|given|included|to translate)|nothing to translate"
    r"|(?:could you|can you|please) (?:provide|share|send|paste))",
    re.I,
)
_THINK_TAG = re.compile(r"<\s*/?\s*think\s*>", re.I)
_PROMPT_MARKS = re.compile(
    r"<<<|>>>|^glossary for this comment:|^comment:\s*$|^rules:\s*$", re.I | re.M
)


def _prompt_words() -> list[str]:
    return re.findall(r"[a-z']+", SYSTEM_PROMPT.lower())


@lru_cache(maxsize=1)
def _prompt_shingles() -> frozenset[tuple[str, ...]]:
    words = _prompt_words()
    return frozenset(tuple(words[i : i + 6]) for i in range(len(words) - 5))


def echoes_prompt(english: str) -> bool:
    """Six words in a row of the system prompt, or its markers: the model repeated its orders."""
    if _PROMPT_MARKS.search(english):
        return True
    words = re.findall(r"[a-z']+", english.lower())
    shingles = _prompt_shingles()
    return any(tuple(words[i : i + 6]) in shingles for i in range(len(words) - 5))


def check_chatter(korean: str, english: str) -> list[Finding]:
    findings: list[Finding] = []
    stripped = english.strip()
    about_translation = "번역" in korean or re.search(r"translat", korean, re.I) is not None

    def found(what: str, match: re.Match[str] | None = None) -> None:
        shown = f": {quote(match.group(0))}" if match else ""
        findings.append(Finding("chatter", ERROR, f"{what} the model added{shown}"))

    if (
        not about_translation
        and (match := _PREAMBLE.search(stripped))
        or (match := _OPENER.search(stripped))
    ):
        found("an opening line", match)
    last_sentence = re.split(r"(?<=[.!?])\s+|\n", stripped)[-1]
    if match := _SIGN_OFF.search(last_sentence):
        found("a closing line", match)
    if (match := _NOTE.search(stripped)) and not NOTE_MARK.search(korean):
        found("a note", match)
    if not about_translation and not re.search(r"한국어|한글|korean", korean, re.I):
        for pattern in (_REMARK, _ABOUT_TRANSLATION):
            if match := pattern.search(stripped):
                found("talk about the translation", match)
                break
    if match := _THINK_TAG.search(stripped):
        found("a <think> tag", match)
    if stripped.startswith("```") and "```" not in korean:
        found("a code fence around the translation")
    elif (
        len(stripped) > 1
        and stripped[0] in "\"“'‘«「"
        and stripped[-1] in "\"”'’»」"
        and korean.strip()[:1] not in "\"“'‘«「"
        and wrapped_in_quotes(stripped)
    ):
        found("quotes wrapped around the whole translation")
    if echoes_prompt(stripped):
        findings.append(Finding("chatter", ERROR, "the reply repeats the translation instructions"))
    return findings


def check_non_answer(korean: str, english: str) -> list[Finding]:
    """A refusal, an apology or a request for the text, in place of a translation."""
    match = _NON_ANSWER.search(english)
    if match and not _NON_ANSWER.search(korean):
        return [Finding("non-answer", ERROR, f"not a translation: {quote(match.group(0))}")]
    return []


# -- URLs ---------------------------------------------------------------------------------------
def check_urls(korean: str, english: str) -> list[Finding]:
    findings = []
    english_urls = urls(english)
    for url in urls(korean):
        if url not in english_urls and url not in english:
            findings.append(Finding("url", ERROR, f"URL missing or changed: {url}"))
    source = urls(korean)
    for url in english_urls:
        if url not in source and url not in korean:
            findings.append(Finding("url", WARNING, f"URL not in the Korean: {url}"))
    return findings


# -- numbers ------------------------------------------------------------------------------------
# Every number of the Korean and of the English, inside names too (Qwen2.5, ZeRO-1/2/3, top-1,
# FP8, 32x32x8, 2^32, 7B), compared as multisets by value: each number of the Korean must stand in
# the English in some spelling (1만 = 10,000 = 10K, 15억 = 1.5B, 3배 = 3x = three times, 3월 =
# March, 1위 = first or top, '24년 = 2024, 2 = two), and each number the English writes in digits
# must stand in the Korean in some spelling (두 가지 = 2 kinds, 첫 번째 = 1st). So a number
# changed, dropped or added is an error, wherever it stands.
_NUMBER = re.compile(
    r"(?P<num>\d{1,3}(?:,\d{3})+(?!\d)(?:\.\d+)?|\d+(?:\.\d+)?(?:[eE][-+]?\d+(?![A-Za-z]))?)"
    r"(?:\s*(?:\^|\*\*)\s*(?P<power>[-+]?\d+(?:\.\d+)?))?"
)
# what may follow a number, and what it makes of it
_UNIT = re.compile(
    r"\s*(?:(?P<ko_scale>[천백][만억조]?|[억조]|만(?!큼))"
    r"|(?P<pct>%p?|퍼센트|프로(?![그젝세토파필모덕])|percent(?:age points?)?\b|per cent\b|pct\b)"
    r"|(?P<times>배(?![치포경열터제])|[x×](?![\dA-Za-z])|times\b|-?fold\b)"
    r"|(?P<month>월)"
    r"|(?P<rank>위|등|번째|차)"
    r"|(?P<year>년)"
    r"|-?(?P<en_scale>thousand|million|billion|trillion|bn)(?![a-z])"
    r")",
    re.I,
)
_ATTACHED = re.compile(r"(?P<en_scale>[kmbt])(?![a-z])|(?P<rank>st|nd|rd|th)\b", re.I)
_SCALE = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
    "t": 1e12,
    "trillion": 1e12,
    "십": 10,
    "백": 1e2,
    "천": 1e3,
    "만": 1e4,
    "억": 1e8,
    "조": 1e12,
}
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_SUPERSCRIPTS = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_TIMES_BEFORE = re.compile(r"[\s(][x×]\s*$", re.I)  # x3
_CARDINALS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
).split()
_TENS = {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80}
_ORDINAL_WORDS = (
    "zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth"
).split()
_MONTHS = (
    "january february march april may june july august september october november december"
).split()
_PLAIN = frozenset({""})
# English words for numbers: word -> (value, kind, the kinds of the Korean number it may stand
# for). Months only for a month (3월), top and best only for a rank (1위), twice for 2배 or 2.
_Word = tuple[float, str, frozenset[str]]
_TIMES = frozenset({"times", ""})
_EN_WORDS: dict[str, _Word] = {
    **{
        w: (n, "", frozenset({"", "pct", "rank", "year", "month"}))
        for n, w in enumerate(_CARDINALS)
    },
    **{w: (n, "", frozenset({"", "pct"})) for w, n in _TENS.items()},
    **{w: (n, "rank", frozenset({"", "rank"})) for n, w in enumerate(_ORDINAL_WORDS)},
    **{w: (n, "month", frozenset({"month"})) for n, w in enumerate(_MONTHS, 1)},
    **{w[:3]: (n, "month", frozenset({"month"})) for n, w in enumerate(_MONTHS, 1)},
    **dict.fromkeys(("top", "best", "leading", "sota"), (1, "rank", frozenset({"rank"}))),
    **dict.fromkeys(("once", "single"), (1, "", _PLAIN)),
    "twice": (2, "times", _TIMES),
    "thrice": (3, "times", _TIMES),
    **dict.fromkeys(("both", "pair", "couple", "dual"), (2, "", _PLAIN)),
    "half": (0.5, "", _PLAIN),
    "dozen": (12, "", _PLAIN),
    "hundred": (1e2, "", _PLAIN),
    "thousand": (1e3, "", _PLAIN),
    "million": (1e6, "", _PLAIN),
    "billion": (1e9, "", _PLAIN),
    "trillion": (1e12, "", _PLAIN),
}
_EN_WORD_STEMS: dict[str, _Word] = {  # doubled, tripling, quadruple
    "doubl": (2, "times", _TIMES),
    "tripl": (3, "times", _TIMES),
    "quadrupl": (4, "times", _TIMES),
}
_EN_PHRASE = re.compile(r"\b(?:number one|no\. ?1|state[- ]of[- ]the[- ]art)\b", re.I)
_FOLLOWED_BY_TIMES = re.compile(r"\s+times\b", re.I)


def _english_words(text: str) -> list[Number]:
    found = []
    for match in re.finditer(r"[A-Za-z]+", text):
        word = match.group(0).lower()
        known = _EN_WORDS.get(word) or next(
            (v for stem, v in _EN_WORD_STEMS.items() if word.startswith(stem)), None
        )
        if word.endswith("fold") and word[:-4] in _CARDINALS:  # threefold: 3배
            known = (_CARDINALS.index(word[:-4]), "times", _TIMES)
        if known is None:
            continue
        value, kind, stands_for = known
        if word in _CARDINALS and _FOLLOWED_BY_TIMES.match(text, match.end()):
            kind, stands_for = "times", _TIMES  # three times: 3배
        found.append(
            Number(
                match.group(0), frozenset({_key(value)}), kind, match.start(), "", True, stands_for
            )
        )
    for match in _EN_PHRASE.finditer(text):
        found.append(
            Number(
                match.group(0),
                frozenset({1.0}),
                "rank",
                match.start(),
                "",
                True,
                frozenset({"rank"}),
            )
        )
    return found


# Korean words for numbers, as a number in digits of the English may stand for them: 두 가지,
# 세 번, 첫 번째, 한두 개, 절반.
_KO_WORDS: dict[str, tuple[float, ...]] = {
    "하나": (1,),
    "한": (1,),
    "첫": (1,),
    "첫째": (1,),
    "하루": (1,),
    "둘": (2,),
    "두": (2,),
    "둘째": (2,),
    "이틀": (2,),
    "셋": (3,),
    "세": (3,),
    "셋째": (3,),
    "넷": (4,),
    "네": (4,),
    "넷째": (4,),
    "다섯": (5,),
    "여섯": (6,),
    "일곱": (7,),
    "여덟": (8,),
    "아홉": (9,),
    "열": (10,),
    "스무": (20,),
    "스물": (20,),
    "한두": (1, 2),
    "두세": (2, 3),
    "서너": (3, 4),
    "절반": (0.5, 50),
    "반": (0.5, 50),
    "백": (1e2,),
    "천": (1e3,),
    "만": (1e4,),
    "백만": (1e6,),
    "천만": (1e7,),
    "억": (1e8,),
    "십억": (1e9,),
    "백억": (1e10,),
    "천억": (1e11,),
    "조": (1e12,),
}
_KO_WORD = re.compile(
    r"(?<![가-힣])(" + "|".join(sorted(_KO_WORDS, key=len, reverse=True)) + r")"
    r"(?=\s|$|[.,)]|번|가지|개|배|명|째|차례|종류|단계|쌍|줄|장|권|편|[이가을를의은는도와과로에만]|으로)"
)


def _key(value: float) -> float:
    """Values compared as keys: 0.1 + 0.2 is 0.3."""
    return float(f"{value:.10g}")


@dataclass(frozen=True)
class Number:
    """A number of a text: as written, the values it may stand for, what kind of number it is
    (times, pct, month, rank, year, or plain ""), and for a word, the kinds it may stand for."""

    shown: str
    values: frozenset[float]
    kind: str
    start: int
    context: str = ""  # the name it stands in (Qwen2.5-32B), when it does
    word: bool = False  # written out (two, March, 두): never a number the English adds
    stands_for: frozenset[str] | None = None
    name_at: int = -1  # where that name starts


def _power(base: float, power: str | None) -> float:
    if not power:
        return base
    try:
        return float(base ** float(power))
    except (OverflowError, ZeroDivisionError, TypeError):
        return float("inf")


_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-+/^×@")


def _around(text: str, start: int, end: int) -> tuple[str, int]:
    """The name a number stands in, and where: Qwen2.5-32B around 2.5 (at most 40 characters
    each way)."""
    left, right = start, end
    while left > max(0, start - 40) and text[left - 1] in _NAME_CHARS:
        left -= 1
    while right < min(len(text), end + 40) and text[right] in _NAME_CHARS:
        right += 1
    name = text[left:right]
    stripped = name.lstrip(".-+/^×_@")
    return stripped.rstrip(".-+/^×_@"), left + len(name) - len(stripped)


def _digits(text: str) -> list[Number]:
    found = []
    for match in _NUMBER.finditer(text):
        try:
            base = float(match.group("num").replace(",", ""))
        except ValueError:  # 1e999
            base = float("inf")
        value = _power(base, match.group("power"))
        end = match.end()
        unit = _ATTACHED.match(text, end) or _UNIT.match(text, end)
        groups = {k: v for k, v in (unit.groupdict() if unit else {}).items() if v}
        kind = next((k for k in ("pct", "times", "month", "rank", "year") if k in groups), "")
        values = {value}
        if "ko_scale" in groups:
            values = {value * math.prod(_SCALE[c] for c in groups["ko_scale"])}
        elif "en_scale" in groups:
            values.add(value * _SCALE[groups["en_scale"].lower()])
        elif (
            kind == "year" or text[match.start() - 1 : match.start()] in ("'", "’")
        ) and value < 100:
            kind = "year"  # '24년, ICLR'24: 2024
            values |= {2000 + value, 1900 + value}
        # x3 (the few characters before it; at the start, as after a space)
        before = ("" if match.start() > 4 else " ") + text[
            max(0, match.start() - 4) : match.start()
        ]
        if not kind and _TIMES_BEFORE.search(before):
            kind = "times"
        shown = text[match.start() : unit.end() if unit else end].strip()
        around, name_at = _around(text, match.start(), end)
        context = around if re.search(r"[A-Za-z]", around.replace(shown, "")) else ""
        found.append(
            Number(
                shown, frozenset(map(_key, values)), kind, match.start(), context, name_at=name_at
            )
        )
    return found


def numbers(text: str) -> list[Number]:
    """Every number of a text, in digits or words, in either language (URLs left out)."""
    text = _SUPERSCRIPTS.sub(lambda m: "^" + m.group(0).translate(_SUPERSCRIPT), without_urls(text))
    found = _digits(text)
    found += _english_words(text)
    for match in _KO_WORD.finditer(text):
        for value in _KO_WORDS[match.group(1)]:  # 한두: one or two numbers of the English
            found.append(
                Number(match.group(1), frozenset({_key(value)}), "", match.start(), word=True)
            )
    return found


def _stands_for(english: Number, korean: Number) -> bool:
    """The number of the English may be the number of the Korean."""
    if not english.values & korean.values:
        return False
    if korean.kind == "times" and english.kind != "times":
        return False  # 2배 is 2x, twice: a bare 2 is another thing
    if (english.word and korean.context) or (korean.word and english.context):
        return False  # a name keeps its digits: the 2 of OpenMathInstruct-2 is no "pair"
    return english.stands_for is None or korean.kind in english.stands_for


def _unpaired(
    sources: list[Number], targets: list[Number], fits: Callable[[Number, Number], bool]
) -> list[Number]:
    """The sources left over by a largest pairing of sources with targets that fit them."""
    if len(sources) * len(targets) > 40_000:  # hundreds of numbers: not a comment; by value
        left = Counter(min(t.values) for t in targets)
        unpaired = []
        for source in sources:
            value = min(source.values)
            if left[value]:
                left[value] -= 1
            else:
                unpaired.append(source)
        return unpaired
    options = [[j for j, t in enumerate(targets) if fits(s, t)] for s in sources]
    owner: dict[int, int] = {}
    for i, source in enumerate(sources):  # written alike first: 2B with 2B, not with a bare 2
        alike = (
            j
            for j in options[i]
            if j not in owner and targets[j].shown.lower() == source.shown.lower()
        )
        if (j := next(alike, None)) is not None:
            owner[j] = i
    paired = set(owner.values())

    def pair(i: int, visited: set[int]) -> bool:
        for j in options[i]:
            if j not in visited:
                visited.add(j)
                if j not in owner or pair(owner[j], visited):
                    owner[j] = i
                    return True
        return False

    return [s for i, s in enumerate(sources) if i not in paired and not pair(i, set())]


def _described(number: Number) -> str:
    return number.shown + (f" (in {number.context!r})" if number.context else "")


def _named_once(found: list[Number]) -> list[Number]:
    """Each name counted once: a name said twice may be said once, then "it", in the other
    language (RWKV-7 ... RWKV-7은 / RWKV-7 ... it); bare numbers keep their count."""
    first: dict[str, int] = {}  # each name, where it is first said
    kept = []
    for number in found:
        if number.context:
            at = first.setdefault(number.context.lower(), number.name_at)
            if at != number.name_at:
                continue
        kept.append(number)
    return kept


def check_numbers(korean: str, english: str) -> list[Finding]:
    ko, en = _named_once(numbers(korean)), _named_once(numbers(english))
    ko_digits = [n for n in ko if not n.word]
    missing = _unpaired(ko_digits, en, lambda k, e: _stands_for(e, k))
    # the English may say a number again ("0 and 1 ... 1 and 0" for 1과 0): what it adds is a
    # number that stands for none of the Korean's
    kinds: dict[float, dict[tuple[str, bool, bool], Number]] = {}  # one of each sort a value
    for number in ko:
        for value in number.values:
            kinds.setdefault(value, {}).setdefault(
                (number.kind, bool(number.context), number.word), number
            )
    added = [
        e
        for e in en
        if not e.word
        and not any(_stands_for(e, k) for v in e.values for k in kinds.get(v, {}).values())
    ]
    findings = []
    written = Counter(n.shown for n in ko_digits)
    lost = Counter(n.shown for n in missing)
    for number in dict((n.shown, n) for n in missing).values():
        if lost[number.shown] == written[number.shown]:
            message = f"number {_described(number)} is missing from the English"
        else:
            message = (
                f"number {_described(number)} occurs {written[number.shown]} times in the Korean "
                f"but {written[number.shown] - lost[number.shown]} in the English"
            )
        findings.append(Finding("number", ERROR, message))
    for number in dict((n.shown, n) for n in added).values():
        # English counts what Korean leaves uncounted ("1 or 2 samples" for 여러 개): a bare 1
        # or 2 it adds may be wording; any other number, or one in a name, is not
        severity = WARNING if number.values <= {1.0, 2.0} and not number.context else ERROR
        findings.append(
            Finding("number", severity, f"number {_described(number)} is not in the Korean")
        )
    return findings


# -- terms --------------------------------------------------------------------------------------
# A rendering passes in any form of its word family: the root of each word (the rendering minus
# one derivational or inflectional suffix), then up to three suffixes; un-/re-/non- in front;
# hyphen, space or nothing between words. parallelism: parallelizable; weight: reweighting;
# sparse: sparsity; verification: verified; pre-training: pretrained.
_SUFFIXES = sorted(
    """
    s es ed d ing ings er ers or ors ier iers y ies ied ly al ally ic ical ically ity ities ive
    ively ion ions ation ations ication ications ization izations isation isations ize izes ized
    izing ise ises ised ising iz is at able ably ability abilities ible ibility ism isms ist ists
    ness ment ments ence ences ent ents ance ances ant ants ate ates ated ating ify ified ifies
    ifying e ure ures ural urally ery
    """.split(),
    key=len,
    reverse=True,
)
_SUFFIX_RE = "(?:" + "|".join(_SUFFIXES) + ")"
_PREFIX_RE = r"(?:(?:un|re|non)-?)?"
_MIN_ROOT = 4


def word_root(word: str) -> str:
    """The word without one suffix, if what is left is still a word's worth (4+ letters)."""
    low = word.lower()
    for suffix in _SUFFIXES:
        if low.endswith(suffix) and len(low) - len(suffix) >= _MIN_ROOT:
            return low[: -len(suffix)]
    return low


def _token_pattern(token: str) -> str:
    low = token.lower()
    if not re.fullmatch(r"[a-z]+", low):
        return re.escape(low) + r"s?"
    root = word_root(low)
    if len(root) < 3:
        return re.escape(root) + r"(?:s|es)?"
    # a doubled last consonant before a suffix: infer -> inferred
    return re.escape(root) + f"{re.escape(root[-1])}?" + _SUFFIX_RE + "{0,3}"


def rendering_pattern(rendering: str) -> re.Pattern[str]:
    """A rendering in any inflection or derivation, case, possessive and hyphen/space variant."""
    tokens = [t for t in re.split(r"[\s\-]+", rendering.strip()) if t]
    body = r"[\s\-]*".join(_token_pattern(t) for t in tokens)
    return re.compile(r"(?<![\w])" + _PREFIX_RE + body + r"(?:'s|’s|')?(?![\w])", re.I)


def _acronym_pattern(rendering: str) -> re.Pattern[str] | None:
    """reinforcement learning is also RL, and the RL of RLHF."""
    words = [w for w in re.split(r"[\s\-]+", rendering) if w]
    if len(words) < 2 or not all(w[:1].isalpha() for w in words):
        return None
    initials = "".join(w[0].upper() for w in words)
    return re.compile(r"(?<![A-Za-z])" + initials + r"[A-Z]*s?(?![a-z])")


@lru_cache(maxsize=4096)
def avoid_pattern(rendering: str) -> re.Pattern[str]:
    """An avoided rendering as written, plural and hyphen/space variants only: avoiding
    'reinforced learning' must not catch 'reinforcement learning'."""
    tokens = [re.escape(t) for t in re.split(r"[\s\-]+", rendering.strip()) if t]
    body = r"[\s\-]*".join(t + r"(?:s|es)?" for t in tokens)
    return re.compile(r"(?<![\w])" + body + r"(?:'s|’s|')?(?![\w])", re.I)


@lru_cache(maxsize=8192)
def _patterns(rendering: str) -> tuple[re.Pattern[str], re.Pattern[str] | None]:
    return rendering_pattern(rendering), _acronym_pattern(rendering)


def mentions(english: str, rendering: str) -> bool:
    """The rendering, in any form of its word family, or its initials (RL for reinforcement
    learning), is in the English."""
    full, acronym = _patterns(rendering)
    return bool(full.search(english)) or bool(acronym and acronym.search(english))


def misspelling(english: str, wanted: str, most: int = 2) -> str | None:
    """A word run in the English that is the wanted term with a typo (routher for router): one
    edit, two in a word of 9 letters or more (at `most`)."""
    target = wanted.lower()
    if len(target) < 5:
        return None
    limit = min(most, 1 if len(target) < 9 else 2)
    words = re.findall(r"[\w\-]+", english.lower())
    size = len(target.split())
    for i in range(len(words) - size + 1):
        candidate = " ".join(words[i : i + size])
        for form in (candidate, candidate.rstrip("s")):
            if 0 < edit_distance(form, target, limit) <= limit:
                return candidate
    return None


def check_glossary(korean: str, english: str, matches: list[Match]) -> list[Finding]:
    """Glossary terms of the Korean in the English: missing is a warning (an error when the
    term is strict); a rendering the glossary says to avoid is an error."""
    findings = []
    for match in distinct_terms(matches):
        term = match.term
        for avoided in term.avoid:
            if avoid_pattern(avoided).search(english):
                findings.append(
                    Finding(
                        "avoid",
                        ERROR,
                        f"{match.text!r} is rendered as {avoided!r}, which the glossary avoids; "
                        f"use {term.preferred!r}",
                    )
                )
        if any(mentions(english, r) for r in term.renderings):
            continue
        typo = next((t for r in term.renderings if (t := misspelling(english, r))), None)
        if typo:
            findings.append(
                Finding(
                    "spelling", WARNING, f"{typo!r} looks like a misspelling of {term.preferred!r}"
                )
            )
            continue
        wanted = " or ".join(repr(r) for r in term.renderings)
        if term.strict:
            message = f"{match.text!r} must be rendered as {wanted}"
        else:
            message = f"{match.text!r} is usually rendered as {wanted}"
        findings.append(Finding("glossary", ERROR if term.strict else WARNING, message))
    return findings


def is_name(word: str) -> bool:
    """A name to keep as written: digits (Qwen2.5-32B, GPT-4) or capitals inside it
    (DeepSeekMoE, RoPE, xLSTM, CTran); a plural acronym (LLMs, FLOPs) is not one."""
    if re.search(r"\d", word) or re.search(r"[a-z][A-Z]", word):
        return True
    return not is_acronym(word) and bool(re.search(r"[A-Z]{2}[a-z]", word))


def is_acronym(word: str) -> bool:
    """All capitals (LLM, GRPO, LLMs, FLOPs, R&D): whether its loss is an error depends on how
    the author writes it (AcronymUsage)."""
    return bool(re.fullmatch(r"[A-Z]{2,}s?", word)) or bool(
        re.fullmatch(r"[A-Z][A-Z&]+[A-Z]", word)
    )


def acronym_key(word: str) -> str:
    """One key for an acronym's forms: LLMs and LLM."""
    return word[:-1] if re.fullmatch(r"[A-Z]{2,}s", word) else word


def acronyms_kept(korean: str, english: str) -> dict[str, bool]:
    """Each acronym of the Korean, and whether the English keeps it as written (in any case,
    plural or spacing; spelled out or left out is not keeping it)."""
    kept: dict[str, bool] = {}
    if not re.search(r"[A-Z]{2}", korean):
        return kept  # no acronym (the history asks this of every draft)
    plain = without_urls(english).replace("×", "x")
    for word, _ in latin_terms(korean):
        if is_acronym(word) and not is_name(word):
            key = acronym_key(word)
            kept[key] = kept.get(key, False) or bool(_loose_name(word).search(plain))
    return kept


# An acronym the author keeps as written in at least this share of the notes whose Korean has
# it is his usage: the English must keep it (or spell it out). One he often writes out another
# way or leaves out (LLM: 25 of 28 notes of 2024) is generic: its loss is a warning.
USUAL_SHARE = 0.95


class AcronymUsage:
    """How the author writes each acronym: (notes whose Korean has it, notes whose English
    keeps it), from his history (`counts`, or `load`ed on first use, which is once per run and
    only when an acronym is missing). An acronym the history does not know falls back to the
    `prior` (learned from his shipped notes), and failing that counts as his usage: an acronym
    he has never written is most likely the paper's own method or model, while the generic ones
    recur and so are soon learned."""

    def __init__(
        self,
        counts: Mapping[str, tuple[int, int]] | None = None,
        *,
        load: Callable[[], Mapping[str, tuple[int, int]]] | None = None,
        prior: Mapping[str, tuple[int, int]] | None = None,
    ) -> None:
        self._counts = counts
        self._load = load
        self._lock = threading.Lock()
        self.prior = PRIOR if prior is None else prior

    @property
    def counts(self) -> Mapping[str, tuple[int, int]]:
        with self._lock:
            if self._counts is None:
                self._counts = self._load() if self._load else {}
            return self._counts

    def share(self, acronym: str) -> tuple[int, int] | None:
        """(notes, kept) that decide for this acronym: the history's, else the prior's."""
        key = acronym_key(acronym)
        return self.counts.get(key) or self.prior.get(key)

    def usual(self, acronym: str) -> bool:
        seen = self.share(acronym)
        return seen is None or seen[0] == 0 or seen[1] >= USUAL_SHARE * seen[0]


NO_HISTORY = AcronymUsage({})


def latin_terms(korean: str) -> list[tuple[str, bool]]:
    """Latin-script words of the comment, each flagged True if it is a name or an acronym.

    Other words (Reward, Discrete) are ordinary English the translation may inflect or reword.
    """
    # '/' separates alternatives (LLM/VLM), so it is not part of a name
    found = re.finditer(r"[A-Za-z0-9][A-Za-z0-9_.\-+]*[A-Za-z0-9+]|[A-Za-z]", without_urls(korean))
    return [
        (m.group(0), is_name(m.group(0)) or is_acronym(m.group(0)))
        for m in found
        if re.search(r"[A-Za-z]", m.group(0))
    ]


_GLUE = {"of", "for", "and", "from", "with", "the", "a", "an", "in", "on", "to", "by", "via"}


def spelled_out(english: str, acronym: str) -> bool:
    """An acronym written out with matching initials: GT is ground truth, LoRA low-rank
    adaptation, MoE mixture of experts. Capitals start words; a small letter after one may
    continue that word (Lo-w) or start the next (o-f); glue words (of, for) may be skipped."""
    if re.search(r"\d", acronym) or re.search(r"[a-z]{3}", acronym):
        return False  # digits, or a word inside (FlexAttention): a name, not an acronym
    letters = acronym[:-1] if re.fullmatch(r"[A-Z]{2,}s", acronym) else acronym
    if sum(c.isupper() for c in letters) < 2 and len(letters) < 3:
        return False
    # the words of one phrase: an expansion does not run across punctuation
    return any(
        _spells(re.findall(r"[a-z]+", phrase), letters)
        for phrase in re.split(r"[.,;:!?()\[\]\"“”]", english.lower())
    )


def _spells(words: list[str], letters: str) -> bool:
    @cache
    def fits(i: int, k: int, offset: int) -> bool:
        """Can letters[k:] be read from words[i:], offset letters into words[i] already used?"""
        if k == len(letters):
            return True
        char = letters[k]
        # a small letter may continue the current word
        if (
            offset
            and not char.isupper()
            and offset < len(words[i])
            and words[i][offset] == char
            and fits(i, k + 1, offset + 1)
        ):
            return True
        j = i + 1 if offset else i  # the next letter starts a word
        while j < len(words):
            if words[j][0] == char.lower() and fits(j, k + 1, 1):
                return True
            if words[j] not in _GLUE or len(letters) < 3:
                return False  # two letters are two words in a row: LR is not "law with respect"
            j += 1
        return False

    return any(w[0] == letters[0].lower() and fits(i, 1, 1) for i, w in enumerate(words))


_QUANTITY = re.compile(r"(\d+(?:\.\d+)?)([KMBT])", re.I)


@lru_cache(maxsize=4096)
def _loose_name(word: str) -> re.Pattern[str]:
    """The name in any case, spaced or hyphenated anew (Qwen 2.5-32B, DeepSeek MoE), plural or
    not, as a word of its own: BoS is not in 'bound it. So'."""
    chars = [c for c in word.strip(".-_").replace("×", "x") if not (c.isspace() or c in "-_")]
    if chars and chars[-1] == "s" and len(chars) > 2:
        chars = chars[:-1]
    body = r"[\s\-_]?".join(re.escape(c) for c in chars)
    return re.compile(r"(?<![A-Za-z0-9])" + body + r"(?:e?s)?(?![A-Za-z0-9])", re.I)


def name_pattern(word: str) -> re.Pattern[str]:
    """The name as it may stand in a text: any case, spacing, hyphenation, plural."""
    return _loose_name(word)


def _kind_of(char: str) -> str:
    return (
        "upper"
        if char.isupper()
        else "lower"
        if char.islower()
        else "digit"
        if char.isdigit()
        else ""
    )


def _embedded(text: str, word: str) -> bool:
    """The name as written, alone or as a part of a longer word where the letters change kind
    (FLOPs in isoFLOPs, MoE in DeepSeekMoE, GPT-4 in GPT-4o), not amid letters of its own kind
    on either side (AI in RLAIF, V3 in V30)."""
    start = text.find(word)
    while start >= 0:
        end = start + len(word)
        before = _kind_of(text[start - 1]) if start else ""
        after = _kind_of(text[end]) if end < len(text) else ""
        if before != _kind_of(word[0]) and after != _kind_of(word[-1]):
            return True
        start = text.find(word, start + 1)
    return False


def name_present(english: str, word: str) -> bool:
    """The name as written, inside a longer word too (FLOPs in isoFLOPs), or spelled out.

    Not inside a URL: github.com/bojone/rerope does not name ReRoPE in the text."""
    english = without_urls(english)
    if _embedded(english, word):
        return True
    if _loose_name(word).search(english.replace("×", "x")):
        return True
    quantity = _QUANTITY.fullmatch(word)
    if quantity:  # 10K may be written 10,000 or 10 thousand
        value = _key(float(quantity.group(1)) * _SCALE[quantity.group(2).lower()])
        if any(value in n.values for n in numbers(english) if not n.word):
            return True
    return spelled_out(english, word)


def name_severity(word: str, usage: AcronymUsage = NO_HISTORY) -> Severity:
    """A name is an error when lost; an acronym is, when the author keeps it (his usage)."""
    if is_name(word) or (is_acronym(word) and usage.usual(word)):
        return ERROR
    return WARNING


def _name_finding(word: str, english: str, what: str, usage: AcronymUsage) -> Finding:
    # one letter off is a typo; two off in a name is another name (DeepSeekMoE, DeepSeekthe)
    typo = misspelling(english, word, 1 if is_name(word) else 2)
    if typo:
        return Finding("spelling", WARNING, f"{typo!r} looks like a misspelling of {word!r}")
    message = f"{word!r} from the Korean is missing"
    if is_acronym(word) and not is_name(word):
        seen = usage.share(word)
        if seen and seen[0]:
            message += f" (you keep it in {seen[1]} of {seen[0]} notes)"
    return Finding(what, name_severity(word, usage), message)


def check_names(
    korean: str,
    english: str,
    covered: Mapping[str, Iterable[str]] | frozenset[str] = frozenset(),
    usage: AcronymUsage = NO_HISTORY,
) -> list[Finding]:
    """Names (Qwen2.5-32B, DeepSeekMoE, RoPE: an error when missing) and acronyms (an error
    when the author keeps it, a warning when he often writes it another way: AcronymUsage).

    `covered`: lower-cased words another check answers for (the glossary's, with the
    renderings that stand for them: LR, learning rate); the glossary check warns about them, so
    only an error is added here, and none for a keep word (no renderings: check_keep's).
    """
    renderings = covered if isinstance(covered, Mapping) else dict.fromkeys(covered, ())
    findings = []
    seen: set[str] = set()
    for word, is_term in latin_terms(korean):
        key = word.lower()
        if key in seen or not is_term:
            continue
        seen.add(key)
        if name_present(english, word):
            continue
        if key in renderings:
            if not renderings[key] or any(mentions(english, r) for r in renderings[key]):
                continue
            if name_severity(word, usage) != ERROR:
                continue  # the glossary check's warning says it
        findings.append(_name_finding(word, english, "names", usage))
    return findings


def check_keep(
    korean: str,
    english: str,
    matches: Iterable[Match],
    keep: list[str],
    usage: AcronymUsage = NO_HISTORY,
) -> list[Finding]:
    """`keep` words of the glossary found in the Korean appear as written (or spelled out)."""
    findings = []
    for word in dict.fromkeys(m.term.source for m in matches if m.term.source in keep):
        if not name_present(english, word):
            finding = _name_finding(word, english, "keep", usage)
            if finding.check == "keep":
                finding.message = f"{word!r} must be kept as written"
            findings.append(finding)
    return findings


# -- shape --------------------------------------------------------------------------------------
# Hard bounds, in characters per Korean character: past them the text is not a translation (a
# refusal, an essay). The cap holds for short comments too, where a ratio says little: no
# translation of a 20-character comment needs 240 characters.
LENGTH_HARD = (0.5, 4.5)
LENGTH_SLACK = 150
# The soft window is on the length his English has for such a comment (expected_length, below,
# where his English is 0.80-1.27 of it on the tuning notes), with room for short comments, whose
# English varies more ("A PRM." for "PRM."): a warning under 0.6 of it less 20 characters, or
# over 1.5 of it plus 30. A plain ratio per Korean character warned on his own English where
# Latin terms, which translate one to one, make up much of a comment.
LENGTH_SOFT = (0.6, 1.5)
LENGTH_SOFT_SLACK = (20, 30)


def length_cap(korean: str) -> int:
    return int(LENGTH_HARD[1] * len(korean.strip())) + LENGTH_SLACK


def check_length(korean: str, english: str) -> list[Finding]:
    ko, en = len(korean.strip()), len(english.strip())
    if en == 0:
        return []
    if en > length_cap(korean):
        return [
            Finding(
                "length",
                ERROR,
                f"{en:,} characters for a {ko:,}-character comment: not a translation of it "
                f"(at most {length_cap(korean):,})",
            )
        ]
    if ko < 20:
        return []  # too short for a ratio to mean anything
    ratio = en / ko
    low_hard, high_hard = LENGTH_HARD
    if ratio < low_hard:
        shown = f"{ratio:.2f} English characters per Korean character"
        return [Finding("length", ERROR, f"{shown}, outside {low_hard}-{high_hard}")]
    expected = expected_length(korean)
    written = len(re.findall(r"\S", without_urls(english)))
    (low, high), (below, above) = LENGTH_SOFT, LENGTH_SOFT_SLACK
    if expected and not (low * expected - below <= written <= high * expected + above):
        return [
            Finding(
                "length",
                WARNING,
                f"{written} characters where your English has about {expected:.0f} for such a "
                f"comment: {'short' if written < expected else 'long'} (usual: {low}-{high} of "
                "it)",
            )
        ]
    return []


# Where a sentence cannot end: after an article, a preposition, a conjunction, an auxiliary.
_DANGLING = frozenset(
    """
    a an the of to in on at by for from with without into onto than as and or nor but that which
    who whom whose whether if because while although so such is are was were be been being
    has have had do does did can could will would shall should may might must not its their our
    his her this these those very more most also between about through via using per each every
    we they i he she there which what where when how why
    """.split()
)
_OPENS_CLAUSE = frozenset(
    ", . ; : and but so therefore then thus hence because if when while since however also".split()
)


def _unclosed(text: str) -> bool:
    """A quote or bracket opened and never closed: the text stopped inside it."""
    plain = without_urls(text)
    return (
        plain.count("(") > plain.count(")")
        or plain.count("[") > plain.count("]")
        or plain.count("“") > plain.count("”")
        or plain.count('"') % 2 == 1
    )


_KO_SENTENCE_END = re.compile(r"(?:[.!?…)]|[다요죠네군까음함임듯])\W*$")
_EN_CLEAN_END = re.compile(r"(?:[.!?…)\]}\"'”’`*~]|[^\w\s,;:\-–—(/&])$")
# How long the author's English is for a Korean comment, in non-space characters outside URLs:
# about 2.3 per Hangul syllable and 1.05 per other character (Latin terms stay as they are),
# fitted on the tuning notes, where his English is 0.80-1.27 of it. Under TRUNCATED_SHARE of
# it, an English without its closing punctuation is short for its Korean. (A missing final
# period alone is no evidence: he often leaves it out.)
PER_HANGUL, PER_OTHER = 2.3, 1.05
TRUNCATED_SHARE = 0.75


def expected_length(korean: str) -> float:
    text = without_urls(korean)
    hangul = len(re.findall(r"[\uac00-\ud7a3]", text))
    other = len(re.findall(r"[^\s\uac00-\ud7a3]", text))
    return PER_HANGUL * hangul + PER_OTHER * other


def _typo_of_root(english: str, word: str) -> bool:
    """A word of the English starts with the word's root give or take one typo (extraploate
    for Extrapolation)."""
    if " " in word.strip():
        return misspelling(english, word) is not None
    root = word_root(word)
    if len(root) < 5:
        return False
    return any(
        edit_distance(w[: len(root)], root, 1) <= 1
        for w in re.findall(r"[a-z]+", english.lower())
        if len(w) >= len(root) - 1
    )


def _end_missing(korean: str, english: str, glossary: Glossary | None) -> bool:
    """The last thing the Korean names (a Latin word, a number, a glossary term, each where it
    first occurs) is not in the English, which then lost its end."""
    text = without_urls(korean)
    anchors: dict[str, tuple[int, bool]] = {}
    for match in re.finditer(r"[A-Za-z0-9][A-Za-z0-9_.\-+]*[A-Za-z0-9+]", text):
        word = match.group(0)
        if word.lower() in anchors or not (re.search(r"[A-Za-z]{2}", word) or is_name(word)):
            continue
        present = (
            mentions(english, word)
            or (is_name(word) and name_present(english, word))
            or _typo_of_root(english, word)  # a typo still shows the text got there
        )
        anchors[word.lower()] = (match.start(), present)
    in_english = numbers(english)
    for number in numbers(text):
        if not (number.word or number.context) and number.shown.lower() not in anchors:
            present = any(_stands_for(e, number) for e in in_english)
            anchors[number.shown.lower()] = (text.find(number.shown), present)
    for term in distinct_terms(glossary.find(text) if glossary else []):
        if term.text.lower() not in anchors:
            present = any(
                mentions(english, r) or _typo_of_root(english, r) for r in term.term.renderings
            )
            anchors[term.text.lower()] = (term.start, present)
    if not anchors:
        return False
    _, present = max(anchors.values())
    return not present


_PERIOD = re.compile(r"[.!?](?=\s|$)")


def _sentences_lost(korean: str, english: str) -> bool:
    """Two or more of the Korean's sentences (counted by their closing marks, as he writes them)
    have no English: the last one may end without a period, a second one missing is a cut."""
    ko = len(_PERIOD.findall(without_urls(korean)))
    return ko >= 2 and len(_PERIOD.findall(without_urls(english))) < ko - 1


def check_truncated(korean: str, english: str, glossary: Glossary | None = None) -> list[Finding]:
    """An English that stops mid-sentence: no closing punctuation where the Korean has it, and
    a dangling last word, or short for its Korean, or sentences of the Korean lost, or what the
    Korean names last missing."""
    text = english.strip()
    if not text or _EN_CLEAN_END.search(text) or re.search(r"https?://\S+$", text):
        return []
    if not _KO_SENTENCE_END.search(korean.strip()):
        return []  # a comment that is a phrase may well be translated as one
    last = [w.lower() for w in re.findall(r"[A-Za-z']+|[,.;:]", text[-60:])]
    dangling = (
        (bool(last) and last[-1] in _DANGLING)
        or text[-1] in ",;:-–—(/&"
        # a pronoun opening a clause: "Therefore it", ", and this"
        or (len(last) > 1 and last[-1] in ("it", "this", "that") and last[-2] in _OPENS_CLAUSE)
        or _unclosed(text)
    )
    short = len(re.findall(r"\S", without_urls(text))) < TRUNCATED_SHARE * expected_length(korean)
    if (
        dangling
        or short
        or _sentences_lost(korean, text)
        or _end_missing(korean, english, glossary)
    ):
        return [Finding("truncated", ERROR, f"the English stops mid-sentence: {quote(text[-40:])}")]
    return []


_SENTENCE_END_EN = re.compile(r"[.!?](?:\s|$)")
_SENTENCE_END_KO = re.compile(r"(?:[.!?]|[다요죠네군까음함])(?:\s|$)")


def check_extra_sentences(korean: str, english: str) -> list[Finding]:
    ko = len(_SENTENCE_END_KO.findall(without_urls(korean).strip() + " ")) or 1
    en = len(_SENTENCE_END_EN.findall(without_urls(english).strip() + " ")) or 1
    if en > ko + 1 and en > ko * 1.5:
        return [
            Finding(
                "extra-sentences",
                WARNING,
                f"{en} sentences for {ko} in the Korean: added explanation?",
            )
        ]
    return []


_PAIRS = [("(", ")"), ("[", "]"), ("{", "}"), ("“", "”")]


def check_typography(korean: str, english: str) -> list[Finding]:
    findings = []
    text = without_urls(english)
    source = without_urls(korean)
    for left, right in _PAIRS:
        if text.count(left) != text.count(right) and source.count(left) == source.count(right):
            findings.append(Finding("brackets", WARNING, f"unbalanced {left}{right}"))
    if text.count('"') % 2 and not source.count('"') % 2:
        findings.append(Finding("brackets", WARNING, 'unbalanced "'))
    doubled = re.search(r"\b(\w+)\s+\1\b", text, re.I)
    if (
        doubled
        and not re.search(r"\b(\w+)\s+\1\b", source, re.I)
        and not doubled.group(1).isdigit()
    ):
        findings.append(Finding("doubled-word", WARNING, f"doubled word {quote(doubled.group(0))}"))
    if re.search(r"\S  +\S", english):
        findings.append(Finding("spacing", WARNING, "double space"))
    return findings


PlainCheck = Callable[[str, str], list[Finding]]
PLAIN_CHECKS: list[PlainCheck] = [
    check_not_empty,
    check_comment_is_korean,
    check_hangul,
    check_characters,
    check_chatter,
    check_non_answer,
    check_urls,
    check_numbers,
    check_length,
    check_extra_sentences,
    check_typography,
]


def run_checks(
    korean: str, english: str, glossary: Glossary, usage: AcronymUsage = NO_HISTORY
) -> list[Finding]:
    """Every check; a blank English answers only that it is empty, an oversized one that it is.
    `usage`: how the author writes acronyms (from his history), which decides whether a lost
    acronym is an error."""
    if not english.strip():
        return check_not_empty(korean, english)
    if len(english.strip()) > length_cap(korean):
        # a megabyte of reply is not worth searching, and nothing else could save it
        return check_length(korean, english)
    findings: list[Finding] = []
    for check in PLAIN_CHECKS:
        findings.extend(check(korean, english))
    matches = glossary.find(korean)
    keep = set(glossary.keep)
    findings.extend(
        check_glossary(korean, english, [m for m in matches if m.term.source not in keep])
    )
    findings.extend(check_keep(korean, english, matches, glossary.keep, usage))
    # the glossary check answers for its terms, and check_keep for keep words; a term's
    # renderings stand for it (LR: learning rate)
    covered = {m.text.lower(): () if m.term.source in keep else m.term.renderings for m in matches}
    findings.extend(check_names(korean, english, covered, usage))
    findings.extend(check_truncated(korean, english, glossary))
    return findings


def _for_repair(finding: Finding) -> bool:
    return finding.is_error or finding.check == "glossary"


def needs_repair(findings: list[Finding]) -> bool:
    """Worth asking the model again: an error, or a glossary rendering it missed."""
    return any(_for_repair(f) for f in findings)


def problems_for_repair(findings: list[Finding]) -> list[str]:
    """What the repair turn names: the errors and the missed glossary renderings."""
    return [f"{f.check}: {f.message}" for f in findings if _for_repair(f)]
