"""Characters that are no text (terminal escapes, control characters, lost characters) never reach
a terminal, a page or a note: cleanup removes them from a model's reply (and says so in the
draft's `cleanup`), or the check makes them an error; the author's own text is kept as typed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.check import check_characters, run_checks
from pipeline.entry import ERROR
from pipeline.glossary import load_glossary
from pipeline.text import LOST_MARK, strip_unprintable, unprintable
from pipeline.translate import clean_reply
from tests.cli_helpers import draft_file, load_draft, run
from tests.conftest import REPO, TRANSLATIONS
from tests.servers import ArxivServer, Fault, OpenAIServer

GLOSSARY = load_glossary(REPO / "glossary.yaml")
DATE = "2025-06-24"
KO = "PRM. 각 단계가 일관되는지, 추론의 템플릿이 적절한지 등을 평가하게 했군요."
EN = TRANSLATIONS[KO]
# anything a terminal would act on, or that stands for a lost character: none may be published
NOT_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffd]")


@pytest.mark.parametrize(
    ("reply", "removed"),
    [
        (EN + "\x1b]0;pwned\x07\x1b[2J", ["removed 2 terminal escape sequences"]),
        ("\x1b[1;31m" + EN + "\x1b[0m", ["removed 2 terminal escape sequences"]),
        (EN + "\x1b]2;title\x1b\\", ["removed 1 terminal escape sequence"]),  # ST-terminated
        (EN + "\x9b2J", ["removed 1 terminal escape sequence"]),  # the C1 form
        (EN + "\x1bc", ["removed 1 terminal escape sequence"]),  # reset
        (EN + "\x1b", ["removed 1 terminal escape sequence"]),  # a lone ESC
        ("A P\x00RM." + EN[6:], ["removed 1 control character (NUL)"]),
        (EN.replace(" ", " \x07", 1), ["removed 1 control character (BEL)"]),
        (EN + "\x08\x7f", ["removed 2 control characters (BS, DEL)"]),
        (EN.replace("PRM", "PRM\u202e", 1), ["removed 1 control character (U+202E)"]),
        (EN + " \ud83d", ["removed 1 lost character (U+FFFD or half a surrogate pair)"]),
        (
            EN + " \ufffd\ufffd\ufffd",
            ["removed 1 lost character (U+FFFD or half a surrogate pair)"],
        ),
        (
            EN.replace(" They", " \ufffd They", 1),
            ["removed 1 lost character (U+FFFD or half a surrogate pair)"],
        ),
    ],
)
def test_what_is_no_text_is_removed_from_a_reply_and_recorded(
    reply: str, removed: list[str]
) -> None:
    text, cleanup = clean_reply(reply, KO)
    assert text == EN
    assert cleanup == removed
    assert check_characters(KO, text) == []


def test_line_ends_and_whole_characters_are_text() -> None:
    assert clean_reply(EN.replace(". ", ".\r\n", 1), KO)[0] == EN.replace(". ", ".\n", 1)
    emoji = EN + " \U0001f600"
    assert clean_reply(emoji, KO) == (emoji, [])
    # a pair of surrogates (as some decoders leave one) is one character again
    assert clean_reply(EN + " \ud83d\ude00", KO) == (emoji, [])
    assert strip_unprintable("tab\tand\nnewline") == ("tab\tand\nnewline", [])


def test_a_character_lost_inside_a_word_is_marked_and_is_an_error() -> None:
    text, cleanup = clean_reply(EN.replace("coherent", "coh\ufffdrent"), KO)
    assert text == EN.replace("coherent", f"coh{LOST_MARK}rent")
    assert cleanup == [f"marked 1 character lost inside a word as {LOST_MARK}"]
    findings = [f for f in run_checks(KO, text, GLOSSARY) if f.check == "characters"]
    assert [f.severity for f in findings] == [ERROR]
    assert "lost in transport" in findings[0].message
    # the author's own [?] is his: only a mark the Korean does not have is one
    assert check_characters("확실하지 않음 [?]", "Not sure [?]") == []


@pytest.mark.parametrize(
    ("english", "named"),
    [
        (EN + "\x1b[2J", "an escape sequence"),
        (EN + "\x00", "NUL"),
        (EN + "\ufffd", "U+FFFD (a character lost in transport)"),
        (EN + "\ud83d", "a lone surrogate U+D83D (half a character)"),
        (EN + "\rOVERWRITTEN", "U+000D"),
        (EN + "\u202e", "U+202E"),
    ],
)
def test_typed_characters_that_are_no_text_are_an_error(english: str, named: str) -> None:
    assert unprintable(english) == named
    findings = check_characters(KO, english)
    assert [f.severity for f in findings] == [ERROR]
    assert named in findings[0].message
    assert not NOT_TEXT.search(findings[0].message)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_nothing_that_is_no_text_survives_cleanup(reply: str) -> None:
    text, cleanup = clean_reply(reply, "")
    assert not NOT_TEXT.search(text), repr(text)
    assert not any(NOT_TEXT.search(line) for line in cleanup)
    assert unprintable(text) is None


# -- end to end: a model that answers with terminal escapes ---------------------------------------
HOSTILE = (
    "\x1b]0;pwned\x07A PRM. They made it evaluate things like whether the steps are\x00 coherent "
    "and the reasoning templates fit.\x1b[2J\x9b3J \ud83d"
)


def test_a_reply_with_escapes_publishes_none_of_them(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    model_server.replies.append(HOSTILE)
    drafted = run("draft", "2506.18896", "--comment", KO, "--date", DATE)
    assert drafted.code == 0, drafted.stderr
    assert EN in drafted.stdout
    draft = load_draft(isolated, DATE, "2506.18896")
    assert draft["comment_en"] == draft["machine_en"] == EN and draft["status"] == "ready"
    assert draft["cleanup"] == [
        "removed 3 terminal escape sequences",
        "removed 1 control character (NUL)",
        "removed 1 lost character (U+FFFD or half a surrogate pair)",
    ]
    raw = draft_file(isolated, DATE, "2506.18896").read_text(encoding="utf-8")
    outputs = [drafted.stdout, drafted.stderr, raw]
    for fmt in ("text", "markdown", "json"):
        exported = run("export", DATE, "--format", fmt)
        assert exported.code == 0, exported.stderr
        assert EN in exported.stdout
        outputs.append(exported.stdout)
    page = isolated / "day.html"
    assert run("export", DATE, "--format", "html", "-o", str(page)).code == 0
    outputs.append(page.read_text(encoding="utf-8"))
    for shown in ("check", "review"):
        outputs.append(run(shown, "2506.18896").stdout)
    vault = isolated / "vault"
    vault.mkdir()
    assert run("export", DATE, "--format", "vault", "-o", str(vault)).code == 0
    (note,) = vault.rglob("*.md")
    outputs.append(note.read_text(encoding="utf-8"))
    assert EN in outputs[-1]
    for output in outputs:
        assert not NOT_TEXT.search(output), repr(NOT_TEXT.search(output))
        assert "pwned" not in output and "\\x1b" not in output and "\\e" not in output


def test_a_reply_that_lost_a_letter_is_asked_for_again(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    model_server.replies.append(EN.replace("coherent", "coh\ufffdrent"))
    drafted = run("draft", "2506.18896", "--comment", KO, "--date", DATE)
    assert drafted.code == 0, drafted.stderr
    assert "characters" in drafted.stderr  # the repair turn named the lost character
    repair = model_server.bodies()[-1]["messages"][-1]["content"]
    assert "lost in transport" in repair
    draft = load_draft(isolated, DATE, "2506.18896")
    assert draft["comment_en"] == EN and draft["status"] == "ready"
    assert not NOT_TEXT.search(drafted.stdout + drafted.stderr)


def test_a_lost_letter_the_model_never_gives_back_blocks_the_export(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    lost = EN.replace("coherent", "coh\ufffdrent")
    model_server.responder = lambda request: lost
    drafted = run("draft", "2506.18896", "--comment", KO, "--date", DATE)
    assert drafted.code == 1
    draft = load_draft(isolated, DATE, "2506.18896")
    assert draft["status"] == "needs-review" and LOST_MARK in draft["comment_en"]
    assert run("export", DATE).code == 1
    for output in (drafted.stdout, drafted.stderr, run("export", DATE, "--force").stdout):
        assert not NOT_TEXT.search(output)


def test_the_authors_own_text_is_kept_as_typed_and_blocks(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    assert run("draft", "2506.18896", "--comment", KO, "--date", DATE).code == 0
    typed = EN + " \x1b[31mRed\x1b[0m"
    edited = run("edit", "2506.18896", stdin=typed)
    assert edited.code == 1
    assert "an escape sequence" in edited.stdout + edited.stderr
    draft = load_draft(isolated, DATE, "2506.18896")
    assert draft["comment_en"] == typed  # not rewritten
    assert draft["status"] == "needs-review"
    assert run("export", DATE).code == 1
    # forced out, it is published without what is no text: files, pages, notes, stdout
    vault = isolated / "vault"
    vault.mkdir()
    outputs = {}
    for fmt in ("text", "markdown", "html", "json"):
        result = run("export", DATE, "--format", fmt, "--force", "-o", f"out.{fmt}")
        assert result.code == 0, result.stderr
        outputs[fmt] = (isolated / f"out.{fmt}").read_text(encoding="utf-8")
    assert run("export", DATE, "--format", "vault", "-o", str(vault), "--force").code == 0
    outputs["note"] = next(vault.rglob("*.md")).read_text(encoding="utf-8")
    outputs["stdout"] = run("export", DATE, "--force").stdout
    outputs["review"] = run("review", "2506.18896").stdout
    for name, text in outputs.items():
        assert "\x1b" not in text and "\\u001b" not in text, name
        assert "Red" in text or name == "review", name
    assert load_draft(isolated, DATE, "2506.18896")["comment_en"] == typed  # still as typed


def test_half_a_surrogate_pair_in_a_reply_is_no_traceback(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    body = '{"choices": [{"message": {"content": "A PRM judging steps \\ud83d."}}]}'
    model_server.faults = [Fault(200, {"Content-Type": "application/json"}, body.encode())]
    result = run("draft", "2506.18896", "--comment", KO, "--date", DATE)
    assert result.code in (0, 1) and "Traceback" not in result.stderr
    # the half pair is cleaned away (and said so), never saved as U+FFFD
    draft = load_draft(isolated, DATE, "2506.18896")
    assert draft["attempts"][0]["english"] == "A PRM judging steps."
    assert "\ufffd" not in draft_file(isolated, DATE, "2506.18896").read_text(encoding="utf-8")
