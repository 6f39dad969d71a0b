"""The Entry dataclass: the one schema of a draft, and its YAML (de)serialisation."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum, unique
from typing import Any

from pipeline import yamlio
from pipeline.errors import InputError


@unique
class Status(StrEnum):
    """Where a draft stands; written in the draft as its value."""

    AWAITING = "awaiting-translation"  # the comment is saved, its English is not made yet
    NEEDS_REVIEW = "needs-review"  # the English fails a check
    READY = "ready"


AWAITING, NEEDS_REVIEW, READY = Status.AWAITING, Status.NEEDS_REVIEW, Status.READY
STATUSES = tuple(Status)

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@unique
class Severity(StrEnum):
    """How bad a finding is; written in the draft as its value."""

    ERROR = "error"  # the English is not publishable as it is: the draft needs review
    WARNING = "warning"  # worth a look; blocks nothing


ERROR, WARNING = Severity.ERROR, Severity.WARNING


# kept in a draft's `extra`: its English (his, kept when the comment changed) is of the comment
# before the one it holds now; a check says so until the English is made anew or he keeps it
EARLIER_ENGLISH = "english_of_an_earlier_comment"


@dataclass(init=False)
class Finding:
    """One problem a check found: which check, how bad, and the offending text quoted."""

    check: str
    severity: Severity
    message: str

    def __init__(self, check: str, severity: Severity | str, message: str) -> None:
        # a severity's value ("error", as a draft or a saved run holds it) is that Severity;
        # anything else is a ValueError
        self.check, self.severity, self.message = check, Severity(severity), message

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def __str__(self) -> str:
        return f"{self.severity}: {self.check}: {self.message}"


@dataclass
class Entry:
    id: str
    date: str
    title: str
    authors: list[str]
    abstract: str
    comment_ko: str
    machine_en: str = ""
    comment_en: str = ""
    tags: list[str] = field(default_factory=list)
    status: Status = AWAITING
    order: int = 0
    # arXiv metadata beyond what the digest prints
    url: str = ""
    version: str = ""
    published: str = ""
    updated: str = ""
    primary_category: str = ""
    arxiv_comment: str = ""
    # how the English was made
    model: str = ""
    glossary: str = ""
    repairs: int = 0
    # the tokens this draft's model requests used, per model, over every run (usage.Usage as a
    # mapping): what `review` estimates a day's cost from
    usage: dict[str, dict[str, int]] = field(default_factory=dict)
    # every try of the last translation when a check sent it back: its English and its errors
    attempts: list[dict[str, Any]] = field(default_factory=list)
    cleanup: list[str] = field(default_factory=list)
    history: list[dict[str, str]] = field(default_factory=list)
    checks: list[Finding] = field(default_factory=list)
    # the model-judged review (--judge) of the English `judged`: it holds while that English does
    judge: list[Finding] = field(default_factory=list)
    judged: str = ""
    # where the entry came from: arxiv (drafted here), digest (imported text), vault (notes)
    source: str = "arxiv"
    source_file: str = ""
    source_hash: str = ""  # of the imported file, to see that it changed
    imported: str = ""  # fingerprint of the content as imported, to see edits made here
    # the note of the author's vault as digest last read or wrote it (its bytes are
    # `source_hash`): exported into an empty vault it comes back whole, changed only where the
    # draft changed (pipeline/note.py)
    note: str = ""
    # keys the author added by hand (a note, a reminder): kept as they are, written back last
    extra: dict[str, Any] = field(default_factory=dict)

    def replace_text(self, key: str, value: str, why: str) -> bool:
        """Set a text field (comment_ko, comment_en); text it held is kept in the history with
        why it went, so that nothing the author wrote is lost. True if anything changed."""
        old = getattr(self, key)
        if old == value:
            return False
        if old.strip():
            self.history.append({key: old, "replaced": why})
        setattr(self, key, value)
        return True

    @property
    def hand_edited(self) -> bool:
        """The published English is not the model's: edited by hand, or the author's own."""
        return bool(self.comment_en) and self.comment_en != self.machine_en

    @property
    def awaiting_paper(self) -> bool:
        """Drafted here while arXiv gave no paper (no title yet): the comment and its English may
        be saved, but the entry cannot be exported until the paper is filled in."""
        return self.source == "arxiv" and not self.title

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.checks if f.is_error]

    def content_fingerprint(self) -> str:
        """What an import writes; a draft whose fingerprint changed was edited here."""
        content = [
            self.title,
            self.authors,
            self.abstract,
            self.comment_ko,
            self.comment_en,
            self.tags,
        ]
        return hashlib.sha256(repr(content).encode("utf-8")).hexdigest()[:16]

    def to_yaml(self) -> str:
        data = asdict(self)
        extra = data.pop("extra")
        # Empty optional fields are left out, so a draft shows what matters when edited by hand.
        return yamlio.dump(
            {
                k: v
                for k, v in data.items()
                if k in REQUIRED or k in _ALWAYS or v not in ("", [], 0, {})
            }
            | extra
        )


REQUIRED = (
    "id",
    "date",
    "title",
    "authors",
    "abstract",
    "comment_ko",
    "machine_en",
    "comment_en",
    "tags",
)
_ALWAYS = ("status", "order", "checks")
_FIELD_TYPES = {f.name: f.type for f in fields(Entry)}


def _text_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _usage_record(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(model, str)
        and isinstance(counts, dict)
        and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts.values())
        for model, counts in value.items()
    )


def entry_from_yaml(text: str, source: str) -> Entry:
    """Parse a draft file; any problem is an InputError naming file and line."""
    data, lines, typed = yamlio.load_mapping(text, source)
    for key in REQUIRED:
        if key not in data:
            raise InputError(f"{source}:1: missing key {key!r}")

    def bad(key: str, what: str) -> InputError:
        return InputError(f"{source}:{lines.get(key, 1)}: {key!r} {what}")

    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in data.items():
        kind = _FIELD_TYPES.get(key)
        if kind is None or key == "extra":
            extra[key] = value  # added by hand, or by a newer version: kept, written back
            continue
        if value is None and kind == "str":
            value = ""
        if isinstance(value, dt.date):
            value = value.isoformat()  # a date typed without quotes reads as a date
        if kind == "str":
            if isinstance(value, int | float) and not isinstance(value, bool):
                value = typed.get(key, str(value))  # an id like 2506.00910 typed without quotes
            if not isinstance(value, str):
                raise bad(key, "must be text")
        elif kind == "int":
            if not isinstance(value, int) or isinstance(value, bool):
                raise bad(key, "must be a whole number")
        elif kind == "list[str]":
            value = [] if value is None else value
            if not _text_list(value):
                raise bad(key, "must be a list of text items")
        elif key in ("history", "attempts"):
            value = [] if value is None else value
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise bad(key, "must be a list of mappings")
        elif key == "usage":
            value = {} if value is None else value
            if not _usage_record(value):
                raise bad(key, "must map each model to its token counts (whole numbers)")
        elif key in ("checks", "judge"):
            value = [] if value is None else value
            try:
                value = [
                    Finding(str(f["check"]), str(f["severity"]), str(f["message"])) for f in value
                ]
            except (TypeError, KeyError, ValueError):
                raise bad(
                    key,
                    f"must be a list of {{check, severity ({' or '.join(Severity)}), message}}",
                ) from None
        values[key] = value
    if not DATE_RE.match(values["date"]):
        raise bad("date", f"must be a date YYYY-MM-DD, not {values['date']!r}")
    if values.get("status", AWAITING) not in STATUSES:
        raise bad("status", f"must be one of {', '.join(STATUSES)}")
    values["status"] = Status(values.get("status", AWAITING))
    return Entry(**values, extra=extra)
