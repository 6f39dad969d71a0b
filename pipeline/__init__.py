"""digest: a bilingual daily digest of arXiv papers, one Korean comment at a time."""

# `_signal` is the builtin under `signal`, loaded with Python itself: taking Ctrl-C here costs no
# import (importing `signal` builds its enums, time enough on a busy machine for a Ctrl-C to land
# in it and be a traceback). `os` is loaded with Python too.
import _signal
import os

__version__ = "0.1.0"


def interrupted_at_start(signum: int, frame: object) -> None:
    """Ctrl-C before a command has begun: nothing was done yet, so leave at once, with one line
    and exit 130 (no traceback out of an import half done)."""
    os.write(2, b"Error: interrupted before anything was done\n")
    os._exit(130)


def take_ctrl_c_at_start() -> None:
    """From here until the command runs, Ctrl-C ends the process cleanly; unless it is ignored
    (a background job's), which stays so."""
    if _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler:
        _signal.signal(_signal.SIGINT, interrupted_at_start)


def main() -> None:
    """The `digest` command. Ctrl-C is taken from this first instruction, before the command
    line's modules load (a tenth of a second and more, during which an interrupt would
    otherwise be a traceback out of some import)."""
    take_ctrl_c_at_start()
    from pipeline.cli import main as run

    run()
