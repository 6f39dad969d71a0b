"""Figures for the README: batch drafting, start-up, glossary matching, export, review, examples.

Everything runs against loopback servers (tests/servers.py) in a temporary folder; nothing
reaches the internet. It reports numbers and never fails on time. Usage: make bench
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.entry import Entry  # noqa: E402
from pipeline.examples import Example, ExampleIndex  # noqa: E402
from pipeline.glossary import Glossary, Term  # noqa: E402
from pipeline.store import Store  # noqa: E402
from tests.servers import ArxivServer, FakePaper, OpenAIServer  # noqa: E402

KO = (
    "Reward에 노이즈를 추가하는 것으로 강화학습 속도를 가속시킬 수 있다는 연구. GRPO 대비 10% 향상."
)


def digest(
    args: list[str], env: dict[str, str], cwd: Path
) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", *args], capture_output=True, text=True, env=env, cwd=cwd
    )
    return time.perf_counter() - started, proc


def best_of(command: list[str], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return min(times)


def bench_batch(work: Path) -> None:
    arxiv, model = ArxivServer(), OpenAIServer(latency=0.5)
    model.responder = lambda request: (
        "Adding noise to the reward speeds up reinforcement learning. 10% over GRPO. ("
        + request["messages"][-1]["content"].rsplit("(", 1)[-1].split(")")[0]
        + ")"
    )
    ids = [f"2506.{i:05d}" for i in range(1, 31)]
    for paper_id in ids:
        arxiv.add(FakePaper(paper_id, f"Paper {paper_id}", ["Ann", "Bob"], "An abstract."))
    # distinct comments, so that every entry costs one real model request
    (work / "notes.txt").write_text(
        "\n\n".join(f"{i}\n{KO} ({i})\n#rl" for i in ids), encoding="utf-8"
    )
    env = {
        **os.environ,
        "DIGEST_ARXIV_API_URL": arxiv.url,
        "OPENAI_BASE_URL": model.url,
        "OPENAI_API_KEY": "sk-bench",
        "DIGEST_DRAFTS_DIR": str(work / "drafts"),
        "DIGEST_CACHE_DIR": str(work / "cache"),
        "DIGEST_GLOSSARY": str(ROOT / "glossary.yaml"),
        "DIGEST_ARXIV_DELAY": "0",
    }
    wall, proc = digest(["draft", "--notes", "notes.txt", "--date", "2025-06-24"], env, work)
    assert proc.returncode == 0, proc.stderr
    serial = 30 * 0.5
    calls = (len(arxiv.requests), len(model.requests))
    rerun_wall, proc = digest(["draft", "--notes", "notes.txt", "--date", "2025-06-24"], env, work)
    rerun_calls = (len(arxiv.requests) - calls[0], len(model.requests) - calls[1])
    print(
        f"batch, 30 entries, 0.5 s model latency, --jobs 8: {wall:.2f} s wall "
        f"= {wall / serial:.2f} x the {serial:.0f} s serial time (target <= 0.25)"
    )
    print(f"  arXiv requests: {calls[0]} (target 1); model requests: {calls[1]}")
    print(f"  re-run: {rerun_wall:.2f} s, service calls: {sum(rerun_calls)} (target 0)")
    arxiv.close()
    model.close()


def bench_startup() -> None:
    help_time = best_of([sys.executable, "-m", "pipeline", "--help"])
    click_time = best_of([sys.executable, "-c", "import click"])
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, pipeline.cli; print(sorted(m for m in ('openai', 'httpx2', 'yaml') if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(
        f"start-up: digest --help {help_time * 1000:.0f} ms, python -c 'import click' "
        f"{click_time * 1000:.0f} ms: {help_time / click_time:.2f}x (target <= 2.5); heavy modules loaded for help: {loaded}"
    )


def bench_glossary() -> None:
    syllables = [chr(0xAC00 + i * 37 % 11172) for i in range(400)]
    terms = {
        syllables[i % 400] + syllables[(i // 400) % 400] + syllables[(i * 7) % 400]: i
        for i in range(12_000)
    }
    glossary = Glossary([Term(k, (f"t{v}",)) for k, v in list(terms.items())[:10_000]], ["GRPO"])
    comment = KO * 3
    runs = 200
    started = time.perf_counter()
    for _ in range(runs):
        glossary.find(comment)
    per = (time.perf_counter() - started) / runs
    print(
        f"glossary matching, {len(glossary.terms):,} terms: {per * 1000:.3f} ms per comment of {len(comment)} characters"
    )


def bench_day(work: Path) -> None:
    store = Store(work / "day")
    for i in range(100):
        store.save(
            Entry(
                id=f"2506.{i:05d}",
                date="2025-06-25",
                title=f"Paper {i}",
                authors=["Ann", "Bob"],
                abstract="An abstract.\nWith a second line.",
                comment_ko=KO,
                machine_en="Adding noise to rewards speeds up RL training, 10% over GRPO.",
                comment_en="Adding noise to the reward speeds up reinforcement learning: 10% over GRPO.",
                tags=["rl"],
                status="ready",
            )
        )
    env = {
        **os.environ,
        "DIGEST_DRAFTS_DIR": str(work / "day"),
        "DIGEST_GLOSSARY": str(ROOT / "glossary.yaml"),
        "NO_COLOR": "1",
    }
    for fmt in ("text", "html"):
        wall, proc = digest(["export", "2025-06-25", "--format", fmt], env, work)
        assert proc.returncode == 0, proc.stderr
        print(f"export of a 100-entry day ({fmt}): {wall:.2f} s")
    wall, proc = digest(["review", "--date", "2025-06-25"], env, work)
    assert proc.returncode == 0, proc.stderr
    print(f"review of a 100-entry day: {wall:.2f} s ({proc.stdout.strip().splitlines()[-1]})")


def bench_examples() -> None:
    import json

    corpus = ROOT / "tests" / "data" / "notes-2024.jsonl"
    notes = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()]
    pairs = [
        Example(f"{n['id']}-{k}", n["comment_ko"] + f" ({k})", "x")
        for k in range(12)
        for n in notes
    ][:5000]
    started = time.perf_counter()
    index = ExampleIndex(pairs)
    built = time.perf_counter() - started
    lookups = []
    for note in notes[:100]:
        started = time.perf_counter()
        index.nearest(note["comment_ko"], k=3)
        lookups.append(time.perf_counter() - started)
    print(
        f"examples index, {len(pairs):,} pairs: built in {built:.2f} s; lookup median "
        f"{statistics.median(lookups) * 1000:.1f} ms, max {max(lookups) * 1000:.1f} ms (target < 50 ms)"
    )


def bench_vault(work: Path) -> None:
    """Thousands of notes: the real sample notes, copied with new ids and days."""
    sample = sorted((ROOT / "tests" / "data" / "vault-sample").rglob("*.md"))
    vault = work / "vault"
    vault.mkdir()
    count = 0
    for copy in range(40):
        for i, path in enumerate(sample):
            text = path.read_text(encoding="utf-8")
            day = f"{20 + copy // 12:02d}{copy % 12 + 1:02d}{i % 28 + 1:02d}"
            new_id = f"{day[:4]}.{copy:02d}{i:03d}"
            text = re.sub(r"arxiv\.org/abs/\S+", f"arxiv.org/abs/{new_id}", text, count=1)
            (vault / f"{day} {copy}-{path.name[7:]}").write_text(text, encoding="utf-8")
            count += 1
    env = {
        **os.environ,
        "DIGEST_DRAFTS_DIR": str(work / "vault-drafts"),
        "DIGEST_CACHE_DIR": str(work / "vc"),
        "DIGEST_GLOSSARY": str(ROOT / "glossary.yaml"),
    }
    wall, proc = digest(["import", "--vault", str(vault)], env, work)
    assert proc.returncode == 0, proc.stderr
    again, proc = digest(["import", "--vault", str(vault)], env, work)
    print(
        f"vault import, {count:,} notes: {wall:.1f} s ({proc.stderr.strip().splitlines()[-1].split(': ', 1)[1]} "
        f"on the second run, {again:.1f} s)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        bench_batch(work)
        bench_startup()
        bench_glossary()
        bench_day(work)
        bench_examples()
        bench_vault(work)


if __name__ == "__main__":
    main()
