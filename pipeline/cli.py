"""The command line: options -> one workflow call -> output. Errors become one line and an exit code.

Heavy modules (openai, httpx2, the stages) are imported inside the commands so that `--help`
starts fast.
"""

from __future__ import annotations

import os
import shlex
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

from pipeline import __version__, interrupted_at_start, take_ctrl_c_at_start
from pipeline.config import DIGEST_DEBUG, ENVIRONMENT_HELP, Settings, flag, load_settings
from pipeline.console import Console, Progress
from pipeline.errors import DigestError, ExitCode, InputError, redact

if TYPE_CHECKING:
    from pipeline.entry import Entry
    from pipeline.results import Outcome
    from pipeline.workflow import Workflow


class App:
    """What every command needs, made on first use: settings, the console, the workflow."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._settings: Settings | None = None
        self._workflow: Workflow | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    @property
    def workflow(self) -> Workflow:
        if self._workflow is None:
            from pipeline.workflow import Workflow

            self._workflow = Workflow(self.settings, log=self.console.err)
        return self._workflow

    def vault_folder(self, named: str | Path | None) -> Path:
        """The vault a command works in: the folder named, else DIGEST_VAULT's."""
        if named:
            return Path(named).expanduser()
        if self.settings.vault is None:
            raise InputError(
                "which vault? name its folder, or set DIGEST_VAULT to it "
                "(e.g. export DIGEST_VAULT=~/Obsidian)"
            )
        return self.settings.vault

    def write(self, path: Path, text: str) -> bool:
        """A file the author asked for (-o, --html), written atomically; `-` is stdout, a link
        is written through (the link stays), a device or pipe is written as a stream. False
        when it went to stdout."""
        from pipeline.errors import write_failure
        from pipeline.export import check_output
        from pipeline.yamlio import atomic_write

        if str(path) == "-":
            self.console.out(text, nl=False)
            return False
        check_output(path, self.settings)
        target = path.resolve() if path.is_symlink() else path
        try:
            if target.exists() and not target.is_file():  # /dev/stdout, a named pipe
                with target.open("w", encoding="utf-8") as stream:
                    stream.write(text)
            else:
                atomic_write(target, text)
        except OSError as exc:
            raise write_failure(path, exc) from None
        return True


pass_app = click.make_pass_decorator(App)


# -- options shared by several commands -------------------------------------------------------
def day_option(help_text: str) -> Any:
    return click.option("--date", "date_text", metavar="YYYY-MM-DD", help=help_text)


def parse_optional_day(text: str | None) -> str | None:
    from pipeline.text import parse_day

    return parse_day(text) if text is not None else None


force_option = click.option(
    "--force", is_flag=True, help="Replace a hand-edited English with the new translation."
)
judge_option = click.option(
    "--judge",
    is_flag=True,
    help="Also have the model review the English for additions, omissions and "
    "mistranslations (DIGEST_JUDGE=1).",
)
print_option = click.option(
    "--print",
    "-v",
    "print_entries",
    is_flag=True,
    help="Print each entry whole on stdout when done (one entry on a terminal shows only its "
    "title, comments and tags without it).",
)


class Jobs(click.ParamType):
    """`--jobs N` (1-64) or `--jobs auto`: None, the limit adapting to the server."""

    name = "N|auto"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value is None or isinstance(value, int):
            return value
        if str(value).strip().lower() == "auto":
            return None
        try:
            number = int(value)
        except ValueError:
            self.fail(f"{value!r} is not a number or 'auto'", param, ctx)
        if not 1 <= number <= 64:
            self.fail(f"{number} is not in 1..64", param, ctx)
        return number


class ExportFormat(click.Choice[str]):
    """`--format`: a renderer of pipeline.export, or vault. The renderers are read when a command
    line is parsed or its help shown, not when digest starts (they load YAML and the stages)."""

    def __init__(self) -> None:
        super().__init__(())

    @property
    def choices(self) -> tuple[str, ...]:
        from pipeline.export import RENDERERS

        return (*RENDERERS, "vault")

    @choices.setter
    def choices(self, _: tuple[str, ...]) -> None:
        """(click.Choice sets them; the renderers are their only source.)"""


def jobs_option(help_text: str) -> Any:
    return click.option(
        "--jobs",
        type=Jobs(),
        default="auto",
        show_default=True,
        help=help_text + " auto: as many as the server sustains (up to 64).",
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
Exit codes: 0 done, 1 a check failed, 2 bad input, 3 a service failed,
4 the machine failed (disk full), 130 interrupted.""",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    invoke_without_command=False,
)
@click.version_option(__version__, prog_name="digest")
@click.option("--debug", is_flag=True, help="Show a traceback for errors.")
def cli(debug: bool) -> None:
    # --debug is read again in main(): errors raised while click parses must honour it too
    pass


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
@day_option("The digest day (default: the day the paper is drafted on, else today).")
@force_option
@click.option("--refresh", is_flag=True, help="Fetch from arXiv even when the cache is fresh.")
@jobs_option("Model requests in flight at once (with --notes).")
@judge_option
@print_option
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
    jobs: int | None,
    judge: bool,
    print_entries: bool,
) -> int:
    """Draft the digest entry of one paper, or of a whole day with --notes.

    Fetches the paper from arXiv, takes your Korean comment, translates it into English with the
    glossary's terms, checks the English, saves the draft in drafts/DATE/ID.yaml and prints the
    entry. The comment comes from --comment or --comment-file; else from stdin when it is not a
    terminal; else $EDITOR opens on the paper. A comment you give is saved before any request,
    so nothing is lost when arXiv or the model does not answer: then run the same command
    again later, without a comment.

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
    from pipeline import views
    from pipeline.text import today

    date = parse_optional_day(date_text)
    if (paper is None) == (notes is None):
        raise InputError("give either a paper id or --notes FILE (see: digest draft --help)")
    if comment_text is not None and comment_file is not None:
        raise InputError("give --comment or --comment-file, not both")
    console, workflow = app.console, app.workflow
    workflow.judge |= judge
    if notes is not None:
        if comment_text is not None or comment_file is not None or tags is not None:
            raise InputError(
                "--notes takes the comments and tags from the file; drop --comment/--tags"
            )
        blocks = workflow.read_notes(notes)
        outcomes = views.batch(
            console,
            len(blocks),
            lambda on_done: workflow.draft_notes(
                blocks, date or today(), jobs=jobs, force=force, refresh=refresh, on_done=on_done
            ),
        )
        import shlex

        resume = f"digest draft --notes {shlex.quote(str(notes))} --date {date or today()}"
        return views.summarize(console, outcomes, print_entries, resume)
    assert paper is not None
    comment, given_tags = views.given_comment(console, comment_text, comment_file)
    tag_list = views.tags_or(tags, given_tags)
    result = workflow.draft(
        paper,
        comment,
        tag_list,
        date,
        force=force,
        refresh=refresh,
        write_comment=views.comment_editor(workflow, date, tag_list),
        comment_file=comment_file,
    )
    return views.show_draft(console, result, print_entries)


@cli.command()
@click.argument("papers", nargs=-1)
@day_option("With ids: which day's drafts (default: the latest). Alone: every draft of the day.")
@click.option(
    "--pending",
    is_flag=True,
    help="Every draft, of any day (or of --date), that awaits translation.",
)
@force_option
@jobs_option("Model requests in flight at once.")
@judge_option
@print_option
@pass_app
def translate(
    app: App,
    papers: tuple[str, ...],
    date_text: str | None,
    pending: bool,
    force: bool,
    jobs: int | None,
    judge: bool,
    print_entries: bool,
) -> int:
    """Translate (again) existing drafts from their saved comments, then check them.

    Use it to finish a draft whose translation failed, after changing the glossary or
    DIGEST_MODEL, or to translate the Korean-only notes an import brought in (--pending).
    A hand-edited comment_en is kept unless --force (which keeps the replaced English in the
    draft's history). Unchanged requests are answered from the cache, so translating again
    after no change asks the model nothing. One id prints its entry; several print progress
    and a summary (the entries too with --print).

    \b
    Examples:
      digest translate 2506.18896
      digest translate --date 2025-06-24       # the whole day, after a glossary change
      digest translate --pending               # everything that awaits translation
    """
    from pipeline import views
    from pipeline.results import unfetched_error

    if papers and pending:
        raise InputError("give paper ids or --pending, not both")
    if not papers and not pending and date_text is None:
        raise InputError("give paper ids, --date D or --pending (see: digest translate --help)")
    console, workflow = app.console, app.workflow
    workflow.judge |= judge
    selected = workflow.select(
        papers,
        parse_optional_day(date_text),
        pending=pending,
        command="digest translate --date {date}",
    )
    views.show_problems(console, selected.problems)
    if not selected.entries:
        console.err("Nothing awaits translation." if pending else "Nothing to translate.")
        return int(ExitCode.BAD_INPUT) if selected.problems else 0
    console.err(
        f"Translating {len(selected.entries)} draft{'s' * (len(selected.entries) != 1)} with {app.settings.model} ..."
    )
    if len(papers) == 1:
        outcome = workflow.translate_again(selected, jobs=1, force=force)[0]
        views.show_findings(console, outcome)
        if outcome.error is not None:
            raise outcome.error
        if outcome.entry is not None and outcome.entry.awaiting_paper:
            raise unfetched_error(outcome.entry)
        views.show_entry(console, outcome.entry or selected.entries[0], print_entries)
        return outcome.exit_code
    outcomes = views.batch(
        console,
        len(selected.entries),
        lambda on_done: workflow.translate_again(selected, jobs=jobs, force=force, on_done=on_done),
    )
    worst = views.summarize(console, outcomes, print_entries)
    return max(worst, int(ExitCode.BAD_INPUT)) if selected.problems else worst


@cli.command()
@click.argument("papers", nargs=-1)
@day_option("The day to check (default: today).")
@judge_option
@pass_app
def check(app: App, papers: tuple[str, ...], date_text: str | None, judge: bool) -> int:
    """Run the checks on drafts as they are now, hand edits included.

    With ids, those drafts (the latest day of each, or --date); without, every draft of the
    day. Prints the findings of each entry and exits 1 if any has an error.

    \b
    Examples:
      digest check 2506.18896
      digest check --date 2025-06-24
    """
    from pipeline import views
    from pipeline.text import today

    date = parse_optional_day(date_text)
    app.workflow.judge |= judge
    selected = app.workflow.select(
        papers, date if papers or date else today(), command="digest check --date {date}"
    )
    code = views.show_checks(app.console, app.workflow.check(selected.entries))
    views.show_problems(app.console, selected.problems)
    return int(ExitCode.BAD_INPUT) if selected.problems else code


@cli.command()
@click.argument("paper")
@day_option("Which day's draft (default: the latest).")
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
    from pipeline import views

    writer = views.english_editor(app.console, app.workflow.recovery_dir)
    result = app.workflow.edit(paper, parse_optional_day(date_text), writer)
    return views.show_edit(app.console, result)


@cli.command()
@click.argument("paper", required=False)
@day_option("Review every entry of this day.")
@click.option(
    "--since", "since_text", metavar="YYYY-MM-DD", help="The edit rate per day from this day on."
)
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
    app: App,
    paper: str | None,
    date_text: str | None,
    since_text: str | None,
    html_file: Path | None,
    against: str,
) -> int:
    """Show what you changed in the model's English, and the edit rate.

    A word diff from machine_en to comment_en (deletions [-like this-], insertions {+like
    this+}, in color on a terminal unless NO_COLOR is set), the Korean, and the edit rate:
    the word edits that turn the model's English into yours, over the words of the longer of
    the two (punctuation is not a word). --against previous compares the current machine
    English with the one before it (after a glossary or model change). A day shows the entries
    you edited; the rest are one line per kind ("18 unedited"). --since D shows the rate per day
    from D on and the words you replace most often: is the model getting closer?

    \b
    Examples:
      digest review 2506.18896
      digest review --date 2025-06-24 --html review.html
      digest review --since 2025-06-01 --html trend.html
    """
    from pipeline import views
    from pipeline.export import check_output

    if html_file is not None:  # before the review is shown: one error line, no half of it
        check_output(html_file, app.settings)
    date, since = parse_optional_day(date_text), parse_optional_day(since_text)
    if sum(x is not None for x in (paper, date, since)) != 1:
        raise InputError("give one of: a paper id, --date D, --since D (see: digest review --help)")
    if since is not None:
        period, page = app.workflow.review_period(since)
        views.show_period(app.console, period)
    else:
        selected = app.workflow.select(
            [paper] if paper else [], date, command="digest review --date {date}"
        )
        views.show_problems(app.console, selected.problems)
        reviews, page = app.workflow.review(selected.entries, against, paper or str(date))
        views.show_reviews(app.console, reviews)
        views.show_unfetched(app.console, selected.entries)
        model_use = app.workflow.model_use(selected.entries)
        if model_use:
            app.console.out(model_use)
    if html_file is not None and app.write(html_file, page):
        app.console.err(f"Wrote {html_file}")
    return 0


@cli.command(name="eval")
@click.option(
    "--corpus",
    type=click.Path(path_type=Path),
    help="Notes with your English, one JSON object a line (default: the shipped notes of 2024).",
)
@click.option(
    "--notes",
    "notes_file",
    type=click.Path(path_type=Path),
    help="Evaluate the entries of a digest text file instead (the corpus gives the examples).",
)
@click.option(
    "--part",
    type=click.Choice(["held-out", "tuning"]),
    default="held-out",
    show_default=True,
    help="The corpus part to evaluate (arXiv months 09-12, or 01-08); the other gives examples.",
)
@click.option("--limit", type=click.IntRange(1), help="Only the first N notes.")
@click.option("--model", metavar="M", help="The model to evaluate (default: DIGEST_MODEL).")
@click.option("--judge", is_flag=True, help="Also ask the model to judge each English (MQM).")
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="Write a page of the worst cases."
)
@click.option(
    "--save", type=click.Path(path_type=Path), help="Save the results as JSON, for --compare."
)
@click.option(
    "--compare",
    nargs=2,
    type=click.Path(path_type=Path),
    metavar="A.json B.json",
    help="Compare two saved results instead of running.",
)
@jobs_option("Model requests in flight at once.")
@pass_app
def eval_cmd(
    app: App,
    corpus: Path | None,
    notes_file: Path | None,
    part: str,
    limit: int | None,
    model: str | None,
    judge: bool,
    output: Path | None,
    save: Path | None,
    compare: tuple[Path, Path] | None,
    jobs: int | None,
) -> int:
    """Measure translation quality against your own English; writes no drafts.

    Translates notes whose English you wrote, through the same prompt, examples, checks,
    repair turn, reply cache and retries as `draft`, and prints chrF and the edit rate against
    your English, repairs and failing checks, glossary terms, names and numbers kept, and
    what the run cost. By default: the held-out notes of the shipped 2024 corpus, with the
    tuning notes as examples. Running it again with nothing changed asks the model nothing.
    Ctrl-C prints what was measured so far.

    \b
    Examples:
      digest eval --limit 50
      digest eval --model qwen2.5:14b -o worst.html --save qwen.json
      digest eval --notes 2025-06-24.txt
      digest eval --compare mini.json qwen.json
    """
    from pipeline import evaluate
    from pipeline.export import check_output

    for path in (output, save):  # before the run, not after an hour of it
        if path is not None:
            check_output(path, app.settings)
    if compare:
        app.console.out(evaluate.compare_files(*compare), nl=False)
        return 0
    from pipeline.config import OPENAI_BASE_URL, require_url

    require_url(OPENAI_BASE_URL, app.settings.base_url)
    progress: list[Progress] = []

    def show(index: int, total: int, result: evaluate.NoteResult) -> None:
        if not progress:
            progress.append(app.console.progress(total))
        line = f"[{index + 1}/{total}] {evaluate.progress_line(result)}"
        progress[0].finished(index, [line])

    try:
        report = evaluate.evaluate(
            app.settings,
            app.workflow.glossary,
            corpus=corpus,
            notes=notes_file,
            part=part,
            limit=limit,
            model=model,
            judge=judge,
            jobs=jobs,
            log=app.console.err,
            on_done=show,
        )
    finally:
        if progress:
            progress[0].close()
    app.console.out(evaluate.format_report(report), nl=False)
    if output is not None and app.write(output, evaluate.render_html(report)):
        app.console.err(f"Wrote {output}")
    if save is not None and app.write(save, evaluate.results_json(report)):
        app.console.err(f"Saved the results in {save}")
    if report.stopped_by is not None:
        raise report.stopped_by  # Ctrl-C exits 130, a failing service 3, after the figures
    return 0


@cli.command(name="export")
@click.argument("date_text", metavar="DATE")
@click.option(
    "--format",
    "fmt",
    type=ExportFormat(),
    default="text",
    show_default=True,
    help="The rendering; vault writes one note per entry into the folder -o names.",
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="Write to a file (default: stdout)."
)
@click.option(
    "--force",
    is_flag=True,
    help="Export even if an entry fails its checks; write over notes edited in the vault.",
)
@pass_app
def export_cmd(app: App, date_text: str, fmt: str, output: Path | None, force: bool) -> int:
    """Export a day's digest, entries in the order they were first drafted.

    DATE is YYYY-MM-DD, today or yesterday, or a range D1..D2 (both days included; days
    without drafts are skipped). Refuses (exit 1) while an entry fails its checks, unless
    --force. --format vault writes each entry into its note of your vault (arXiv/YYMMDD
    Title.md, or where the note already is), each on its own: only the blocks the draft owns
    and that changed are replaced, every other byte of the note stays. A failing entry's note
    is held and a note you edited since is left (exit 1), unless --force.

    \b
    Examples:
      digest export 2025-06-24
      digest export 2025-06-24 --format html -o digest.html
      digest export 2025-06-01..2025-06-30 -o june.txt
      digest export today --format vault -o ~/Obsidian
    """
    from pipeline import views
    from pipeline.text import parse_dates

    dates = parse_dates(date_text)
    if output is not None:  # before any work: nothing lands on a draft, whatever the format
        from pipeline.export import check_output

        check_output(output, app.settings)
    exported = app.workflow.export(dates, fmt, force, output if fmt == "vault" else None)
    if fmt == "vault":
        return views.show_notes(app.console, exported.notes)
    if output is None:
        app.console.out(exported.text, nl=False)
    else:
        if app.write(output, exported.text):
            app.console.err(f"Wrote {exported.entries} entries to {output}")
    return 0


# How long a note must stay untouched before --watch counts it as saved: Obsidian writes a note a
# second or two after each pause in typing; a pause longer than this is taken as done (and if he
# goes on, the English of the Korean he changed is made again).
WATCH_QUIET = 3.0
# More notes than this to write at once, and sync asks first (on a terminal)
SYNC_ASK_ABOVE = 20


@cli.command()
@click.argument("vault_text", metavar="[VAULT]", required=False)
@click.option(
    "--since", "since_text", metavar="YYYY-MM-DD", help="Only notes of this day on (by name)."
)
@click.option("--watch", is_flag=True, help="Keep running: sync each note soon after it is saved.")
@click.option("--force", is_flag=True, help="Write English that fails a check too.")
@jobs_option("Model requests in flight at once.")
@judge_option
@pass_app
def sync(
    app: App,
    vault_text: str | None,
    since_text: str | None,
    watch: bool,
    force: bool,
    jobs: int | None,
    judge: bool,
) -> int:
    """Write the English into the notes of your vault that have your Korean and no English.

    VAULT is your Obsidian vault (default: DIGEST_VAULT). Every note whose first line is an
    arXiv link, with your Korean comment and no English yet, gets its English: what the note
    lacks of its paper is fetched from arXiv, the comment is translated with your glossary, your
    nearest earlier notes as examples and the paper as context, checked, and written into the
    note after the Korean, before the tags line; nothing else of the note changes. A note whose
    English fails a check gets none and is named (exit 1): fix it with `digest edit ID` (the
    next sync writes it) or in Obsidian. Notes that have English are left as they are (they
    teach the examples), but for what you changed here with `digest edit` or `digest draft`:
    that is written into them. Running it again asks no service anything and writes nothing;
    Ctrl-C keeps what is done, and the same command finishes the rest. A note saved in Obsidian while
    sync works on it is never overwritten. On a terminal, a sync that would write more than 20
    notes asks first (your older notes without English: --since leaves them be).

    \b
    Examples:
      digest sync ~/Obsidian
      digest sync --since 2025-12-01
      digest sync --watch            # syncs each note a few seconds after you save it
    """
    from pipeline import views

    vault = app.vault_folder(vault_text)
    since = parse_optional_day(since_text)
    console, workflow = app.console, app.workflow
    workflow.judge |= judge

    def translated(total: int, work: views.Work) -> list[Outcome]:
        return views.batch(console, total, work)  # a line per note, failures with their reason

    def go_on(entries: list[Entry]) -> bool:
        """Many notes at once (a first sync over years of notes, some left without English on
        purpose): on a terminal, he says whether; piped or in a script, it goes on."""
        if len(entries) <= SYNC_ASK_ABOVE or not console.stdin_isatty:
            return True
        oldest = min(PurePosixPath(e.source_file).name for e in entries)
        return console.ask(
            f"{len(entries)} notes have your Korean and no English (the oldest: {oldest}); "
            "give each its English?"
        )

    synced = workflow.sync(
        vault,
        since=since,
        force=force,
        jobs=jobs,
        batch=translated,
        progress=views.counter(console, "notes"),
        go_on=go_on,
    )
    code = views.show_sync(console, vault, synced)
    if not watch:
        return code
    from pipeline.watch import watch_notes

    ready = threading.Event()  # said once the vault is watched: a save before it is not seen

    def say_watching() -> None:
        if ready.wait():
            console.err(f"Watching {vault} for notes you save (Ctrl-C stops) ...")

    threading.Thread(target=say_watching, daemon=True).start()

    def saved(paths: list[Path]) -> None:
        try:  # the notes he saved, only (the others were synced above, or he said no)
            again = workflow.sync(
                vault, since=since, force=force, jobs=jobs, batch=translated, saved=paths
            )
        except DigestError as exc:  # a service down for a moment: say so, go on watching
            console.err(f"Error: {exc}")
            return
        views.show_synced_notes(console, again)

    watch_notes(vault, saved, quiet=WATCH_QUIET, ready=ready)
    return code


@cli.command(name="new")
@click.argument("paper")
@click.option("--vault", "vault_text", metavar="VAULT", help="Your vault (default: DIGEST_VAULT).")
@pass_app
def new_cmd(app: App, paper: str, vault_text: str | None) -> int:
    """Start a paper's note in your vault, to write your Korean in Obsidian.

    The note is made in your layout at arXiv/YYMMDD Title.md (the day of the paper's first
    version): the arXiv link, *Title* (Authors), the abstract as a quote, an empty paragraph
    for your Korean, and a tags line suggested by your similar papers. Its path is printed on
    stdout. A paper that already has a note anywhere in the vault keeps it: its path is
    printed, nothing is written. Then write your Korean and run `digest sync`.

    \b
    Examples:
      digest new 2512.24880 --vault ~/Obsidian
      open "obsidian://open?path=$(digest new 2512.24880)"
    """
    path, made = app.workflow.new_note(paper, app.vault_folder(vault_text))
    app.console.out(str(path))
    if not made:
        app.console.err(f"{paper.strip()} already has a note: {path}")
    return 0


@cli.command(name="import")
@click.argument("file", type=click.Path(path_type=Path), required=False)
@click.option(
    "--vault",
    "vault_text",
    is_flag=False,
    flag_value="",
    metavar="DIR",
    help="Import a notes vault folder instead (no DIR: the vault DIGEST_VAULT names).",
)
@click.option(
    "--since", "since_text", metavar="YYYY-MM-DD", help="With --vault: only notes from this day on."
)
@click.option("--list-skipped", is_flag=True, help="Name the files that were skipped, by reason.")
@pass_app
def import_cmd(
    app: App, file: Path | None, vault_text: str | None, since_text: str | None, list_skipped: bool
) -> int:
    """Import history: a digest in the text format, or the notes vault, into drafts.

    A text digest keeps its days and order. It carries no arXiv id, so an entry's id is derived
    from its title: a slug of its first words and 8 hex digits of the title's SHA-256.

    A vault is a folder of Markdown notes, one per paper, named `YYMMDD Title.md`: an arXiv URL
    on the first line (after any front matter), `*Title* (Authors)`, the abstract as a `>`
    quote, the Korean comment, the English (an <english> block or plain paragraphs), a #tags
    line. Notes without a link on their first line, a date or a Korean comment are skipped
    with the reason; so are files that are no regular file. A note edited since its import is
    updated, unless its draft was edited here.

    Importing the same file or vault again changes nothing. Imported English is the author's
    own: it is checked, never re-translated unless you run `digest translate`.

    \b
    Examples:
      digest import 2025-06-24.txt
      digest import --vault ~/Obsidian/arXiv --since 2024-01-01 --list-skipped
      digest import --vault            # the vault DIGEST_VAULT names
    """
    from pipeline import views

    vault = None if vault_text is None else app.vault_folder(vault_text)
    if (file is None) == (vault is None):
        raise InputError("give a digest FILE or --vault DIR (see: digest import --help)")
    if since_text and vault is None:
        raise InputError("--since goes with --vault")
    console, workflow = app.console, app.workflow
    if vault is not None:
        progress = views.counter(console, "notes")
        summary = workflow.import_vault(vault, parse_optional_day(since_text), progress)
    else:
        assert file is not None
        summary = workflow.import_digest(file)
    for note in summary.notes:
        console.err(f"Note: {note}")
    for problem in summary.broken:
        console.err(f"Error: {problem}")
    console.err(f"{vault or file}: {summary.line()}")
    if list_skipped:
        for reason, names in sorted(summary.skipped.items()):
            for name in names:
                console.err(f"  skipped ({reason}): {name}")
    return int(ExitCode.BAD_INPUT) if summary.broken else 0  # the rest imported all the same


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
    from pipeline import views

    views.show_tags(app.console, app.workflow.tag_counts(), show_all)
    return 0


@cli.command()
@pass_app
def doctor(app: App) -> int:
    """Check that everything a draft needs is in place, and say what to fix.

    Loads the glossary, reads every draft, checks that the drafts and cache folders take
    writes, asks arXiv about one paper and asks the model server which models it serves
    (no translation, nothing is spent; a server without a model list is asked whether it has
    the chat completions endpoint). Exits 2 for a set-up problem, 3 for a service.

    \b
    Example:
      digest doctor
    """
    from pipeline.doctor import Probe, run_probes

    def show(probe: Probe) -> None:
        line = f"{probe.name:<9} {'ok  ' if probe.ok else 'FAIL'}  {probe.detail}"
        app.console.out(redact(line))

    probes = run_probes(app.settings, show)
    failed = [p for p in probes if not p.ok]
    app.console.err("All good." if not failed else f"{len(failed)} of {len(probes)} failed.")
    return max((p.exit_code for p in failed), default=0)


@cli.group(invoke_without_command=True)
@click.pass_context
def glossary(ctx: click.Context) -> None:
    """Work with the terminology glossary (glossary.yaml).

    \b
    Example:
      digest glossary suggest
    """
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


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
    app.console.out(app.workflow.glossary_suggestions(min_notes), nl=False)
    return 0


# -- entry point --------------------------------------------------------------------------------
def _debug(argv: Sequence[str]) -> bool:
    return "--debug" in argv or flag(os.environ, DIGEST_DEBUG)


def _error(console: Console, message: str) -> None:
    for line in message.splitlines() or [""]:
        console.err(f"Error: {line}")


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, with the command that finishes what the run left (the contract's exit 130)."""

    def __init__(self, resume: str) -> None:
        super().__init__(resume)
        self.resume = resume


def run(argv: Sequence[str], console: Console) -> int:
    """Run one command line and return its exit code; errors are lines on the console."""
    app = App(console)
    try:
        result = cli.main(args=list(argv), prog_name="digest", standalone_mode=False, obj=app)
    except (KeyboardInterrupt, click.exceptions.Abort) as exc:  # click turns Ctrl-C into Abort
        # what finishes the rest: what the workflow knows (a draft's comment is saved: translate
        # it), else the same command again (every command resumes where it stopped)
        known = app._workflow.resume if app._workflow is not None else None
        raise Interrupted(known or shlex.join(["digest", *argv])) from exc
    except RuntimeError as exc:
        # Ctrl-C landing in a class being made while a module loads comes out of Python as
        # "RuntimeError: Error calling __set_name__ …" caused by the KeyboardInterrupt
        if not _caused_by_ctrl_c(exc):
            raise
        known = app._workflow.resume if app._workflow is not None else None
        raise Interrupted(known or shlex.join(["digest", *argv])) from exc
    except DigestError as exc:
        if _debug(argv):
            raise
        _error(console, str(exc))
        return int(exc.exit_code)
    except click.ClickException as exc:
        _error(console, exc.format_message())
        return int(ExitCode.BAD_INPUT)
    except OSError as exc:  # a file or folder the environment names, not usable as it is
        if _debug(argv):
            raise
        _error(console, f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
        return int(ExitCode.BAD_INPUT)
    return result if isinstance(result, int) else 0


def _caused_by_ctrl_c(exc: BaseException) -> bool:
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


# An interrupt that lands in a finalizer or in an import's lock callback is swallowed by Python
# ("Exception ignored in ..."), and the command would go on as if no Ctrl-C came: past this many
# seconds after a Ctrl-C the process ends all the same (drafts are written atomically).
INTERRUPT_GRACE = 10.0


def _interrupt_handler(args: Sequence[str]) -> Callable[[int, FrameType | None], None]:
    armed: list[threading.Timer] = []

    resume = shlex.join(["digest", *args])

    def leave() -> None:
        message = (
            f"Error: interrupted; what was saved so far is intact; to finish the rest: {resume}\n"
        )
        os.write(2, message.encode("utf-8", "replace"))
        os._exit(int(ExitCode.INTERRUPTED))

    def interrupted(signum: int, frame: FrameType | None) -> None:
        """Ctrl-C is KeyboardInterrupt: commands finish what must be finished (a report, an
        editor) and it ends in main, naming what is saved; the watchdog makes sure it ends."""
        if frame is not None and frame.f_code.co_filename.startswith("<frozen importlib"):
            # inside Python's import machinery an interrupt is swallowed (and printed as a
            # traceback) or wrapped; nothing of his is being written there: leave now
            leave()
        if not armed:
            timer = threading.Timer(INTERRUPT_GRACE, leave)
            timer.daemon = True
            timer.start()
            armed.append(timer)
        raise KeyboardInterrupt

    return interrupted


def main(argv: list[str] | None = None) -> None:
    take_ctrl_c_at_start()  # already done when started as `digest` or `python -m pipeline`
    console = Console.from_system()
    args = sys.argv[1:] if argv is None else argv
    try:
        if signal.getsignal(signal.SIGINT) is interrupted_at_start:
            # from here Ctrl-C is KeyboardInterrupt: commands finish what must be finished
            # (a report, an editor) and it ends below, naming what is saved
            signal.signal(signal.SIGINT, _interrupt_handler(args))
        code = run(args, console)
    except (KeyboardInterrupt, click.exceptions.Abort) as exc:
        if _debug(args):
            raise
        resume = exc.resume if isinstance(exc, Interrupted) else shlex.join(["digest", *args])
        console.end_status()  # a progress bar's line is ended first
        _error(
            console, f"interrupted; what was saved so far is intact; to finish the rest: {resume}"
        )
        # Worker threads may be waiting on a slow reply; drafts are written atomically, so
        # leaving now loses nothing and does not make the author wait for the timeout.
        os._exit(int(ExitCode.INTERRUPTED))
    sys.exit(code)
