"""The terminology glossary: load and validate glossary.yaml, find its terms in Korean text."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipeline import yamlio
from pipeline.errors import InputError

_HANGUL_SYLLABLE = re.compile(r"[\uac00-\ud7a3]")
_WORD_CHAR = re.compile(r"[0-9A-Za-z\uac00-\ud7a3]")

# What may follow a Korean term inside the same word: particles, the plural 들, the copula and
# the 하다/되다 verb endings that turn a noun into a verb. Anything else means the term is only
# part of a longer compound (학습 in 학습률) and does not match.
_ENDINGS = """
이 가 을 를 은 는 의 에 에서 에게 께 한테 으로 로 와 과 도 만 까지 부터 보다 처럼 같이 마저 조차
이나 나 이랑 랑 하고 이며 며 이라 라 이란 란 이라는 라는 이라고 라고 이든 든 이야 야 이지만 지만
인 이다 다 입니다 이에요 예요 이고 고 이죠 죠 이며 이었 였 이라서 라서 이니 니 임 인데 인지
에서는 에서도 에서의 에는 에도 에의 으로는 로는 으로도 로도 으로서 로서 으로써 로써 과의 와의 과는 와는
이나마 적 적인 적으로
하 하는 한 할 함 해 했 하고 하여 해서 하면 하기 하며 하지 하게 했다 합니다 했습니다 하던 한다 된 되 되는
될 됨 돼 됐 되어 되고 되면 시키 시킨 시키는 시켜 시킬 시켰
"""
_ENDING_SET = frozenset(_ENDINGS.split())
_MAX_ENDING = 8


def _allowed_tail(tail: str) -> bool:
    """Is this rest of a Hangul word a chain of endings (e.g. 들+을, 에서+는, 하+는)?"""
    if not tail:
        return True
    if len(tail) > _MAX_ENDING:
        return False
    for cut in range(len(tail), 0, -1):
        if tail[:cut] in _ENDING_SET and _allowed_tail(tail[cut:]):
            return True
    if tail[0] == "들":
        return _allowed_tail(tail[1:])
    # a verb ending we did not list still starts with 하/되/시키 (학습하므로, 정규화되었다)
    return tail[0] in "하되" or tail.startswith("시키")


def normalize_key(text: str) -> str:
    """Spacing and case do not matter when matching terms."""
    return "".join(text.split()).lower()


@dataclass(frozen=True)
class Term:
    source: str  # as written in the glossary: 강화학습, Reward Model
    renderings: tuple[str, ...]  # the first is preferred; any one passes the check
    note: str = ""
    line: int = 0
    strict: bool = False  # a missing rendering is an error, not a warning
    avoid: tuple[str, ...] = ()  # renderings that are wrong here: an error when they appear

    @property
    def preferred(self) -> str:
        return self.renderings[0]


@dataclass(frozen=True)
class Match:
    term: Term
    start: int
    end: int
    text: str


def distinct_terms(matches: list[Match]) -> list[Match]:
    """The first match of each term, in order: a term found twice is asked for once."""
    first: dict[str, Match] = {}
    for match in matches:
        first.setdefault(match.term.source, match)
    return list(first.values())


@dataclass
class _TrieNode:
    children: dict[str, _TrieNode] = field(default_factory=dict)
    term: Term | None = None


class Glossary:
    """Terms and keep-words, with a trie so matching cost does not grow with the glossary."""

    def __init__(self, terms: list[Term], keep: list[str], fingerprint: str = "") -> None:
        self.terms = terms
        self.keep = keep
        self.fingerprint = fingerprint
        self._root = _TrieNode()
        for term in terms:
            node = self._root
            for char in normalize_key(term.source):
                node = node.children.setdefault(char, _TrieNode())
            node.term = term
        for word in keep:
            node = self._root
            for char in normalize_key(word):
                node = node.children.setdefault(char, _TrieNode())
            if node.term is None:
                node.term = Term(word, (word,))

    def find(self, text: str) -> list[Match]:
        """Leftmost-longest, non-overlapping terms in text, spacing- and case-insensitive."""
        lowered = text.lower()
        # Positions of non-space characters: the trie walks these, so 강화 학습 = 강화학습.
        compact = [i for i, ch in enumerate(lowered) if not ch.isspace()]
        matches: list[Match] = []
        k = 0
        while k < len(compact):
            start = compact[k]
            if start > 0 and _joins(text[start - 1], text[start]):
                k += 1
                continue  # not the start of a word: 학습 inside 사전학습
            best: tuple[int, Term] | None = None
            node = self._root
            j = k
            while j < len(compact):
                child = node.children.get(lowered[compact[j]])
                if child is None:
                    break
                node = child
                j += 1
                if node.term is not None and _ends_well(text, compact[j - 1] + 1):
                    best = (j, node.term)
            if best is None:
                k += 1
                continue
            j, term = best
            end = compact[j - 1] + 1
            matches.append(Match(term, start, end, text[start:end]))
            k = j
        return matches


def _joins(before: str, first: str) -> bool:
    """Would `first` continue the word that `before` ends (so no term may start there)?"""
    if _HANGUL_SYLLABLE.match(first):
        # after a digit, Hangul is a counter or unit (1,000대, 3배), not the start of a term
        return bool(_HANGUL_SYLLABLE.match(before)) or before.isdigit()
    return bool(re.match(r"[0-9A-Za-z]", before)) and bool(re.match(r"[0-9A-Za-z]", first))


def _ends_well(text: str, end: int) -> bool:
    last = text[end - 1]
    rest = text[end:]
    if _HANGUL_SYLLABLE.match(last):
        tail = re.match(r"[\uac00-\ud7a3]*", rest)
        return _allowed_tail(tail.group(0) if tail else "")
    if re.match(r"[0-9A-Za-z]", last):
        # Latin terms take Korean particles directly (Reward에), but not more Latin letters.
        return not re.match(r"[0-9A-Za-z]", rest[:1])
    return True


def _strings(value: object) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


_TERM_KEYS = ("en", "note", "strict", "avoid")
# ten thousand terms of a line or two each: past this a file is not a glossary
MAX_GLOSSARY_CHARS = 2_000_000


def _parse_term(term: str, node: yaml.Node, source: str, line: int) -> Term:
    """One entry of `terms`: a rendering, a list of them, or a mapping with `en` and options."""
    where = f"{source}:{line}"
    note, strict = "", False
    avoid: tuple[str, ...] = ()
    value = yamlio.construct(node)
    if isinstance(value, dict):
        pairs = node.value if isinstance(node, yaml.MappingNode) else []
        lines = {str(k.value): yamlio.line_of(k) for k, _ in pairs}
        unknown = [k for k in value if k not in _TERM_KEYS]
        if unknown:
            where = f"{source}:{lines.get(str(unknown[0]), line)}"
            raise InputError(
                f"{where}: term {term!r} has an unknown key {unknown[0]!r} "
                "(it takes 'en' and optionally 'note', 'strict', 'avoid')"
            )
        if "en" not in value:
            raise InputError(
                f"{where}: term {term!r} takes 'en' (and optionally 'note', 'strict', 'avoid')"
            )
        if not isinstance(value.get("note") or "", str):
            raise InputError(
                f"{source}:{lines.get('note', line)}: the note of {term!r} must be text"
            )
        note = str(value.get("note") or "")
        strict = value.get("strict", False)
        if not isinstance(strict, bool):
            raise InputError(
                f"{source}:{lines.get('strict', line)}: 'strict' of {term!r} must be true or false"
            )
        if "avoid" in value:
            avoided = _strings(value["avoid"])
            if not avoided or any(not a.strip() for a in avoided):
                raise InputError(
                    f"{source}:{lines.get('avoid', line)}: 'avoid' of {term!r} must be a non-empty "
                    "rendering or a list of them"
                )
            avoid = tuple(a.strip() for a in avoided)
        value = value["en"]
    renderings = _strings(value)
    if not renderings:
        raise InputError(f"{where}: term {term!r} needs an English rendering or a list of them")
    if any(not r.strip() for r in renderings):
        raise InputError(f"{where}: term {term!r} has an empty rendering")
    clash = {r.strip().lower() for r in renderings} & {a.lower() for a in avoid}
    if clash:
        raise InputError(f"{where}: term {term!r} both uses and avoids {sorted(clash)[0]!r}")
    return Term(term, tuple(r.strip() for r in renderings), note, line, strict, avoid)


def parse_glossary(text: str, source: str) -> Glossary:
    """Validate a glossary; every problem names file and line."""
    root = yamlio.compose(text, source)
    fingerprint = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    if root is None:
        return Glossary([], [], fingerprint)
    if not isinstance(root, yaml.MappingNode):
        raise InputError(f"{source}:{yamlio.line_of(root)}: expected keys 'terms' and 'keep'")
    terms: list[Term] = []
    keep: list[str] = []
    seen: dict[str, int] = {}

    def claim(key: str, line: int) -> None:
        norm = normalize_key(key)
        if norm in seen:
            raise InputError(
                f"{source}:{line}: duplicate term {key!r} (same as line {seen[norm]} "
                "once spacing and case are ignored)"
            )
        seen[norm] = line

    for key_node, value_node in root.value:
        section = str(key_node.value)
        if section == "terms":
            if isinstance(value_node, yaml.ScalarNode) and value_node.value in ("", "~", "null"):
                continue
            if not isinstance(value_node, yaml.MappingNode):
                raise InputError(
                    f"{source}:{yamlio.line_of(value_node)}: 'terms' must be a mapping"
                )
            for term_node, render_node in value_node.value:
                line = yamlio.line_of(term_node)
                term = str(term_node.value).strip()
                if not isinstance(term_node, yaml.ScalarNode) or not term:
                    raise InputError(f"{source}:{line}: a term must be non-empty text")
                terms.append(_parse_term(term, render_node, source, line))
                claim(term, line)
        elif section == "keep":
            if isinstance(value_node, yaml.ScalarNode) and value_node.value in ("", "~", "null"):
                continue
            if not isinstance(value_node, yaml.SequenceNode):
                raise InputError(f"{source}:{yamlio.line_of(value_node)}: 'keep' must be a list")
            for item in value_node.value:
                line = yamlio.line_of(item)
                if not isinstance(item, yaml.ScalarNode) or not str(item.value).strip():
                    raise InputError(f"{source}:{line}: a keep entry must be non-empty text")
                word = str(item.value).strip()
                if _HANGUL_SYLLABLE.search(word):
                    raise InputError(f"{source}:{line}: keep entry {word!r} is not Latin-script")
                claim(word, line)
                keep.append(word)
        else:
            raise InputError(
                f"{source}:{yamlio.line_of(key_node)}: unknown section {section!r} "
                "(expected 'terms' and 'keep')"
            )
    return Glossary(terms, keep, fingerprint)


def load_glossary(path: Path, required: bool = False) -> Glossary:
    """The glossary file; a missing one is an empty glossary (the checks then use no terms),
    unless it was named (DIGEST_GLOSSARY): then a missing file is a mistake to report."""
    from pipeline.comment import read_text_file

    if not path.exists() and not path.is_symlink():
        if required:
            raise InputError(f"the glossary {path} does not exist (DIGEST_GLOSSARY)")
        return Glossary([], [], "none")
    return parse_glossary(read_text_file(path, "the glossary", limit=MAX_GLOSSARY_CHARS), str(path))
