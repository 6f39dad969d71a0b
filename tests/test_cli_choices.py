"""The command line's choices come from where each is defined: `export --format` lists the
renderers of pipeline.export (and vault), read only when a command needs them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pipeline import export
from tests.cli_helpers import run


def test_the_export_formats_are_the_renderers_and_vault(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "[text|markdown|html|json|vault]" in run("export", "--help").stdout
    monkeypatch.setitem(export.RENDERERS, "rss", export.render_text)
    assert "[text|markdown|html|json|rss|vault]" in run("export", "--help").stdout
    refused = run("export", "2025-06-24", "--format", "pdf")
    assert refused.code == 2
    assert (
        "'pdf' is not one of 'text', 'markdown', 'html', 'json', 'rss', 'vault'" in refused.stderr
    )


def test_digest_starts_without_the_renderers() -> None:
    """`digest --help` lists the commands without reading the renderers (nor YAML)."""
    probe = (
        "import sys\n"
        "from pipeline.cli import run\n"
        "from pipeline.console import Console\n"
        "code = run(['--help'], Console.from_system())\n"
        "print(code, sorted(m for m in ('pipeline.export', 'yaml') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "0 []"
