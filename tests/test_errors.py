"""What a failure prints never shows the key (pipeline/errors.py redacts it): not an error
a gateway echoes, not --debug, not a file digest writes."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from pipeline.errors import redact
from tests.cli_helpers import DATE, KO, draft_file, draft_sample, run
from tests.servers import ArxivServer, Fault, OpenAIServer

KEY = "sk-test-not-a-real-key-0123456789"  # the model_server fixture's


def test_a_key_echoed_by_a_gateway_is_never_printed(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    key = os.environ["OPENAI_API_KEY"]
    echoed = f'{{"error": {{"message": "bad request; Authorization: Bearer {key}"}}}}'.encode()
    model_server.faults = [Fault(400, {"Content-Type": "application/json"}, echoed)]
    result = run("draft", "2506.18896", "--comment", KO, "--date", DATE)
    assert result.code == 3 and "HTTP 400" in result.stderr
    assert key not in result.stderr and "[redacted]" in result.stderr
    assert redact("token: Bearer abcdefghijklmnop") == "token: Bearer [redacted]"
    saved = draft_file(isolated, DATE, "2506.18896").read_text(encoding="utf-8")
    assert key not in saved and yaml.safe_load(saved)["comment_ko"] == KO


def test_the_key_never_reaches_a_file_or_the_output(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    outputs = [
        draft_sample(),
        run("--debug", "translate", "2506.18896"),
        run("export", DATE, "--format", "json"),
    ]
    model_server.faults = [Fault(401, {"Content-Type": "application/json"})]
    outputs.append(run("--debug", "translate", "2506.18896"))
    for result in outputs:
        assert KEY not in result.stdout + result.stderr
    written = [p for p in isolated.rglob("*") if p.is_file()]
    assert written
    for path in written:
        assert KEY.encode() not in path.read_bytes(), path
