"""The author's voice: his earlier Korean -> English pairs most like a new comment.

Similarity is TF-IDF over character n-grams (no embedding model): cheap, language-agnostic, and
good at Korean, where words carry particles that break whole-word matching.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass

_N = (2, 3)
# n-grams found in more than this share of the pairs say little and cost the most to score
_MAX_DF_SHARE = 0.25


@dataclass(frozen=True)
class Example:
    key: str  # the id of the entry it came from, so an entry never serves as its own example
    korean: str
    english: str
    tags: tuple[str, ...] = ()


def ngrams(text: str) -> Counter[str]:
    compact = "".join(text.lower().split())
    grams: Counter[str] = Counter()
    for n in _N:
        grams.update(compact[i : i + n] for i in range(len(compact) - n + 1))
    return grams


class ExampleIndex:
    """Built once over the whole history; a lookup touches only n-grams the query has."""

    def __init__(self, examples: list[Example]) -> None:
        self.examples = examples
        grams_of = [ngrams(e.korean) for e in examples]
        df: Counter[str] = Counter()
        for grams in grams_of:
            df.update(grams.keys())
        total = max(1, len(examples))
        limit = max(2, int(total * _MAX_DF_SHARE))
        self._idf = {g: math.log(1 + total / c) for g, c in df.items() if c <= limit}
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for doc, grams in enumerate(grams_of):
            weights = {
                g: (1 + math.log(c)) * self._idf[g] for g, c in grams.items() if g in self._idf
            }
            norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            for g, w in weights.items():
                self._postings[g].append((doc, w / norm))

    def __len__(self) -> int:
        return len(self.examples)

    def nearest(
        self, korean: str, k: int = 3, exclude: str | frozenset[str] = ""
    ) -> list[tuple[float, Example]]:
        """The k pairs most like `korean`; `exclude` names entries (ids) never to return."""
        excluded = frozenset([exclude]) if isinstance(exclude, str) else exclude
        grams = ngrams(korean)
        weights = {g: (1 + math.log(c)) * self._idf[g] for g, c in grams.items() if g in self._idf}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        scores: dict[int, float] = defaultdict(float)
        for g, w in weights.items():
            for doc, dw in self._postings[g]:
                scores[doc] += w / norm * dw
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        found: list[tuple[float, Example]] = []
        for doc, score in ranked:
            example = self.examples[doc]
            if example.key in excluded:
                continue
            if example.korean.strip() == korean.strip():
                continue
            found.append((score, example))
            if len(found) == k:
                break
        return found


def suggest_tags(neighbours: list[tuple[float, Example]], limit: int = 5) -> list[str]:
    """The most frequent tags of the most similar past entries, weighted by similarity."""
    weights: dict[str, float] = defaultdict(float)
    for score, example in neighbours:
        for tag in example.tags:
            weights[tag] += score
    return sorted(weights, key=lambda tag: (-weights[tag], tag))[:limit]
