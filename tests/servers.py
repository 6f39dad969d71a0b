"""Loopback HTTP servers that speak the arXiv Atom API and the OpenAI Chat Completions API.

They run on 127.0.0.1, port 0, in a thread; each records the requests it received and plays a
script of faults before answering normally.
"""

from __future__ import annotations

import json
import random
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape


@dataclass
class Fault:
    """One scripted answer: an HTTP status, a hang, a cut-off body, or a raw body; or a body
    that never ends: a huge Content-Length sent one byte every `trickle` seconds, or an event
    stream sending an event every `endless` seconds (both until the client hangs up)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    hang: float = 0.0
    truncate: bool = False
    trickle: float = 0.0
    endless: float = 0.0


def _hang_up(handler: BaseHTTPRequestHandler) -> None:
    """Close the connection for real (the handler's file objects keep the socket open)."""
    handler.close_connection = True
    try:
        handler.connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class _QuietServer(ThreadingHTTPServer):
    # a real server's listen backlog (uvicorn's 2048, Go's 4096), not socketserver's 5, which
    # drops the connections of a day's requests sent at once (the client then waits a second)
    request_queue_size = 128

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hung up (a timeout the test provoked) is expected, not news."""


class _Server:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                outer._handle(self, None)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                outer._handle(self, self.rfile.read(length))

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        # a short poll interval: shutdown() waits for one poll, at every test's teardown
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handle(self, handler: BaseHTTPRequestHandler, body: bytes | None) -> None:
        with self.lock:
            record = {
                "path": handler.path,
                "headers": {k.lower(): v for k, v in handler.headers.items()},
                "body": body,
                "time": time.monotonic(),
            }
            self.requests.append(record)
            fault = self.faults.pop(0) if self.faults else None
        if fault is not None and (fault.trickle or fault.endless):
            record["never_ending"] = True
            self._never_ending(handler, fault, record)
            return
        if fault is not None and (
            fault.hang or fault.status != 200 or fault.body is not None or fault.truncate
        ):
            if fault.hang:
                time.sleep(fault.hang)
                _hang_up(handler)
                return
            if not fault.truncate:
                payload = (
                    fault.body if fault.body is not None else b'{"error": {"message": "scripted"}}'
                )
                self._send(handler, fault.status, payload, fault.headers)
                return
        status, payload, headers = self.answer(handler, body, record)
        if fault is not None and fault.truncate:
            # promise the whole body, send half of it, hang up
            handler.send_response(status)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload[: len(payload) // 2])
            handler.wfile.flush()
            _hang_up(handler)
            return
        self._send(handler, status, payload, headers)

    @staticmethod
    def _never_ending(
        handler: BaseHTTPRequestHandler, fault: Fault, record: dict[str, Any]
    ) -> None:
        """Send a body that does not end, until the client hangs up (or ten minutes pass);
        `record["hung_up"]` is when the server saw it go."""
        handler.send_response(fault.status)
        for key, value in fault.headers.items():
            handler.send_header(key, value)
        if fault.trickle:
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(10**12))
        else:
            handler.send_header("Content-Type", "text/event-stream")
            handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        event = b'data: {"choices": [{"delta": {"content": "more "}}]}\n\n'
        chunk = b"%x\r\n%s\r\n" % (len(event), event)
        ends = time.monotonic() + 600
        try:
            while time.monotonic() < ends:
                handler.wfile.write(b" " if fault.trickle else chunk)
                handler.wfile.flush()
                time.sleep(fault.trickle or fault.endless)
        except OSError:
            record["hung_up"] = time.monotonic()  # the client hung up: what the test wants
        _hang_up(handler)

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler, status: int, payload: bytes, headers: dict[str, str]
    ) -> None:
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def answer(
        self, handler: BaseHTTPRequestHandler, body: bytes | None, record: dict[str, Any]
    ) -> tuple[int, bytes, dict[str, str]]:
        raise NotImplementedError


# -- arXiv --------------------------------------------------------------------------------------
@dataclass
class FakePaper:
    id: str
    title: str
    authors: list[str]
    abstract: str
    version: int = 1
    comment: str = ""
    category: str = "cs.LG"
    published: str = "2025-06-23T17:59:00Z"  # the first version's time
    updated: str = "2025-06-24T17:59:00Z"  # the latest version's


def wrap_old_style(text: str, width: int = 78) -> str:
    """How older arXiv responses look: hard-wrapped near 80 columns, authors' breaks indented."""
    out_lines = []
    for paragraph_index, paragraph in enumerate(text.split("\n")):
        line = "  " if paragraph_index == 0 else "  "
        for word in paragraph.split(" "):
            if len(line) + len(word) + 1 > width and line.strip():
                out_lines.append(line.rstrip())
                line = ""
            line += ("" if not line or line.endswith(" ") else " ") + word
        out_lines.append(line.rstrip())
    # The first line and every authors' break start with indentation; wraps do not.
    return "\n".join(out_lines) + "\n"


def _as_arxiv_meta(text: str) -> str:
    """A meta tag's content as arXiv writes it (browse/formatting/metatags.py, then Jinja):
    runs of two or more whitespace characters collapsed to a space (a lone line break stays),
    then HTML-escaped the way markupsafe does."""
    text = re.sub(r"\s\s+", " ", text)
    for char, entity in (
        ("&", "&amp;"),
        ("<", "&lt;"),
        (">", "&gt;"),
        ('"', "&#34;"),
        ("'", "&#39;"),
    ):
        text = text.replace(char, entity)
    return text


def landing_page(paper: FakePaper, named: str | None = None) -> str:
    """The paper's arXiv landing page, shaped like the real heads in tests/data/arxiv-pages/:
    the head's citation_* tags on one line (authors `Last, First`, the abstract as arXiv keeps
    it: hard-wrapped, the authors' breaks indented), then a body. `named`: the id the page
    names ("" none)."""
    named = paper.id if named is None else named
    tags = [("citation_title", paper.title)]
    for author in paper.authors:
        first, _, last = author.rpartition(" ")
        tags.append(("citation_author", f"{last}, {first}" if first else last))
    tags += [
        ("citation_date", "2025/06/23"),
        ("citation_online_date", "2025/06/24"),
        ("citation_pdf_url", f"https://arxiv.org/pdf/{paper.id}"),
    ]
    if named:
        tags.append(("citation_arxiv_id", named))
    tags.append(("citation_abstract", wrap_old_style(paper.abstract).strip()))
    metas = "".join(f'<meta name="{n}" content="{_as_arxiv_meta(v)}" />' for n, v in tags)
    title = _as_arxiv_meta(paper.title)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n\n'
        "<head><script>document.documentElement.classList.add('js');</script>"
        f"  <title>[{paper.id}] {title}</title>\n"
        '  <meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '  <script src="/static/browse/0.3.4/js/cite.js" type="text/javascript"></script>'
        f"{metas}\n</head>\n"
        '<body class="with-cu-identity">\n  <div id="abs">\n'
        f'    <h1 class="title mathjax"><span class="descriptor">Title:</span>{title}</h1>\n'
        '    <blockquote class="abstract mathjax"><span class="descriptor">Abstract:</span>'
        f"{escape(paper.abstract)}</blockquote>\n"
        # a tag in the body is no part of the head's metadata
        '    <meta name="citation_title" content="Not the title" />\n'
        "  </div>\n</body>\n</html>\n"
    )


class ArxivServer(_Server):
    """The API at /api/query and the landing pages at /abs/ID."""

    def __init__(self) -> None:
        self.papers: dict[str, FakePaper] = {}
        self.old_style = False
        self.shuffle = True
        self.api_status: int | None = None  # every API query answered so (429: "Rate exceeded.")
        self.api_headers: dict[str, str] = {}  # with api_status (a Location: a redirect loop)
        self.page_status: int | None = None  # every landing page answered so
        # a landing page answered so, by id: (status, body, headers)
        self.page_answers: dict[str, tuple[int, bytes, dict[str, str]]] = {}
        self.page_names: dict[str, str] = {}  # a landing page naming another id ("" none)
        super().__init__()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/query"

    @property
    def abs_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/abs/"

    def api_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"].startswith("/api/")]

    def page_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"].startswith("/abs/")]

    def _landing_page(self, raw: str) -> tuple[int, bytes, dict[str, str]]:
        html_type = {"Content-Type": "text/html; charset=utf-8"}
        if self.page_status is not None:
            return self.page_status, b"<html><body>Unavailable</body></html>", html_type
        base = re.sub(r"v\d+$", "", raw)
        if base in self.page_answers:
            return self.page_answers[base]
        if base not in self.papers:
            return 404, b"<html><body>Article identifier not recognized</body></html>", html_type
        page = landing_page(self.papers[base], self.page_names.get(base))
        return 200, page.encode("utf-8"), html_type

    def add(self, paper: FakePaper) -> None:
        self.papers[paper.id] = paper

    def query_ids(self, index: int = -1) -> list[str]:
        query = parse_qs(urlparse(self.requests[index]["path"]).query)
        return query.get("id_list", [""])[0].split(",")

    def _entry(self, paper: FakePaper) -> str:
        summary = (
            wrap_old_style(paper.abstract)
            if self.old_style
            else paper.abstract.replace("\n", "\n  ")
        )
        authors = "".join(f"<author><name>{escape(a)}</name></author>" for a in paper.authors)
        abs_url = f"http://arxiv.org/abs/{paper.id}v{paper.version}"
        return (
            f"<entry><id>{abs_url}</id><updated>{paper.updated}</updated>"
            f"<published>{paper.published}</published><title>{escape(paper.title)}</title>"
            f"<summary>{escape(summary)}</summary>{authors}"
            + (f"<arxiv:comment>{escape(paper.comment)}</arxiv:comment>" if paper.comment else "")
            + f'<link href="{abs_url}" rel="alternate" type="text/html"/>'
            f'<link title="pdf" href="http://arxiv.org/pdf/{paper.id}v{paper.version}" rel="related" type="application/pdf"/>'
            f'<arxiv:primary_category term="{paper.category}" scheme="http://arxiv.org/schemas/atom"/>'
            f'<category term="{paper.category}" scheme="http://arxiv.org/schemas/atom"/></entry>'
        )

    def answer(
        self, handler: BaseHTTPRequestHandler, body: bytes | None, record: dict[str, Any]
    ) -> tuple[int, bytes, dict[str, str]]:
        path = urlparse(handler.path).path
        if path.startswith("/abs/"):
            return self._landing_page(path.removeprefix("/abs/"))
        if self.api_status is not None:
            return (
                self.api_status,
                b"Rate exceeded.",
                {"Content-Type": "text/plain", **self.api_headers},
            )
        query = parse_qs(urlparse(handler.path).query)
        ids = [i for i in query.get("id_list", [""])[0].split(",") if i]
        max_results = int(query.get("max_results", ["10"])[0])  # arXiv's silent default
        entries = []
        status = 200
        for raw in ids:
            base = re.sub(r"v\d+$", "", raw)
            if base.startswith("bad"):
                status = 400
                # the id arXiv writes into its error entries; a name, never a URL anyone requests
                entries.append(
                    f"<entry><id>http://arxiv.org/api/errors#incorrect_id_format_for_{escape(raw)}</id>"
                    f"<title>Error</title><summary>incorrect id format for {escape(raw)}</summary></entry>"
                )
            elif base in self.papers:
                entries.append(self._entry(self.papers[base]))
        if self.shuffle:
            random.Random(len(self.requests)).shuffle(entries)
        entries = entries[:max_results]
        feed = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom" '
            'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
            f"<title>arXiv Query</title><opensearch:totalResults>{len(entries)}</opensearch:totalResults>"
            + "".join(entries)
            + "</feed>"
        )
        return status, feed.encode("utf-8"), {"Content-Type": "application/atom+xml; charset=utf-8"}


# -- OpenAI Chat Completions --------------------------------------------------------------------
Responder = Callable[[dict[str, Any]], str]


class OpenAIServer(_Server):
    """Answers chat completions with `responder(request)`; `replies` (a queue) goes first."""

    def __init__(self, responder: Responder | None = None, latency: float = 0.0) -> None:
        self.responder = responder or (lambda request: "An English translation.")
        self.replies: list[str] = []
        self.latency = latency
        self.finish_reason = "stop"
        self.models: list[str] | None = ["gpt-5-mini", "another-model"]  # None: no /models
        # a server of fixed capacity: past `capacity` requests at once, 429 (or, with
        # `queue_latency`, no refusal but each request slower by the load, as a local server)
        self.capacity: int | None = None
        self.queue_latency = False
        self.retry_after: str | None = None
        self.in_flight = 0
        self.peak = 0  # the most completion requests it held at once
        self.refused = 0
        # request fields this server does not know: a request with one is refused (400), as
        # OpenAI refuses `reasoning_effort` for a model without reasoning
        self.unknown_fields: tuple[str, ...] = ()
        # what each reply reports it used (OpenAI's shape, details included when given)
        self.usage: dict[str, Any] = {
            "prompt_tokens": 10,
            "completion_tokens": 10,
            "total_tokens": 20,
        }
        super().__init__()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.requests if r["body"]]

    def answer(
        self, handler: BaseHTTPRequestHandler, body: bytes | None, record: dict[str, Any]
    ) -> tuple[int, bytes, dict[str, str]]:
        if handler.command == "GET" and handler.path.rstrip("/").endswith("/models"):
            if self.models is None:
                return 404, b'{"error": {"message": "not found"}}', {}
            listing = {
                "object": "list",
                "data": [
                    {"id": m, "object": "model", "created": 0, "owned_by": "test"}
                    for m in self.models
                ],
            }
            return 200, json.dumps(listing).encode("utf-8"), {"Content-Type": "application/json"}
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            load = self.in_flight
        try:
            if self.capacity is not None and load > self.capacity and not self.queue_latency:
                with self.lock:
                    self.refused += 1
                headers = {"Retry-After": self.retry_after} if self.retry_after else {}
                return 429, b'{"error": {"message": "rate limited"}}', headers
            delay = self.latency
            if self.capacity is not None and self.queue_latency:
                delay *= max(1.0, load / self.capacity)
            if delay:
                time.sleep(delay)
            return self._completion(body)
        finally:
            with self.lock:
                self.in_flight -= 1

    def _completion(self, body: bytes | None) -> tuple[int, bytes, dict[str, str]]:
        request = json.loads(body or b"{}")
        if not request.get("messages"):  # as OpenAI and Ollama answer an empty conversation
            return 400, b'{"error": {"message": "[] is too short - \'messages\'"}}', {}
        unknown = [name for name in self.unknown_fields if name in request]
        if unknown:
            error = {
                "message": f"Unrecognized request argument supplied: {unknown[0]}",
                "type": "invalid_request_error",
                "param": unknown[0],
            }
            return 400, json.dumps({"error": error}).encode("utf-8"), {}
        with self.lock:
            content = self.replies.pop(0) if self.replies else None
        if content is None:
            content = self.responder(request)
        reply = {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.get("model", "test-model"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": self.finish_reason,
                }
            ],
            "usage": self.usage,
        }
        return 200, json.dumps(reply).encode("utf-8"), {"Content-Type": "application/json"}


def last_user_comment(request: dict[str, Any]) -> str:
    """The comment of a translation request (a repair request repeats it in an earlier turn)."""
    users = [m["content"] for m in request["messages"] if m["role"] == "user"]
    content = next((u for u in reversed(users) if "<<<" in u), users[-1])
    if "<<<" in content:
        return content.split("<<<\n", 1)[1].rsplit("\n>>>", 1)[0]
    return content
