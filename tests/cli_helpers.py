"""The helpers the tests share (test files import from here, never from one another): the real
`digest` command line run as the author would, in this process (fast) or in a real process where
a test needs one (signals, a terminal, a race, the make targets, isolation); drafts written and
read; and the data the unit tests build (an entry, a glossary, a fake model, eval results).
Fixtures and the loopback services are in conftest.py and servers.py."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

import pytest
import yaml

from pipeline.arxiv import FetchResult, Paper
from pipeline.cli import run as run_cli
from pipeline.config import load_settings
from pipeline.console import Console
from pipeline.entry import READY, Entry
from pipeline.errors import InputError
from pipeline.evaluate import EvalReport, NoteResult
from pipeline.glossary import Glossary, Term, parse_glossary
from pipeline.judge import JUDGE_SYSTEM
from pipeline.model import Messages, Reply, Translation
from pipeline.note import Kind, read_note
from pipeline.text import PaperId
from pipeline.translate import clean_reply
from pipeline.usage import Usage
from pipeline.workflow import Workflow
from tests.conftest import DATA, TRANSLATIONS
from tests.servers import ArxivServer, FakePaper, last_user_comment

# The day, the comment and its English (as the loopback model gives it) most tests draft.
DATE = "2025-06-24"
KO = "PRM. 각 단계가 일관되는지, 추론의 템플릿이 적절한지 등을 평가하게 했군요."
EN = TRANSLATIONS[KO]


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


@contextmanager
def environment(env: dict[str, str] | None) -> Iterator[None]:
    """os.environ with `env` on top, for the duration of one command."""
    saved = dict(os.environ)
    os.environ.update(env or {})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run(
    *args: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    tty: bool = False,
) -> Result:
    """The command line in this process, through the same entry as `digest` (cli.run), with
    stdin piped (or, with `tty`, a terminal: then $EDITOR opens)."""
    out, err = io.StringIO(), io.StringIO()
    console = Console(
        stdin=io.BytesIO((stdin or "").encode("utf-8")),
        stdout=out,
        stderr=err,
        stdin_isatty=tty,
        no_color=True,
    )
    # click itself writes --help and usage errors to sys.stdout/sys.stderr
    with environment(env), redirect_stdout(out), redirect_stderr(err):
        code = run_cli(list(args), console)
    return Result(code, out.getvalue(), err.getvalue())


def run_process(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None, timeout: float = 60
) -> Result:
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def run_with_tty_stdin(args: list[str], env: dict[str, str]) -> Result:
    """A real process with a pseudo-terminal on stdin, so that digest opens $EDITOR."""
    import pty

    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pipeline", *args],
            stdin=follower,
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            timeout=60,
        )
    finally:
        os.close(leader)
        os.close(follower)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def draft_sample(*extra: str, env: dict[str, str] | None = None) -> Result:
    """The sample paper (conftest.SAMPLE_PAPER) drafted with KO on DATE."""
    return run("draft", "2506.18896", "--comment", KO, "--date", DATE, *extra, env=env)


def drafted(date: str = DATE) -> None:
    """The sample paper drafted with KO and the tag rl, and ready."""
    result = run("draft", "2506.18896", "--comment", KO, "--tags", "rl", "--date", date)
    assert result.code == 0, result.stderr


def draft_file(root: Path, date: str, entry_id: str) -> Path:
    return root / "drafts" / date / f"{entry_id.replace('/', '_')}.yaml"


def load_draft(root: Path, date: str, entry_id: str) -> dict:
    return yaml.safe_load(draft_file(root, date, entry_id).read_text(encoding="utf-8"))


# -- real processes that run beside the test --------------------------------------------------
def start(
    args: list[str],
    stdin: str | None = None,
    env_retry_wait: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[str]:
    """digest in a real process, for what needs one: a signal, a race with another process."""
    env = {**os.environ, **(env or {})}
    if env_retry_wait is not None:
        env["DIGEST_RETRY_WAIT"] = env_retry_wait
        env["DIGEST_RETRY_ATTEMPTS"] = "20"
    source: int | IO[bytes] = subprocess.DEVNULL
    if stdin is not None:  # a piped comment: a file, so that it is all there before the start
        piped = Path(f"stdin-{time.monotonic_ns()}.txt")
        piped.write_text(stdin, encoding="utf-8")
        source = piped.open("rb")
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", *args],
        stdin=source,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def follow(proc: subprocess.Popen[str]) -> list[str]:
    """The lines a running process prints on stderr, as it prints them; an empty string last
    once the stream ends."""
    lines: list[str] = []
    assert proc.stderr is not None
    stream = proc.stderr

    def read() -> None:
        while True:
            line = stream.readline()
            lines.append(line)
            if not line:
                return

    threading.Thread(target=read, daemon=True).start()
    return lines


def pin_today(monkeypatch: pytest.MonkeyPatch, day: str | None = None) -> str:
    """Today, as digest sees it in this process, pinned for the test (to `day`, else the date
    now): a test that drafts, then exports "today", passes across midnight too."""
    import pipeline.drafting
    import pipeline.syncing
    import pipeline.text

    day = day or dt.date.today().isoformat()
    for module in (pipeline.text, pipeline.drafting, pipeline.syncing):
        monkeypatch.setattr(module, "today", lambda: day)
    return day


def wait_for(predicate: Callable[[], object], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def serve_landing_pages(
    arxiv: ArxivServer, monkeypatch: pytest.MonkeyPatch, ids: list[str]
) -> ArxivServer:
    """The loopback arXiv serving its landing pages too, with a paper more for each id."""
    monkeypatch.setenv("DIGEST_ARXIV_ABS_URL", arxiv.abs_url)
    for paper_id in ids:
        arxiv.add(FakePaper(paper_id, f"Paper {paper_id}", ["Ann Lee"], "An abstract."))
    return arxiv


# -- data the unit tests build ----------------------------------------------------------------
def make_entry(entry_id: str = "2506.18896", date: str = "2025-06-24", **changes: object) -> Entry:
    entry = Entry(
        id=entry_id,
        date=date,
        title="A Title",
        authors=["Ann", "Bob"],
        abstract="Line one.\nLine two.",
        comment_ko="첫 줄.\n둘째 줄.",
        machine_en="First line.\nSecond line.",
        comment_en="First line.\nSecond line.",
        tags=["rl"],
        status=READY,
    )
    for key, value in changes.items():
        setattr(entry, key, value)
    return entry


def period_entries() -> list[Entry]:
    """Three weeks in which the author edits less and less, replacing "made" by "designed"."""
    entries = []
    for day in range(1, 22, 2):
        date = f"2025-06-{day:02d}"
        for n in range(2):
            edited = n == 0 and day < 15
            entries.append(
                make_entry(
                    f"2506.{day:03d}{n}",
                    date,
                    machine_en="They made it judge each step of the proof.",
                    comment_en=(
                        "They designed it to judge each step."
                        if edited
                        else "They made it judge each step of the proof."
                    ),
                )
            )
    entries.append(make_entry("2506.99999", "2025-05-30", machine_en="Old.", comment_en="New."))
    return entries


SMALL_GLOSSARY = """\
terms:
  강화학습: [reinforcement learning, RL]
  보상: reward
  보상 모델: [reward model]
  학습: [training, learning]
  추론:
    en: [reasoning, inference]
    note: reasoning for how a model thinks
  Reward: [reward]
keep:
  - RLVR
"""


def big_glossary(size: int) -> Glossary:
    syllables = [chr(0xAC00 + i * 37 % 11172) for i in range(400)]
    terms = [
        Term(
            syllables[i % 400] + syllables[(i // 400) % 400] + syllables[(i * 7) % 400],
            (f"term{i}",),
        )
        for i in range(size)
    ]
    terms.append(Term("강화학습", ("reinforcement learning",)))
    unique = {t.source: t for t in terms}
    return Glossary(list(unique.values()), ["RLVR"])


def eval_note(n: int, english: str) -> NoteResult:
    """Note n of an eval run: his own English back (chrF 100) when `english` is empty."""
    his = f"His English number {n}."
    return NoteResult(
        id=f"2409.{n:05d}",
        korean=f"코멘트 {n}.",
        reference=his,
        english=english or his,
        findings=[],
        chrf=100.0 if not english else float(n),
        edits=0 if not english else 1,
        words=4,
    )


def eval_report(results: list[NoteResult]) -> EvalReport:
    return EvalReport("gpt-5-mini", "3bfd590b0b81", "61a2b15fb58b", "test", len(results), results)


# -- the use cases in-process, the model faked at its interface (no HTTP) ---------------------
# the English the fake model gives for KO
FAKE_EN = "A PRM. It judges whether the steps are coherent and the reasoning templates fit."
FAKE_GLOSSARY = parse_glossary(
    "terms:\n  추론: [reasoning, inference]\n  보상 모델:\n    en: reward model\n    strict: true\n"
    "keep: [PRM]\n",
    "glossary.yaml",
)


@dataclass
class FakeModel:
    """The model at its interface (a pipeline.model.Model): `answer(messages)` makes each reply;
    requests are recorded."""

    answer: Callable[[Messages], str]
    requests: list[Messages] = field(default_factory=list)
    model: str = "fake-model"

    def use_jobs(self, jobs: int | None) -> None:
        """The fake answers at once: no limit on requests in flight to learn."""

    def remember_limit(self) -> None:
        """Nothing learned to keep."""

    def complete(self, messages: Messages, judge: bool = False) -> Reply:
        self.requests.append(messages)
        return Reply(self.answer(messages), self.model, Usage(requests=1, prompt=8, completion=2))

    def translate(self, comment_ko: str, messages: Messages) -> Translation:
        reply = self.complete(messages)
        text, removed = clean_reply(reply.content, comment_ko)
        return Translation(text, reply.model, removed, usage=reply.usage)


class FakeArxiv:
    def __init__(self) -> None:
        self.papers = {"2506.18896": Paper("2506.18896", "v1", "ReasonFlux-PRM", ["Ann"], "PRMs.")}
        self.asked = 0

    def fetch(self, ids: list[PaperId], *, refresh: bool = False) -> FetchResult:
        self.asked += 1
        result = FetchResult()
        for paper_id in ids:
            if paper_id.base in self.papers:
                result.papers[paper_id.query] = self.papers[paper_id.base]
            else:
                result.problems[paper_id.query] = InputError(f"arXiv has no paper {paper_id}")
        return result

    def fetch_one(self, paper_id: PaperId, *, refresh: bool = False) -> Paper:
        result = self.fetch([paper_id], refresh=refresh)
        if paper_id.query in result.problems:
            raise result.problems[paper_id.query]
        return result.papers[paper_id.query]


def is_judge(messages: list[dict[str, str]]) -> bool:
    return messages[0]["content"] == JUDGE_SYSTEM


def judgement(*errors: tuple[str, str, str]) -> str:
    return json.dumps({"errors": [{"category": c, "severity": s, "span": t} for c, s, t in errors]})


def workflow(model: FakeModel, isolated: Path, **settings: Any) -> Workflow:
    base = replace(load_settings(), **settings)
    return Workflow(base, glossary=FAKE_GLOSSARY, arxiv=FakeArxiv(), translator=model)


# -- copies of his vault --------------------------------------------------------------------------
SAMPLE_VAULT = DATA / "vault-sample"  # 99 real files of his vault
CURRENT_LAYOUT = "250801"  # the name of his first note in his layout since August 2025
SINCE_CURRENT = ("--since", "2025-08-01")  # his older notes have no English by choice
MHC = "arXiv/251231 mHC.md"  # a note of his current layout (the `vault` fixture's)


def without_english(text: str) -> str:
    """His note with its English taken out, every other byte as it was."""
    note = read_note(text)
    return "".join(p.gap + p.text for p in note.pieces if p.kind is not Kind.ENGLISH) + note.tail


class SampleVault:
    """A copy of his vault whose current-layout notes lost their English, and what it was; the
    `vault` fixture sets the loopback model to answer with his own English (`answer`)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        shutil.copytree(SAMPLE_VAULT, root)
        (root / ".obsidian").mkdir()
        self.english: dict[str, str] = {}  # his Korean -> his English
        self.originals: dict[Path, bytes] = {}
        for path in sorted(root.rglob("*.md")):
            self.originals[path] = path.read_bytes()
            if path.name < CURRENT_LAYOUT:
                continue
            note = read_note(path.read_bytes().decode("utf-8"))
            self.english[note.content.comment_ko] = note.content.comment_en
            path.write_bytes(without_english(path.read_bytes().decode("utf-8")).encode("utf-8"))

    def answer(self, request: dict) -> str:
        """The model: his own English for his Korean."""
        return self.english.get(last_user_comment(request), "Some other English.")

    def same_as_his(self) -> int:
        return sum(path.read_bytes() == data for path, data in self.originals.items())


def small_vault(isolated: Path) -> Path:
    """An empty vault (Obsidian's folder and his arXiv folder)."""
    root = isolated / "Obsidian"
    (root / "arXiv").mkdir(parents=True)
    (root / ".obsidian").mkdir()
    return root


def snapshot(*folders: Path) -> dict[str, tuple[bytes, int]]:
    """Every file below the folders but digest's own `.digest`: its bytes and modification time."""
    files = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and ".digest" not in path.parts:
                files[str(path)] = (path.read_bytes(), path.stat().st_mtime_ns)
    return files
