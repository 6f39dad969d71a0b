"""Drafts are found as git finds `.git` (issue 27, item 2): DIGEST_DRAFTS_DIR when set, else the
nearest `drafts/` folder in the current folder or above it, else `drafts` here; every "no drafts"
error names the absolute path it looked in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.config import drafts_dir
from tests.cli_helpers import run
from tests.servers import ArxivServer, OpenAIServer

DATE = "2025-06-24"
KO = "PRM. 각 단계가 일관되는지, 추론의 템플릿이 적절한지 등을 평가하게 했군요."
FOUND = {"DIGEST_DRAFTS_DIR": ""}  # not set: found from the current folder


def no_drafts_above(folder: Path) -> None:
    """The machine's own folders above the test's hold no drafts/ (else they would be found)."""
    taken = [p for p in folder.parents if (p / "drafts").is_dir()]
    assert not taken, f"a drafts/ folder above the test folder: {taken}"


def test_the_nearest_drafts_folder_here_or_above(isolated: Path) -> None:
    project = isolated / "project"
    deep = project / "notes" / "2025"
    deep.mkdir(parents=True)
    no_drafts_above(isolated)
    assert drafts_dir({}, deep) == deep / "drafts"  # none anywhere: drafts here
    (project / "drafts").mkdir()
    assert drafts_dir({}, deep) == project / "drafts"
    assert drafts_dir({}, project) == project / "drafts"
    (deep / "drafts").mkdir()
    assert drafts_dir({}, deep) == deep / "drafts"  # the nearest wins
    (project / "notes" / "drafts").write_text("a file, not a folder")
    assert drafts_dir({}, project / "notes") == project / "drafts"


def test_digest_drafts_dir_wins_and_is_made_absolute(isolated: Path) -> None:
    (isolated / "drafts").mkdir()
    assert drafts_dir({"DIGEST_DRAFTS_DIR": "elsewhere"}, isolated) == isolated / "elsewhere"
    assert drafts_dir({"DIGEST_DRAFTS_DIR": "/srv/d"}, isolated) == Path("/srv/d")
    home = Path(os.path.expanduser("~"))
    assert drafts_dir({"DIGEST_DRAFTS_DIR": "~/d"}, isolated) == home / "d"


def test_a_sub_folder_of_the_project_uses_its_drafts(
    arxiv_server: ArxivServer,
    model_server: OpenAIServer,
    isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (isolated / "drafts").mkdir()
    sub = isolated / "papers" / "june"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    result = run("draft", "2506.18896", "--comment", KO, "--date", DATE, env=FOUND)
    assert result.code == 0, result.stderr
    assert (isolated / "drafts" / DATE / "2506.18896.yaml").exists()
    assert not (sub / "drafts").exists()  # no second store
    assert "Starting a new drafts folder" not in result.stderr
    checked = run("check", "--date", DATE, env=FOUND)
    assert checked.code == 0 and "2506.18896 (2025-06-24): ready" in checked.stdout


def test_an_unrelated_folder_starts_drafts_here_and_says_so(
    arxiv_server: ArxivServer,
    model_server: OpenAIServer,
    isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    elsewhere = isolated / "home"
    elsewhere.mkdir()
    no_drafts_above(elsewhere)
    monkeypatch.chdir(elsewhere)
    result = run("draft", "2506.18896", "--comment", KO, "--date", DATE, env=FOUND)
    assert result.code == 0, result.stderr
    assert (elsewhere / "drafts" / DATE / "2506.18896.yaml").exists()
    assert f"Starting a new drafts folder: {elsewhere / 'drafts'}" in result.stderr
    again = run("draft", "2506.18896", "--comment", KO, "--date", DATE, env=FOUND)
    assert again.code == 0 and "Starting a new drafts folder" not in again.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["check"],
        ["check", "--date", DATE],
        ["export", DATE],
        ["translate", "--date", DATE],
        ["review", "--date", DATE],
        ["review", "--since", DATE],
        ["tags"],
        ["glossary", "suggest"],
    ],
)
def test_every_no_drafts_error_names_the_absolute_folder(
    args: list[str], isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = isolated / "home"
    elsewhere.mkdir()
    no_drafts_above(elsewhere)
    monkeypatch.chdir(elsewhere)
    result = run(*args, env=FOUND)
    assert result.code == 2
    assert f" in {elsewhere / 'drafts'}" in result.stderr, result.stderr
    assert not (elsewhere / "drafts").exists()  # looking creates nothing


def test_doctor_names_the_folder_it_found(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (isolated / "drafts").mkdir()
    sub = isolated / "sub"
    sub.mkdir()
    monkeypatch.chdir(sub)
    result = run("doctor", env=FOUND)
    line = next(x for x in result.stdout.splitlines() if x.startswith("drafts"))
    assert f"{isolated / 'drafts'}: no drafts yet" in line
