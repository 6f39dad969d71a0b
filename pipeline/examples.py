"""The author's voice: his earlier Korean -> English pairs, the character n-grams they are
searched by (pipeline/history.py keeps them searchable), and tags suggested from similar papers.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

_N = (2, 3)


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


def suggest_tags(neighbours: list[tuple[float, Example]], limit: int = 5) -> list[str]:
    """The most frequent tags of the most similar past entries, weighted by similarity."""
    weights: dict[str, float] = defaultdict(float)
    for score, example in neighbours:
        for tag in example.tags:
            weights[tag] += score
    return sorted(weights, key=lambda tag: (-weights[tag], tag))[:limit]
