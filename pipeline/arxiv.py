"""Fetch stage: arXiv ids, one batched and polite query, safe Atom parsing, an on-disk cache;
when the API refuses, the papers' landing pages (arxiv_page), one at a time."""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pipeline import __version__, yamlio
from pipeline.config import Settings
from pipeline.errors import InputError, ServiceError
from pipeline.retry import TransientError, call_with_retries, parse_retry_after
from pipeline.text import PaperId, arxiv_page

BATCH_SIZE = 100  # arXiv takes up to this many ids in one id_list request
UNVERSIONED_TTL = 24 * 3600.0  # an unversioned id may gain a new version: refresh daily
USER_AGENT = f"digest/{__version__} (bilingual arXiv digest; one request at a time)"
API_SOURCE, PAGE_SOURCE = "arxiv", "arxiv-page"  # where a Paper's record came from
# After the API refuses (429/5xx after the retries, or a Retry-After too long to wait), the next
# runs go to the landing pages at once for this long instead of spending their retries on it
# (longer when arXiv's Retry-After asks for more, up to MAX_API_PAUSE). An API that cannot be
# reached is not remembered: that is this machine's network, and the pages share it.
API_PAUSE = 30 * 60.0
MAX_API_PAUSE = 6 * 3600.0
# Bodies are read in chunks up to a cap, so that whatever a server sends, memory stays bounded.
# A feed of 100 ordinary entries is about 0.3 MB; the cap leaves room for a day of papers by
# collaborations with thousands of authors (ATLAS: ~3,000 names, ~150 kB an entry).
FEED_LIMIT = 20 * 2**20
# A landing page's head is a few KB (real ones: tests/data/arxiv-pages/), a few hundred with the
# thousands of citation_author tags of a large collaboration (~60 bytes each). Reading stops at
# the end of the head; a head that does not end within the cap is not an arXiv page's, and is
# neither read on nor parsed (arxiv_page: the parse is linear in what it reads).
PAGE_LIMIT = 512 * 2**10


def user_agent(contact: str = "") -> str:
    """What arXiv sees of us; with DIGEST_CONTACT, an address to write to, as arXiv asks of API
    clients (arxiv.org/help/api/tou)."""
    return USER_AGENT[:-1] + f"; mailto:{contact})" if contact else USER_AGENT


T = TypeVar("T")

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
    source: str = API_SOURCE  # API_SOURCE or PAGE_SOURCE (a landing page's record)


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


class ArxivUnavailable(ServiceError):
    """arXiv did not answer after the retries: it `refused` (429 or 5xx, or a Retry-After too long
    to wait), or could not be reached or did not answer in time."""

    def __init__(self, message: str, retry_after: float | None = None, refused: bool = False):
        super().__init__(message)
        self.retry_after = retry_after
        self.refused = refused


class _Refusal(TransientError):
    """arXiv answered 429 or 5xx: worth retrying, and, once the retries are spent, a refusal."""


@dataclass
class FetchResult:
    papers: dict[str, Paper] = field(default_factory=dict)  # by PaperId.query
    problems: dict[str, InputError] = field(default_factory=dict)  # arXiv has no such paper
    missing: dict[str, ServiceError] = field(default_factory=dict)  # neither API nor page answered
    requests: int = 0  # to the API
    pages: int = 0  # landing pages read


class PaperSource(Protocol):
    """What the use cases ask of arXiv (ArxivClient; the tests' fake implements it too)."""

    def fetch(self, ids: list[PaperId], *, refresh: bool = False) -> FetchResult: ...

    def fetch_one(self, paper_id: PaperId, *, refresh: bool = False) -> Paper: ...


class ArxivClient:
    """Talks to arXiv: the API, one request at a time, paced, retried, cached; when it refuses,
    each paper's landing page instead, at the same pace."""

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
        self._pause_file = settings.cache_dir / "arxiv-api-paused-until"
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

    # -- the API's refusals, remembered across runs -----------------------------------------
    def _paused_until(self) -> float:
        try:
            return float(self._pause_file.read_text())
        except (OSError, ValueError):
            return 0.0

    def _pause_api(self, refusal: ArxivUnavailable) -> float:
        """Remember the refusal for the next runs; the time until which the API is left alone."""
        pause = min(max(API_PAUSE, refusal.retry_after or 0.0), MAX_API_PAUSE)
        until = self.clock() + pause
        try:
            yamlio.atomic_write(self._pause_file, repr(until))
        except OSError:
            pass  # not remembered: the next run asks the API again, nothing worse
        return until

    def _resume_api(self) -> None:
        """The API answered (asked with --refresh, or by doctor): no reason to keep away."""
        try:
            self._pause_file.unlink(missing_ok=True)
        except OSError:
            pass

    def api_paused(self) -> str:
        """Why the API is not asked now ("" when it is): it refused a while ago."""
        until = self._paused_until()
        if not 0 < until - self.clock() <= MAX_API_PAUSE:  # over, or a file no run of ours wrote
            return ""
        return f"arXiv's API refused recently; it is left alone until {_clock_time(until)}"

    # -- requests ---------------------------------------------------------------------------
    def _client(self) -> Any:
        if self._http is None:
            import httpx2

            timeout = self.settings.arxiv_timeout
            self._http = httpx2.Client(
                timeout=httpx2.Timeout(timeout, connect=min(10.0, timeout)),
                headers={"User-Agent": user_agent(self.settings.contact)},
                follow_redirects=True,
            )
        return self._http

    def _pace(self) -> None:
        """Keep DIGEST_ARXIV_DELAY between requests, across runs too (arXiv's terms), and never
        wait more than that: a time in the file that is no time, or later than now by more than
        the delay (another clock, a hand), is no request of ours and is not waited for."""
        delay, now = self.settings.arxiv_delay, self.clock()
        try:
            last = float(self._pace_file.read_text())
        except (OSError, ValueError):
            last = 0.0
        if not math.isfinite(last) or last > now + delay:
            last = 0.0
        wait = min(last + delay - now, delay)
        if wait > 0:
            self.log(f"arXiv: waiting {wait:.1f}s between requests")
            self.sleep(wait)
        try:
            yamlio.atomic_write(self._pace_file, repr(self.clock()))
        except OSError:
            pass

    def _get(
        self, url: str, params: dict[str, str] | None, limit: int, until: bytes = b""
    ) -> tuple[int, str | None, bytes]:
        """One GET within one deadline, DIGEST_TIMEOUT from connect to the last byte (a server
        trickling a body forever is cut there, and the try is retried as a timeout): the
        status, its Retry-After, and the body up to `limit` bytes (or up to `until`).

        A read waits at most DIGEST_TIMEOUT too, so one try ends within twice DIGEST_TIMEOUT."""
        import httpx2

        timeout = self.settings.arxiv_timeout
        deadline = time.monotonic() + timeout
        body = bytearray()
        try:
            with self._client().stream("GET", url, params=params) as response:
                status = response.status_code
                retry_after = response.headers.get("Retry-After")
                if status == 429 or status >= 500:
                    return status, retry_after, b""  # the body says nothing worth reading
                for chunk in response.iter_bytes():
                    body += chunk
                    if until and until in body[-len(chunk) - len(until) :].lower():
                        break
                    if len(body) > limit:
                        raise ServiceError(
                            f"arXiv sent more than {_size(limit)} for one request ({url})"
                            + (f" before {until.decode()}" if until else "")
                            + "; refusing to read on"
                        )
                    if time.monotonic() > deadline:
                        raise TransientError(
                            f"arXiv did not finish answering within {timeout:g}s", overload=True
                        )
        except httpx2.TimeoutException:
            raise TransientError("arXiv did not answer in time", overload=True) from None
        except httpx2.TransportError as exc:
            raise TransientError(f"cannot reach arXiv ({type(exc).__name__})") from None
        except httpx2.TooManyRedirects:  # the same again would loop the same: not retried
            raise ServiceError(f"arXiv's answer to {url} redirects in a loop") from None
        except httpx2.HTTPError as exc:  # a body that does not decode (gzip), and any other
            raise ServiceError(f"arXiv's answer to {url} cannot be read ({exc})") from None
        return status, retry_after, bytes(body)

    def _refusal(self, status: int, retry_after: str | None, what: str) -> Exception:
        """The error for a 429 or 5xx from `what`: retried, unless arXiv asks for too long a
        wait."""
        wait = parse_retry_after(retry_after)
        if wait is not None and wait > self.settings.retry.max_retry_after:
            message = f"{what} asks to wait {wait:.0f}s (HTTP {status})"
            return ArxivUnavailable(message, wait, refused=True)
        return _Refusal(f"{what} answered HTTP {status}", wait, overload=True)

    def _retried(self, func: Callable[[], T], what: str, attempts: int | None = None) -> T:
        """func under the retry policy; giving up is an ArxivUnavailable naming `what`."""
        policy = self.settings.retry
        if attempts is not None:
            policy = dataclasses.replace(policy, attempts=attempts)

        def on_retry(attempt: int, exc: TransientError, wait: float) -> None:
            self.log(f"{what}: {exc}; retrying in {wait:.1f}s (attempt {attempt + 1})")

        try:
            return call_with_retries(func, policy, sleep=self.sleep, on_retry=on_retry)
        except TransientError as exc:
            after = " after retries" if policy.attempts > 1 else ""
            refused = isinstance(exc, _Refusal)
            raise ArxivUnavailable(
                f"{what} failed{after}: {exc}", exc.retry_after, refused
            ) from None

    def _request_once(self, ids: list[PaperId]) -> tuple[list[Paper], dict[str, str]]:
        self._pace()
        params = {"id_list": ",".join(i.query for i in ids), "max_results": str(len(ids))}
        status, retry_after, body = self._get(self.settings.arxiv_api_url, params, FEED_LIMIT)
        if status == 429 or status >= 500:
            raise self._refusal(status, retry_after, "arXiv")
        if status == 400:
            papers, errors = parse_feed(body)
            if errors:
                return papers, errors
            raise ServiceError("arXiv rejected the request (HTTP 400)")
        if status != 200:
            raise ServiceError(f"arXiv answered HTTP {status}; check DIGEST_ARXIV_API_URL")
        return parse_feed(body)

    def _ask_api(self, ids: list[PaperId], result: FetchResult, attempts: int | None) -> None:
        """The API's records for ids, 100 ids per request, into `result`."""
        for start in range(0, len(ids), BATCH_SIZE):
            batch = ids[start : start + BATCH_SIZE]
            self.log(f"arXiv: fetching {len(batch)} paper{'s' * (len(batch) != 1)}")
            papers, errors = self._retried(
                functools.partial(self._request_once, batch), "arXiv", attempts
            )
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
                elif paper_id.query in result.papers:
                    continue  # a landing page's record the API did not confirm: it stands
                elif error or (errors.get("") and not papers):
                    result.problems[paper_id.query] = InputError(
                        f"arXiv rejected {paper_id}: {error or errors['']}"
                    )
                else:
                    result.problems[paper_id.query] = InputError(
                        f"arXiv has no paper {paper_id}; check the id"
                    )

    def _page_once(self, paper_id: PaperId) -> Paper:
        from pipeline.arxiv_page import parse_landing_page

        url = self.settings.arxiv_abs_url + paper_id.query
        self._pace()
        status, retry_after, body = self._get(url, None, PAGE_LIMIT, until=b"</head>")
        if status == 429 or status >= 500:
            raise self._refusal(status, retry_after, "the page")
        if status == 404:
            raise InputError(f"arXiv has no paper {paper_id} (no landing page at {url})")
        if status != 200:
            raise ServiceError(
                f"arXiv's landing page {url} answered HTTP {status}; check DIGEST_ARXIV_ABS_URL"
            )
        return parse_landing_page(body.decode("utf-8", errors="replace"), paper_id, url)

    def _read_pages(self, ids: list[PaperId], why: str, result: FetchResult) -> None:
        """Each paper's landing page, one at a time at the API's pace, into `result`."""
        from pipeline.arxiv_page import NotThatPaper

        if not ids:
            return
        count = f"{len(ids)} landing page{'s' * (len(ids) != 1)}"
        self.log(f"{why}; reading {count} instead, one at a time")
        for index, paper_id in enumerate(ids):
            self.log(f"arXiv: the landing page of {paper_id} ({index + 1}/{len(ids)})")
            try:
                paper = self._retried(
                    functools.partial(self._page_once, paper_id), "arXiv's landing page"
                )
            except InputError as exc:
                result.problems[paper_id.query] = exc
                continue
            except ArxivUnavailable as exc:  # the pages do not answer either: the rest would not
                self.log(str(exc))
                for rest in ids[index:]:
                    result.missing[rest.query] = ServiceError(f"{why}; {exc}")
                return
            except (NotThatPaper, ServiceError) as exc:  # this page is bad: this paper only
                self.log(f"arXiv: {exc}")
                result.missing[paper_id.query] = ServiceError(f"{why}; {exc}")
                continue
            finally:
                result.pages += 1
            result.papers[paper_id.query] = paper
            self._store(paper_id, paper)

    def fetch(
        self, ids: list[PaperId], *, refresh: bool = False, pages: bool = True
    ) -> FetchResult:
        """Papers for ids: from the cache where fresh, else from the API, 100 ids a request.

        When the API refuses or fails (or refused within API_PAUSE), the papers it did not give
        come from their landing pages; those neither gave are in `missing`. A landing page's
        record is used while the API rests and replaced by the API's once it answers (tried
        once, without retries, when nothing else is wanted). `refresh` skips the cache and asks
        the API even while it rests; without `pages`, an API failure is raised."""
        result = FetchResult()
        ask: list[PaperId] = []
        for paper_id in dict.fromkeys(ids):
            cached = None if refresh else self._cached(paper_id)
            if cached is not None:
                result.papers[paper_id.query] = cached
            if cached is None or cached.source == PAGE_SOURCE:
                ask.append(paper_id)
        needed = [i for i in ask if i.query not in result.papers]
        why = "" if refresh or not pages else self.api_paused()
        if not ask or (why and not needed):
            return result
        if not why:
            try:
                self._ask_api(ask, result, attempts=None if needed else 1)
            except ServiceError as exc:
                if not pages:
                    raise
                why = str(exc)
                if isinstance(exc, ArxivUnavailable) and exc.refused:
                    until = self._pause_api(exc)
                    why += f"; the API is left alone until {_clock_time(until)}"
            else:
                self._resume_api()
        if why:
            done = result.papers.keys() | result.problems.keys()
            self._read_pages([i for i in needed if i.query not in done], why, result)
        return result

    def fetch_one(self, paper_id: PaperId, *, refresh: bool = False) -> Paper:
        result = self.fetch([paper_id], refresh=refresh)
        if paper_id.query in result.problems:
            raise result.problems[paper_id.query]
        if paper_id.query in result.missing:
            raise result.missing[paper_id.query]
        return result.papers[paper_id.query]

    def close(self) -> None:
        if self._http is not None:
            self._http.close()


def _size(limit: int) -> str:
    return f"{limit // 2**20} MB" if limit % 2**20 == 0 else f"{limit // 2**10} KB"


def _clock_time(stamp: float) -> str:
    return time.strftime("%H:%M", time.localtime(stamp))
