"""Importing a digest in the text format (pipeline/importer.py): an export imported again
duplicates nothing, Windows line ends are read, no title names a path outside the drafts, and a
draft saved while the import works is kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import DATE, EN, drafted, load_draft, run
from tests.servers import ArxivServer, OpenAIServer


def test_no_title_can_write_outside_the_drafts_folder(isolated: Path) -> None:
    text = (
        "2025년 6월 24일\n../../../etc/passwd\n(A)\nAbstract.\n코멘트입니다.\nA comment.\n#x\n"
        "..\n(B)\nAbstract.\n두 번째 코멘트.\nSecond.\n"
    )
    (isolated / "evil.txt").write_text(text, encoding="utf-8")
    assert run("import", "evil.txt").code == 0
    written = sorted(p.relative_to(isolated) for p in isolated.rglob("*.yaml"))
    assert len(written) == 2
    assert all(p.parts[:2] == ("drafts", DATE) and len(p.parts) == 3 for p in written)
    assert not (isolated.parent / "etc").exists()


def test_a_digest_with_windows_line_ends_imports(isolated: Path) -> None:
    from tests.conftest import FORMAT_SAMPLE

    crlf = FORMAT_SAMPLE.read_text(encoding="utf-8").replace("\n", "\r\n")
    (isolated / "day.txt").write_text(crlf, encoding="utf-8", newline="")
    result = run("import", "day.txt")
    assert result.code == 0 and "3 imported" in result.stderr


def test_an_exported_day_imported_again_duplicates_nothing(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    drafted()
    assert run("export", DATE, "-o", "day.txt").code == 0
    again = run("import", "day.txt")
    assert again.code == 0 and "0 imported, 0 updated, 1 unchanged" in again.stderr
    assert len(list((isolated / "drafts" / DATE).glob("*.yaml"))) == 1


def test_a_text_import_leaves_a_draft_saved_meanwhile(
    arxiv_server: ArxivServer,
    model_server: OpenAIServer,
    isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The import read the day; a comment drafted before it writes that entry wins."""
    from pipeline.store import Store

    drafted()
    assert run("export", DATE, "-o", "day.txt").code == 0
    (isolated / "day.txt").write_text(
        (isolated / "day.txt").read_text(encoding="utf-8").replace(EN, "An older English."),
        encoding="utf-8",
    )
    newer = "PRM. 새로 쓴 코멘트입니다."
    read_day = Store.day

    def day_then_a_draft(store: Store, date: str):
        day = read_day(store, date)
        assert run("draft", "2506.18896", "--comment", newer, "--date", DATE).code in (0, 1)
        return day

    monkeypatch.setattr(Store, "day", day_then_a_draft)
    result = run("import", "day.txt")
    monkeypatch.undo()
    assert "changed here while importing" in result.stderr
    assert load_draft(isolated, DATE, "2506.18896")["comment_ko"] == newer
