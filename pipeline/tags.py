"""The author's tag vocabulary: counts learned from history, near-duplicates, new-tag warnings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from pipeline.entry import Entry
from pipeline.text import edit_distance, normalize_tag


def vocabulary(entries: Iterable[Entry]) -> Counter[str]:
    """How often each tag was used, variants normalised (object_detection -> object-detection)."""
    return count_tags((entry.tags, 1) for entry in entries)


def count_tags(tag_lists: Iterable[tuple[Iterable[str], int]]) -> Counter[str]:
    """The vocabulary of tag lists given with how many entries carry each list (the history
    counts them in SQL): each entry counts a tag once, variants normalised."""
    counts: Counter[str] = Counter()
    for tags, entries in tag_lists:
        for tag in {normalize_tag(t) for t in tags} - {""}:
            counts[tag] += entries
    return counts


def _near(a: str, b: str) -> int | None:
    """How far apart two tags are, if they look like variants of one tag; else None."""
    if a.replace("-", "") == b.replace("-", ""):
        return 0
    limit = 1 if min(len(a), len(b)) < 8 else 2
    if min(len(a), len(b)) < 2:
        return None
    distance = edit_distance(a, b, limit)
    return distance if distance <= limit else None


def near_duplicates(vocab: Counter[str]) -> list[tuple[str, str, int]]:
    """Pairs of tags one or two edits apart (lm / llm, reward-model / reward-models)."""
    tags = sorted(vocab)
    pairs = []
    for i, a in enumerate(tags):
        for b in tags[i + 1 :]:
            distance = _near(a, b)
            if distance is not None:
                pairs.append((a, b, distance))
    return sorted(pairs, key=lambda p: (p[2], -(vocab[p[0]] + vocab[p[1]]), p[0]))


def new_tag_warnings(tags: Iterable[str], vocab: Counter[str]) -> list[str]:
    """A tag never used before that is one edit away from a known one is probably a typo."""
    warnings = []
    for tag in tags:
        if tag in vocab or not vocab:
            continue
        close = [known for known in vocab if (d := _near(tag, known)) is not None and d <= 1]
        if close:
            best = max(close, key=lambda k: vocab[k])
            warnings.append(
                f"tag '{tag}' is new; did you mean '{best}' (used {vocab[best]} times)?"
            )
    return warnings
