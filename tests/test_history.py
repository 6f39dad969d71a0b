"""The author's history: the vault import, his voice (nearest examples), tags, glossary suggestions."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from pipeline.entry import Entry
from pipeline.examples import Example, suggest_tags
from pipeline.glossary import parse_glossary
from pipeline.history import History
from pipeline.review import hand_replacements
from pipeline.store import Store
from pipeline.suggest import korean_stems, mine_terms
from pipeline.tags import near_duplicates, new_tag_warnings, vocabulary
from pipeline.text import normalize_tag, parse_tags
from pipeline.vault import NO_COMMENT, NO_DATE, NO_LINK, Skip, parse_note
from tests.cli_helpers import DATE, KO, make_entry, run
from tests.conftest import CORPUS
from tests.servers import ArxivServer, OpenAIServer

VAULT = CORPUS / "vault-sample"


def test_the_vault_sample_imports_with_the_expected_counts(isolated: Path) -> None:
    result = run("import", "--vault", str(VAULT), "--list-skipped")
    assert result.code == 0, result.stderr
    assert (
        "89 imported, 0 updated, 0 unchanged, 10 skipped (9 no Korean comment, 1 no arXiv link on its first line)"
        in result.stderr
    )
    assert (
        "skipped (no arXiv link on its first line): arXiv/2024/240713 Arena Learning.md"
        in result.stderr
    )
    assert "skipped (no Korean comment): arXiv/2024/240104 ChartAssisstant.md" in result.stderr
    draft = yaml.safe_load(
        (isolated / "drafts/2024-12-08/2412.06000.yaml").read_text(encoding="utf-8")
    )
    assert draft["title"] == "Does RLHF Scale? Exploring the Impacts From Data, Model, and Method"
    assert draft["authors"][0] == "Zhenyu Hou" and draft["tags"] == ["rlhf", "reward-model"]
    assert draft["comment_en"].startswith("Research on scaling of RLHF")
    assert draft["machine_en"] == "" and draft["source"] == "vault"
    assert draft["abstract"].startswith("This study explores the scaling properties")
    again = run("import", "--vault", str(VAULT))
    assert "0 imported, 0 updated, 89 unchanged" in again.stderr


def test_vault_comments_match_the_corpus() -> None:
    notes = {
        json.loads(line)["id"]: json.loads(line)
        for line in (CORPUS / "notes-2024.jsonl").read_text(encoding="utf-8").splitlines()
    }
    compared = 0
    for path in sorted(VAULT.rglob("*.md")):
        try:
            note = parse_note(path.read_bytes(), path)
        except Skip:
            continue
        if note.paper_id in notes:
            compared += 1
            assert note.content.comment_ko == notes[note.paper_id]["comment_ko"].strip(), path.name
    assert compared == 35  # the 2024 notes of the sample that the corpus also holds


def note(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / "vault" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


GOOD_NOTE = """https://arxiv.org/abs/2501.00001

*A Paper (With Parens): Subtitle* (Ann Lee, Bob Kim)

> An abstract line.

보상에 노이즈를 추가하는 방법.

Adding noise to the reward.

#RL #object_detection
"""


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("250101 No link.md", "Just a title\n\n한국어 코멘트\n", NO_LINK),
        ("Undated note.md", GOOD_NOTE, NO_DATE),
        ("251399 Bad date.md", GOOD_NOTE, NO_DATE),
        ("250101 Only tags.md", "https://arxiv.org/abs/2501.00001\n\n#rl\n", NO_COMMENT),
        (
            "250101 English only.md",
            "https://arxiv.org/abs/2501.00001\n\nTitle (A)\n\nOnly English here.\n",
            NO_COMMENT,
        ),
        ("250101 Bad id.md", "https://arxiv.org/abs/9999.x\n\n코멘트\n", NO_LINK),
    ],
)
def test_broken_notes_are_skipped_with_their_reason(
    tmp_path: Path, name: str, text: str, reason: str
) -> None:
    with pytest.raises(Skip) as info:
        parse_note(text.encode("utf-8"), note(tmp_path, name, text))
    assert info.value.reason == reason


def test_a_hand_made_note_with_plain_english(tmp_path: Path) -> None:
    note_read = parse_note(GOOD_NOTE.encode(), note(tmp_path, "250101 A Paper.md", GOOD_NOTE))
    assert (note_read.date, note_read.paper_id) == ("2025-01-01", "2501.00001")
    parsed = note_read.content
    assert parsed.title == "A Paper (With Parens): Subtitle" and parsed.authors == [
        "Ann Lee",
        "Bob Kim",
    ]
    assert parsed.abstract == "An abstract line."
    assert parsed.comment_ko == "보상에 노이즈를 추가하는 방법."
    assert parsed.comment_en == "Adding noise to the reward."
    assert parsed.tags == ["rl", "object-detection"]


def test_an_edited_note_is_updated_unless_its_draft_was_edited_here(isolated: Path) -> None:
    path = note(isolated, "250101 A Paper.md", GOOD_NOTE)
    assert "1 imported" in run("import", "--vault", str(path.parent)).stderr
    path.write_text(GOOD_NOTE.replace("Adding noise", "Adding some noise"), encoding="utf-8")
    assert "1 updated" in run("import", "--vault", str(path.parent)).stderr
    draft_path = isolated / "drafts/2025-01-01/2501.00001.yaml"
    assert yaml.safe_load(draft_path.read_text(encoding="utf-8"))["comment_en"].startswith(
        "Adding some noise"
    )
    data = yaml.safe_load(draft_path.read_text(encoding="utf-8"))
    data["comment_en"] = "Edited here."
    draft_path.write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    path.write_text(GOOD_NOTE.replace("Adding noise", "Adding lots of noise"), encoding="utf-8")
    result = run("import", "--vault", str(path.parent))
    assert "1 skipped (1 edited on both sides)" in result.stderr
    assert yaml.safe_load(draft_path.read_text(encoding="utf-8"))["comment_en"] == "Edited here."


def test_a_note_filed_into_a_year_folder_is_updated_with_its_new_path(isolated: Path) -> None:
    path = note(isolated, "arXiv/250101 A Paper.md", GOOD_NOTE)
    vault = isolated / "vault"
    assert "1 imported" in run("import", "--vault", str(vault)).stderr
    filed = vault / "arXiv/2025/250101 A Paper.md"
    filed.parent.mkdir()
    path.rename(filed)
    assert "0 imported, 1 updated, 0 unchanged" in run("import", "--vault", str(vault)).stderr
    draft = yaml.safe_load(
        (isolated / "drafts/2025-01-01/2501.00001.yaml").read_text(encoding="utf-8")
    )
    assert draft["source_file"] == "arXiv/2025/250101 A Paper.md"
    assert draft["note"] == GOOD_NOTE  # the note as read, whole
    assert "0 imported, 0 updated, 1 unchanged" in run("import", "--vault", str(vault)).stderr


def test_since_filters_by_day(isolated: Path) -> None:
    note(isolated, "240101 Old.md", GOOD_NOTE)
    note(isolated, "250101 New.md", GOOD_NOTE.replace("2501.00001", "2501.00002"))
    result = run("import", "--vault", str(isolated / "vault"), "--since", "2024-06-01")
    assert "1 imported" in result.stderr and "1 before --since" in result.stderr


def test_imported_entries_are_never_translated_by_a_redraft(isolated: Path) -> None:
    run("import", "--vault", str(VAULT))
    check = run("check", "2412.06000")
    assert check.code in (0, 1) and "2412.06000 (2024-12-08)" in check.stdout
    review = run("review", "2412.06000")
    assert "the English is the author's own" in review.stdout


# -- his voice ----------------------------------------------------------------------------------
def corpus_examples() -> list[Example]:
    notes = [
        json.loads(line)
        for line in (CORPUS / "notes-2024.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    return [Example(n["id"], n["comment_ko"], n["comment_en"], tuple(n["tags"])) for n in notes]


def test_examples_chosen_are_close_neighbours() -> None:
    examples = corpus_examples()
    index = History.of(examples)  # what eval searches: the same search as the drafts'
    # A comment about MoE experts must find MoE notes; one about PRMs must find PRM notes.
    moe = index.nearest(
        "DeepSeek MoE처럼 Shared Expert를 두고 더 작은 Expert를 더 많이 활성화하는 방법.", k=3
    )
    assert all("Expert" in e.korean or "MoE" in e.korean for _, e in moe)
    prm = index.nearest(
        "Process Reward Model을 MCTS로 만든 Process Supervision 데이터로 학습.", k=3
    )
    assert sum("Process" in e.korean or "PRM" in e.korean for _, e in prm) >= 2
    # a note's own text, slightly changed, finds the note itself first
    target = examples[42]
    found = index.nearest(target.korean.replace(".", "!"), k=1)
    assert found[0][1].key == target.key
    assert (
        index.nearest(target.korean, k=3, exclude=frozenset([target.key]))[0][1].key != target.key
    )


def corpus_history(tmp_path: Path) -> History:
    """The 300 notes of the corpus as drafts (ready, his English published), and their history."""
    store = Store(tmp_path / "drafts")
    for n, example in enumerate(corpus_examples()):
        store.save(
            make_entry(
                example.key,
                f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}",
                comment_ko=example.korean,
                machine_en="",
                comment_en=example.english,
                tags=list(example.tags),
            )
        )
    return History(store, tmp_path / "cache" / "history.sqlite3")


def test_the_history_finds_close_neighbours(tmp_path: Path) -> None:
    history = corpus_history(tmp_path)
    moe = history.nearest(
        "DeepSeek MoE처럼 Shared Expert를 두고 더 작은 Expert를 더 많이 활성화하는 방법.", k=3
    )
    assert len(moe) == 3 and all("Expert" in e.korean or "MoE" in e.korean for _, e in moe)
    prm = history.nearest("Process Reward Model을 MCTS로 만든 Process Supervision 데이터로 학습.")
    assert sum("Process" in e.korean or "PRM" in e.korean for _, e in prm) >= 2
    target = corpus_examples()[42]
    assert history.nearest(target.korean.replace(".", "!"), k=1)[0][1].key == target.key
    others = history.nearest(target.korean, k=3, exclude=frozenset([target.key]))
    assert target.key not in {e.key for _, e in others}


def test_the_history_parses_only_what_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run after another draft was saved parses that draft, not the history."""
    history = corpus_history(tmp_path)
    assert history.count()[0] == 300
    store = history.store
    assert store is not None
    parsed: list[Path] = []
    original = store.load

    def counting(path: Path) -> Entry:
        parsed.append(path)
        return original(path)

    monkeypatch.setattr(store, "load", counting)
    again = History(store, history.path)
    assert again.count()[0] == 300 and parsed == []  # nothing changed: nothing parsed
    changed = store.files()[7]
    entry = original(changed)
    entry.comment_en = "Edited."
    store.save(entry)
    (store.root / "2024-01-01" / "2401.99999.yaml").write_text("title: [oops\n", encoding="utf-8")
    third = History(store, history.path)
    assert third.count()[0] == 300 and len(third.problems()) == 1
    assert sorted(parsed) == sorted([changed, store.root / "2024-01-01" / "2401.99999.yaml"])
    query = corpus_examples()[3].korean * 20  # a very long comment asks for a bounded query
    assert len(third.nearest(query, k=3)) == 3


def test_a_damaged_history_file_is_rebuilt(tmp_path: Path) -> None:
    history = corpus_history(tmp_path)
    assert history.count()[0] == 300 and history.path is not None
    history.path.write_bytes(b"not a database at all" * 100)
    assert History(history.store, history.path).count()[0] == 300


# -- tags ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "tag"),
    [
        ("object_detection", "object-detection"),
        ("#Reward Model", "reward-model"),
        ("  #RL ", "rl"),
        ("a__b--c", "a-b-c"),
    ],
)
def test_tag_normaliser(raw: str, tag: str) -> None:
    assert normalize_tag(raw) == tag


def test_tags_parse_in_order_without_duplicates() -> None:
    assert parse_tags("#rl, reasoning #RL object_detection") == [
        "rl",
        "reasoning",
        "object-detection",
    ]


def test_vocabulary_and_near_duplicates() -> None:
    entries = [
        make_entry(tags=t)
        for t in (
            ["llm", "rl"],
            ["LLM"],
            ["lm"],
            ["reward-model"],
            ["reward_models"],
            ["diffusion"],
        )
    ]
    vocab = vocabulary(entries)
    assert vocab == Counter(
        {"llm": 2, "rl": 1, "lm": 1, "reward-model": 1, "reward-models": 1, "diffusion": 1}
    )
    pairs = {(a, b) for a, b, _ in near_duplicates(vocab)}
    assert ("llm", "lm") in pairs and ("reward-model", "reward-models") in pairs
    assert ("diffusion", "rl") not in pairs


def test_a_new_tag_one_edit_from_a_known_one_is_warned() -> None:
    vocab = Counter({"reasoning": 19, "rl": 3})
    assert new_tag_warnings(["reasoninng", "rl", "brand-new"], vocab) == [
        "tag 'reasoninng' is new; did you mean 'reasoning' (used 19 times)?"
    ]


def test_draft_warns_of_a_probable_tag_typo(arxiv_server, model_server, isolated: Path) -> None:
    run("import", "--vault", str(VAULT))
    result = run(
        "draft",
        "2506.18896",
        "--comment",
        "PRM. 각 단계를 평가하게 했군요.",
        "--tags",
        "reward-modle",
    )
    assert "Warning: tag 'reward-modle' is new; did you mean 'reward-model'" in result.stderr


def test_the_editor_template_suggests_tags_of_similar_papers(arxiv_server, isolated: Path) -> None:

    run("import", "--vault", str(VAULT))
    editor = isolated / "ed.sh"
    editor.write_text(f'#!/bin/sh\ncp "$1" {isolated}/seen.txt\nexit 1\n', encoding="utf-8")
    editor.chmod(0o755)
    run("draft", "2506.18896", env={"EDITOR": str(editor)}, tty=True)
    seen = (isolated / "seen.txt").read_text(encoding="utf-8")
    line = next(line for line in seen.splitlines() if "Tags of similar past entries" in line)
    assert "#reward-model" in line or "#rlhf" in line


def test_suggest_tags_weights_by_similarity() -> None:
    index = History.of(
        [
            Example("a", "보상 모델 노이즈 강화학습", "x", ("rl", "reward-model")),
            Example("b", "보상 모델 강화학습 추론", "x", ("rl",)),
            Example("c", "이미지 생성 디퓨전", "x", ("diffusion",)),
        ]
    )
    assert suggest_tags(index.nearest("보상 모델과 강화학습", k=8))[:2] == ["rl", "reward-model"]


# -- glossary suggestions -----------------------------------------------------------------------
def test_suggestion_miner_on_a_small_made_up_history() -> None:
    history = [
        ("체크포인트를 평균내는 방법.", "Averaging checkpoints."),
        ("중간 체크포인트로 스케일링을 추정.", "Estimating scaling with intermediate checkpoints."),
        ("체크포인트 병합 연구.", "A study on merging checkpoints."),
        ("증류를 통한 학습.", "Training with distillation."),
        ("이미지 데이터셋.", "An image dataset."),
    ]
    glossary = parse_glossary("terms:\n  증류: distillation\n", "g.yaml")
    suggestions = mine_terms(history, glossary, min_notes=3)
    assert [(s.korean, s.english, s.notes, s.together) for s in suggestions] == [
        ("체크포인트", "checkpoint", 3, 3)
    ]
    assert suggestions[0].yaml_line() == "  체크포인트: [checkpoint]  # 3 of 3 notes"
    assert "증류" not in {s.korean for s in mine_terms(history * 3, glossary, min_notes=3)}


def test_korean_stems_drop_particles_and_verbs() -> None:
    stems = korean_stems("강화학습으로 체크포인트를 Reward에서 좋네요")
    assert stems == {"강화학습", "체크포인트"}


def test_hand_replacements_made_again_and_again() -> None:
    entries = [
        make_entry(
            machine_en="The authors made it work.", comment_en="The authors designed it work."
        ),
        make_entry(machine_en="They made a model.", comment_en="They designed a model."),
        make_entry(machine_en="Same.", comment_en="Same."),
    ]
    assert hand_replacements(entries) == [("made", "designed", 2)]


def test_glossary_suggest_command(isolated: Path) -> None:
    run("import", "--vault", str(VAULT))
    result = run("glossary", "suggest")
    assert result.code == 0
    lines = result.stdout.splitlines()
    assert lines[2] == "terms:"
    parsed = yaml.safe_load(result.stdout)
    assert isinstance(parsed["terms"], dict) and parsed["terms"]


def test_tags_command(isolated: Path) -> None:
    run("import", "--vault", str(VAULT))
    result = run("tags")
    assert result.code == 0 and result.stdout.startswith(
        "#diffusion             11\n#llm                   9\n"
    )
    assert "#llm (9) / #lm (1): 1 edit apart" in result.stdout


def test_a_vault_without_notes_and_an_unreadable_note(isolated: Path) -> None:
    empty = isolated / "empty-vault"
    empty.mkdir()
    (empty / "readme.txt").write_text("not a note", encoding="utf-8")
    result = run("import", "--vault", str(empty))
    assert (
        result.code == 2 and result.stderr.strip() == f"Error: no Markdown notes (*.md) in {empty}"
    )
    vault = isolated / "vault"
    vault.mkdir()
    good = VAULT / "arXiv/2024/241208 Does RLHF Scale.md"
    (vault / good.name).write_bytes(good.read_bytes())
    (vault / "241209 Broken.md").write_bytes("한국어 코멘트".encode("euc-kr"))
    mixed = run("import", "--vault", str(vault), "--list-skipped")
    assert mixed.code == 0, mixed.stderr
    assert (
        "1 imported" in mixed.stderr
        and "1 skipped (1 unreadable: not UTF-8 or no permission)" in mixed.stderr
    )


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
