"""Screenshots of the pages in a real headless browser: the day page (one day and a range), the
day's review page and a period's review page, each at 390 px (a phone) and 1280 px (a desktop),
light and dark.

The pages are rendered from a fixed set of entries built from tests/data/format-sample.txt, so the
pictures only change when the renderings do. Needs Chromium (on Debian: apt-get install chromium
fonts-noto-cjk); without it the script says so in one line and exits 0. Not part of `make test`.

Usage: python scripts/screenshots.py [OUT_DIR]      (default: /tmp/digest-screenshots)
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.digest import parse_digest  # noqa: E402
from pipeline.entry import AWAITING, ERROR, NEEDS_REVIEW, READY, Entry, Finding  # noqa: E402
from pipeline.export import render_html  # noqa: E402
from pipeline.review import (  # noqa: E402
    period_review,
    render_html_page,
    render_period_html,
    review_entry,
)

WIDTHS = {"phone": 390, "desktop": 1280}
SCHEMES = {"light": "1", "dark": "0"}  # Blink's preferredColorScheme: 0 is dark, 1 is light
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
]

# What the model wrote for the sample entries, so the review shows real edits.
MACHINE = {
    0: "A PRM. They made it evaluate things like whether the steps are coherent and whether the "
    "reasoning templates are appropriate.",
    1: "It trains a reasoning model which generates long texts by RL without SFT. Continual "
    "Pretraining was used too.",
}


def sample_day() -> list[Entry]:
    """The format sample's three entries, one edited twice, plus one of each state not ready."""
    [day] = parse_digest((ROOT / "tests" / "data" / "format-sample.txt").read_text("utf-8"))
    entries = []
    for i, t in enumerate(day.entries):
        entries.append(
            Entry(
                id=f"2506.{18896 + i}",
                date=day.date,
                title=t.title,
                authors=t.authors,
                abstract=t.abstract,
                comment_ko=t.comment_ko,
                machine_en=MACHINE.get(i, t.comment_en),
                comment_en=t.comment_en,
                tags=t.tags,
                status=READY,
            )
        )
    long_url = "https://github.com/an-organisation-with-a-long-name/a-repository-with-an-even-longer-name/blob/main/README.md"
    entries.append(
        Entry(
            id="2506.20001",
            date=day.date,
            title="A Paper Whose English Still Fails a Check",
            authors=["Ann Author", "Bob Writer"],
            abstract="An abstract of one line.",
            comment_ko=f"강화학습으로 추론 능력을 높이는 방법을 제안했군요. 코드는 {long_url} 에 있습니다.",
            machine_en="A method that improves reasoning with 강화학습.",
            comment_en="A method that improves reasoning with 강화학습.",
            tags=["rl"],
            status=NEEDS_REVIEW,
            checks=[Finding("hangul", ERROR, "Hangul left: 강화학습")],
        )
    )
    entries.append(
        Entry(
            id="2506.20002",
            date=day.date,
            title="A Paper Awaiting Its Translation",
            authors=["Chae Lee"],
            abstract="An abstract.",
            comment_ko="번역을 기다리는 코멘트입니다. 데이터 큐레이션을 작은 모델로 결정할 수 있을지.",
            status=AWAITING,
        )
    )
    return entries


# The author's words and what the model tends to write instead (for the period fixture).
SWAPS = {
    "designed": "made",
    "evaluate": "assess",
    "coherence": "consistency",
    "appropriateness": "suitability",
    "Training": "Learning",
    "study": "research",
    "shows": "demonstrates",
    "accelerate": "speed up",
    "continual": "continuous",
    "long-form": "long",
}


def period_entries(days: int = 28) -> list[Entry]:
    """Four weeks of drafts in which the author edits the model less and less (seeded)."""
    rng = random.Random(18)
    base = sample_day()[:3]
    entries = []
    for day in range(days):
        date = f"2025-07-{day + 1:02d}"
        if day % 7 == 6:
            continue  # a day off: a gap in the chart
        for n, model in enumerate(base):
            words = model.comment_en.split(" ")
            swappable = [i for i, w in enumerate(words) if w.strip(".,") in SWAPS]
            machine = list(words)
            for i in rng.sample(swappable, min(len(swappable), rng.randint(0, 4 - day // 8))):
                word = machine[i].strip(".,")
                machine[i] = machine[i].replace(word, SWAPS[word])
            entries.append(
                Entry(
                    id=f"2507.{day:02d}{n:03d}",
                    date=date,
                    title=model.title,
                    authors=model.authors,
                    abstract=model.abstract,
                    comment_ko=model.comment_ko,
                    machine_en=" ".join(machine),
                    comment_en=model.comment_en,
                    tags=model.tags,
                    status=READY,
                )
            )
    return entries


def pages() -> dict[str, str]:
    day = sample_day()
    period = period_review(period_entries(), "2025-07-01", "2025-07-31")
    range_days = [("2025-06-24", day[:2]), ("2025-06-25", day[2:3])]
    return {
        "day": render_html([("2025-06-24", day)]),
        "range": render_html(range_days, span=("2025-06-24", "2025-06-25")),
        "review": render_html_page([review_entry(e) for e in day], "Review of 2025-06-24"),
        "period": render_period_html(period),
    }


def find_browser() -> str | None:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def run(browser: str, profile: Path, *args: str) -> str:
    command = [browser, *FLAGS, f"--user-data-dir={profile}", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise SystemExit(f"screenshots: {browser} failed: {done.stderr.strip()[-400:]}")
    return done.stdout


def page_height(browser: str, profile: Path, page: Path, width: int, scheme: str) -> int:
    """The page's full height at this width: a copy with a one-line probe reports it.

    Headless Chromium lays a page out at least 500 px wide when it dumps the DOM (screenshots
    do honour --window-size), so the copy is held at the width wanted.
    """
    probe = page.with_suffix(".probe.html")
    script = (
        f"<style>html{{width:{width}px}}</style><script>addEventListener('load',()=>"
        "document.fonts.ready.then(()=>{document.title='H'+document.documentElement.scrollHeight}))"
        "</script></body>"
    )
    probe.write_text(page.read_text("utf-8").replace("</body>", script), "utf-8")
    dom = run(
        browser,
        profile,
        f"--window-size={width},800",
        f"--blink-settings=preferredColorScheme={scheme}",
        "--virtual-time-budget=3000",  # dump the DOM once loaded and laid out
        "--dump-dom",
        probe.as_uri(),
    )
    probe.unlink()
    found = re.search(r"<title>H(\d+)</title>", dom)
    return int(found.group(1)) if found else 2400


def main(argv: list[str]) -> int:
    browser = find_browser()
    if browser is None:
        print("screenshots: skipped, no Chromium found (apt-get install chromium fonts-noto-cjk)")
        return 0
    out = Path(argv[1] if len(argv) > 1 else "/tmp/digest-screenshots")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="digest-chromium-") as profile_dir:
        profile = Path(profile_dir)
        for name, text in pages().items():
            page = out / f"{name}.html"
            page.write_text(text, "utf-8")
            for device, width in WIDTHS.items():
                for scheme, value in SCHEMES.items():
                    height = page_height(browser, profile, page, width, value)
                    png = out / f"{name}-{device}-{scheme}.png"
                    run(
                        browser,
                        profile,
                        f"--window-size={width},{height}",
                        f"--blink-settings=preferredColorScheme={value}",
                        f"--screenshot={png}",
                        page.as_uri(),
                    )
                    print(png)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
