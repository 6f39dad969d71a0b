"""As a new user finds it (issue 18) and the vault and ranges end to end (issue 17): the CLI
in-process against the loopback services."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from tests.cli_helpers import load_draft, run
from tests.conftest import FORMAT_SAMPLE, TRANSLATIONS
from tests.servers import ArxivServer, FakePaper, Fault, OpenAIServer

DATE = "2025-06-24"
KO = "PRM. 각 단계가 일관되는지, 추론의 템플릿이 적절한지 등을 평가하게 했군요."
EN = TRANSLATIONS[KO]


def drafted(isolated: Path, date: str = DATE) -> None:
    result = run("draft", "2506.18896", "--comment", KO, "--tags", "rl", "--date", date)
    assert result.code == 0, result.stderr


# -- issue 18 ---------------------------------------------------------------------------------
def test_ids_the_tool_prints_are_taken_by_every_command(isolated: Path) -> None:
    """Item 1: entries imported from a text digest have title ids; every command takes them."""
    assert run("import", str(FORMAT_SAMPLE)).code == 0
    checked = run("check", "--date", DATE)
    title_id = checked.stdout.splitlines()[0].split(" ")[0]
    assert not title_id[0].isdigit()  # a title id, not an arXiv id
    mine = "This study shows that adding noise to rewards speeds up training."
    assert run("edit", title_id, stdin=mine).code in (0, 1)
    assert run("check", title_id).code in (0, 1)
    assert "the English is the author's own" in run("review", title_id).stdout
    assert run("edit", "not-a-known-title-00000000", stdin="x").code == 2


def test_an_exported_day_imported_again_duplicates_nothing(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """Item 2."""
    drafted(isolated)
    assert run("export", DATE, "-o", "day.txt").code == 0
    again = run("import", "day.txt")
    assert again.code == 0 and "0 imported, 0 updated, 1 unchanged" in again.stderr
    assert len(list((isolated / "drafts" / DATE).glob("*.yaml"))) == 1


def test_a_comment_without_hangul_is_warned_and_not_exported_as_text(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """Item 3: the text format could not carry it; it would merge with the next entry."""
    english = "An English comment pasted where the Korean should be."
    model_server.replies = ["A comment in English, kept."]
    result = run("draft", "2506.18896", "--comment", english, "--date", DATE)
    assert "warning: korean: the comment has no Hangul" in result.stderr
    refused = run("export", DATE)
    assert refused.code == 1 and "the Korean comment has no Hangul" in refused.stderr
    forced = run("export", DATE, "--force")
    assert forced.code == 0 and forced.stdout == "2025년 6월 24일\n"  # left out, and said so
    assert "Warning: 2506.18896 (2025-06-24): the Korean comment has no Hangul" in forced.stderr


def test_export_force_never_writes_an_empty_english_line(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """Item 5: an entry awaiting translation is left out of the text, marked in the HTML."""
    model_server.faults = [Fault(503)] * 4
    assert run("draft", "2506.18896", "--comment", KO, "--date", DATE).code == 3
    text = run("export", DATE, "--force")
    assert text.code == 0 and "\n\n" not in text.stdout and KO not in text.stdout
    page = run("export", DATE, "--force", "--format", "html")
    assert "awaiting translation" in page.stdout


def test_a_base_url_without_v1_is_not_blamed_on_the_model(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """Item 6: Ollama without /v1 answers 404 on every path."""
    model_server.models = None
    model_server.faults = [Fault(404, {}, b"404 page not found")]
    base = model_server.url.removesuffix("/v1")
    result = run(
        "draft", "2506.18896", "--comment", KO, "--date", DATE, env={"OPENAI_BASE_URL": base}
    )
    assert result.code == 3 and "has no chat completions endpoint" in result.stderr
    assert f"{base}/v1" in result.stderr and "DIGEST_MODEL" not in result.stderr
    model_server.faults = [Fault(404, {}, b"404 page not found")] * 2  # /models and chat
    doctor = run("doctor", env={"OPENAI_BASE_URL": base})
    assert doctor.code == 3 and "has no chat completions endpoint" in doctor.stdout
    assert f"{base}/v1" in doctor.stdout


def test_files_the_author_gets_follow_the_umask(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """Item 11: a published page must be readable by a web server (0644 under umask 022)."""
    old = os.umask(0o022)
    try:
        drafted(isolated)
        assert run("export", DATE, "--format", "html", "-o", "day.html").code == 0
        assert run("review", "2506.18896", "--html", "review.html").code == 0
    finally:
        os.umask(old)
    for path in [
        isolated / "day.html",
        isolated / "review.html",
        isolated / "drafts" / DATE / "2506.18896.yaml",
    ]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_batch_progress_is_listed_in_input_order(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """Item 13: the first entry is the slowest; its line still comes first."""
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


def test_today_and_yesterday_are_dates(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """Item 14."""
    import datetime as dt

    drafted(isolated, dt.date.today().isoformat())
    assert run("export", "today").stdout.splitlines()[1].startswith("ReasonFlux")
    assert run("check", "--date", "today").code == 0
    assert run("export", "yesterday").code == 2  # no drafts that day: bad input, named


def test_a_group_without_a_subcommand_shows_its_help() -> None:
    """Item 15."""
    result = run("glossary")
    assert result.code == 0 and "suggest" in result.stdout and "Error" not in result.stderr


def test_review_since_shows_the_rate_per_day_and_a_page(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """Item 9: the trend over a period, in the terminal and as a page with an inline SVG."""
    drafted(isolated)
    assert run("edit", "2506.18896", stdin="A PRM that grades each reasoning step.").code == 0
    result = run("review", "--since", "2025-06-01", "--html", "trend.html")
    assert result.code == 0 and "2025-06-24" in result.stdout
    page = (isolated / "trend.html").read_text(encoding="utf-8")
    assert "<svg" in page and "<script" not in page
    assert run("review", "--since", "2025-06-01", "--date", DATE).code == 2  # one at a time


# -- issue 17: the vault, and date ranges -----------------------------------------------------
def test_the_day_goes_into_the_vault_in_his_layout(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    drafted(isolated)
    vault = isolated / "vault"
    vault.mkdir()
    first = run("export", DATE, "--format", "vault", "-o", str(vault))
    assert first.code == 0, first.stderr
    note = vault / "arXiv" / "250623 ReasonFlux-PRM.md"  # published 2025-06-23, title cut at ':'
    text = note.read_bytes().decode("utf-8")
    assert text.startswith("https://arxiv.org/abs/2506.18896\n\n*ReasonFlux-PRM: Trajectory")
    assert text.endswith(f"{KO}\n\n{EN}\n\n#rl ")  # one trailing space, no final newline
    assert "1 written" in first.stderr
    again = run("export", DATE, "--format", "vault", "-o", str(vault))
    assert again.code == 0 and "1 unchanged" in again.stderr
    # his addition below the tags line is his: the note still says what the draft says
    note.write_text(text + "\n\nMy own addition in Obsidian.", encoding="utf-8")
    kept = run("export", DATE, "--format", "vault", "-o", str(vault))
    assert kept.code == 0 and "1 unchanged" in kept.stderr
    # his edit of the English in Obsidian is left, unless --force (his addition stays)
    edited = note.read_text(encoding="utf-8").replace(EN, "His own English.")
    note.write_text(edited, encoding="utf-8")
    left = run("export", DATE, "--format", "vault", "-o", str(vault))
    assert left.code == 1 and "1 left" in left.stderr
    assert note.read_text(encoding="utf-8") == edited
    forced = run("export", DATE, "--format", "vault", "-o", str(vault), "--force")
    assert forced.code == 0
    assert note.read_bytes().decode("utf-8") == text + "\n\nMy own addition in Obsidian."
    assert run("export", DATE, "--format", "vault").code == 2  # -o names the vault


def test_a_note_he_filed_elsewhere_is_that_note(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    drafted(isolated)
    vault = isolated / "vault"
    vault.mkdir()
    assert run("export", DATE, "--format", "vault", "-o", str(vault)).code == 0
    filed = vault / "arXiv" / "2025" / "250623 ReasonFlux-PRM.md"
    filed.parent.mkdir()
    (vault / "arXiv" / "250623 ReasonFlux-PRM.md").rename(filed)
    again = run("export", DATE, "--format", "vault", "-o", str(vault))
    assert again.code == 0 and "1 unchanged" in again.stderr
    assert not (vault / "arXiv" / "250623 ReasonFlux-PRM.md").exists()


def test_ranges_in_every_format(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    drafted(isolated, "2025-06-24")
    arxiv_server.add(FakePaper("2506.08737", "ReDit: Reward Dithering", ["Chenxing Wei"], "Abs."))
    other = "Reward에 노이즈를 추가하는 것으로 학습 속도를 가속시킬 수 있다는 연구 (https://www.arxiv.org/abs/2506.08737)."
    assert run("draft", "2506.08737", "--comment", other, "--date", "2025-06-26").code == 0
    text = run("export", "2025-06-23..2025-06-27")
    assert text.code == 0
    assert text.stdout.startswith("2025년 6월 24일\nReasonFlux")
    assert "\n2025년 6월 26일\nReDit" in text.stdout
    document = json.loads(run("export", "2025-06-23..2025-06-27", "--format", "json").stdout)
    assert [day["date"] for day in document["days"]] == ["2025-06-24", "2025-06-26"]
    page = run("export", "2025-06-23..2025-06-27", "--format", "html").stdout
    assert page.count("<h2") >= 2 and "6월 26일" in page
    empty = run("export", "2025-07-01..2025-07-03")
    assert empty.code == 2 and "no drafts" in empty.stderr
    assert run("export", "2025-06-27..2025-06-23").code == 2  # ends before it starts


@pytest.mark.parametrize("fmt", ["text", "markdown", "html", "json"])
def test_a_range_of_one_day_with_drafts_is_that_day(
    fmt: str, arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    drafted(isolated)
    result = run("export", "2025-06-20..2025-06-30", "--format", fmt)
    assert result.code == 0 and "ReasonFlux" in result.stdout
    assert load_draft(isolated, DATE, "2506.18896")["status"] == "ready"


def test_the_sample_day_drafts_and_exports_byte_for_byte(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """Issue 13: the first three entries of the format sample, drafted with the model replying
    with the author's own English, pass their checks (exit 0) and export as the sample."""
    from pipeline.digest import parse_digest
    from tests.servers import last_user_comment

    sample = FORMAT_SAMPLE.read_text(encoding="utf-8")
    [day] = parse_digest(sample)
    his = {}
    for n, item in enumerate(day.entries[:3]):
        paper_id = f"2506.{n + 1:05d}"
        arxiv_server.add(FakePaper(paper_id, item.title, item.authors, item.abstract))
        his[item.comment_ko] = item.comment_en
    model_server.responder = lambda request: his[last_user_comment(request)]
    for n, item in enumerate(day.entries[:3]):
        tags = " ".join(item.tags)
        result = run(
            "draft",
            f"2506.{n + 1:05d}",
            "--comment",
            item.comment_ko,
            "--tags",
            tags,
            "--date",
            day.date,
        )
        assert result.code == 0, result.stderr
    exported = run("export", day.date)
    assert exported.code == 0, exported.stderr
    assert len(day.entries) == 3 and exported.stdout == sample  # the whole sample, byte for byte


# -- the vault and the drafts meet ------------------------------------------------------------
def exported_to_vault(isolated: Path) -> Path:
    drafted(isolated)
    vault = isolated / "vault"
    vault.mkdir()
    assert run("export", DATE, "--format", "vault", "-o", str(vault)).code == 0
    return vault / "arXiv" / "250623 ReasonFlux-PRM.md"


def test_a_note_nobody_touched_follows_the_draft(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    note = exported_to_vault(isolated)
    mine = "A PRM that grades each reasoning step."
    assert run("edit", "2506.18896", stdin=mine).code == 0
    again = run("export", DATE, "--format", "vault", "-o", str(note.parent.parent))
    assert again.code == 0 and "1 updated" in again.stderr  # no --force needed
    assert mine in note.read_text(encoding="utf-8")


def test_a_note_edited_in_the_vault_comes_back_into_its_draft(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    note = exported_to_vault(isolated)
    text = note.read_text(encoding="utf-8").replace(EN, "My English, written in Obsidian.")
    note.write_text(text, encoding="utf-8")
    result = run("import", "--vault", str(note.parent.parent))
    assert result.code == 0 and "1 updated" in result.stderr, result.stderr
    assert (
        load_draft(isolated, DATE, "2506.18896")["comment_en"] == "My English, written in Obsidian."
    )
    assert not (isolated / "drafts" / "2025-06-23").exists()  # no second draft on the paper's day
    history = load_draft(isolated, DATE, "2506.18896")["history"]
    assert {"comment_en": EN, "replaced": "import of arXiv/250623 ReasonFlux-PRM.md"} in history


def test_edits_on_both_sides_are_never_overwritten(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    note = exported_to_vault(isolated)
    vault = note.parent.parent
    obsidian = note.read_text(encoding="utf-8") + "\n\nMy paragraph in Obsidian."
    note.write_text(obsidian, encoding="utf-8")
    mine = "A PRM, edited here: whether the steps are coherent and the templates fit."
    assert run("edit", "2506.18896", stdin=mine).code == 0
    left = run("export", DATE, "--format", "vault", "-o", str(vault))
    assert (
        left.code == 1 and "1 left" in left.stderr and note.read_text(encoding="utf-8") == obsidian
    )
    # the import takes his side (his paragraph), the draft keeps its own (the English) ...
    merged = run("import", "--vault", str(vault))
    assert "1 updated" in merged.stderr, merged.stderr
    assert load_draft(isolated, DATE, "2506.18896")["comment_en"] == mine
    # ... and the export writes both into the note
    written = run("export", DATE, "--format", "vault", "-o", str(vault))
    assert written.code == 0 and "1 updated" in written.stderr
    text = note.read_text(encoding="utf-8")
    assert mine in text and text.endswith("My paragraph in Obsidian.")
    # where both sides changed the same part, the draft's stays; --force writes it, his is kept
    note.write_text(text.replace(mine, "His English in Obsidian."), encoding="utf-8")
    assert run("edit", "2506.18896", stdin=mine + " Again.").code == 0
    skipped = run("import", "--vault", str(vault))
    assert "1 skipped (1 edited on both sides)" in skipped.stderr
    forced = run("export", DATE, "--format", "vault", "-o", str(vault), "--force")
    assert forced.code == 0 and "1 overwritten" in forced.stderr
    history = load_draft(isolated, DATE, "2506.18896")["history"]
    assert any("His English in Obsidian." in h.get("note", "") for h in history)


def test_english_typed_for_edit_is_kept_when_it_cannot_be_saved(
    arxiv_server: ArxivServer,
    model_server: OpenAIServer,
    isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import errno

    import pipeline.yamlio

    drafted(isolated)

    def full(path: Path, data: bytes, *, durable: bool = True) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(pipeline.yamlio, "atomic_write_bytes", full)
    result = run("edit", "2506.18896", stdin="My careful English.")
    assert result.code == 4
    kept = Path(result.stderr.split("your English is kept in ", 1)[1].split(":", 1)[0])
    assert kept.read_text(encoding="utf-8") == "My careful English.\n"
    kept.unlink()


def test_a_mistyped_id_in_a_notes_file_leaves_no_draft(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    (isolated / "day.txt").write_text(
        f"2506.18896\n{KO}\n\n2506.1889\n{KO} 오타\n", encoding="utf-8"
    )
    result = run("draft", "--notes", "day.txt", "--date", DATE)
    assert result.code == 2 and "arXiv has no paper 2506.1889" in result.stderr
    assert "no draft kept; the comment is in the notes file" in result.stderr
    assert not (isolated / "drafts" / DATE / "2506.1889.yaml").exists()
    assert load_draft(isolated, DATE, "2506.18896")["status"] == "ready"


def test_a_text_import_leaves_a_draft_saved_meanwhile(
    arxiv_server: ArxivServer,
    model_server: OpenAIServer,
    isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The import read the day; a comment drafted before it writes that entry wins."""
    from pipeline.store import Store

    drafted(isolated)
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
