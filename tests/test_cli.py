"""The command line end to end: real processes, loopback arXiv and model servers."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml

from pipeline.cli import cli
from pipeline.review import edit_rate
from tests.cli_helpers import (
    draft_file,
    draft_sample,
    drafted,
    load_draft,
    run,
    run_process,
    run_with_tty_stdin,
)
from tests.conftest import FORMAT_SAMPLE, TRANSLATIONS
from tests.servers import ArxivServer, FakePaper, Fault, OpenAIServer

DATE = "2025-06-24"
KO = "PRM. 각 단계가 일관되는지, 추론의 템플릿이 적절한지 등을 평가하게 했군요."
EN = TRANSLATIONS[KO]


def test_every_command_has_help_with_an_example() -> None:
    assert isinstance(cli, click.Group)
    paths = []
    for name, command in cli.commands.items():
        paths.append([name])
        if isinstance(command, click.Group):
            paths += [[name, sub] for sub in command.commands]
    assert len(paths) >= 9
    for path in paths:
        result = run(*path, "--help")
        assert result.code == 0, path
        assert "Example" in result.stdout, path
    top = run("--help")
    assert "OPENAI_BASE_URL" in top.stdout and "DIGEST_ARXIV_DELAY" in top.stdout


def test_draft_one_paper(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    result = run(
        "draft",
        "arXiv:2506.18896v2",
        "--comment",
        KO,
        "--tags",
        "#RL, Reasoning reward_model",
        "--date",
        DATE,
    )
    assert result.code == 0, result.stderr
    lines = result.stdout.split("\n")
    assert lines[0].startswith("ReasonFlux-PRM: Trajectory-Aware PRMs")
    assert lines[1] == "(Jiaru Zou, Ling Yang, Jingwen Gu)"
    assert lines[-3:] == [EN, "#rl #reasoning #reward-model", ""]
    draft = load_draft(isolated, DATE, "2506.18896")
    assert draft["comment_ko"] == KO and draft["machine_en"] == draft["comment_en"] == EN
    assert draft["status"] == "ready" and draft["tags"] == ["rl", "reasoning", "reward-model"]
    assert draft["version"] == "v2" and draft["model"] == "gpt-5-mini"
    assert "Saved the comment" in result.stderr


@pytest.mark.parametrize("source", ["file", "stdin", "editor"])
def test_comment_sources(
    source: str, arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    args = ["draft", "2506.18896", "--date", DATE]
    stdin = None
    env = {}
    if source == "file":
        (isolated / "c.txt").write_text(KO + "\n#rl #prm\n", encoding="utf-8")
        args += ["--comment-file", "c.txt"]
    elif source == "stdin":
        stdin = KO + "\n#rl #prm\n"
    else:
        editor = isolated / "fake-editor.sh"
        # the fake editor keeps the template (guide lines included) and adds the comment on top
        template = isolated / "template.md"  # beside the test, not in the temp folder
        editor.write_text(
            f'#!/bin/sh\ncp "$1" "{template}"\n'
            f"printf '%s\\n%s\\n' '{KO}' '#rl #prm' | cat - \"{template}\" > \"$1\"\n",
            encoding="utf-8",
        )
        editor.chmod(0o755)
        env = {"EDITOR": str(editor)}
    if source == "editor":
        result = run(*args, env=env, tty=True)
    else:
        result = run(*args, stdin=stdin, env=env)
    assert result.code == 0, result.stderr
    draft = load_draft(isolated, DATE, "2506.18896")
    assert draft["comment_ko"] == KO
    assert draft["tags"] == ["rl", "prm"]


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("#!/bin/sh\nexit 3\n", "exited with status 3"),
        ("#!/bin/sh\ntrue\n", "the comment is empty"),
    ],
)
def test_editor_failures_write_nothing(
    script: str, message: str, arxiv_server: ArxivServer, isolated: Path
) -> None:
    editor = isolated / "ed.sh"
    editor.write_text(script, encoding="utf-8")
    editor.chmod(0o755)
    result = run("draft", "2506.18896", "--date", DATE, env={"EDITOR": str(editor)}, tty=True)
    assert result.code == 2 and message in result.stderr
    assert not draft_file(isolated, DATE, "2506.18896").exists()


def test_ctrl_c_while_the_editor_is_open_belongs_to_the_editor(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """As with git: the key goes to the editor; digest must not die and take the text with it."""
    editor = isolated / "ed.sh"
    editor.write_text(
        f"#!/bin/sh\nkill -INT $PPID\nsleep 0.3\nprintf '%s\\n' '{KO}' > \"$1\"\n",
        encoding="utf-8",
    )
    editor.chmod(0o755)
    result = run_with_tty_stdin(["draft", "2506.18896", "--date", DATE], {"EDITOR": str(editor)})
    assert result.code == 0, result.stderr
    assert load_draft(isolated, DATE, "2506.18896")["comment_ko"] == KO


def test_the_editor_template_shows_the_paper(arxiv_server: ArxivServer, isolated: Path) -> None:
    editor = isolated / "ed.sh"
    editor.write_text(f'#!/bin/sh\ncp "$1" {isolated}/seen.txt\nexit 1\n', encoding="utf-8")
    editor.chmod(0o755)
    run("draft", "2506.18896", "--date", DATE, env={"EDITOR": str(editor)}, tty=True)
    seen = (isolated / "seen.txt").read_text(encoding="utf-8")
    assert (
        "// 2506.18896  ReasonFlux-PRM" in seen and "// (Jiaru Zou, Ling Yang, Jingwen Gu)" in seen
    )
    assert "// Process Reward Models (PRMs)" in seen


def test_model_down_keeps_the_comment_and_translate_finishes_later(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    model_server.faults = [Fault(503)] * 4
    result = run("draft", "2506.18896", "--comment", KO, "--date", DATE)
    assert result.code == 3
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("Error: the model API (gpt-5-mini) failed after retries")
    )
    assert "Traceback" not in result.stderr
    draft = load_draft(isolated, DATE, "2506.18896")
    assert draft["comment_ko"] == KO and draft["status"] == "awaiting-translation"
    resumed = run("translate", "2506.18896")
    assert resumed.code == 0, resumed.stderr
    assert load_draft(isolated, DATE, "2506.18896")["comment_en"] == EN


def test_drafting_again_asks_no_service(
    arxiv_server: ArxivServer, model_server: OpenAIServer
) -> None:
    assert run("draft", "2506.18896", "--comment", KO, "--date", DATE).code == 0
    before = (len(arxiv_server.requests), len(model_server.requests))
    again = run(
        "draft",
        "https://arxiv.org/abs/2506.18896",
        "--comment",
        KO,
        "--date",
        DATE,
        env={"OPENAI_API_KEY": "", "OPENAI_BASE_URL": ""},
    )
    assert again.code == 0 and EN in again.stdout
    assert (len(arxiv_server.requests), len(model_server.requests)) == before
    assert "unchanged" in again.stderr


def test_a_changed_comment_is_translated_again_and_history_kept(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    run("draft", "2506.18896", "--comment", KO, "--date", DATE)
    other = "SFT 없이 RL로 장문을 생성하는 추론 모델을 학습. Continual Pretraining도 사용했군요."
    result = run("draft", "2506.18896", "--comment", other, "--date", DATE)
    assert result.code == 0, result.stderr
    draft = load_draft(isolated, DATE, "2506.18896")
    assert draft["comment_en"] == TRANSLATIONS[other]
    # nothing lost: the earlier comment and the earlier machine English are in the history
    assert draft["history"] == [
        {"comment_ko": KO, "replaced": "a new comment"},
        {"machine_en": EN, "model": "gpt-5-mini", "glossary": draft["glossary"]},
    ]
    assert "the comment was replaced; the earlier one is kept" in result.stderr
    assert len(arxiv_server.requests) == 1


def test_a_hand_edit_is_never_overwritten_without_force(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    run("draft", "2506.18896", "--comment", KO, "--date", DATE)
    path = draft_file(isolated, DATE, "2506.18896")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["comment_en"] = "A PRM. My own English, with reasoning templates."
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    model_server.replies = ["A PRM that checks coherence between steps and reasoning templates."]
    kept = run("translate", "2506.18896")
    assert "edited by hand" in kept.stderr
    assert load_draft(isolated, DATE, "2506.18896")["comment_en"] == data["comment_en"]
    forced = run("translate", "2506.18896", "--force")
    assert forced.code == 0
    assert load_draft(isolated, DATE, "2506.18896")["comment_en"] != data["comment_en"]


def test_a_bad_reply_is_repaired_once(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    model_server.replies = [
        "PRM. 각 단계를 평가합니다."
    ]  # Hangul left: the check fails, the model is asked again
    result = run("draft", "2506.18896", "--comment", KO, "--date", DATE)
    assert result.code == 0, result.stderr
    assert len(model_server.requests) == 2
    repair = model_server.bodies()[1]["messages"]
    assert repair[-2] == {"role": "assistant", "content": "PRM. 각 단계를 평가합니다."}
    assert "hangul" in repair[-1]["content"]
    saved = load_draft(isolated, DATE, "2506.18896")
    assert saved["repairs"] == 1 and saved["comment_en"] == EN
    first, second = saved["attempts"]
    assert first["english"] == "PRM. 각 단계를 평가합니다." and any(
        e.startswith("error: hangul") for e in first["errors"]
    )
    assert second == {"english": EN, "errors": []}


def test_a_reply_that_stays_bad_needs_review(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    model_server.replies = ["Note: I translated it.\nPRM 평가."] * 2
    result = run("draft", "2506.18896", "--comment", KO, "--date", DATE)
    assert result.code == 1
    assert "error: hangul" in result.stderr
    assert "fix the English with `digest edit 2506.18896`" in result.stderr
    assert load_draft(isolated, DATE, "2506.18896")["status"] == "needs-review"
    refused = run("export", DATE)
    assert refused.code == 1 and "fix them (digest edit 2506.18896)" in refused.stderr
    assert run("export", DATE, "--force").code == 0


NOTES = f"""\
2506.18896
{KO}
#rl #reasoning

https://arxiv.org/abs/2506.08737
Reward에 노이즈를 추가하는 것으로 학습 속도를 가속시킬 수 있다는 연구 (https://www.arxiv.org/abs/2506.08737).
#rl

arXiv:2506.12345v1
SFT 없이 RL로 장문을 생성하는 추론 모델을 학습. Continual Pretraining도 사용했군요.
"""


def add_notes_papers(server: ArxivServer) -> None:
    server.add(
        FakePaper("2506.08737", "ReDit: Reward Dithering", ["Chenxing Wei"], "DeepSeek-R1 has...")
    )
    server.add(FakePaper("2506.12345", "LongWriter-Zero", ["Yuhao Wu"], "Ultra-long generation..."))


def test_a_whole_day_from_a_notes_file(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    add_notes_papers(arxiv_server)
    (isolated / "notes.txt").write_text(NOTES, encoding="utf-8")
    result = run("draft", "--notes", "notes.txt", "--date", DATE)
    assert result.code == 0, result.stderr
    assert len(arxiv_server.requests) == 1
    assert "Summary: 3 ready, 0 need review, 0 failed" in result.stderr
    assert re.search(r"\[3/3\] ", result.stderr)
    exported = run("export", DATE)
    assert exported.code == 0
    titles = [
        line
        for line in exported.stdout.splitlines()
        if line.startswith(("ReasonFlux", "ReDit", "LongWriter"))
    ]
    assert [t.split(":")[0] for t in titles] == ["ReasonFlux-PRM", "ReDit", "LongWriter-Zero"]
    calls = (len(arxiv_server.requests), len(model_server.requests))
    again = run("draft", "--notes", "notes.txt", "--date", DATE)
    assert again.code == 0
    assert (len(arxiv_server.requests), len(model_server.requests)) == calls


def test_translate_pending_finishes_what_the_model_left(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    add_notes_papers(arxiv_server)
    (isolated / "notes.txt").write_text(NOTES, encoding="utf-8")
    model_server.faults = [Fault(401)] * 3  # a bad key: nothing is translated, all is saved
    failed = run("draft", "--notes", "notes.txt", "--date", DATE, "--jobs", "1")
    assert failed.code == 3 and "Summary: 0 ready, 0 need review, 3 failed" in failed.stderr
    assert {load_draft(isolated, DATE, i)["status"] for i in ("2506.18896", "2506.08737")} == {
        "awaiting-translation"
    }
    done = run("translate", "--pending")
    assert done.code == 0, done.stderr
    assert "Translating 3 drafts" in done.stderr and "Summary: 3 ready" in done.stderr
    assert done.stdout == ""  # drafts of any day: see them with export
    assert load_draft(isolated, DATE, "2506.18896")["comment_en"] == EN
    calls = len(model_server.requests)
    nothing = run("translate", "--pending")
    assert nothing.code == 0 and "Nothing awaits translation." in nothing.stderr
    assert len(model_server.requests) == calls


def test_translate_a_whole_day_again_keeps_hand_edits(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    add_notes_papers(arxiv_server)
    (isolated / "notes.txt").write_text(NOTES, encoding="utf-8")
    run("draft", "--notes", "notes.txt", "--date", DATE)
    mine = "A PRM that grades each reasoning step."
    assert run("edit", "2506.18896", stdin=mine).code == 0
    model_server.responder = lambda request: "A new machine English about reasoning, RL and SFT."
    calls = len(model_server.requests)
    same = run("translate", "--date", DATE)  # nothing changed: answered from the reply cache
    assert same.code == 0 and len(model_server.requests) == calls
    assert load_draft(isolated, DATE, "2506.18896")["machine_en"] == EN
    result = run("translate", "--date", DATE, env={"DIGEST_MODEL": "another-model"})
    assert "Translating 3 drafts with another-model" in result.stderr
    assert "Note: 2506.18896: comment_en was edited by hand, so it was kept" in result.stderr
    kept = load_draft(isolated, DATE, "2506.18896")
    assert kept["comment_en"] == mine
    assert kept["machine_en"] == "A new machine English about reasoning, RL and SFT."
    assert kept["history"][0]["machine_en"] == EN
    other = load_draft(isolated, DATE, "2506.08737")
    assert other["comment_en"] == other["machine_en"] != TRANSLATIONS[other["comment_ko"]]
    assert result.stdout == ""  # a batch prints progress and the summary, on stderr
    printed = run("translate", "--date", DATE, "--print", env={"DIGEST_MODEL": "another-model"})
    out = printed.stdout
    assert 0 <= out.index("ReasonFlux") < out.index("ReDit") < out.index("LongWriter")  # in order


def test_translate_a_day_with_a_broken_draft_does_the_rest_and_exits_2(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    run("draft", "2506.18896", "--comment", KO, "--date", DATE)
    (isolated / "drafts" / DATE / "2506.00001.yaml").write_text("id: [x\n", encoding="utf-8")
    result = run("translate", "--date", DATE)
    assert result.code == 2 and "2506.00001.yaml:" in result.stderr
    assert "Summary: 1 ready" in result.stderr and result.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["translate"], "give paper ids, --date D or --pending"),
        (["translate", "2506.18896", "--pending"], "give paper ids or --pending, not both"),
        (["translate", "--date", "2025-01-01"], "no drafts in "),
    ],
)
def test_translate_usage_errors(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.code == 2 and result.stderr.count("\n") == 1 and message in result.stderr


def test_a_malformed_notes_block_is_reported_before_any_work(
    arxiv_server: ArxivServer, isolated: Path
) -> None:
    (isolated / "notes.txt").write_text(NOTES + "\nnot-an-id\n코멘트\n", encoding="utf-8")
    result = run("draft", "--notes", "notes.txt", "--date", DATE)
    assert result.code == 2
    assert (
        result.stderr.strip()
        == "Error: notes.txt:12: not an arXiv id: 'not-an-id' (expected e.g. 2506.18896, arXiv:2506.18896v2, https://arxiv.org/abs/2506.18896 or hep-th/9901001)"
    )
    assert arxiv_server.requests == []


def test_one_failing_entry_does_not_stop_the_day(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    arxiv_server.add(FakePaper("2506.08737", "ReDit", ["A"], "x"))  # 2506.12345 does not exist
    (isolated / "notes.txt").write_text(NOTES, encoding="utf-8")
    result = run("draft", "--notes", "notes.txt", "--date", DATE)
    assert result.code == 2
    assert "arXiv has no paper 2506.12345v1" in result.stderr
    assert "Summary: 2 ready, 0 need review, 1 failed" in result.stderr
    assert draft_file(isolated, DATE, "2506.08737").exists()


def test_import_then_export_gives_back_the_sample(isolated: Path) -> None:
    sample = FORMAT_SAMPLE
    first = run("import", str(sample))
    assert first.code == 0 and "3 imported" in first.stderr
    files = sorted(p.name for p in (isolated / "drafts" / DATE).glob("*.yaml"))
    assert len(files) == 3 and files[0].startswith("longwriter-zero-mastering-ultra-long")
    mtimes = [p.stat().st_mtime_ns for p in (isolated / "drafts" / DATE).glob("*.yaml")]
    again = run("import", str(sample))
    assert "0 imported, 0 updated, 3 unchanged" in again.stderr
    assert [p.stat().st_mtime_ns for p in (isolated / "drafts" / DATE).glob("*.yaml")] == mtimes
    exported = run("export", DATE, "--force")
    assert exported.stdout.encode("utf-8") == sample.read_bytes()


def test_an_output_file_that_cannot_be_written_is_one_line(isolated: Path) -> None:
    assert run("import", str(FORMAT_SAMPLE)).code == 0
    result = run("export", "2025-06-24", "-o", "/proc/digest/out.html")
    assert result.code == 2
    assert result.stderr.startswith("Error: cannot write /proc/digest/out.html: ")
    assert result.stderr.count("\n") == 1


def test_the_documented_title_id() -> None:
    from pipeline.importer import title_id

    title = "LongWriter-Zero: Mastering Ultra-Long Text Generation via Reinforcement Learning"
    assert title_id(title) == "longwriter-zero-mastering-ultra-long-608a5b80"  # as in the README
    assert title_id("  " + title.replace(" ", "\n ")) == title_id(title)


def test_export_formats(isolated: Path) -> None:
    import jsonschema

    run("import", str(FORMAT_SAMPLE))
    as_json = run("export", DATE, "--format", "json", "--force")
    document = json.loads(as_json.stdout)
    schema = json.loads(
        (Path(__file__).parent.parent / "pipeline/schema/digest-v1.schema.json").read_text()
    )
    jsonschema.validate(document, schema)
    assert document["version"] == 1 and len(document["entries"]) == 3
    markdown = run("export", DATE, "--format", "markdown", "--force").stdout
    assert markdown.startswith("# 2025년 6월 24일\n") and "## ReasonFlux-PRM" in markdown
    out = isolated / "day.html"
    assert run("export", DATE, "--format", "html", "-o", str(out), "--force").code == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<p class="ko" lang="ko">' in page


def test_a_day_without_drafts_is_bad_input_naming_the_latest_day(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    empty = run("export", "2025-01-01")
    assert empty.code == 2 and empty.stderr.startswith("Error: no drafts in ")
    assert "start with: digest draft ID" in empty.stderr
    run("draft", "2506.18896", "--comment", KO, "--date", DATE)
    for args, retry in [
        (["export", "2025-01-01"], f"digest export {DATE}"),
        (["check", "--date", "2025-01-01"], f"digest check --date {DATE}"),
        (["review", "--date", "2025-01-01"], f"digest review --date {DATE}"),
    ]:
        result = run(*args)
        assert result.code == 2 and result.stderr.count("\n") == 1, args
        assert result.stderr.startswith("Error: no drafts for 2025-01-01 in ")
        assert result.stderr.endswith(f"; the latest day with drafts is {DATE}: {retry}\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["draft", "2506.18896", "--date", "2025-13-01", "--comment", "x"],
            "date '2025-13-01' is not a date",
        ),
        (["draft", "2506.18896", "--tags", "a!b", "--comment", "코멘트"], "tag 'a!b' is not a tag"),
        (["draft", "2506.18896", "--comment", "   "], "the comment is empty"),
        (
            ["draft", "2506.18896", "--comment-file", "nope.txt"],
            "comment file nope.txt does not exist",
        ),
        (["draft"], "give either a paper id or --notes"),
        (["draft", "--notes", "missing.txt"], "notes file missing.txt does not exist"),
        (["export", "the-day-before"], "date 'the-day-before' is not a date"),
        (["check", "2506.18896"], "no draft of 2506.18896"),
        (["review", "2506.18896"], "no draft of 2506.18896"),
        (["frobnicate"], "No such command"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.code == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("Error: ") and message in result.stderr


def test_debug_shows_a_traceback() -> None:
    assert "Traceback" in run_process("--debug", "export", "2025-01-01").stderr
    assert "Traceback" in run_process("export", "2025-01-01", env={"DIGEST_DEBUG": "1"}).stderr


def test_check_command(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    run("draft", "2506.18896", "--comment", KO, "--date", DATE)
    ok = run("check", "--date", DATE)
    assert ok.code == 0 and "2506.18896 (2025-06-24): ready" in ok.stdout
    path = draft_file(isolated, DATE, "2506.18896")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["comment_en"] = "PRM. 한글이 남았다."
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    bad = run("check", "2506.18896")
    assert bad.code == 1 and "error: hangul" in bad.stdout
    assert bad.stderr.endswith("0 of 1 pass\nFix: digest edit 2506.18896\n")
    assert load_draft(isolated, DATE, "2506.18896")["status"] == "needs-review"


def test_a_broken_draft_is_named_and_the_others_still_work(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    run("draft", "2506.18896", "--comment", KO, "--date", DATE)
    broken = isolated / "drafts" / DATE / "2506.00001.yaml"
    broken.write_text("id: x\ntitle: [oops\n", encoding="utf-8")
    result = run("check", "--date", DATE)
    assert result.code == 2 and "2506.00001.yaml:" in result.stderr and "ready" in result.stdout
    assert run("export", DATE).code == 2
    forced = run("export", DATE, "--force")
    assert forced.code == 0 and forced.stdout.startswith("2025년 6월 24일\nReasonFlux")


def test_edit_in_the_editor_keeps_the_machine_english(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    run("draft", "2506.18896", "--comment", KO, "--tags", "rl", "--date", DATE)
    edited = "A PRM that scores whether the steps are coherent and the reasoning templates fit."
    editor = isolated / "ed.sh"
    # keep what the template shows, then put the new English and tags in place of the old
    editor.write_text(
        f'#!/bin/sh\ncp "$1" {isolated}/seen.txt\n'
        f"printf '%s\\n%s\\n' '{edited}' '#rl #prm' > \"$1\"\n",
        encoding="utf-8",
    )
    editor.chmod(0o755)
    result = run("edit", "2506.18896", env={"EDITOR": str(editor)}, tty=True)
    assert result.code == 0, result.stderr
    seen = (isolated / "seen.txt").read_text(encoding="utf-8")
    assert seen.startswith(EN + "\n#rl\n") and f"// {KO}" in seen
    draft = load_draft(isolated, DATE, "2506.18896")
    assert draft["comment_en"] == edited and draft["machine_en"] == EN
    assert draft["tags"] == ["rl", "prm"] and draft["status"] == "ready"
    assert "2506.18896 (2025-06-24): ready" in result.stdout
    rate = edit_rate(EN, edited)
    assert rate.edits > 0 and f"\nEdit rate: {rate}\n" in result.stdout
    # the next template shows the model's English, since the published one now differs
    editor.write_text(f'#!/bin/sh\ncp "$1" {isolated}/seen.txt\n', encoding="utf-8")
    again = run("edit", "2506.18896", env={"EDITOR": str(editor)}, tty=True)
    assert again.code == 0 and "the English is unchanged" in again.stderr
    assert f"// {EN}" in (isolated / "seen.txt").read_text(encoding="utf-8")


def test_edit_from_stdin_saves_bad_english_and_marks_it(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    run("draft", "2506.18896", "--comment", KO, "--date", DATE)
    bad = run("edit", "2506.18896", stdin="A PRM. 각 단계를 평가.\n")
    assert bad.code == 1 and "error: hangul" in bad.stdout
    draft = load_draft(isolated, DATE, "2506.18896")
    assert draft["comment_en"] == "A PRM. 각 단계를 평가." and draft["status"] == "needs-review"
    assert run("export", DATE).code == 1
    fixed = run(
        "edit", "2506.18896", "--date", DATE, stdin="A PRM that grades each reasoning step.\n"
    )
    assert fixed.code == 0 and "ready" in fixed.stdout
    assert load_draft(isolated, DATE, "2506.18896")["status"] == "ready"
    assert run("export", DATE).code == 0


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["edit", "2506.18896"], "", "the English is empty; nothing was saved"),
        (["edit", "2506.99999"], "x", "no draft of 2506.99999"),
        (["edit", "2506.18896", "--date", "2025-06-25"], "x", "no draft of 2506.18896 on"),
    ],
)
def test_edit_refuses_bad_input_and_changes_nothing(
    args: list[str],
    stdin: str,
    message: str,
    arxiv_server: ArxivServer,
    model_server: OpenAIServer,
    isolated: Path,
) -> None:
    run("draft", "2506.18896", "--comment", KO, "--date", DATE)
    before = draft_file(isolated, DATE, "2506.18896").read_bytes()
    result = run(*args, stdin=stdin)
    assert result.code == 2 and result.stderr.count("\n") == 1 and message in result.stderr
    assert draft_file(isolated, DATE, "2506.18896").read_bytes() == before


def test_make_targets_pass_stdin_through(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """The contract's make targets, run the way the README shows them."""
    import subprocess

    from tests.conftest import REPO

    def make(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["make", "--no-print-directory", "-C", str(REPO), *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    drafted = make("draft", "ID=2506.18896", f"DATE={DATE}", stdin=f"{KO}\n#rl\n")
    assert drafted.returncode == 0, drafted.stderr
    assert drafted.stdout.endswith(f"{KO}\n{EN}\n#rl\n")
    edited = make("edit", "ID=2506.18896", stdin="A PRM that grades each reasoning step.\n")
    assert edited.returncode == 0 and "ready" in edited.stdout
    reviewed = make("review", "ID=2506.18896")
    assert reviewed.returncode == 0 and "{+ that grades each reasoning step+}" in reviewed.stdout
    exported = make("export", f"DATE={DATE}", "FORMAT=json")
    assert json.loads(exported.stdout)["entries"][0]["comment_en"].startswith("A PRM that")
    assert make("draft").returncode == 2


def test_text_typed_in_the_editor_survives_a_bad_tag(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    editor = isolated / "ed.sh"
    editor.write_text(
        f"#!/bin/sh\nprintf '%s\\n%s\\n' '{KO}' '#rl #bad!tag' > \"$1\"\n", encoding="utf-8"
    )
    editor.chmod(0o755)
    result = run("draft", "2506.18896", "--date", DATE, env={"EDITOR": str(editor)}, tty=True)
    error = result.stderr.strip().splitlines()[-1]
    assert result.code == 2 and error.startswith("Error: tag '#bad!tag' is not a tag")
    match = re.search(r"your text is kept in (\S+): fix it there; then run: (.+)$", error)
    assert match and "not a tag" in result.stderr, result.stderr
    kept = Path(match.group(1))
    assert kept.read_text(encoding="utf-8").startswith(KO)
    assert match.group(2) == f"digest draft 2506.18896 --date {DATE} --comment-file {kept}"
    kept.write_text(f"{KO}\n#rl #good-tag\n", encoding="utf-8")
    retried = run("draft", "2506.18896", "--date", DATE, "--comment-file", str(kept))
    assert retried.code == 0, retried.stderr
    assert load_draft(isolated, DATE, "2506.18896")["tags"] == ["rl", "good-tag"]
    assert not kept.exists()  # its text is in the draft: the recovery file goes


def test_which_glossary_is_used(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    def prompt_after(env: dict[str, str]) -> str:
        result = run("draft", "2506.18896", "--comment", KO, "--date", DATE, "--force", env=env)
        assert result.code in (0, 1), result.stderr
        return model_server.bodies()[-1]["messages"][-1]["content"]

    # nothing named and none here: the glossary shipped with digest
    assert "- 추론 -> reasoning" in prompt_after({"DIGEST_GLOSSARY": ""})
    # a glossary.yaml in the current folder comes first
    (isolated / "glossary.yaml").write_text("terms:\n  추론: [inference]\n", encoding="utf-8")
    draft_file(isolated, DATE, "2506.18896").unlink()
    assert "- 추론 -> inference" in prompt_after({"DIGEST_GLOSSARY": ""})
    # a named glossary that does not exist is a mistake, not an empty glossary
    missing = run("draft", "2506.18896", "--comment", KO, env={"DIGEST_GLOSSARY": "nope.yaml"})
    assert missing.code == 2
    assert (
        missing.stderr.strip() == "Error: the glossary nope.yaml does not exist (DIGEST_GLOSSARY)"
    )


def test_force_keeps_the_replaced_hand_edit_in_the_history(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    assert run("draft", "2506.18896", "--comment", KO, "--date", DATE).code == 0
    mine = "My own PRM English, with reasoning templates."
    assert run("edit", "2506.18896", stdin=mine).code == 0
    model_server.replies = ["A PRM grading coherence between steps and reasoning templates."]
    forced = run("translate", "2506.18896", "--force")
    assert forced.code == 0, forced.stderr
    assert "your hand-edited comment_en was replaced; it is kept in the draft's history" in (
        forced.stderr
    )
    saved = load_draft(isolated, DATE, "2506.18896")
    assert {"comment_en": mine, "replaced": "--force"} in saved["history"]


@pytest.mark.parametrize(
    "bad",
    [
        "Here is the translation:",  # chatter only
        "PRM. 각 단계를 평가.",  # Hangul left
        "Note: this is a PRM paper about templates, reasoning and steps.",
        "",
        KO,  # echoed
    ],
)
def test_every_kind_of_bad_reply_once_is_repaired(
    bad: str, arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    model_server.replies = [bad]
    result = draft_sample()
    assert result.code == 0, result.stderr
    assert load_draft(isolated, DATE, "2506.18896")["comment_en"] == EN


@pytest.mark.parametrize("bad", ["PRM. 각 단계를 평가.", "Note: this is about PRM reasoning.", KO])
def test_a_bad_reply_always_means_needs_review(
    bad: str, arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    model_server.responder = lambda request: bad
    result = draft_sample()
    assert result.code == 1
    assert load_draft(isolated, DATE, "2506.18896")["status"] == "needs-review"


def test_a_closed_stdin_is_empty_input(isolated: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "--version"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        close_fds=True,
        preexec_fn=lambda: os.close(0),
    )
    assert proc.returncode == 0 and "digest" in proc.stdout


def test_ids_the_tool_prints_are_taken_by_every_command(isolated: Path) -> None:
    """Entries imported from a text digest have title ids; every command takes them."""
    assert run("import", str(FORMAT_SAMPLE)).code == 0
    checked = run("check", "--date", DATE)
    title_id = checked.stdout.splitlines()[0].split(" ")[0]
    assert not title_id[0].isdigit()  # a title id, not an arXiv id
    mine = "This study shows that adding noise to rewards speeds up training."
    assert run("edit", title_id, stdin=mine).code in (0, 1)
    assert run("check", title_id).code in (0, 1)
    assert "the English is the author's own" in run("review", title_id).stdout
    assert run("edit", "not-a-known-title-00000000", stdin="x").code == 2


def test_files_the_author_gets_follow_the_umask(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """A published page must be readable by a web server (0644 under umask 022)."""
    old = os.umask(0o022)
    try:
        drafted()
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


def test_a_group_without_a_subcommand_shows_its_help() -> None:
    result = run("glossary")
    assert result.code == 0 and "suggest" in result.stdout and "Error" not in result.stderr
