"""An output the author names never lands on what digest keeps (issue 25): -o, --html and --save
into the drafts folder, onto a draft, the cache or the glossary are exit 2, and nothing changes.
A link is written through, `-` is stdout."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import DATE, KO, draft_file, run
from tests.conftest import FORMAT_SAMPLE
from tests.servers import ArxivServer, OpenAIServer

DAY = "2025-06-24"
ID = "reasonflux-prm-trajectory-aware-prms-ec1f9268"  # an entry of the format sample


@pytest.fixture
def drafts(isolated: Path) -> Path:
    assert run("import", str(FORMAT_SAMPLE)).code == 0
    return isolated / "drafts"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    "args",
    [
        ["export", DAY, "-o", f"drafts/{DAY}/{ID}.yaml"],
        ["export", DAY, "-o", f"drafts/{DAY}/new.txt"],
        ["export", DAY, "-o", "drafts"],
        ["export", DAY, "--format", "html", "-o", f"drafts/{DAY}/../{DAY}/{ID}.yaml"],
        ["export", DAY, "--format", "vault", "-o", "drafts/vault"],
        ["review", "--date", DAY, "--html", f"drafts/{DAY}/{ID}.yaml"],
    ],
)
def test_output_into_the_drafts_folder_is_refused(
    args: list[str], drafts: Path, isolated: Path
) -> None:
    before = snapshot(isolated)
    result = run(*args, "--force") if args[0] == "export" else run(*args)
    assert result.code == 2 and "Traceback" not in result.stderr
    [error] = result.stderr.strip().splitlines()
    assert error.startswith("Error: ") and f"the drafts folder ({drafts.resolve()})" in error
    assert "digest never writes output there" in error
    assert snapshot(isolated) == before  # the draft, and everything else, intact


def test_a_link_to_a_draft_is_the_draft(drafts: Path, isolated: Path) -> None:
    target = draft_file(isolated, DAY, ID)
    (isolated / "out.txt").symlink_to(target)
    before = target.read_bytes()
    result = run("export", DAY, "--force", "-o", "out.txt")
    assert result.code == 2 and "is inside the drafts folder" in result.stderr
    assert target.read_bytes() == before


def test_eval_output_onto_the_cache_or_the_glossary_is_refused_before_the_run(
    isolated: Path,
) -> None:
    (isolated / "cache" / "replies").mkdir(parents=True)
    for option, path in (("--save", "cache/replies/run.json"), ("-o", "glossary.yaml")):
        (isolated / "glossary.yaml").write_text("terms:\n  보상: reward\n", encoding="utf-8")
        result = run("eval", "--limit", "1", option, path, env={"DIGEST_GLOSSARY": "glossary.yaml"})
        assert result.code == 2 and "digest never writes output there" in result.stderr
        assert "chrF" not in result.stdout  # nothing ran
    assert not (isolated / "cache" / "replies" / "run.json").exists()
    assert (isolated / "glossary.yaml").read_text(encoding="utf-8") == "terms:\n  보상: reward\n"


def test_output_elsewhere_is_written(drafts: Path, isolated: Path) -> None:
    assert run("export", DAY, "--force", "-o", "digest.txt").code == 0
    assert (isolated / "digest.txt").read_text(encoding="utf-8").startswith("2025년 6월 24일")
    assert run("export", DAY, "--force", "-o", "-").stdout.startswith("2025년 6월 24일")


def test_output_paths_a_link_a_dash_and_a_device(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    assert run("draft", "2506.18896", "--comment", KO, "--date", DATE).code == 0
    real = isolated / "site" / "real.html"
    real.parent.mkdir()
    real.write_text("old", encoding="utf-8")
    (isolated / "today.html").symlink_to(real)
    assert run("export", DATE, "--format", "html", "-o", "today.html").code == 0
    assert (isolated / "today.html").is_symlink() and "ReasonFlux" in real.read_text(
        encoding="utf-8"
    )
    dashed = run("export", DATE, "-o", "-")
    assert dashed.stdout.startswith("2025년 6월 24일") and not (isolated / "-").exists()
