"""Check stage: one small function per check over (Korean comment, English), each returning findings.

Errors are defects a reader would be misled by (Hangul left, chatter, a URL, number or name lost,
a strict term or an avoided rendering); warnings are what a careful author may well have meant
(a glossary rendering paraphrased, an acronym spelled out another way). Calibrated by
scripts/calibrate.py on the author's own English: tuned on his notes of January-August 2024,
reported on September-December, which nothing here was tuned on.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from functools import cache, lru_cache

from pipeline.entry import Finding
from pipeline.glossary import Glossary, Match, distinct_terms
from pipeline.text import HANGUL, NOTE_MARK, SIGN_OFF_PHRASES, edit_distance
from pipeline.translate import SYSTEM_PROMPT, wrapped_in_quotes

ERROR = "error"
WARNING = "warning"

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
    r"^\W*(?:(?:sure|certainly|of course|absolutely|okay|ok|alright|great|no problem)\b"
    r"[^\n]{0,40}?[.!:,]\s*)?"
    r"(?:(?:here|below (?:is|are)|the following is)\b[^\n]{0,60}?"
    + _TRANSLATION_WORD
    + r"[^\n]{0,40}?(?::|\n|$)"
    r"|(?:the |my |an? )?(?:english |full |final )?(?:translation|version|rendering)"
    r"(?: of [^\n:]{0,40})?(?: is| reads)?(?: as follows)?\s*:"
    r"|english(?: version| text)?\s*:"
    r"|i(?:'ve| have) translated\b[^\n]{0,80}?[:.\n])",
    re.I,
)
_OPENER = re.compile(
    r"^\W*(?:sure|certainly|of course|absolutely|no problem|happy to help)\s*[!,.]", re.I
)
_SIGN_OFF = re.compile(
    r"\b(?:let me know|hope (?:this|that|it) helps|"
    + SIGN_OFF_PHRASES
    + r"|any (?:other )?(?:questions|adjustments))",
    re.I,
)
_NOTE = re.compile(
    r"(?:^|\n|\(|\[|—|--)\s*\**\s*(?:translator'?s?|translation|translated|editor'?s?)?\s*"
    r"(?:note|notes|n\.b\.|explanation|remark|p\.s\.)\s*\**\s*[:\-]",
    re.I,
)
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
# A number of the Korean must occur in the English at least as often, by value: 1만 = 10,000 =
# 10K, 3월 = March, 1위 = first or top, 2배 = 2x or twice, 2^32 = 2³². Names with digits
# (GPT-4, 7B) are the names check's; numbers the English adds (two methods) are not errors.
_KO_NUMBER = re.compile(
    r"(?<![A-Za-z0-9_.^])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\^(\d+))?"
    r"\s*(%p|%|퍼센트|프로|배|만|억|천|조|월|위|등|번째|차|년)?"
)
_EN_NUMBER = re.compile(
    r"(?<![A-Za-z\d.,])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
    r"(?:\s*(?:\^|\*\*)\s*(\d+))?"
    r"(?:[\s\-]*(k|m|b|t|bn|thousand|million|billion|trillion)(?![a-z]))?",
    re.I,
)
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
    "천": 1e3,
    "만": 1e4,
    "억": 1e8,
    "조": 1e12,
}
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_SUPERSCRIPTS = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_CARDINALS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
).split()
_ORDINAL_WORDS = (
    "zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth"
).split()
_MONTHS = (
    "january february march april may june july august september october november december"
).split()
_TIMES_WORDS = {1: r"once", 2: r"twice|doubl\w*", 3: r"thrice|tripl\w*", 4: r"quadrupl\w*"}
_RANK_UNITS = ("위", "등", "번째", "차")
_POWERS = {100: "hundred", 1000: "thousand", 10**6: "million", 10**9: "billion", 10**12: "trillion"}
_SMALL = {1: r"single|once", 2: r"both|pair|couple|dual|twice|double"}


def _value(digits: str, power: str | None = None) -> float:
    value = float(digits.replace(",", ""))
    try:
        return value ** int(power) if power else value
    except OverflowError:
        return float("inf")


def korean_numbers(korean: str) -> list[tuple[str, float, str]]:
    """(as written, value, unit) of each number written with digits in the comment."""
    found = []
    text = without_urls(korean)
    for match in _KO_NUMBER.finditer(text):
        if re.search(r"[A-Za-z_\-]$", text[: match.start()]):
            continue  # part of a name: GPT-4, Qwen2.5, β_2
        unit = match.group(3) or ""
        if not unit and re.match(r"[A-Za-z]", text[match.end() :][:1]):
            continue  # 7B-style names are checked as names
        value = _value(match.group(1), match.group(2))
        if unit in ("천", "만", "억", "조"):
            value *= _SCALE[unit]
        found.append((match.group(0).strip(), value, unit))
    return found


def _english_values(english: str) -> list[tuple[float, int, int]]:
    """(value, start, end) of each number written with digits in the English, scale applied."""
    # 2³² is 2^32
    text = _SUPERSCRIPTS.sub(
        lambda m: "^" + m.group(0).translate(_SUPERSCRIPT), without_urls(english)
    )
    values = []
    for match in _EN_NUMBER.finditer(text):
        value = _value(match.group(1), match.group(2))
        scale = (match.group(3) or "").lower()
        values.append((value, match.start(), match.end()))
        if scale:
            values.append((value * _SCALE[scale], match.start(), match.end()))
    return values


def _word_pattern(value: float, unit: str) -> str | None:
    """How a small number may be written out, for its unit."""
    if not math.isfinite(value) or value != int(value) or value > 1_000_000:
        return None  # only small whole numbers have words (and 4^512 is past any)
    n = int(value)
    words: list[str] = []
    if unit == "월" and 1 <= n <= 12:
        words += [_MONTHS[n - 1], _MONTHS[n - 1][:3] + r"\.?"]
    if unit == "배" and n in _TIMES_WORDS:
        words.append(_TIMES_WORDS[n])
    if unit in _RANK_UNITS and n == 1:
        words += ["top", "best", "leading", r"number one", r"no\. ?1"]
    if unit == "년" and n < 100:  # '24년: 2024
        words += [str(2000 + n), str(1900 + n)]
    if n in _POWERS:
        words.append(_POWERS[n])
    if unit == "" and n in _SMALL:
        words.append(_SMALL[n])
    if unit in ("", *_RANK_UNITS) and n < len(_ORDINAL_WORDS):
        words.append(_ORDINAL_WORDS[n])
    if unit in ("", "배") and n < len(_CARDINALS):
        words.append(_CARDINALS[n] + (r"(?=\s+times)" if unit == "배" else ""))
    return r"\b(?:" + "|".join(words) + r")\b" if words else None


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _occurrences(
    english: str, value: float, unit: str, values: list[tuple[float, int, int]]
) -> int:
    spans = {(start, end) for v, start, end in values if _close(v, value)}
    if unit == "배":  # 2배 is 2x, 2×, 2 times, 2-fold; a bare 2 is another thing
        text = without_urls(english)
        spans = {
            (s, e) for s, e in spans if re.match(r"\s*(?:x|×|times|-?fold)", text[e:], re.I)
        } | {(s, e) for s, e in spans if re.search(r"[x×]\s*$", text[:s], re.I)}
    count = len(spans)
    words = _word_pattern(value, unit)
    if words:
        count += len(re.findall(words, without_urls(english), re.I))
    return count


def check_numbers(korean: str, english: str) -> list[Finding]:
    values = _english_values(english)
    wanted: dict[tuple[float, str], list[str]] = {}
    for shown, value, unit in korean_numbers(korean):
        kind = unit if unit in ("배", "월", "년", *_RANK_UNITS) else ""
        wanted.setdefault((value, kind), []).append(shown)
    findings = []
    for (value, kind), written in wanted.items():
        have = _occurrences(english, value, kind, values)
        if have == 0:
            message = f"number {written[0]} is missing from the English"
        elif have < len(written):
            message = (
                f"number {written[0]} occurs {len(written)} times in the Korean "
                f"but {have} in the English"
            )
        else:
            continue
        findings.append(Finding("number", ERROR, message))
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


def misspelling(english: str, wanted: str) -> str | None:
    """A word run in the English that is the wanted term with a typo (routher for router)."""
    target = wanted.lower()
    if len(target) < 5:
        return None
    limit = 1 if len(target) < 9 else 2
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
    """A name to keep as written: digits (Qwen2.5-32B, GPT-4) or inner capitals (DeepSeekMoE)."""
    return bool(re.search(r"\d", word)) or bool(re.search(r"[a-z][A-Z]", word))


def is_acronym(word: str) -> bool:
    """A generic acronym (LLM, RL, FFN, LLMs): its loss is a warning, not an error."""
    return bool(re.fullmatch(r"[A-Z]{2,}s?", word)) or bool(
        re.fullmatch(r"[A-Z][A-Z&]+[A-Z]", word)
    )


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
            if words[j] not in _GLUE:
                return False
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


def name_present(english: str, word: str) -> bool:
    """The name as written, inside a longer word too (FLOPs in isoFLOPs), or spelled out.

    Not inside a URL: github.com/bojone/rerope does not name ReRoPE in the text."""
    english = without_urls(english)
    if word in english:
        return True
    if _loose_name(word).search(english.replace("×", "x")):
        return True
    quantity = _QUANTITY.fullmatch(word)
    if quantity:  # 10K may be written 10,000 or 10 thousand
        value = float(quantity.group(1)) * _SCALE[quantity.group(2).lower()]
        if any(_close(v, value) for v, _, _ in _english_values(english)):
            return True
    return spelled_out(english, word)


def _name_finding(word: str, english: str, what: str) -> Finding:
    severity = ERROR if is_name(word) else WARNING
    typo = misspelling(english, word)
    if typo:
        return Finding("spelling", WARNING, f"{typo!r} looks like a misspelling of {word!r}")
    return Finding(what, severity, f"{word!r} from the Korean is missing")


def check_names(korean: str, english: str, covered: frozenset[str] = frozenset()) -> list[Finding]:
    """Names (Qwen2.5-32B, DeepSeekMoE: an error when missing) and acronyms (LLM: a warning).

    `covered`: lower-cased words the glossary checks already answer for (LR -> learning rate).
    """
    findings = []
    seen: set[str] = set(covered)
    for word, is_term in latin_terms(korean):
        key = word.lower()
        if key in seen or not is_term:
            continue
        seen.add(key)
        if not name_present(english, word):
            findings.append(_name_finding(word, english, "names"))
    return findings


def check_keep(
    korean: str, english: str, matches: Iterable[Match], keep: list[str]
) -> list[Finding]:
    """`keep` words of the glossary found in the Korean appear as written (or spelled out)."""
    findings = []
    for word in dict.fromkeys(m.term.source for m in matches if m.term.source in keep):
        if not name_present(english, word):
            finding = _name_finding(word, english, "keep")
            if finding.check == "keep":
                finding.message = f"{word!r} must be kept as written"
            findings.append(finding)
    return findings


# -- shape --------------------------------------------------------------------------------------
# English characters per Korean character in the author's own notes: p1 1.14, median 1.69,
# p99 2.47, extremes 0.77 and 2.54 (scripts/calibrate.py). The soft window leaves room above
# what he writes (models write a little longer); past the hard one the text is not a
# translation (a refusal, an essay). The cap holds for short comments too, where a ratio says
# little: no translation of a 20-character comment needs 240 characters.
LENGTH_SOFT = (0.9, 3.0)
LENGTH_HARD = (0.5, 4.5)
LENGTH_SLACK = 150


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
    low_soft, high_soft = LENGTH_SOFT
    shown = f"{ratio:.2f} English characters per Korean character"
    if ratio < low_hard:
        return [Finding("length", ERROR, f"{shown}, outside {low_hard}-{high_hard}")]
    if ratio < low_soft or ratio > high_soft:
        return [Finding("length", WARNING, f"{shown}, unusual (usual: {low_soft}-{high_soft})")]
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
    values = _english_values(english)
    for shown, value, unit in korean_numbers(text):
        if shown not in anchors:
            anchors[shown] = (text.find(shown), _occurrences(english, value, unit, values) > 0)
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
    check_chatter,
    check_non_answer,
    check_urls,
    check_numbers,
    check_length,
    check_extra_sentences,
    check_typography,
]


def run_checks(korean: str, english: str, glossary: Glossary) -> list[Finding]:
    """Every check; a blank English answers only that it is empty, an oversized one that it is."""
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
    findings.extend(check_keep(korean, english, matches, glossary.keep))
    covered = frozenset(m.text.lower() for m in matches)
    findings.extend(check_names(korean, english, covered))
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
