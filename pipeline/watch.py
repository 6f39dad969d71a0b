"""Watching a vault for notes the author saves (`digest sync --watch`).

The operating system tells us what changed (watchdog: inotify on Linux, FSEvents on macOS,
ReadDirectoryChangesW on Windows): nothing here scans the vault for changes (a folder is listed
only when the system says it was moved or made, to find the notes in it). An editor writes
a note several times on one save (Obsidian truncates, writes and closes; other editors write a
temporary file and rename it over the note), so a note counts as saved once no event has touched
it for `quiet` seconds: one save, one report.

What is reported is what `vault.list_notes` lists: `.md` files that are not hidden and are in no
hidden folder (`.obsidian`, `.trash`, `.digest`), regular files only. A note renamed or moved is
reported at its new path, never at the old one; a folder renamed or moved has its notes reported.
A note deleted (or moved into `.trash`) before it was quiet is not reported; a deletion never is.

Paths are absolute, below the vault's resolved path (a vault reached through a link is watched
where it really is).
"""

from __future__ import annotations

import errno
import os
import stat
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
    FileSystemMovedEvent,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from pipeline.errors import DigestError, EnvironmentFailure, InputError
from pipeline.vault import list_notes

QUIET = 1.5  # seconds a note must stay untouched before it counts as saved
# The longest the loop sleeps without looking at `stop` (which wakes it at once anyway) and at the
# watcher's health: Ctrl-C on Windows, where a wait is not interrupted, lands within this.
_TICK = 0.25
# How often the vault folder itself is looked at: inotify goes on watching a folder renamed away,
# and says nothing when the disk under it is unmounted. One stat a second, never a listing.
_ALIVE_EVERY = 1.0
_JOIN_TIMEOUT = 5.0  # the observer's threads end in milliseconds; never wait forever on them

# The events that can make or unmake a note. Opening and reading one (Obsidian, or sync itself)
# is not asked of the system at all, nor is a change of a folder's own times.
_EVENTS: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileClosedEvent,
    FileMovedEvent,
    FileDeletedEvent,
    DirCreatedEvent,
    DirMovedEvent,
    DirDeletedEvent,
]


def is_note_path(vault: Path, path: Path) -> bool:
    """A path `vault.list_notes` would list, if it is a regular file: a `.md` name, not hidden,
    in no hidden folder below the vault (our temporary files `.dg*.tmp` are hidden)."""
    parts = _parts_below(vault, path)
    return bool(parts) and parts[-1].endswith(".md") and not _hidden(parts)


def is_saved_note(vault: Path, path: Path) -> bool:
    """A note to report now: its path is a note's and it is a regular file (or a link to one),
    never a FIFO or a socket that took a note's name."""
    if not is_note_path(vault, path):
        return False
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False  # deleted meanwhile, or a link to nothing


def _parts_below(vault: Path, path: Path) -> tuple[str, ...]:
    try:
        return path.relative_to(vault).parts
    except ValueError:
        return ()


def _hidden(parts: tuple[str, ...]) -> bool:
    return any(part.startswith(".") for part in parts)


class _Pending:
    """Notes and folders touched and not yet quiet, each with the time it will have been quiet
    long enough. Filled by the observer's thread, emptied by the caller's: one lock, and memory
    bounded by the number of paths touched (a path touched again only moves its time)."""

    def __init__(self, vault: Path, quiet: float) -> None:
        self.vault = vault
        self.quiet = quiet
        self._lock = threading.Lock()
        self._notes: dict[Path, float] = {}
        self._folders: dict[Path, float] = {}  # renamed, moved or created: walked when quiet
        self._failure: DigestError | None = None

    def touch(self, path: Path) -> None:
        if is_note_path(self.vault, path):
            with self._lock:
                self._notes[path] = time.monotonic() + self.quiet

    def touch_folder(self, folder: Path) -> None:
        parts = _parts_below(self.vault, folder)
        if parts and not _hidden(parts):
            with self._lock:
                self._folders[folder] = time.monotonic() + self.quiet

    def drop(self, path: Path) -> None:
        with self._lock:
            self._notes.pop(path, None)

    def drop_under(self, folder: Path) -> None:
        """A folder deleted or moved away: nothing pending below it is there any more."""
        with self._lock:
            for pending in (self._notes, self._folders):
                for path in [p for p in pending if p == folder or folder in p.parents]:
                    del pending[path]

    def fail(self, error: DigestError) -> None:
        with self._lock:
            if self._failure is None:
                self._failure = error

    def failure(self) -> DigestError | None:
        with self._lock:
            return self._failure

    def next_due(self) -> float | None:
        with self._lock:
            times = [*self._notes.values(), *self._folders.values()]
        return min(times) if times else None

    def take_quiet(self) -> list[Path]:
        """The notes quiet long enough, taken out: those touched, and those in the folders
        touched (a note in such a folder that is itself still being written waits its turn)."""
        now = time.monotonic()
        with self._lock:
            notes = {p for p, due in self._notes.items() if due <= now}
            folders = [f for f, due in self._folders.items() if due <= now]
            for path in notes:
                del self._notes[path]
            for folder in folders:
                del self._folders[folder]
            still_pending = set(self._notes)
        for folder in folders:  # outside the lock: a walk must not hold up the observer
            notes.update(p for p in list_notes(folder).notes if p not in still_pending)
        return sorted(p for p in notes if is_saved_note(self.vault, p))


class _Recorder(FileSystemEventHandler):
    """Turns the observer's events into pending notes; never raises into the observer's thread
    (an exception there would end it with a traceback on stderr and no more events)."""

    def __init__(self, pending: _Pending) -> None:
        super().__init__()
        self.pending = pending

    def dispatch(self, event: FileSystemEvent) -> None:
        try:
            self._record(event)
        except Exception as exc:  # a bug of ours: end the watch, loudly, from the caller's thread
            self.pending.fail(
                EnvironmentFailure(f"watching {self.pending.vault} failed on {event!r}: {exc!r}")
            )

    def _record(self, event: FileSystemEvent) -> None:
        pending = self.pending
        src = Path(os.fsdecode(event.src_path))
        if isinstance(event, FileSystemMovedEvent):
            dest = Path(os.fsdecode(event.dest_path)) if event.dest_path else None
            if event.is_directory:
                pending.drop_under(src)
                if dest is not None:
                    pending.touch_folder(dest)
            else:
                pending.drop(src)
                if dest is not None:
                    pending.touch(dest)
        elif isinstance(event, DirDeletedEvent):
            if src == pending.vault:
                pending.fail(_vault_gone(pending.vault))
            pending.drop_under(src)
        elif isinstance(event, FileDeletedEvent):
            pending.drop(src)
        elif isinstance(event, DirCreatedEvent):
            pending.touch_folder(src)  # moved in from outside the vault: its notes are new here
        elif not event.is_directory:
            pending.touch(src)


def watch_notes(
    vault: Path,
    on_saved: Callable[[list[Path]], None],
    *,
    quiet: float = QUIET,
    stop: threading.Event | None = None,
    ready: threading.Event | None = None,
) -> None:
    """Block until `stop` is set, calling `on_saved(paths)` with the notes saved since the last
    call (each one once, sorted), once each has been quiet for `quiet` seconds.

    `on_saved` runs in the calling thread, so never twice at once; what is saved while it runs
    is reported in a later call (a note it writes into itself comes back once more, after `quiet`:
    a sync that finds nothing to do is expected to do nothing). An exception out of `on_saved`
    (KeyboardInterrupt too) ends the watch and propagates, the paths of that call not reported
    again. `ready` is set once the vault is watched: a save before that is not seen. Notes not yet
    quiet when `stop` is set are not reported.

    Raises InputError when the vault is no folder, or is deleted, renamed or unmounted while
    watched; EnvironmentFailure when the system refuses to watch it (Linux's inotify limits).
    The observer's threads are stopped and joined whatever ends the watch.
    """
    if not vault.is_dir():
        raise InputError(f"vault folder {vault} does not exist (create it, or check the path)")
    root = vault.resolve()
    # inotify: folders made in one go (mkdir -p) race watchdog's own bookkeeping, which then warns
    # of a callback replaced by itself; harmless, and nothing the author could act on
    warnings.filterwarnings(
        "ignore", r"Callback with id .* (already|does not) exist", RuntimeWarning
    )
    stop = stop if stop is not None else threading.Event()
    pending = _Pending(root, quiet)
    try:
        observer = Observer()
    except OSError as exc:
        raise _cannot_watch(root, exc) from None
    started = False
    try:
        try:
            observer.schedule(_Recorder(pending), str(root), recursive=True, event_filter=_EVENTS)
            identity = _identity(root)
            observer.start()
            started = True
        except OSError as exc:
            raise _cannot_watch(root, exc) from None
        if ready is not None:
            ready.set()
        next_check = time.monotonic() + _ALIVE_EVERY
        while not stop.is_set():
            due = pending.next_due()
            now = time.monotonic()
            stop.wait(min(_TICK, max(0.0, due - now)) if due is not None else _TICK)
            failure = pending.failure()
            if failure is not None:
                raise failure
            if time.monotonic() >= next_check:
                _check_alive(root, identity, observer)
                next_check = time.monotonic() + _ALIVE_EVERY
            if stop.is_set():
                break
            saved = pending.take_quiet()
            if saved:
                on_saved(saved)
    finally:
        observer.stop()
        if started:
            observer.join(_JOIN_TIMEOUT)


def _identity(folder: Path) -> tuple[int, int]:
    info = os.stat(folder)
    return info.st_dev, info.st_ino


def _check_alive(root: Path, identity: tuple[int, int], observer: BaseObserver) -> None:
    """The vault is still the folder first watched, and the watcher still runs."""
    try:
        same = _identity(root) == identity
    except OSError:
        same = False
    if not same:
        raise _vault_gone(root)
    if not observer.is_alive() or not all(e.is_alive() for e in observer.emitters):
        raise EnvironmentFailure(
            f"watching {root} stopped unexpectedly; run `digest sync --watch` again"
        )


def _vault_gone(root: Path) -> InputError:
    return InputError(
        f"vault folder {root} was deleted, renamed or unmounted while watched; "
        "check the path and run `digest sync --watch` again"
    )


def _cannot_watch(root: Path, exc: OSError) -> DigestError:
    if exc.errno == errno.ENOSPC:
        return EnvironmentFailure(
            f"cannot watch {root}: the system's limit of watched folders is reached "
            "(Linux: raise fs.inotify.max_user_watches)"
        )
    if exc.errno == errno.EMFILE:
        return EnvironmentFailure(
            f"cannot watch {root}: too many programs watch folders "
            "(Linux: raise fs.inotify.max_user_instances)"
        )
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return InputError(f"vault folder {root} does not exist (create it, or check the path)")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return InputError(f"cannot watch {root}: permission denied")
    return EnvironmentFailure(f"cannot watch {root}: {exc.strerror or exc}")
