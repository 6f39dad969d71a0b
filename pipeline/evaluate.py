"""`digest eval`: translation quality measured against the author's own English.

Notes whose English he wrote are translated through the very steps of `draft`
(translation.translate_checked: the prompt with the paper as context, his nearest earlier pairs, the
checks and the repair turn; the shared Translator with its reply cache and retry layer; and
run_parallel), and nothing is written to the drafts. The nearest examples come only from notes
that are not evaluated, so a note never sees its own English. What is measured is an EvalReport;
format_report, render_html, results_json and compare turn reports into text.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline.check import mentions, run_checks
from pipeline.comment import MAX_DOCUMENT_CHARS, read_text_file
from pipeline.concurrency import MAX_IN_FLIGHT, run_parallel
from pipeline.config import Settings
from pipeline.digest import DigestParseError, parse_digest
from pipeline.entry import Finding, Severity
from pipeline.errors import InputError, ServiceError
from pipeline.examples import Example
from pipeline.glossary import Glossary, Match, distinct_terms
from pipeline.history import History
from pipeline.page import render_page
from pipeline.text import has_hangul, parse_id
from pipeline.translate import (
    MAX_EXAMPLES,
    SYSTEM_PROMPT,
    PaperContext,
    Translator,
    context_block,
)
from pipeline.translation import Log, translate_checked
from pipeline.usage import Usage, cost_text, load_prices
from pipeline.yamlio import load_json

# The author's notes that ship with the repository (an editable install finds them beside the
# package): the default corpus.
DEFAULT_CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "notes-2024.jsonl"
HELD_OUT, TUNING = "held-out", "tuning"
WORST_SHOWN = 20  # cases on the HTML page
RESULTS_KIND = "digest-eval"
_JUDGED = re.compile(r"^(minor|major|critical) ([a-z]+)")


@dataclass(frozen=True)
class Note:
    """A comment of the author's with the English he wrote for it: the reference."""

    id: str
    title: str
    abstract: str
    comment_ko: str
    comment_en: str


# -- the notes ------------------------------------------------------------------------------------
def has_english(comment_ko: str, comment_en: str) -> bool:
    """A Korean comment with English of the author's for it (some vault notes hold only tags or
    links where the English should be: nothing to compare)."""
    english = comment_en.strip()
    return (
        has_hangul(comment_ko)
        and bool(english)
        and not english.startswith("#")
        and not has_hangul(english)
    )


def part_of(note_id: str) -> str:
    """held-out: papers of arXiv months 09-12 (2409-2412 in the shipped notes); tuning: the rest,
    notes without an arXiv id too. Tune on the first part, measure on the second: what is
    measured was not looked at while tuning."""
    try:
        base = parse_id(note_id).base
    except InputError:
        return TUNING
    month = int(base.rsplit("/", 1)[-1][2:4])  # 2409.01234, hep-th/9910001
    return HELD_OUT if 9 <= month <= 12 else TUNING


def load_corpus(path: Path) -> list[Note]:
    """A JSON Lines corpus (the keys of notes-2024.jsonl); a bad line is an error naming it."""
    notes = []
    # JSON Lines are split at newlines only: U+2028 and U+0085 may stand inside a string
    for number, line in enumerate(
        read_text_file(path, "corpus", limit=MAX_DOCUMENT_CHARS).split("\n"), 1
    ):
        if not line.strip():
            continue
        try:
            record = load_json(line)
        except ValueError as exc:
            raise InputError(f"{path}:{number}: not a JSON object ({exc})") from None
        wanted = ("id", "comment_ko", "comment_en")
        if not isinstance(record, dict) or not all(isinstance(record.get(k), str) for k in wanted):
            raise InputError(
                f"{path}:{number}: a corpus line is a JSON object with id, title, authors, "
                "abstract, comment_ko, comment_en and tags"
            )
        notes.append(
            Note(
                record["id"],
                str(record.get("title") or ""),
                str(record.get("abstract") or ""),
                record["comment_ko"],
                record["comment_en"],
            )
        )
    return notes


def load_digest_notes(path: Path) -> list[Note]:
    """The entries of a digest text file (tests/data/format.md), each with his English."""
    from pipeline.importer import title_id

    try:
        days = parse_digest(read_text_file(path, "notes file", limit=MAX_DOCUMENT_CHARS))
    except DigestParseError as exc:
        raise exc.naming(str(path)) from None
    return [
        Note(title_id(e.title), e.title, e.abstract, e.comment_ko, e.comment_en)
        for day in days
        for e in day.entries
    ]


def once_each(notes: Sequence[Note], name: str, log: Log) -> list[Note]:
    """Each id once (the first time it appears): a note given twice would be measured twice and
    weigh twice in every figure. The repeated ids are named in one line."""
    kept: dict[str, Note] = {}
    repeated: Counter[str] = Counter()
    for note in notes:
        if note.id in kept:
            repeated[note.id] += 1
        else:
            kept[note.id] = note
    if repeated:
        shown = ", ".join(f"{i} ({n + 1} times)" for i, n in list(repeated.items())[:5])
        more = f" and {len(repeated) - 5} more" if len(repeated) > 5 else ""
        log(
            f"Warning: {name}: {len(repeated)} id(s) appear more than once: {shown}{more}; "
            "each is measured once, as it first appears"
        )
    return list(kept.values())


@dataclass(frozen=True)
class Selection:
    """The notes to translate, the notes whose pairs may serve as examples, and what they are."""

    evaluated: list[Note]
    examples: list[Note]
    source: str


def select_part(notes: Sequence[Note], part: str, limit: int | None, name: str) -> Selection:
    """One part of a corpus (the first `limit` of it), the other part for the examples.

    The examples never depend on `limit`, so a run with --limit 50 and a full run send the
    same requests for their common notes (the cache answers them)."""
    usable = [n for n in notes if has_english(n.comment_ko, n.comment_en)]
    part_notes = [n for n in usable if part_of(n.id) == part]
    evaluated = part_notes[:limit] if limit else part_notes
    shown = f"{len(evaluated)} of {len(part_notes)}" if len(evaluated) < len(part_notes) else ""
    source = f"{shown or len(evaluated)} {part} notes of {name}"
    return Selection(evaluated, [n for n in usable if part_of(n.id) != part], source)


def select_file(
    notes: Sequence[Note], corpus: Sequence[Note], limit: int | None, name: str
) -> Selection:
    """The notes of a digest file; the corpus gives the examples, minus any note evaluated."""
    usable = [n for n in notes if has_english(n.comment_ko, n.comment_en)]
    evaluated = usable[:limit] if limit else usable
    korean = {" ".join(n.comment_ko.split()) for n in evaluated}
    examples = [
        n
        for n in corpus
        if has_english(n.comment_ko, n.comment_en) and " ".join(n.comment_ko.split()) not in korean
    ]
    return Selection(evaluated, examples, f"{len(evaluated)} notes of {name}")


# -- measuring one note ---------------------------------------------------------------------------
@dataclass
class TermUse:
    """How an English renders the glossary terms of its Korean (each distinct term once)."""

    terms: int = 0
    listed: int = 0  # rendered as one of the glossary's renderings
    preferred: int = 0  # in the first, preferred rendering
    strict: int = 0
    strict_listed: int = 0

    def __add__(self, other: TermUse) -> TermUse:
        return TermUse(
            self.terms + other.terms,
            self.listed + other.listed,
            self.preferred + other.preferred,
            self.strict + other.strict,
            self.strict_listed + other.strict_listed,
        )


def term_use(matches: list[Match], keep: Iterable[str], english: str) -> TermUse:
    use = TermUse()
    kept = set(keep)
    for match in distinct_terms(matches):
        term = match.term
        if term.source in kept:
            continue  # a `keep` word is a name, counted with the names
        listed = any(mentions(english, r) for r in term.renderings)
        strict = term.strict
        use.terms += 1
        use.listed += listed
        use.preferred += mentions(english, term.preferred)
        use.strict += strict
        use.strict_listed += strict and listed
    return use


@dataclass
class NoteResult:
    """One note translated and measured against his English."""

    id: str
    korean: str
    reference: str  # his English
    english: str  # the model's
    findings: list[Finding]
    repairs: int = 0
    requests: int = 0  # sent for this note (0: all answered by the cache)
    tokens: int = 0
    usage: Usage = Usage()  # the tokens by kind (prompt, cached, completion, reasoning)
    chrf: float = 0.0  # sentence-level, for ranking the worst cases
    edits: int = 0
    words: int = 0
    terms: TermUse = field(default_factory=TermUse)
    his_terms: TermUse = field(default_factory=TermUse)
    his_errors: list[str] = field(default_factory=list)  # checks his own English fails

    @property
    def errors(self) -> list[str]:
        """The checks the model's English still fails, each once."""
        return list(dict.fromkeys(f.check for f in self.findings if f.is_error))

    @property
    def warnings(self) -> list[str]:
        return list(dict.fromkeys(f.check for f in self.findings if not f.is_error))


def measure(note: Note, english: str, findings: list[Finding], glossary: Glossary) -> NoteResult:
    """Score one translation against his English (requests, tokens and repairs set by the caller)."""
    from sacrebleu.metrics import CHRF

    from pipeline.review import edit_rate

    rate = edit_rate(english, note.comment_en)
    matches = glossary.find(note.comment_ko)
    his_findings = run_checks(note.comment_ko, note.comment_en, glossary)
    return NoteResult(
        id=note.id,
        korean=note.comment_ko,
        reference=note.comment_en,
        english=english,
        findings=findings,
        chrf=CHRF().sentence_score(english, [note.comment_en]).score,
        edits=rate.edits,
        words=rate.words,
        terms=term_use(matches, glossary.keep, english),
        his_terms=term_use(matches, glossary.keep, note.comment_en),
        his_errors=list(dict.fromkeys(f.check for f in his_findings if f.is_error)),
    )


# -- the run --------------------------------------------------------------------------------------
def prompt_fingerprint(glossary: Glossary) -> str:
    """What identifies "the prompt": the system prompt and the glossary."""
    text = SYSTEM_PROMPT + "\n" + glossary.fingerprint
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


@dataclass
class EvalReport:
    model: str
    prompt: str
    glossary: str
    source: str
    planned: int  # notes selected; `results` holds those measured before any stop
    results: list[NoteResult]
    sent: int = 0  # requests sent to the server, retries included
    seconds: float = 0.0
    judge: bool = False
    context_chars: list[int] = field(default_factory=list)  # the paper block, per note
    stopped: str = ""  # why the run ended before every note was measured
    stopped_by: BaseException | None = None  # the interrupt or service error, to re-raise
    cost: str = ""  # the estimated cost of the run's tokens (usage.cost_text)


def run_eval(
    selection: Selection,
    glossary: Glossary,
    translator: Translator,
    *,
    repairs: int = 1,
    jobs: int | None = None,
    judge: bool = False,
    on_done: Callable[[int, int, NoteResult], None] = lambda index, total, result: None,
) -> EvalReport:
    """Translate and measure every selected note, `jobs` at a time; `on_done(index, total,
    result)` as each is known. Ctrl-C or a failing service ends the run early: the report
    holds what was measured so far and says why it stopped."""
    # the author's pairs searched exactly as `draft` searches his drafts
    index = History.of([Example(n.id, n.comment_ko, n.comment_en) for n in selection.examples])
    notes = selection.evaluated
    prices = load_prices(translator.settings.prices_file)  # a bad file fails before any request

    def work(note: Note) -> NoteResult:
        nearest = index.nearest(note.comment_ko, k=MAX_EXAMPLES, exclude=frozenset([note.id]))
        paper = PaperContext(note.title, note.abstract) if note.title else None
        made = translate_checked(
            note.comment_ko,
            glossary,
            translator,
            [example for _, example in nearest],
            repairs,
            lambda message: None,  # the repairs are counted in the report
            note.id,
            paper,
            judge,
        )
        result = measure(note, made.english, made.findings, glossary)
        result.repairs, result.requests, result.tokens = made.repairs, made.requests, made.tokens
        result.usage = made.usage
        return result

    results: dict[int, NoteResult] = {}

    def done(position: int, result: NoteResult) -> None:
        results[position] = result
        on_done(position, len(notes), result)

    report = EvalReport(
        translator.model,
        prompt_fingerprint(glossary),
        glossary.fingerprint,
        selection.source,
        len(notes),
        [],
        judge=judge,
        context_chars=[
            len(context_block(PaperContext(n.title, n.abstract))) for n in notes if n.title
        ],
    )
    sent, started = translator.calls, time.monotonic()
    try:
        translator.use_jobs(jobs)
        try:
            run_parallel(notes, work, min(jobs or MAX_IN_FLIGHT, MAX_IN_FLIGHT), done)
        finally:
            translator.remember_limit()
    except KeyboardInterrupt as exc:
        report.stopped, report.stopped_by = "interrupted", exc
    except ServiceError as exc:
        report.stopped, report.stopped_by = str(exc), exc
    report.seconds = time.monotonic() - started
    report.sent = translator.calls - sent
    report.results = [results[i] for i in sorted(results)]
    used = sum((r.usage for r in report.results), Usage())
    report.cost = cost_text({translator.model: used}, prices) if used else ""
    return report


def evaluate(
    settings: Settings,
    glossary: Glossary,
    *,
    corpus: Path | None = None,
    notes: Path | None = None,
    part: str = HELD_OUT,
    limit: int | None = None,
    model: str | None = None,
    judge: bool = False,
    jobs: int | None = None,
    log: Log = lambda message: None,
    on_done: Callable[[int, int, NoteResult], None] = lambda index, total, result: None,
) -> EvalReport:
    """The whole of `digest eval` but the rendering: select the notes, translate, measure."""
    corpus_path = corpus or DEFAULT_CORPUS
    if corpus is None and not corpus_path.exists():
        raise InputError(f"no corpus at {corpus_path}: give one with --corpus FILE.jsonl")
    corpus_notes = once_each(load_corpus(corpus_path), corpus_path.name, log)
    if notes is not None:
        given = once_each(load_digest_notes(notes), notes.name, log)
        selection = select_file(given, corpus_notes, limit, notes.name)
    else:
        selection = select_part(corpus_notes, part, limit, corpus_path.name)
    if not selection.evaluated:
        raise InputError(f"nothing to evaluate: {selection.source} hold the author's English")
    settings = replace(settings, model=model) if model else settings
    translator = Translator(settings, log=log)
    return run_eval(
        selection,
        glossary,
        translator,
        repairs=settings.repairs,
        jobs=jobs,
        judge=judge,
        on_done=on_done,
    )


# -- the figures ----------------------------------------------------------------------------------
def corpus_chrf(results: Sequence[NoteResult]) -> float:
    """chrF over all the notes at once (sacrebleu's corpus score, 0-100), not a mean of notes."""
    from sacrebleu.metrics import CHRF

    if not results:
        return 0.0
    hypotheses = [r.english for r in results]
    return float(CHRF().corpus_score(hypotheses, [[r.reference for r in results]]).score)


def _percent(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 0.0


def summary(report: EvalReport) -> dict[str, Any]:
    """Every figure of a run, as numbers (what --save keeps and --compare compares)."""
    results = report.results
    edits, words = sum(r.edits for r in results), sum(r.words for r in results)
    terms = sum((r.terms for r in results), TermUse())
    his = sum((r.his_terms for r in results), TermUse())
    judged: Counter[str] = Counter()
    for r in results:
        for f in r.findings:
            if f.check == "judge":
                found = _JUDGED.match(f.message)
                judged[f"{found.group(1)} {found.group(2)}" if found else "unreadable"] += 1
    context = report.context_chars
    return {
        "notes": len(results),
        "chrf": round(corpus_chrf(results), 2),
        "edit_rate": round(_percent(edits, words), 2),
        "edits": edits,
        "words": words,
        "repaired": sum(r.repairs > 0 for r in results),
        "failing": sum(bool(r.errors) for r in results),
        "failing_by_check": dict(Counter(c for r in results for c in r.errors).most_common()),
        "warnings_by_check": dict(Counter(c for r in results for c in r.warnings).most_common()),
        "his_failing": sum(bool(r.his_errors) for r in results),
        "his_failing_by_check": dict(
            Counter(c for r in results for c in r.his_errors).most_common()
        ),
        "terms": terms.terms,
        "terms_listed": terms.listed,
        "terms_preferred": terms.preferred,
        "strict_terms": terms.strict,
        "strict_listed": terms.strict_listed,
        "his_terms_listed": his.listed,
        "his_terms_preferred": his.preferred,
        "names_kept": sum(not {"names", "keep"} & set(r.errors) for r in results),
        "numbers_kept": sum("number" not in r.errors for r in results),
        "judged": dict(judged.most_common()),
        "requests": sum(r.requests for r in results),
        "sent": report.sent,
        "cached": sum(r.requests == 0 for r in results),
        "tokens": sum(r.tokens for r in results),
        "prompt_tokens": sum(r.usage.prompt for r in results),
        "cached_tokens": sum(r.usage.cached for r in results),
        "completion_tokens": sum(r.usage.completion for r in results),
        "reasoning_tokens": sum(r.usage.reasoning for r in results),
        "seconds": round(report.seconds, 2),
        "context_chars_mean": round(sum(context) / len(context), 1) if context else 0.0,
        "context_chars_max": max(context, default=0),
    }


def _counts(counter: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counter.items())


def summary_lines(report: EvalReport, figures: dict[str, Any]) -> list[str]:
    """The table of a run: one figure a line, `name: value`."""
    n = figures["notes"]
    failing = figures["failing_by_check"]
    his_failing = figures["his_failing_by_check"]
    lines = [
        f"model: {report.model}",
        f"prompt: {report.prompt} (system prompt and glossary {report.glossary})",
        f"notes: {report.source}"
        + (f"; {n} measured before the run stopped ({report.stopped})" if report.stopped else ""),
        f"chrF: {figures['chrf']:.1f}",
        f"edit rate: {figures['edit_rate']:.1f}% "
        f"({figures['edits']} word edits / {figures['words']} words)",
        f"repaired: {figures['repaired']} of {n} needed a repair turn",
        f"still failing: {figures['failing']} of {n}"
        + (f" ({_counts(failing)})" if failing else ""),
        f"his English fails: {figures['his_failing']} of {n}"
        + (f" ({_counts(his_failing)})" if his_failing else ""),
    ]
    if figures["warnings_by_check"]:
        lines.append(f"warnings: {_counts(figures['warnings_by_check'])}")
    lines += [
        f"strict terms: {figures['strict_listed']} of {figures['strict_terms']} as listed",
        f"glossary terms: {figures['terms_listed']} of {figures['terms']} as listed "
        f"(his English: {figures['his_terms_listed']}), {figures['terms_preferred']} in the "
        f"preferred rendering (his English: {figures['his_terms_preferred']})",
        f"names kept: {figures['names_kept']} of {n} notes",
        f"numbers kept: {figures['numbers_kept']} of {n} notes",
    ]
    if report.judge:
        lines.append(f"judge: {_counts(figures['judged']) or 'no errors found'}")
    lines += [
        f"requests: {figures['requests']} ({figures['sent']} sent with retries; "
        f"{figures['cached']} of {n} notes answered by the cache)",
        f"tokens: {figures['tokens']} ({figures['prompt_tokens']} prompt, "
        f"{figures['cached_tokens']} of them cached; {figures['completion_tokens']} completion, "
        f"{figures['reasoning_tokens']} of them reasoning)",
        *([f"cost: {report.cost}"] if report.cost else []),
        f"wall time: {figures['seconds']:.1f} s",
        f"paper context: {figures['context_chars_mean']:.0f} characters "
        f"(~{figures['context_chars_mean'] / 4:.0f} tokens) a request on average, "
        f"{figures['context_chars_max']} at most",
    ]
    return lines


def format_report(report: EvalReport) -> str:
    if not report.results:  # no figure at all rather than a chrF of nothing
        return f"model: {report.model}\nnotes: none measured ({report.stopped or 'no notes'})\n"
    return "\n".join(summary_lines(report, summary(report))) + "\n"


def progress_line(result: NoteResult) -> str:
    """One note as the progress on stderr shows it."""
    line = f"{result.id}: chrF {result.chrf:.1f}"
    if result.repairs:
        line += f", {result.repairs} repair{'s' * (result.repairs != 1)}"
    if result.errors:
        line += f", failing: {', '.join(result.errors)}"
    return line


# -- saved results and --compare ------------------------------------------------------------------
def results_json(report: EvalReport) -> str:
    """A run as JSON: its figures and every note, for --compare (and for reading)."""
    document = {
        "kind": RESULTS_KIND,
        "version": 1,
        "model": report.model,
        "prompt": report.prompt,
        "glossary": report.glossary,
        "source": report.source,
        "planned": report.planned,
        "stopped": report.stopped,
        "judge": report.judge,
        "summary": summary(report),
        "context_chars": report.context_chars,
        "notes": [
            {
                "id": r.id,
                "korean": r.korean,
                "reference": r.reference,
                "english": r.english,
                "chrf": round(r.chrf, 2),
                "edits": r.edits,
                "words": r.words,
                "repairs": r.repairs,
                "requests": r.requests,
                "tokens": r.tokens,
                "usage": r.usage.to_dict(),
                "findings": [
                    {"check": f.check, "severity": f.severity, "message": f.message}
                    for f in r.findings
                ],
                "terms": vars(r.terms),
                "his_terms": vars(r.his_terms),
                "his_errors": r.his_errors,
            }
            for r in report.results
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


class _Saved:
    """Typed access to a saved run: each field checked as it is read, a wrong one named by its
    place in the file (notes[3].chrf), so that --compare never computes with a wrong type."""

    def __init__(self, path: Path, record: object, where: str = "") -> None:
        self.path, self.where = path, where
        if not isinstance(record, dict):
            raise self.bad(where or "the file", "must be a JSON object")
        self.record: dict[str, Any] = record

    def bad(self, name: str, what: str) -> InputError:
        return InputError(
            f"{self.path}: {name} {what} (not a result saved by `digest eval --save`?)"
        )

    def get(self, key: str, kind: str) -> Any:
        name = f"{self.where}.{key}" if self.where else key
        if key not in self.record:
            raise self.bad(name, "is missing")
        value = self.record[key]
        if not _SAVED_KINDS[kind](value):
            raise self.bad(name, f"must be {kind}, not {json.dumps(value)[:40]}")
        return value

    def part(self, key: str) -> _Saved:
        return _Saved(self.path, self.get(key, "an object"), f"{self.where}.{key}".lstrip("."))

    def items(self, key: str) -> list[_Saved]:
        name = f"{self.where}.{key}".lstrip(".")
        return [_Saved(self.path, v, f"{name}[{i}]") for i, v in enumerate(self.get(key, "a list"))]


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


_SAVED_KINDS: dict[str, Callable[[object], bool]] = {
    "text": lambda v: isinstance(v, str),
    "a severity": lambda v: v in tuple(Severity),
    "a whole number": _count,
    "a number": _finite,
    "true or false": lambda v: isinstance(v, bool),
    "an object": lambda v: isinstance(v, dict),
    "a list": lambda v: isinstance(v, list),
    "a list of texts": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
    "a list of whole numbers": lambda v: isinstance(v, list) and all(_count(x) for x in v),
}


def _term_use(saved: _Saved) -> TermUse:
    return TermUse(**{k: saved.get(k, "a whole number") for k in vars(TermUse())})


def _usage(saved: _Saved) -> Usage:
    """A note's tokens by kind (runs saved before they were kept have none)."""
    if "usage" not in saved.record:
        return Usage()
    part = saved.part("usage")
    return Usage.from_dict({k: part.get(k, "a whole number") for k in part.record})


def load_results(path: Path) -> EvalReport:
    """A run saved with --save; anything else is an error naming the file and the field."""
    try:
        document = load_json(read_text_file(path, "results file", limit=MAX_DOCUMENT_CHARS))
    except ValueError as exc:
        raise InputError(f"{path} is not a result saved by `digest eval --save` ({exc})") from None
    saved = _Saved(path, document)
    if saved.record.get("kind") != RESULTS_KIND:
        raise InputError(f"{path} is not a result saved by `digest eval --save`")
    figures = saved.part("summary")
    results = [
        NoteResult(
            id=n.get("id", "text"),
            korean=n.get("korean", "text"),
            reference=n.get("reference", "text"),
            english=n.get("english", "text"),
            findings=[
                Finding(
                    f.get("check", "text"),
                    f.get("severity", "a severity"),
                    f.get("message", "text"),
                )
                for f in n.items("findings")
            ],
            repairs=n.get("repairs", "a whole number"),
            requests=n.get("requests", "a whole number"),
            tokens=n.get("tokens", "a whole number"),
            usage=_usage(n),
            chrf=n.get("chrf", "a number"),
            edits=n.get("edits", "a whole number"),
            words=n.get("words", "a whole number"),
            terms=_term_use(n.part("terms")),
            his_terms=_term_use(n.part("his_terms")),
            his_errors=list(n.get("his_errors", "a list of texts")),
        )
        for n in saved.items("notes")
    ]
    return EvalReport(
        model=saved.get("model", "text"),
        prompt=saved.get("prompt", "text"),
        glossary=saved.get("glossary", "text"),
        source=saved.get("source", "text"),
        planned=saved.get("planned", "a whole number"),
        results=results,
        sent=figures.get("sent", "a whole number"),
        seconds=figures.get("seconds", "a number"),
        judge=saved.get("judge", "true or false"),
        context_chars=list(saved.get("context_chars", "a list of whole numbers")),
        stopped=saved.get("stopped", "text"),
    )


# What --compare shows: (label, key, unit, whether higher is better)
_COMPARED = [
    ("chrF", "chrf", "", True),
    ("edit rate", "edit_rate", "%", False),
    ("repaired", "repaired", "", False),
    ("still failing", "failing", "", False),
    ("strict terms as listed", "strict_listed", "", True),
    ("glossary terms as listed", "terms_listed", "", True),
    ("preferred renderings", "terms_preferred", "", True),
    ("names kept", "names_kept", "", True),
    ("numbers kept", "numbers_kept", "", True),
    ("requests", "requests", "", False),
    ("tokens", "tokens", "", False),
    ("wall time", "seconds", " s", False),
]


def _restricted(report: EvalReport, ids: set[str]) -> EvalReport:
    return replace(report, results=[r for r in report.results if r.id in ids])


def compare(a: EvalReport, b: EvalReport, names: tuple[str, str] = ("A", "B")) -> str:
    """Two runs side by side, B against A, on the notes both measured; then the notes whose
    chrF moved most."""
    common = {r.id for r in a.results} & {r.id for r in b.results}
    if not common:
        raise InputError("the two results have no note in common: nothing to compare")
    lines = []
    if len(common) < max(len(a.results), len(b.results)):
        lines.append(
            f"Compared on the {len(common)} notes both measured "
            f"(A: {len(a.results)}, B: {len(b.results)}); requests, tokens and time are whole runs."
        )
        a, b = _restricted(a, common), _restricted(b, common)
    fa, fb = summary(a), summary(b)
    rows = [
        ("", names[0], names[1], "change"),
        ("model", a.model, b.model, "same" if a.model == b.model else "changed"),
        ("prompt", a.prompt, b.prompt, "same" if a.prompt == b.prompt else "changed"),
        ("glossary", a.glossary, b.glossary, "same" if a.glossary == b.glossary else "changed"),
        ("notes", str(fa["notes"]), str(fb["notes"]), ""),
    ]
    for label, key, unit, higher_better in _COMPARED:
        va, vb = fa[key], fb[key]
        delta = vb - va
        shown = _number(delta, unit, "+")
        if not delta or shown.lstrip("+-").rstrip(" s%") in ("0", "0.0"):
            change = "same"  # a difference too small to show is no difference
        else:
            better = (delta > 0) == higher_better
            change = f"{shown} ({'better' if better else 'worse'})"
        rows.append((label, _number(va, unit), _number(vb, unit), change))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        cells = [row[i].ljust(widths[i]) for i in range(3)] + [row[3]]
        lines.append("  ".join(cells).rstrip())
    by_id = {r.id: r for r in a.results}
    moves = sorted(
        ((r.chrf - by_id[r.id].chrf, r.id) for r in b.results if r.id in by_id),
        key=lambda move: (move[0], move[1]),
    )
    worse = [m for m in moves if m[0] < 0][:5]
    better = [m for m in reversed(moves) if m[0] > 0][:5]
    if worse:
        lines.append(f"chrF worse in {names[1]}: " + ", ".join(f"{i} ({d:+.1f})" for d, i in worse))
    if better:
        lines.append(
            f"chrF better in {names[1]}: " + ", ".join(f"{i} ({d:+.1f})" for d, i in better)
        )
    return "\n".join(lines) + "\n"


def _number(value: float, unit: str, sign: str = "") -> str:
    shown = f"{value:{sign}.1f}" if isinstance(value, float) else f"{value:{sign}d}"
    return shown + unit


def compare_files(first: Path, second: Path) -> str:
    return compare(load_results(first), load_results(second), (first.name, second.name))


# -- the HTML page --------------------------------------------------------------------------------
_PAGE_CSS = """
body{font-size:15px;line-height:1.5;max-width:90rem}
h1{font-size:1.4rem}h2{font-size:1rem;margin:0 0 .4rem}
.figures{columns:2 22rem;margin:0 0 1.4rem;padding:0;list-style:none;font-variant-numeric:tabular-nums}
article{border-top:1px solid var(--line);padding:.8rem 0}
.cases{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:.8rem}
@media (max-width:60rem){.cases{grid-template-columns:1fr}}
.cases>div{background:var(--card);border-radius:.4rem;padding:.5rem .7rem}
.label{font-size:.75rem;font-weight:600;color:var(--muted);text-transform:uppercase}
.cases p{margin:.2rem 0;white-space:pre-wrap}.meta{color:var(--muted);font-size:.85rem}
"""


def _worst_heading(worst: int, notes: int, shown: int) -> list[str]:
    """The heading of the worst cases, and why there are fewer than `shown` when there are: only
    a note whose English is not his word for word (or that fails a check) has anything to show."""
    if not worst:
        return ["<h2>Every English is his, word for word</h2>"]
    if worst == shown:
        return [f"<h2>The {shown} notes with the lowest chrF</h2>"]
    rest = notes - worst
    return [
        f"<h2>The {worst} note{'s' * (worst != 1)} with the lowest chrF</h2>",
        f'<p class="meta">Fewer than {shown}: only {worst} of the {notes} notes differ from his '
        f"English or fail a check; the other {rest} are his English word for word.</p>",
    ]


def render_html(report: EvalReport, shown: int = WORST_SHOWN) -> str:
    """One page: the run's figures, then the worst cases side by side (Korean, his English, the
    model's, and the diff from the model's English to his)."""
    from pipeline.review import render_html_diff, word_diff

    e = html.escape
    figures = summary(report)
    differing = [r for r in report.results if r.english != r.reference or r.errors]
    worst = sorted(differing, key=lambda r: (r.chrf, -r.edits, r.id))[:shown]
    title = f"digest eval: {report.model}, prompt {report.prompt}"
    body = [
        f"<h1>{e(title)}</h1>",
        '<ul class="figures">',
        *(f"<li>{e(line)}</li>" for line in summary_lines(report, figures)),
        "</ul>",
        *_worst_heading(len(worst), len(report.results), shown),
    ]
    for r in worst:
        diff = render_html_diff(word_diff(r.english, r.reference))
        problems = "; ".join(str(f) for f in r.findings if f.is_error)
        body += [
            "<article>",
            f'<div class="meta">{e(r.id)} · chrF {r.chrf:.1f} · edit rate '
            f"{_percent(r.edits, r.words):.0f}%"
            + (f" · {r.repairs} repair(s)" if r.repairs else "")
            + (f" · {e(problems)}" if problems else "")
            + "</div>",
            '<div class="cases">',
            f'<div><div class="label">Korean</div><p lang="ko">{e(r.korean)}</p></div>',
            f'<div><div class="label">His English</div><p lang="en">{e(r.reference)}</p></div>',
            f'<div><div class="label">Model</div><p lang="en">{e(r.english)}</p></div>',
            f'<div><div class="label">Model → his</div><p lang="en">{diff}</p></div>',
            "</div></article>",
        ]
    return render_page(title, body, _PAGE_CSS)
