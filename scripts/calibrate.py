"""Run every check on the author's own English (tests/data/notes-2024.jsonl, a copy of shared/corpus/notes-2024.jsonl) and report.

The author's translations are the ground truth of his style: a check that fires on them is a
false alarm. Usage: python scripts/calibrate.py [--corpus PATH] [--glossary PATH] [--show N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import Counter
from pathlib import Path

from pipeline.check import run_checks
from pipeline.digest import HANGUL
from pipeline.glossary import load_glossary

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT / "tests" / "data" / "notes-2024.jsonl"


def has_english(note: dict) -> bool:
    """Some vault notes hold only tags and links where the English should be."""
    english = note["comment_en"].strip()
    return bool(english) and not english.startswith("#") and not HANGUL.search(english)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--glossary", type=Path, default=ROOT / "glossary.yaml")
    parser.add_argument("--show", type=int, default=0, help="print up to N failing notes")
    args = parser.parse_args()
    notes = [json.loads(line) for line in args.corpus.read_text(encoding="utf-8").splitlines()]
    glossary = load_glossary(args.glossary)
    usable = [n for n in notes if has_english(n)]
    errors_by_check: Counter[str] = Counter()
    warnings_by_check: Counter[str] = Counter()
    failing = []
    ratios = []
    for note in usable:
        ko, en = note["comment_ko"], note["comment_en"]
        if len(ko.strip()) >= 20:
            ratios.append(len(en.strip()) / len(ko.strip()))
        findings = run_checks(ko, en, glossary)
        errors = [f for f in findings if f.is_error]
        errors_by_check.update({f.check for f in errors})
        warnings_by_check.update({f.check for f in findings if not f.is_error})
        if errors:
            failing.append((note, errors))
    clean = len(usable) - len(failing)
    print(
        f"notes: {len(notes)}; with the author's English: {len(usable)}; "
        f"glossary terms: {len(glossary.terms)}, keep: {len(glossary.keep)}"
    )
    print(f"no error: {clean}/{len(usable)} = {100 * clean / max(1, len(usable)):.1f}%")
    print("errors by check:", dict(errors_by_check.most_common()))
    print("warnings by check:", dict(warnings_by_check.most_common()))
    if ratios:
        q = statistics.quantiles(ratios, n=100)
        print(
            f"length ratio en/ko: p1={q[0]:.2f} p5={q[4]:.2f} median={statistics.median(ratios):.2f} "
            f"p95={q[94]:.2f} p99={q[98]:.2f} min={min(ratios):.2f} max={max(ratios):.2f}"
        )
    for note, errors in failing[: args.show]:
        print(f"\n--- {note['id']}")
        print("KO:", note["comment_ko"][:400].replace("\n", " "))
        print("EN:", note["comment_en"][:400].replace("\n", " "))
        for finding in errors:
            print("  ", finding)
    return 0


if __name__ == "__main__":
    sys.exit(main())
