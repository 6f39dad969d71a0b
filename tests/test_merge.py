"""The rules that decide what is kept (pipeline/merge.py), as tables: no store, no processes.

Each rule gets the draft as it is on disk now and what arrives; the tables say what it writes,
what it keeps in the history, and what it tells the author. None of them modifies what it is
given."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from pipeline.arxiv import Paper
from pipeline.entry import AWAITING, NEEDS_REVIEW, READY, Entry, Finding
from pipeline.merge import (
    MadeEnglish,
    Merged,
    record_note,
    take_check,
    take_comment,
    take_digest_entry,
    take_hand_edit,
    take_note,
    take_paper,
    take_translation,
)
from pipeline.note import new_note
from pipeline.text import parse_id
from pipeline.usage import Usage
from pipeline.vault import note_content, note_digest

KO, EN, MACHINE = "보상에 노이즈를 추가.", "Adding noise to the reward.", "Noise added to reward."


def draft(**changes: Any) -> Entry:
    entry = Entry(
        id="2506.00001",
        date="2025-06-24",
        title="A Paper",
        authors=["Ann Lee"],
        abstract="An abstract.",
        comment_ko=KO,
        machine_en=MACHINE,
        comment_en=MACHINE,
        tags=["rl"],
        status=READY,
    )
    return replace(entry, **changes)


def checked(entry: Entry) -> None:
    """A stand-in for the checks: an English with 'bad' in it fails."""
    entry.checks = [Finding("test", "error", "bad")] if "bad" in entry.comment_en else []
    entry.status = NEEDS_REVIEW if entry.checks else READY


def unchanged_inputs(rule: Callable[..., Merged], *args: object) -> Merged:
    """Run a rule and assert it modified nothing it was given."""
    before = copy.deepcopy(args)
    merged = rule(*args)
    assert args == before, "a rule modified what it was given"
    return merged


# -- the comment ----------------------------------------------------------------------------------
def test_a_comment_makes_a_draft_and_the_same_comment_writes_nothing() -> None:
    paper_id = parse_id("2506.00001")
    new = unchanged_inputs(take_comment, None, paper_id, "2025-06-24", KO, ["rl"], None)
    assert new.entry is not None and new.entry.comment_ko == KO and new.entry.tags == ["rl"]
    assert new.entry.status == AWAITING and new.entry.title == ""
    same = unchanged_inputs(take_comment, draft(), paper_id, "2025-06-24", f"  {KO}\n", None)
    assert same.entry is None and same.outcome == "unchanged"


def test_a_new_comment_awaits_translation_and_the_old_one_is_kept() -> None:
    paper_id = parse_id("2506.00001")
    made = unchanged_inputs(
        take_comment, draft(), paper_id, "2025-06-24", "새 코멘트.", ["rl", "new"], None
    )
    assert made.entry is not None and made.entry.comment_ko == "새 코멘트."
    assert made.entry.status == AWAITING and made.entry.tags == ["rl", "new"]
    assert made.entry.history == [{"comment_ko": KO, "replaced": "a new comment"}]
    assert "the comment was replaced" in made.notes[0]


# -- the paper ----------------------------------------------------------------------------------
def test_a_paper_arriving_checks_english_made_while_it_waited() -> None:
    paper = Paper("2506.00001", "", "A Paper (v2)", ["Ann Lee"], "New abstract.", source="arxiv")
    waiting = draft(title="", authors=[], abstract="")
    made = unchanged_inputs(take_paper, waiting, paper, checked)
    assert made.entry is not None and made.entry.title == "A Paper (v2)"
    assert made.entry.comment_en == MACHINE  # not translated again
    assert unchanged_inputs(take_paper, None, paper, checked).entry is None
    same = take_paper(made.entry, paper, checked)
    assert same.entry is None and same.outcome == "unchanged"


# -- what the model makes -----------------------------------------------------------------------
def made(english: str = "A new English.", judged: list[Finding] | None = None) -> MadeEnglish:
    return MadeEnglish(
        english, "gpt-x", "g1", [], 0, [], Usage(requests=1, prompt=10), judged or [], True
    )


@pytest.mark.parametrize(
    ("on_disk", "force", "comment_en", "history", "note"),
    [
        # the model's English is replaced; the old machine English goes to the history
        (draft(), False, "A new English.", [{"machine_en": MACHINE}], ""),
        # his hand edit is kept, the new English goes to machine_en only
        (draft(comment_en=EN), False, EN, [{"machine_en": MACHINE}], "was edited by hand"),
        # --force replaces his edit, which goes to the history
        (
            draft(comment_en=EN),
            True,
            "A new English.",
            [{"machine_en": MACHINE}, {"comment_en": EN, "replaced": "--force"}],
            "was replaced",
        ),
    ],
)
def test_a_translation_and_his_english(
    on_disk: Entry, force: bool, comment_en: str, history: list[dict[str, str]], note: str
) -> None:
    merged = unchanged_inputs(take_translation, on_disk, on_disk, made(), force, checked)
    assert merged.entry is not None and merged.outcome == "translated"
    assert merged.entry.comment_en == comment_en and merged.entry.machine_en == "A new English."
    assert [
        {k: h[k] for k in h if k != "model" and k != "glossary"} for h in merged.entry.history
    ] == history
    assert merged.entry.usage == {"gpt-x": Usage(requests=1, prompt=10).to_dict()}
    assert (note in " ".join(merged.notes)) if note else not merged.notes


def test_what_changed_meanwhile_wins_over_a_translation() -> None:
    base = draft()
    # the comment changed while the model worked: the translation is of the old one
    moved = draft(comment_ko="다른 코멘트.", status=AWAITING)
    merged = unchanged_inputs(take_translation, moved, base, made(), False, checked)
    assert merged.entry is None and merged.outcome == "changed meanwhile"
    assert "awaits translation" in merged.notes[0]
    # he edited the English meanwhile: kept, even with --force
    edited = draft(comment_en="His English, typed meanwhile.")
    kept = unchanged_inputs(take_translation, edited, base, made(), True, checked)
    assert kept.entry is not None and kept.entry.comment_en == "His English, typed meanwhile."
    assert "edited meanwhile" in kept.notes[0]


def test_a_judge_that_failed_is_shown_not_recorded() -> None:
    failed = Finding("judge", "warning", "the judge did not answer")
    unread = replace(made(judged=[failed]), judge_read=False)
    merged = take_translation(draft(), draft(), unread, False, checked)
    assert merged.entry is not None and merged.entry.judge == [] and failed in merged.entry.checks


def test_a_check_is_saved_only_onto_the_same_text() -> None:
    result = draft(checks=[Finding("x", "warning", "w")], status=READY)
    saved = unchanged_inputs(take_check, draft(), result, "gpt-x", Usage())
    assert saved.entry is not None and saved.entry.checks == result.checks
    moved = unchanged_inputs(take_check, draft(comment_en="Edited."), result, "gpt-x", Usage())
    assert moved.entry is None and moved.outcome == "changed meanwhile"


def test_his_edit_is_saved_checked_and_a_removed_draft_is_named() -> None:
    saved = unchanged_inputs(take_hand_edit, draft(), "2506.00001", "bad English.", None, checked)
    assert saved.entry is not None and saved.entry.status == NEEDS_REVIEW
    assert saved.outcome == "saved"
    same = take_hand_edit(draft(), "2506.00001", MACHINE, None, checked)
    assert same.entry is None
    gone = take_hand_edit(None, "2506.00001", "x", None, checked)
    assert gone.entry is None and "removed meanwhile" in gone.outcome


# -- notes of his vault -------------------------------------------------------------------------
def synced(**changes: Any) -> Entry:
    """A draft as an import or an export leaves it: it records its note."""
    entry = draft(**changes)
    entry.source, entry.source_file = "vault", "arXiv/250624 A Paper.md"
    text = new_note(note_content(entry))
    entry.note, entry.source_hash = text, note_digest(text.encode("utf-8"))
    entry.imported = entry.content_fingerprint()
    return entry


def from_note(base: Entry, **changes: Any) -> Entry:
    """The draft a note makes after he edited it in Obsidian."""
    entry = replace(base, **changes)
    text = new_note(note_content(entry)) + "\n\n[[his link]]"
    entry.note, entry.source_hash = text, note_digest(text.encode("utf-8"))
    entry.imported = entry.content_fingerprint()
    return entry


def test_a_note_imported_and_imported_again() -> None:
    note = synced()
    first = unchanged_inputs(take_note, None, note, checked)
    assert first.entry is not None and first.outcome == "imported"
    again = unchanged_inputs(take_note, note, note, checked)
    assert again.entry is None and again.outcome == "unchanged"
    # a draft an earlier digest imported kept no note: it is given it, nothing else changes
    older = replace(note, note="")
    given = unchanged_inputs(take_note, older, note, checked)
    assert given.entry is not None and given.entry.note == note.note
    assert given.outcome == "unchanged"


@pytest.mark.parametrize(
    ("draft_changes", "note_changes", "outcome", "expected"),
    [
        # only the note changed: the note's
        ({}, {"comment_ko": "고친 코멘트."}, "updated", {"comment_ko": "고친 코멘트."}),
        # only the draft changed: the draft's stays (the export writes it)
        ({"comment_en": "Edited here."}, {}, "updated", {"comment_en": "Edited here."}),
        # each changed its own part: both stay
        (
            {"comment_en": "Edited here."},
            {"tags": ["rl", "noise"]},
            "updated",
            {"comment_en": "Edited here.", "tags": ["rl", "noise"]},
        ),
        # both changed the English: the draft's stays, and the import says so
        (
            {"comment_en": "Edited here."},
            {"comment_en": "Edited in Obsidian."},
            "edited on both sides",
            {"comment_en": "Edited here."},
        ),
        # the model's English never reached the note: his own English from the note wins
        (
            {"machine_en": "Model's.", "comment_en": "Model's."},
            {"comment_en": "His own English."},
            "updated",
            {"comment_en": "His own English.", "machine_en": "Model's."},
        ),
    ],
)
def test_a_note_and_its_draft_are_merged_three_ways(
    draft_changes: dict[str, Any],
    note_changes: dict[str, Any],
    outcome: str,
    expected: dict[str, object],
) -> None:
    base = synced(machine_en="", comment_en=EN)
    current = replace(base, **draft_changes)
    note = from_note(base, **note_changes)
    merged = unchanged_inputs(take_note, current, note, checked)
    assert merged.outcome == outcome
    after = merged.entry or current
    for name, value in expected.items():
        assert getattr(after, name) == value, name
    if merged.entry is not None:
        assert merged.entry.note == note.note and merged.entry.source_hash == note.source_hash
    else:
        assert "changed both in" in merged.notes[0]


def test_a_draft_without_its_note_is_never_overwritten_by_one() -> None:
    edited = replace(synced(), note="", comment_en="Edited here.")
    note = from_note(synced(), comment_en="Edited in Obsidian.")
    merged = take_note(edited, note, checked)
    assert merged.entry is None and merged.outcome == "edited here since the import"


def test_what_an_export_wrote_is_recorded() -> None:
    written = draft()
    merged = unchanged_inputs(record_note, draft(), written, "arXiv/a.md", "ab12", "note", "")
    assert merged.entry is not None
    assert (merged.entry.source_file, merged.entry.source_hash, merged.entry.note) == (
        "arXiv/a.md",
        "ab12",
        "note",
    )
    again = record_note(merged.entry, written, "arXiv/a.md", "ab12", "note", "")
    assert again.entry is None and again.outcome == "unchanged"
    moved = record_note(draft(comment_en="Edited meanwhile."), written, "a", "b", "c", "")
    assert moved.entry is None and moved.outcome == "changed meanwhile"
    forced = record_note(draft(), written, "a", "b", "c", "his note as it was")
    assert forced.entry is not None
    assert forced.entry.history[-1] == {"note": "his note as it was", "replaced": "export --force"}


# -- a digest in the text format ----------------------------------------------------------------
def test_a_digest_entry_into_its_draft() -> None:
    new = draft(id="a-paper-1234abcd", comment_en="From the digest.", source="digest")
    imported = unchanged_inputs(take_digest_entry, None, new, None, "d.txt", checked)
    assert imported.entry is not None and imported.outcome == "imported"
    on_disk = draft(comment_ko=KO.replace(" ", "\n", 1))  # the same comment on two lines
    same = unchanged_inputs(take_digest_entry, on_disk, draft(), on_disk, "d.txt", checked)
    assert same.entry is None and same.outcome == "unchanged"
    updated = take_digest_entry(draft(), replace(draft(), comment_en=EN), draft(), "d.txt", checked)
    assert updated.entry is not None and updated.entry.comment_en == EN
    assert updated.entry.history[-1] == {"comment_en": MACHINE, "replaced": "import of d.txt"}
    meanwhile = take_digest_entry(draft(comment_en="Meanwhile."), draft(), draft(), "d", checked)
    assert meanwhile.entry is None and meanwhile.outcome == "changed here while importing"


# -- a Korean and an English only as the pair he wrote ----------------------------------------------
def test_a_new_korean_under_his_english_marks_it_of_the_comment_before_until_he_decides() -> None:
    """His English (not the model's) stays when he gives a new Korean; the draft says it is of
    the comment before, and a check makes it an error, until the English is made anew (--force)
    or he keeps it (edit)."""
    from pipeline.entry import EARLIER_ENGLISH
    from pipeline.glossary import Glossary
    from pipeline.translation import recheck

    paper_id = parse_id("2506.00001")
    his = draft(comment_en=EN)  # his English, the model's was MACHINE
    new = unchanged_inputs(take_comment, his, paper_id, "2025-06-24", "새 코멘트.", None, None)
    assert new.entry is not None and new.entry.extra.get(EARLIER_ENGLISH)
    translated = take_translation(new.entry, new.entry, made(), False, checked).entry
    assert translated is not None and translated.comment_en == EN  # kept
    assert translated.extra.get(EARLIER_ENGLISH)
    findings = recheck(translated, Glossary([], []))
    assert any(f.check == "pair" and f.is_error for f in findings)
    forced = take_translation(new.entry, new.entry, made(), True, checked).entry
    assert forced is not None and not forced.extra.get(EARLIER_ENGLISH)
    kept = take_hand_edit(translated, "2506.00001", EN, None, checked)
    assert kept.entry is not None and not kept.entry.extra.get(EARLIER_ENGLISH)
    # the model's English is only made again: no mark
    machine = take_comment(draft(), paper_id, "2025-06-24", "새 코멘트.", None, None).entry
    assert machine is not None and not machine.extra.get(EARLIER_ENGLISH)


def test_his_obsidian_english_of_the_old_korean_never_pairs_with_the_new_korean() -> None:
    """The draft has a new Korean and the model's English of it (`digest draft` again); in
    Obsidian he polished the old English of the old Korean. Taking his English beside the new
    Korean, silently, would publish an English of another comment: it is a conflict to tell
    (or the draft awaits a translation of the new Korean)."""
    base = synced()
    current = replace(
        base,
        comment_ko="완전히 다른 새 코멘트.",
        machine_en="A new comment.",
        comment_en="A new comment.",
    )
    note = from_note(base, comment_en="Adding noise to the reward, polished.")
    merged = unchanged_inputs(take_note, current, note, checked)
    after = merged.entry or current
    silently_mixed = (
        after.comment_ko == "완전히 다른 새 코멘트."
        and after.comment_en == "Adding noise to the reward, polished."
        and after.status != AWAITING
        and not merged.notes
    )
    assert not silently_mixed, merged
