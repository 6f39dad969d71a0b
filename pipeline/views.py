"""How results look on the terminal, and the two places the author types: the editor and stdin.

The commands in cli.py call the workflow and hand its results to these functions; nothing here
decides what happens to a draft.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.console import Console, Progress
from pipeline.errors import ExitCode

if TYPE_CHECKING:
    from pipeline.entry import Entry
    from pipeline.results import DraftResult, EditResult, Outcome
    from pipeline.review import PeriodReview, Review
    from pipeline.syncing import Synced
    from pipeline.vault import NoteResult
    from pipeline.workflow import Workflow


def entry_text(entry: Entry) -> str:
    from pipeline.digest import render_entry
    from pipeline.export import text_entry

    return render_entry(text_entry(entry))


def entry_brief(entry: Entry) -> str:
    """What a person reads after drafting one paper: the title, the two comments, the tags."""
    from pipeline.digest import collapse, one_line

    lines = [collapse(entry.title) or entry.id, one_line(entry.comment_ko)]
    if entry.comment_en.strip():
        lines.append(one_line(entry.comment_en))
    if entry.tags:
        lines.append(" ".join(f"#{tag}" for tag in entry.tags))
    return "\n".join(lines) + "\n"


def show_entry(console: Console, entry: Entry, whole: bool) -> None:
    """One entry on stdout: the whole entry in the digest text format for a pipe or a file (the
    contract's output), or with --print; on a terminal only what the author reads (the authors
    and a 10-line abstract would push his English off the screen)."""
    whole = whole or not console.stdout_isatty
    console.out(entry_text(entry) if whole else entry_brief(entry), nl=False)


def show_findings(console: Console, outcome: Outcome) -> None:
    """Notes and findings of one entry, on stderr."""
    for note in outcome.notes:
        console.err(f"Note: {note}")
    if outcome.entry is not None:
        for finding in outcome.entry.checks:
            console.err(f"  {finding}")


def show_draft(console: Console, result: DraftResult, whole: bool = False) -> int:
    from pipeline.results import RunResult

    entry, outcome = result.entry, result.outcome
    if outcome.result is RunResult.UNCHANGED:
        console.err(f"{entry.id}: the comment is unchanged; nothing to do ({entry.status})")
    show_findings(console, outcome)
    show_entry(console, entry, whole)
    if entry.errors:
        console.err(
            f"{entry.id}: needs review: fix the English with `digest edit {entry.id}` "
            f"(or edit comment_en in {result.path}, then run `digest check {entry.id}`)"
        )
    return outcome.exit_code


Work = Callable[[Callable[[int, "Outcome"], None]], list["Outcome"]]


def batch(console: Console, total: int, work: Work) -> list[Outcome]:
    """Run `work(on_done)` with a progress line per entry, in input order, and a bar."""
    progress = console.progress(total)

    def on_done(index: int, outcome: Outcome) -> None:
        lines = [f"[{index + 1}/{total}] {outcome.entry_id}: {outcome.label}"]
        lines += [f"  Note: {note}" for note in outcome.notes]
        if outcome.entry is not None:  # the errors, and a comment that is not Korean
            lines += [
                f"  {f}"
                for f in outcome.entry.checks
                if (f.is_error or f.check == "korean") and f.check != "paper"  # in the label
            ]
        progress.finished(index, lines)

    try:
        return work(on_done)
    finally:
        progress.close()


def counter(console: Console, noun: str) -> Callable[[int, int], None]:
    """Progress of a long count (notes of a vault): a bar on a terminal, a line now and then."""
    progress: list[object] = []

    def tick(done: int, total: int) -> None:
        if not progress:
            progress.append(console.progress(total))
        bar = progress[0]
        assert isinstance(bar, Progress)
        lines = [f"  {done}/{total} {noun}"] if done == total or done % 500 == 0 else []
        bar.finished(done - 1, lines)
        if done == total:
            bar.close()

    return tick


def summarize(
    console: Console, outcomes: Sequence[Outcome], print_entries: bool, resume: str | None = None
) -> int:
    """The entries (with --print), one summary line and the ids to act on; the worst exit code.
    `resume`: the command that fills in the papers arXiv did not give (default: one per entry)."""
    from pipeline.results import fix_command, worst_exit

    if print_entries:
        for outcome in outcomes:
            if outcome.entry is not None and outcome.error is None and outcome.entry.title:
                console.out(entry_text(outcome.entry), nl=False)
    from pipeline.entry import READY
    from pipeline.errors import InputError

    done = [o.entry for o in outcomes if o.error is None and o.entry is not None]
    ready = [e.id for e in done if e.status == READY]
    unfetched = [e for e in done if e.awaiting_paper]
    review = [e.id for e in done if e.errors and not e.awaiting_paper]
    failed = [o for o in outcomes if o.error is not None]
    waiting = len(done) - len(ready) - len(review) - len(unfetched)  # a comment changed meanwhile
    console.err(
        f"Summary: {len(ready)} ready, {len(review)} need review, {len(failed)} failed"
        + (f", {waiting} await translation" if waiting else "")
        + (f", {len(unfetched)} wait for their paper" if unfetched else "")
    )
    if review:
        console.err("  needs review: " + " ".join(review) + " (fix each with: digest edit ID)")
    if unfetched:
        saved = "and their English are" if all(e.comment_en for e in unfetched) else "are"
        command = resume or "; ".join(fix_command(e) for e in unfetched[:3]) + (
            "; ..." if len(unfetched) > 3 else ""
        )
        console.err(
            "  waiting for their paper: "
            + " ".join(e.id for e in unfetched)
            + f" (arXiv gave no paper; the comments {saved} saved: run `{command}` "
            "when arXiv answers)"
        )
    # a service that failed is asked again by the same command; an id arXiv does not know, or
    # any other bad input, fails the same way again until it is fixed
    retry = [o.entry_id for o in failed if not isinstance(o.error, InputError)]
    fix = [o.entry_id for o in failed if isinstance(o.error, InputError)]
    if retry:
        console.err("  failed: " + " ".join(retry) + " (run the same command again to retry them)")
    if fix:
        console.err("  failed: " + " ".join(fix) + " (fix each as its error above says)")
    return worst_exit(outcomes)


def show_problems(console: Console, problems: Iterable[Exception]) -> None:
    for problem in problems:
        console.err(f"Error: {problem}")


def show_checks(console: Console, entries: list[Entry]) -> int:
    from pipeline.results import fix_command

    failing = [e for e in entries if e.errors]
    for entry in entries:
        state = "waits for its paper" if entry.awaiting_paper else entry.status
        console.out(f"{entry.id} ({entry.date}): {state}")
        for finding in entry.checks:
            console.out(f"  {finding}")
    console.err(f"{len(entries) - len(failing)} of {len(entries)} pass")
    if failing:
        hints = "; ".join(fix_command(e) for e in failing[:3])
        console.err(f"Fix: {hints}{'; ...' if len(failing) > 3 else ''}")
    return int(ExitCode.CHECK_FAILED) if failing else 0


def show_edit(console: Console, result: EditResult) -> int:
    from pipeline.review import edit_rate

    entry = result.entry
    if result.changed:
        console.err(f"Saved comment_en in {result.path}")
    else:
        console.err(f"{entry.id}: the English is unchanged")
    console.out(f"{entry.id} ({entry.date}): {entry.status}")
    for finding in entry.checks:
        console.out(f"  {finding}")
    if entry.machine_en:
        console.out(f"Edit rate: {edit_rate(entry.machine_en, entry.comment_en)}")
    return int(ExitCode.CHECK_FAILED) if entry.errors else 0


def show_unfetched(console: Console, entries: Iterable[Entry]) -> None:
    """A line for each entry that waits for its paper (it cannot be exported yet)."""
    from pipeline.results import fix_command

    for entry in entries:
        if entry.awaiting_paper:
            console.err(
                f"{entry.id} ({entry.date}): waits for its paper from arXiv, so it cannot be "
                f"exported yet: run `{fix_command(entry)}` when arXiv answers"
            )


def show_reviews(console: Console, reviews: list[Review]) -> None:
    """Edited entries whole, the rest one line per kind (the definition of the rate is in
    `digest review --help` and on the page, not repeated on every run)."""
    from pipeline.review import format_reviews

    console.out(format_reviews(reviews, console.color), nl=False, styled=console.color)


def show_period(console: Console, period: PeriodReview) -> None:
    from pipeline.review import format_period

    if not period.days:
        console.err(f"No drafts with machine English since {period.since}.")
    console.out(format_period(period), nl=False)


def show_tags(console: Console, vocab: Counter[str], show_all: bool) -> None:
    from pipeline.tags import near_duplicates

    shown = [
        (t, n) for t, n in sorted(vocab.items(), key=lambda i: (-i[1], i[0])) if show_all or n > 1
    ]
    width = max((len(t) for t, _ in shown), default=0)
    for tag, count in shown:
        console.out(f"#{tag:<{width}}  {count}")
    hidden = len(vocab) - len(shown)
    if hidden:
        console.out(f"(and {hidden} tag{'s' * (hidden != 1)} used once: digest tags --all)")
    pairs = near_duplicates(vocab)
    if pairs:
        console.out("\nNear-duplicates (decide which to keep):")
        for a, b, distance in pairs:
            apart = f"{distance} edit{'s' * (distance != 1)} apart"
            console.out(f"  #{a} ({vocab[a]}) / #{b} ({vocab[b]}): {apart}")


def show_notes(console: Console, results: list[NoteResult]) -> int:
    """What a vault export did to each note; exit 1 when a note was left for the author, the
    failure's own code when one could not be written."""
    from pipeline.vault import NoteStatus, notes_summary

    for result in results:
        console.err(result.line())
    console.err(notes_summary(results))
    failed = [r.error for r in results if r.error is not None]
    if failed:
        return int(failed[0].exit_code)
    left = any(r.status in (NoteStatus.LEFT, NoteStatus.HELD) for r in results)
    return int(ExitCode.CHECK_FAILED) if left else 0


def show_sync(console: Console, vault: Path, synced: Synced) -> int:
    """What a sync did: each note written or held, and one line for the whole; the worst exit
    code of the translations and the notes."""
    from pipeline.results import worst_exit

    if synced.paper_problem:
        console.err(f"Warning: arXiv gave no paper ({synced.paper_problem}); translated without it")
    show_synced_notes(console, synced)
    written = sum(r.in_sync for r in synced.notes)
    left = len(synced.notes) - written
    tail = (
        f"English written into {written} note{'s' * (written != 1)}"
        + (f", {left} not (above)" if left else "")
        if synced.notes or synced.outcomes
        else "nothing to write"
    )
    if synced.declined:
        tail = (
            f"nothing written ({synced.declined} notes await; --since DATE syncs only the recent)"
        )
    console.err(f"{vault}: {synced.imported}; {tail}")
    codes = [worst_exit(synced.outcomes)]
    codes += [int(r.error.exit_code) for r in synced.notes if r.error is not None]
    if left:
        codes.append(int(ExitCode.CHECK_FAILED))
    if synced.import_notes:  # a note and its draft that disagree: he decides
        codes.append(int(ExitCode.CHECK_FAILED))
    if synced.broken:  # a draft broken by hand: its paper waits until it is fixed
        codes.append(int(ExitCode.BAD_INPUT))
    return max(codes)


def show_synced_notes(console: Console, synced: Synced) -> None:
    """What the import noticed (a note and its draft both changed), and one line per note
    written or held (the translations have their own progress lines)."""
    for note in synced.import_notes:
        console.err(f"Note: {note}")
    for problem in synced.broken:
        console.err(f"Error: {problem}")
    for result in synced.notes:
        console.err(result.line())


# -- where the author types ---------------------------------------------------------------------
def given_comment(
    console: Console, comment_text: str | None, comment_file: Path | None
) -> tuple[str | None, list[str] | None]:
    """The comment (and tags) from --comment, --comment-file or piped stdin; None: none given."""
    from pipeline.comment import MAX_INPUT_CHARS, clean_comment, parse_edited, read_text_file

    if comment_text is not None:
        return clean_comment(comment_text), None
    if comment_file is not None:
        return parse_edited(read_text_file(comment_file, "comment file", limit=MAX_INPUT_CHARS))
    if not console.stdin_isatty:
        return parse_edited(console.read_stdin())
    return None, None


def tags_or(tags_text: str | None, given: list[str] | None) -> list[str] | None:
    """--tags when given, else the tags line that came with the comment."""
    from pipeline.text import parse_tags

    return parse_tags(tags_text) if tags_text is not None else given


def comment_editor(
    workflow: Workflow, date: str | None, tags: list[str] | None
) -> Callable[[Entry], tuple[str, list[str] | None]]:
    """Open $EDITOR on the paper (and any comment saved before) for the Korean comment."""
    from pipeline.comment import editor_template, run_editor

    def write(entry: Entry) -> tuple[str, list[str] | None]:
        template = editor_template(
            entry.id,
            entry.title,
            entry.authors,
            entry.abstract,
            entry.comment_ko,
            tags if tags is not None else entry.tags,
            workflow.suggested_tags(entry),
        )
        when = f" --date {date or entry.date}"
        return run_editor(
            template,
            retry_with=f"run: digest draft {entry.id}{when} --comment-file {{path}}",
            keep_in=workflow.recovery_dir,
        )

    return write


def english_editor(
    console: Console, keep_in: Path | None = None
) -> Callable[[Entry], tuple[str, list[str] | None]]:
    """The new published English: $EDITOR on a terminal, else stdin. Text that cannot be taken
    is kept in `keep_in`."""
    from pipeline.comment import english_template, parse_edited, run_editor

    def write(entry: Entry) -> tuple[str, list[str] | None]:
        if not console.stdin_isatty:
            return parse_edited(console.read_stdin())
        return run_editor(
            english_template(entry),
            what="English",
            retry_with=f"run: digest edit {entry.id} --date {entry.date} < {{path}}",
            keep_in=keep_in,
        )

    return write
