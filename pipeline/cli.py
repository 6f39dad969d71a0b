"""The command line: options -> one workflow call -> output. Errors become one line and an exit code.

Heavy modules (openai, httpx2, the stages) are imported inside the commands so that `--help`
starts fast.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from pipeline import __version__
from pipeline.config import DIGEST_DEBUG, ENVIRONMENT_HELP, Settings, load_settings
from pipeline.errors import CheckFailed, DigestError, ExitCode, InputError, ServiceError

if TYPE_CHECKING:
    from pipeline.drafting import Drafter, Outcome
    from pipeline.entry import Entry
    from pipeline.store import Store


# -- shared plumbing ----------------------------------------------------------------------------
def say(message: str) -> None:
    """Progress and diagnostics: stderr, so stdout carries only the result."""
    click.echo(message, err=True)


class Progress:
    """Progress on stderr: lines for the record, and on a terminal a bar the next line replaces."""

    WIDTH = 24

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.bar = sys.stderr.isatty()

    def line(self, text: str) -> None:
        click.echo(("\r\x1b[K" if self.bar else "") + text, err=True)
        self._draw()

    def tick(self, text: str | None = None) -> None:
        self.done += 1
        if text is not None:
            self.line(text)
        else:
            self._draw()

    def _draw(self) -> None:
        if self.bar and self.total:
            filled = self.WIDTH * self.done // self.total
            bar = "#" * filled + "." * (self.WIDTH - filled)
            click.echo(f"\r[{bar}] {self.done}/{self.total}", err=True, nl=False)

    def close(self) -> None:
        if self.bar:
            click.echo("\r\x1b[K", err=True, nl=False)


class App:
    """What every command needs, built on first use from the environment and the options."""

    def __init__(self) -> None:
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    def store(self) -> Store:
        from pipeline.store import Store

        return Store(self.settings.drafts_dir)

    def drafter(self) -> Drafter:
        from pipeline.drafting import Drafter
        from pipeline.glossary import load_glossary

        glossary = load_glossary(self.settings.glossary_path, self.settings.glossary_named)
        if not glossary.terms and not glossary.keep:
            say(f"Warning: no glossary at {self.settings.glossary_path}: terms are not enforced")
        return Drafter(self.settings, self.store(), glossary, log=say)


pass_app = click.make_pass_decorator(App)


def parse_date(value: str | None) -> str:
    if value is None:
        return dt.date.today().isoformat()
    text = value.strip()
    try:
        if len(text) != 10:
            raise ValueError  # fromisoformat also takes 20250624 and week dates; the contract does not
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise InputError(f"date {value!r} is not a date YYYY-MM-DD") from None


def entry_text(entry: Entry) -> str:
    from pipeline.digest import render_entry
    from pipeline.export import text_entry

    return render_entry(text_entry(entry))


def write_output(path: Path, text: str) -> None:
    """A file the author asked for (-o, --html), written atomically; a bad path is bad input."""
    from pipeline.yamlio import atomic_write

    try:
        atomic_write(path, text)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None


def fix_hints(entries: list[Entry], most: int = 3) -> str:
    """The command that fixes each failing entry: translate what has no English, else edit."""
    hints = [
        f"digest {'translate' if e.status == 'awaiting-translation' else 'edit'} {e.id}"
        for e in entries[:most]
    ]
    return "; ".join(hints) + ("; ..." if len(entries) > most else "")


def report(outcome: Outcome) -> None:
    """Findings and notes of one drafted entry, on stderr."""
    for note in outcome.notes:
        say(f"Note: {note}")
    if outcome.entry is not None:
        for finding in outcome.entry.checks:
            say(f"  {finding}")


# options shared by draft and translate
force_option = click.option(
    "--force", is_flag=True, help="Replace a hand-edited English with the new translation."
)


def jobs_option(help_text: str) -> Any:
    return click.option(
        "--jobs", type=click.IntRange(1, 64), default=8, show_default=True, help=help_text
    )


# -- the group ----------------------------------------------------------------------------------
@click.group(
    help=f"""Write the bilingual (Korean/English) daily digest of arXiv papers.

\b
Quick start:
  digest doctor                      # is the set-up complete?
  digest draft 2506.18896 --comment "Reward에 노이즈를 추가하는 것으로 ..." --tags rl
  digest edit 2506.18896             # fix the English if a check failed
  digest export 2025-06-24

{ENVIRONMENT_HELP}

\b
Exit codes: 0 done, 1 a check failed, 2 bad input, 3 a service failed, 130 interrupted.""",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="digest")
@click.option("--debug", is_flag=True, help="Show a traceback for errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    # --debug is read again in main(): errors raised while click parses must honour it too
    ctx.obj = App()


@cli.command()
@click.argument("paper", required=False)
@click.option("--comment", "comment_text", metavar="TEXT", help="The Korean comment.")
@click.option(
    "--comment-file", type=click.Path(path_type=Path), help="Read the comment from a file."
)
@click.option(
    "--notes", type=click.Path(path_type=Path), help="Draft a whole day from a notes file."
)
@click.option("--tags", metavar="TAGS", help="Tags, separated by spaces or commas ('#' optional).")
@click.option("--date", "date_text", metavar="YYYY-MM-DD", help="The digest day (default: today).")
@force_option
@click.option("--refresh", is_flag=True, help="Fetch from arXiv even when the cache is fresh.")
@jobs_option("Model requests in flight at once (with --notes).")
@pass_app
def draft(
    app: App,
    paper: str | None,
    comment_text: str | None,
    comment_file: Path | None,
    notes: Path | None,
    tags: str | None,
    date_text: str | None,
    force: bool,
    refresh: bool,
    jobs: int,
) -> int:
    """Draft the digest entry of one paper, or of a whole day with --notes.

    Fetches the paper from arXiv, takes your Korean comment, translates it into English with the
    glossary's terms, checks the English, saves the draft in drafts/DATE/ID.yaml and prints the
    entry. The comment comes from --comment or --comment-file; else from stdin when it is not a
    terminal; else $EDITOR opens on the paper. It is saved before the model is called, and
    even when arXiv does not answer: then run the same command again later, without a comment.

    \b
    Examples:
      digest draft 2506.18896 --comment "Reward에 노이즈를 추가하는 것으로 학습 속도를 가속." --tags rl
      echo "PRM. 각 단계의 일관성을 평가." | digest draft arXiv:2506.18896v2
      digest draft https://arxiv.org/abs/2506.18896      # opens $EDITOR
      digest draft --notes today.txt --date 2025-06-24

    \b
    A notes file holds blocks separated by blank lines: an id line, the comment, an optional
    last line of tags:
      2506.18896
      PRM. 각 단계의 일관성을 평가하게 했군요.
      #rl #reward-model
    """
    date = parse_date(date_text)
    if (paper is None) == (notes is None):
        raise InputError("give either a paper id or --notes FILE (see: digest draft --help)")
    if comment_text is not None and comment_file is not None:
        raise InputError("give --comment or --comment-file, not both")
    if notes is not None:
        if comment_text is not None or comment_file is not None or tags is not None:
            raise InputError(
                "--notes takes the comments and tags from the file; drop --comment/--tags"
            )
        return draft_notes(app, notes, date, jobs, force, refresh)
    assert paper is not None
    return draft_one(app, paper, comment_text, comment_file, tags, date, force, refresh)


def given_comment(
    comment_text: str | None, comment_file: Path | None
) -> tuple[str | None, list[str] | None]:
    """The comment (and tags) from --comment, --comment-file or piped stdin; None: none given."""
    from pipeline.comment import clean_comment, parse_edited, read_stdin, read_text_file

    if comment_text is not None:
        return clean_comment(comment_text), None
    if comment_file is not None:
        return parse_edited(read_text_file(comment_file, "comment file"))
    if not sys.stdin.isatty():
        return parse_edited(read_stdin())
    return None, None


def draft_one(
    app: App,
    paper: str,
    comment_text: str | None,
    comment_file: Path | None,
    tags_text: str | None,
    date: str,
    force: bool,
    refresh: bool,
) -> int:
    from pipeline.arxiv import parse_id
    from pipeline.comment import editor_template, parse_tags, run_editor

    paper_id = parse_id(paper)
    tags = parse_tags(tags_text) if tags_text is not None else None
    # Read a comment that does not need the paper first, so bad input fails before any request.
    comment, given_tags = given_comment(comment_text, comment_file)
    tags = tags if tags is not None else given_tags

    drafter = app.drafter()
    store = drafter.store
    existing = store.get(date, paper_id.base)
    if comment is not None and not comment:
        if existing is None:
            raise InputError("the comment is empty; nothing was saved")
        comment = existing.comment_ko  # nothing new given: finish the saved draft
    if comment is None and existing is not None and not existing.title:
        comment = existing.comment_ko  # saved while arXiv was down: no need to type it again
    paper_meta = None
    if existing is None or refresh or not existing.title:
        say(f"Fetching {paper_id} from arXiv ...")
        try:
            paper_meta = drafter.arxiv.fetch_one(paper_id, refresh=refresh)
        except ServiceError as exc:
            if comment is None:
                raise  # the editor has not opened yet: nothing was typed
            entry = drafter.save_comment(paper_id, date, comment, tags, None, existing)
            raise ServiceError(
                f"{exc}; your comment is saved in {store.path(date, entry.id)}: run "
                f"`digest draft {entry.id} --date {date}` again when arXiv answers"
            ) from None
    if comment is None:
        from pipeline.examples import suggest_tags

        source = existing or paper_meta
        assert source is not None
        template = editor_template(
            paper_id.base,
            source.title,
            source.authors,
            source.abstract,
            existing.comment_ko if existing else "",
            tags if tags is not None else (existing.tags if existing else None),
            suggest_tags(drafter.papers_index(), f"{source.title} {source.abstract}"),
        )
        comment, editor_tags = run_editor(
            template,
            retry_with=f"run: digest draft {paper_id.base} --date {date} --comment-file {{path}}",
        )
        tags = tags if tags is not None else editor_tags

    if tags:
        from pipeline.tags import new_tag_warnings

        for warning in new_tag_warnings(tags, drafter.tag_vocabulary(frozenset([paper_id.base]))):
            say(f"Warning: {warning}")
    entry = drafter.save_comment(paper_id, date, comment, tags, paper_meta, existing)
    if entry.status == "awaiting-translation":
        say(f"Saved the comment in {store.path(date, entry.id)}")
        say(f"Translating with {app.settings.model} ...")
    outcome = drafter.finish(entry, force)
    if outcome.error is not None:
        raise outcome.error
    if outcome.state == "unchanged":
        say(f"{entry.id}: the comment is unchanged; nothing to do ({entry.status})")
    report(outcome)
    click.echo(entry_text(entry), nl=False)
    if entry.errors:
        say(
            f"{entry.id}: needs review: fix the English with `digest edit {entry.id}` "
            f"(or edit comment_en in {store.path(date, entry.id)}, then run `digest check {entry.id}`)"
        )
    return outcome.exit_code


def draft_notes(app: App, notes: Path, date: str, jobs: int, force: bool, refresh: bool) -> int:
    from pipeline.comment import parse_notes, read_text_file
    from pipeline.drafting import FAILED, Outcome

    text = read_text_file(notes, "notes file")
    blocks = parse_notes(text, str(notes))  # every block is checked before any work starts
    drafter = app.drafter()
    store = drafter.store
    existing = {b.paper_id.base: store.get(date, b.paper_id.base) for b in blocks}
    missing = [
        b.paper_id
        for b in blocks
        if refresh or (saved := existing[b.paper_id.base]) is None or not saved.title
    ]
    papers: dict[str, Any] = {}
    problems: dict[str, Any] = {}
    if missing:
        say(f"Fetching {len(missing)} paper{'s' * (len(missing) != 1)} from arXiv ...")
        fetched = drafter.fetch(missing, refresh=refresh)
        papers, problems = fetched.papers, fetched.problems
    outcomes: dict[str, Outcome] = {}
    pending = []
    for block in blocks:
        key = block.paper_id.base
        if block.paper_id.query in problems:
            outcomes[key] = Outcome(key, None, FAILED, problems[block.paper_id.query])
            continue
        entry = drafter.save_comment(
            block.paper_id,
            date,
            block.comment,
            block.tags or None,
            papers.get(block.paper_id.query),
            existing[key],
        )
        pending.append(entry)
    finished = run_batch(drafter, pending, jobs, force, list(outcomes.values()))
    outcomes.update((o.paper_id, o) for o in finished)
    ordered = [outcomes[b.paper_id.base] for b in blocks]
    for outcome in ordered:
        if outcome.entry is not None and outcome.error is None:
            click.echo(entry_text(outcome.entry), nl=False)
    return summarize(ordered)


def run_batch(
    drafter: Drafter,
    entries: list[Entry],
    jobs: int,
    force: bool,
    failed_before: list[Outcome],
    again: bool = False,
) -> list[Outcome]:
    """Translate entries `jobs` at a time, a progress line each (and a bar on a terminal)."""
    progress = Progress(len(entries) + len(failed_before))

    def on_done(outcome: Outcome) -> None:
        state = outcome.state if outcome.error is None else f"failed: {outcome.error}"
        progress.tick(f"[{progress.done + 1}/{progress.total}] {outcome.paper_id}: {state}")
        for note in outcome.notes:  # e.g. a hand-edited English kept
            progress.line(f"  Note: {note}")

    for outcome in failed_before:
        on_done(outcome)
    try:
        return drafter.finish_many(entries, jobs, on_done, force, again)
    finally:
        progress.close()


def summarize(outcomes: list[Outcome]) -> int:
    """One summary line (and the ids to act on) on stderr; the exit code of the worst."""
    from pipeline.drafting import worst_exit

    ready = [o.paper_id for o in outcomes if o.error is None and o.entry and not o.entry.errors]
    review = [o.paper_id for o in outcomes if o.error is None and o.entry and o.entry.errors]
    failed = [o.paper_id for o in outcomes if o.error is not None]
    say(f"Summary: {len(ready)} ready, {len(review)} need review, {len(failed)} failed")
    if review:
        say("  needs review: " + " ".join(review) + " (fix each with: digest edit ID)")
    if failed:
        say("  failed: " + " ".join(failed) + " (run the same command again to retry them)")
    return worst_exit(outcomes)


@cli.command()
@click.argument("papers", nargs=-1)
@click.option(
    "--date",
    "date_text",
    metavar="YYYY-MM-DD",
    help="With ids: which day's drafts (default: the latest). Alone: every draft of the day.",
)
@click.option(
    "--pending",
    is_flag=True,
    help="Every draft, of any day (or of --date), that awaits translation.",
)
@force_option
@jobs_option("Model requests in flight at once.")
@pass_app
def translate(
    app: App,
    papers: tuple[str, ...],
    date_text: str | None,
    pending: bool,
    force: bool,
    jobs: int,
) -> int:
    """Translate (again) existing drafts from their saved comments, then check them.

    Use it to finish a draft whose translation failed, after changing the glossary or
    DIGEST_MODEL, or to translate the Korean-only notes an import brought in (--pending).
    A hand-edited comment_en is kept unless --force. Unchanged requests are answered from
    the cache, so translating again after no change asks the model nothing.

    \b
    Examples:
      digest translate 2506.18896
      digest translate --date 2025-06-24       # the whole day, after a glossary change
      digest translate --pending               # everything that awaits translation
    """
    from pipeline.arxiv import parse_id
    from pipeline.entry import AWAITING

    drafter = app.drafter()
    store = drafter.store
    date = parse_date(date_text) if date_text else None
    if papers and pending:
        raise InputError("give paper ids or --pending, not both")
    unreadable = False  # a draft of the day that cannot be read: reported, and exit 2
    if papers:
        entries = [store.find(parse_id(p).base, date) for p in papers]
    elif pending:
        entries = [
            e
            for e in drafter.history()
            if e.status == AWAITING and (date is None or e.date == date)
        ]
        if not entries:
            say("Nothing awaits translation.")
            return 0
    elif date is not None:
        day = store.day(date)
        for problem in day.problems:
            say(f"Error: {problem}")
        unreadable = bool(day.problems)
        entries = day.entries
        if not entries:
            raise store.no_drafts(date, "digest translate --date {date}")
    else:
        raise InputError("give paper ids, --date D or --pending (see: digest translate --help)")
    if any(not e.title for e in entries):  # saved while arXiv was down
        say("Fetching the papers' metadata from arXiv ...")
        for entry_id, unknown in drafter.fetch_missing_metadata(entries).items():
            say(f"Warning: {entry_id}: {unknown}")
    if len(entries) == 1 and papers:
        entry = entries[0]
        say(f"Translating {entry.id} ({entry.date}) with {app.settings.model} ...")
        outcome = drafter.translate(entry, force)
        report(outcome)
        click.echo(entry_text(entry), nl=False)
        return outcome.exit_code
    say(f"Translating {len(entries)} drafts with {app.settings.model} ...")
    outcomes = run_batch(drafter, entries, jobs, force, [], again=True)
    if not pending:
        for outcome in outcomes:
            if outcome.entry is not None and outcome.error is None:
                click.echo(entry_text(outcome.entry), nl=False)
    worst = summarize(outcomes)
    return max(worst, int(ExitCode.BAD_INPUT)) if unreadable else worst


@cli.command()
@click.argument("papers", nargs=-1)
@click.option(
    "--date", "date_text", metavar="YYYY-MM-DD", help="The day to check (default: today)."
)
@pass_app
def check(app: App, papers: tuple[str, ...], date_text: str | None) -> int:
    """Run the checks on drafts as they are now, hand edits included.

    With ids, those drafts (the latest day of each, or --date); without, every draft of the
    day. Prints the findings of each entry and exits 1 if any has an error.

    \b
    Examples:
      digest check 2506.18896
      digest check --date 2025-06-24
    """
    from pipeline.arxiv import parse_id

    drafter = app.drafter()
    store = drafter.store
    date = parse_date(date_text) if date_text else None
    problems: list[InputError] = []
    if papers:
        entries = [store.find(parse_id(p).base, date) for p in papers]
    else:
        day = store.day(date or parse_date(None))
        entries, problems = day.entries, day.problems
        if not entries and not problems:
            raise store.no_drafts(day.date, "digest check --date {date}")
    failing: list[Entry] = []
    for entry in entries:
        before = (entry.checks, entry.status)
        findings = drafter.recheck(entry)
        if (entry.checks, entry.status) != before:
            store.save(entry)
        if entry.errors:
            failing.append(entry)
        click.echo(f"{entry.id} ({entry.date}): {entry.status}")
        for finding in findings:
            click.echo(f"  {finding}")
    for problem in problems:
        say(f"Error: {problem}")
    if problems:
        return int(ExitCode.BAD_INPUT)
    say(f"{len(entries) - len(failing)} of {len(entries)} pass")
    if failing:
        say(f"Fix: {fix_hints(failing)}")
    return int(ExitCode.CHECK_FAILED) if failing else 0


@cli.command()
@click.argument("paper")
@click.option(
    "--date", "date_text", metavar="YYYY-MM-DD", help="Which day's draft (default: the latest)."
)
@pass_app
def edit(app: App, paper: str, date_text: str | None) -> int:
    """Edit the published English of a draft in $EDITOR, then check it.

    The editor opens on comment_en, with the Korean, the model's English and the last check
    shown below it as // lines; a last line of #tags sets the tags. When stdin is not a
    terminal, the new English is read from it instead. Your text is saved with the result
    of its check; machine_en is kept, so `digest review` shows what you changed. Exits 1 if
    the English still fails a check.

    \b
    Examples:
      digest edit 2506.18896
      echo "A PRM that scores each reasoning step." | digest edit 2506.18896 --date 2025-06-24
    """
    from pipeline.arxiv import parse_id
    from pipeline.comment import english_template, parse_edited, read_stdin, run_editor
    from pipeline.review import edit_rate

    drafter = app.drafter()
    store = drafter.store
    entry = store.find(parse_id(paper).base, parse_date(date_text) if date_text else None)
    if sys.stdin.isatty():
        english, tags = run_editor(
            english_template(entry),
            what="English",
            retry_with=f"run: digest edit {entry.id} --date {entry.date} < {{path}}",
        )
    else:
        english, tags = parse_edited(read_stdin())
        if not english:
            raise InputError("the English is empty; nothing was saved")
    entry = store.find(entry.id, entry.date)  # as it is now: another run may have saved it
    if tags:
        from pipeline.tags import new_tag_warnings

        for warning in new_tag_warnings(tags, drafter.tag_vocabulary(frozenset([entry.id]))):
            say(f"Warning: {warning}")
    if drafter.publish_edit(entry, english, tags):
        say(f"Saved comment_en in {store.path(entry.date, entry.id)}")
    else:
        say(f"{entry.id}: the English is unchanged")
    click.echo(f"{entry.id} ({entry.date}): {entry.status}")
    for finding in entry.checks:
        click.echo(f"  {finding}")
    if entry.machine_en:
        click.echo(f"Edit rate: {edit_rate(entry.machine_en, entry.comment_en)}")
    return int(ExitCode.CHECK_FAILED) if entry.errors else 0


@cli.command()
@click.argument("paper", required=False)
@click.option("--date", "date_text", metavar="YYYY-MM-DD", help="Review every entry of this day.")
@click.option(
    "--html", "html_file", type=click.Path(path_type=Path), help="Also write an HTML page."
)
@click.option(
    "--against",
    type=click.Choice(["published", "previous"]),
    default="published",
    show_default=True,
    help="Diff the published English, or the previous machine English.",
)
@pass_app
def review(
    app: App, paper: str | None, date_text: str | None, html_file: Path | None, against: str
) -> int:
    """Show what you changed in the model's English, and the edit rate.

    A word diff from machine_en to comment_en (deletions [-like this-], insertions {+like
    this+}, in color on a terminal unless NO_COLOR is set), the Korean, and the word-level edit
    rate over the published English. --against previous compares the current machine English
    with the one before it (after a glossary or model change).

    \b
    Examples:
      digest review 2506.18896
      digest review --date 2025-06-24 --html review.html
    """
    from pipeline.arxiv import parse_id
    from pipeline.review import average_rate, format_review, render_html_page, review_entry

    store = app.store()
    date = parse_date(date_text) if date_text else None
    if paper is not None:
        entries = [store.find(parse_id(paper).base, date)]
        title = f"Review of {entries[0].id}"
    elif date is not None:
        day = store.day(date)
        for problem in day.problems:
            say(f"Error: {problem}")
        entries = day.entries
        if not entries:
            raise store.no_drafts(date, "digest review --date {date}")
        title = f"Review of {date}"
    else:
        raise InputError("give a paper id or --date (see: digest review --help)")
    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    reviews = [review_entry(e, against) for e in entries]
    click.echo("\n".join(format_review(r, color) for r in reviews), nl=False)
    if len(reviews) > 1:
        average = average_rate(reviews)
        click.echo(
            f"\nAverage edit rate: {average:.1f}% over {sum(r.rate is not None for r in reviews)} entries"
            if average is not None
            else "\nNo entry has machine English to compare."
        )
    if html_file is not None:
        write_output(html_file, render_html_page(reviews, title))
        say(f"Wrote {html_file}")
    return 0


@cli.command(name="export")
@click.argument("date_text", metavar="DATE")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "html", "json"]),
    default="text",
    show_default=True,
    help="The rendering.",
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="Write to a file (default: stdout)."
)
@click.option("--force", is_flag=True, help="Export even if an entry fails its checks.")
@pass_app
def export_cmd(app: App, date_text: str, fmt: str, output: Path | None, force: bool) -> int:
    """Export a day's digest, entries in the order they were first drafted.

    Refuses (exit 1) while an entry fails its checks, unless --force.

    \b
    Examples:
      digest export 2025-06-24
      digest export 2025-06-24 --format html -o digest.html
    """
    from pipeline.export import RENDERERS

    date = parse_date(date_text)
    drafter = app.drafter()
    day = drafter.store.day(date)
    for problem in day.problems:
        say(f"Warning: left out: {problem}" if force else f"Error: {problem}")
    if day.problems and not force:
        raise InputError(
            f"{len(day.problems)} draft(s) of {date} cannot be read (above); fix them or use --force"
        )
    if not day.entries:
        raise drafter.store.no_drafts(date, "digest export {date}")
    failing = []
    for entry in day.entries:
        errors = [f for f in drafter.recheck(entry) if f.is_error]
        if errors:
            failing.append(entry)
            for finding in errors:
                say(f"{entry.id}: {finding}")
    if failing and not force:
        raise CheckFailed(
            f"{len(failing)} of {len(day.entries)} entries fail their checks; fix them "
            f"({fix_hints(failing)}) or export with --force"
        )
    rendered = RENDERERS[fmt](date, day.entries)
    if output is None:
        click.echo(rendered, nl=False)
    else:
        write_output(output, rendered)
        say(f"Wrote {len(day.entries)} entries to {output}")
    return 0


@cli.command(name="import")
@click.argument("file", type=click.Path(path_type=Path), required=False)
@click.option(
    "--vault", type=click.Path(path_type=Path), help="Import a notes vault folder instead."
)
@click.option(
    "--since", "since_text", metavar="YYYY-MM-DD", help="With --vault: only notes from this day on."
)
@click.option("--list-skipped", is_flag=True, help="Name the files that were skipped, by reason.")
@pass_app
def import_cmd(
    app: App, file: Path | None, vault: Path | None, since_text: str | None, list_skipped: bool
) -> int:
    """Import history: a digest in the text format, or the notes vault, into drafts.

    A text digest keeps its days and order. It carries no arXiv id, so an entry's id is derived
    from its title: a slug of its first words and 8 hex digits of the title's SHA-256.

    A vault is a folder of Markdown notes, one per paper, named `YYMMDD Title.md`: an arXiv URL
    line, `*Title* (Authors)`, the abstract as a `>` quote, the Korean comment, the English
    (an <english> block or plain paragraphs), a #tags line. Notes without a link, a date or a
    Korean comment are skipped with the reason. A note edited since its import is updated,
    unless its draft was edited here.

    Importing the same file or vault again changes nothing. Imported English is the author's
    own: it is checked, never re-translated unless you run `digest translate`.

    \b
    Examples:
      digest import 2025-06-24.txt
      digest import --vault ~/Obsidian/arXiv --since 2024-01-01 --list-skipped
    """
    from pipeline.importer import import_digest, import_vault

    if (file is None) == (vault is None):
        raise InputError("give a digest FILE or --vault DIR (see: digest import --help)")
    drafter = app.drafter()
    if vault is not None:
        since = parse_date(since_text) if since_text else None
        bar: list[Progress] = []

        def progress(done: int, total: int) -> None:
            if not bar:
                bar.append(Progress(total))
            bar[0].tick(f"  {done}/{total} notes" if done == total or done % 500 == 0 else None)

        try:
            summary = import_vault(vault, drafter.store, drafter.recheck, since, progress)
        finally:
            if bar:
                bar[0].close()
        source = str(vault)
    else:
        if since_text:
            raise InputError("--since goes with --vault")
        from pipeline.comment import read_text_file

        assert file is not None
        text = read_text_file(file, "digest file")
        summary = import_digest(text, str(file), drafter.store, drafter.recheck)
        source = str(file)
    say(f"{source}: {summary.line()}")
    if list_skipped:
        for reason, names in sorted(summary.skipped.items()):
            for name in names:
                say(f"  skipped ({reason}): {name}")
    return 0


@cli.command()
@click.option(
    "--all", "show_all", is_flag=True, help="List every tag, not only those used twice or more."
)
@pass_app
def tags(app: App, show_all: bool) -> int:
    """Your tag vocabulary with counts, learned from every draft, and near-duplicates.

    Variants are normalised (object_detection is object-detection). Pairs of tags one or two
    edits apart (#lm / #llm) are listed for you to decide; nothing is changed.

    \b
    Example:
      digest tags
    """
    from pipeline.tags import near_duplicates, vocabulary

    vocab = vocabulary(app.store().all_entries())
    if not vocab:
        raise InputError(f"no tagged drafts in {app.settings.drafts_dir}")
    shown = [
        (t, n) for t, n in sorted(vocab.items(), key=lambda i: (-i[1], i[0])) if show_all or n > 1
    ]
    width = max(len(t) for t, _ in shown) if shown else 0
    for tag, count in shown:
        click.echo(f"#{tag:<{width}}  {count}")
    hidden = len(vocab) - len(shown)
    if hidden:
        click.echo(f"(and {hidden} tag{'s' * (hidden != 1)} used once: digest tags --all)")
    pairs = near_duplicates(vocab)
    if pairs:
        click.echo("\nNear-duplicates (decide which to keep):")
        for a, b, distance in pairs:
            click.echo(
                f"  #{a} ({vocab[a]}) / #{b} ({vocab[b]}): {distance} edit{'s' * (distance != 1)} apart"
            )
    return 0


@cli.command()
def doctor() -> int:
    """Check that everything a draft needs is in place, and say what to fix.

    Loads the glossary, reads every draft, checks that the drafts and cache folders take
    writes, asks arXiv about one paper and asks the model server which models it serves
    (no translation, nothing is spent). Exits 2 for a set-up problem, 3 for a service.

    \b
    Example:
      digest doctor
    """
    from pipeline.doctor import Probe, run_probes

    settings = load_settings()

    def show(probe: Probe) -> None:
        click.echo(f"{probe.name:<9} {'ok  ' if probe.ok else 'FAIL'}  {probe.detail}")

    probes = run_probes(settings, show)
    failed = [p for p in probes if not p.ok]
    say("All good." if not failed else f"{len(failed)} of {len(probes)} failed.")
    return max((p.exit_code for p in failed), default=0)


@cli.group()
def glossary() -> None:
    """Work with the terminology glossary (glossary.yaml).

    \b
    Example:
      digest glossary suggest
    """


@glossary.command()
@click.option(
    "--min-notes",
    type=click.IntRange(2, 1000),
    default=3,
    show_default=True,
    help="How many notes a term must recur in.",
)
@pass_app
def suggest(app: App, min_notes: int) -> int:
    """Suggest glossary terms mined from your history; prints YAML, never edits the glossary.

    Korean terms that recur in your comments, aligned with the English you used for them most
    (with counts), and replacements you made by hand again and again in reviews.

    \b
    Example:
      digest glossary suggest >> suggestions.yaml
    """
    from pipeline.glossary import load_glossary
    from pipeline.suggest import hand_replacements, mine_terms, suggestions_yaml

    entries = app.store().all_entries()
    if not entries:
        raise InputError(
            f"no drafts in {app.settings.drafts_dir} to learn from; import your history first"
        )
    current = load_glossary(app.settings.glossary_path, app.settings.glossary_named)
    terms = mine_terms(((e.comment_ko, e.comment_en) for e in entries), current, min_notes)
    click.echo(suggestions_yaml(terms, hand_replacements(entries)), nl=False)
    return 0


# -- entry point --------------------------------------------------------------------------------
def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:]) or os.environ.get(
        DIGEST_DEBUG, ""
    ) not in ("", "0", "false", "no")
    try:
        result = cli.main(args=argv, prog_name="digest", standalone_mode=False)
    except DigestError as exc:
        if debug:
            raise
        _fail(str(exc), int(exc.exit_code))
    except (KeyboardInterrupt, click.exceptions.Abort):  # click turns Ctrl-C into Abort
        if debug:
            raise
        click.echo("Error: interrupted; drafts saved so far are intact", err=True)
        sys.stdout.flush()
        sys.stderr.flush()
        # Worker threads may be waiting on a slow reply; drafts are written atomically, so
        # leaving now loses nothing and does not make the author wait for the timeout.
        os._exit(int(ExitCode.INTERRUPTED))
    except click.ClickException as exc:
        _fail(exc.format_message(), int(ExitCode.BAD_INPUT))
    except OSError as exc:  # a file or folder the environment names, not usable as it is
        if debug:
            raise
        _fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), int(ExitCode.BAD_INPUT))
    sys.exit(result if isinstance(result, int) else 0)
