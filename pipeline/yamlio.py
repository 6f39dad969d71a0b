"""YAML the way drafts and the glossary need it: safe, readable in `git diff`, with line numbers.

YAML a person wrote (drafts, the glossary) is plain data: mappings, lists and scalars. Aliases
(which let a few lines stand for gigabytes), tags other than the standard scalar ones (which
build Python objects) and deep nesting are refused with file:line before anything is built.
JSON from files and servers goes through `load_json`, bounded in depth too."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import InputError


class _ReadableDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Multi-line text as literal blocks, so a draft reads like the text it holds.

    libyaml's emitter when PyYAML has it: several times faster, the same output."""

    def ignore_aliases(self, data: Any) -> bool:
        return True  # a value held twice is written twice: the loader refuses aliases


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        # PyYAML falls back to a quoted style by itself where a block cannot hold the text
        # exactly (trailing spaces, special characters), so this never loses information.
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_ReadableDumper.add_representer(str, _represent_str)
# str subclasses (the StrEnum statuses) are written as their plain value
_ReadableDumper.add_multi_representer(str, lambda d, v: _represent_str(d, str(v)))


def dump(data: Any) -> str:
    # no folding of long lines: a comment stays on one line, as the author wrote it
    return yaml.dump(
        data, Dumper=_ReadableDumper, sort_keys=False, allow_unicode=True, width=1_000_000
    )


def _position(mark: Any) -> str:
    return f"{mark.line + 1}:{mark.column + 1}"


# libyaml's parser when PyYAML was built with it: drafts load several times faster
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def compose(text: str, source: str) -> yaml.Node | None:
    """Parse to a node tree (which keeps line numbers); syntax errors name file:line:column, and
    so do aliases, unusual tags and deep nesting (see `check_plain`)."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{_position(mark)}" if mark else source
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(f"{where}: YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{source}: YAML syntax error: {exc}") from None
    if node is not None:
        check_plain(node, text, source)
    return node


_STANDARD = "tag:yaml.org,2002:"
# What plain data is made of; the loader's own resolution gives exactly these.
PLAIN_TAGS = frozenset(
    _STANDARD + name for name in ("null", "bool", "int", "float", "str", "timestamp", "seq", "map")
)
# Drafts and the glossary nest four levels at most; past this a file is not one of them (and
# building it would recurse past Python's limit).
MAX_DEPTH = 32


def check_plain(root: yaml.Node, text: str, source: str) -> None:
    """Plain data only: no alias, no tag but the standard scalar and collection ones, at most
    MAX_DEPTH levels. A walk of the node tree, level by level, which an alias cannot blow up: a
    node met twice is an alias."""
    seen: set[int] = set()
    level = [root]
    for depth in range(1, MAX_DEPTH + 2):
        below: list[yaml.Node] = []
        for node in level:
            if id(node) in seen:
                raise InputError(
                    f"{source}:{_alias_line(text)}: YAML aliases (*name) are not allowed; "
                    "write the value out"
                )
            seen.add(id(node))
            if node.tag not in PLAIN_TAGS:
                tag = node.tag.replace(_STANDARD, "!!", 1)
                raise InputError(
                    f"{source}:{line_of(node)}: the YAML tag {tag} is not allowed; "
                    "only plain text, numbers, lists and mappings"
                )
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    below += (key, value)
            elif isinstance(node, yaml.SequenceNode):
                below += node.value
        if not below:
            return
        if depth == MAX_DEPTH:
            raise InputError(
                f"{source}:{line_of(below[0])}: nested more than {MAX_DEPTH} levels deep"
            )
        level = below


def _alias_line(text: str) -> int:
    """The line of the first alias (only looked for once one is known to be there)."""
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent) and event.start_mark is not None:
            return int(event.start_mark.line) + 1
    return 1


def construct(node: yaml.Node) -> Any:
    """Turn a composed node into plain Python values, as safe_load would."""
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


def line_of(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def load_mapping(text: str, source: str) -> tuple[dict[str, Any], dict[str, int], dict[str, str]]:
    """A YAML mapping, the line of each top-level key, and each scalar value as typed (an id
    like 2506.00910 typed without quotes reads as a number: its text keeps the final 0);
    duplicate keys are an error."""
    node = compose(text, source)
    if node is None:
        raise InputError(f"{source}:1: the file is empty")
    if not isinstance(node, yaml.MappingNode):
        raise InputError(f"{source}:{line_of(node)}: expected a mapping of keys to values")
    lines: dict[str, int] = {}
    typed: dict[str, str] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        if key in lines:
            raise InputError(f"{source}:{line_of(key_node)}: duplicate key {key!r}")
        lines[key] = line_of(key_node)
        if isinstance(value_node, yaml.ScalarNode):
            typed[key] = str(value_node.value)
    try:
        data = construct(node)
    except yaml.YAMLError as exc:
        raise InputError(f"{source}: cannot read YAML: {exc}") from None
    return data, lines, typed


# JSON nested deeper than this is not a corpus line, a saved run or a reply (they nest three or
# four levels): refused before anything recurses over it.
MAX_JSON_DEPTH = 32


def load_json(text: str | bytes) -> Any:
    """json.loads, bounded in depth: a ValueError (as for any bad JSON) when the value nests
    past MAX_JSON_DEPTH, where a plain json.loads raises RecursionError or hands a structure
    to code that would."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep") from None
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return value


def atomic_write(path: Path, text: str, *, durable: bool = True) -> None:
    """Write text via a temporary file in the same folder and os.replace: readers never see half.

    The text is written as is (UTF-8, no newline translation)."""
    atomic_write_bytes(path, text.encode("utf-8"), durable=durable)


def atomic_write_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write exact bytes atomically; a new file gets the umask's permissions (0644 by default).

    The temporary file is created with mode 0666, which the kernel narrows by the umask as for
    any file a program creates (mkstemp's 0600 would make a published file unreadable to a web
    server); a file replaced keeps its own permissions. `durable` syncs the data to disk before
    the rename, for what must survive a power cut (drafts, notes), not for caches.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        keep: int | None = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        keep = None
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        if keep is not None:
            os.chmod(tmp, keep)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
