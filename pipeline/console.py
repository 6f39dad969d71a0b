"""Terminal I/O in one object: the streams, whether they are terminals, colour, and progress.

Commands write through it, so that a test swaps the streams (or says stdin is a terminal)
instead of faking a pseudo-terminal, in the manner of httpie's `Environment`.
"""

from __future__ import annotations

import io
import os
import sys
from dataclasses import dataclass, field
from typing import BinaryIO, TextIO

from pipeline.errors import redact


@dataclass
class Console:
    stdin: BinaryIO
    stdout: TextIO
    stderr: TextIO
    stdin_isatty: bool = False
    stdout_isatty: bool = False
    stderr_isatty: bool = False
    no_color: bool = False

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

    def out(self, text: str = "", nl: bool = True) -> None:
        """Results: stdout, so that they can be piped and redirected."""
        self.stdout.write(text + ("\n" if nl else ""))
        self.stdout.flush()

    def err(self, text: str = "", nl: bool = True) -> None:
        """Progress and diagnostics: stderr, never with a key in them (see redact)."""
        self.stderr.write(redact(text) + ("\n" if nl else ""))
        self.stderr.flush()

    def read_stdin(self) -> str:
        """Piped input as text: UTF-8 (a BOM dropped) of at most a comment's input size (read no
        further: `< /dev/zero` is refused at once), or one clear error."""
        from pipeline.comment import MAX_INPUT_CHARS, read_stream

        return read_stream(self.stdin, "stdin", MAX_INPUT_CHARS)

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
                self.console.err(("\r\x1b[K" if self.bar else "") + line)
            self._next += 1
        self._draw()

    def _draw(self) -> None:
        if self.bar and self.total:
            filled = self.WIDTH * self.done // self.total
            bar = "#" * filled + "." * (self.WIDTH - filled)
            self.console.err(f"\r[{bar}] {self.done}/{self.total}", nl=False)

    def close(self) -> None:
        if self.bar:
            self.console.err("\r\x1b[K", nl=False)
