"""The `openai` package (half a second of imports) is loaded only by what asks the model: not by
`export`, `check`, `review`, `tags`, doctor's local probes, a draft whose comment did not change,
nor a translation the reply cache answers. Each command runs in a fresh process, which reports
whether `openai` was loaded, or began to be (a preload in the background counts)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_helpers import run
from tests.servers import ArxivServer, OpenAIServer

KO = "PRM. 각 단계가 일관되는지, 추론의 템플릿이 적절한지 등을 평가하게 했군요."
ID, DAY = "2506.18896", "2025-06-24"

# the command line, in this fresh process, as `digest` runs it; then what was loaded
PROBE = """\
import sys
from pipeline.cli import run
from pipeline.console import Console
code = run(sys.argv[1:], Console.from_system())
print(f"exit={code} openai={'openai' in sys.modules}", file=sys.stderr)
"""


def loads_openai(*args: str, env: dict[str, str] | None = None) -> tuple[int, bool]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
    )
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("exit="), proc.stderr
    code, loaded = (part.split("=")[1] for part in last.split())
    return int(code), loaded == "True"


@pytest.fixture
def a_day(arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path) -> Path:
    assert run("draft", ID, "--comment", KO, "--date", DAY, "--tags", "rl").code == 0
    return isolated


@pytest.mark.parametrize(
    "args",
    [
        ("export", DAY),
        ("check", "--date", DAY),
        ("review", "--date", DAY),
        ("review", "--since", "2025-06-01"),
        ("tags",),
        ("draft", ID, "--comment", KO, "--date", DAY),  # the same comment: nothing to ask
        ("translate", ID, "--date", DAY),  # answered by the reply cache
    ],
)
def test_what_asks_no_model_loads_no_openai(a_day: Path, args: tuple[str, ...]) -> None:
    code, loaded = loads_openai(*args)
    assert code in (0, 1) and not loaded


def test_doctors_local_probes_load_no_openai(a_day: Path) -> None:
    # no model configured: the model probe fails before it would load the client
    code, loaded = loads_openai("doctor", env={"OPENAI_BASE_URL": "", "OPENAI_API_KEY": ""})
    assert code == 3 and not loaded


def test_a_draft_that_asks_the_model_does_load_it(a_day: Path) -> None:
    """(The probe can tell: a new comment needs the model.)"""
    code, loaded = loads_openai("draft", ID, "--comment", "새로운 코멘트입니다.", "--date", DAY)
    assert code in (0, 1) and loaded
