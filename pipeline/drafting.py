"""The drafting use cases: a paper's comment on disk, its English made, checked and saved.

`draft` (one paper), `draft_notes` (a day from a notes file), `translate_again`, `check` and
`edit`. Each decides what is already done (running the same draft again asks no service
anything) and commits every change through a merge rule (pipeline/merge.py) under the store's
lock, so that two commands meeting on one draft lose nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipeline.arxiv import PAGE_SOURCE, Paper
from pipeline.comment import (
    RECOVERY_FOLDER,
    NoteBlock,
    is_recovery_file,
    parse_notes,
    save_recovery,
)
from pipeline.concurrency import MAX_IN_FLIGHT, run_parallel
from pipeline.entry import AWAITING, Entry, Finding
from pipeline.errors import (
    DigestError,
    EnvironmentFailure,
    InputError,
    ServiceError,
)
from pipeline.merge import (
    MadeEnglish,
    paper_entry,
    take_check,
    take_comment,
    take_hand_edit,
    take_paper,
    take_translation,
)
from pipeline.results import (
    DraftResult,
    EditResult,
    Outcome,
    RunResult,
    Selected,
    filled_note,
    fix_command,
    is_filled,
)
from pipeline.services import EditorCallback, Services
from pipeline.text import PaperId, parse_id, today
from pipeline.translate import PaperContext, preload_client
from pipeline.translation import Translated, judge_english, recheck, translate_checked
from pipeline.usage import Usage


class Drafting(Services):
    """Drafting a day: comments, papers, translations, checks, hand edits."""

    # -- committing changes -------------------------------------------------------------------
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
