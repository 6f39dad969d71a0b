"""The use cases: draft one paper, draft a day, translate again, check, edit, export, import.

Each stage lives in its own module; this one sequences them, decides what is already done (so
that running the same draft again asks no service anything), and commits every change to a draft
as a read-modify-write under the store's lock (so that two commands meeting on one draft lose
nothing). It knows nothing of click or terminals: it takes values and callbacks, and returns
results; `log` receives progress and diagnostics.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.arxiv import PAGE_SOURCE, ArxivClient, Paper
from pipeline.check import AcronymUsage
from pipeline.comment import (
    RECOVERY_FOLDER,
    NoteBlock,
    is_recovery_file,
    parse_notes,
    save_recovery,
)
from pipeline.concurrency import MAX_IN_FLIGHT, run_parallel
from pipeline.config import DIGEST_ARXIV_API_URL, OPENAI_BASE_URL, Settings, require_url
from pipeline.entry import AWAITING, Entry, Finding
from pipeline.errors import (
    CheckFailed,
    DigestError,
    EnvironmentFailure,
    InputError,
    ServiceError,
)
from pipeline.glossary import Glossary, load_glossary
from pipeline.history import History
from pipeline.merge import (
    MadeEnglish,
    paper_entry,
    record_note,
    take_check,
    take_comment,
    take_hand_edit,
    take_paper,
    take_translation,
)
from pipeline.results import (
    DraftResult,
    EditResult,
    Exported,
    Outcome,
    RunResult,
    Selected,
    filled_note,
    fix_command,
    is_filled,
)
from pipeline.store import Day, Store
from pipeline.text import DateSpan, PaperId, parse_id, today
from pipeline.translate import PaperContext, Translator, preload_client
from pipeline.translation import Translated, judge_english, recheck, translate_checked
from pipeline.usage import Usage

if TYPE_CHECKING:
    from pipeline.importer import ImportSummary
    from pipeline.review import PeriodReview, Review
    from pipeline.vault import NoteResult

Log = Callable[[str], None]


EditorCallback = Callable[[Entry], tuple[str, list[str] | None]]


class Workflow:
    def __init__(
        self,
        settings: Settings,
        *,
        store: Store | None = None,
        glossary: Glossary | None = None,
        arxiv: ArxivClient | None = None,
        translator: Translator | None = None,
        log: Log = lambda message: None,
    ) -> None:
        self.settings = settings
        self.judge = settings.judge
        self.store = store or Store(settings.drafts_dir)
        self.log = log
        self._glossary = glossary
        self._arxiv = arxiv
        self._translator = translator
        # the command that finishes what an interrupted run leaves (None: the same command)
        self.resume: str | None = None
        # what every draft says, searchable: the author's pairs, tags, what awaits translation
        self.history = History(self.store, settings.history_file)
        self.store.on_write = self.history.record  # kept as drafts are written, never rebuilt
        # how the author writes acronyms, read from the history when a check first asks
        self.acronym_usage = AcronymUsage(load=self._acronym_counts)

    # services and data are made on first use: a re-run that needs none needs no key either
    @property
    def glossary(self) -> Glossary:
        if self._glossary is None:
            self._glossary = load_glossary(
                self.settings.glossary_path, self.settings.glossary_named
            )
            if not self._glossary.terms and not self._glossary.keep:
                self.log(
                    f"Warning: no glossary at {self.settings.glossary_path}: terms are not enforced"
                )
        return self._glossary

    @property
    def arxiv(self) -> ArxivClient:
        if self._arxiv is None:
            require_url(DIGEST_ARXIV_API_URL, self.settings.arxiv_api_url)
            self._arxiv = ArxivClient(self.settings, log=self.log)
        return self._arxiv

    @property
    def translator(self) -> Translator:
        if self._translator is None:
            require_url(OPENAI_BASE_URL, self.settings.base_url)
            self._translator = Translator(self.settings, log=self.log)
        return self._translator

    def suggested_tags(self, entry: Entry) -> list[str]:
        """Tags of the past papers most like this one, for the editor's template."""
        from pipeline.examples import suggest_tags

        return suggest_tags(self.history.similar_papers(f"{entry.title} {entry.abstract}"))

    def announce_new_store(self) -> None:
        """The first draft written here starts a drafts folder: say where, so that drafting from
        another folder never silently starts a second store."""
        if not self.store.root.exists():
            self.log(f"Starting a new drafts folder: {self.store.root.absolute()}")

    def tag_warnings(self, tags: list[str] | None, exclude: str) -> None:
        if tags:
            from pipeline.tags import new_tag_warnings

            for warning in new_tag_warnings(tags, self.history.tag_counts(exclude)):
                self.log(f"Warning: {warning}")

    # -- finding drafts -----------------------------------------------------------------------
    def entry_id(self, text: str) -> str:
        """The draft an id names: any arXiv spelling, or an id digest printed (a title id)."""
        try:
            return parse_id(text).base
        except InputError:
            name = text.strip()
            try:
                known = bool(self.store.dates_of(name))
            except InputError:
                known = False
            if known:
                return name
            raise

    def find(self, text: str, date: str | None = None) -> Entry:
        return self.store.find(self.entry_id(text), date)

    def select(
        self,
        ids: Sequence[str] = (),
        date: str | None = None,
        *,
        pending: bool = False,
        command: str,
    ) -> Selected:
        """Drafts by ids (on `date`, else each one's latest day), every draft awaiting translation
        (of `date`, if given), or every draft of `date`. `command` names how to ask for a day
        ("digest check --date {date}") in the error for a day without drafts."""
        if ids:
            return Selected([self.find(text, date) for text in ids])
        if pending:
            selected = Selected([])
            for path in self.history.awaiting(date):
                try:
                    selected.entries.append(self.store.load(path))  # as it is now, whole
                except InputError as exc:
                    selected.problems.append(exc)
            return selected
        if date is None:
            raise InputError(f"give ids or a date (see: {command.split(' ')[1]} --help)")
        day = self.store.day(date)
        if not day.entries and not day.problems:
            raise self.store.no_drafts(date, command)
        return Selected(day.entries, day.problems)

    # -- committing changes -------------------------------------------------------------------
    def check_entry(self, entry: Entry) -> list[Finding]:
        """The checks of a draft as it is now, with his usage of acronyms (the rules' `check`)."""
        return recheck(entry, self.glossary, self.acronym_usage)

    def _save_comment(
        self,
        paper_id: PaperId,
        date: str,
        comment: str,
        tags: list[str] | None,
        paper: Paper | None = None,
    ) -> Entry:
        """Put the comment on disk before any model call (merge.take_comment)."""
        made, saved = self.store.apply(
            date,
            paper_id.base,
            lambda current: take_comment(current, paper_id, date, comment, tags, paper),
        )
        for note in made.notes:
            self.log(note)
        assert saved is not None
        return saved

    def _apply_paper(self, entry: Entry, paper: Paper) -> Entry:
        """The paper into the draft (merge.take_paper)."""
        _, saved = self.store.apply(
            entry.date, entry.id, lambda current: take_paper(current, paper, self.check_entry)
        )
        return saved or entry

    def _commit_translation(self, base: Entry, made: Translated, force: bool) -> Outcome:
        """A translation into the draft as it is now (merge.take_translation)."""
        english = MadeEnglish(
            made.english,
            made.model,
            self.glossary.fingerprint,
            made.cleanup,
            made.repairs,
            made.attempts,
            made.usage,
            made.judged,
            made.judge_read,
        )
        merged, saved = self.store.apply(
            base.date,
            base.id,
            lambda current: take_translation(current, base, english, force, self.check_entry),
        )
        result = (
            RunResult.CHANGED_MEANWHILE
            if merged.outcome == "changed meanwhile"
            else RunResult.TRANSLATED
        )
        return Outcome(base.id, saved if saved is not None else base, result, notes=merged.notes)

    # -- translating ----------------------------------------------------------------------------
    def translate(
        self, entry: Entry, force: bool = False, batch: frozenset[str] = frozenset()
    ) -> Outcome:
        """Translate one draft's comment, check it, and commit it to the draft.

        The author's earlier pairs guide the model; the drafts of the same run (`batch`) are
        left out, so that a run repeated with nothing changed sends the same requests (and is
        answered from the cache)."""
        try:
            nearest = self.history.nearest(entry.comment_ko, k=3, exclude=batch | {entry.id})
        except EnvironmentFailure as exc:  # the history is a cache: translate without examples
            self.log(f"Warning: {exc}; translating without your earlier pairs as examples")
            nearest = []
        made = translate_checked(
            entry.comment_ko,
            self.glossary,
            self.translator,
            [example for _, example in nearest],
            self.settings.repairs,
            self.log,
            entry.id,
            PaperContext(entry.title, entry.abstract) if entry.title else None,
            self.judge,
            self.acronym_usage,
        )
        return self._commit_translation(entry, made, force)

    def finish(
        self,
        entry: Entry,
        force: bool = False,
        again: bool = False,
        batch: frozenset[str] = frozenset(),
    ) -> Outcome:
        """Translate what awaits translation (everything, when `again`); leave the rest as it is."""
        if entry.status != AWAITING and not again:
            return Outcome(entry.id, entry, RunResult.UNCHANGED)
        try:
            return self.translate(entry, force, batch)
        except ServiceError as exc:
            resume = f"{exc}; your comment is saved: run `digest translate {entry.id}` later"
            return Outcome(entry.id, entry, RunResult.FAILED, ServiceError(resume))
        except DigestError as exc:
            return Outcome(entry.id, entry, RunResult.FAILED, exc)

    def finish_many(
        self,
        entries: list[Entry],
        jobs: int | None,
        on_done: Callable[[int, Outcome], None] = lambda index, outcome: None,
        force: bool = False,
        again: bool = False,
    ) -> list[Outcome]:
        """Translate several entries with at most `jobs` model requests in flight (None: as many
        as the server sustains); `on_done` gets each outcome with its index in `entries` as soon
        as it is known."""
        if not entries:
            return []
        self.glossary  # noqa: B018  # loaded once, before the workers share it (or fail early)
        self.history.sync()  # brought up to date once, before the workers share it
        batch = frozenset(e.id for e in entries)
        self.translator.use_jobs(jobs)
        workers = min(jobs or MAX_IN_FLIGHT, MAX_IN_FLIGHT)
        try:
            return run_parallel(
                entries, lambda entry: self.finish(entry, force, again, batch), workers, on_done
            )
        finally:
            self.translator.remember_limit()

    def fetch_missing(self, entries: list[Entry]) -> tuple[list[Entry], dict[str, InputError]]:
        """Drafts saved before their paper was fetched get its metadata, in one request (and
        those holding a landing page's record, the API's, when it answers).

        Returns the entries as they are now and the papers arXiv does not know. Those arXiv did
        not give (neither its API nor the landing page answered) still wait for their paper;
        they are translated all the same."""
        lacking = [e for e in entries if e.awaiting_paper or e.source == PAGE_SOURCE]
        if not lacking:
            return entries, {}
        preload_client()  # loaded while arXiv is asked
        result = self.arxiv.fetch([parse_id(e.id) for e in lacking])
        problems: dict[str, InputError] = {}
        fresh: dict[tuple[str, str], Entry] = {}
        for entry in lacking:
            query = parse_id(entry.id).query
            if query in result.papers:
                fresh[entry.date, entry.id] = self._apply_paper(entry, result.papers[query])
            elif query in result.problems and entry.awaiting_paper:
                problems[entry.id] = result.problems[query]
        return [fresh.get((e.date, e.id), e) for e in entries], problems

    # -- use cases ------------------------------------------------------------------------------
    def draft(
        self,
        paper_text: str,
        comment: str | None,
        tags: list[str] | None,
        date: str | None,
        *,
        force: bool = False,
        refresh: bool = False,
        write_comment: EditorCallback | None = None,
        comment_file: Path | None = None,
    ) -> DraftResult:
        """One paper: comment on disk -> fetch -> (editor) -> translate -> check -> draft.

        `comment` is what the author gave (None: none; "" an empty one). Whatever he gave is on
        disk before the first request to any service. `write_comment` opens the editor on a
        draft holding the paper (and any saved comment) when no comment was given."""
        paper_id = parse_id(paper_text)
        self.glossary  # noqa: B018  # a broken or missing glossary fails before anything is saved
        date = self._draft_date(paper_id, date)
        existing = self.store.get(date, paper_id.base)
        if comment is not None and not comment:
            if existing is None:
                raise InputError("the comment is empty; nothing was saved")
            comment = existing.comment_ko  # nothing new given: finish the saved draft
        if comment is None and existing is not None and not existing.title:
            comment = existing.comment_ko  # saved before arXiv answered: no need to type it again

        entry = existing
        # a new draft of a paper not fetched yet is removed again if arXiv has no such paper:
        # it is announced as saved once the paper is known
        unconfirmed = comment is not None and existing is None
        if comment is not None:
            entry = self._keep_comment(
                paper_id, date, comment, tags, existing is None, announce=not unconfirmed
            )
            self.resume = self.finish_command(entry)
        if comment is None or entry is None or entry.status == AWAITING:
            # a translation is likely: load the client while arXiv or the editor is waited for
            # (a comment unchanged needs none: nothing that makes no request loads it)
            preload_client()
        paper = None
        unfetched: ServiceError | None = None  # why arXiv gave no paper (the comment is saved)
        if entry is None or refresh or not entry.title or entry.source == PAGE_SOURCE:
            try:
                paper = self._fetch(paper_id, date, entry, refresh, created=existing is None)
            except ServiceError as exc:
                if entry is None:
                    raise  # the editor has not opened yet: nothing was typed
                if entry.title:
                    self.log(f"Warning: {exc}; the draft keeps the paper it has")
                else:  # the paper is context, not a requirement: translate all the same
                    unfetched = exc
            if paper is not None and entry is not None:
                entry = self._apply_paper(entry, paper)
        if unconfirmed and entry is not None:
            self.log(f"Saved the comment in {self.store.path(date, entry.id)}")
        if comment is None:
            if write_comment is None:
                raise InputError("no comment given (use --comment, --comment-file or stdin)")
            shown = entry or paper_entry(paper_id, date, paper)
            comment, editor_tags = write_comment(shown)
            tags = tags if tags is not None else editor_tags
            entry = self._keep_comment(paper_id, date, comment, tags, entry is None, paper)
        assert entry is not None
        self.tag_warnings(tags, paper_id.base)
        if comment_file is not None and is_recovery_file(comment_file, self.recovery_dir):
            comment_file.unlink(missing_ok=True)  # its text is in the draft now
        path = self.store.path(date, entry.id)
        if entry.status == AWAITING:
            self.log(f"Translating with {self.settings.model} ...")
        self.resume = self.finish_command(entry)
        outcome = self.finish(entry, force)
        current = outcome.entry or entry
        if unfetched is not None and current.awaiting_paper:
            raise self._waits_for_paper(current, unfetched, outcome)
        if outcome.error is not None:
            raise outcome.error
        if existing is not None and existing.awaiting_paper and is_filled(current, outcome):
            outcome.notes.append(filled_note(current))
        return DraftResult(current, outcome, path)

    def _waits_for_paper(self, entry: Entry, why: ServiceError, outcome: Outcome) -> ServiceError:
        """The error of a draft saved (and translated, if the model answered) without its paper:
        why, where it is, and the command that fills the paper in."""
        saved = "and its English are" if entry.comment_en.strip() else "is"
        message = (
            f"{why}; your comment {saved} saved in {self.store.path(entry.date, entry.id)}, "
            f"which waits for its paper: run `{fix_command(entry)}` when arXiv answers"
        )
        if outcome.error is not None:
            message += f". The translation failed too: {outcome.error}"
        return ServiceError(message)

    @staticmethod
    def finish_command(entry: Entry) -> str:
        """The command that finishes a draft whose comment is saved: fetch the paper (the saved
        comment is used), or translate it."""
        verb = "translate" if entry.title else "draft"
        return f"digest {verb} {entry.id} --date {entry.date}"

    def _draft_date(self, paper_id: PaperId, date: str | None) -> str:
        """The day asked for; without one, the day the paper is already drafted on, else today."""
        if date is not None:
            return date
        dates = self.store.dates_of(paper_id.base)
        if dates and dates[-1] != today():
            self.log(
                f"{paper_id.base} is already drafted on {dates[-1]}; using that draft "
                "(give --date to draft it on another day)"
            )
            return dates[-1]
        return today()

    def _keep_comment(
        self,
        paper_id: PaperId,
        date: str,
        comment: str,
        tags: list[str] | None,
        created: bool,
        paper: Paper | None = None,
        announce: bool = True,
    ) -> Entry:
        """Save the comment, or, if it cannot be saved, keep it in a recovery file and say where."""
        self.announce_new_store()
        try:
            entry = self._save_comment(paper_id, date, comment, tags, paper)
        except DigestError as exc:
            raise type(exc)(f"{exc}; {self._recover(comment, tags)}") from None
        if announce and (created or entry.status == AWAITING):
            self.log(f"Saved the comment in {self.store.path(date, entry.id)}")
        return entry

    @property
    def recovery_dir(self) -> Path:
        """Where text that could not go into a draft is kept: beside the drafts, his data."""
        return self.store.root.absolute() / RECOVERY_FOLDER

    def _recover(self, text: str, tags: list[str] | None, what: str = "comment") -> str:
        where = ""
        try:
            path = save_recovery(text, tags, what, self.recovery_dir)
        except OSError:  # the drafts' disk is full or read-only: the temp folder, said so
            try:
                path = save_recovery(text, tags, what)
                where = " (a temporary folder, emptied at reboot: move it)"
            except OSError:
                return f"your {what} could not be saved anywhere; here it is:\n" + text
        use = f"--comment-file {path}" if what == "comment" else f"digest edit ID < {path}"
        return f"your {what} is kept in {path}{where}: use it with {use}"

    def _fetch(
        self, paper_id: PaperId, date: str, entry: Entry | None, refresh: bool, created: bool
    ) -> Paper:
        """The paper from arXiv; a failure says where the comment already saved is kept."""
        try:
            return self.arxiv.fetch_one(paper_id, refresh=refresh)
        except InputError as exc:
            if entry is not None and created:
                # a mistyped id: no draft for a paper that does not exist, but the text is kept
                self.store.remove(date, entry.id)
                raise InputError(f"{exc}; {self._recover(entry.comment_ko, entry.tags)}") from None
            raise

    def draft_notes(
        self,
        blocks: list[NoteBlock],
        date: str,
        *,
        jobs: int | None,
        force: bool = False,
        refresh: bool = False,
        on_done: Callable[[int, Outcome], None] = lambda index, outcome: None,
    ) -> list[Outcome]:
        """A day from a notes file: every comment on disk, one arXiv request, then translations
        in parallel. Outcomes are in the order of the blocks."""
        self.announce_new_store()
        new = {b.paper_id.base for b in blocks if self.store.get(date, b.paper_id.base) is None}
        entries = [self._save_comment(b.paper_id, date, b.comment, b.tags or None) for b in blocks]
        if any(e.status == AWAITING for e in entries):
            preload_client()  # loaded while arXiv is asked
        # a landing page's record is asked again of the API (the cache answers while it rests)
        wanted = [
            b.paper_id
            for b, e in zip(blocks, entries, strict=True)
            if refresh or not e.title or e.source == PAGE_SOURCE
        ]
        unfilled = {i for i, e in enumerate(entries) if e.awaiting_paper and e.comment_en.strip()}
        failed: dict[int, Outcome] = {}
        if wanted:  # the arXiv client says how many it asks for (the cache answers the rest)
            # papers neither the API nor a landing page gave: translated all the same
            fetched = self.arxiv.fetch(wanted, refresh=refresh)
            for index, (block, entry) in enumerate(zip(blocks, entries, strict=True)):
                query = block.paper_id.query
                if query in fetched.problems:
                    problem = fetched.problems[query]
                    if entry.id in new:  # a mistyped id: no draft of a paper that does not exist
                        self.store.remove(date, entry.id)
                        problem = InputError(
                            f"{problem} (no draft kept; the comment is in the notes file)"
                        )
                    failed[index] = Outcome(entry.id, entry, RunResult.FAILED, problem)
                elif query in fetched.papers:
                    entries[index] = self._apply_paper(entry, fetched.papers[query])
        todo = [i for i in range(len(entries)) if i not in failed]
        for index, outcome in failed.items():
            on_done(index, outcome)

        def finished(k: int, outcome: Outcome) -> None:
            if (
                todo[k] in unfilled
                and outcome.entry is not None
                and is_filled(outcome.entry, outcome)
            ):
                outcome.notes.append(filled_note(outcome.entry))
            on_done(todo[k], outcome)

        done = self.finish_many([entries[i] for i in todo], jobs, finished, force)
        outcomes: dict[int, Outcome] = dict(failed)
        outcomes.update(zip(todo, done, strict=True))
        return [outcomes[i] for i in range(len(entries))]

    def read_notes(self, path: Path) -> list[NoteBlock]:
        """A notes file, every block checked (every bad one named) before any work starts."""
        from pipeline.comment import MAX_NOTES_CHARS, read_text_file

        return parse_notes(read_text_file(path, "notes file", limit=MAX_NOTES_CHARS), str(path))

    def translate_again(
        self,
        selected: Selected,
        *,
        jobs: int | None,
        force: bool = False,
        on_done: Callable[[int, Outcome], None] = lambda index, outcome: None,
    ) -> list[Outcome]:
        """Translate (again) drafts from their saved comments; a draft whose paper arXiv does
        not know is not translated (it fails, naming the id), one whose paper arXiv did not give
        is translated all the same and waits for its paper."""
        entries, unknown = self.fetch_missing(selected.entries)
        todo = [i for i, e in enumerate(entries) if e.id not in unknown]
        failed = {
            i: Outcome(e.id, e, RunResult.FAILED, unknown[e.id])
            for i, e in enumerate(entries)
            if e.id in unknown
        }
        for index, outcome in failed.items():
            on_done(index, outcome)
        done = self.finish_many(
            [entries[i] for i in todo], jobs, lambda k, o: on_done(todo[k], o), force, again=True
        )
        outcomes: dict[int, Outcome] = dict(failed)
        outcomes.update(zip(todo, done, strict=True))
        return [outcomes[i] for i in range(len(entries))]

    def check(self, entries: list[Entry], jobs: int | None = None) -> list[Entry]:
        """Run the checks on drafts as they are now (with `judge`, the model's review too, as
        many at once as the server sustains); the result is saved with each draft."""
        if not self.judge:
            return [self._recheck_and_save(entry) for entry in entries]
        self.glossary  # noqa: B018  # loaded once, before the workers share it
        self.translator.use_jobs(jobs)
        workers = min(jobs or MAX_IN_FLIGHT, MAX_IN_FLIGHT)
        try:
            return run_parallel(entries, self._recheck_and_save, workers)
        finally:
            self.translator.remember_limit()

    def _recheck_and_save(self, entry: Entry) -> Entry:
        before = (entry.checks, entry.status, entry.judge, entry.judged)
        unread: list[Finding] = []
        spent = Usage()
        if self.judge and entry.comment_en.strip() and entry.judged != entry.comment_en:
            paper = PaperContext(entry.title, entry.abstract) if entry.title else None
            judgement = judge_english(self.translator, entry.comment_ko, entry.comment_en, paper)
            spent = judgement.reply.usage if judgement.reply is not None else spent
            if judgement.read:
                entry.judge, entry.judged = judgement.findings, entry.comment_en
            else:  # shown, not recorded as a judgement: the next check --judge asks again
                unread = judgement.findings
        recheck(entry, self.glossary, self.acronym_usage)
        entry.checks += unread
        if not spent and (entry.checks, entry.status, entry.judge, entry.judged) == before:
            return entry
        model = self.translator.model
        self.store.apply(entry.date, entry.id, lambda now: take_check(now, entry, model, spent))
        return entry

    def edit(self, paper_text: str, date: str | None, write_english: EditorCallback) -> EditResult:
        """The author's English becomes comment_en, checked and saved with its result."""
        entry = self.find(paper_text, date)
        self.store.check_writable()  # before the author types anything
        english, tags = write_english(entry)
        if not english:
            raise InputError("the English is empty; nothing was saved")
        self.tag_warnings(tags, entry.id)
        try:
            made, saved = self.store.apply(
                entry.date,
                entry.id,
                lambda current: take_hand_edit(current, entry.id, english, tags, self.check_entry),
            )
            if saved is None:
                raise InputError(made.outcome)  # the draft was removed meanwhile
        except DigestError as exc:  # what he typed is kept, whatever went wrong
            raise type(exc)(f"{exc}; {self._recover(english, tags, 'English')}") from None
        changed = made.outcome == "saved"
        return EditResult(saved, changed, self.store.path(entry.date, entry.id))

    # -- reviews, tags, suggestions: what the history says -------------------------------------
    def review(self, entries: list[Entry], against: str, title: str) -> tuple[list[Review], str]:
        """Each entry's diff and edit rate, and the page that shows them."""
        from pipeline.review import render_html_page, review_entry

        reviews = [review_entry(e, against) for e in entries]
        return reviews, render_html_page(reviews, f"Review of {title}")

    def model_use(self, entries: list[Entry]) -> str | None:
        """What the entries' model requests used (recorded in each draft) and its estimated
        cost, in one line; None when none is recorded."""
        from pipeline.usage import by_model, load_prices, usage_line

        usage = by_model(e.usage for e in entries)
        return usage_line(usage, load_prices(self.settings.prices_file)) if usage else None

    def review_period(self, since: str) -> tuple[PeriodReview, str]:
        """The edit rate per day from `since` on, with his usual replacements, and its page."""
        from pipeline.review import period_review, render_period_html

        self.history.sync(every_file=True)  # a report on the history itself: every file
        entries = self.history.entries()
        if not entries:  # nothing anywhere: say where it looked
            raise self.store.no_drafts(since, "digest review --since {date}")
        period = period_review(entries, since)
        return period, render_period_html(period)

    def tag_counts(self) -> Counter[str]:
        self.history.sync(every_file=True)  # a report on the history itself: every file
        counts = self.history.tag_counts()
        if not counts:
            raise InputError(f"no tagged drafts in {self.store.root}")
        return counts

    def glossary_suggestions(self, min_notes: int) -> str:
        """Glossary lines mined from history, as YAML to paste (the glossary is not changed)."""
        from pipeline.review import hand_replacements
        from pipeline.suggest import mine_term_sets, suggestions_yaml

        self.history.sync(every_file=True)  # a report on the history itself: every file
        entries = self.history.entries()
        if not entries:
            raise InputError(
                f"no drafts in {self.store.root} to learn from; import your history first"
            )
        # each draft's stems and terms come from the history, taken apart once
        terms = mine_term_sets(self.history.term_sets(), self.glossary, min_notes)
        return suggestions_yaml(terms, hand_replacements(entries))

    # -- history --------------------------------------------------------------------------------
    def import_vault(
        self, folder: Path, since: str | None, progress: Callable[[int, int], None]
    ) -> ImportSummary:
        from pipeline.importer import import_vault

        fresh = not self.store.root.exists()
        summary = import_vault(
            folder, self.store, self._recheck, since, progress, self._seen_file(folder)
        )
        if fresh and self.store.root.exists():
            self.log(f"Started a new drafts folder: {self.store.root.absolute()}")
        return summary

    def _seen_file(self, folder: Path) -> Path:
        """What the last import of this vault into these drafts found (importer.Seen)."""
        from pipeline.vault import vault_root

        key = f"{self.store.root.resolve()}\n{vault_root(folder)}"
        name = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
        return self.settings.cache_dir / "imports" / f"{name}.json"

    def import_digest(self, path: Path) -> ImportSummary:
        from pipeline.comment import MAX_DOCUMENT_CHARS, read_text_file
        from pipeline.importer import import_digest

        text = read_text_file(path, "digest file", limit=MAX_DOCUMENT_CHARS)
        fresh = not self.store.root.exists()
        summary = import_digest(text, str(path), self.store, self._recheck)
        if fresh and self.store.root.exists():
            self.log(f"Started a new drafts folder: {self.store.root.absolute()}")
        return summary

    def _recheck(self, entry: Entry) -> list[Finding]:
        return recheck(entry, self.glossary, self.acronym_usage)

    def _acronym_counts(self) -> dict[str, tuple[int, int]]:
        try:
            return self.history.acronym_counts()
        except EnvironmentFailure as exc:  # the history is a cache: the shipped prior decides
            self.log(f"Warning: {exc}; acronyms are judged without your history")
            return {}

    # -- export ---------------------------------------------------------------------------------
    def days_for_export(self, dates: DateSpan, force: bool, per_note: bool = False) -> list[Day]:
        """The days of a date or range that have drafts, in order, refusing (unless `force`)
        while a draft cannot be read or an entry fails its checks. Only the days the drafts
        folder has are looked at: a range of ten thousand years costs what its drafts cost.
        `per_note` (the vault, where each note is written on its own) refuses neither: failing
        entries are held there."""
        first, last = dates
        held = [d for d in self.store.days() if first <= d <= last]  # YYYY-MM-DD sorts as dates
        days = [day for day in (self.store.day(d) for d in held) if day.entries or day.problems]
        if not days:
            raise self.store.no_drafts(str(dates), "digest export {date}")
        problems = [p for d in days for p in d.problems]
        for problem in problems:
            self.log(f"Warning: left out: {problem}" if force or per_note else f"Error: {problem}")
        if problems and not force and not per_note:
            raise InputError(
                f"{len(problems)} draft(s) cannot be read (above); fix them or use --force"
            )
        entries = [e for d in days for e in d.entries]
        if not entries:
            raise self.store.no_drafts(str(dates), "digest export {date}")
        if not per_note:
            failing = self.failing(entries)
            if failing and not force:
                hints = "; ".join(list(failing.values())[:3])
                unfetched = sum(e.awaiting_paper for e in entries if e.id in failing)
                raise CheckFailed(
                    f"{len(failing)} of {len(entries)} entries fail their checks"
                    + (f" ({unfetched} wait for their paper from arXiv)" if unfetched else "")
                    + f"; fix them ({hints}{'; ...' if len(failing) > 3 else ''}) "
                    "or export with --force"
                )
        return [d for d in days if d.entries]

    def failing(self, entries: list[Entry]) -> dict[str, str]:
        """The entries whose drafts fail their checks now, each with the command that fixes it;
        their findings are logged."""
        failing = {}
        for entry in entries:
            errors = [f for f in recheck(entry, self.glossary, self.acronym_usage) if f.is_error]
            if errors:
                failing[entry.id] = fix_command(entry)
                for finding in errors:
                    self.log(f"{entry.id}: {finding}")
        return failing

    def _with_its_note(self, entry: Entry) -> Entry:
        """A draft that knows no note of its paper takes what another draft of the paper (on
        another day) knows of it: the note digest wrote for the paper is the paper's note."""
        if entry.source_hash:
            return entry
        for date in reversed(self.store.dates_of(entry.id)):
            if date == entry.date:
                continue
            try:
                other = self.store.get(date, entry.id)
            except InputError:
                continue
            if other is not None and other.source_hash:
                entry.source_file, entry.source_hash = other.source_file, other.source_hash
                entry.note = other.note
                break
        return entry

    def _remember_notes(self, entries: list[Entry], notes: list[NoteResult]) -> None:
        """Each draft records its note as it is now (path, bytes and text), and that its
        content was written: a later export patches a note nobody touched, a later import
        updates a draft nobody touched, and neither overwrites an edit made on the other side."""
        by_draft = {(e.date, e.id): e for e in entries}
        for note in notes:
            if not note.in_sync:
                continue
            written = by_draft[note.date, note.entry_id]
            rule = partial(
                record_note,
                written=written,
                path=str(note.path),
                digest=note.digest,
                text=note.text,
                replaced=note.replaced,
            )
            self.store.apply(written.date, written.id, rule)

    def export(self, dates: DateSpan, fmt: str, force: bool, vault: Path | None = None) -> Exported:
        """The days' digest in a format; with `vault`, the days' notes written into that folder,
        each on its own (a failing entry's note is held, unless `force`)."""
        from pipeline.export import RENDERERS, DayEntries, text_left_out
        from pipeline.vault import write_notes

        vault = vault or self.settings.vault
        if fmt == "vault" and vault is None:
            raise InputError(
                "--format vault writes notes into your vault: give -o VAULT_DIR "
                "(or set DIGEST_VAULT)"
            )
        days = [
            DayEntries(d.date, d.entries)
            for d in self.days_for_export(dates, force, per_note=fmt == "vault")
        ]
        count = sum(len(d.entries) for d in days)
        if fmt == "vault":
            assert vault is not None
            entries = [self._with_its_note(e) for d in days for e in d.entries]
            notes, odd = write_notes(entries, vault, force, self.failing(entries))
            for path, reason in odd:
                self.log(f"Warning: {path}: skipped ({reason})")
            self._remember_notes(entries, notes)
            return Exported("", count, [d.date for d in days], notes=notes)
        left_out = text_left_out(days) if fmt == "text" else []
        for entry, reason in left_out:
            self.log(f"{'Warning' if force else 'Error'}: {entry.id} ({entry.date}): {reason}")
        if left_out and not force:
            raise CheckFailed(
                f"{len(left_out)} entr{'y' if len(left_out) == 1 else 'ies'} cannot be written in "
                "the text format (above); fix them (a comment: digest draft ID --comment …), "
                "or export with --force to leave them out"
            )
        span = (dates.first, dates.last) if dates.first != dates.last else None
        text = RENDERERS[fmt](days, span=span)
        return Exported(text, count - len(left_out), [d.date for d in days], notes=[])
