"""`digest doctor` against the loopback servers: every probe, and each failure on its own."""

from __future__ import annotations

from pathlib import Path

from tests.cli_helpers import run
from tests.conftest import closed_port
from tests.servers import ArxivServer, Fault, OpenAIServer


def lines(stdout: str) -> dict[str, str]:
    return {line.split()[0]: line for line in stdout.splitlines()}


def test_all_good_spends_nothing(arxiv_server: ArxivServer, model_server: OpenAIServer) -> None:
    result = run("doctor")
    assert result.code == 0, result.stdout + result.stderr
    found = lines(result.stdout)
    assert list(found) == ["glossary", "drafts", "cache", "arXiv", "model"]
    assert all(" ok " in line for line in found.values())
    assert "231 terms" in found["glossary"] and "no drafts yet" in found["drafts"]
    assert "gpt-5-mini at http://127.0.0.1:" in found["model"]
    assert result.stderr.strip().endswith("All good.")
    assert [r["path"] for r in model_server.requests] == ["/v1/models"]  # no completion
    assert "id_list=1706.03762" in arxiv_server.requests[0]["path"]


def test_a_model_the_server_does_not_serve(
    arxiv_server: ArxivServer, model_server: OpenAIServer
) -> None:
    result = run("doctor", env={"DIGEST_MODEL": "gpt-9"})
    assert result.code == 3
    model = lines(result.stdout)["model"]
    assert "FAIL" in model and "does not serve 'gpt-9'" in model
    assert "set DIGEST_MODEL to one of: another-model, gpt-5-mini" in model
    assert result.stderr.strip().endswith("1 of 5 failed.")


def test_a_server_without_a_model_list_is_not_a_failure(
    arxiv_server: ArxivServer, model_server: OpenAIServer
) -> None:
    model_server.models = None
    result = run("doctor")
    assert result.code == 0 and "does not list its models" in lines(result.stdout)["model"]


def test_a_rejected_key(arxiv_server: ArxivServer, model_server: OpenAIServer) -> None:
    model_server.faults = [Fault(401)]
    result = run("doctor")
    assert result.code == 3 and "rejected the key" in lines(result.stdout)["model"]


def test_not_configured(arxiv_server: ArxivServer) -> None:
    result = run("doctor", env={"OPENAI_BASE_URL": "", "OPENAI_API_KEY": ""})
    assert result.code == 3 and "not configured" in lines(result.stdout)["model"]


def test_each_failure_is_reported_and_the_others_still_run(
    isolated: Path, model_server: OpenAIServer
) -> None:
    (isolated / "g.yaml").write_text("terms:\n  보상: reward\n  추론: []\n", encoding="utf-8")
    broken = isolated / "drafts" / "2025-06-24" / "2506.00001.yaml"
    broken.parent.mkdir(parents=True)
    broken.write_text("id: [x\n", encoding="utf-8")
    down = f"http://127.0.0.1:{closed_port()}/api/query"
    result = run(
        "doctor",
        env={"DIGEST_GLOSSARY": str(isolated / "g.yaml"), "DIGEST_ARXIV_API_URL": down},
    )
    assert result.code == 3  # the worst: a service
    found = lines(result.stdout)
    assert "FAIL" in found["glossary"] and "g.yaml:3: term '추론'" in found["glossary"]
    assert "FAIL" in found["drafts"] and "2506.00001.yaml:2:1: YAML syntax error" in found["drafts"]
    assert "FAIL" in found["arXiv"] and "arXiv failed after retries" in found["arXiv"]
    assert " ok " in found["cache"] and " ok " in found["model"]
    assert result.stderr.strip().endswith("3 of 5 failed.")
    assert "Traceback" not in result.stderr
