"""Fetch stage: arXiv ids, one batched and polite query, safe Atom parsing, an on-disk cache."""

from __future__ import annotations

import json
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipeline import __version__, yamlio
from pipeline.config import Settings
from pipeline.errors import InputError, ServiceError
from pipeline.retry import TransientError, call_service, parse_retry_after
from pipeline.text import PaperId, arxiv_page

BATCH_SIZE = 100  # arXiv takes up to this many ids in one id_list request
UNVERSIONED_TTL = 24 * 3600.0  # an unversioned id may gain a new version: refresh daily
USER_AGENT = f"digest/{__version__} (bilingual arXiv digest; one request at a time)"

_NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
}


@dataclass
class Paper:
    id: str
    version: str
    title: str
    authors: list[str]
    abstract: str
    published: str = ""
    updated: str = ""
    primary_category: str = ""
    comment: str = ""
    url: str = ""
    pdf_url: str = ""
    categories: list[str] = field(default_factory=list)


def normalize_title(text: str) -> str:
    return " ".join(text.split())


def normalize_abstract(text: str) -> str:
    """A newline followed by indentation is the authors' line break; any other is a wrap."""
    lines = text.strip().split("\n")
    kept = [lines[0]]
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and line.strip():
            kept.append(line)
        else:
            kept[-1] += " " + line
    return "\n".join(" ".join(line.split()) for line in kept)


def _text(element: ET.Element | None) -> str:
    return (element.text or "") if element is not None else ""


def _split_abs_url(url: str) -> tuple[str, str]:
    """'http://arxiv.org/abs/2506.18896v2' -> ('2506.18896', 'v2')."""
    tail = url.split("/abs/", 1)[-1]
    match = re.match(r"^(.*?)(v\d+)?$", tail)
    assert match is not None
    return match.group(1), match.group(2) or ""


def parse_feed(body: bytes) -> tuple[list[Paper], dict[str, str]]:
    """Papers in a feed, and the errors arXiv reported (keyed by the id it names, or '')."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise TransientError("arXiv sent a body that is not UTF-8") from None
    if re.match(r"\s*(<!doctype html|<html)", text, re.IGNORECASE):
        raise TransientError("arXiv sent an HTML page instead of an Atom feed")
    # Atom from arXiv never has a DTD; refusing one rules out external entities and
    # entity-expansion bombs before any parser sees them.
    if re.search(r"<!(DOCTYPE|ENTITY)", text, re.IGNORECASE):
        raise ServiceError("arXiv: the response declares a DTD or entities; refusing to parse it")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise TransientError(f"arXiv sent XML that does not parse ({exc})") from None
    if root.tag != f"{{{_NS['atom']}}}feed":
        raise TransientError("arXiv sent something that is not an Atom feed")
    papers: list[Paper] = []
    errors: dict[str, str] = {}
    for element in root.findall("atom:entry", _NS):
        entry_id = _text(element.find("atom:id", _NS)).strip()
        title = normalize_title(_text(element.find("atom:title", _NS)))
        summary = _text(element.find("atom:summary", _NS))
        if "/api/errors" in entry_id or (title == "Error" and "/abs/" not in entry_id):
            message = " ".join(summary.split()) or "error"
            named = re.search(r"for (\S+)$", message)
            errors[named.group(1) if named else ""] = message
            continue
        base, version = _split_abs_url(entry_id)
        links = element.findall("atom:link", _NS)
        pdf = next((link.get("href", "") for link in links if link.get("title") == "pdf"), "")
        alternate = next(
            (link.get("href", "") for link in links if link.get("rel") == "alternate"), entry_id
        )
        primary = element.find("arxiv:primary_category", _NS)
        papers.append(
            Paper(
                id=base,
                version=version,
                title=title,
                authors=[
                    " ".join(_text(a.find("atom:name", _NS)).split())
                    for a in element.findall("atom:author", _NS)
                ],
                abstract=normalize_abstract(summary),
                published=_text(element.find("atom:published", _NS)).strip(),
                updated=_text(element.find("atom:updated", _NS)).strip(),
                primary_category=primary.get("term", "") if primary is not None else "",
                comment=" ".join(_text(element.find("arxiv:comment", _NS)).split()),
                url=arxiv_page(alternate) or f"https://arxiv.org/abs/{base}{version}",
                pdf_url=arxiv_page(pdf) or f"https://arxiv.org/pdf/{base}{version}",
                categories=[c.get("term", "") for c in element.findall("atom:category", _NS)],
            )
        )
    return papers, errors


@dataclass
class FetchResult:
    papers: dict[str, Paper] = field(default_factory=dict)  # by PaperId.query
    problems: dict[str, InputError] = field(default_factory=dict)
    requests: int = 0


class ArxivClient:
    """Talks to the arXiv API: one request at a time, paced, retried, cached."""

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        log: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.settings = settings
        self.sleep = sleep
        self.clock = clock
        self.log = log
        self.cache_dir = settings.cache_dir / "arxiv"
        self._pace_file = settings.cache_dir / "arxiv-last-request"
        self._http: Any = None

    # -- cache ------------------------------------------------------------------------------
    def _cache_path(self, paper_id: PaperId) -> Path:
        return self.cache_dir / (paper_id.query.replace("/", "_") + ".json")

    def _cached(self, paper_id: PaperId) -> Paper | None:
        path = self._cache_path(paper_id)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            paper = Paper(**record["paper"])
            fetched_at = float(record["fetched_at"])
        except (OSError, ValueError, KeyError, TypeError):
            return None  # missing or damaged cache is only a miss
        if not paper_id.version and self.clock() - fetched_at > UNVERSIONED_TTL:
            return None
        return paper

    def _store(self, paper_id: PaperId, paper: Paper) -> None:
        record = {"fetched_at": self.clock(), "paper": asdict(paper)}
        try:
            yamlio.atomic_write(self._cache_path(paper_id), json.dumps(record, ensure_ascii=False))
        except OSError:
            pass  # a cache that cannot be written costs a later request, nothing else

    # -- requests ---------------------------------------------------------------------------
    def _client(self) -> Any:
        if self._http is None:
            import httpx2

            self._http = httpx2.Client(
                timeout=httpx2.Timeout(self.settings.arxiv_timeout, connect=10.0),
                headers={"User-Agent": USER_AGENT},
                follow_redirects=True,
            )
        return self._http

    def _pace(self) -> None:
        """Keep DIGEST_ARXIV_DELAY between requests, across runs too (arXiv's terms)."""
        try:
            last = float(self._pace_file.read_text())
        except (OSError, ValueError):
            last = 0.0
        wait = last + self.settings.arxiv_delay - self.clock()
        if wait > 0:
            self.log(f"arXiv: waiting {wait:.1f}s between requests")
            self.sleep(wait)
        try:
            yamlio.atomic_write(self._pace_file, repr(self.clock()))
        except OSError:
            pass

    def _request_once(self, ids: list[PaperId]) -> tuple[list[Paper], dict[str, str]]:
        import httpx2

        self._pace()
        params = {"id_list": ",".join(i.query for i in ids), "max_results": str(len(ids))}
        try:
            response = self._client().get(self.settings.arxiv_api_url, params=params)
        except httpx2.TimeoutException:
            raise TransientError("arXiv did not answer in time") from None
        except httpx2.TransportError as exc:
            raise TransientError(f"cannot reach arXiv ({type(exc).__name__})") from None
        status = response.status_code
        if status == 429 or status >= 500:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry_after is not None and retry_after > self.settings.retry.max_retry_after:
                raise ServiceError(
                    f"arXiv asks to wait {retry_after:.0f}s (HTTP {status}); try again later"
                )
            raise TransientError(f"arXiv answered HTTP {status}", retry_after)
        if status == 400:
            papers, errors = parse_feed(response.content)
            if errors:
                return papers, errors
            raise ServiceError("arXiv rejected the request (HTTP 400)")
        if status != 200:
            raise ServiceError(f"arXiv answered HTTP {status}; check DIGEST_ARXIV_API_URL")
        return parse_feed(response.content)

    def _request(self, ids: list[PaperId]) -> tuple[list[Paper], dict[str, str]]:
        return call_service(
            lambda: self._request_once(ids),
            self.settings.retry,
            service="arXiv",
            advice="Check your connection or DIGEST_ARXIV_API_URL, then run the same command again",
            sleep=self.sleep,
            log=self.log,
        )

    def fetch(self, ids: list[PaperId], *, refresh: bool = False) -> FetchResult:
        """Papers for ids: from the cache where fresh, else 100 ids per request."""
        result = FetchResult()
        wanted: list[PaperId] = []
        for paper_id in dict.fromkeys(ids):
            cached = None if refresh else self._cached(paper_id)
            if cached is not None:
                result.papers[paper_id.query] = cached
            else:
                wanted.append(paper_id)
        for start in range(0, len(wanted), BATCH_SIZE):
            batch = wanted[start : start + BATCH_SIZE]
            self.log(f"arXiv: fetching {len(batch)} paper{'s' * (len(batch) != 1)}")
            papers, errors = self._request(batch)
            result.requests += 1
            by_base = {p.id: p for p in papers}
            for paper_id in batch:
                paper = by_base.get(paper_id.base)
                error = errors.get(paper_id.query) or errors.get(paper_id.base)
                if paper is not None and (
                    not paper_id.version or paper.version == paper_id.version
                ):
                    result.papers[paper_id.query] = paper
                    self._store(paper_id, paper)
                elif error or (errors.get("") and not papers):
                    result.problems[paper_id.query] = InputError(
                        f"arXiv rejected {paper_id}: {error or errors['']}"
                    )
                else:
                    result.problems[paper_id.query] = InputError(
                        f"arXiv has no paper {paper_id}; check the id"
                    )
        return result

    def fetch_one(self, paper_id: PaperId, *, refresh: bool = False) -> Paper:
        result = self.fetch([paper_id], refresh=refresh)
        if paper_id.query in result.problems:
            raise result.problems[paper_id.query]
        return result.papers[paper_id.query]

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
