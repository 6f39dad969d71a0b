"""arXiv refusing or away, through the command line: its API answering 429 to everything, or no
answer at all, does not stop the author's day. Landing pages give the papers; with the pages down too, every comment is translated
and saved and waits for its paper; when arXiv answers again the same command fills the papers
and asks the model nothing; every arXiv request carries the contact."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pipeline.arxiv import ArxivClient
from pipeline.config import load_settings
from pipeline.text import parse_id
from tests.cli_helpers import EN, KO, draft_sample, load_draft, run
from tests.conftest import SAMPLE_PAPER, TRANSLATIONS, closed_port
from tests.servers import ArxivServer, FakePaper, OpenAIServer, last_user_comment

DATE = "2025-06-24"
CONTACT = "you@example.org"
NAMES = ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel", "India", "Kilo"]
PAPERS = [
    FakePaper(
        f"2506.{n + 1:05d}",
        f"{name}: A  Study of\n  Reasoning at Scale",
        [f"{name} Kim", "José María Álvarez", "Jean-Baptiste de la Tour"],
        f"We present {name}, which improves O'Neil's reasoning benchmark by 40-60\\% "
        "when $n < m$ & the model is large; " + " ".join(["the abstract goes on"] * 12) + ".",
    )
    for n, name in enumerate(NAMES)
]
COMMENTS = {
    p.id: f"{name} 모델의 추론 능력을 평가한 연구." for p, name in zip(PAPERS, NAMES, strict=True)
}
ENGLISH = {
    COMMENTS[p.id]: f"A study evaluating the reasoning ability of the {name} model."
    for p, name in zip(PAPERS, NAMES, strict=True)
}
PAUSE_FILE = Path("cache") / "arxiv-api-paused-until"


@pytest.fixture
def arxiv(arxiv_server: ArxivServer, monkeypatch: pytest.MonkeyPatch) -> ArxivServer:
    """The loopback arXiv with the day's papers, its landing pages served, a contact set."""
    monkeypatch.setenv("DIGEST_ARXIV_ABS_URL", arxiv_server.abs_url)
    monkeypatch.setenv("DIGEST_CONTACT", CONTACT)
    for paper in PAPERS:
        arxiv_server.add(paper)
    return arxiv_server


@pytest.fixture
def model(model_server: OpenAIServer) -> OpenAIServer:
    def translate(request: dict[str, Any]) -> str:
        comment = last_user_comment(request)
        return ENGLISH.get(comment) or TRANSLATIONS[comment]

    model_server.responder = translate
    return model_server


@pytest.fixture
def day(isolated: Path) -> Path:
    notes = isolated / "day.txt"
    notes.write_text("\n\n".join(f"{i}\n{c}" for i, c in COMMENTS.items()) + "\n", "utf-8")
    return notes


def draft_day() -> Any:
    return run("draft", "--notes", "day.txt", "--date", DATE)


def api_records(server: ArxivServer) -> dict[str, Any]:
    """What the API gives for the day's papers (asked directly, outside the runs)."""
    status, count = server.api_status, len(server.requests)
    server.api_status = None
    fetched = ArxivClient(load_settings()).fetch(
        [parse_id(p.id) for p in PAPERS], refresh=True, pages=False
    )
    del server.requests[count:]
    server.api_status = status
    return fetched.papers


def test_a_throttled_day_drafts_in_full_from_the_landing_pages(
    arxiv: ArxivServer, model: OpenAIServer, day: Path, isolated: Path
) -> None:
    arxiv.api_status = 429
    result = draft_day()
    assert result.code == 0, result.stderr
    assert "Summary: 10 ready, 0 need review, 0 failed" in result.stderr
    assert "arXiv failed after retries: arXiv answered HTTP 429" in result.stderr
    assert "reading 10 landing pages instead" in result.stderr
    assert len(arxiv.api_requests()) == 4  # one query, its retries spent once
    assert sorted(r["path"] for r in arxiv.page_requests()) == [f"/abs/{p.id}" for p in PAPERS]
    api = api_records(arxiv)
    for paper in PAPERS:
        data = load_draft(isolated, DATE, paper.id)
        assert data["source"] == "arxiv-page"
        # exact, as the API gives them
        assert (
            data["title"]
            == api[paper.id].title
            == f"{paper.title.split(':')[0]}: A Study of Reasoning at Scale"
        )
        assert data["authors"] == api[paper.id].authors == paper.authors
        assert data["abstract"] == api[paper.id].abstract
        assert data["comment_en"] == ENGLISH[COMMENTS[paper.id]] and data["status"] == "ready"
    exported = run("export", DATE)
    assert exported.code == 0 and "José María Álvarez" in exported.stdout
    assert "40-60\\%" in exported.stdout and "O'Neil's" in exported.stdout
    # the next run, while the API rests: nothing asked of anyone
    before = (len(arxiv.requests), len(model.requests))
    again = draft_day()
    assert again.code == 0 and (len(arxiv.requests), len(model.requests)) == before
    # the contact is in every arXiv request's User-Agent, API and pages alike
    agents = [r["headers"]["user-agent"] for r in arxiv.requests]
    assert len(agents) == 14 and all(f"; mailto:{CONTACT})" in agent for agent in agents)


def test_with_the_pages_down_too_every_comment_is_translated_and_waits_for_its_paper(
    arxiv: ArxivServer, model: OpenAIServer, day: Path, isolated: Path
) -> None:
    arxiv.api_status = 429
    arxiv.page_status = 503
    result = draft_day()
    assert result.code == 3, result.stderr
    assert len(model.requests) == 10 and len(arxiv.page_requests()) == 4  # one page's tries
    for paper in PAPERS:
        data = load_draft(isolated, DATE, paper.id)
        assert (data["title"], data["comment_ko"]) == ("", COMMENTS[paper.id])
        assert data["comment_en"] == data["machine_en"] == ENGLISH[COMMENTS[paper.id]]
    lines = result.stderr.splitlines()
    assert "Summary: 0 ready, 0 need review, 0 failed, 10 wait for their paper" in lines
    waiting = next(line for line in lines if "waiting for their paper" in line)
    assert all(p.id in waiting for p in PAPERS)
    assert f"run `digest draft --notes day.txt --date {DATE}` when arXiv answers" in waiting
    assert f"[1/10] {PAPERS[0].id}: translated; waits for its paper" in result.stderr
    assert "Traceback" not in result.stderr

    # check, review and export say so
    checked = run("check", "--date", DATE)
    assert checked.code == 1
    assert f"{PAPERS[0].id} ({DATE}): waits for its paper" in checked.stdout
    assert f"Fix: digest draft {PAPERS[0].id} --date {DATE}" in checked.stderr
    reviewed = run("review", "--date", DATE)
    assert reviewed.code == 0
    assert (
        f"{PAPERS[0].id} ({DATE}): waits for its paper from arXiv, so it cannot be exported yet"
        in reviewed.stderr
    )
    refused = run("export", DATE)
    assert refused.code == 1
    assert (
        "10 of 10 entries fail their checks (10 wait for their paper from arXiv)" in refused.stderr
    )

    # arXiv answers again (the pause is over): the same command fills the papers, no model request
    arxiv.api_status = arxiv.page_status = None
    (isolated / PAUSE_FILE).write_text("0", encoding="utf-8")
    api_before, pages_before = len(arxiv.api_requests()), len(arxiv.page_requests())
    again = draft_day()
    assert again.code == 0, again.stderr
    assert len(model.requests) == 10  # the English is not made again for the paper
    assert (
        len(arxiv.api_requests()) == api_before + 1 and len(arxiv.page_requests()) == pages_before
    )
    assert "Summary: 10 ready, 0 need review, 0 failed" in again.stderr
    assert "the paper is filled in; the English made while it waited is kept" in again.stderr
    for paper in PAPERS:
        data = load_draft(isolated, DATE, paper.id)
        assert data["source"] == "arxiv" and data["authors"] == paper.authors
        assert data["comment_en"] == ENGLISH[COMMENTS[paper.id]] and data["status"] == "ready"
    assert run("export", DATE).code == 0


def test_one_paper_with_everything_down_then_filled(
    arxiv: ArxivServer, model: OpenAIServer, isolated: Path
) -> None:
    ko = next(iter(TRANSLATIONS))
    arxiv.api_status, arxiv.page_status = 429, 503
    result = run("draft", SAMPLE_PAPER.id, "--comment", ko, "--date", DATE)
    assert result.code == 3 and len(model.requests) == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: arXiv failed after retries: arXiv answered HTTP 429")
    assert (
        "the API is left alone until" in last
        and "landing page failed after retries: the page answered HTTP 503" in last
    )
    assert f"your comment and its English are saved in {isolated / 'drafts' / DATE}" in last
    assert last.endswith(f"run `digest draft {SAMPLE_PAPER.id} --date {DATE}` when arXiv answers")
    assert load_draft(isolated, DATE, SAMPLE_PAPER.id)["comment_en"] == TRANSLATIONS[ko]
    # translate says the same, and asks arXiv the pages only (the API rests)
    translated = run("translate", SAMPLE_PAPER.id)
    assert translated.code == 3
    assert translated.stderr.strip().splitlines()[-1] == (
        f"Error: arXiv gave no paper for {SAMPLE_PAPER.id}; its English is saved in the draft, "
        f"which waits for its paper: run `digest draft {SAMPLE_PAPER.id} --date {DATE}` "
        "when arXiv answers"
    )
    # the pages come back first: the same command fills the paper from its landing page
    arxiv.page_status = None
    asked = len(model.requests)
    filled = run("draft", SAMPLE_PAPER.id, "--date", DATE)
    assert filled.code == 0, filled.stderr
    assert filled.stdout.startswith(SAMPLE_PAPER.title) and len(model.requests) == asked
    data = load_draft(isolated, DATE, SAMPLE_PAPER.id)
    assert (data["source"], data["status"]) == ("arxiv-page", "ready")
    # an authors' line break is a space on the page; the API's record brings it back later
    assert data["abstract"] == SAMPLE_PAPER.abstract.replace("\n", " ")
    arxiv.api_status = None
    (isolated / PAUSE_FILE).write_text("0", encoding="utf-8")
    upgraded = run("draft", SAMPLE_PAPER.id, "--date", DATE)
    assert upgraded.code == 0 and len(model.requests) == asked
    data = load_draft(isolated, DATE, SAMPLE_PAPER.id)
    assert (data["source"], data["abstract"], data["version"]) == (
        "arxiv",
        SAMPLE_PAPER.abstract,
        "v2",
    )
    assert data["primary_category"] == "cs.LG"


def test_refresh_takes_the_apis_record_over_a_pages(
    arxiv: ArxivServer, model: OpenAIServer, isolated: Path
) -> None:
    ko = next(iter(TRANSLATIONS))
    arxiv.api_status = 429
    assert run("draft", SAMPLE_PAPER.id, "--comment", ko, "--date", DATE).code == 0
    assert load_draft(isolated, DATE, SAMPLE_PAPER.id)["source"] == "arxiv-page"
    arxiv.api_status = None  # within the pause: only --refresh asks the API
    assert run("draft", SAMPLE_PAPER.id, "--date", DATE).code == 0
    assert load_draft(isolated, DATE, SAMPLE_PAPER.id)["source"] == "arxiv-page"
    refreshed = run("draft", SAMPLE_PAPER.id, "--date", DATE, "--refresh")
    assert refreshed.code == 0, refreshed.stderr
    data = load_draft(isolated, DATE, SAMPLE_PAPER.id)
    assert (data["source"], data["abstract"]) == ("arxiv", SAMPLE_PAPER.abstract)
    assert len(model.requests) == 1


def test_a_page_naming_another_paper_leaves_that_one_waiting(
    arxiv: ArxivServer, model: OpenAIServer, day: Path, isolated: Path
) -> None:
    arxiv.api_status = 429
    arxiv.page_names[PAPERS[3].id] = "2506.99999"
    result = draft_day()
    assert result.code == 3
    assert "Summary: 9 ready, 0 need review, 0 failed, 1 wait for their paper" in result.stderr
    assert f"is the page of 2506.99999, not {PAPERS[3].id}" in result.stderr
    assert load_draft(isolated, DATE, PAPERS[3].id)["title"] == ""
    assert load_draft(isolated, DATE, PAPERS[4].id)["source"] == "arxiv-page"


def test_doctor_suggests_a_contact(arxiv_server: ArxivServer, model_server: OpenAIServer) -> None:
    hint = "hint: set DIGEST_CONTACT to your e-mail address"
    plain = run("doctor")
    assert plain.code == 0 and hint in plain.stdout  # a hint, not a failure
    assert run("doctor", env={"DIGEST_CONTACT": CONTACT}).stdout.count(hint) == 0
    arxiv_server.api_status = 429
    refused = run("doctor")
    line = next(x for x in refused.stdout.splitlines() if x.startswith("arXiv"))
    assert refused.code == 3 and "FAIL" in line and hint in line
    assert not arxiv_server.page_requests()  # doctor asks the API itself


def test_translate_with_arxiv_down_translates_and_names_what_waits(
    arxiv: ArxivServer, model: OpenAIServer, day: Path, isolated: Path
) -> None:
    arxiv.api_status, arxiv.page_status = 429, 503
    assert draft_day().code == 3
    result = run("translate", "--date", DATE)
    assert result.code == 3, result.stderr
    assert "Summary: 0 ready, 0 need review, 0 failed, 10 wait for their paper" in result.stderr
    waiting = next(x for x in result.stderr.splitlines() if "waiting for their paper" in x)
    assert f"run `digest draft {PAPERS[0].id} --date {DATE}; digest draft {PAPERS[1].id}" in waiting
    assert all(load_draft(isolated, DATE, p.id)["comment_en"] for p in PAPERS)


def test_doctor_ends_a_pause_when_the_api_answers(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    import time

    (isolated / "cache").mkdir()
    (isolated / PAUSE_FILE).write_text(repr(time.time() + 600), encoding="utf-8")
    result = run("doctor", env={"DIGEST_CONTACT": CONTACT})
    line = next(x for x in result.stdout.splitlines() if x.startswith("arXiv"))
    assert result.code == 0 and "it had refused a while ago; drafts ask it again" in line
    assert not (isolated / PAUSE_FILE).exists()


def test_arxiv_down_keeps_a_piped_comment_and_drafting_again_finishes_it(
    isolated: Path, arxiv_server: ArxivServer, model_server: OpenAIServer
) -> None:
    down = {"DIGEST_ARXIV_API_URL": f"http://127.0.0.1:{closed_port()}/api/query"}
    result = run("draft", "2506.18896", "--date", DATE, stdin=f"{KO}\n#rl\n", env=down)
    assert result.code == 3
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: arXiv failed after retries: cannot reach arXiv")
    assert "landing page failed after retries" in last  # the fallback did not answer either
    assert (
        "your comment and its English are saved in" in last
        and "`digest draft 2506.18896 --date 2025-06-24`" in last
    )
    saved = load_draft(isolated, DATE, "2506.18896")
    assert (saved["comment_ko"], saved["tags"], saved["title"]) == (KO, ["rl"], "")
    # the paper is context, not a requirement: translated and checked all the same
    assert saved["comment_en"] == EN and len(model_server.requests) == 1
    refused = run("export", DATE)
    assert refused.code == 1 and "not fetched yet" in refused.stderr
    assert "fix them (digest draft 2506.18896 --date 2025-06-24)" in refused.stderr
    # arXiv answers again: the same command, with nothing new on stdin, finishes the draft
    done = run("draft", "2506.18896", "--date", DATE)
    assert done.code == 0, done.stderr
    data = load_draft(isolated, DATE, "2506.18896")
    assert data["title"].startswith("ReasonFlux-PRM") and data["authors"][0] == "Jiaru Zou"
    assert (data["comment_en"], data["status"], data["tags"]) == (EN, "ready", ["rl"])
    assert len(model_server.requests) == 1  # the English is not made again for the paper
    assert run("export", DATE).code == 0


def test_translate_fetches_what_arxiv_could_not_give_before(
    isolated: Path, arxiv_server: ArxivServer, model_server: OpenAIServer
) -> None:
    down = {"DIGEST_ARXIV_API_URL": f"http://127.0.0.1:{closed_port()}/api/query"}
    assert draft_sample(env=down).code == 3  # --comment: saved as well
    assert load_draft(isolated, DATE, "2506.18896")["comment_ko"] == KO
    result = run("translate", "2506.18896")
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("ReasonFlux-PRM") and f"\n{EN}\n" in result.stdout
    assert len(arxiv_server.requests) == 1


def test_a_notes_file_finishes_a_draft_saved_while_arxiv_was_down(
    isolated: Path, arxiv_server: ArxivServer, model_server: OpenAIServer
) -> None:
    down = {"DIGEST_ARXIV_API_URL": f"http://127.0.0.1:{closed_port()}/api/query"}
    assert draft_sample(env=down).code == 3
    (isolated / "day.txt").write_text(f"2506.18896\n{KO}\n", encoding="utf-8")
    result = run("draft", "--notes", "day.txt", "--date", DATE)
    assert result.code == 0, result.stderr
    data = load_draft(isolated, DATE, "2506.18896")
    assert data["title"].startswith("ReasonFlux-PRM") and data["comment_en"] == EN


def test_arxiv_down_before_the_editor_opens_writes_nothing(
    isolated: Path, model_server: OpenAIServer
) -> None:
    editor = isolated / "ed.sh"
    editor.write_text(f"#!/bin/sh\ntouch {isolated}/opened\n", encoding="utf-8")
    editor.chmod(0o755)
    down = {"DIGEST_ARXIV_API_URL": f"http://127.0.0.1:{closed_port()}/api/query"}
    result = run(
        "draft", "2506.18896", "--date", DATE, env={**down, "EDITOR": str(editor)}, tty=True
    )
    assert result.code == 3 and "arXiv failed after retries" in result.stderr
    assert not (isolated / "opened").exists() and not (isolated / "drafts" / DATE).exists()
