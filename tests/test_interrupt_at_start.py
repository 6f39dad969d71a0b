"""Ctrl-C in the first moments of `digest` (issue 25): from the first instruction of its main,
an interrupt is exit 130 and one line, never a traceback out of an import. Real processes,
interrupted at once and after a few early delays."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.cli_helpers import draft_file
from tests.servers import ArxivServer, OpenAIServer

DATE = "2025-06-24"
KO = "PRM. 각 단계가 일관되는지, 추론의 템플릿이 적절한지 등을 평가하게 했군요."
DELAYS = [0.0, 0.005, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 1.0, 2.0]


def digest_command() -> list[str]:
    """The console script the author runs, beside this Python (else `python -m pipeline`)."""
    script = Path(sys.executable).parent / "digest"
    return [str(script)] if script.exists() else [sys.executable, "-m", "pipeline"]


def interrupted_after(delay: float, args: list[str]) -> tuple[int, str]:
    proc = subprocess.Popen(
        [*digest_command(), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    try:
        _, stderr = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, stderr = proc.communicate()
        raise AssertionError(
            f"still running a minute after Ctrl-C at {delay} s:\n{stderr}"
        ) from None
    return proc.returncode, stderr


def frames(stderr: str) -> list[str]:
    return [line.strip() for line in stderr.splitlines() if line.strip().startswith('File "')]


@pytest.mark.slow
def test_ctrl_c_at_any_early_moment_is_exit_130_and_one_line(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    model_server.latency = 30  # the command would wait for the model: Ctrl-C ends it
    package = os.sep + "pipeline" + os.sep
    handled = 0
    for delay in DELAYS:
        code, stderr = interrupted_after(
            delay, ["draft", "2506.18896", "--comment", KO, "--date", DATE]
        )
        where = f"after {delay} s: exit {code}\n{stderr}"
        if "Traceback" in stderr:
            # only Python's own start may show one: its site hooks, before digest's first line
            assert not any(package in frame for frame in frames(stderr)), where
            continue
        if code == -signal.SIGINT:  # killed before Python took signals: no output at all
            assert stderr == "", where
            continue
        if code == 1 and stderr.strip() == "KeyboardInterrupt":
            continue  # Python's own start (site), before digest's first instruction: not ours
        assert code == 130, where
        errors = [line for line in stderr.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and errors[0].startswith("Error: interrupted"), where
        handled += 1
        path = draft_file(isolated, DATE, "2506.18896")
        if path.exists():  # interrupted after the comment was saved: whole, never half
            assert yaml.safe_load(path.read_text(encoding="utf-8"))["comment_ko"] == KO
    assert handled >= 3  # the later delays land in digest's own code, whatever the machine


def interrupted_while_loading(args: list[str]) -> tuple[int, str]:
    """Ctrl-C sent the moment the command line's modules are seen loading (Python's
    `-X importtime` reports each import as it completes: click is among the first of
    pipeline.cli's): the same moment on a quiet machine and a busy one."""
    proc = subprocess.Popen(
        [sys.executable, "-X", "importtime", "-m", "pipeline", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.split("|")[-1].strip() == "click":
            proc.send_signal(signal.SIGINT)
            break
    rest = proc.stderr.read()
    proc.wait(timeout=60)
    said = [line for line in rest.splitlines() if not line.startswith("import time:")]
    return proc.returncode, "\n".join(said)


@pytest.mark.slow
def test_ctrl_c_while_the_modules_load_says_nothing_was_done(isolated: Path) -> None:
    """While the command line's modules load, nothing has begun: the line says so. Sent as
    click is seen loaded, and after delays that span a quiet machine's loading (tens of
    milliseconds) and a busy one's (up to a second)."""
    seen = []
    package = os.sep + "pipeline" + os.sep
    loading = [interrupted_while_loading(["export", DATE]) for _ in range(3)]
    timed = [
        interrupted_after(delay, ["export", DATE])
        for delay in (0.03, 0.05, 0.08, 0.12, 0.2, 0.35, 0.5, 0.8)
    ]
    for code, stderr in loading + timed:
        assert not any(package in frame for frame in frames(stderr)), stderr
        if code == 130:
            seen.append(stderr.strip())
    assert "Error: interrupted before anything was done" in seen
    for line in seen:  # later, the command that finishes the rest is named
        assert line == "Error: interrupted before anything was done" or line.startswith(
            "Error: interrupted; what was saved so far is intact; to finish the rest: "
            "digest export 2025-06-24"
        ), line


def test_an_ignored_ctrl_c_stays_ignored(isolated: Path) -> None:
    """A background job started with Ctrl-C ignored (`digest … &` in a script) is not ended by
    it: digest takes Ctrl-C only where it was not ignored."""
    proc = subprocess.Popen(
        [*digest_command(), "export", DATE],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    for _ in range(5):
        time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "no drafts in" in stderr  # it ran to its own end


def test_a_ctrl_c_swallowed_somewhere_still_ends_the_command(tmp_path: Path) -> None:
    """An interrupt that lands in a finalizer or an import's lock callback is swallowed by
    Python ("Exception ignored in …"); the command ends all the same, with its one line."""
    script = tmp_path / "swallow.py"
    script.write_text(
        "import os, signal, sys, time\n"
        "import pipeline.cli as cli\n"
        "cli.INTERRUPT_GRACE = 1.0\n"
        "signal.signal(signal.SIGINT, cli._interrupt_handler(['draft', '2506.18896']))\n"
        "deadline, ready = time.monotonic() + 120, False\n"
        "while time.monotonic() < deadline:\n"
        "    try:\n"
        "        if not ready:\n"
        "            ready = True\n"
        "            print('ready', flush=True)\n"
        "        time.sleep(0.01)\n"
        "    except KeyboardInterrupt:\n"
        "        pass  # swallowed, as Python does in a finalizer\n"
        "sys.exit(0)\n",
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=90)
    assert proc.returncode == 130 and time.monotonic() - started < 60  # not the 120 s loop
    assert stderr.strip() == (
        "Error: interrupted; what was saved so far is intact; "
        "to finish the rest: digest draft 2506.18896"
    )


def test_a_ctrl_c_inside_the_import_machinery_ends_at_once_with_one_line(tmp_path: Path) -> None:
    """Python swallows an interrupt raised in its import machinery (a module lock's callback)
    and prints it as a traceback: one landing there ends the command at once, with its line."""
    script = tmp_path / "in_import.py"
    script.write_text(
        "import types\n"
        "import pipeline.cli as cli\n"
        "handler = cli._interrupt_handler(['draft', '2506.18896'])\n"
        "code = compile('pass', '<frozen importlib._bootstrap>', 'exec')\n"
        "frame = types.SimpleNamespace(f_code=code)\n"
        "handler(2, frame)\n"
        "print('went on')\n",
        encoding="utf-8",
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 130 and "went on" not in done.stdout
    assert done.stderr.strip() == (
        "Error: interrupted; what was saved so far is intact; "
        "to finish the rest: digest draft 2506.18896"
    )
