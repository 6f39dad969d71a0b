"""Terminal I/O in one object: the streams, whether they are terminals, colour, and progress.

Commands write through it, so that a test swaps the streams (or says stdin is a terminal)
instead of faking a pseudo-terminal, in the manner of httpie's `Environment`.
"""

from __future__ import annotations

import io
import os
import sys
import threading
from dataclasses import dataclass, field
from typing import BinaryIO, TextIO

from pipeline.errors import redact
from pipeline.text import printable


@dataclass
class Console:
    stdin: BinaryIO
    stdout: TextIO
    stderr: TextIO
    stdin_isatty: bool = False
    stdout_isatty: bool = False
    stderr_isatty: bool = False
    no_color: bool = False
    # the progress bar drawn on stderr's last line, without its newline ("" when none)
    _status: str = field(default="", init=False, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False)

    @classmethod
    def from_system(cls) -> Console:
        # a closed stdin (`digest … <&-`) reads as empty input
        stdin = sys.stdin.buffer if sys.stdin is not None else io.BytesIO()
        return cls(
            stdin=stdin,
            stdout=sys.stdout,
            stderr=sys.stderr,
            stdin_isatty=_isatty(sys.stdin),
            stdout_isatty=_isatty(sys.stdout),
            stderr_isatty=_isatty(sys.stderr),
            no_color=bool(os.environ.get("NO_COLOR")),
        )

    @property
    def color(self) -> bool:
        """Colour on stdout: a terminal, and NO_COLOR not set (https://no-color.org)."""
        return self.stdout_isatty and not self.no_color

    def out(self, text: str = "", nl: bool = True, styled: bool = False) -> None:
        """Results: stdout, so that they can be piped and redirected. Nothing that drives a
        terminal (an escape sequence, a control character a reply carried) is written, but the
        styles of text already made printable (`styled`: a review's colours)."""
        text = text if styled else printable(text)
        with self._lock:
            shared = self._status and self.stdout_isatty  # one terminal: the bar's line first
            if shared:
                self._clear_status()
            self.stdout.write(text + ("\n" if nl else ""))
            self.stdout.flush()
            if shared:
                self.stderr.write(self._status)
                self.stderr.flush()

    def err(self, text: str = "", nl: bool = True) -> None:
        """Progress and diagnostics: stderr, never with a key in them (see redact). A message
        printed while a progress bar is drawn takes the bar's line, and the bar is drawn again
        below it, so that the two never share a line (workers log from their own threads)."""
        with self._lock:
            if self._status:
                self._clear_status()
            self.stderr.write(printable(redact(text)) + ("\n" if nl else ""))
            if not nl:
                self._status = ""  # a line of the caller's own: the bar gave way to it
            elif self._status:
                self.stderr.write(self._status)
            self.stderr.flush()

    def status(self, text: str) -> None:
        """Draw a line that stays at the foot of stderr (a progress bar) until the next one, or
        until end_status(); messages print above it. Only for a terminal."""
        with self._lock:
            self._clear_status()
            self._status = text
            self.stderr.write(text)
            self.stderr.flush()

    def end_status(self) -> None:
        """Take the progress bar away (the batch is over, or interrupted)."""
        with self._lock:
            if self._status:
                self._clear_status()
                self._status = ""
                self.stderr.flush()

    def _clear_status(self) -> None:
        if self._status:
            self.stderr.write("\r\x1b[K")

    def read_stdin(self) -> str:
        """Piped input as text: UTF-8 (a BOM dropped) of at most a comment's input size (read no
        further: `< /dev/zero` is refused at once), or one clear error."""
        from pipeline.comment import MAX_INPUT_CHARS, read_stream

        return read_stream(self.stdin, "stdin", MAX_INPUT_CHARS)

    def ask(self, question: str) -> bool:
        """A yes/no question on the terminal (no by default; an empty or closed stdin is no)."""
        self.end_status()
        self.err(f"{question} [y/N] ", nl=False)
        answer = self.stdin.readline(64).decode("utf-8", "replace").strip().lower()
        return answer in ("y", "yes")

    def progress(self, total: int) -> Progress:
        return Progress(self, total)


def _isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return False


@dataclass
class Progress:
    """A batch's progress on stderr: one line per item, in input order (an item is listed as
    soon as all before it are done), and on a terminal a bar counting every finished item."""

    console: Console
    total: int
    done: int = 0
    _lines: dict[int, list[str]] = field(default_factory=dict)
    _next: int = 0

    WIDTH = 24

    @property
    def bar(self) -> bool:
        return self.console.stderr_isatty

    def finished(self, index: int, lines: list[str]) -> None:
        """Item `index` (0-based, input order) is done; `lines` describe it."""
        self.done += 1
        self._lines[index] = lines
        while self._next in self._lines:
            for line in self._lines.pop(self._next):
                self.console.err(line)  # above the bar (the console ends the bar's line first)
            self._next += 1
        self._draw()

    def _draw(self) -> None:
        if self.bar and self.total:
            filled = self.WIDTH * self.done // self.total
            bar = "#" * filled + "." * (self.WIDTH - filled)
            self.console.status(f"[{bar}] {self.done}/{self.total}")

    def close(self) -> None:
        if self.bar:
            self.console.end_status()
