"""Watching a vault for saved notes (`sync --watch`), with real file events: nothing of watchdog
is faked. Each test ends its checks with a sentinel save (`Watch.settle`): events reach the
watcher in order and a note's quiet time starts at its last event, so once the sentinel, saved
last, is reported, everything done before it has been reported too, or never will be. No test
sleeps to wait for something not to happen. (What a callback writes itself comes after the
sentinel: those tests wait for it first.)"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from watchdog.events import DirMovedEvent
from watchdog.utils import BaseThread

from pipeline.errors import DigestError, EnvironmentFailure, InputError
from pipeline.vault import list_notes, replace_note
from pipeline.watch import _cannot_watch, _Pending, _Recorder, is_saved_note, watch_notes
from tests.conftest import REPO

QUIET = 0.25
WAIT = 20.0  # generous: a loaded two-core machine
NOTE = "arXiv/250101 A Paper.md"
KO = "2506.18896\n*A Paper* (A. Author)\n\n이 논문은 보상 모델을 다룹니다.\n\n#rl\n"


def obsidian_save(path: Path, text: str = KO) -> None:
    """One save as Obsidian makes it: truncate, several writes, close (several events)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for line in text.splitlines(keepends=True):
            handle.write(line)
            handle.flush()


def watcher_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if isinstance(t, BaseThread) and t.is_alive()]


class Watch:
    """watch_notes running in a thread of its own, its reports kept relative to the vault."""

    def __init__(
        self, vault: Path, quiet: float, hook: Callable[[list[Path]], None] | None
    ) -> None:
        self.given = vault
        self.vault = vault.resolve()
        self.quiet = quiet
        self.hook = hook
        self.calls: list[list[str]] = []
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self.ended = False
        self._changed = threading.Condition()
        self._sentinels = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            watch_notes(self.vault, self._saved, quiet=self.quiet, stop=self.stop, ready=self.ready)
        except BaseException as exc:
            self.error = exc
        finally:
            with self._changed:
                self.ended = True
                self._changed.notify_all()

    def _saved(self, paths: list[Path]) -> None:
        with self._changed:
            self.calls.append([p.relative_to(self.vault).as_posix() for p in paths])
            self._changed.notify_all()
        if self.hook is not None:
            self.hook(paths)

    def reported(self) -> list[str]:
        with self._changed:
            return [path for call in self.calls for path in call]

    def wait_for(self, condition: Callable[[], bool], timeout: float = WAIT) -> None:
        with self._changed:
            met = self._changed.wait_for(lambda: condition() or self.ended, timeout)
        assert met and not (self.ended and not condition()), (self.calls, self.error)

    def wait_reported(self, name: str) -> None:
        self.wait_for(lambda: any(name in call for call in self.calls))

    def settle(self) -> list[str]:
        """Everything reported up to now, once a note saved now has been reported (the sentinel
        itself left out)."""
        self._sentinels += 1
        name = f"zz sentinel {self._sentinels}.md"
        obsidian_save(self.vault / name)
        self.wait_reported(name)
        return [p for p in self.reported() if not p.startswith("zz sentinel")]


@contextmanager
def watching(
    vault: Path, quiet: float = QUIET, hook: Callable[[list[Path]], None] | None = None
) -> Iterator[Watch]:
    if not vault.exists():
        vault.mkdir(parents=True)
    watch = Watch(vault, quiet, hook)
    watch.thread.start()
    try:
        assert watch.ready.wait(WAIT), watch.error
        yield watch
    finally:
        watch.stop.set()
        watch.thread.join(WAIT)
        assert not watch.thread.is_alive(), "watch_notes did not end after stop"
    assert not watcher_threads(), "the observer's threads outlived watch_notes"


# -- what counts as a note ---------------------------------------------------------------------
def test_the_notes_reported_are_those_list_notes_lists(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    files = [
        "250101 A.md",
        "arXiv/2025/250102 B.md",
        ".hidden.md",
        ".obsidian/workspace.md",
        ".trash/250103 C.md",
        ".digest/lock",
        "arXiv/.drafts/250104 D.md",
        "arXiv/notes.txt",
        "arXiv/250105 E.md.tmp",
        "arXiv/.dg0123abcd.tmp",
        "arXiv/250106 F.MD",
    ]
    for name in files:
        obsidian_save(vault / name)
    (vault / "folder.md").mkdir()
    os.mkfifo(vault / "arXiv/250107 FIFO.md")
    os.symlink(vault / "250101 A.md", vault / "arXiv/250108 Link.md")
    os.symlink(vault / "nothing.md", vault / "arXiv/250109 Dangling.md")
    every_path = [
        Path(root) / name for root, dirs, names in os.walk(vault) for name in dirs + names
    ]
    accepted = {p for p in every_path if is_saved_note(vault, p)}
    assert accepted == set(list_notes(vault).notes)
    assert {p.relative_to(vault).as_posix() for p in accepted} == {
        "250101 A.md",
        "arXiv/2025/250102 B.md",
        "arXiv/250108 Link.md",
    }


# -- saves ---------------------------------------------------------------------------------------
def test_one_save_is_one_report(tmp_path: Path) -> None:
    with watching(tmp_path / "vault") as watch:
        obsidian_save(watch.vault / NOTE)
        watch.wait_reported(NOTE)
        assert watch.settle() == [NOTE]
        assert watch.calls[0] == [NOTE]


def test_a_vault_reached_through_a_link_is_watched_where_it_is(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    seen: list[Path] = []
    with watching(tmp_path / "link", hook=seen.extend) as watch:
        obsidian_save(tmp_path / "link" / NOTE)
        assert watch.settle() == [NOTE]
    assert seen[0] == (tmp_path / "real" / NOTE).resolve()


def test_a_double_save_within_the_quiet_time_is_one_report(tmp_path: Path) -> None:
    # a longer quiet time, so that two saves one after the other are within it even on a
    # machine that stalls a test for a moment
    with watching(tmp_path / "vault", quiet=1.0) as watch:
        obsidian_save(watch.vault / NOTE)
        obsidian_save(watch.vault / NOTE, KO + "\n두 번째 저장.\n")
        assert watch.settle() == [NOTE]


def test_a_note_saved_again_and_again_is_reported_once_quiet_after_the_last_save(
    tmp_path: Path,
) -> None:
    """The quiet time runs from the last event, not the first: saves 0.25 s apart over longer
    than the quiet time are still one save."""
    seen: list[float] = []
    with watching(
        tmp_path / "vault", quiet=1.0, hook=lambda paths: seen.append(time.monotonic())
    ) as watch:
        for n in range(6):
            last_save = time.monotonic()  # before: its events come after this
            obsidian_save(watch.vault / NOTE, KO + "한 글자 더." * n)
            if n < 5:
                time.sleep(0.25)  # drives the test; nothing is asserted from it
        assert watch.settle() == [NOTE]
    assert seen[0] - last_save >= 1.0 - 0.05


def test_two_saves_far_apart_are_two_reports(tmp_path: Path) -> None:
    with watching(tmp_path / "vault") as watch:
        obsidian_save(watch.vault / NOTE)
        watch.wait_reported(NOTE)
        obsidian_save(watch.vault / NOTE, KO + "\n고쳤습니다.\n")
        watch.wait_for(lambda: watch.reported().count(NOTE) == 2)
        assert watch.settle() == [NOTE, NOTE]


def test_a_save_through_a_temporary_file_renamed_over_the_note(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    obsidian_save(vault / NOTE)  # before watching: not itself reported
    with watching(vault, quiet=1.0) as watch:  # three saves in a row, even on a stalled machine
        for temporary in (".250101 A Paper.md.swp", "250101 A Paper.md.tmp", "4913"):
            obsidian_save(vault / "arXiv" / temporary, KO + "\n고친 글.\n")
            os.replace(vault / "arXiv" / temporary, vault / NOTE)
        assert watch.settle() == [NOTE]


def test_a_note_created_elsewhere_and_moved_in_is_reported(tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    obsidian_save(outside)
    with watching(tmp_path / "vault") as watch:
        (watch.vault / "arXiv").mkdir()
        os.replace(outside, watch.vault / NOTE)
        assert watch.settle() == [NOTE]


# -- renames, moves, folders ---------------------------------------------------------------------
def test_a_renamed_note_is_reported_at_its_new_path_only(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    obsidian_save(vault / NOTE)
    with watching(vault) as watch:
        os.rename(vault / NOTE, vault / "arXiv/250101 A Better Name.md")
        assert watch.settle() == ["arXiv/250101 A Better Name.md"]


def test_a_note_saved_then_renamed_before_it_is_quiet_is_reported_once_at_its_new_path(
    tmp_path: Path,
) -> None:
    with watching(tmp_path / "vault", quiet=1.0) as watch:
        obsidian_save(watch.vault / NOTE)
        os.rename(watch.vault / NOTE, watch.vault / "arXiv/250101 Renamed.md")
        assert watch.settle() == ["arXiv/250101 Renamed.md"]


def test_a_note_moved_into_a_year_folder(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    obsidian_save(vault / NOTE)
    with watching(vault) as watch:
        (vault / "arXiv/2025").mkdir()
        os.rename(vault / NOTE, vault / "arXiv/2025/250101 A Paper.md")
        assert watch.settle() == ["arXiv/2025/250101 A Paper.md"]


def test_a_renamed_folder_has_its_notes_reported_under_the_new_name(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    names = ["241201 One.md", "241202 Two.md", "sub/241203 Three.md"]
    for name in names:
        obsidian_save(vault / "arXiv/2024" / name)
    obsidian_save(vault / "arXiv/2024/.hidden/241204 Four.md")
    with watching(vault) as watch:
        os.rename(vault / "arXiv/2024", vault / "arXiv/Year 2024")
        reported = watch.settle()
    assert sorted(reported) == [f"arXiv/Year 2024/{name}" for name in names]


def test_a_folder_moved_in_from_outside_the_vault_has_its_notes_reported(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    obsidian_save(outside / "241201 One.md")
    obsidian_save(outside / "deeper/241202 Two.md")
    with watching(tmp_path / "vault") as watch:
        os.rename(outside, watch.vault / "arXiv")
        reported = watch.settle()
    assert sorted(reported) == ["arXiv/241201 One.md", "arXiv/deeper/241202 Two.md"]


def test_a_folder_move_seen_as_one_event_has_its_notes_walked(tmp_path: Path) -> None:
    """Where the system reports a renamed folder as one event and nothing for what is in it,
    the folder is walked once it is quiet (its hidden folders and odd files left out)."""
    vault = tmp_path / "vault"
    for name in ("Year 2024/241201 One.md", "Year 2024/sub/241202 Two.md", "Year 2024/.x/3.md"):
        obsidian_save(vault / name)
    pending = _Pending(vault, quiet=0.0)
    recorder = _Recorder(pending)
    recorder.dispatch(DirMovedEvent(str(vault / "2024"), str(vault / "Year 2024")))
    recorder.dispatch(DirMovedEvent(str(vault / "a"), str(vault / ".trash/a")))  # hidden: no walk
    assert [p.relative_to(vault).as_posix() for p in pending.take_quiet()] == [
        "Year 2024/241201 One.md",
        "Year 2024/sub/241202 Two.md",
    ]
    assert pending.take_quiet() == [] and pending.next_due() is None


# -- deletions and what is never a note ------------------------------------------------------------
def test_a_deleted_note_is_never_reported(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    obsidian_save(vault / "arXiv/250102 Old.md")
    obsidian_save(vault / "arXiv/250103 Trashed.md")
    with watching(vault, quiet=1.0) as watch:
        obsidian_save(vault / NOTE)
        (vault / NOTE).unlink()  # saved, then deleted before it was quiet
        (vault / "arXiv/250102 Old.md").unlink()
        (vault / ".trash").mkdir()  # Obsidian's delete: a move into .trash
        os.rename(vault / "arXiv/250103 Trashed.md", vault / ".trash/250103 Trashed.md")
        assert watch.settle() == []


def test_a_deleted_folder_drops_its_pending_notes(tmp_path: Path) -> None:
    with watching(tmp_path / "vault", quiet=1.0) as watch:
        obsidian_save(watch.vault / "arXiv/2025/250101 A.md")
        obsidian_save(watch.vault / "arXiv/2025/250102 B.md")
        shutil.rmtree(watch.vault / "arXiv/2025")
        assert watch.settle() == []


def test_hidden_folders_hidden_files_and_temporary_files_are_ignored(tmp_path: Path) -> None:
    with watching(tmp_path / "vault") as watch:
        for name in (
            ".obsidian/workspace.md",
            ".obsidian/plugins/x/data.json",
            ".trash/250101 Gone.md",
            ".digest/lock",
            "arXiv/.hidden/250102 Note.md",
            "arXiv/.250103 Hidden.md",
            "arXiv/.dg0123abcd.tmp",
            "arXiv/250104 Note.md.tmp",
            "arXiv/notes.txt",
        ):
            obsidian_save(watch.vault / name)
        assert watch.settle() == []


def test_fifos_and_sockets_named_like_notes_are_never_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with watching(tmp_path / "vault") as watch:
        (watch.vault / "arXiv").mkdir()
        os.mkfifo(watch.vault / "arXiv/250101 FIFO.md")
        monkeypatch.chdir(watch.vault)  # a socket's path is short: relative to here
        with socket.socket(socket.AF_UNIX) as server:
            server.bind("arXiv/250102 Socket.md")
            assert watch.settle() == []


# -- the callback ----------------------------------------------------------------------------------
def test_callbacks_never_overlap_and_saves_meanwhile_come_next(tmp_path: Path) -> None:
    entered = threading.Event()
    release = threading.Event()
    active = [0, 0]  # now, most at once

    def slow(paths: list[Path]) -> None:
        active[0] += 1
        active[1] = max(active)
        entered.set()
        release.wait(WAIT)
        active[0] -= 1

    with watching(tmp_path / "vault", hook=slow) as watch:
        obsidian_save(watch.vault / NOTE)
        assert entered.wait(WAIT)
        obsidian_save(watch.vault / "arXiv/250102 B.md")
        obsidian_save(watch.vault / "arXiv/250103 C.md")
        obsidian_save(watch.vault / NOTE, KO + "\n또 저장.\n")
        release.set()
        reported = watch.settle()
    assert active[1] == 1
    assert watch.calls[0] == [NOTE]
    assert sorted(reported[1:]) == sorted([NOTE, "arXiv/250102 B.md", "arXiv/250103 C.md"])


def test_a_note_the_callback_writes_into_comes_back_once(tmp_path: Path) -> None:
    def sync(paths: list[Path]) -> None:
        """As sync does: write the English into a note that has none, through a temporary
        file renamed over it (vault.replace_note); a note with English is left alone."""
        for path in paths:
            data = path.read_bytes()
            if b"English" not in data:
                replace_note(path, data + b"\nEnglish.\n", data)

    with watching(tmp_path / "vault", hook=sync) as watch:
        obsidian_save(watch.vault / NOTE)
        watch.wait_for(lambda: watch.reported().count(NOTE) == 2)  # the save, then sync's write
        assert watch.settle() == [NOTE, NOTE]
    assert (watch.vault / NOTE).read_text(encoding="utf-8").endswith("English.\n")


def test_an_exception_in_the_callback_ends_the_watch_and_propagates(tmp_path: Path) -> None:
    def broken(paths: list[Path]) -> None:
        raise ValueError("a bug in sync")

    with watching(tmp_path / "vault", hook=broken) as watch:
        obsidian_save(watch.vault / NOTE)
        watch.wait_for(lambda: watch.ended)
    assert isinstance(watch.error, ValueError)


# -- ending --------------------------------------------------------------------------------------
def test_stop_ends_the_watch_promptly_without_reporting_what_is_pending(tmp_path: Path) -> None:
    with watching(tmp_path / "vault", quiet=30.0) as watch:
        obsidian_save(watch.vault / NOTE)
        started = time.monotonic()
        watch.stop.set()
        watch.thread.join(WAIT)
        took = time.monotonic() - started
    assert watch.error is None and watch.calls == []
    print(f"stop ended the watch in {took * 1000:.0f} ms")


@pytest.mark.parametrize(
    ("code", "kind", "advice"),
    [
        (errno.ENOSPC, EnvironmentFailure, "fs.inotify.max_user_watches"),
        (errno.EMFILE, EnvironmentFailure, "fs.inotify.max_user_instances"),
        (errno.ENOENT, InputError, "does not exist"),
        (errno.EACCES, InputError, "permission denied"),
        (errno.EIO, EnvironmentFailure, "Input/output error"),
    ],
)
def test_why_a_vault_cannot_be_watched_is_named(
    code: int, kind: type[DigestError], advice: str
) -> None:
    error = _cannot_watch(Path("/vault"), OSError(code, os.strerror(code)))
    assert type(error) is kind and advice in str(error) and "/vault" in str(error)


def test_a_vault_that_does_not_exist_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        watch_notes(tmp_path / "nowhere", lambda paths: None, stop=threading.Event())
    assert not watcher_threads()


@pytest.mark.parametrize("how", ["deleted", "renamed"])
def test_a_vault_that_goes_away_ends_the_watch_with_an_input_error(
    tmp_path: Path, how: str
) -> None:
    with watching(tmp_path / "vault") as watch:
        obsidian_save(watch.vault / NOTE)
        if how == "deleted":
            shutil.rmtree(watch.vault)
        else:
            os.rename(watch.vault, tmp_path / "elsewhere")
        watch.wait_for(lambda: watch.ended)
    assert isinstance(watch.error, InputError)
    assert "while watched" in str(watch.error)


CTRL_C_SCRIPT = textwrap.dedent(
    """
    import sys, threading, time
    from pathlib import Path
    from watchdog.utils import BaseThread
    from pipeline.watch import watch_notes

    vault, mode = Path(sys.argv[1]), sys.argv[2]
    ready = threading.Event()

    def announce():
        ready.wait()
        print("ready", flush=True)

    def on_saved(paths):
        print("saved", flush=True)
        if mode == "busy":
            time.sleep(60)

    threading.Thread(target=announce, daemon=True).start()
    try:
        watch_notes(vault, on_saved, quiet=0.2, ready=ready)
    except KeyboardInterrupt:
        left = [t.name for t in threading.enumerate() if isinstance(t, BaseThread) and t.is_alive()]
        print("interrupted", left, flush=True)
        sys.exit(130)
    """
)


@pytest.mark.parametrize("mode", ["idle", "busy"])
def test_ctrl_c_in_a_real_process_ends_the_watch_promptly(tmp_path: Path, mode: str) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    script = tmp_path / "watch_script.py"
    script.write_text(CTRL_C_SCRIPT, encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, str(script), str(vault), mode],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        if mode == "busy":  # Ctrl-C while the callback works
            obsidian_save(vault / NOTE)
            assert process.stdout.readline().strip() == "saved"
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=WAIT)
        took = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, err
    assert out.strip().splitlines()[-1] == "interrupted []", (out, err)
    assert "Traceback" not in err
    print(f"Ctrl-C ({mode}) ended the watching process in {took * 1000:.0f} ms")
