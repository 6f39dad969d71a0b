"""The author's daily round trips between his Obsidian vault and digest (issues 22/23),
driven as sequences of daily actions over copies of EVERY note of tests/data/vault-sample/, with
invariants checked after each step:

1. every byte of a note outside the blocks the action was meant to change stays (the pieces of
   kinds other than Korean/English/tags, their gaps, and the tail);
2. nothing he typed is lost: his latest Korean/English, from either side, is in the note or in a
   draft of the paper (its history included);
3. settling: the same sync/import/export again writes no file and asks no service;
4. an English in a note was made (by the model) or written (by him) for the Korean beside it;
5. no second note of one paper appears;
6. exit codes per the contract, never a traceback.

Obsidian edits: his Korean, his English, his tags line, a wiki link / heading / image after the
comment, a rename, a move into a year folder, a save with CRLF. Digest actions: sync, import
--vault, edit ID (stdin), draft ID --comment, export --format vault, export (text).

Against the loopback servers, whose model answers with his own English (and, for a Korean he
changed, a registered English for that Korean); deterministic seeds."""

from __future__ import annotations

import datetime as dt
import functools
import random
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline import note as note_module
from pipeline.note import Kind, NoPaper
from tests.cli_helpers import (
    CURRENT_LAYOUT,
    SAMPLE_VAULT,
    Result,
    pin_today,
    run,
    snapshot,
    without_english,
)
from tests.servers import ArxivServer, FakePaper, OpenAIServer, last_user_comment

pytestmark = pytest.mark.slow  # whole-vault sequences: about two minutes in all

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
OWNED = (Kind.KOREAN, Kind.ENGLISH, Kind.TAGS)
EVERY_DAY = "0001-01-01..9999-12-31"
TODAY = dt.date.today().isoformat()
KO_MORE = " 다시 읽어볼 것."
EN_MORE = " Worth reading again."
TERMINAL_EN = " (Edited in the terminal.)"
APPENDED = "\n\n[[200220 Imputer]]\n\n# Links\n\n![[figure.png]]\n"


# The invariants read every note and every draft after every step; the same bytes are parsed
# once (the parsed values are frozen or only read), which keeps the sequences to seconds.
read_note = functools.cache(note_module.read_note)


@functools.cache
def paper_of(text: str) -> str | None:
    try:
        return read_note(text).content.paper_id
    except NoPaper:
        return None


@functools.cache
def parsed_draft(text: str) -> Any:
    return yaml.load(text, Loader=LOADER)


def norm(text: str) -> str:
    return " ".join(text.replace("\r\n", "\n").split())


def others(text: str) -> tuple[list[tuple[str, str, str]], str]:
    """What no action of ours may change: every piece but the Korean, English and tags."""
    note = read_note(text)
    kept = [(str(p.kind), p.gap, p.text) for p in note.pieces if p.kind not in OWNED]
    return kept, note.tail


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


@dataclass
class World:
    """A copy of his vault (current-layout notes without their English, as he leaves them for
    sync), the servers, and what he typed and what the model was asked."""

    root: Path
    drafts: Path
    model: OpenAIServer
    arxiv: ArxivServer
    replies: dict[str, str] = field(default_factory=dict)  # a Korean -> the model's English
    pairs: set[tuple[str, str]] = field(default_factory=set)  # (Korean, English) that belong
    machine: set[str] = field(default_factory=set)  # English the model made
    typed_ko: dict[str, str] = field(default_factory=dict)  # paper -> his latest Korean
    typed_en: dict[str, str] = field(default_factory=dict)  # paper -> his latest English
    path: dict[str, Path] = field(default_factory=dict)  # paper -> where its note is
    kept: dict[str, tuple[list[tuple[str, str, str]], str]] = field(default_factory=dict)
    no_paper: dict[Path, bytes] = field(default_factory=dict)
    crlf: set[str] = field(default_factory=set)  # notes he saved with CRLF line ends
    log: list[str] = field(default_factory=list)

    # -- set-up ----------------------------------------------------------------------------------
    def load(self) -> None:
        shutil.copytree(SAMPLE_VAULT, self.root)
        (self.root / ".obsidian").mkdir()
        for path in sorted(self.root.rglob("*.md")):
            text = path.read_bytes().decode("utf-8")
            try:
                note = read_note(text)
            except NoPaper:
                self.no_paper[path] = path.read_bytes()
                continue
            content = note.content
            pid = content.paper_id
            if content.comment_ko:
                self.replies[content.comment_ko] = content.comment_en or (
                    f"The paper's point, in his words ({len(content.comment_ko)} characters)."
                )
                if content.comment_en:
                    self.pairs.add((norm(content.comment_ko), norm(content.comment_en)))
            if path.name >= CURRENT_LAYOUT and content.comment_en:
                text = without_english(text)
                path.write_bytes(text.encode("utf-8"))
            self.path[pid] = path
            self.kept[pid] = others(text)
            self.arxiv.add(
                FakePaper(
                    pid,
                    content.title or path.stem[7:],
                    content.authors or ["A. Author"],
                    content.abstract or "An abstract.",
                )
            )
        self.model.responder = self.answer

    def answer(self, request: dict) -> str:
        korean = last_user_comment(request)
        english = self.replies.get(korean, "Some other English.")
        self.pairs.add((norm(korean), norm(english)))
        self.machine.add(norm(english))
        return english

    # -- what is on disk -------------------------------------------------------------------------
    def note(self, pid: str) -> str:
        return self.path[pid].read_bytes().decode("utf-8")

    def papers(self) -> dict[str, list[Path]]:
        found: dict[str, list[Path]] = {}
        for path in sorted(self.root.rglob("*.md")):
            if ".obsidian" in path.parts or ".digest" in path.parts:
                continue
            pid = paper_of(path.read_bytes().decode("utf-8"))
            if pid is not None:
                found.setdefault(pid, []).append(path)
        return found

    def all_drafts(self) -> dict[str, list[dict]]:
        found: dict[str, list[dict]] = {}
        for path in self.drafts.rglob("*.yaml"):
            data = parsed_draft(path.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                found.setdefault(str(data.get("id")), []).append(data)
        return found

    def drafts_of(self, pid: str) -> list[dict]:
        return self.all_drafts().get(pid, [])

    # -- Obsidian ----------------------------------------------------------------------------------
    def save(self, pid: str, text: str) -> None:
        self.path[pid].write_bytes(text.encode("utf-8"))
        self.kept[pid] = others(text)

    def edit_piece(self, pid: str, kind: Kind, more: str) -> bool:
        text = self.note(pid)
        note = read_note(text)
        index = max((i for i, p in enumerate(note.pieces) if p.kind is kind), default=None)
        if index is None:
            return False
        pieces = list(note.pieces)
        piece = pieces[index]
        if kind is Kind.ENGLISH and piece.tagged:
            new = piece.text.replace("</english>", more.strip() + "\n</english>")
        else:
            new = piece.text + more
        pieces[index] = type(piece)(piece.gap, piece.kind, new, piece.tagged)
        self.save(pid, "".join(p.gap + p.text for p in pieces) + note.tail)
        return True

    def obsidian(self, pid: str, action: str) -> str:
        """One save of his in Obsidian; returns what was done (an action may not apply)."""
        before = read_note(self.note(pid)).content
        if action == "korean" and before.comment_ko and self.edit_piece(pid, Kind.KOREAN, KO_MORE):
            after = read_note(self.note(pid)).content
            self.typed_ko[pid] = after.comment_ko
            en = before.comment_en
            # A Korean he changes beside an English of his own is his pair; beside the model's
            # English it awaits a new translation.
            if en and norm(en) not in self.machine:
                self.pairs.add((norm(after.comment_ko), norm(en)))
            base = self.replies.get(before.comment_ko, "Some other English.")
            self.replies[after.comment_ko] = base + EN_MORE
            return action
        if (
            action == "english"
            and before.comment_en
            and self.edit_piece(pid, Kind.ENGLISH, EN_MORE)
        ):
            after = read_note(self.note(pid)).content
            self.typed_en[pid] = after.comment_en
            self.pairs.add((norm(after.comment_ko), norm(after.comment_en)))
            return action
        if action == "tags" and self.edit_piece(pid, Kind.TAGS, " #later"):
            return action
        if action == "append":
            text = self.note(pid)
            newline = "\r\n" if "\r\n" in text else "\n"
            self.save(pid, text.rstrip() + APPENDED.replace("\n", newline))
            return action
        if action == "crlf":
            text = self.note(pid).replace("\r\n", "\n").replace("\n", "\r\n")
            self.save(pid, text)
            self.crlf.add(pid)
            return action
        if action == "rename":
            old = self.path[pid]
            new = old.with_name(old.stem + " read.md")
            old.rename(new)
            self.path[pid] = new
            return action
        if action == "move":
            old = self.path[pid]
            year = self.root / "arXiv" / ("20" + old.name[:2])
            if old.parent == year:
                return "none"
            year.mkdir(exist_ok=True)
            new = year / old.name
            if new.exists():
                return "none"
            old.rename(new)
            self.path[pid] = new
            return action
        return "none"

    def obsidian_day(self, seed: int, actions: tuple[str, ...]) -> dict[str, str]:
        rng = random.Random(seed)
        done = {}
        for pid in sorted(self.path):
            done[pid] = self.obsidian(pid, rng.choice(actions))
        self.log.append(f"obsidian(seed={seed})")
        self.check(after_obsidian=True)
        return done

    # -- digest ------------------------------------------------------------------------------------
    def digest(self, *args: str, stdin: str | None = None, settle: bool = False) -> Result:
        result = run(*args, stdin=stdin)
        self.log.append(" ".join(args[:2]))
        assert "Traceback" not in result.stderr + result.stdout, (self.log, result.stderr)
        assert result.code in (0, 1), (self.log, result.code, result.stderr[-2000:])
        if settle:
            self.settles(*args)
        self.check()
        return result

    def settles(self, *args: str) -> None:
        """Invariant 3: the same command again writes no file and asks no service."""
        before = snapshot(self.root, self.drafts)
        asked = len(self.model.requests), len(self.arxiv.requests)
        again = run(*args)
        assert "Traceback" not in again.stderr, again.stderr
        after = snapshot(self.root, self.drafts)
        changed = sorted(
            str(Path(k).relative_to(self.root.parent))
            for k in set(before) | set(after)
            if before.get(k) != after.get(k)
        )
        assert changed == [], (self.log, args, changed[:10], again.stderr[-1500:])
        assert (len(self.model.requests), len(self.arxiv.requests)) == asked, (self.log, args)

    def edit(self, pid: str) -> Result:
        """`digest edit ID` with a new English on stdin."""
        drafts = self.drafts_of(pid)
        latest = max(drafts, key=lambda d: str(d["date"]))
        english = (latest.get("comment_en") or "He reads it so.").rstrip() + TERMINAL_EN
        self.typed_en[pid] = english
        self.pairs.add((norm(latest.get("comment_ko") or ""), norm(english)))
        return self.digest("edit", pid, stdin=english)

    def draft(self, pid: str) -> Result:
        """`digest draft ID --comment` with a new Korean."""
        content = read_note(self.note(pid)).content
        korean = (content.comment_ko or "논문 요약.") + " 터미널에서 덧붙임."
        self.replies[korean] = (content.comment_en or "A summary.") + " Added in the terminal."
        self.typed_ko[pid] = korean
        return self.digest("draft", pid, "--comment", korean)

    # -- the invariants after every step -----------------------------------------------------------
    def check(self, after_obsidian: bool = False) -> None:
        """The invariants; right after his own saves, an English may await its new translation
        (invariant 4 is for what digest leaves)."""
        problems: list[str] = []
        papers = self.papers()
        every_draft = self.all_drafts()
        for pid, paths in papers.items():  # 5
            if len(paths) > 1:
                problems.append(f"5 {pid}: {len(paths)} notes {[p.name for p in paths]}")
        for path, data in self.no_paper.items():
            if not path.exists() or path.read_bytes() != data:
                problems.append(f"1 {path.name}: a note of no paper changed")
        for pid, path in self.path.items():
            if not path.exists():
                problems.append(f"5 {pid}: his note {path.name} is gone")
                continue
            text = self.note(pid)
            if others(text) != self.kept[pid]:  # 1
                problems.append(f"1 {path.relative_to(self.root)}: bytes outside the comment")
            if pid in self.crlf and re.search(r"(?<!\r)\n", text):
                problems.append(f"1 {path.name}: a bare LF written into his CRLF note")
            content = read_note(text).content
            drafts = every_draft.get(pid, [])
            kept = [norm(s) for d in drafts for s in strings(d)]
            for label, typed in (("ko", self.typed_ko), ("en", self.typed_en)):  # 2
                if pid in typed:
                    want = norm(typed[pid])
                    if want not in norm(text) and not any(want in s for s in kept):
                        problems.append(f"2 {path.name}: his {label} is nowhere: {want[:40]}")
            if content.comment_ko and content.comment_en and not after_obsidian:  # 4
                pair = (norm(content.comment_ko), norm(content.comment_en))
                if pair not in self.pairs:
                    problems.append(
                        f"4 {path.name}: English not made for this Korean: "
                        f"{pair[0][-30:]!r} / {pair[1][-40:]!r}"
                    )
        by_invariant = sorted(Counter(p[0] for p in problems).items())
        assert problems == [], (by_invariant, self.log[-4:], problems[:12])


@pytest.fixture
def world(
    isolated: Path,
    model_server: OpenAIServer,
    arxiv_server: ArxivServer,
    monkeypatch: pytest.MonkeyPatch,
) -> World:
    pin_today(monkeypatch, TODAY)  # what a sequence drafts is "today"'s, even across midnight
    made = World(isolated / "Obsidian", isolated / "drafts", model_server, arxiv_server)
    made.load()
    made.check()
    return made


EDITS = ("korean", "english", "tags", "append", "crlf", "rename", "move")


# -- sequences ---------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [1, 2])
def test_obsidian_day_then_sync_import_export(world: World, seed: int) -> None:
    """He saves every note in Obsidian (one edit each, seeded), then sync, import, export to
    the vault, and the text digest; each settles."""
    world.digest("sync", str(world.root), settle=True)
    world.obsidian_day(seed, EDITS)
    world.digest("sync", str(world.root), settle=True)
    world.digest("import", "--vault", str(world.root), settle=True)
    world.digest("export", EVERY_DAY, "--format", "vault", "-o", str(world.root), settle=True)
    world.digest("export", EVERY_DAY, settle=True)


@pytest.mark.parametrize("seed", [3])
def test_import_then_terminal_edits_then_export_and_sync(world: World, seed: int) -> None:
    """Import, `digest edit` a seeded third of the papers with comments, export to the vault,
    sync: the edited English reaches the note, nothing else of it changes."""
    world.digest("import", "--vault", str(world.root), settle=True)
    rng = random.Random(seed)
    chosen = [pid for pid in sorted(world.path) if world.drafts_of(pid) and rng.random() < 0.34]
    for pid in chosen:
        world.edit(pid)
    exported = world.digest(
        "export", EVERY_DAY, "--format", "vault", "-o", str(world.root), settle=True
    )
    held = {
        line.split(None, 1)[1].rsplit(" (digest edit", 1)[0]
        for line in exported.stderr.splitlines()
        if line[:5] == "held "
    }
    missing = [
        pid
        for pid in chosen
        if norm(world.typed_en[pid]) not in norm(world.note(pid))
        and str(world.path[pid].relative_to(world.root)) not in held
    ]
    assert missing == [], (missing, len(chosen), exported.stderr[-3000:])
    world.digest("sync", str(world.root), settle=True)
    world.digest("export", EVERY_DAY, settle=True)


@pytest.mark.parametrize("seed", [4])
def test_both_sides_change_one_paper(world: World, seed: int) -> None:
    """Import; he changes a note's Korean in Obsidian and, for the same papers, the English with
    `digest edit`; then sync and export to the vault: neither text is silently gone, and no
    note ends with the terminal's English beside the Korean it was not written for."""
    world.digest("import", "--vault", str(world.root), settle=True)
    rng = random.Random(seed)
    chosen = [pid for pid in sorted(world.path) if world.drafts_of(pid) and rng.random() < 0.34]
    for pid in chosen:
        world.obsidian(pid, "korean")
        world.edit(pid)
    world.digest("sync", str(world.root), settle=True)
    world.digest("export", EVERY_DAY, "--format", "vault", "-o", str(world.root), settle=True)
    world.digest("import", "--vault", str(world.root), settle=True)


@pytest.mark.parametrize("seed", [5])
def test_sync_then_obsidian_then_import_and_sync(world: World, seed: int) -> None:
    """Sync; he reworks notes in Obsidian (Korean, English, tags, renames, moves, CRLF); import
    takes his edits; sync and export then change nothing he did."""
    world.digest("sync", str(world.root), settle=True)
    world.obsidian_day(seed, EDITS)
    world.digest("import", "--vault", str(world.root), settle=True)
    world.digest("sync", str(world.root), settle=True)
    world.digest("export", EVERY_DAY, "--format", "vault", "-o", str(world.root), settle=True)


@pytest.mark.parametrize("seed", [6])
def test_terminal_drafts_of_his_papers_then_sync_and_export(world: World, seed: int) -> None:
    """Import; he drafts a new Korean for some papers in the terminal (`digest draft ID
    --comment`, today); sync and export to the vault write it into the notes, with the English
    made for it; a note whose English is his (kept, of the Korean before) is held, named, until
    he makes it anew or keeps it: never the new Korean beside the old English."""
    world.digest("import", "--vault", str(world.root), settle=True)
    rng = random.Random(seed)
    chosen = [pid for pid in sorted(world.path) if world.drafts_of(pid) and rng.random() < 0.2]
    for pid in chosen:
        world.draft(pid)
    world.digest("sync", str(world.root), settle=True)
    world.digest("export", EVERY_DAY, "--format", "vault", "-o", str(world.root), settle=True)
    assert chosen
    for pid in chosen:
        (latest,) = world.drafts_of(pid)[-1:]
        if norm(world.typed_ko[pid]) in norm(world.note(pid)):
            continue
        # held, named: its English is his of the Korean before, or made anew and failing a check
        assert latest["status"] == "needs-review", (pid, world.log)
        kept = any(f["check"] == "pair" for f in latest["checks"])
        assert kept or latest["comment_en"] == latest["machine_en"], (pid, latest["checks"])
        assert norm(latest["comment_ko"]) == norm(world.typed_ko[pid])  # his Korean, kept


@pytest.mark.parametrize("edit", EDITS)
def test_one_obsidian_edit_on_every_note_then_sync_import_export(world: World, edit: str) -> None:
    """The same edit on every note, after a first sync: sync, import, export each settle and
    leave every byte he wrote."""
    world.digest("sync", str(world.root), settle=True)
    for pid in sorted(world.path):
        world.obsidian(pid, edit)
    world.check(after_obsidian=True)
    world.digest("sync", str(world.root), settle=True)
    world.digest("import", "--vault", str(world.root), settle=True)
    world.digest("export", EVERY_DAY, "--format", "vault", "-o", str(world.root), settle=True)


def _held_or_left(result: Result) -> set[str]:
    """The notes an export named as held or left (their paths in the vault)."""
    named = set()
    for line in result.stderr.splitlines():
        if line[:5] in ("held ", "left "):
            named.add(re.sub(r" \((digest|edited|the ).*$", "", line.split(None, 1)[1]))
    return named


@pytest.mark.parametrize("seed", [7])
def test_terminal_edits_then_he_renames_moves_or_resaves_the_note(world: World, seed: int) -> None:
    """Import, `digest edit` some papers, then in Obsidian he renames the note, files it into
    a year folder or saves it with CRLF (no comment change); the export finds each note where
    it is now and writes the English there, one note per paper, in the note's line ends."""
    world.digest("import", "--vault", str(world.root), settle=True)
    rng = random.Random(seed)
    chosen = [pid for pid in sorted(world.path) if world.drafts_of(pid) and rng.random() < 0.5]
    for pid in chosen:
        world.edit(pid)
        world.obsidian(pid, rng.choice(("rename", "move", "crlf")))
    world.check(after_obsidian=True)
    exported = world.digest(
        "export", EVERY_DAY, "--format", "vault", "-o", str(world.root), settle=True
    )
    named = _held_or_left(exported)
    missing = [
        str(world.path[pid].relative_to(world.root))
        for pid in chosen
        if norm(world.typed_en[pid]) not in norm(world.note(pid))
        and str(world.path[pid].relative_to(world.root)) not in named
    ]
    assert missing == [], (missing, len(chosen), exported.stderr[-3000:])
    world.digest("sync", str(world.root), settle=True)
    world.digest("import", "--vault", str(world.root), settle=True)


@pytest.mark.parametrize("seed", [8])
def test_english_changed_in_the_terminal_and_in_obsidian(world: World, seed: int) -> None:
    """Import; the same papers' English changed with `digest edit` and in Obsidian: the export
    leaves those notes (his save wins, exit 1), the import names them, and neither English is
    lost; sync and export then settle."""
    world.digest("import", "--vault", str(world.root), settle=True)
    rng = random.Random(seed)
    chosen = [
        pid
        for pid in sorted(world.path)
        if read_note(world.note(pid)).content.comment_en and rng.random() < 0.4
    ]
    obsidian_en = {}
    for pid in chosen:
        world.edit(pid)
        world.obsidian(pid, "english")
        obsidian_en[pid] = world.typed_en[pid]
    exported = world.digest(
        "export", EVERY_DAY, "--format", "vault", "-o", str(world.root), settle=True
    )
    assert exported.code == 1
    kept = [pid for pid in chosen if norm(obsidian_en[pid]) in norm(world.note(pid))]
    assert kept == chosen, (sorted(set(chosen) - set(kept)), exported.stderr[-2000:])
    world.digest("import", "--vault", str(world.root), settle=True)
    world.digest("sync", str(world.root), settle=True)


def test_terminal_drafts_of_his_notes_without_a_comment(world: World) -> None:
    """His notes with no Korean yet (a paper read, not written up): he drafts each in the
    terminal; sync and export write the comment into that note, never a second note."""
    empty = [pid for pid in sorted(world.path) if not read_note(world.note(pid)).content.comment_ko]
    assert len(empty) >= 9
    for pid in empty:
        world.draft(pid)
    world.digest("sync", str(world.root), settle=True)
    world.digest("export", EVERY_DAY, "--format", "vault", "-o", str(world.root), settle=True)
    missing = [pid for pid in empty if norm(world.typed_ko[pid]) not in norm(world.note(pid))]
    assert missing == [], missing


# -- single cases, each on one of his notes -------------------------------------------------------
EAGLE = "2401.15077"  # arXiv/2024/240126 EAGLE.md: his Korean and English
STEPCODER = "2402.01391"  # arXiv/2024/240202 StepCoder.md: his Korean and English
SCOPE_HEAD = "2005.04854"  # arXiv/2020/200511 Scope Head ….md: no comment, a `| id` line


def test_korean_changed_in_obsidian_and_english_in_the_terminal_are_not_paired(
    world: World,
) -> None:
    """He adds a sentence to EAGLE's Korean in Obsidian; in the terminal he rewrites the English
    of the Korean the draft has (`digest edit`). Sync must not publish that English beside the
    Korean it was not written for as `ready` without a word (merge.take_note takes each field
    from the side that changed it)."""
    world.digest("import", "--vault", str(world.root))
    world.obsidian(EAGLE, "korean")
    world.edit(EAGLE)
    synced = run("sync", str(world.root))
    content = read_note(world.note(EAGLE)).content
    (latest,) = world.drafts_of(EAGLE)
    paired = norm(content.comment_ko) == norm(world.typed_ko[EAGLE]) and norm(
        content.comment_en
    ) == norm(world.typed_en[EAGLE])
    named = EAGLE in synced.stderr and "Note:" in synced.stderr
    assert not (paired and latest["status"] == "ready" and not named), synced.stderr[-800:]


def test_a_new_korean_drafted_for_his_note_does_not_keep_the_old_english_as_ready(
    world: World,
) -> None:
    """`digest draft ID --comment NEW` on a paper imported from his vault: his imported English
    counts as hand-edited, so it is kept beside the new Korean and the draft stays `ready`;
    sync then writes the new Korean into the note beside the English of the old one."""
    world.digest("import", "--vault", str(world.root))
    world.draft(STEPCODER)
    (latest,) = world.drafts_of(STEPCODER)
    stale = (
        norm(latest["comment_en"]) == norm(latest["machine_en"] or "")
        or latest["status"] != "ready"
    )
    assert stale, (latest["status"], latest["comment_en"][-60:], latest["machine_en"][-60:])
    world.digest("sync", str(world.root))  # and invariant 4 on the note


def test_a_terminal_draft_reaches_his_comment_less_note_that_holds_a_line_of_his(
    world: World,
) -> None:
    """His note of Scope Head has no comment, only a `| 2005.04854` line of his. He drafts the
    paper in the terminal: the export calls the note `left: edited in the vault since` (digest
    never read it; the import it suggests skips a note without Korean), so the comment can
    never reach it without --force."""
    world.draft(SCOPE_HEAD)
    exported = run("export", TODAY, "--format", "vault", "-o", str(world.root))
    assert "edited in the vault since" not in exported.stderr, exported.stderr
    assert norm(world.typed_ko[SCOPE_HEAD]) in norm(world.note(SCOPE_HEAD))
