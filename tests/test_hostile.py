"""What a hostile pass found, each pinned: odd replies, odd files, odd environments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline.judge import MAX_FINDINGS, parse_judgement
from tests.cli_helpers import draft_file, load_draft, run
from tests.conftest import TRANSLATIONS
from tests.servers import ArxivServer, FakePaper, Fault, OpenAIServer

DATE = "2025-06-24"
KO = "PRM. 각 단계가 일관되는지, 추론의 템플릿이 적절한지 등을 평가하게 했군요."
EN = TRANSLATIONS[KO]


def test_an_empty_reply_is_not_remembered(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    model_server.replies = ["<think>hmm</think>", "<think>still</think>"]  # empty, and its repair
    first = run("draft", "2506.18896", "--comment", KO, "--date", DATE)
    assert first.code == 1
    asked = len(model_server.requests)
    again = run("translate", "2506.18896")  # the server is fine now: it is asked again
    assert again.code == 0 and len(model_server.requests) > asked
    assert load_draft(isolated, DATE, "2506.18896")["comment_en"] == EN


def test_half_a_surrogate_pair_in_a_reply_is_no_traceback(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    body = '{"choices": [{"message": {"content": "A PRM judging steps \\ud83d."}}]}'
    model_server.faults = [Fault(200, {"Content-Type": "application/json"}, body.encode())]
    result = run("draft", "2506.18896", "--comment", KO, "--date", DATE)
    assert result.code in (0, 1) and "Traceback" not in result.stderr
    # the half pair is cleaned away (and said so), never saved as U+FFFD (issue 24)
    draft = load_draft(isolated, DATE, "2506.18896")
    assert draft["attempts"][0]["english"] == "A PRM judging steps."
    assert "\ufffd" not in draft_file(isolated, DATE, "2506.18896").read_text(encoding="utf-8")


def test_a_degenerate_judgement_is_one_warning_and_a_long_one_is_bounded() -> None:
    [deep] = parse_judgement("Errors: " + "[" * 3000)
    assert deep.check == "judge" and not deep.is_error
    many = json.dumps(
        {
            "errors": [
                {"category": "fluency", "severity": "minor", "span": f"w{n}"} for n in range(500)
            ]
        }
    )
    assert len(parse_judgement(many)) == MAX_FINDINGS


def test_a_history_file_damaged_inside_is_rebuilt(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    assert run("draft", "2506.18896", "--comment", KO, "--date", DATE).code == 0
    [history] = list((isolated / "cache" / "history").glob("*.sqlite3"))
    data = bytearray(history.read_bytes())
    half = len(data) // 2
    data[half:] = (b"\x00\xff" * len(data))[: len(data) - half]  # its middle and end overwritten
    history.write_bytes(bytes(data))
    again = run("draft", "2506.18896", "--comment", KO + " 다시", "--date", DATE, "--tags", "rl")
    assert again.code in (0, 1) and "Traceback" not in again.stderr, again.stderr
    assert run("tags").code == 0


@pytest.mark.parametrize("value", ["nan", "inf", "1e400"])
def test_numbers_from_the_environment_must_be_usable(value: str) -> None:
    result = run("export", DATE, env={"DIGEST_RETRY_ATTEMPTS": value})
    assert result.code == 2 and "DIGEST_RETRY_ATTEMPTS" in result.stderr


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


def test_an_id_typed_without_quotes_keeps_its_final_zero(isolated: Path) -> None:
    from pipeline.store import Store
    from tests.cli_helpers import make_entry

    store = Store(isolated / "drafts")
    path = store.save(make_entry("2506.00910"))
    path.write_text(path.read_text(encoding="utf-8").replace("id: '2506.00910'", "id: 2506.00910"))
    assert store.load(path).id == "2506.00910"
    other = path.with_name("2506.00911.yaml")
    other.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")  # says 00910
    result = run("check", "--date", DATE)
    assert (
        result.code == 2
        and "does not match" not in result.stderr
        or "but its file" in result.stderr
    )


def test_keys_added_by_hand_are_kept(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    assert run("draft", "2506.18896", "--comment", KO, "--date", DATE).code == 0
    path = draft_file(isolated, DATE, "2506.18896")
    path.write_text(path.read_text(encoding="utf-8") + "my_note: ask Jiaru about the PRM\n")
    assert run("translate", "2506.18896").code == 0
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["my_note"] == "ask Jiaru about the PRM"


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


def test_an_exhausted_quota_is_said_and_not_retried(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    body = b'{"error": {"message": "You exceeded your current quota.", "type": "insufficient_quota", "code": "insufficient_quota"}}'
    model_server.faults = [Fault(429, {"Content-Type": "application/json"}, body)]
    result = run("draft", "2506.18896", "--comment", KO, "--date", DATE)
    assert result.code == 3 and "out of quota" in result.stderr and "exceeded" in result.stderr
    assert len(model_server.requests) == 1


def test_a_range_leaves_out_a_day_with_nothing_to_write(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    assert run("draft", "2506.18896", "--comment", KO, "--date", DATE).code == 0
    arxiv_server.add(FakePaper("2506.08737", "ReDit", ["A"], "Abs."))
    model_server.faults = [Fault(503)] * 4  # the second day's entry stays without English
    run("draft", "2506.08737", "--comment", "노이즈 연구.", "--date", "2025-06-25")
    text = run("export", "2025-06-24..2025-06-25", "--force").stdout
    assert text.startswith("2025년 6월 24일\n") and "6월 25일" not in text


def test_week_dates_are_not_dates() -> None:
    result = run("export", "2026-W48-4")
    assert result.code == 2 and "is not a date" in result.stderr


def test_a_digest_with_windows_line_ends_imports(isolated: Path) -> None:
    from tests.conftest import FORMAT_SAMPLE

    crlf = FORMAT_SAMPLE.read_text(encoding="utf-8").replace("\n", "\r\n")
    (isolated / "day.txt").write_text(crlf, encoding="utf-8", newline="")
    result = run("import", "day.txt")
    assert result.code == 0 and "3 imported" in result.stderr


def test_a_corpus_line_may_hold_a_line_separator(
    model_server: OpenAIServer, isolated: Path
) -> None:
    note = {
        "id": "2410.00001",
        "title": "T",
        "authors": ["A"],
        "abstract": "An abstract\u2028with a separator.",
        "comment_ko": "한국어 코멘트입니다.",
        "comment_en": "An English comment.",
        "tags": [],
    }
    (isolated / "corpus.jsonl").write_text(
        json.dumps(note, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    result = run("eval", "--corpus", "corpus.jsonl", "--limit", "1")
    assert "not a JSON object" not in result.stderr


def test_doctor_names_a_server_that_is_no_openai_api(
    arxiv_server: ArxivServer, model_server: OpenAIServer
) -> None:
    """A 200 on /models that is not a model list (another web app at that URL)."""
    result = run("doctor", env={"OPENAI_BASE_URL": arxiv_server.url.rsplit("/api", 1)[0]})
    assert result.code == 3 and "Traceback" not in result.stderr
    assert "did not answer with a chat completion" in result.stdout or "is not" in result.stdout


def test_a_server_without_chat_completions_is_said_at_once(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    model_server.faults = [Fault(501, {}, b"Unsupported method ('POST')")]
    result = run("draft", "2506.18896", "--comment", KO, "--date", DATE)
    assert result.code == 3 and "has no chat completions endpoint" in result.stderr
    assert len(model_server.requests) == 1  # not retried


def test_a_broken_tags_line_in_a_notes_file_is_named(isolated: Path) -> None:
    (isolated / "day.txt").write_text(f"2506.18896\n{KO}\n#rl @@\n", encoding="utf-8")
    result = run("draft", "--notes", "day.txt", "--date", DATE)
    assert result.code == 2 and "day.txt:3: '#rl @@' looks like a tags line" in result.stderr


def test_a_mistyped_id_leaves_no_empty_day(arxiv_server: ArxivServer, isolated: Path) -> None:
    result = run("draft", "2506.1889", "--comment", KO, "--date", "2025-06-27")
    assert result.code == 2 and not (isolated / "drafts" / "2025-06-27").exists()
    Path(result.stderr.split("kept in ", 1)[1].split(":", 1)[0]).unlink()
