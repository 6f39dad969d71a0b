"""The digest text format: byte-for-byte with the shared sample, and render/parse round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.digest import (
    DigestParseError,
    TextEntry,
    korean_date,
    parse_digest,
    render_day,
    render_entry,
)
from tests.conftest import FORMAT_SAMPLE

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
