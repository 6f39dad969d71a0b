"""The translation core: a comment's English made, checked, judged and repaired, with no store.

`draft`, `translate` and `eval` all translate through `translate_checked`, so that what `eval`
measures is what a draft gets: the same prompt (the paper as context, his nearest earlier pairs
as examples, the glossary's terms), the same checks, the same repair turn and the same judge.
`recheck` is the one place a draft's checks and status are set from its English as it is now.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pipeline.check import NO_HISTORY, AcronymUsage, needs_repair, problems_for_repair, run_checks
from pipeline.entry import (
    AWAITING,
    EARLIER_ENGLISH,
    ERROR,
    NEEDS_REVIEW,
    READY,
    WARNING,
    Entry,
    Finding,
)
from pipeline.errors import DigestError
from pipeline.examples import Example
from pipeline.glossary import Glossary
from pipeline.judge import is_unreadable, judge_messages, parse_judgement
from pipeline.model import Model
from pipeline.translate import (
    PaperContext,
    Reply,
    Translation,
    build_messages,
    context_block,
)
from pipeline.usage import Usage

Log = Callable[[str], None]


def recheck(entry: Entry, glossary: Glossary, usage: AcronymUsage = NO_HISTORY) -> list[Finding]:
    """Check the published English as it is now and set the status from the result."""
    checks = run_checks(entry.comment_ko, entry.comment_en, glossary, usage)
    if entry.judge and entry.judged == entry.comment_en:
        checks += entry.judge  # the model's review holds while the English is the one it judged
    if entry.awaiting_paper:
        checks.append(
            Finding(
                "paper",
                ERROR,
                "the paper's title and abstract are not fetched yet: run "
                f"`digest draft {entry.id} --date {entry.date}` when arXiv answers",
            )
        )
    if entry.extra.get(EARLIER_ENGLISH) and entry.comment_en.strip():
        checks.append(
            Finding(
                "pair",
                ERROR,
                "the English is yours, of the comment before this one: "
                f"`digest translate {entry.id} --force` makes it anew (yours stays in the "
                f"history), `digest edit {entry.id}` keeps it",
            )
        )
    entry.checks = checks
    if not entry.comment_en.strip() and not entry.machine_en:
        entry.status = AWAITING
    else:
        entry.status = NEEDS_REVIEW if any(f.is_error for f in checks) else READY
    return entry.checks


@dataclass
class Translated:
    """The English for a comment and how it was made: every attempt, and the last checks."""

    english: str
    model: str
    findings: list[Finding]
    cleanup: list[str] = field(default_factory=list)
    attempts: list[dict[str, object]] = field(default_factory=list)  # when a check sent one back
    requests: int = 0  # model requests this translation cost (the cache answers for free)
    usage: Usage = Usage()  # their tokens
    judged: list[Finding] = field(default_factory=list)  # the judge's findings, with --judge
    judge_read: bool = False  # the judge answered something readable about this English

    @property
    def repairs(self) -> int:
        return max(0, len(self.attempts) - 1)

    @property
    def tokens(self) -> int:
        return self.usage.total


@dataclass
class Judgement:
    findings: list[Finding]
    reply: Reply | None = None  # None: the judge did not answer
    read: bool = True  # False: no judgement came of it (no answer, or one that cannot be read)


def judge_english(
    translator: Model, comment_ko: str, english: str, paper: PaperContext | None
) -> Judgement:
    """The model's fidelity review of an English (cached like a translation). A judge that fails
    or answers nonsense is one warning: it never blocks and never loses anything, and it is not
    recorded as a judgement, so that the next `check --judge` asks again."""
    context = context_block(paper) if paper is not None else ""
    try:
        reply = translator.complete(judge_messages(comment_ko, english, context), judge=True)
    except DigestError as exc:
        return Judgement(
            [Finding("judge", WARNING, f"the judge did not answer ({exc})")], read=False
        )
    findings = parse_judgement(reply.content, comment_ko, english)
    return Judgement(findings, reply, read=not is_unreadable(findings))


# Past this, a reply is not a comment's English (it fails the length check); the draft keeps
# the start of it, not a megabyte.
MAX_STORED_REPLY = 20_000


def translate_checked(
    comment_ko: str,
    glossary: Glossary,
    translator: Model,
    examples: Sequence[Example] = (),
    repairs: int = 1,
    log: Log = lambda message: None,
    label: str = "",
    paper: PaperContext | None = None,
    judge: bool = False,
    usage: AcronymUsage = NO_HISTORY,
) -> Translated:
    """Translate, check (and with `judge`, have the model review the English when the surface
    checks pass), and ask the model again while an error remains (up to `repairs` times), or
    once for a glossary rendering it missed. The attempt with the fewest errors is kept, then the
    one missing fewest renderings."""
    matches = glossary.find(comment_ko)
    spent = {"requests": 0}
    used = [Usage()]

    def charge(reply: Reply | Translation | None) -> None:
        if reply is not None:
            spent["requests"] += not reply.from_cache
            used[0] += reply.usage

    def attempt(repair: tuple[str, list[str]] | None) -> Translated:
        messages = build_messages(comment_ko, matches, examples, repair, paper)
        reply = translator.translate(comment_ko, messages)
        charge(reply)
        english, cleanup = reply.text, reply.removed
        if len(english) > MAX_STORED_REPLY:
            cleanup = [*cleanup, f"the reply was {len(english):,} characters; kept the start"]
        findings = run_checks(comment_ko, english, glossary, usage)
        judgement = None
        if judge and not any(f.is_error for f in findings):
            judgement = judge_english(translator, comment_ko, english, paper)
            charge(judgement.reply)
        english = english[:MAX_STORED_REPLY]
        judged = judgement.findings if judgement else []
        made = Translated(english, reply.model, findings + judged, cleanup, judged=judged)
        made.judge_read = judgement is not None and judgement.read
        return made

    def rank(made: Translated) -> tuple[int, int]:
        return (
            sum(f.is_error for f in made.findings),
            sum(f.check == "glossary" for f in made.findings),
        )

    best = attempt(None)
    tries = [best]
    # errors are repaired up to `repairs` times; a missed rendering alone, once
    while (
        needs_repair(best.findings)
        and len(tries) <= repairs
        and (rank(best)[0] > 0 or len(tries) == 1)
    ):
        problems = problems_for_repair(best.findings)
        log(f"{label or 'the comment'}: asking the model again ({'; '.join(problems)})")
        candidate = attempt((best.english, problems))
        tries.append(candidate)
        if rank(candidate) < rank(best):
            best = candidate
    if len(tries) > 1:
        best.attempts = [
            {"english": t.english, "errors": [str(f) for f in t.findings if f.is_error]}
            for t in tries
        ]
    best.requests, best.usage = spent["requests"], used[0]
    return best
