"""The use cases in-process, with the model faked at its interface (no HTTP): drafting, repairs,
the judge, editing, checking and selection, as the workflow layer returns them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.config import load_settings
from pipeline.entry import Entry
from pipeline.errors import InputError, ServiceError
from pipeline.results import RunResult
from pipeline.text import parse_dates, parse_day
from pipeline.translation import translate_checked
from tests.cli_helpers import FAKE_EN as EN
from tests.cli_helpers import FAKE_GLOSSARY as GLOSSARY
from tests.cli_helpers import KO, FakeModel, is_judge, judgement, workflow


def test_a_draft_in_process(isolated: Path) -> None:
    model = FakeModel(lambda messages: EN)
    result = workflow(model, isolated).draft("arXiv:2506.18896v1", KO, ["rl"], "2025-06-24")
    assert result.outcome.result is RunResult.TRANSLATED
    assert result.entry.comment_en == EN and result.entry.status == "ready"
    assert result.path.exists() and len(model.requests) == 1
    again = workflow(model, isolated).draft("2506.18896", KO, ["rl"], "2025-06-24")
    assert again.outcome.result is RunResult.UNCHANGED and len(model.requests) == 1


def test_a_missed_rendering_is_asked_for_once_and_never_blocks(isolated: Path) -> None:
    korean = "PRM을 보상 모델 대신 쓰는 추론 방법."
    replies = iter(
        [
            "A method that uses a PRM instead of a reward model for thinking.",  # misses reasoning
            "A method that uses a PRM instead of a reward model for thinking, again.",
        ]
    )
    model = FakeModel(lambda messages: next(replies))
    made = translate_checked(korean, GLOSSARY, model, repairs=3)
    assert len(model.requests) == 2  # once for the rendering, not three times
    assert "glossary" in model.requests[1][-1]["content"]  # the repair turn names it
    assert not any(f.is_error for f in made.findings)
    assert [f.check for f in made.findings if not f.is_error].count("glossary") == 1


def test_a_strict_term_blocks_and_is_repaired(isolated: Path) -> None:
    korean = "PRM을 보상 모델 대신 쓰는 추론 방법."
    replies = iter(
        [
            "Using a PRM instead of a scoring model for reasoning.",
            "Using a PRM instead of a reward model for reasoning.",
        ]
    )
    model = FakeModel(lambda messages: next(replies))
    made = translate_checked(korean, GLOSSARY, model)
    assert made.english == "Using a PRM instead of a reward model for reasoning."
    assert made.repairs == 1 and made.requests == 2 and made.tokens == 20
    errors = made.attempts[0]["errors"]
    assert isinstance(errors, list) and "error: glossary" in errors[0]


def test_the_judge_sends_an_addition_back_with_its_span(isolated: Path) -> None:
    added = EN + " This is the best PRM ever made."
    english = iter([added, EN])
    verdicts = iter([judgement(("addition", "major", "This is the best PRM ever made.")), "[]"])

    def answer(messages: list[dict[str, str]]) -> str:
        return next(verdicts) if is_judge(messages) else next(english)

    model = FakeModel(answer)
    result = workflow(model, isolated, judge=True).draft("2506.18896", KO, None, "2025-06-24")
    entry = result.entry
    assert entry.comment_en == EN and entry.status == "ready" and entry.repairs == 1
    repair = model.requests[2][-1]["content"]  # translate, judge, repair, judge
    assert "judge" in repair and "This is the best PRM ever made." in repair
    assert len(model.requests) == 4
    assert entry.judged == EN and entry.judge == []


@pytest.mark.parametrize(
    "verdict",
    ["I am not sure what you want.", '{"errors": [{"category": "addition"', "<html>"],
)
def test_a_judge_reply_that_cannot_be_read_is_one_warning(verdict: str, isolated: Path) -> None:
    model = FakeModel(lambda messages: verdict if is_judge(messages) else EN)
    entry = workflow(model, isolated, judge=True).draft("2506.18896", KO, None, "2025-06-24").entry
    judged = [f for f in entry.checks if f.check == "judge"]
    assert entry.status == "ready" and len(judged) == 1 and not judged[0].is_error
    assert entry.comment_en == EN  # nothing lost, nothing blocked


def test_a_judge_that_fails_is_one_warning(isolated: Path) -> None:
    def answer(messages: list[dict[str, str]]) -> str:
        if is_judge(messages):
            raise ServiceError("the model API failed after retries: no answer in time")
        return EN

    entry = (
        workflow(FakeModel(answer), isolated, judge=True)
        .draft("2506.18896", KO, None, "2025-06-24")
        .entry
    )
    assert entry.status == "ready" and entry.comment_en == EN
    assert [f.message for f in entry.checks if f.check == "judge"] == [
        "the judge did not answer (the model API failed after retries: no answer in time)"
    ]


def test_a_judgement_holds_until_the_english_changes(isolated: Path) -> None:
    verdict = judgement(("fluency", "minor", "templates fit"))
    model = FakeModel(lambda messages: verdict if is_judge(messages) else EN)
    flow = workflow(model, isolated, judge=True)
    entry = flow.draft("2506.18896", KO, None, "2025-06-24").entry
    assert any(f.check == "judge" for f in entry.checks)
    [checked] = flow.check([entry])
    assert any(f.check == "judge" for f in checked.checks)  # recorded in the draft, still true
    edited = flow.edit("2506.18896", None, lambda e: (EN + " Nice.", None)).entry
    assert not any(f.check == "judge" for f in edited.checks)  # another English: not judged


def test_an_oversized_reply_is_an_error_and_is_not_stored_whole(isolated: Path) -> None:
    model = FakeModel(lambda messages: "A PRM. " + "x" * 1_000_000)
    made = translate_checked(KO, GLOSSARY, model, repairs=0)
    assert any(f.is_error for f in made.findings) and len(made.english) == 20_000
    assert "characters; kept the start" in made.cleanup[-1]


def test_select_takes_ids_the_tool_prints_for_imported_entries(isolated: Path) -> None:
    flow = workflow(FakeModel(lambda m: EN), isolated)
    title_id = "vision-as-a-dialect-unifying-visual-913c9f34"
    flow.store.save(
        Entry(title_id, "2025-06-24", "Vision as a Dialect", ["A"], "Abs.", KO, "", EN, [])
    )
    assert flow.select([title_id], None, command="digest check").entries[0].id == title_id
    with pytest.raises(InputError, match="not an arXiv id"):
        flow.select(["no-such-entry-00000000"], None, command="digest check")


def test_dates_today_yesterday_and_ranges() -> None:
    import datetime as dt

    assert parse_day("today") == dt.date.today().isoformat()
    assert parse_day("yesterday") == (dt.date.today() - dt.timedelta(days=1)).isoformat()
    assert parse_dates("2025-06-30..2025-07-02") == ("2025-06-30", "2025-07-02")  # its ends only
    assert parse_dates("today") == (parse_day("today"),) * 2
    with pytest.raises(InputError, match="ends before it starts"):
        parse_dates("2025-07-02..2025-06-30")


def test_the_same_paper_without_a_date_is_the_draft_it_already_has(isolated: Path) -> None:
    model = FakeModel(lambda messages: EN)
    first = workflow(model, isolated).draft("2506.18896", KO, None, "2025-06-24")
    log: list[str] = []
    flow = workflow(model, isolated)
    flow.log = log.append
    again = flow.draft("2506.18896", KO, None, None)  # no --date: not a second draft today
    assert again.path == first.path and again.outcome.result is RunResult.UNCHANGED
    assert any("already drafted on 2025-06-24; using that draft" in line for line in log)


def test_a_judge_that_failed_is_asked_again_by_the_next_check(isolated: Path) -> None:
    answers = iter(["<html>", judgement(("omission", "major", "평가하게 했군요"))])

    def answer(messages: list[dict[str, str]]) -> str:
        return next(answers) if is_judge(messages) else EN

    model = FakeModel(answer)
    flow = workflow(model, isolated, judge=True)
    entry = flow.draft("2506.18896", KO, None, "2025-06-24", force=True).entry
    assert entry.judged == "" and entry.status == "ready"  # shown, not recorded
    [checked] = flow.check([flow.find("2506.18896")])
    assert checked.judged == EN and checked.status == "needs-review"  # asked again: an omission


def test_review_against_previous_skips_a_replaced_hand_edit(isolated: Path) -> None:
    from pipeline.review import review_entry

    entry = Entry(
        "2506.18896", "2025-06-24", "T", ["A"], "Abs.", KO, "New English.", "New English."
    )
    entry.history = [{"machine_en": "Old English."}, {"comment_en": "Mine.", "replaced": "--force"}]
    assert review_entry(entry, "previous").before == "Old English."


def test_each_drafts_folder_has_its_own_history(isolated: Path) -> None:
    first = replace(load_settings(), drafts_dir=isolated / "a")
    second = replace(first, drafts_dir=isolated / "b")
    assert first.history_file != second.history_file
    assert first.history_file.parent == second.history_file.parent  # both in the cache folder
