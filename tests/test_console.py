"""What the terminal shows (issue 27, item 7): a message never shares a line with the progress
bar; one line says how many papers arXiv is asked for; one draft on a terminal shows its title,
comments and tags (the whole entry with --print / -v, and always on a pipe, as the contract says);
a batch's lines come in input order."""

from __future__ import annotations

import io
from pathlib import Path

from pipeline.cli import run as run_cli
from pipeline.console import Console
from tests.cli_helpers import Result, run
from tests.conftest import TRANSLATIONS, dictionary_translator
from tests.servers import ArxivServer, FakePaper, OpenAIServer

DATE = "2025-06-24"
KO = "PRM. 각 단계가 일관되는지, 추론의 템플릿이 적절한지 등을 평가하게 했군요."
EN = TRANSLATIONS[KO]
TITLE = "ReasonFlux-PRM: Trajectory-Aware PRMs for Long Chain-of-Thought Reasoning in LLMs"


def screen(stream: str) -> list[str]:
    """The lines a terminal shows for what was written: \\r returns, ESC[K clears to the end."""
    lines, column, i = [""], 0, 0
    while i < len(stream):
        if stream.startswith("\x1b[K", i):
            lines[-1] = lines[-1][:column]
            i += 3
            continue
        char = stream[i]
        if char == "\r":
            column = 0
        elif char == "\n":
            lines.append("")
            column = 0
        else:
            line = lines[-1].ljust(column)
            lines[-1] = line[:column] + char + line[column + 1 :]
            column += 1
        i += 1
    return lines


def terminal(*args: str, stdout_tty: bool = False, stderr_tty: bool = False) -> Result:
    out, err = io.StringIO(), io.StringIO()
    console = Console(
        stdin=io.BytesIO(),
        stdout=out,
        stderr=err,
        stdout_isatty=stdout_tty,
        stderr_isatty=stderr_tty,
        no_color=True,
    )
    code = run_cli(list(args), console)
    return Result(code, out.getvalue(), err.getvalue())


def test_a_message_during_a_progress_bar_takes_a_line_of_its_own() -> None:
    err = io.StringIO()
    console = Console(stdin=io.BytesIO(), stdout=io.StringIO(), stderr=err, stderr_isatty=True)
    progress = console.progress(4)
    progress.finished(0, ["[1/4] 2506.00001: ready"])
    console.err("2506.19033: asking the model again (Hangul left)")
    console.err("2506.19033: asking the model again (Hangul left)")
    progress.finished(1, ["[2/4] 2506.19033: ready"])
    progress.close()
    shown = screen(err.getvalue())
    assert shown == [
        "[1/4] 2506.00001: ready",
        "2506.19033: asking the model again (Hangul left)",
        "2506.19033: asking the model again (Hangul left)",
        "[2/4] 2506.19033: ready",
        "",  # the bar is gone at the end
    ]
    # while the batch ran, the bar stood alone on the last line, drawn again under a message
    assert "(Hangul left)\n[######..................] 1/4\r\x1b[K" in err.getvalue()


def test_a_repair_in_a_batch_on_a_terminal(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    ids = ["2506.00001", "2506.19033"]
    for paper_id in ids:
        arxiv_server.add(FakePaper(paper_id, f"Paper {paper_id}", ["A"], "Abstract."))
    asked: list[str] = []

    def hangul_first(request: dict) -> str:
        asked.append("x")
        return "각 단계 PRM." if len(asked) == 1 else dictionary_translator(request)

    model_server.responder = hangul_first
    Path("n.txt").write_text("\n\n".join(f"{i}\n{KO}" for i in ids), encoding="utf-8")
    result = terminal("draft", "--notes", "n.txt", "--date", DATE, "--jobs", "1", stderr_tty=True)
    assert result.code == 0, result.stderr
    shown = screen(result.stderr)
    repair = [line for line in shown if "asking the model again" in line]
    assert len(repair) == 1 and repair[0].startswith("2506.00001: asking the model again (")
    assert "[1/2] 2506.00001: ready" in shown and "[2/2] 2506.19033: ready" in shown
    assert not any(line.startswith("[#") or line.startswith("[.") for line in shown)


def test_one_line_with_the_true_count_of_papers_asked_for(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    for n in (1, 2):
        arxiv_server.add(FakePaper(f"2506.0000{n}", f"Paper {n}", ["A"], "Abstract."))
    assert run("draft", "2506.18896", "--comment", KO, "--date", "2025-06-23").code == 0
    notes = "\n\n".join(f"{i}\n{KO}" for i in ("2506.18896", "2506.00001", "2506.00002"))
    Path("n.txt").write_text(notes, encoding="utf-8")
    result = run("draft", "--notes", "n.txt", "--date", DATE)
    assert result.code == 0, result.stderr
    fetching = [line for line in result.stderr.splitlines() if "etching" in line]
    assert fetching == ["arXiv: fetching 2 papers"]  # the third is in the cache
    assert len(arxiv_server.requests) == 2


def test_one_draft_on_a_terminal_shows_the_title_the_comments_and_the_tags(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    args = ["draft", "2506.18896", "--comment", KO, "--tags", "rl", "--date", DATE]
    short = terminal(*args, stdout_tty=True)
    assert short.code == 0, short.stderr
    assert short.stdout == f"{TITLE}\n{KO}\n{EN}\n#rl\n"
    whole = f"{TITLE}\n(Jiaru Zou, Ling Yang, Jingwen Gu)\n"
    for flag in ("--print", "-v"):
        shown = terminal(*args, flag, stdout_tty=True)
        assert shown.stdout.startswith(whole) and shown.stdout.endswith(f"{KO}\n{EN}\n#rl\n")
        assert "Projects: https://github.com/Gen-Verse/ReasonFlux" in shown.stdout
    # a pipe or a file gets the entry in the digest text format, as the contract says
    piped = terminal(*args)
    assert piped.stdout == terminal(*args, "--print", stdout_tty=True).stdout
    again = terminal("translate", "2506.18896", stdout_tty=True)
    assert again.stdout == f"{TITLE}\n{KO}\n{EN}\n#rl\n"


def test_batch_progress_is_listed_in_input_order(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """The first entry is the slowest; its line still comes first."""
    ids = [f"2506.{n:05d}" for n in range(1, 5)]
    for paper_id in ids:
        arxiv_server.add(FakePaper(paper_id, f"Paper {paper_id}", ["A"], "Abstract."))
    notes = "\n\n".join(f"{i}\n{KO} ({chr(ord('a') + n)})" for n, i in enumerate(ids))
    (isolated / "day.txt").write_text(notes, encoding="utf-8")

    def answer(request: dict) -> str:
        import time

        comment = request["messages"][-1]["content"]
        if "(a)" in comment:
            time.sleep(0.5)  # the first entry finishes last
        return f"A PRM. It judges whether the steps are coherent ({comment[-5]})."

    model_server.responder = answer
    result = run("draft", "--notes", "day.txt", "--date", DATE)
    lines = [line for line in result.stderr.splitlines() if line.startswith("[")]
    assert [line.split("]")[0] for line in lines] == ["[1/4", "[2/4", "[3/4", "[4/4"]
    assert [line.split(" ")[1].rstrip(":") for line in lines] == ids
