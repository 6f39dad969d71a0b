"""Nothing lost when two commands meet (issue 14): real processes racing on one day's drafts,
and the smaller ways a draft, a reply or an input could lose or hide what the author wrote."""

from __future__ import annotations

import errno
import os
import time
import unicodedata
from pathlib import Path

import pytest
import yaml

from pipeline.errors import redact
from pipeline.store import STALE_TEMP_SECONDS, Store
from tests.cli_helpers import draft_file, load_draft, make_entry, run, start, wait_for
from tests.conftest import TRANSLATIONS
from tests.servers import ArxivServer, FakePaper, Fault, OpenAIServer

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


@pytest.mark.parametrize("repetition", range(3))
def test_a_comment_drafted_during_a_batch_wins(
    repetition: int, arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """Item 1: `draft ID --comment NEW` while `translate --date` works through the day."""
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


@pytest.mark.parametrize("repetition", range(3))
def test_a_hand_edit_during_a_batch_is_kept(
    repetition: int, arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """Item 2: `digest edit ID` (English on stdin) while `translate --date` runs."""
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


def test_force_keeps_the_replaced_hand_edit_in_the_history(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """Item 6."""
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


def test_an_unreadable_draft_does_not_give_its_order_number_again(tmp_path: Path) -> None:
    """Item 3: orders come from a counter; a day without one starts past every file's order."""
    store = Store(tmp_path)
    store.save(make_entry("2506.00001"))
    broken = tmp_path / DATE / "2506.00002.yaml"
    broken.write_text("order: 2\ntitle: [unclosed\n", encoding="utf-8")
    (tmp_path / DATE / ".order").unlink()  # as in a drafts folder from before the counter
    entry = make_entry("2506.00003")
    store.save(entry)
    assert entry.order == 3
    fixed = make_entry("2506.00004")
    store.save(fixed)
    assert fixed.order == 4


def test_a_temporary_file_left_by_a_killed_writer_is_cleaned(tmp_path: Path) -> None:
    """Item 4."""
    folder = tmp_path / DATE
    folder.mkdir()
    stale = folder / ".2506.00001.yaml.abc123.tmp"
    fresh = folder / ".2506.00002.yaml.def456.tmp"  # a writer at work right now
    for temp in (stale, fresh):
        temp.write_text("half a draft", encoding="utf-8")
    old = time.time() - STALE_TEMP_SECONDS - 60
    os.utime(stale, (old, old))
    Store(tmp_path).save(make_entry("2506.00001"))
    assert not stale.exists() and fresh.exists()


def test_a_reply_that_is_not_a_completion_fails_one_entry_not_the_batch(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """Item 7: a 200 HTML page for one entry is a service failure of that entry; the rest goes on."""
    for paper_id in IDS[:3]:
        arxiv_server.add(FakePaper(paper_id, f"Paper {paper_id}", ["Ann"], "An abstract."))
    notes = "\n\n".join(f"{i}\n{KO} ({i})" for i in IDS[:3])
    (isolated / "day.txt").write_text(notes, encoding="utf-8")
    model_server.faults = [Fault(200, {"Content-Type": "text/html"}, b"<html>Sign in</html>")]
    result = run("draft", "--notes", "day.txt", "--date", DATE, "--jobs", "1")
    assert result.code == 3 and "Traceback" not in result.stderr
    assert "did not answer with a chat completion: it sent an HTML page" in result.stderr
    assert "1 failed" in result.stderr and "failed: 2506.00001" in result.stderr
    statuses = [load_draft(isolated, DATE, i)["status"] for i in IDS[:3]]
    assert statuses[0] == "awaiting-translation" and "awaiting-translation" not in statuses[1:]


def test_decomposed_hangul_is_the_same_comment(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """Item 10: NFD input (macOS) is stored as NFC, so terms are found and checks run."""
    decomposed = unicodedata.normalize("NFD", KO)
    assert decomposed != KO
    assert run("draft", "2506.18896", "--comment", decomposed, "--date", DATE).code == 0
    saved = load_draft(isolated, DATE, "2506.18896")
    assert saved["comment_ko"] == KO and saved["comment_en"] == TRANSLATIONS[KO]


def test_invisible_separator_lines_and_lost_blank_lines_in_a_notes_file(isolated: Path) -> None:
    """Item 11, and issue 18 item 7: every bad block is named at once."""
    text = (
        "2506.00001\n첫 코멘트.\n\u200b\n2506.00002\n둘째 코멘트.\n"  # a zero-width separator
        "\n2506.00003\n셋째 코멘트.\n2506.00004\n넷째 코멘트.\n"  # a blank line lost
        "\nnot-an-id\n다섯째.\n"
        "\n2506.00005\n#rl\n여섯째.\n"  # a tags line in the middle
    )
    (isolated / "day.txt").write_text(text, encoding="utf-8")
    result = run("draft", "--notes", "day.txt", "--date", DATE)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert result.code == 2 and len(errors) == 3, result.stderr
    assert "day.txt:9: an id line inside the comment of 2506.00003" in errors[0]
    assert "day.txt:12: not an arXiv id" in errors[1]
    assert "day.txt:16: a tags line inside the comment of 2506.00005" in errors[2]
    assert not (isolated / "drafts").exists()  # nothing started


def test_a_full_disk_is_the_machine_not_the_input(
    arxiv_server: ArxivServer, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Item 12: exit 4, said as such, and the typed comment kept elsewhere."""
    import pipeline.yamlio

    def full(path: Path, data: bytes, *, durable: bool = True) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(pipeline.yamlio, "atomic_write_bytes", full)
    result = run("draft", "2506.18896", "--comment", KO, "--date", DATE)
    assert result.code == 4, result.stderr
    error = result.stderr.strip().splitlines()[-1]
    assert "No space left on device; free some space and retry" in error
    kept = Path(error.split("your comment is kept in ", 1)[1].split(":", 1)[0])
    assert kept.read_text(encoding="utf-8") == KO + "\n"
    kept.unlink()


def test_a_javascript_link_from_the_feed_never_becomes_a_link(isolated: Path) -> None:
    """Item 13, at the source: only http(s) arXiv URLs are kept from a feed."""
    from pipeline.arxiv import parse_feed

    feed = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2506.18896v1</id>'
        b"<title>T</title><summary>S</summary>"
        b'<link href="javascript:alert(1)" rel="alternate" type="text/html"/></entry></feed>'
    )
    [paper], _ = parse_feed(feed)
    assert paper.url == "https://arxiv.org/abs/2506.18896v1"


def test_a_key_echoed_by_a_gateway_is_never_printed(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """Item 15."""
    key = os.environ["OPENAI_API_KEY"]
    echoed = f'{{"error": {{"message": "bad request; Authorization: Bearer {key}"}}}}'.encode()
    model_server.faults = [Fault(400, {"Content-Type": "application/json"}, echoed)]
    result = run("draft", "2506.18896", "--comment", KO, "--date", DATE)
    assert result.code == 3 and "HTTP 400" in result.stderr
    assert key not in result.stderr and "[redacted]" in result.stderr
    assert redact("token: Bearer abcdefghijklmnop") == "token: Bearer [redacted]"
    saved = draft_file(isolated, DATE, "2506.18896").read_text(encoding="utf-8")
    assert key not in saved and yaml.safe_load(saved)["comment_ko"] == KO
