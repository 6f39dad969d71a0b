"""Nothing lost when two commands meet: real processes racing on one day's drafts. (The rules
that decide what is kept are tested as tables in test_merge.py; here, that the processes reach
them: a comment or a hand edit saved while a batch works is kept, no order is given twice.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.store import Store
from tests.cli_helpers import load_draft, run, start, wait_for
from tests.servers import ArxivServer, FakePaper, OpenAIServer

DATE = "2025-06-24"
KO = "PRM. 각 단계가 일관되는지, 추론의 템플릿이 적절한지 등을 평가하게 했군요."
IDS = [f"2506.{n:05d}" for n in range(1, 9)]
# one comment per paper, told apart by a letter: (a), (b), ...
COMMENTS = {paper_id: f"{KO} ({chr(ord('a') + n)})" for n, paper_id in enumerate(IDS)}


def english(request: dict) -> str:
    """A good English for each comment of these tests (PRM kept, the letter kept)."""
    from tests.servers import last_user_comment

    comment = last_user_comment(request)
    if comment.startswith("NEW"):
        return "New English for the new comment: adding noise to the reward."
    return f"A PRM judging whether steps are coherent and reasoning templates fit {comment[-3:]}"


def a_day_of_eight(arxiv: ArxivServer, model: OpenAIServer, isolated: Path) -> None:
    for paper_id in IDS:
        arxiv.add(FakePaper(paper_id, f"Paper {paper_id}", ["Ann"], "An abstract."))
    notes = "\n\n".join(f"{i}\n{COMMENTS[i]}\n#rl" for i in IDS)
    (isolated / "day.txt").write_text(notes, encoding="utf-8")
    model.responder = english
    drafted = run("draft", "--notes", "day.txt", "--date", DATE)
    assert drafted.code == 0, drafted.stderr


def slow_machine_english(request: dict) -> str:
    """Another model's English: the batch's translations differ from the first ones."""
    return english(request).replace("A PRM judging", "Another model's PRM, judging")


@pytest.mark.slow
@pytest.mark.parametrize("repetition", range(3))
def test_a_comment_drafted_during_a_batch_wins(
    repetition: int, arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """`draft ID --comment NEW` while `translate --date` works through the day."""
    a_day_of_eight(arxiv_server, model_server, isolated)
    model_server.latency = 0.15
    model_server.responder = slow_machine_english
    target = IDS[-1 - repetition]  # late in the batch: it reaches it after the draft
    # another model: the batch's requests are new, not answered from the reply cache
    batch = start(
        ["translate", "--date", DATE, "--jobs", "1"], env={"DIGEST_MODEL": "another-model"}
    )
    wait_for(lambda: len(model_server.requests) >= 10)  # the batch is under way
    new = "NEW 코멘트: Reward에 노이즈를 추가."
    drafted = run("draft", target, "--comment", new, "--date", DATE)
    assert drafted.code == 0, drafted.stderr
    _, stderr = batch.communicate(timeout=60)
    assert batch.returncode == 0, stderr
    saved = load_draft(isolated, DATE, target)
    assert saved["comment_ko"] == new
    assert (
        saved["comment_en"]
        == saved["machine_en"]
        == english({"messages": [{"role": "user", "content": f"<<<\n{new}\n>>>"}]})
    )
    assert f"{target}: changed meanwhile" in stderr
    others = [load_draft(isolated, DATE, i) for i in IDS if i != target]
    assert all(o["machine_en"].startswith("Another model's PRM") for o in others)


@pytest.mark.slow
@pytest.mark.parametrize("repetition", range(3))
def test_a_hand_edit_during_a_batch_is_kept(
    repetition: int, arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """`digest edit ID` (English on stdin) while `translate --date` runs."""
    a_day_of_eight(arxiv_server, model_server, isolated)
    model_server.latency = 0.15
    model_server.responder = slow_machine_english
    target = IDS[-1 - repetition]
    # another model: the batch's requests are new, not answered from the reply cache
    batch = start(
        ["translate", "--date", DATE, "--jobs", "1"], env={"DIGEST_MODEL": "another-model"}
    )
    wait_for(lambda: len(model_server.requests) >= 10)
    mine = "A PRM that grades each reasoning step, in my words."
    assert run("edit", target, "--date", DATE, stdin=mine).code == 0
    _, stderr = batch.communicate(timeout=60)
    assert batch.returncode == 0, stderr
    saved = load_draft(isolated, DATE, target)
    assert saved["comment_en"] == mine  # the edit that arrived in between wins
    assert saved["machine_en"].startswith("Another model's PRM")
    assert f"{target}: comment_en was edited meanwhile, so it was kept" in stderr


@pytest.mark.slow
def test_two_processes_drafting_the_same_day(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    ids = [f"2506.{i:05d}" for i in range(1, 9)]
    for paper_id in ids:
        arxiv_server.add(FakePaper(paper_id, f"Paper {paper_id}", ["A"], "Abstract."))
    notes = [isolated / "a.txt", isolated / "b.txt"]
    for path, half in zip(notes, (ids[:4], ids[4:]), strict=True):
        path.write_text("\n\n".join(f"{i}\n{KO}" for i in half), encoding="utf-8")
    model_server.latency = 0.2
    procs = [start(["draft", "--notes", str(p), "--date", DATE, "--jobs", "2"]) for p in notes]
    for proc in procs:
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 0, stderr

    day = Store(isolated / "drafts").day(DATE)
    assert sorted(e.id for e in day.entries) == ids and not day.problems
    assert sorted(e.order for e in day.entries) == list(range(1, 9))  # no order given twice
