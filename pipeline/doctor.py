"""`digest doctor`: is everything a draft needs in place? One probe per piece, each independent,
so that one failure does not hide the others.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import RetryPolicy, Settings
from pipeline.errors import DigestError, ExitCode, InputError, ServiceError

# A paper that will always be on arXiv; any answer about it shows the API is reachable.
PROBE_PAPER = "1706.03762"
# One quick retry at most: a doctor that waits a minute is no help.
PROBE_RETRY = RetryPolicy(attempts=2, first_wait=1.0)


@dataclass
class Probe:
    name: str
    ok: bool
    detail: str
    exit_code: int = 0  # of a failed probe: 2 bad input or set-up, 3 a service


def _writable(folder: Path) -> bool:
    """The folder, or the nearest existing parent it would be created in, takes writes."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder.is_dir() and os.access(folder, os.W_OK)


def probe_glossary(settings: Settings) -> str:
    from pipeline.glossary import load_glossary

    glossary = load_glossary(settings.glossary_path, settings.glossary_named)
    if not glossary.terms and not glossary.keep:
        raise InputError(
            f"no glossary at {settings.glossary_path}: terms are not enforced (set DIGEST_GLOSSARY)"
        )
    return f"{settings.glossary_path}: {len(glossary.terms)} terms, {len(glossary.keep)} keep words"


def probe_drafts(settings: Settings) -> str:
    from pipeline.history import History
    from pipeline.store import Store

    if settings.drafts_dir.exists() and not settings.drafts_dir.is_dir():
        raise InputError(f"{settings.drafts_dir} is a file, not a folder (DIGEST_DRAFTS_DIR)")
    if not _writable(settings.drafts_dir):
        raise InputError(f"{settings.drafts_dir} is not writable")
    store = Store(settings.drafts_dir)
    history = History(store, settings.history_file)
    try:
        history.sync(every_file=True)  # doctor looks at every draft file
        drafts, days = history.count()
        broken = history.problems()
    except (OSError, DigestError):  # the cache folder is the cache probe's to report
        files = store.files()
        return f"{settings.drafts_dir}: {len(files)} draft files (not read: the cache is unusable)"
    if broken:
        raise InputError(f"{len(broken)} draft(s) cannot be read; the first: {broken[0]}")
    if not drafts:
        return f"{settings.drafts_dir}: no drafts yet"
    return (
        f"{settings.drafts_dir}: {drafts} draft{'s' * (drafts != 1)} "
        f"over {days} day{'s' * (days != 1)}"
    )


def probe_cache(settings: Settings) -> str:
    if not _writable(settings.cache_dir):
        raise InputError(f"{settings.cache_dir} is not writable (set DIGEST_CACHE_DIR)")
    return str(settings.cache_dir)


def probe_arxiv(settings: Settings) -> str:
    """The API itself (not the landing pages it falls back to), and whether it rests after a
    refusal; without DIGEST_CONTACT, a hint to set it (arXiv asks API clients for a contact)."""
    from pipeline.arxiv import ArxivClient
    from pipeline.config import DIGEST_ARXIV_API_URL, DIGEST_CONTACT, require_url
    from pipeline.text import parse_id

    require_url(DIGEST_ARXIV_API_URL, settings.arxiv_api_url)
    hint = (
        ""
        if settings.contact
        else f" (hint: set {DIGEST_CONTACT} to your e-mail address, as arXiv asks of API clients)"
    )
    started = time.monotonic()
    client = ArxivClient(dataclasses.replace(settings, retry=PROBE_RETRY))
    try:
        paused = client.api_paused()
        client.fetch([parse_id(PROBE_PAPER)], refresh=True, pages=False)
    except ServiceError as exc:
        raise ServiceError(f"{exc}{hint}") from None
    finally:
        client.close()
    detail = f"{settings.arxiv_api_url} answered in {time.monotonic() - started:.2f} s"
    if paused:
        detail += " (it had refused a while ago; drafts ask it again from now on)"
    return detail + hint


def probe_chat_endpoint(settings: Settings) -> None:
    """Whether the URL serves chat completions, asked with an empty conversation: a server that
    has the endpoint refuses it (HTTP 400 or 422) before any model runs, so nothing is spent; a
    URL that is no OpenAI API (Ollama without /v1) answers 404, and fails here as `draft` would."""
    import openai

    from pipeline.translate import api_failure, completion_text, make_client, not_a_completion

    try:
        reply = make_client(settings).chat.completions.create(model=settings.model, messages=[])
    except openai.APIStatusError as exc:
        if exc.status_code in (401, 403, 404, 405, 501):
            raise ServiceError(str(api_failure(exc, settings.model, settings))) from None
        return  # the endpoint is there: it refused an empty conversation
    except openai.APIError as exc:
        raise ServiceError(str(api_failure(exc, settings.model, settings))) from None
    except ValueError as exc:  # a 200 whose body is not JSON
        raise not_a_completion(settings, f"a body that is not JSON ({exc})") from None
    if isinstance(reply, str) or not isinstance(getattr(reply, "choices", None), list):
        completion_text(reply, settings)  # an HTML page, JSON of another shape: named


def probe_model(settings: Settings) -> str:
    from pipeline.config import DIGEST_MODEL, OPENAI_BASE_URL, require_url
    from pipeline.translate import list_models

    require_url(OPENAI_BASE_URL, settings.base_url)
    where = settings.base_url or "OpenAI"
    started = time.monotonic()
    models = list_models(settings, PROBE_RETRY)
    if models is None:  # no model list: is it an OpenAI-compatible API at all?
        probe_chat_endpoint(settings)
        took = f"answered in {time.monotonic() - started:.2f} s"
        return (
            f"{where} serves chat completions ({took}); it does not list its models, "
            f"so {settings.model} is untested"
        )
    took = f"answered in {time.monotonic() - started:.2f} s"
    if settings.model not in models:
        shown = ", ".join(sorted(models)[:8]) + (", ..." if len(models) > 8 else "")
        raise ServiceError(
            f"{where} does not serve {settings.model!r}; set {DIGEST_MODEL} to one of: {shown}"
        )
    return f"{settings.model} at {where} ({took})"


PROBES: list[tuple[str, Callable[[Settings], str]]] = [
    ("glossary", probe_glossary),
    ("drafts", probe_drafts),
    ("cache", probe_cache),
    ("arXiv", probe_arxiv),
    ("model", probe_model),
]


def run_probes(settings: Settings, on_probe: Callable[[Probe], None]) -> list[Probe]:
    """Every probe in turn, each reported as soon as it is done."""
    results = []
    for name, probe in PROBES:
        try:
            result = Probe(name, True, probe(settings))
        except DigestError as exc:
            result = Probe(name, False, str(exc), int(exc.exit_code))
        except OSError as exc:
            result = Probe(name, False, f"{exc.strerror}: {exc.filename}", int(ExitCode.BAD_INPUT))
        on_probe(result)
        results.append(result)
    return results
