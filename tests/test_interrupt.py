"""Ctrl-C keeps what the author typed and names the command that finishes the rest, a batch stops
at once, and a batch's summary advises only what helps (issue 27, item 5)."""

from __future__ import annotations

import io
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import pytest

from pipeline.cli import Interrupted
from pipeline.cli import run as run_cli
from pipeline.console import Console
from pipeline.workflow import Workflow
from tests.cli_helpers import EN, load_draft, run, start, wait_for
from tests.servers import ArxivServer, FakePaper, Fault, OpenAIServer

DATE = "2025-06-24"
KO = "PRM. 각 단계가 일관되는지, 추론의 템플릿이 적절한지 등을 평가하게 했군요."


def interrupted(*args: str) -> Interrupted:
    console = Console(stdin=io.BytesIO(), stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(Interrupted) as caught:
        run_cli(list(args), console)
    return caught.value


def test_ctrl_c_during_a_translation_names_translate(
    arxiv_server: ArxivServer,
    model_server: OpenAIServer,
    isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def ctrl_c(self: Workflow, *args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(Workflow, "translate", ctrl_c)
        stopped = interrupted("draft", "2506.18896", "--comment", KO, "--date", DATE)
    assert stopped.resume == f"digest translate 2506.18896 --date {DATE}"
    assert load_draft(isolated, DATE, "2506.18896")["status"] == "awaiting-translation"
    finished = run(*shlex.split(stopped.resume)[1:])
    assert finished.code == 0 and load_draft(isolated, DATE, "2506.18896")["status"] == "ready"


def test_ctrl_c_before_the_paper_is_fetched_names_draft(
    arxiv_server: ArxivServer,
    model_server: OpenAIServer,
    isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pipeline.arxiv import ArxivClient

    def ctrl_c(self: ArxivClient, *args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(ArxivClient, "fetch", ctrl_c)
        stopped = interrupted("draft", "2506.18896", "--date", DATE, "--comment", KO)
    assert stopped.resume == f"digest draft 2506.18896 --date {DATE}"  # no comment to type again
    finished = run(*shlex.split(stopped.resume)[1:])
    assert finished.code == 0, finished.stderr
    assert load_draft(isolated, DATE, "2506.18896")["status"] == "ready"


def test_ctrl_c_in_a_batch_names_the_same_command(
    arxiv_server: ArxivServer,
    model_server: OpenAIServer,
    isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = [f"2506.{n:05d}" for n in range(1, 4)]
    for paper_id in ids:
        arxiv_server.add(FakePaper(paper_id, f"Paper {paper_id}", ["A"], "Abstract."))
    Path("day notes.txt").write_text("\n\n".join(f"{i}\n{KO}" for i in ids), encoding="utf-8")
    args = ["draft", "--notes", "day notes.txt", "--date", DATE, "--jobs", "1"]
    real = Workflow.translate
    calls: list[str] = []

    def ctrl_c_on_the_second(self: Workflow, entry, *rest, **kwargs):
        calls.append(entry.id)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, entry, *rest, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(Workflow, "translate", ctrl_c_on_the_second)
        stopped = interrupted(*args)
    assert stopped.resume == "digest draft --notes 'day notes.txt' --date 2025-06-24 --jobs 1"
    again = run(*shlex.split(stopped.resume)[1:])
    assert again.code == 0 and "Summary: 3 ready" in again.stderr
    assert "[1/3] 2506.00001: unchanged" in again.stderr  # what was done stays done


def test_the_message_of_a_real_ctrl_c(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    model_server.latency = 30
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "draft", "2506.18896", "--comment", KO, "--date", DATE],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while not model_server.requests:
        assert time.monotonic() < deadline, "no request"
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 130
    assert stderr.strip().splitlines()[-1] == (
        "Error: interrupted; what was saved so far is intact; to finish the rest: "
        f"digest translate 2506.18896 --date {DATE}"
    )


def test_a_batch_summary_advises_only_what_helps(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    model_server.faults = [Fault(503)] * 4  # every try of the one translation
    Path("n.txt").write_text(f"2506.18896\n{KO}\n\n2506.99999\n{KO}\n", encoding="utf-8")
    result = run("draft", "--notes", "n.txt", "--date", DATE)
    assert result.code == 3
    lines = result.stderr.splitlines()
    assert "  failed: 2506.18896 (run the same command again to retry them)" in lines
    assert "  failed: 2506.99999 (fix each as its error above says)" in lines
    assert not any("2506.99999" in line and "again" in line for line in lines)


def test_ctrl_c_during_translation_keeps_the_comment(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    model_server.latency = 30
    proc = start(["draft", "2506.18896", "--comment", KO, "--date", DATE])
    wait_for(lambda: len(model_server.requests) == 1)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 130 and "Traceback" not in stderr
    assert "interrupted" in stderr
    entry = load_draft(isolated, DATE, "2506.18896")
    assert entry["comment_ko"] == KO and entry["status"] == "awaiting-translation"
    model_server.latency = 0
    assert run("translate", "2506.18896").code == 0


def test_ctrl_c_during_a_batch_exits_at_once(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    ids = [f"2506.{i:05d}" for i in range(1, 5)]
    for paper_id in ids:
        arxiv_server.add(FakePaper(paper_id, paper_id, ["A"], "x"))
    (isolated / "n.txt").write_text("\n\n".join(f"{i}\n{KO}" for i in ids), encoding="utf-8")
    model_server.latency = 30
    proc = start(["draft", "--notes", "n.txt", "--date", DATE, "--jobs", "2"])
    wait_for(lambda: len(model_server.requests) == 2)
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=20)
    assert proc.returncode == 130 and time.monotonic() - started < 5
    for paper_id in ids:  # every comment is on disk, awaiting translation
        assert load_draft(isolated, DATE, paper_id)["status"] == "awaiting-translation"


@pytest.mark.parametrize("how", ["--comment", "stdin"])
def test_ctrl_c_while_arxiv_is_retried_keeps_the_comment(
    how: str, arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """What the author typed or piped is on disk before the first request."""
    arxiv_server.faults = [Fault(503)] * 50
    args = ["draft", "2506.18896", "--date", DATE]
    proc = (
        start([*args, "--comment", KO], env_retry_wait="1")
        if how == "--comment"
        else start(args, stdin=KO + "\n#rl\n", env_retry_wait="1")
    )
    wait_for(lambda: len(arxiv_server.requests) >= 1)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 130 and "Traceback" not in stderr
    # the message names the command that finishes the draft, with nothing to type again
    resume = f"to finish the rest: digest draft 2506.18896 --date {DATE}"
    assert stderr.strip().splitlines()[-1].endswith(resume), stderr
    assert load_draft(isolated, DATE, "2506.18896")["comment_ko"] == KO
    arxiv_server.faults = []
    finished = run("draft", "2506.18896", "--date", DATE)
    assert finished.code == 0, finished.stderr
    assert load_draft(isolated, DATE, "2506.18896")["comment_en"] == EN


def test_ctrl_c_wrapped_by_python_while_a_class_is_made_is_an_interrupt(isolated: Path) -> None:
    """Python 3.11 reports a Ctrl-C landing in `__set_name__` while a module loads as a
    RuntimeError caused by the KeyboardInterrupt: it is the interrupt, exit 130 and one line."""
    import pipeline.cli as cli

    def wrapped(*args: object, **kwargs: object) -> object:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise RuntimeError("Error calling __set_name__ on 'Field' instance") from exc

    console = Console(io.BytesIO(), io.StringIO(), io.StringIO())
    with mock.patch.object(cli.cli, "main", wrapped), pytest.raises(Interrupted) as caught:
        cli.run(["export", "2025-06-24"], console)
    assert caught.value.resume == "digest export 2025-06-24"
    bug = RuntimeError("a real bug")
    with mock.patch.object(cli.cli, "main", side_effect=bug), pytest.raises(RuntimeError):
        cli.run(["export", "2025-06-24"], console)
