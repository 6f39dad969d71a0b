"""How the author writes acronyms, learned from his history: an acronym he keeps as written is his
usage (losing it is an error), one he often writes another way is generic (a warning)."""

from __future__ import annotations

from pathlib import Path

from pipeline.acronym_prior import PRIOR
from pipeline.check import USUAL_SHARE, AcronymUsage, acronyms_kept
from pipeline.config import load_settings
from pipeline.entry import ERROR, WARNING, Status
from pipeline.glossary import load_glossary
from pipeline.history import History
from pipeline.store import Store
from scripts.calibrate import (
    PRIOR_FILE,
    calibrate,
    load_notes,
    prior_source,
    split_notes,
    usage_counts,
)
from tests.cli_helpers import FakeModel, make_entry, workflow
from tests.conftest import CORPUS, REPO

KO = "GQA로 KV 캐시를 줄인 모델."
KEPT = "A model that shrinks the KV cache with GQA."
DROPPED = "A model that shrinks the KV cache by sharing heads."


def test_the_shipped_prior_is_what_his_tuning_notes_say() -> None:
    """Generated, not listed by hand: the tuning part only, so held-out figures stay held out."""
    tuning, _ = split_notes(load_notes(CORPUS / "notes-2024.jsonl"))
    assert usage_counts(tuning) == PRIOR
    assert PRIOR_FILE.read_text(encoding="utf-8") == prior_source(usage_counts(tuning))
    assert PRIOR["LLM"] == (9, 8)  # 89%: generic, so a lost LLM is a warning for a new user
    assert not AcronymUsage({}).usual("LLM") and AcronymUsage({}).usual("DPO")
    assert USUAL_SHARE == 0.95


def test_the_history_counts_the_authors_drafts_and_forgets_removed_ones(tmp_path: Path) -> None:
    store = Store(tmp_path / "drafts")
    # his own English (imported: no machine English), a model's he published, one he did not
    store.save(make_entry("2501.00001", comment_ko=KO, machine_en="", comment_en=KEPT))
    store.save(make_entry("2501.00002", comment_ko=KO, machine_en=DROPPED, comment_en=DROPPED))
    store.save(
        make_entry(
            "2501.00003",
            comment_ko=KO,
            machine_en=DROPPED,
            comment_en=DROPPED,
            status=Status.NEEDS_REVIEW,
        )
    )
    history = History(store, tmp_path / "history.sqlite")
    assert history.acronym_counts() == {"GQA": (2, 1), "KV": (2, 2)}
    store.remove("2025-06-24", "2501.00001")
    assert History(store, tmp_path / "history.sqlite").acronym_counts() == {
        "GQA": (1, 0),
        "KV": (1, 1),
    }


def test_a_lost_acronym_is_an_error_until_his_history_shows_he_writes_it_otherwise(
    isolated: Path,
) -> None:
    model = FakeModel(lambda messages: DROPPED)
    first = workflow(model, isolated).draft("2506.18896", KO, None, "2025-06-24").entry
    assert first.status == "needs-review"
    assert [f.severity for f in first.checks if "'GQA'" in f.message] == [ERROR]
    # his own notes, where he writes it out in two of three
    store = Store(load_settings().drafts_dir)
    for n, english in enumerate([DROPPED, DROPPED, KEPT], 1):
        store.save(
            make_entry(
                f"2401.0000{n}",
                "2024-01-0" + str(n),
                comment_ko=KO,
                machine_en="",
                comment_en=english,
            )
        )
    (entry,) = workflow(model, isolated).check([store.find("2506.18896")])
    findings = [f for f in entry.checks if "'GQA'" in f.message]
    assert [f.severity for f in findings] == [WARNING]
    assert "(you keep it in 1 of 3 notes)" in findings[0].message
    assert entry.status == "ready"


def test_on_his_own_notes_a_new_user_and_he_see_the_same_errors() -> None:
    """The default for no history (the prior) costs nothing on his English, held out."""
    tuning, held_out = split_notes(load_notes(CORPUS / "notes-2024.jsonl"))
    glossary = load_glossary(REPO / "glossary.yaml")
    his = calibrate(held_out, glossary, tuning)
    new_user = calibrate(held_out, glossary, None)
    assert his.failing_besides_url == new_user.failing_besides_url == 2


def test_what_a_draft_teaches() -> None:
    assert acronyms_kept(KO, KEPT) == {"GQA": True, "KV": True}
    assert acronyms_kept(KO, DROPPED) == {"GQA": False, "KV": True}
    assert acronyms_kept("RoPE와 Qwen2.5.", "RoPE and Qwen2.5.") == {}  # names, not acronyms
