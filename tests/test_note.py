"""The note patch (pipeline/note.py), table-tested on every note of the vault sample and on his
real notes in the other shapes his vault holds (tests/data/vault-shapes/, see its README): an
update replaces only the block that changed, and every other character of the note stays."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.note import (
    Kind,
    NoPaper,
    NoteContent,
    NotHeld,
    new_note,
    paragraphs,
    patch_note,
    read_note,
    same_words,
)
from tests.conftest import DATA

SAMPLE = DATA / "vault-sample"
SHAPES = DATA / "vault-shapes"


def title_of(path: Path) -> str:
    return path.stem[7:]  # `YYMMDD Title.md`


def paper_notes() -> list[Path]:
    found = []
    for path in sorted([*SAMPLE.rglob("*.md"), *SHAPES.rglob("*.md")]):
        try:
            read_note(path.read_bytes().decode("utf-8"))
        except NoPaper:
            continue
        found.append(path)
    return found


NOTES = paper_notes()
IDS = [f"{p.parent.name}/{p.name}" for p in NOTES]


def text_of(path: Path) -> str:
    return path.read_bytes().decode("utf-8")  # a BOM and CRLF stay: they are his bytes


def test_the_tables_cover_every_shape() -> None:
    assert len(NOTES) == 98 + 13  # every sample note but one without a link, every shape but one
    kinds = {p.kind for path in NOTES for p in read_note(text_of(path)).pieces}
    assert kinds == set(Kind)


@pytest.mark.parametrize("path", NOTES, ids=IDS)
def test_a_note_reads_back_whole_and_patches_to_itself(path: Path) -> None:
    text = text_of(path)
    note = read_note(text, title_of(path))
    assert note.text == text
    assert patch_note(text, note.content, title_of(path)) == text


CHANGES: dict[str, tuple[Kind, Callable[[NoteContent], NoteContent]]] = {
    "english": (
        Kind.ENGLISH,
        lambda c: replace(c, comment_en="A new English.\n\nIn a second paragraph."),
    ),
    "shorter english": (Kind.ENGLISH, lambda c: replace(c, comment_en="Only one paragraph.")),
    "korean": (Kind.KOREAN, lambda c: replace(c, comment_ko="새로 쓴 코멘트.\n\n두 번째 문단.")),
    "tags": (Kind.TAGS, lambda c: replace(c, tags=[*c.tags, "new-tag"])),
    "title": (
        Kind.HEAD,
        lambda c: replace(c, title="A Retitled Paper: v2", authors=["Ann Lee", "Bob Kim"]),
    ),
    "abstract": (Kind.ABSTRACT, lambda c: replace(c, abstract="A new abstract from arXiv.")),
}


@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("path", NOTES, ids=IDS)
def test_an_update_changes_only_its_block(path: Path, change: str) -> None:
    text = text_of(path)
    note = read_note(text, title_of(path))
    kind, make = CHANGES[change]
    new = make(note.content)
    patched = patch_note(text, new, title_of(path))
    after = read_note(patched, title_of(path))

    # every block of another kind is there, byte for byte and in order
    def others(pieces: list) -> list[tuple[Kind, str]]:
        return [(p.kind, p.text) for p in pieces if p.kind is not kind]

    assert others(after.pieces) == others(note.pieces)
    assert patched.count("\r\n") >= text.count("\r\n")  # his line ends kept (and used)
    # the new value reads back, and nothing else changed
    old, got = note.content, after.content
    if kind is Kind.ENGLISH and not old.comment_ko:
        assert got == old  # English follows his Korean: a note without Korean gets none
    elif kind is Kind.ENGLISH:
        assert paragraphs(got.comment_en) == paragraphs(new.comment_en)
        assert replace(got, comment_en="") == replace(old, comment_en="")
    elif kind is Kind.KOREAN:
        assert paragraphs(got.comment_ko) == paragraphs(new.comment_ko)
        assert replace(got, comment_ko="") == replace(old, comment_ko="")
    elif kind is Kind.TAGS:
        assert got.tags == new.tags and replace(got, tags=[]) == replace(old, tags=[])
    elif kind in (Kind.HEAD, Kind.ABSTRACT) and not note.has(kind):
        assert got == old  # a note he made without one keeps it that way
    elif kind is Kind.HEAD:
        assert (got.title, got.authors) == (new.title, new.authors)
        assert replace(got, title="", authors=[]) == replace(old, title="", authors=[])
    else:
        assert same_words(got.abstract, new.abstract)
        assert replace(got, abstract="") == replace(old, abstract="")
    # patching again changes nothing
    assert patch_note(patched, new, title_of(path)) == patched


def without_english(text: str) -> str:
    """The note as he leaves it before the English is written: the English paragraphs gone."""
    note = read_note(text)
    return "".join(p.gap + p.text for p in note.pieces if p.kind is not Kind.ENGLISH) + note.tail


def layout_of(note_text: str) -> str:
    """How a note places its English: after the Korean (his layout since 2024), in an
    <english> block or after the tags line (early 2024), or after something of his."""
    pieces = read_note(note_text).pieces
    kinds = [p.kind for p in pieces]
    english = kinds.index(Kind.ENGLISH)
    if any(p.tagged for p in pieces):
        return "tagged"
    if Kind.TAGS in kinds and kinds.index(Kind.TAGS) < english:
        return "tags first"
    return "after the Korean" if kinds[english - 1] is Kind.KOREAN else "after another block"


def test_english_written_into_a_note_without_it_gives_his_note_back() -> None:
    """What `digest sync` does: the English goes right after the Korean, before the tags line.
    Every note that has it there comes back byte for byte; the older layouts get it there too."""
    counts: dict[str, list[int]] = {}
    for path in NOTES:
        text = text_of(path)
        note = read_note(text, title_of(path))
        if not note.content.comment_en or not note.content.comment_ko:
            continue
        bare = without_english(text)
        assert read_note(bare).content.comment_en == ""
        back = patch_note(bare, note.content, title_of(path))
        assert read_note(back).content == note.content  # whatever the layout, it reads back
        count = counts.setdefault(layout_of(text), [0, 0])
        count[0] += back == text
        count[1] += 1
    print(f"English written back byte for byte, by where the note has it: {counts}")
    assert counts["after the Korean"][0] == counts["after the Korean"][1] >= 16


def test_a_new_note_is_his_current_layout_and_patches_to_itself() -> None:
    content = read_note(text_of(SAMPLE / "arXiv/251231 mHC.md")).content
    text = new_note(content)
    assert text == text_of(SAMPLE / "arXiv/251231 mHC.md")
    assert patch_note(text, content) == text


def test_what_is_not_the_comment_is_never_read_as_it() -> None:
    """Images, code, callouts, later quotes, wiki links and what follows a heading."""
    code = read_note(text_of(SHAPES / "code-and-callout/251231 mHC.md")).content
    assert "```" not in code.comment_ko + code.comment_en and "[!note]" not in code.comment_en
    image = read_note(text_of(SHAPES / "image/251231 Youtu-LLM.md")).content
    assert "png" not in image.comment_en
    quote = read_note(text_of(SHAPES / "later-quote/251226 SWE-RM.md")).content
    assert "calibration matter more" not in quote.abstract + quote.comment_en
    heading = read_note(text_of(SHAPES / "heading/240111 DeepSeekMoE.md")).content
    assert "DeepSeek V2와 비교" not in heading.comment_ko
    lazy = read_note(text_of(SHAPES / "lazy-abstract/251228 Diversity or Precision.md")).content
    assert lazy.abstract.endswith("yields a superior exploration space for RL.")
    assert "\n" in lazy.abstract  # three lines, one of them with `> `
    front = read_note(text_of(SHAPES / "front-matter/251229 Trellis.md"))
    assert front.pieces[0].kind is Kind.FRONT and front.content.paper_id == "2512.23852"
    wrapped = read_note(
        text_of(SHAPES / "wrapped-head/241202 Free Process Rewards without Process Labels.md")
    ).content
    assert wrapped.title == "Free Process Rewards without Process Labels"
    assert wrapped.authors[-1] == "Hao Peng" and len(wrapped.authors) == 9
    with pytest.raises(NoPaper):
        read_note(text_of(SHAPES / "not-a-paper/210121 Papers.md"))


def test_a_trailing_space_after_his_korean_stays() -> None:
    text = text_of(SHAPES / "trailing-space/251231 Youtu-LLM.md")
    note = read_note(text)
    patched = patch_note(text, replace(note.content, comment_en="Changed English."))
    assert "관계는 무엇일지? \n\nChanged English.\n\n#synthetic-data" in patched


def test_the_links_of_his_notes_are_all_read() -> None:
    ids = {
        "export-link/251230 Can Small Training Runs Reliably Guide Data Curation.md": "2512.24503",
        "pdf-link/251231 Let It Flow.md": "2512.24873",
        "crlf-bom/241218 Mix-LN.md": "2412.13795",
    }
    for name, paper in ids.items():
        assert read_note(text_of(SHAPES / name)).content.paper_id == paper


# -- any text: the pieces are the note, and a patch is stable ------------------------------------
_LINES = st.sampled_from(
    [
        "",
        "  ",
        "\u200b",
        "*Title: A Study* (Ann Lee, Bob Kim)",
        "Title (Ann)",
        "> An abstract line.",
        "continuation of the abstract",
        "보상에 노이즈를 추가하는 방법.",
        "Reward에 노이즈를 (https://arxiv.org/abs/2401.00001).",
        "Adding noise to the reward.",
        "#rl #object_detection",
        "#rl ",
        "# Links",
        "## 메모",
        "[[240104 LLM Augmented LLMs.md]]",
        "![[figure.png]]",
        "```",
        "~~~python",
        "<english>",
        "</english>",
        "> [!note] 메모",
        "| a | b |",
        "---",
        "https://github.com/x/y",
    ]
)


@st.composite
def notes(draw: st.DrawFn) -> str:
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    head = []
    if draw(st.booleans()):
        head = ["---", "tags: [a]", "---"]
    link = draw(
        st.sampled_from(
            [
                "https://arxiv.org/abs/2401.00001",
                "https://export.arxiv.org/abs/2401.00001v2 ",
                "http://arxiv.org/pdf/2401.00001",
            ]
        )
    )
    body = draw(st.lists(_LINES, max_size=25))
    end = draw(st.sampled_from(["", newline, newline * 2]))
    return newline.join([*head, link, *body]) + end


@settings(max_examples=300, deadline=None)
@given(
    notes(),
    st.from_regex(r"[A-Za-z][A-Za-z0-9 ,.()'\n-]{0,60}", fullmatch=True),  # an English
    st.lists(st.sampled_from(["rl", "new-tag", "moe"])),
)
def test_any_note_round_trips_and_a_patch_is_stable(text: str, english: str, tags: list) -> None:
    note = read_note(text, "Fallback")
    assert note.text == text
    assert patch_note(text, note.content, "Fallback") == text
    new = replace(note.content, comment_en=english, tags=list(dict.fromkeys(tags)))
    try:
        patched = patch_note(text, new, "Fallback")
    except NotHeld:
        return  # a note this odd is left as it is (the export says so), never half written
    assert patch_note(patched, new, "Fallback") == patched
    kept = [p.text for p in note.pieces if p.kind not in (Kind.ENGLISH, Kind.TAGS)]
    assert [
        p.text
        for p in read_note(patched, "Fallback").pieces
        if p.kind not in (Kind.ENGLISH, Kind.TAGS)
    ] == kept


# -- what is his, whatever its place (a hostile review's cases) -----------------------------------
YOUTU = SAMPLE / "arXiv/251231 Youtu-LLM.md"
HIS_BLOCKS = [
    "$$ L = -\\log p(x) $$",
    "- [ ] read the appendix\n- [x] check the tokenizer",
    '<div class="note">a box of his</div>',
    "[^1]: a footnote of his",
    "    indented code of his",
    "status:: to read",
    "![fig](attachments/fig.png) Figure 1 of the paper",
    "🔥🔥🔥",
    "> a quote of his",
    "| a | table |",
]


@pytest.mark.parametrize("block", HIS_BLOCKS)
def test_his_blocks_after_the_korean_are_never_the_english(block: str) -> None:
    text = text_of(YOUTU)
    english = read_note(text).content.comment_en
    at = text.index("\n\nReport on building")
    with_block = text[:at] + "\n\n" + block + text[at:]
    note = read_note(with_block)
    assert note.content.comment_en == english  # read as his, not as the comment
    patched = patch_note(with_block, replace(note.content, comment_en="New English."))
    assert block in patched and "Report on building" not in patched
    assert read_note(patched).content.comment_en == "New English."


def test_a_heading_ends_the_comment_in_either_style() -> None:
    for heading in ("## 메모", "메모\n==="):
        text = text_of(YOUTU)
        at = text.index("\n\nReport on building")
        note = read_note(text[:at] + "\n\n" + heading + text[at:])
        assert note.content.comment_en == "" and note.content.tags == []


def test_a_paragraph_after_the_tags_line_of_his_current_layout_is_his() -> None:
    text = text_of(YOUTU) + "\n\nSee also the follow-up paper."
    note = read_note(text)
    assert "follow-up" not in note.content.comment_en
    patched = patch_note(text, replace(note.content, comment_en="New English."))
    assert patched.endswith("#synthetic-data #agent #mid-training\n\nSee also the follow-up paper.")


def test_his_numbered_lists_are_his_english_when_his_korean_is_one() -> None:
    """2411.04330: his English mirrors his Korean's numbered list."""
    text = (
        "https://arxiv.org/abs/2411.04330\n\n*Scaling Laws for Precision* (Tanishq Kumar)\n\n"
        "Quantized Training과 PTQ에 대한 Scaling Law.\n\n1. PTQ의 경우 손실이 커진다.\n"
        "2. 더 낮은 정밀도를 사용할 수 있다.\n\nScaling law for quantized training.\n\n"
        "1. For PTQ, the loss grows.\n2. We can use lower precision.\n\n#quantization "
    )
    content = read_note(text).content
    assert content.comment_en.endswith("2. We can use lower precision.")
    assert content.comment_ko.endswith("2. 더 낮은 정밀도를 사용할 수 있다.")


def test_a_title_with_an_asterisk_reads_back() -> None:
    content = NoteContent(
        "2501.00001", "A* Search Revisited", ["Ann Lee"], "An abstract.", "코멘트.", "English.", []
    )
    text = new_note(content)
    assert text.startswith("https://arxiv.org/abs/2501.00001\n\n*A* Search Revisited* (Ann Lee)")
    assert read_note(text).content == content


@pytest.mark.parametrize(
    "english",
    [
        "> starts like a quote",
        "| starts like a table",
        "# starts like a heading",
        "---",
        "[[only a wiki link]]",
        "#tags #only",
    ],
)
def test_english_that_plain_paragraphs_cannot_hold_goes_into_an_english_block(
    english: str,
) -> None:
    text = text_of(YOUTU)
    note = read_note(text)
    patched = patch_note(text, replace(note.content, comment_en=english))
    assert f"<english>\n{english}\n</english>" in patched
    assert read_note(patched).content.comment_en == english
    again = patch_note(patched, replace(note.content, comment_en=english + " More."))
    assert again.count("<english>") == 1 and again.count("#synthetic-data") == 1


def test_a_comment_no_layout_can_hold_is_never_written() -> None:
    text = text_of(YOUTU)
    note = read_note(text)
    with pytest.raises(NotHeld):
        patch_note(text, replace(note.content, comment_ko="# 제목처럼 시작하는 코멘트"))


def test_nested_tags_and_odd_first_lines_are_read() -> None:
    text = text_of(YOUTU).replace("#synthetic-data #agent", "#synthetic-data #ml/agent")
    assert read_note(text).content.tags == ["synthetic-data", "ml/agent", "mid-training"]
    body = text_of(YOUTU).split("\n", 1)[1]
    for first in (
        "[arXiv](https://arxiv.org/abs/2512.24618)",
        "https://arxiv.org/abs/2512.24618\u200b",
        "arxiv.org/abs/2512.24618",
        "https://arxiv.org/html/2512.24618v1",
    ):
        assert read_note(first + "\n" + body).content.paper_id == "2512.24618", first


def test_an_english_block_left_open_ends_before_a_heading() -> None:
    text = text_of(YOUTU).replace("Report on building", "<english>\nReport on building")
    text += "\n\n# Links\n\n[[250101 Other]]\n\n</english>"
    note = read_note(text)
    assert "# Links" not in note.content.comment_en
    patched = patch_note(text, replace(note.content, comment_en="New English."))
    assert patched.endswith("# Links\n\n[[250101 Other]]\n\n</english>")
