"""Run every check on the author's own English and report false alarms, split by time.

The author's translations are the ground truth of his style: an error on them is a false alarm
unless his English really leaves something out. The checks were tuned on his notes of arXiv
months 2401-2408 only; 2409-2412 is held out, and its figures are the ones that count.
Usage: python scripts/calibrate.py [--corpus PATH] [--glossary PATH] [--show N]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.check import (  # noqa: E402
    NO_HISTORY,
    AcronymUsage,
    acronyms_kept,
    expected_length,
    run_checks,
    without_urls,
)
from pipeline.entry import Finding  # noqa: E402
from pipeline.evaluate import DEFAULT_CORPUS, HELD_OUT, TUNING, part_of  # noqa: E402
from pipeline.evaluate import has_english as _has_english  # noqa: E402
from pipeline.glossary import Glossary, load_glossary  # noqa: E402


def load_notes(path: Path = DEFAULT_CORPUS) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


VAULT_SAMPLE = ROOT / "tests" / "data" / "vault-sample"


def vault_notes(folder: Path = VAULT_SAMPLE, besides: list[dict] | None = None) -> list[dict]:
    """The notes of a vault folder with his English, as corpus lines, but those `besides`
    already has (the shipped vault sample adds ten of 2025 to the corpus of 2024)."""
    from pipeline.vault import Skip, note_files, parse_note

    known = {n["id"] for n in besides or []}
    found = []
    for path in note_files(folder):
        try:
            content = parse_note(path.read_bytes(), path).content
        except Skip:
            continue
        if content.comment_en.strip() and content.paper_id not in known:
            found.append(
                {
                    "id": content.paper_id,
                    "comment_ko": content.comment_ko,
                    "comment_en": content.comment_en,
                }
            )
    return found


def has_english(note: dict) -> bool:
    """A note with the author's English for its Korean (as `digest eval` decides it)."""
    return _has_english(note["comment_ko"], note["comment_en"])


def split_notes(notes: list[dict]) -> tuple[list[dict], list[dict]]:
    """(tuning, held out) by the arXiv id's month, as `digest eval` splits them: January to
    August tune, September to December judge."""
    tuning = [n for n in notes if part_of(n["id"]) == TUNING]
    held_out = [n for n in notes if part_of(n["id"]) == HELD_OUT]
    return tuning, held_out


def errors_besides_url(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.is_error and f.check != "url"]


@dataclass
class Report:
    notes: int = 0
    errors: Counter[str] = field(default_factory=Counter)  # notes with an error, per check
    warnings: Counter[str] = field(default_factory=Counter)
    failing: list[tuple[dict, list[Finding]]] = field(default_factory=list)
    failing_besides_url: int = 0

    @property
    def clean(self) -> int:
        return self.notes - len(self.failing)


Counts = dict[str, tuple[int, int]]


def learn(counts: Counts, note: dict) -> None:
    """Add a note of his to the acronym counts, as the history does with a draft."""
    for key, kept in acronyms_kept(note["comment_ko"], note["comment_en"]).items():
        seen, keeps = counts.get(key, (0, 0))
        counts[key] = (seen + 1, keeps + kept)


def usage_counts(notes: list[dict]) -> Counts:
    counts: Counts = {}
    for note in notes:
        if has_english(note):
            learn(counts, note)
    return counts


def in_time(notes: list[dict]) -> list[dict]:
    """Notes in the order he wrote them (an arXiv id's yymm.number orders them in time)."""
    return sorted(notes, key=lambda n: n["id"])


def calibrate(notes: list[dict], glossary: Glossary, earlier: list[dict] | None = None) -> Report:
    """Check his notes in the order he wrote them, each against his acronym usage as his history
    knew it then: the `earlier` notes and those of `notes` before it. `earlier=None`: a new
    user's, with no history at all (the shipped prior only)."""
    report = Report()
    counts = None if earlier is None else usage_counts(earlier)
    for note in in_time(notes):
        if not has_english(note):
            continue
        report.notes += 1
        usage = NO_HISTORY if counts is None else AcronymUsage(counts)
        findings = run_checks(note["comment_ko"], note["comment_en"], glossary, usage)
        if counts is not None:
            learn(counts, note)
        errors = [f for f in findings if f.is_error]
        report.errors.update({f.check for f in errors})
        report.warnings.update({f.check for f in findings if not f.is_error})
        if errors:
            report.failing.append((note, errors))
        if errors_besides_url(findings):
            report.failing_besides_url += 1
    return report


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} = {100 * part / max(1, whole):.1f}%"


def print_report(name: str, report: Report) -> None:
    print(f"{name}: {report.notes} notes")
    print(f"  no error:                        {_share(report.clean, report.notes)}")
    print(
        f"  an error other than a missing URL: {_share(report.failing_besides_url, report.notes)}"
    )
    checks = sorted(set(report.errors) | set(report.warnings))
    print("  notes with a finding, per check:  errors / warnings")
    for check in checks:
        print(f"    {check:<17} {report.errors[check]:>4} / {report.warnings[check]:<4}")


PRIOR_FILE = ROOT / "pipeline" / "acronym_prior.py"


def prior_source(counts: Counts) -> str:
    """pipeline/acronym_prior.py for these counts."""
    head = PRIOR_FILE.read_text(encoding="utf-8").split("PRIOR:", 1)[0]
    lines = [f'    "{key}": ({seen}, {kept}),' for key, (seen, kept) in sorted(counts.items())]
    return head + "PRIOR: dict[str, tuple[int, int]] = {\n" + "\n".join(lines) + "\n}\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--glossary", type=Path, default=ROOT / "glossary.yaml")
    parser.add_argument("--show", type=int, default=0, help="print up to N failing notes a part")
    parser.add_argument(
        "--write-prior",
        action="store_true",
        help="write pipeline/acronym_prior.py from the tuning notes' acronyms",
    )
    args = parser.parse_args()
    notes = load_notes(args.corpus)
    glossary = load_glossary(args.glossary)
    tuning, held_out = split_notes(notes)
    if args.write_prior:
        PRIOR_FILE.write_text(prior_source(usage_counts(tuning)), encoding="utf-8")
        print(f"wrote {PRIOR_FILE.relative_to(ROOT)}")
        return 0
    print(
        f"{len(notes)} notes, {sum(map(has_english, notes))} with the author's English; "
        f"glossary: {len(glossary.terms)} terms "
        f"({sum(t.strict for t in glossary.terms)} strict), {len(glossary.keep)} keep"
    )
    extra_tuning, extra_held_out = split_notes(vault_notes(besides=notes))
    for name, part, earlier in (
        ("tuning (arXiv months 01-08)", tuning, []),
        ("held out (months 09-12)", held_out, tuning),
        ("vault sample, 2025, tuning (month 01)", extra_tuning, notes),
        ("vault sample, 2025, held out (month 12)", extra_held_out, notes + extra_tuning),
    ):
        report = calibrate(part, glossary, earlier)
        new_user = calibrate(part, glossary, None)
        print()
        print_report(name, report)
        print(
            "  a new user (no history, the shipped prior only): an error other than a missing "
            f"URL: {_share(new_user.failing_besides_url, new_user.notes)}"
        )
        for note, errors in report.failing[: args.show]:
            print(f"\n  --- {note['id']}")
            print("  KO:", note["comment_ko"][:400].replace("\n", " "))
            print("  EN:", note["comment_en"][:400].replace("\n", " "))
            for finding in errors:
                print("    ", finding)
    ratios = [
        len(re.findall(r"\S", without_urls(n["comment_en"]))) / expected_length(n["comment_ko"])
        for n in tuning
        if has_english(n) and len(n["comment_ko"].strip()) >= 20
    ]
    if len(ratios) > 1:
        q = statistics.quantiles(ratios, n=20)
        print(
            "\nEnglish length / expected length (check.expected_length), tuning part: "
            f"min={min(ratios):.2f} p5={q[0]:.2f} median={statistics.median(ratios):.2f} "
            f"p95={q[18]:.2f} max={max(ratios):.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
