"""`digest eval`: the author's own English as the reference, against the loopback model server."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import click
import pytest

from pipeline import evaluate
from pipeline.cli import run as run_cli
from pipeline.config import load_settings
from pipeline.console import Console
from pipeline.digest import parse_digest
from pipeline.entry import ERROR, WARNING, Finding
from pipeline.evaluate import (
    HELD_OUT,
    TUNING,
    EvalReport,
    Note,
    NoteResult,
    Selection,
    load_corpus,
    part_of,
    run_eval,
    select_file,
    select_part,
    summary,
)
from pipeline.glossary import load_glossary
from pipeline.translate import Translator
from tests.cli_helpers import run
from tests.conftest import DATA, FORMAT_SAMPLE, REPO
from tests.servers import Fault, OpenAIServer, last_user_comment

CORPUS = DATA / "notes-2024.jsonl"
NOTES = load_corpus(CORPUS)
HIS = {" ".join(n.comment_ko.split()): n.comment_en for n in NOTES}


def his_english(request: dict[str, Any]) -> str:
    """A model that writes exactly what the author wrote."""
    return HIS.get(" ".join(last_user_comment(request).split()), "Something else entirely.")


@pytest.fixture
def his_model(model_server: OpenAIServer) -> OpenAIServer:
    model_server.responder = his_english
    return model_server


def figure(stdout: str, name: str) -> str:
    found = re.search(rf"^{name}: (.*)$", stdout, re.M)
    assert found, stdout
    return found.group(1)


def chrf(stdout: str) -> float:
    return float(figure(stdout, "chrF"))


# -- end to end -----------------------------------------------------------------------------------
def test_his_own_english_scores_chrf_100_and_edit_rate_0(
    his_model: OpenAIServer, isolated: Path
) -> None:
    result = run("eval", "--limit", "12")
    assert result.code == 0, result.stderr
    assert chrf(result.stdout) == 100.0
    assert figure(result.stdout, "edit rate").startswith("0.0% (0 word edits / ")
    assert figure(result.stdout, "notes") == "12 of 259 held-out notes of notes-2024.jsonl"
    assert figure(result.stdout, "model") == "gpt-5-mini"
    assert figure(result.stdout, "requests").startswith(f"{len(his_model.requests)} (")
    assert "[12/12] " in result.stderr  # progress on stderr, results on stdout
    assert not (isolated / "drafts").exists()  # nothing is written to the drafts


def test_running_twice_with_nothing_changed_asks_the_model_nothing(
    his_model: OpenAIServer,
) -> None:
    first = run("eval", "--limit", "8")
    asked = len(his_model.requests)
    again = run("eval", "--limit", "8")
    assert asked >= 8 and len(his_model.requests) == asked
    assert (
        figure(again.stdout, "requests")
        == "0 (0 sent with retries; 8 of 8 notes answered by the cache)"
    )
    assert chrf(again.stdout) == chrf(first.stdout)
    # a longer run reuses the replies of the shorter one: the examples do not depend on --limit
    run("eval", "--limit", "10")
    assert len(his_model.requests) - asked == 2


def test_each_request_carries_its_paper_and_never_its_own_english(his_model: OpenAIServer) -> None:
    assert run("eval", "--limit", "6").code == 0
    tuning_english = {n.comment_en.strip() for n in NOTES if part_of(n.id) == TUNING}
    by_korean = {" ".join(n.comment_ko.split()): n for n in NOTES}
    for body in his_model.bodies():
        note = by_korean[" ".join(last_user_comment(body).split())]
        messages = body["messages"]
        turn = next(i for i, m in enumerate(messages) if m["content"].startswith("Paper the"))
        assert f"Title: {note.title}\n" in messages[turn]["content"]
        # the author's pairs come before the comment's turn (a repair turn may follow it)
        examples = [m["content"] for m in messages[:turn] if m["role"] == "assistant"]
        assert examples and set(examples) <= tuning_english  # the held-out notes learn from 01-08
        assert note.comment_en.strip() not in examples


def test_scripted_bad_replies_lower_the_scores_and_show_by_check(
    model_server: OpenAIServer,
) -> None:
    glossary = load_glossary(REPO / "glossary.yaml")
    notes = [
        Note(
            "2409.00001",
            "A paper",
            "Its abstract.",
            "7B 모델로 GSM8K에서 80%를 달성.",
            "Reaches 80% on GSM8K with a 7B model.",
        ),
        Note(
            "2409.00002",
            "",
            "",
            "강화학습 속도를 높이는 연구.",
            "A study that speeds up reinforcement learning.",
        ),
        Note(
            "2409.00003",
            "",
            "",
            "코드는 https://github.com/a/b 에 공개.",
            "Code at https://github.com/a/b.",
        ),
    ]
    bad = {
        notes[0].comment_ko: "Reaches a high score on GSM8K.",  # the number and the name lost
        notes[1].comment_ko: "A study that speeds up reinforcement learning.",  # his English
        notes[2].comment_ko: "The code is released on GitHub, as promised.",  # the URL lost
    }
    model_server.responder = lambda request: bad[last_user_comment(request)]
    report = run_eval(
        Selection(notes, [], "3 notes"), glossary, Translator(load_settings()), repairs=1, jobs=2
    )
    figures = summary(report)
    assert 0 < figures["chrf"] < 100 and figures["edit_rate"] > 0
    assert figures["failing"] == 2 and figures["repaired"] == 2  # each asked again, in vain
    assert figures["failing_by_check"] == {"number": 1, "names": 1, "url": 1}
    assert figures["numbers_kept"] == 2 and figures["names_kept"] == 2
    assert figures["terms"] == 1 and figures["terms_listed"] == 1  # 강화학습 as listed
    assert figures["requests"] == 5 and figures["his_failing"] == 0
    assert [r.id for r in report.results] == [n.id for n in notes]  # input order
    good = report.results[1]
    assert good.chrf == 100.0 and good.edits == 0 and not good.errors
    text = evaluate.format_report(report)
    assert "still failing: 2 of 3 (number 1, names 1, url 1)" in text
    assert "chrF: " in text and "repaired: 2 of 3" in text


def test_compare_two_saved_results(model_server: OpenAIServer, isolated: Path) -> None:
    model_server.responder = his_english
    assert run("eval", "--limit", "6", "--save", "a.json").code == 0
    # another model that drops the last word of every sentence
    model_server.responder = lambda request: his_english(request).rsplit(" ", 1)[0]
    second = run("eval", "--limit", "6", "--model", "another-model", "--save", "b.json")
    assert second.code == 0 and chrf(second.stdout) < 100
    saved = json.loads((isolated / "b.json").read_text(encoding="utf-8"))
    assert saved["model"] == "another-model" and len(saved["notes"]) == 6

    asked = len(model_server.requests)
    result = run("eval", "--compare", "a.json", "b.json")
    assert result.code == 0, result.stderr
    assert len(model_server.requests) == asked  # comparing asks nothing
    rows = {line.split("  ")[0]: line for line in result.stdout.splitlines()}
    assert re.search(r"gpt-5-mini\s+another-model\s+changed", rows["model"])
    assert re.search(r"100\.0\s+\d+\.\d\s+-\d+\.\d \(worse\)", rows["chrF"])
    assert re.search(r"0\.0%\s+\d+\.\d%\s+\+\d+\.\d% \(worse\)", rows["edit rate"])
    assert "chrF worse in b.json: " in result.stdout and "numbers kept" in rows
    bad = run("eval", "--compare", "a.json", str(CORPUS))
    assert bad.code == 2 and "is not a result saved by `digest eval --save`" in bad.stderr


def test_ctrl_c_prints_what_was_measured_so_far(
    his_model: OpenAIServer, monkeypatch: pytest.MonkeyPatch, isolated: Path
) -> None:
    """Ctrl-C arrives while the third note is being translated (one at a time)."""
    real = evaluate.translate_checked
    calls: list[str] = []

    def interrupted_on_the_third(comment_ko: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(comment_ko)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(comment_ko, *args, **kwargs)

    monkeypatch.setattr(evaluate, "translate_checked", interrupted_on_the_third)
    out, err = io.StringIO(), io.StringIO()
    console = Console(stdin=io.BytesIO(), stdout=out, stderr=err)
    with pytest.raises((KeyboardInterrupt, click.exceptions.Abort)):  # main() exits 130 on it
        run_cli(["eval", "--limit", "10", "--jobs", "1", "--save", "partial.json"], console)
    stdout = out.getvalue()
    assert (
        "notes: 10 of 259 held-out notes of notes-2024.jsonl; 2 measured before the run stopped (interrupted)"
        in stdout
    )
    assert chrf(stdout) == 100.0
    saved = json.loads((isolated / "partial.json").read_text(encoding="utf-8"))
    assert saved["stopped"] == "interrupted" and len(saved["notes"]) == 2


def test_a_service_that_fails_stops_the_run_with_exit_3(model_server: OpenAIServer) -> None:
    model_server.faults = [Fault(401)]
    result = run("eval", "--limit", "3", "--jobs", "1")
    assert result.code == 3 and "rejected the key" in result.stderr
    assert "chrF" not in result.stdout and "none measured" in result.stdout


def test_the_page_shows_the_worst_cases_side_by_side(
    model_server: OpenAIServer, isolated: Path
) -> None:
    held_out = [n for n in NOTES if part_of(n.id) == HELD_OUT]
    # a held-out note past the page's WORST_SHOWN cases: the run stops at it (22 notes, where
    # the 160th held-out note took 160 and three times as long for the same page)
    worst = held_out[evaluate.WORST_SHOWN + 1]
    model_server.responder = lambda request: (
        "Something <else> entirely."
        if " ".join(last_user_comment(request).split()) == " ".join(worst.comment_ko.split())
        else his_english(request)
    )
    position = held_out.index(worst) + 1
    result = run("eval", "--limit", str(position), "-o", "worst.html")
    assert result.code == 0, result.stderr
    page = (isolated / "worst.html").read_text(encoding="utf-8")
    assert "prefers-color-scheme: dark" in page and ":lang(ko){word-break:keep-all}" in page
    first = page.split("<article>")[1]  # the worst case comes first
    assert worst.id in first and '<p lang="ko">' in first
    assert "Something &lt;else&gt; entirely." in first  # escaped
    assert "<del>" in first and "<ins>" in first  # the diff from the model's English to his
    assert "chrF: " in page


def test_a_digest_text_file(model_server: OpenAIServer) -> None:
    """--notes takes a digest day (format.md); the corpus gives the examples."""
    day = parse_digest(FORMAT_SAMPLE.read_text(encoding="utf-8"))[0]
    his = {e.comment_ko: e.comment_en for e in day.entries}
    model_server.responder = lambda request: his[last_user_comment(request)]
    result = run("eval", "--notes", str(FORMAT_SAMPLE))
    assert result.code == 0, result.stderr
    assert figure(result.stdout, "notes") == "3 notes of format-sample.txt"
    assert chrf(result.stdout) == 100.0
    titles = [e.title for e in day.entries]
    assert all(
        any(t in json.dumps(b, ensure_ascii=False) for t in titles) for b in model_server.bodies()
    )


def test_a_note_evaluated_never_serves_as_an_example() -> None:
    evaluated = [NOTES[0], NOTES[-1]]
    selection = select_file(evaluated, NOTES, None, "day.txt")
    assert len(selection.examples) == len(NOTES) - 2
    assert not {n.comment_ko for n in evaluated} & {n.comment_ko for n in selection.examples}
    held_out = select_part(NOTES, HELD_OUT, 5, "notes")
    assert len(held_out.evaluated) == 5 and {part_of(n.id) for n in held_out.examples} == {TUNING}


def test_bad_input_names_the_file_and_line(isolated: Path) -> None:
    corpus = isolated / "bad.jsonl"
    corpus.write_text(CORPUS.read_text(encoding="utf-8").splitlines()[0] + "\n{oops\n")
    result = run("eval", "--corpus", str(corpus))
    assert result.code == 2 and f"{corpus}:2: not a JSON object" in result.stderr
    corpus.write_text('{"id": "2409.1"}\n')
    result = run("eval", "--corpus", str(corpus))
    assert result.code == 2 and "comment_ko, comment_en" in result.stderr
    corpus.write_text("")
    assert "nothing to evaluate" in run("eval", "--corpus", str(corpus)).stderr


# -- the parts ------------------------------------------------------------------------------------
def test_the_split_is_by_arxiv_month() -> None:
    assert part_of("2409.01234") == part_of("2412.00001v2") == part_of("hep-th/9910001") == HELD_OUT
    assert part_of("2401.15077") == part_of("2408.00009") == TUNING
    assert part_of("2024-survey-1234abcd") == part_of("1210-a-title") == TUNING  # title ids
    counts = {p: sum(part_of(n.id) == p for n in NOTES) for p in (HELD_OUT, TUNING)}
    assert counts == {HELD_OUT: 259, TUNING: 41}


def test_eval_with_the_judge_counts_its_findings(his_model: OpenAIServer, isolated: Path) -> None:
    from pipeline.judge import JUDGE_SYSTEM

    verdict = json.dumps({"errors": [{"category": "fluency", "severity": "minor", "span": "x"}]})

    def answer(request: dict[str, Any]) -> str:
        if request["messages"][0]["content"] == JUDGE_SYSTEM:
            return verdict
        return his_english(request)

    his_model.responder = answer
    result = run("eval", "--limit", "3", "--judge")
    assert result.code == 0, result.stderr
    judged = [b for b in his_model.bodies() if b["messages"][0]["content"] == JUDGE_SYSTEM]
    assert judged and figure(result.stdout, "judge").startswith("minor fluency ")


def test_judge_findings_are_counted_by_severity_and_category() -> None:
    findings = [
        Finding("judge", ERROR, "major omission: '데이터 구성이 핵심'"),
        Finding("judge", WARNING, "minor fluency: 'a the'"),
        Finding("judge", ERROR, "major omission: '7B'"),
        Finding("judge", WARNING, "the judge's reply could not be read (it is empty)"),
    ]
    result = NoteResult("2409.1", "한국어", "English.", "English.", findings)
    report = EvalReport("m", "p", "g", "1 note", 1, [result], judge=True)
    assert summary(report)["judged"] == {"major omission": 2, "minor fluency": 1, "unreadable": 1}
    assert "judge: major omission 2, minor fluency 1, unreadable 1" in evaluate.format_report(
        report
    )
