"""Glossary suggestions mined from history: recurring Korean terms aligned with the English the
author used for them, and replacements he made by hand again and again in reviews."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.glossary import _ENDING_SET, Glossary, _allowed_tail, normalize_key

_HANGUL_WORD = re.compile(r"[\uac00-\ud7a3]+")
_ENGLISH_WORD = re.compile(r"[a-z][a-z\-]+")
_KOREAN_STOP = set(
    "것 수 등 이 그 저 더 좀 잘 꽤 또 및 각 중 때 후 전 간 위 안 밖 뒤 앞 듯 점 쪽 데 바 걸 게 거 분"
    " 이런 그런 저런 어떤 모든 여러 다른 같은 대한 대해 위한 통해 따라 그리고 하지만 그러나 그래서"
    " 이것 그것 우리 정도 경우 부분 사실 생각 이야기 느낌 결과 방법 연구 문제 과제 모델 사용"
    " 다음 혹은 또는 위해 대해서 다만 물론 특히 역시 아마 일단 사실 요즘 최근 이전 이후 하나 두".split()
)
_ENGLISH_STOP = set(
    "the a an of to in on for and or but with by from as at is are was were be been it its this that"
    " these those there their they we our which who what how why when can could would should may might"
    " not no more most less very also such than then so about into over under between using use used"
    " model models method methods paper study result results approach work".split()
)


_VERB_END = ("다", "요", "죠", "네", "군", "까", "며", "고", "서", "면", "듯", "는데", "지만")


def korean_stems(text: str) -> set[str]:
    """Noun-like Hangul words without their particles: 강화학습으로 -> 강화학습."""
    stems = set()
    for word in _HANGUL_WORD.findall(text):
        if word in _ENDING_SET:
            continue  # a particle after a Latin word: (Reward)에서
        for cut in range(1, len(word) + 1):
            if _allowed_tail(word[cut:]):
                if cut >= 2 and not word[:cut].endswith(_VERB_END):
                    stems.add(word[:cut])
                break
    return stems - _KOREAN_STOP


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and len(word) > 3 and not word.endswith(("ss", "us", "is", "ous")):
        return word[:-1]
    return word


def english_terms(text: str) -> set[str]:
    words = [w.strip("-") for w in _ENGLISH_WORD.findall(text.lower())]
    words = [_singular(w) for w in words]
    singles = {w for w in words if w not in _ENGLISH_STOP and len(w) > 2}
    pairs = {
        f"{a} {b}"
        for a, b in zip(words, words[1:], strict=False)
        if a not in _ENGLISH_STOP and b not in _ENGLISH_STOP
    }
    return singles | pairs


@dataclass
class TermSuggestion:
    korean: str
    english: str
    notes: int  # notes whose Korean has the term
    together: int  # of those, how many have the English

    def yaml_line(self) -> str:
        return f"  {self.korean}: [{self.english}]  # {self.together} of {self.notes} notes"


TermSets = tuple[set[str], set[str]]


def term_sets(korean: str, english: str) -> TermSets:
    """What the miner counts of one note: its Korean stems and its English terms (the history
    keeps these per draft, so that suggestions do not take every comment apart again)."""
    return korean_stems(korean), english_terms(english)


def mine_terms(
    pairs: Iterable[tuple[str, str]], glossary: Glossary, min_notes: int = 3, min_dice: float = 0.5
) -> list[TermSuggestion]:
    """Korean terms not yet in the glossary that recur, with the English most tied to them."""
    docs = [term_sets(ko, en) for ko, en in pairs if ko.strip() and en.strip()]
    return mine_term_sets(docs, glossary, min_notes, min_dice)


def mine_term_sets(
    docs: list[TermSets], glossary: Glossary, min_notes: int = 3, min_dice: float = 0.5
) -> list[TermSuggestion]:
    known = {normalize_key(t.source) for t in glossary.terms} | {
        normalize_key(k) for k in glossary.keep
    }
    ko_df: Counter[str] = Counter()
    en_df: Counter[str] = Counter()
    having: dict[str, list[int]] = {}  # Korean term -> the notes that have it
    for n, (ko, en) in enumerate(docs):
        ko_df.update(ko)
        en_df.update(en)
        for term in ko:
            having.setdefault(term, []).append(n)
    too_common = max(min_notes, int(len(docs) * 0.3))
    suggestions = []
    for term, df in ko_df.items():
        if df < min_notes or df > too_common or normalize_key(term) in known:
            continue
        together: Counter[str] = Counter()
        for n in having[term]:
            together.update(docs[n][1])
        scored = [
            (2 * co / (df + en_df[word]), co, word)
            for word, co in together.items()
            if co >= min_notes
        ]
        if not scored:
            continue
        dice, co, word = max(scored, key=lambda s: (s[0], s[1], " " in s[2]))
        if dice >= min_dice and co / df >= 0.6:
            suggestions.append(TermSuggestion(term, word, df, co))
    return sorted(suggestions, key=lambda s: (-s.notes, s.korean))


def suggestions_yaml(terms: list[TermSuggestion], replacements: list[tuple[str, str, int]]) -> str:
    lines = [
        "# Glossary suggestions mined from your history. Nothing was changed: paste the lines",
        "# you agree with under `terms:` in glossary.yaml (and fix the English where needed).",
        "terms:",
    ]
    lines += [s.yaml_line() for s in terms] or [
        "  # no recurring term found that the glossary lacks"
    ]
    if replacements:
        lines.append("# Replaced by hand again and again in reviews (model's words -> yours):")
        lines += [f"#   {a!r} -> {b!r}  ({n} times)" for a, b, n in replacements]
    return "\n".join(lines) + "\n"
