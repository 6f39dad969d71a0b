"""Drafts on disk: DRAFTS/<YYYY-MM-DD>/<file-safe id>.yaml, written atomically, read with care.

Every change to a draft is a read-modify-write under one lock across processes (`update`): the
draft is read again under the lock, so a comment or a hand edit saved by another command while
this one was waiting for the model is seen, never overwritten by a stale copy.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import yamlio
from pipeline.entry import DATE_RE, Entry, entry_from_yaml
from pipeline.errors import InputError, write_failure

if TYPE_CHECKING:
    from pipeline.merge import Merged

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_ORDER_LINE = re.compile(r"^order:\s*(\d+)\s*$", re.MULTILINE)
ORDER_FILE = ".order"  # the last order number given on a day, in that day's folder
STALE_TEMP_SECONDS = 3600.0  # a writer that takes longer than this was killed
# A change to one draft holds the lock for milliseconds; one held this long is a stuck process.
LOCK_TIMEOUT = 120.0


def file_safe(entry_id: str) -> str:
    """Old-style ids hold a '/', which must not become a folder; nothing may climb out."""
    name = entry_id.replace("/", "_")
    if not _SAFE_NAME.match(name) or ".." in name:
        raise InputError(f"id {entry_id!r} cannot name a draft file")
    return name


def _safe_or_none(entry_id: str) -> str | None:
    try:
        return file_safe(entry_id)
    except InputError:
        return None


@dataclass
class Day:
    """A day's drafts in first-drafted order, and the files that could not be read."""

    date: str
    entries: list[Entry] = field(default_factory=list)
    problems: list[InputError] = field(default_factory=list)


Change = Callable[[Entry | None], Entry | None]
Rule = Callable[[Entry | None], "Merged"]


class Store:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._swept: set[Path] = set()
        # told of every draft written (the history keeps itself up to date as drafts are
        # written, so that no later command parses them again)
        self.on_write: Callable[[Path, Entry], None] | None = None

    def path(self, date: str, entry_id: str) -> Path:
        if not DATE_RE.match(date):
            raise InputError(f"date {date!r} is not YYYY-MM-DD")
        return self.root / date / f"{file_safe(entry_id)}.yaml"

    # -- writing --------------------------------------------------------------------------------
    @contextmanager
    def lock(self) -> Iterator[None]:
        """One writer at a time across processes and threads, on every system (filelock: flock
        on Unix, LockFileEx on Windows): order numbers and files stay consistent."""
        from filelock import FileLock, Timeout

        self.check_writable()
        path = self.root / ".lock"
        try:
            with FileLock(str(path), timeout=LOCK_TIMEOUT):
                yield
        except Timeout:
            raise InputError(
                f"another digest command has held the drafts lock {path} for "
                f"{LOCK_TIMEOUT:.0f} s; try again when it is done"
            ) from None

    def check_writable(self) -> None:
        """The drafts folder exists (it is made) and takes writes; else one clear error."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(
                f"cannot create the drafts folder {self.root}: {exc.strerror}"
            ) from None
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise InputError(
                f"the drafts folder {self.root} is not writable; fix its permissions "
                "or set DIGEST_DRAFTS_DIR"
            )

    def save(self, entry: Entry) -> Path:
        """Write a draft as it is (atomically); a new one gets the next order number of its day.

        Prefer `update` wherever the draft was read earlier: it sees what changed meanwhile.
        """
        with self.lock():
            return self._write(entry)

    def update(self, date: str, entry_id: str, change: Change) -> Entry | None:
        """Read the draft as it is now, under the lock, and write what `change` makes of it.

        `change` gets the current draft (None if there is none) and returns the draft to write,
        or None to write nothing. Returns what is on disk afterwards.
        """
        path = self.path(date, entry_id)
        with self.lock():
            current = self.load(path) if path.exists() else None
            changed = change(current)
            if changed is None:
                return current
            self._write(changed)
            return changed

    def apply(self, date: str, entry_id: str, rule: Rule) -> tuple[Merged, Entry | None]:
        """Apply a merge rule (pipeline/merge.py) to the draft as it is now, under the lock:
        (what the rule made of it, the draft on disk afterwards)."""
        made: list[Merged] = []

        def change(current: Entry | None) -> Entry | None:
            made.append(rule(current))
            return made[-1].entry

        after = self.update(date, entry_id, change)
        return made[-1], after

    def _write(self, entry: Entry) -> Path:
        path = self.path(entry.date, entry.id)
        try:
            self._sweep(path.parent)
            if entry.order <= 0:
                entry.order = self._next_order(entry.date)
            yamlio.atomic_write(path, entry.to_yaml())
        except OSError as exc:
            raise write_failure(path, exc) from None
        if self.on_write is not None:
            self.on_write(path, entry)
        return path

    def remove(self, date: str, entry_id: str) -> None:
        """Take back a draft made by mistake (a mistyped id), and its day if nothing is left."""
        path = self.path(date, entry_id)
        with self.lock():
            path.unlink(missing_ok=True)
            if not any(path.parent.glob("*.yaml")):
                (path.parent / ORDER_FILE).unlink(missing_ok=True)
                try:
                    path.parent.rmdir()
                except OSError:
                    pass  # something else lives there: leave the folder

    def _next_order(self, date: str) -> int:
        """The day's counter, read and written under the lock: O(1) per new draft.

        A day without a counter (drafts from before it existed) starts past every order number
        its files hold, unreadable files included, so that no two drafts ever share one."""
        counter = self.root / date / ORDER_FILE
        try:
            last = int(counter.read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            last = self._highest_order(date)
        yamlio.atomic_write(counter, f"{last + 1}\n", durable=False)
        return last + 1

    def _highest_order(self, date: str) -> int:
        files = list((self.root / date).glob("*.yaml"))
        highest = len(files)
        for path in files:
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            highest = max([highest, *(int(n) for n in _ORDER_LINE.findall(text))])
        return highest

    def _sweep(self, folder: Path) -> None:
        """Remove temporary files a killed writer left behind (once per folder and run)."""
        if folder in self._swept or not folder.is_dir():
            return
        self._swept.add(folder)
        now = time.time()
        for temp in folder.glob(".*.tmp"):
            try:
                if now - temp.stat().st_mtime > STALE_TEMP_SECONDS:
                    temp.unlink()
            except OSError:
                pass

    # -- reading --------------------------------------------------------------------------------
    def load(self, path: Path) -> Entry:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{path}:1: not UTF-8 text") from None
        except OSError as exc:
            raise InputError(f"{path}: cannot read: {exc.strerror}") from None
        entry = entry_from_yaml(text, str(path))
        # A draft is written where its id and date say; one that says otherwise (edited by
        # hand) would be written back somewhere else: name it instead.
        if path.parent.name != entry.date or path.stem != _safe_or_none(entry.id):
            raise InputError(
                f"{path}:1: the draft says id {entry.id!r} and date {entry.date!r}, but its file "
                f"is {path.parent.name}/{path.name}: make them agree (quote the id: '{path.stem}')"
            )
        return entry

    def get(self, date: str, entry_id: str) -> Entry | None:
        path = self.path(date, entry_id)
        return self.load(path) if path.exists() else None

    def day(self, date: str) -> Day:
        day = Day(date)
        folder = self.root / date
        if not folder.is_dir():
            return day
        for path in sorted(folder.glob("*.yaml")):
            try:
                day.entries.append(self.load(path))
            except InputError as exc:
                day.problems.append(exc)
        day.entries.sort(key=lambda e: e.order)
        return day

    def files(self) -> list[Path]:
        """Every draft file, without reading any (scandir: thousands of drafts in milliseconds)."""
        found = []
        for day in self.days():
            folder = self.root / day
            with os.scandir(folder) as listing:
                names = sorted(e.name for e in listing if e.name.endswith(".yaml"))
            found += [folder / name for name in names if not name.startswith(".")]
        return found

    def days(self) -> list[str]:
        try:
            with os.scandir(self.root) as listing:
                return sorted(e.name for e in listing if DATE_RE.match(e.name) and e.is_dir())
        except (FileNotFoundError, NotADirectoryError):
            return []

    def no_drafts(self, date: str, command: str) -> InputError:
        """The error for a day without drafts, naming the latest day that has some.

        `command` is how to ask for a day, e.g. "digest export {date}".
        """
        days = [d for d in self.days() if any((self.root / d).glob("*.yaml"))]
        where = self.root.absolute()  # the folder looked in, wherever the command ran
        if not days:
            return InputError(
                f"no drafts in {where} yet; start with: digest draft ID (or set DIGEST_DRAFTS_DIR)"
            )
        return InputError(
            f"no drafts for {date} in {where}; the latest day with drafts is {days[-1]}: "
            + command.format(date=days[-1])
        )

    def days_by_name(self) -> dict[str, list[str]]:
        """Every draft's file name (without .yaml) and the days it is on, oldest first, read
        from the folder listing alone: a lookup for commands that ask of thousands of ids."""
        found: dict[str, list[str]] = {}
        for day in self.days():
            for path in (self.root / day).glob("*.yaml"):
                found.setdefault(path.stem, []).append(day)
        return found

    def dates_of(self, entry_id: str) -> list[str]:
        """The days on which this id has a draft, oldest first."""
        name = f"{file_safe(entry_id)}.yaml"
        return [d for d in self.days() if (self.root / d / name).exists()]

    def find(self, entry_id: str, date: str | None = None) -> Entry:
        """The draft of an id: on `date`, else the most recent day it was drafted."""
        if date is not None:
            entry = self.get(date, entry_id)
            if entry is None:
                raise InputError(f"no draft of {entry_id} on {date} in {self.root}")
            return entry
        dates = self.dates_of(entry_id)
        if not dates:
            raise InputError(f"no draft of {entry_id} in {self.root}; run: digest draft {entry_id}")
        return self.load(self.path(dates[-1], entry_id))
