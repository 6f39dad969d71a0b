"""Every ```console example of README.md, replayed against the loopback servers (issue 26).

The README shows real output; this test keeps it so, as sqlite-utils' `cog --check README.md`
does: a recorded output that no longer matches what the tool prints fails here.

How a block is read: a line `$ COMMAND` (a quoted string may go on over several lines), then what
the command printed, stderr and stdout as one terminal shows them, up to the next `$` line. The
commands run in a sandbox: a temp folder standing in for the working folder `/tmp/digest` (a
clone of this repository, with its `drafts/` folder), another for the home folder `/home/me`
(`~`), the loopback arXiv and model servers, and the environment the README implies (the
defaults; `NO_COLOR`, as the diffs show `[-…-]`). `digest` runs in this process; stdin and stdout
are a terminal unless piped or redirected; stderr is not (a progress bar drawn and taken away
leaves the same lines). `make TARGET …` runs the command its recipe names, as `make -n` expands
it, in this process too (tests/test_cli.py runs the targets for real). A tiny shell takes
`echo "…" | …`, `… > FILE`, `export NAME=VALUE`, `cat FILE`, `~` and `# comments`; anything else
fails, naming the line.

Which sandbox: a block marked `<!-- replay: NAME -->` (the line before its fence) runs in the
sandbox NAME, which SETUPS builds the first time; a block without a marker runs in the sandbox of
the block before it when that one is in the same section, else in a fresh sandbox of its own.
Blocks of one sandbox run in README order: later ones see what earlier ones left (drafts, notes,
the cache). A block marked `<!-- not replayed: WHY -->` is not run, and NOT_REPLAYED_BLOCKS below
must name it, so that no skip is silent. BETWEEN says what happens between two commands of a block
when the README says so in a comment (`# 30 minutes later, arXiv answers`).

Only what cannot be the same from run to run is normalised, in the README and in the output
alike: the loopback servers' ports (`127.0.0.1:NNNN`), the sandbox's paths (shown as
`/tmp/digest` and `/home/me`; the repository's as `/tmp/digest`, the clone the author works
in), timings (`answered in 0.09 s`, `wall time: 1.3 s`, `retrying in 1.2s`) and the clock time a
pause ends (`until 14:47`). The README may elide: a line that is exactly `…` stands for any run of
lines, and a line ending in `…` for a line that starts with its text. Everything else, every
character and the order of the lines, must match.
"""

from __future__ import annotations

import difflib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import pytest

from pipeline.cli import run as run_cli
from pipeline.console import Console
from pipeline.note import Kind, read_note
from tests.conftest import DATA, REPO
from tests.servers import ArxivServer, FakePaper, OpenAIServer, last_user_comment

README = REPO / "README.md"
WORK, HOME = "/tmp/digest", "/home/me"  # the folders the README was recorded in
ELIDED = "…"


# -- the README's blocks --------------------------------------------------------------------------
@dataclass
class Command:
    line: int  # README line of its `$`
    text: str  # as typed, without the `$ `
    expected: list[str] = field(default_factory=list)


@dataclass
class Block:
    line: int  # README line of its fence
    section: str  # the heading above it
    marker: str | None  # the sandbox it names
    not_replayed: str | None  # why it is not run
    commands: list[Command]

    @property
    def name(self) -> str:
        first = self.commands[0].text.split("\n")[0] if self.commands else ""
        return f"README.md:{self.line} $ {first}"


MARKER = re.compile(r"<!-- replay: ([\w-]+) -->")
NOT_REPLAYED_MARKER = re.compile(r"<!-- not replayed: (.+?) -->")


def parse_readme(text: str) -> list[Block]:
    blocks: list[Block] = []
    lines = text.split("\n")
    section, fence, previous = "", None, ""
    for number, line in enumerate(lines, 1):
        if fence is not None:
            if line.startswith("```"):
                fence = None
            elif fence == "console":
                _add_line(blocks[-1], number, line)
            continue
        if line.startswith("```"):
            fence = line[3:].strip()
            if fence == "console":
                marker, skip = MARKER.fullmatch(previous), NOT_REPLAYED_MARKER.fullmatch(previous)
                blocks.append(
                    Block(
                        number,
                        section,
                        marker.group(1) if marker else None,
                        skip.group(1) if skip else None,
                        [],
                    )
                )
        elif line.startswith("#"):
            section = line.lstrip("#").strip()
        if line.strip():
            previous = line.strip()
    return blocks


def _add_line(block: Block, number: int, line: str) -> None:
    commands = block.commands
    if commands and not commands[-1].expected and not _complete(commands[-1].text):
        commands[-1].text += "\n" + line  # a quoted string goes on
    elif line.startswith("$ "):
        commands.append(Command(number, line[2:]))
    elif not commands:
        raise AssertionError(f"README.md:{number}: output before any `$` command")
    else:
        commands[-1].expected.append(line)


def _complete(text: str) -> bool:
    try:
        shlex.split(text, comments=True)
    except ValueError:  # "No closing quotation"
        return False
    return True


# -- the sandbox ------------------------------------------------------------------------------------
# The papers and the model of the README's examples. The model answers with the English the README
# shows for each comment (what a good model says; the tool's output around it is what is tested).
PAPERS = [
    FakePaper(
        "2506.18896",
        "ReasonFlux-PRM: Trajectory-Aware PRMs for Long Chain-of-Thought Reasoning in LLMs",
        ["Jiaru Zou", "Ling Yang", "Jingwen Gu", "Jiahao Qiu", "Ke Shen", "Jingrui He"]
        + ["Mengdi Wang"],
        "Process Reward Models (PRMs) have recently emerged as a powerful framework for "
        "supervising intermediate reasoning steps in large language models (LLMs). "
        "Projects: https://github.com/Gen-Verse/ReasonFlux",
    ),
    FakePaper(
        "2506.08737",
        "ReDit: Reward Dithering for Improved LLM Policy Optimization",
        ["Chenxing Wei", "Jiarui Yu", "Ying Tiffany He", "Hande Dong", "Yao Shu", "Fei Yu"],
        "DeepSeek-R1 has successfully enhanced Large Language Model (LLM) reasoning "
        "capabilities through its rule-based reward system.",
    ),
    FakePaper(
        "2506.12345",
        "LongWriter-Zero: Mastering Ultra-Long Text Generation via Reinforcement Learning",
        ["Yuhao Wu", "Yushi Bai", "Zhiqiang Hu", "Roy Ka-Wei Lee", "Juanzi Li"],
        "Ultra-long generation by large language models (LLMs) is a widely demanded scenario.",
    ),
    FakePaper(
        "2512.25001",
        "Recurrent Depth: Scaling Test-Time Compute with Looped Transformers",
        ["Ada Park", "Min-jun Lee"],
        "A looped Transformer reuses its layers to think longer on harder inputs.",
        published="2025-12-31T18:00:00Z",
        updated="2025-12-31T18:00:00Z",
    ),
]
ENGLISH = {
    "PRM. 각 단계가 일관되는지, 추론의 템플릿이 적절한지 등을 평가하게 했군요.": "A PRM. They made "
    "it evaluate things like whether the steps are coherent and whether the reasoning templates "
    "are appropriate.",
    "Reward에 노이즈를 추가하는 것으로 학습 속도를 가속시킬 수 있다는 연구 "
    "(https://www.arxiv.org/abs/2506.08737).": "Adding noise to the reward can speed up "
    "training (https://www.arxiv.org/abs/2506.08737).",
    "SFT 없이 RL로 장문을 생성하는 추론 모델을 학습. Continual Pretraining도 사용했군요.": "Training "
    "a reasoning model to write long-form text with RL, without SFT. They also used continual "
    "pretraining.",
    # what he writes in Obsidian under the note `digest new 2512.25001` made
    "같은 레이어를 반복해서 테스트 시점의 연산량을 늘리는 방법. 반복만으로 더 큰 모델에 가까운 성능을 "
    "낸다는 점이 흥미롭네요.": "A way to spend more compute at test time by repeating the same "
    "layers. Interesting that repetition alone comes close to a larger model.",
}
TODAY_TXT = """\
2506.08737
Reward에 노이즈를 추가하는 것으로 학습 속도를 가속시킬 수 있다는 연구 (https://www.arxiv.org/abs/2506.08737).
#rl

2506.12345
SFT 없이 RL로 장문을 생성하는 추론 모델을 학습. Continual Pretraining도 사용했군요.
#rl #long-context
"""
# what OpenAI reports for one translation by gpt-5-mini (the server's default is 10 and 10)
OPENAI_USAGE = {
    "prompt_tokens": 1184,
    "completion_tokens": 212,
    "total_tokens": 1396,
    "prompt_tokens_details": {"cached_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 128},
}


def readme_model(request: dict[str, Any]) -> str:
    comment = last_user_comment(request)
    return ENGLISH.get(comment, f"No English in the README's table for {comment!r}.")


class Sandbox:
    """The working folder, the home folder, the servers and the environment of one story."""

    def __init__(self, root: Path) -> None:
        self.work = root / "digest"  # /tmp/digest, a clone with its drafts folder
        self.home = root / "me"  # /home/me
        (self.work / "drafts").mkdir(parents=True)
        self.home.mkdir()
        self.arxiv = ArxivServer()
        for paper in PAPERS:
            self.arxiv.add(paper)
        self.model = OpenAIServer(responder=readme_model)
        self.env = {
            "HOME": str(self.home),
            "NO_COLOR": "1",
            "OPENAI_API_KEY": "sk-test-not-a-real-key-0123456789",
            "OPENAI_BASE_URL": self.model.url,
            "DIGEST_ARXIV_API_URL": self.arxiv.url,
            "DIGEST_ARXIV_ABS_URL": self.arxiv.abs_url,
            # only the waits are shorter (what they print is normalised); the rest is default
            "DIGEST_ARXIV_DELAY": "0",
            "DIGEST_RETRY_WAIT": "0.01",
        }
        # set by the isolation fixture for every other test; the README knows only the defaults
        self.unset = {
            "DIGEST_DRAFTS_DIR",
            "DIGEST_CACHE_DIR",
            "DIGEST_GLOSSARY",
            "DIGEST_RETRY_ATTEMPTS",
            "DIGEST_TIMEOUT",
            "XDG_CACHE_HOME",
        }

    def close(self) -> None:
        self.arxiv.close()
        self.model.close()

    @property
    def vault(self) -> Path:
        return self.home / "Obsidian"

    @contextmanager
    def inside(self) -> Iterator[None]:
        """os.environ and the current folder of a command of this sandbox."""
        saved, cwd = dict(os.environ), os.getcwd()
        for name in self.unset:
            os.environ.pop(name, None)
        os.environ.update(self.env)
        os.chdir(self.work)
        try:
            yield
        finally:
            os.chdir(cwd)
            os.environ.clear()
            os.environ.update(saved)

    def digest(
        self, args: list[str], stdin: str | None = None, stdout: TextIO | None = None
    ) -> tuple[int, str]:
        """`digest ARGS` in this process: its exit code and what the terminal shows."""
        screen = io.StringIO()
        console = Console(
            stdin=io.BytesIO((stdin or "").encode("utf-8")),
            stdout=stdout or screen,
            stderr=screen,
            stdin_isatty=stdin is None,
            stdout_isatty=stdout is None,
            no_color=True,
        )
        with self.inside(), redirect_stdout(stdout or screen), redirect_stderr(screen):
            code = run_cli(args, console)
        return code, screen.getvalue()

    def quietly(self, *args: str, stdin: str | None = None) -> None:
        """A command of a setup, which must succeed."""
        code, shown = self.digest(list(args), stdin)
        assert code == 0, f"setup: digest {shlex.join(args)} exited {code}:\n{shown}"

    def as_recorded(self, text: str) -> str:
        """The sandbox's paths as the README's folders."""
        for path, shown in ((self.work, WORK), (self.home, HOME), (REPO, WORK)):
            for spelling in {str(path.resolve()), str(path)}:
                text = text.replace(spelling, shown)
        return text


def normalise(text: str) -> str:
    """What cannot be the same from run to run, on either side."""
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:<port>", text)
    text = re.sub(r"answered in \d+(\.\d+)? s", "answered in <t> s", text)
    text = re.sub(r"wall time: \d+(\.\d+)? s", "wall time: <t> s", text)
    text = re.sub(r"retrying in \d+(\.\d+)?s", "retrying in <t>s", text)
    text = re.sub(r"until \d\d?:\d\d\b", "until <hh:mm>", text)
    return text


# -- the shell --------------------------------------------------------------------------------------
def run_line(sandbox: Sandbox, command: Command) -> str:
    """One `$` line, as a shell would run it; what the terminal shows."""
    lexer = shlex.shlex(command.text, posix=True, punctuation_chars="|>")
    lexer.whitespace_split = True
    words = [_tilde(sandbox, w) for w in lexer]
    if not words:
        return ""  # a comment
    stdin = None
    if "|" in words:
        at = words.index("|")
        feeder, words = words[:at], words[at + 1 :]
        assert feeder[0] == "echo", f"README.md:{command.line}: only `echo … |` is replayed"
        stdin = " ".join(feeder[1:]) + "\n"
    target = None
    if ">" in words:
        at = words.index(">")
        words, target = words[:at], sandbox.work / words[at + 1]
    program, args = words[0], words[1:]
    if program == "export":
        name, _, value = args[0].partition("=")
        sandbox.env[name] = value
        return ""
    if program == "cat":
        return (sandbox.work / args[0]).read_text(encoding="utf-8")
    if program == "make":
        program, args = "digest", make_recipe(args)
    assert program == "digest", f"README.md:{command.line}: cannot replay `{program}`"
    if target is None:
        return sandbox.digest(args, stdin)[1]
    with target.open("w", encoding="utf-8") as file:
        return sandbox.digest(args, stdin, stdout=file)[1]


def _tilde(sandbox: Sandbox, word: str) -> str:
    name, equals, value = word.rpartition("=") if "=" in word else ("", "", word)
    if value == "~" or value.startswith("~/"):
        value = str(sandbox.home) + value[1:]
    return name + equals + value


def make_recipe(args: list[str]) -> list[str]:
    """The digest command line a make target runs, as make itself expands it (`make -n`)."""
    shown = subprocess.run(
        ["make", "--no-print-directory", "-n", "-s", *args],
        cwd=REPO,
        # a make of its own, whatever make runs this test (`make test`)
        env={k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for line in shown.splitlines():
        words = shlex.split(line)
        if words and words[0].endswith("/digest"):
            return words[1:]
    raise AssertionError(f"make {shlex.join(args)} runs no digest command:\n{shown}")


# -- comparing ------------------------------------------------------------------------------------
def matches(expected: list[str], actual: list[str]) -> bool:
    """`…` alone: any run of lines; a line ending in `…`: a line starting with the rest."""
    if not expected:
        return not actual
    head, rest = expected[0], expected[1:]
    if head == ELIDED:
        return any(matches(rest, actual[i:]) for i in range(len(actual) + 1))
    if not actual:
        return False
    prefix = head.removesuffix(ELIDED)
    same = actual[0].startswith(prefix) if prefix != head else actual[0] == head
    return same and matches(rest, actual[1:])


# -- setups: the starting state a sandbox needs ------------------------------------------------------
def day(sandbox: Sandbox) -> None:
    """The day 2025-06-24 of the Commands section: his notes file, a server reporting usage."""
    (sandbox.work / "today.txt").write_text(TODAY_TXT, encoding="utf-8")
    sandbox.model.usage = OPENAI_USAGE


def december_notes(sandbox: Sandbox) -> None:
    """Three of his December 2025 notes with their English taken out; the model answers his."""
    his = {}  # his Korean -> his English
    (sandbox.vault / "arXiv").mkdir(parents=True)
    for name in ("251229 Trellis.md", "251231 Youtu-LLM.md", "251231 mHC.md"):
        note = read_note((DATA / "vault-sample" / "arXiv" / name).read_text(encoding="utf-8"))
        his[note.content.comment_ko] = note.content.comment_en
        bare = "".join(p.gap + p.text for p in note.pieces if p.kind is not Kind.ENGLISH)
        (sandbox.vault / "arXiv" / name).write_text(bare + note.tail, encoding="utf-8")
    sandbox.model.responder = lambda request: his.get(
        last_user_comment(request), readme_model(request)
    )


def arxiv_refuses(sandbox: Sandbox) -> None:
    """arXiv's API answers 429 ("Rate exceeded.") to every query; its pages answer."""
    (sandbox.work / "today.txt").write_text(TODAY_TXT, encoding="utf-8")
    sandbox.arxiv.api_status = 429


PAUSE_FILE = Path(".cache/digest/arxiv-api-paused-until")  # under HOME: the default cache


def arxiv_refused_recently(sandbox: Sandbox) -> None:
    """The API refused a minute ago (the cache remembers it), and the pages answer 503."""
    arxiv_refuses(sandbox)
    sandbox.arxiv.page_status = 503
    (sandbox.home / PAUSE_FILE).parent.mkdir(parents=True)
    (sandbox.home / PAUSE_FILE).write_text(repr(time.time() + 29 * 60), encoding="utf-8")


def vault_sample(sandbox: Sandbox) -> None:
    """The vault sample of tests/data/vault-sample/ copied to ~/Obsidian."""
    shutil.copytree(DATA / "vault-sample", sandbox.vault)


def vault_edited(sandbox: Sandbox) -> None:
    """The vault sample imported, then one English edited with `digest edit 2512.24880`."""
    vault_sample(sandbox)
    sandbox.quietly("import", "--vault", str(sandbox.vault))
    sandbox.quietly(
        "edit",
        "2512.24880",
        stdin="DeepSeek improved the signal propagation of Hyper Connections "
        "(https://arxiv.org/abs/2409.19606) and their infrastructure support. I think skip "
        "connections are the most unquestioned architectural choice, given the many earlier "
        "attempts to improve them. Maybe the next DeepSeek model brings a new architecture?",
    )


CORPUS = DATA / "notes-2024.jsonl"


def his_english(sandbox: Sandbox) -> None:
    """The model answers with the author's own English of tests/data/notes-2024.jsonl."""
    his = {}
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        note = json.loads(line)
        his[" ".join(note["comment_ko"].split())] = note["comment_en"]

    def answer(request: dict[str, Any]) -> str:
        comment = " ".join(last_user_comment(request).split())
        english = his.get(comment, "Something else entirely.")
        if request.get("model") == "another-model":  # a weaker model: drops the last word
            english = english.rsplit(" ", 1)[0]
        return english

    sandbox.model.responder = answer


SETUPS: dict[str, Callable[[Sandbox], None]] = {
    "day": day,
    "december-notes": december_notes,
    "arxiv-refuses": arxiv_refuses,
    "arxiv-refused-recently": arxiv_refused_recently,
    "vault-sample": vault_sample,
    "vault-edited": vault_edited,
    "his-english": his_english,
}


def korean_in_the_new_note(sandbox: Sandbox) -> None:
    """He writes his Korean in Obsidian, in the empty paragraph `digest new` left for it."""
    path = sandbox.vault / "arXiv" / "251231 Recurrent Depth.md"
    korean = next(k for k in ENGLISH if "레이어를 반복" in k)
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n\n"), text  # the note ends in the empty paragraph: his cursor
    path.write_text(text + korean, encoding="utf-8")


def arxiv_answers_again(sandbox: Sandbox) -> None:
    """Thirty minutes on: the pause is over, the API and the pages answer."""
    (sandbox.home / PAUSE_FILE).write_text(repr(time.time() - 60), encoding="utf-8")
    sandbox.arxiv.api_status = sandbox.arxiv.page_status = None


def another_model_run(sandbox: Sandbox) -> None:
    """other.json: the same run as mini.json, with --model another-model."""
    sandbox.quietly("eval", "--limit", "50", "--model", "another-model", "--save", "other.json")


# What happens before a command whose line (its comment) says these words.
BETWEEN: dict[str, Callable[[Sandbox], None]] = {
    "in Obsidian: your Korean under the abstract": korean_in_the_new_note,
    "30 minutes later, arXiv answers": arxiv_answers_again,
    "other.json: the same with --model another-model": another_model_run,
}

# Blocks the test does not run, and why; the README marks each with `<!-- not replayed: WHY -->`.
NOT_REPLAYED_BLOCKS: dict[str, str] = {}


# -- the tests --------------------------------------------------------------------------------------
BLOCKS = parse_readme(README.read_text(encoding="utf-8"))


def stories(blocks: list[Block]) -> dict[str, list[Block]]:
    """The blocks of each sandbox, in README order."""
    grouped: dict[str, list[Block]] = {}
    previous: tuple[str, str] | None = None  # (section, sandbox) of the block before
    for block in blocks:
        if block.not_replayed:
            continue
        if block.marker:
            name = block.marker
        elif previous and previous[0] == block.section:
            name = previous[1]
        else:
            name = f"section {block.section}"
        grouped.setdefault(name, []).append(block)
        previous = (block.section, name)
    return grouped


STORIES = stories(BLOCKS)


@pytest.mark.parametrize("story", list(STORIES))
def test_the_readme_shows_what_the_tool_prints(story: str, tmp_path: Path) -> None:
    sandbox = Sandbox(tmp_path)
    try:
        if story in SETUPS:
            SETUPS[story](sandbox)
        else:
            assert story.startswith("section "), f"no setup named {story!r} in SETUPS"
        differences = []
        for block in STORIES[story]:
            for command in block.commands:
                for words, action in BETWEEN.items():
                    if words in command.text:
                        action(sandbox)
                shown = sandbox.as_recorded(run_line(sandbox, command)).rstrip("\n")
                lines = shown.split("\n") if shown else []
                expected = [normalise(line) for line in command.expected]
                if not matches(expected, [normalise(line) for line in lines]):
                    differences.append(report(command, lines))
    finally:
        sandbox.close()
    assert not differences, "\n\n".join(differences)


def report(command: Command, lines: list[str]) -> str:
    """What differs, and what the tool prints now, ready to paste into the README."""
    diff = difflib.unified_diff(
        [normalise(line) for line in command.expected],
        [normalise(line) for line in lines],
        "README",
        "the tool now",
        lineterm="",
        n=2,
    )
    return (
        f"README.md:{command.line}: $ {command.text}\n" + "\n".join(diff) + "\n"
        "-- the tool prints now --\n" + "\n".join(lines)
    )


def test_every_console_block_is_replayed_or_named_as_not() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(BLOCKS) == text.count("\n```console\n") >= 18  # no block missed by the parser
    assert all(block.commands for block in BLOCKS)
    not_replayed = {b.name: b.not_replayed for b in BLOCKS if b.not_replayed}
    assert not_replayed == NOT_REPLAYED_BLOCKS  # a skip is listed here, never silent
    replayed = sum(len(blocks) for blocks in STORIES.values())
    assert replayed == len(BLOCKS) - len(NOT_REPLAYED_BLOCKS)
    # the tables name nothing the README does not use, and the README nothing they lack
    assert {b.marker for b in BLOCKS if b.marker} == set(SETUPS)
    commands = [c.text for b in BLOCKS for c in b.commands]
    for words in BETWEEN:
        assert sum(words in c for c in commands) == 1, words
