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
    def others(pieces: list) -> list[tuple[Kind, str]]:  # type: ignore[type-arg]
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
def test_any_note_round_trips_and_a_patch_is_stable(text: str, english: str, tags: list) -> None:  # type: ignore[type-arg]
    note = read_note(text, "Fallback")
    assert note.text == text
    assert patch_note(text, note.content, "Fallback") == text
    new = replace(note.content, comment_en=english, tags=list(dict.fromkeys(tags)))
    patched = patch_note(text, new, "Fallback")
    assert patch_note(patched, new, "Fallback") == patched
    kept = [p.text for p in note.pieces if p.kind not in (Kind.ENGLISH, Kind.TAGS)]
    assert [
        p.text
        for p in read_note(patched, "Fallback").pieces
        if p.kind not in (Kind.ENGLISH, Kind.TAGS)
    ] == kept
