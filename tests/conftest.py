from __future__ import annotations

import os
import signal
import socket
import ssl
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

from tests.servers import ArxivServer, FakePaper, OpenAIServer

if TYPE_CHECKING:
    from tests.cli_helpers import SampleVault

REPO = Path(__file__).resolve().parent.parent
# Everything the tests read lives in the repository: a clone with nothing beside it passes.
DATA = REPO / "tests" / "data"
CORPUS = DATA
FORMAT_SAMPLE = DATA / "format-sample.txt"

# A suite started with Ctrl-C ignored (`make test &` in a script, some CI runners) would pass
# that on to every digest it starts, and digest rightly keeps an ignored Ctrl-C ignored: the
# Ctrl-C tests would then test nothing. A handler of our own here is reset to the default in
# each process started from this one, as a real terminal's shell would start it.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# Hypothesis's default 200 ms per example measures the machine, not the code: a loaded CI
# runner stalls a sub-millisecond example past it now and then.
settings.register_profile("digest", deadline=None)
settings.load_profile("digest")


def closed_port() -> int:
    """A local port nothing listens on: a forgotten fixture fails fast, never reaches out."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session", autouse=True)
def private_temp_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The system temp folder, for this session, is a folder of its own (TMPDIR too, for the
    subprocesses), and must be as empty at the end as it was at the start: nothing digest or a
    test writes there may outlive its command (the author's text is kept beside his drafts)."""
    folder = tmp_path_factory.mktemp("system-temp")
    saved = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir = str(folder)
    os.environ["TMPDIR"] = str(folder)
    yield folder
    tempfile.tempdir = saved[0]
    if saved[1] is None:
        os.environ.pop("TMPDIR", None)
    else:
        os.environ["TMPDIR"] = saved[1]
    left = sorted(p.name for p in folder.iterdir())
    assert not left, f"the tests left files in the temp folder: {left}"


@pytest.fixture(scope="session", autouse=True)
def one_tls_context_per_setting() -> Iterator[None]:
    """Every HTTP client digest builds reads the system's CA bundle into a new TLS context (some
    30 ms each, a third of an in-process command's time). The tests speak plain HTTP to loopback
    and never use it: in this process, one context per setting is built and shared (digest's
    own processes build theirs as always)."""
    import httpcore2

    build = httpcore2.default_ssl_context
    built: dict[tuple[bool, str | None, str | None], ssl.SSLContext] = {}

    def shared(*, _trust_env: bool = True) -> ssl.SSLContext:
        key = (_trust_env, os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
        if key not in built:
            built[key] = build(_trust_env=_trust_env)
        return built[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(httpcore2, "default_ssl_context", shared)
        yield


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    port = closed_port()
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "DIGEST_MODEL",
        "NO_COLOR",
        "DIGEST_DEBUG",
        "DIGEST_CONTACT",
        "OPENAI_ORG_ID",
        "OPENAI_PROJECT_ID",
        "VISUAL",
        "EDITOR",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
    monkeypatch.setenv("DIGEST_ARXIV_API_URL", f"http://127.0.0.1:{port}/api/query")
    monkeypatch.setenv("DIGEST_ARXIV_ABS_URL", f"http://127.0.0.1:{port}/abs/")
    monkeypatch.setenv("DIGEST_DRAFTS_DIR", str(tmp_path / "drafts"))
    monkeypatch.setenv("DIGEST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("DIGEST_GLOSSARY", str(REPO / "glossary.yaml"))
    monkeypatch.setenv("DIGEST_ARXIV_DELAY", "0")
    monkeypatch.setenv("DIGEST_RETRY_WAIT", "0.01")
    monkeypatch.setenv("DIGEST_RETRY_ATTEMPTS", "4")
    monkeypatch.setenv("DIGEST_TIMEOUT", "5")
    # Belt and braces: whatever URL a test or a draft names, nothing leaves this machine. The
    # CLI runs in subprocesses, whose HTTP clients send every non-local request to a proxy on
    # a closed local port; in this process, sockets refuse any address but loopback.
    dead_proxy = f"http://127.0.0.1:{port}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, dead_proxy)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setattr(socket.socket, "connect", _loopback_only(socket.socket.connect))
    monkeypatch.setattr(socket.socket, "connect_ex", _loopback_only(socket.socket.connect_ex))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _loopback_only(connect):
    def guarded(sock: socket.socket, address, *args):
        host = address[0] if isinstance(address, tuple) else None
        if host is not None and host not in ("127.0.0.1", "::1", "localhost"):
            raise ConnectionRefusedError(f"tests may not reach {host}: loopback only")
        return connect(sock, address, *args)

    return guarded


@pytest.fixture
def arxiv_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ArxivServer]:
    server = ArxivServer()
    server.add(SAMPLE_PAPER)
    monkeypatch.setenv("DIGEST_ARXIV_API_URL", server.url)
    yield server
    server.close()


@pytest.fixture
def model_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIServer]:
    server = OpenAIServer(responder=dictionary_translator)
    monkeypatch.setenv("OPENAI_BASE_URL", server.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key-0123456789")
    yield server
    server.close()


@pytest.fixture
def vault(isolated: Path, model_server: OpenAIServer, arxiv_server: ArxivServer) -> SampleVault:
    """A copy of his vault whose current-layout notes lost their English, and a model that
    answers with his own English (cli_helpers.SampleVault)."""
    from tests.cli_helpers import SampleVault  # it imports this module

    copy = SampleVault(isolated / "Obsidian")
    model_server.responder = copy.answer
    return copy


SAMPLE_PAPER = FakePaper(
    id="2506.18896",
    title="ReasonFlux-PRM: Trajectory-Aware PRMs for Long Chain-of-Thought Reasoning in LLMs",
    authors=["Jiaru Zou", "Ling Yang", "Jingwen Gu"],
    abstract="Process Reward Models (PRMs) have recently emerged as a powerful framework.\n"
    "Projects: https://github.com/Gen-Verse/ReasonFlux",
    version=2,
)

# Korean comments of the tests and the English a good model would give.
TRANSLATIONS = {
    "PRM. 각 단계가 일관되는지, 추론의 템플릿이 적절한지 등을 평가하게 했군요.": "A PRM. They made it evaluate things like whether the steps are coherent and the reasoning templates fit.",
    "Reward에 노이즈를 추가하는 것으로 학습 속도를 가속시킬 수 있다는 연구 (https://www.arxiv.org/abs/2506.08737).": "Adding noise to the reward can speed up training (https://www.arxiv.org/abs/2506.08737).",
    "SFT 없이 RL로 장문을 생성하는 추론 모델을 학습. Continual Pretraining도 사용했군요.": "Training a reasoning model to write long-form text with RL, without SFT. They also used continual pretraining.",
    "PRM을 학습하는 다른 방법이네요.": "Another way to train a PRM.",
    "또 다른 코멘트입니다.": "Yet another comment.",
}


def dictionary_translator(request: dict) -> str:
    from tests.servers import last_user_comment

    comment = last_user_comment(request)
    return TRANSLATIONS.get(comment, f"Translation of a comment of {len(comment)} characters.")
