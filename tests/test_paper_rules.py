"""Which record of a paper a draft keeps (merge.apply_paper), as a table."""

from __future__ import annotations

import pytest

from pipeline.arxiv import Paper
from pipeline.entry import Entry
from pipeline.merge import apply_paper


def entry(source: str, title: str) -> Entry:
    return Entry("2506.00001", "2025-06-24", title, [], "", "코멘트", source=source)


def paper(source: str) -> Paper:
    return Paper("2506.00001", "", f"From {source}", ["Ann Lee"], "Abstract.", source=source)


@pytest.mark.parametrize(
    ("draft_source", "draft_title", "paper_source", "title", "source"),
    [
        # a draft waiting for its paper takes either record
        ("arxiv", "", "arxiv", "From arxiv", "arxiv"),
        ("arxiv", "", "arxiv-page", "From arxiv-page", "arxiv-page"),
        # the API's record replaces a page's; a page's never replaces the API's
        ("arxiv-page", "Old", "arxiv", "From arxiv", "arxiv"),
        ("arxiv-page", "Old", "arxiv-page", "From arxiv-page", "arxiv-page"),
        ("arxiv", "Old", "arxiv-page", "Old", "arxiv"),
        ("arxiv", "Old", "arxiv", "From arxiv", "arxiv"),
        # an imported draft keeps saying where it came from; a note's own title is his
        ("vault", "Old", "arxiv", "Old", "vault"),
        ("vault", "", "arxiv", "From arxiv", "vault"),
        ("digest", "Old", "arxiv-page", "From arxiv-page", "digest"),
    ],
)
def test_which_record_a_draft_keeps(
    draft_source: str, draft_title: str, paper_source: str, title: str, source: str
) -> None:
    draft = entry(draft_source, draft_title)
    before = repr(draft)
    changed = apply_paper(draft, paper(paper_source))
    assert (draft.title, draft.source) == (title, source)
    assert changed == (repr(draft) != before)


@pytest.mark.parametrize(
    ("source", "title", "waits"),
    [("arxiv", "", True), ("arxiv", "T", False), ("arxiv-page", "T", False), ("digest", "", False)],
)
def test_awaiting_paper_is_derived_from_the_draft(source: str, title: str, waits: bool) -> None:
    assert entry(source, title).awaiting_paper is waits
