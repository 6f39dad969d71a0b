"""No test reaches a real service: the guards of tests/conftest.py, shown to hold."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.cli_helpers import run


def test_this_process_cannot_open_a_socket_off_the_machine() -> None:
    with pytest.raises(ConnectionRefusedError, match="loopback only"):
        socket.create_connection(("93.184.216.34", 80), timeout=1)


@pytest.fixture
def recording_proxy() -> Iterator[tuple[int, list[str]]]:
    """A proxy on 127.0.0.1 that records what it is asked for and forwards nothing."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def refuse(self) -> None:
            seen.append(f"{self.command} {self.path}")
            self.send_response(403)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_CONNECT = refuse

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield int(server.server_address[1]), seen
    server.shutdown()
    server.server_close()


def test_the_cli_sends_real_service_urls_to_the_local_proxy(
    recording_proxy: tuple[int, list[str]],
) -> None:
    """The CLI runs in subprocesses: even pointed at the real services, both HTTP clients (arXiv's
    and openai's) go through the proxy the test environment names (in every other test, a
    closed local port), which here records them."""
    port, seen = recording_proxy
    env = {
        name: f"http://127.0.0.1:{port}"
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")
    }
    env |= {
        "DIGEST_ARXIV_API_URL": "https://export.arxiv.org/api/query",
        "OPENAI_BASE_URL": "https://api.openai.com/v1",
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
    }
    result = run("doctor", env=env)
    assert result.code == 3
    assert any(line.startswith("CONNECT export.arxiv.org:443") for line in seen), seen
    assert any(line.startswith("CONNECT api.openai.com:443") for line in seen), seen
