"""The draft workflow: fetch -> comment -> translate -> check -> store, for one paper or a day.

Each stage lives in its own module; this one only sequences them and decides what is already
done, so that running the same draft again asks no service anything.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from pipeline.arxiv import ArxivClient, FetchResult, Paper, PaperId, parse_id
from pipeline.check import problems_for_repair, run_checks
from pipeline.config import Settings
from pipeline.entry import AWAITING, NEEDS_REVIEW, READY, Entry, Finding
from pipeline.errors import DigestError, ExitCode, InputError, ServiceError
from pipeline.examples import Example, ExampleIndex, cached_index
from pipeline.glossary import Glossary
from pipeline.store import Store, file_safe
from pipeline.translate import Translation, Translator, build_messages

UNCHANGED = "unchanged"
FAILED = "failed"


@dataclass
class Outcome:
    paper_id: str
    entry: Entry | None = None
    state: str = READY  # ready / needs-review / unchanged / failed / awaiting-translation
    error: DigestError | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return int(self.error.exit_code)
        if self.entry is not None and self.entry.errors:
            return int(ExitCode.CHECK_FAILED)
        return int(ExitCode.OK)


def worst_exit(outcomes: list[Outcome]) -> int:
    return max((o.exit_code for o in outcomes), default=0)


def apply_paper(entry: Entry, paper: Paper) -> bool:
    """Take arXiv's current metadata into the draft; True if anything changed."""
    fresh = {
        "title": paper.title,
        "authors": list(paper.authors),
        "abstract": paper.abstract,
        "version": paper.version,
        "url": paper.url or entry.url,
        "published": paper.published,
        "updated": paper.updated,
        "primary_category": paper.primary_category,
        "arxiv_comment": paper.comment,
    }
    changed = False
    for name, value in fresh.items():
        if getattr(entry, name) != value:
            setattr(entry, name, value)
            changed = True
    return changed


def history_examples(entries: list[Entry], exclude: frozenset[str] = frozenset()) -> list[Example]:
    """The author's published Korean -> English pairs, from every draft and import."""
    return [
        Example(entry.id, entry.comment_ko, entry.comment_en, tuple(entry.tags))
        for entry in entries
        if entry.id not in exclude
        and entry.comment_ko.strip()
        and entry.comment_en.strip()
        and entry.status != AWAITING
    ]


class Drafter:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        glossary: Glossary,
        *,
        arxiv: ArxivClient | None = None,
        translator: Translator | None = None,
        log: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.glossary = glossary
        self.log = log
        self._arxiv = arxiv
        self._translator = translator
        self._index: ExampleIndex | None = None
        self._index_lock = threading.Lock()
        self._history: list[Entry] | None = None

    # services are built on first use: a re-run that needs none needs no key either
    @property
    def arxiv(self) -> ArxivClient:
        if self._arxiv is None:
            self._arxiv = ArxivClient(self.settings, log=self.log)
        return self._arxiv

    @property
    def translator(self) -> Translator:
        if self._translator is None:
            self._translator = Translator(self.settings, log=self.log)
        return self._translator

    def history(self) -> list[Entry]:
        """Every draft, read at most once per run (both history indexes are built from it)."""
        if self._history is None:
            self._history = self.store.all_entries()
        return self._history

    def examples_index(self, drafting: frozenset[str] = frozenset()) -> ExampleIndex:
        """The history index, built once per run and cached on disk between runs.

        The entries being drafted now are left out of it: they change on every run and would
        otherwise invalidate the cache, and an entry is never its own example anyway.
        """
        with self._index_lock:
            if self._index is None:
                names = {file_safe(i) for i in drafting}
                sources = [p for p in self.store.files() if p.stem not in names]
                self._index = cached_index(
                    sources,
                    self.settings.cache_dir,
                    lambda: history_examples(self.history(), drafting),
                )
            return self._index

    def papers_index(self) -> ExampleIndex:
        """Past entries by their paper's title and abstract, to suggest tags for a new paper."""
        return cached_index(
            self.store.files(),
            self.settings.cache_dir,
            lambda: [
                Example(e.id, f"{e.title} {e.abstract}", "", tuple(e.tags))
                for e in self.history()
                if e.tags
            ],
            kind="papers",
        )

    def tag_vocabulary(self, drafting: frozenset[str] = frozenset()) -> Counter[str]:
        return Counter(
            tag for example in self.examples_index(drafting).examples for tag in example.tags
        )

    # -- stages ---------------------------------------------------------------------------------
    def fetch(self, ids: list[PaperId], refresh: bool = False) -> FetchResult:
        return self.arxiv.fetch(ids, refresh=refresh)

    def save_comment(
        self,
        paper_id: PaperId,
        date: str,
        comment: str,
        tags: list[str] | None,
        paper: Paper | None = None,
        existing: Entry | None = None,
    ) -> Entry:
        """Put the comment on disk before any model call; a changed comment awaits translation.

        Without `paper` (arXiv did not answer) a new draft is saved with the comment only; the
        paper's metadata is filled in when it is fetched later.
        """
        entry = existing or Entry(
            id=paper_id.base,
            date=date,
            title="",
            authors=[],
            abstract="",
            comment_ko=comment,
            tags=tags or [],
            url=f"https://arxiv.org/abs/{paper_id.base}",
        )
        changed = existing is None
        if comment.strip() != entry.comment_ko.strip():
            entry.comment_ko = comment
            entry.status = AWAITING
            changed = True
        if tags is not None and tags != entry.tags:
            entry.tags = tags
            changed = True
        if paper is not None:  # new, fetched again (--refresh), or fetched at last
            changed |= apply_paper(entry, paper)
        if changed:
            self.store.save(entry)  # untouched drafts are not rewritten
        return entry

    def _attempt(
        self, entry: Entry, repair: tuple[str, list[str]] | None
    ) -> tuple[Translation, list[Finding]]:
        matches = self.glossary.find(entry.comment_ko)
        nearest = self.examples_index(frozenset([entry.id])).nearest(
            entry.comment_ko, k=3, exclude=entry.id
        )
        messages = build_messages(entry.comment_ko, matches, [e for _, e in nearest], repair)
        translation = self.translator.translate(entry.comment_ko, messages)
        return translation, run_checks(entry.comment_ko, translation.text, self.glossary)

    def translate(self, entry: Entry, force: bool = False) -> Outcome:
        """Translate, check, repair once more if needed, and save; the best attempt is kept."""
        outcome = Outcome(entry.id, entry)
        best, findings = self._attempt(entry, None)
        attempts = [(best, findings)]
        while any(f.is_error for f in findings) and len(attempts) <= self.settings.repairs:
            self.log(
                f"{entry.id}: asking the model again ({'; '.join(problems_for_repair(findings))})"
            )
            candidate, candidate_findings = self._attempt(
                entry, (best.text, problems_for_repair(findings))
            )
            attempts.append((candidate, candidate_findings))
            if sum(f.is_error for f in candidate_findings) < sum(f.is_error for f in findings):
                best, findings = candidate, candidate_findings
        if entry.machine_en and entry.machine_en != best.text:
            entry.history.append(
                {"machine_en": entry.machine_en, "model": entry.model, "glossary": entry.glossary}
            )
        keep_hand_edit = entry.hand_edited and not force
        entry.machine_en = best.text
        if keep_hand_edit:
            outcome.notes.append(
                f"{entry.id}: comment_en was edited by hand, so it was kept; the new machine English "
                "is in machine_en (use --force to replace comment_en with it)"
            )
        else:
            entry.comment_en = best.text
        entry.model = best.model
        entry.glossary = self.glossary.fingerprint
        entry.cleanup = best.removed
        entry.repairs = len(attempts) - 1
        entry.attempts = (
            [
                {"english": t.text, "errors": [str(f) for f in found if f.is_error]}
                for t, found in attempts
            ]
            if len(attempts) > 1
            else []
        )
        self.recheck(entry)
        self.store.save(entry)
        outcome.state = entry.status
        return outcome

    def publish_edit(self, entry: Entry, english: str, tags: list[str] | None) -> bool:
        """The author's English becomes comment_en, checked and saved. False if unchanged."""
        changed = english != entry.comment_en or (tags is not None and tags != entry.tags)
        entry.comment_en = english
        if tags is not None:
            entry.tags = tags
        before = (entry.checks, entry.status)
        self.recheck(entry)  # local and pure: nothing between the edit and the save can fail
        if changed or (entry.checks, entry.status) != before:
            self.store.save(entry)
        return changed

    def recheck(self, entry: Entry) -> list[Finding]:
        """Check the published English as it is now and set the status from the result."""
        checks = run_checks(entry.comment_ko, entry.comment_en, self.glossary)
        if not entry.title:
            checks.append(
                Finding(
                    "paper",
                    "error",
                    "the paper's title and abstract are not fetched yet: run "
                    f"`digest draft {entry.id} --date {entry.date}` when arXiv answers",
                )
            )
        entry.checks = checks
        if not entry.comment_en.strip() and not entry.machine_en:
            entry.status = AWAITING
        else:
            entry.status = NEEDS_REVIEW if any(f.is_error for f in checks) else READY
        return entry.checks

    def fetch_missing_metadata(self, entries: list[Entry]) -> dict[str, InputError]:
        """Drafts saved while arXiv was down get their paper's metadata, in one request.

        Returns the papers arXiv does not know; a failing arXiv raises ServiceError.
        """
        lacking = [e for e in entries if not e.title]
        if not lacking:
            return {}
        ids = [parse_id(e.id) for e in lacking]
        result = self.fetch(ids)
        problems: dict[str, InputError] = {}
        for entry, paper_id in zip(lacking, ids, strict=True):
            if paper_id.query in result.problems:
                problems[entry.id] = result.problems[paper_id.query]
            elif apply_paper(entry, result.papers[paper_id.query]):
                self.store.save(entry)
        return problems

    def finish(self, entry: Entry, force: bool = False, again: bool = False) -> Outcome:
        """Translate what awaits translation (everything, when `again`); leave the rest as it is."""
        if entry.status == AWAITING or again:
            try:
                return self.translate(entry, force)
            except ServiceError as exc:
                resume = f"{exc}; your comment is saved: run `digest translate {entry.id}` later"
                return Outcome(entry.id, entry, FAILED, ServiceError(resume))
            except DigestError as exc:
                return Outcome(entry.id, entry, FAILED, exc)
        return Outcome(entry.id, entry, UNCHANGED)

    def finish_many(
        self,
        entries: list[Entry],
        jobs: int,
        on_done: Callable[[Outcome], None] = lambda outcome: None,
        force: bool = False,
        again: bool = False,
    ) -> list[Outcome]:
        """Translate several entries with at most `jobs` model requests in flight."""
        results: dict[str, Outcome] = {}
        self.examples_index(frozenset(e.id for e in entries))  # once, before the workers share it
        pool = ThreadPoolExecutor(max_workers=max(1, jobs))
        try:
            futures = {pool.submit(self.finish, entry, force, again): entry.id for entry in entries}
            for future in as_completed(futures):
                outcome = future.result()
                results[futures[future]] = outcome
                on_done(outcome)
        except BaseException:
            # Ctrl-C: drop what has not started; every draft on disk is already whole
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        return [results[entry.id] for entry in entries]
