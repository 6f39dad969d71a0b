"""Figures for the README: batch drafting, start-up, glossary matching, export, review, examples.

Everything runs against loopback servers (tests/servers.py) in a temporary folder; nothing
reaches the internet. It reports numbers and never fails on time. Usage: make bench
"""

from __future__ import annotations

import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.entry import READY, Entry  # noqa: E402
from pipeline.examples import Example  # noqa: E402
from pipeline.glossary import Glossary, Term  # noqa: E402
from pipeline.history import History  # noqa: E402
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
        subprocess.run(command, capture_output=True, check=True, env=CHILD_ENV)
        times.append(time.perf_counter() - started)
    return min(times)


def services(latency: float = 0.0, count: int = 30) -> tuple[ArxivServer, OpenAIServer, list[str]]:
    arxiv, model = ArxivServer(), OpenAIServer(latency=latency)
    model.responder = lambda request: (
        "Adding noise to the reward speeds up reinforcement learning. 10% over GRPO. ("
        + request["messages"][-1]["content"].rsplit("(", 1)[-1].split(")")[0]
        + ")"
    )
    ids = [f"2506.{i:05d}" for i in range(1, count + 1)]
    for paper_id in ids:
        arxiv.add(FakePaper(paper_id, f"Paper {paper_id}", ["Ann", "Bob"], "An abstract."))
    return arxiv, model, ids


# digest runs as installed: with its bytecode cached. (A sandbox that sets
# PYTHONDONTWRITEBYTECODE makes every run compile the pipeline again, 0.1 s that no user's
# install spends.)
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def service_env(work: Path, arxiv: ArxivServer, model: OpenAIServer) -> dict[str, str]:
    return {
        **CHILD_ENV,
        "DIGEST_ARXIV_API_URL": arxiv.url,
        "OPENAI_BASE_URL": model.url,
        "OPENAI_API_KEY": "sk-bench",
        "DIGEST_DRAFTS_DIR": str(work / "drafts"),
        "DIGEST_CACHE_DIR": str(work / "cache"),
        "DIGEST_GLOSSARY": str(ROOT / "glossary.yaml"),
        "DIGEST_ARXIV_DELAY": "0",
        "DIGEST_RETRY_WAIT": "0.2",
    }


def run_day(
    root: Path, count: int, latency: float, *extra: str, capacity: int | None = None
) -> tuple[float, ArxivServer, OpenAIServer]:
    """Draft a day of `count` entries (distinct comments: one model request each) in a fresh
    folder; the wall time of the whole process."""
    work = Path(tempfile.mkdtemp(dir=root))
    arxiv, model, ids = services(latency, count)
    model.capacity = capacity
    (work / "notes.txt").write_text(
        "\n\n".join(f"{i}\n{KO} ({i})\n#rl" for i in ids), encoding="utf-8"
    )
    env = service_env(work, arxiv, model)
    args = ["draft", "--notes", "notes.txt", "--date", "2025-06-24", *extra]
    wall, proc = digest(args, env, work)
    assert proc.returncode == 0, proc.stderr
    arxiv.close()
    model.close()
    return wall, arxiv, model


def bench_batch(work: Path) -> None:
    def start_up() -> float:
        """One entry at latency 0, measured again beside each figure that is compared with it
        (on a machine whose load changes)."""
        return min(run_day(work, 1, 0.0)[0] for _ in range(3))

    one = start_up()
    print(f"one entry, latency 0 (start-up + one arXiv request + one model request): {one:.2f} s")
    for count in (30, 300, 1000):
        wall = run_day(work, count, 0.0)[0]
        per = (wall - one) / (count - 1) * 1000
        print(
            f"{count} entries, latency 0: {wall:.2f} s = {per:.1f} ms per entry beyond start-up (target <= 25)"
        )
    for latency in (2.0, 0.5):
        limit = (one := start_up()) + latency
        wall, _, model = run_day(work, 30, latency)
        print(
            f"30 entries, latency {latency} s, --jobs auto (the default): {wall:.2f} s = "
            f"{wall / limit:.2f} x the limit {limit:.2f} s (one round trip + start-up; target <= 1.3), "
            f"{wall / (30 * latency):.2f} x the serial time; {model.peak} requests in flight at once"
        )
    for jobs in ("8", "30"):
        wall = run_day(work, 30, 2.0, "--jobs", jobs)[0]
        print(
            f"30 entries, latency 2 s, --jobs {jobs}: {wall:.2f} s = {wall / (one + 2):.2f} x the limit"
        )
    one = start_up()
    wall, _, model = run_day(work, 30, 0.5, capacity=4)
    ideal = one + 30 / 4 * 0.5  # start-up, then always four in flight
    print(
        f"30 entries against a server that takes 4 at a time (429 past that), latency 0.5 s: "
        f"{wall:.2f} s = {wall / ideal:.2f} x its ideal {ideal:.2f} s (target <= 1.2), "
        f"{model.refused} refusals (429), {len(model.requests) - model.refused} completions, "
        f"at most {model.peak} requests in flight"
    )
    # running the same notes file again asks no service anything
    rerun = Path(tempfile.mkdtemp(dir=work))
    arxiv, model, ids = services(0.0)
    (rerun / "notes.txt").write_text(
        "\n\n".join(f"{i}\n{KO} ({i})\n#rl" for i in ids), encoding="utf-8"
    )
    env = service_env(rerun, arxiv, model)
    args = ["draft", "--notes", "notes.txt", "--date", "2025-06-24"]
    digest(args, env, rerun)
    before = len(arxiv.requests) + len(model.requests)
    again, _ = digest(args, env, rerun)
    calls = len(arxiv.requests) + len(model.requests) - before
    print(f"re-running that notes file: {again:.2f} s, {calls} service calls (target 0)")


def timed(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one command (CPU: what it costs on a loaded machine too)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, proc = digest(args, env, cwd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert proc.returncode in (0, 2), proc.stderr
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu


def interleaved(
    args: list[str], envs: tuple[dict[str, str], dict[str, str]], cwds: tuple[Path, Path], runs: int
) -> str:
    """A command run in turn without history and with it (so that a machine whose load changes
    weighs on both alike): the medians and their ratios, wall and CPU."""
    times: list[list[tuple[float, float]]] = [[], []]
    for n in range(runs):
        for k in (0, 1):
            times[k].append(timed([a.replace("{n}", str(n)) for a in args], envs[k], cwds[k]))
    wall = [statistics.median(t[0] for t in side) for side in times]
    cpu = [statistics.median(t[1] for t in side) for side in times]
    return (
        f"{wall[1]:.2f} s vs {wall[0]:.2f} s with no history = {wall[1] / wall[0]:.2f} x "
        f"(CPU {cpu[1]:.2f} s vs {cpu[0]:.2f} s = {cpu[1] / cpu[0]:.2f} x)"
    )


def bench_history(work: Path, copies: int, imports: bool = False) -> None:
    """A draft, tags and glossary suggestions with thousands of drafts of history (the vault
    sample, copied with new ids and days), against the same with none; with `imports`, the
    import itself too (first and again)."""
    vault = make_vault(work / f"history-vault-{copies}", copies=copies)
    arxiv, model, _ = services(0.0, 3)
    bare, drafted = work / f"bare-{copies}", work / f"history-{copies}"
    envs = []
    for folder in (bare, drafted):
        folder.mkdir()
        envs.append(service_env(folder, arxiv, model))
    comment = ["draft", "2506.00001", "--comment", f"{KO} ({{n}})", "--date", "2025-06-24"]
    for k, folder in enumerate((bare, drafted)):
        timed([a.replace("{n}", "first") for a in comment], envs[k], folder)  # paper fetched
    imported, proc = digest(["import", "--vault", str(vault)], envs[1], drafted)
    assert proc.returncode == 0, proc.stderr
    count = len(list((drafted / "drafts").rglob("*.yaml")))
    if imports:
        again, proc = digest(["import", "--vault", str(vault)], envs[1], drafted)
        print(
            f"vault import, {len(list(vault.glob('*.md'))):,} notes ({count:,} drafts): "
            f"{imported:.1f} s; again {again:.1f} s ({proc.stderr.strip().splitlines()[-1]})"
        )
    cold = timed([a.replace("{n}", "cold") for a in comment], envs[1], drafted)[0]
    pair = (envs[0], envs[1]), (bare, drafted)
    print(
        f"one draft --comment (paper cached) with {count:,} drafts, right after another draft "
        f"was saved: {interleaved(comment, *pair, runs=7)} (target <= 1.2); the first one "
        f"after the import {cold:.1f} s"
    )
    for args in (["tags"], ["glossary", "suggest"]):
        timed(args, envs[1], drafted)  # warm
        print(f"digest {' '.join(args)} with {count:,} drafts: {interleaved(args, *pair, runs=5)}")
    arxiv.close()
    model.close()


def make_vault(vault: Path, copies: int) -> Path:
    """The real sample notes, copied with new ids and days: a copy a month, and past ten years
    (120 months) several copies a month, as a vault of ten years of notes would be."""
    sample = sorted((ROOT / "tests" / "data" / "vault-sample").rglob("*.md"))
    vault.mkdir()
    months = min(copies, 120)
    for copy in range(copies):
        month, nth = copy % months, copy // months  # the nth copy in that month
        for i, path in enumerate(sample):
            text = path.read_text(encoding="utf-8")
            day = f"{15 + month // 12:02d}{month % 12 + 1:02d}{i % 28 + 1:02d}"
            new_id = f"{day[:4]}.{nth:02d}{i:03d}"
            text = re.sub(r"arxiv\.org/abs/\S+", f"arxiv.org/abs/{new_id}", text, count=1)
            (vault / f"{day} {copy}-{path.name[7:]}").write_text(text, encoding="utf-8")
    return vault


def bench_startup() -> None:
    help_time = best_of([sys.executable, "-m", "pipeline", "--help"])
    click_time = best_of([sys.executable, "-c", "import click"])
    bare = best_of([sys.executable, "-c", "pass"])
    openai_time = best_of([sys.executable, "-c", "import openai"]) - bare
    workflow_time = best_of([sys.executable, "-c", "import pipeline.workflow"]) - bare
    print(
        f"imports: openai {openai_time:.2f} s, the pipeline (pipeline.workflow) {workflow_time:.2f} s, "
        f"over python's own start {bare:.2f} s"
    )
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, pipeline.cli; print(sorted(m for m in ('openai', 'httpx2', 'yaml') if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
        env=CHILD_ENV,
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
                status=READY,
            )
        )
    env = {
        **CHILD_ENV,
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
    index = History.of(pairs)
    built = time.perf_counter() - started
    lookups = []
    for note in notes[:100]:
        started = time.perf_counter()
        index.nearest(note["comment_ko"], k=3)
        lookups.append(time.perf_counter() - started)
    print(
        f"nearest pairs (eval's in-memory history), {len(pairs):,} pairs: built in {built:.2f} s; lookup median "
        f"{statistics.median(lookups) * 1000:.1f} ms, max {max(lookups) * 1000:.1f} ms (target < 50 ms)"
    )


def bench_vault(work: Path) -> None:
    vault = make_vault(work / "vault", copies=40)
    count = len(list(vault.glob("*.md")))
    env = {
        **CHILD_ENV,
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
        bench_history(work, copies=40)
        bench_history(work, copies=390, imports=True)  # ten years of notes
        bench_startup()
        bench_glossary()
        bench_day(work)
        bench_examples()
        bench_vault(work)


if __name__ == "__main__":
    main()
