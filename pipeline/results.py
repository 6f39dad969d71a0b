"""What a use case returns: what a run did to each entry, and the command that fixes one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum, unique
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.entry import AWAITING, Entry
from pipeline.errors import DigestError, ExitCode, InputError, ServiceError

if TYPE_CHECKING:
    from pipeline.vault import NoteResult


@unique
class RunResult(StrEnum):
    """What a run did to one entry (its Status says where the entry stands)."""

    TRANSLATED = "translated"
    UNCHANGED = "unchanged"
    CHANGED_MEANWHILE = "changed meanwhile"  # another command saved it while this one worked
    FAILED = "failed"


@dataclass
class Outcome:
    entry_id: str
    entry: Entry | None = None
    result: RunResult = RunResult.TRANSLATED
    error: DigestError | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """How a progress line shows it: the entry's status once translated, else the result."""
        if self.error is not None:
            return f"failed: {self.error}"
        if self.entry is not None and self.entry.awaiting_paper:
            done = "translated" if self.result is RunResult.TRANSLATED else str(self.result)
            return f"{done}; waits for its paper"
        if self.result is RunResult.TRANSLATED and self.entry is not None:
            return str(self.entry.status)
        return str(self.result)

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return int(self.error.exit_code)
        if self.entry is not None and self.entry.awaiting_paper:
            return int(ExitCode.SERVICE)  # arXiv gave no paper: the English is saved, not done
        if self.entry is not None and self.entry.errors:
            return int(ExitCode.CHECK_FAILED)
        return int(ExitCode.OK)


def worst_exit(outcomes: Sequence[Outcome]) -> int:
    return max((o.exit_code for o in outcomes), default=0)


def unfetched_error(entry: Entry) -> ServiceError:
    """A translated entry whose paper arXiv did not give (the reason was logged as it happened)."""
    return ServiceError(
        f"arXiv gave no paper for {entry.id}; its English is saved in the draft, which waits "
        f"for its paper: run `{fix_command(entry)}` when arXiv answers"
    )


def is_filled(entry: Entry, outcome: Outcome) -> bool:
    """The paper came to an entry translated while it waited for it, and the run kept that
    English (the paper's arrival is no reason to ask the model again)."""
    return bool(entry.title) and outcome.result is RunResult.UNCHANGED


def filled_note(entry: Entry) -> str:
    """What a run that filled in the paper of an entry translated without it says."""
    return (
        f"{entry.id}: the paper is filled in; the English made while it waited is kept "
        f"(`digest translate {entry.id}` makes it again with the paper)"
    )


def fix_command(entry: Entry) -> str:
    """The command that fixes a failing entry: draft again what waits for its paper (that fills
    the paper, and translates only what has no English), translate what has no English, else
    edit."""
    if entry.awaiting_paper:
        return f"digest draft {entry.id} --date {entry.date}"
    return f"digest {'translate' if entry.status == AWAITING else 'edit'} {entry.id}"


@dataclass
class Selected:
    """The drafts a command works on, and the files among them that could not be read."""

    entries: list[Entry]
    problems: list[InputError] = field(default_factory=list)


@dataclass
class DraftResult:
    entry: Entry
    outcome: Outcome
    path: Path


@dataclass
class EditResult:
    entry: Entry
    changed: bool
    path: Path


@dataclass
class Exported:
    text: str  # the rendering ("" for notes written into a vault)
    entries: int
    days: list[str]
    notes: list[NoteResult] = field(default_factory=list)  # --format vault
