"""What every use case works with: the settings, the drafts, the services, the history.

Services and data are made on first use, so that a command that needs none (a re-run that asks
nothing) needs no key either. Finding the drafts a command names is here too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pipeline.arxiv import ArxivClient, PaperSource
from pipeline.check import AcronymUsage
from pipeline.config import DIGEST_ARXIV_API_URL, OPENAI_BASE_URL, Settings, require_url
from pipeline.entry import Entry, Finding
from pipeline.errors import (
    EnvironmentFailure,
    InputError,
)
from pipeline.glossary import Glossary, load_glossary
from pipeline.history import History
from pipeline.model import Model
from pipeline.results import (
    Selected,
)
from pipeline.store import Store
from pipeline.text import parse_id
from pipeline.translate import Translator
from pipeline.translation import Log, recheck

EditorCallback = Callable[[Entry], tuple[str, list[str] | None]]


class Services:
    """The drafts, the glossary, arXiv, the model and the history, for the use cases."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: Store | None = None,
        glossary: Glossary | None = None,
        arxiv: PaperSource | None = None,
        translator: Model | None = None,
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
    def arxiv(self) -> PaperSource:
        if self._arxiv is None:
            require_url(DIGEST_ARXIV_API_URL, self.settings.arxiv_api_url)
            self._arxiv = ArxivClient(self.settings, log=self.log)
        return self._arxiv

    @property
    def translator(self) -> Model:
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

    def check_entry(self, entry: Entry) -> list[Finding]:
        """The checks of a draft as it is now, with his usage of acronyms (the rules' `check`)."""
        return recheck(entry, self.glossary, self.acronym_usage)

    def _acronym_counts(self) -> dict[str, tuple[int, int]]:
        try:
            return self.history.acronym_counts()
        except EnvironmentFailure as exc:  # the history is a cache: the shipped prior decides
            self.log(f"Warning: {exc}; acronyms are judged without your history")
            return {}
