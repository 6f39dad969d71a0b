"""The digest text format: byte-for-byte with the shared sample, and render/parse round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.digest import (
    DigestParseError,
    TextEntry,
    collapse,
    korean_date,
    parse_digest,
    render_day,
    render_entry,
)
from pipeline.entry import READY, Entry
from pipeline.export import render_text
from pipeline.importer import import_digest
from pipeline.store import Store
from tests.cli_helpers import run
from tests.conftest import FORMAT_SAMPLE
from tests.servers import ArxivServer, FakePaper, OpenAIServer

SAMPLE = FORMAT_SAMPLE.read_bytes()


def test_sample_round_trips_byte_for_byte() -> None:
    days = parse_digest(SAMPLE.decode("utf-8"))
    assert [d.date for d in days] == ["2025-06-24"]
    assert [e.title[:14] for e in days[0].entries] == [
        "ReasonFlux-PRM",
        "LongWriter-Zer",
        "ReDit: Reward ",
    ]
    assert days[0].entries[0].tags == ["rl", "reasoning", "reward-model"]
    rendered = "".join(render_day(d.date, d.entries) for d in days)
    assert rendered.encode("utf-8") == SAMPLE


def test_sample_entries_have_the_expected_fields() -> None:
    entry = parse_digest(SAMPLE.decode("utf-8"))[0].entries[1]
    assert entry.authors[0] == "Yuhao Wu" and entry.authors[-1] == "Juanzi Li"
    assert "''teaching''" in entry.abstract
    assert entry.comment_ko.startswith("SFT 없이 RL로")
    assert entry.comment_en.endswith("continual pretraining.")


def test_korean_date_has_no_zero_padding() -> None:
    assert korean_date("2025-06-04") == "2025년 6월 4일"
    assert korean_date("2025-12-24") == "2025년 12월 24일"


def test_comment_line_breaks_become_single_spaces_and_title_whitespace_collapses() -> None:
    entry = TextEntry(
        "A  title\n  wrapped",
        ["A", "B"],
        "Line one.\nLine two.",
        "첫 줄.\n\n둘째 줄.",
        "One.\nTwo.",
        ["rl"],
    )
    assert (
        render_entry(entry)
        == "A title wrapped\n(A, B)\nLine one.\nLine two.\n첫 줄. 둘째 줄.\nOne. Two.\n#rl\n"
    )


def test_a_file_without_final_newline_reads_the_same() -> None:
    text = SAMPLE.decode("utf-8")
    assert parse_digest(text.rstrip("\n")) == parse_digest(text)


def test_several_days_and_multi_line_abstracts() -> None:
    one = TextEntry(
        "T1", ["A"], "Para one.\nPara two.", "한국어 코멘트", "English comment", ["a", "b"]
    )
    two = TextEntry("T2", ["B", "C"], "Abstract.", "두 번째 코멘트", "Second comment", [])
    text = render_day("2025-06-24", [one]) + render_day("2025-06-25", [two, one])
    days = parse_digest(text)
    assert [(d.date, len(d.entries)) for d in days] == [("2025-06-24", 1), ("2025-06-25", 2)]
    assert days[1].entries[0] == two and days[1].entries[1] == one


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("Title\n(A)\nAbstract\n", 1),  # no date line
        ("2025년 6월 24일\nTitle\nno authors line\n", 3),
        ("2025년 6월 24일\nTitle\n(A)\nAbstract only\n", 5),
        ("2025년 6월 24일\nTitle\n(A)\nAbstract\n한국어\n", 6),
        ("2025년 6월 24일\n\nTitle\n", 2),
    ],
)
def test_malformed_digests_name_the_line(text: str, line: int) -> None:
    with pytest.raises(DigestParseError) as info:
        parse_digest(text)
    assert info.value.line == line


# -- property: render -> parse -> render is the identity ----------------------------------------
_latin = (
    st.text(
        alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E, blacklist_characters="#("),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)
_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)
_hangul = st.text(
    alphabet=st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3), min_size=1, max_size=12
)
_url = st.builds(
    lambda p: f"https://arxiv.org/abs/{p}", st.from_regex(r"\d{4}\.\d{5}", fullmatch=True)
)
_mixed_korean = (
    st.lists(st.one_of(_hangul, _latin, _url), min_size=1, max_size=6)
    .map(" ".join)
    .filter(lambda s: any("\uac00" <= c <= "\ud7a3" for c in s))
)
_author = st.text(
    alphabet=st.characters(whitelist_categories=("Lu", "Ll"), max_codepoint=0x24F),
    min_size=1,
    max_size=20,
)


@st.composite
def entries(draw: st.DrawFn) -> TextEntry:
    abstract_lines = draw(st.lists(_latin, min_size=1, max_size=4))
    return TextEntry(
        title=draw(_latin),
        authors=draw(st.lists(_author, min_size=1, max_size=30)),
        abstract="\n".join(abstract_lines),
        comment_ko=draw(_mixed_korean),
        comment_en=draw(st.lists(st.one_of(_latin, _url), min_size=1, max_size=5).map(" ".join)),
        tags=draw(st.lists(_word, max_size=5)),
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(entries(), min_size=1, max_size=5))
def test_render_parse_render_is_identity(items: list[TextEntry]) -> None:
    text = render_day("2025-06-24", items)
    days = parse_digest(text)
    assert render_day(days[0].date, days[0].entries) == text
    assert len(days[0].entries) == len(items)


# -- what would not read back -------------------------------------------------------------------
def sample_entries() -> list[TextEntry]:
    return parse_digest(SAMPLE.decode("utf-8"))[0].entries


def english_only(tags: list[str]) -> TextEntry:
    return TextEntry(
        "Vision as a Dialect: Unifying Visual Understanding",
        ["Ann Lee", "Bob Kim"],
        "We present a tokenizer.\nIt unifies understanding and generation.",
        "An English comment where the Korean should be.",
        "An English comment.",
        tags,
    )


def problems(entries: list[TextEntry]) -> list[str]:
    """What export says of each entry the text format could not carry (export.text_problem)."""
    from pipeline.entry import Entry
    from pipeline.export import text_problem

    found = []
    for item in entries:
        entry = Entry(
            "2506.00001",
            "2025-06-24",
            item.title,
            item.authors,
            item.abstract,
            item.comment_ko,
            comment_en=item.comment_en,
            tags=item.tags,
        )
        if problem := text_problem(entry):
            found.append(f"{collapse(item.title) or '?'}: {problem}")
    return found


def test_the_sample_reads_back_without_problems() -> None:
    assert problems(sample_entries()) == []


@pytest.mark.parametrize("tags", [["vision", "tokenizer"], []])
def test_a_comment_without_hangul_is_named_and_its_merge_is_detected(tags: list[str]) -> None:
    first, second, third = sample_entries()
    entries = [first, english_only(tags), second, third]
    assert problems(entries) == [
        "Vision as a Dialect: Unifying Visual Understanding: the Korean comment has no Hangul, "
        "so a reader cannot tell it from the abstract"
    ]
    text = render_day("2025-06-24", entries)
    with pytest.raises(DigestParseError) as info:
        parse_digest(text)
    lines = text.split("\n")
    assert lines[info.value.line - 1] == second.title  # the next entry's title, named
    assert "inside the abstract of the entry at line 8" in str(info.value)
    assert lines[7] == english_only(tags).title


def test_an_abstract_with_parenthesised_lines_is_no_merge() -> None:
    entry = TextEntry(
        "Title",
        ["A"],
        "We make three contributions:\n(i) a dataset (D)\n(ii) a model (M)\n"
        "(iii) a benchmark\n(all released)\nand more.",
        "한국어 코멘트",
        "English",
        ["a"],
    )
    text = render_day("2025-06-24", [entry, entry])
    assert problems([entry, entry]) == []
    assert parse_digest(text)[0].entries == [entry, entry]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"abstract": "An abstract.\n요약 한 줄."}, "title or abstract holds Hangul"),
        ({"title": "2025년 6월 25일"}, "title or abstract holds Hangul"),
        ({"title": "  "}, "not fetched"),
        ({"authors": ["Ann\nLee"]}, "would not read back"),
    ],
)
def test_other_entries_that_would_not_read_back(changes: dict[str, object], problem: str) -> None:
    entry = TextEntry("Title", ["A"], "Abstract.", "한국어", "English", ["rl"])
    for key, value in changes.items():
        setattr(entry, key, value)
    found = problems([entry])
    assert len(found) == 1 and problem in found[0]


def test_a_title_that_looks_like_tags_after_an_entry_without_tags() -> None:
    untagged = TextEntry("Title", ["A"], "Abstract.", "한국어", "English", [])
    hashtag = TextEntry("#1 #Paper", ["B"], "Abstract.", "한국어", "English", ["rl"])
    assert problems([untagged, hashtag]) == [
        "#1 #Paper: it would not read back from the text format"
    ]


# -- importing an exported day into the same drafts ---------------------------------------------
def test_an_exported_day_imported_again_is_the_same_drafts(tmp_path: Path) -> None:
    store = Store(tmp_path / "drafts")
    for n, item in enumerate(sample_entries(), 1):
        store.save(
            Entry(
                id=f"2506.0000{n}",
                date="2025-06-24",
                title=item.title.replace(" ", "  ", 1),  # as arXiv may space it
                authors=item.authors,
                abstract=item.abstract,
                # the author's line breaks, which the text format turns into spaces
                comment_ko=item.comment_ko.replace(". ", ".\n", 1),
                machine_en=item.comment_en,
                comment_en=item.comment_en,
                tags=item.tags,
                status=READY,
            )
        )
    before = {p: p.read_bytes() for p in store.files()}
    text = render_text([("2025-06-24", store.day("2025-06-24").entries)])
    checked: list[str] = []
    summary = import_digest(text, "day.txt", store, lambda e: checked.append(e.id))
    assert summary.line() == "0 imported, 0 updated, 3 unchanged"
    assert {p: p.read_bytes() for p in store.files()} == before and checked == []

    edited = text.replace("They also used continual pretraining.", "Also continual pretraining.")
    summary = import_digest(edited, "day.txt", store, lambda e: checked.append(e.id))
    assert summary.line() == "0 imported, 1 updated, 2 unchanged"
    assert checked == ["2506.00002"] and len(store.files()) == 3
    draft = store.get("2025-06-24", "2506.00002")
    assert draft is not None and draft.comment_en.endswith("Also continual pretraining.")
    assert "\n" in draft.comment_ko  # what did not change keeps its line breaks
    assert draft.machine_en.endswith("They also used continual pretraining.")


def test_the_sample_day_drafts_and_exports_byte_for_byte(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """The first three entries of the format sample, drafted with the model replying
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
