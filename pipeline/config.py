"""Every environment variable and its default, read once into a frozen Settings."""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import InputError, ServiceError

# Environment variable names, in one place (advertised in `digest --help`).
OPENAI_API_KEY = "OPENAI_API_KEY"
OPENAI_BASE_URL = "OPENAI_BASE_URL"
DIGEST_MODEL = "DIGEST_MODEL"
DIGEST_ARXIV_API_URL = "DIGEST_ARXIV_API_URL"
DIGEST_ARXIV_DELAY = "DIGEST_ARXIV_DELAY"
DIGEST_ARXIV_ABS_URL = "DIGEST_ARXIV_ABS_URL"
DIGEST_CONTACT = "DIGEST_CONTACT"
DIGEST_VAULT = "DIGEST_VAULT"
DIGEST_DRAFTS_DIR = "DIGEST_DRAFTS_DIR"
DIGEST_GLOSSARY = "DIGEST_GLOSSARY"
DIGEST_CACHE_DIR = "DIGEST_CACHE_DIR"
DIGEST_DEBUG = "DIGEST_DEBUG"
DIGEST_RETRY_WAIT = "DIGEST_RETRY_WAIT"
DIGEST_RETRY_ATTEMPTS = "DIGEST_RETRY_ATTEMPTS"
DIGEST_TIMEOUT = "DIGEST_TIMEOUT"
DIGEST_REPAIRS = "DIGEST_REPAIRS"
DIGEST_JUDGE = "DIGEST_JUDGE"
DIGEST_REASONING_EFFORT = "DIGEST_REASONING_EFFORT"
DIGEST_JUDGE_REASONING_EFFORT = "DIGEST_JUDGE_REASONING_EFFORT"
DIGEST_PRICES = "DIGEST_PRICES"

DEFAULT_MODEL = "gpt-5-mini"
DEFAULT_ARXIV_API_URL = "https://export.arxiv.org/api/query"
DEFAULT_ARXIV_DELAY = 3.0
DEFAULT_ARXIV_ABS_URL = "https://arxiv.org/abs/"
REASONING_EFFORTS = ("minimal", "low", "medium", "high")
# The glossary that ships beside the package (an editable install from the repository), used
# when the current folder has no glossary.yaml, so that digest run anywhere enforces the terms.
SHIPPED_GLOSSARY = Path(__file__).resolve().parent.parent / "glossary.yaml"

ENVIRONMENT_HELP = f"""\b
Environment:
  {OPENAI_API_KEY}        key for the model API (not needed for a local server)
  {OPENAI_BASE_URL}       any OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM Studio)
  {DIGEST_MODEL}          model name (default {DEFAULT_MODEL})
  {DIGEST_ARXIV_API_URL}  arXiv API query endpoint
  {DIGEST_ARXIV_DELAY}    seconds between arXiv requests (default 3)
  {DIGEST_ARXIV_ABS_URL}  landing pages, read when the API refuses (default {DEFAULT_ARXIV_ABS_URL})
  {DIGEST_CONTACT}        your e-mail address, sent to arXiv in the User-Agent (arXiv asks for one)
  {DIGEST_VAULT}          your Obsidian vault, for sync, new, import --vault, export --format vault
  {DIGEST_DRAFTS_DIR}     where drafts live (default: the nearest drafts/ here or above)
  {DIGEST_GLOSSARY}       the glossary file (default glossary.yaml here, else the shipped one)
  {DIGEST_CACHE_DIR}      cache of fetched papers and model replies
  {DIGEST_RETRY_WAIT}     first retry wait in seconds (default 2), doubling
  {DIGEST_RETRY_ATTEMPTS} tries per request before giving up (default 5)
  {DIGEST_TIMEOUT}        time limit of one request in seconds (default 30 arXiv, 120 model)
  {DIGEST_REPAIRS}        times to ask the model again when a check fails (default 1)
  {DIGEST_JUDGE}=1        also have the model review each English (same as --judge)
  {DIGEST_REASONING_EFFORT}  minimal, low, medium or high (default low for gpt-5*, o1, o3,
                           o4*; not sent to other models unless set)
  {DIGEST_JUDGE_REASONING_EFFORT}  the judge's (default: the same)
  {DIGEST_PRICES}         a YAML file of prices per model for the cost estimate
  {DIGEST_DEBUG}=1        show tracebacks"""


@dataclass(frozen=True)
class RetryPolicy:
    """How a service call is retried: exponential backoff with jitter, bounded twice."""

    attempts: int = 5
    first_wait: float = 2.0
    max_wait: float = 60.0
    max_total: float = 300.0
    max_retry_after: float = 120.0


@dataclass(frozen=True)
class Settings:
    api_key: str | None
    base_url: str | None
    model: str
    arxiv_api_url: str
    arxiv_delay: float
    drafts_dir: Path
    glossary_path: Path
    glossary_named: bool  # set in the environment: then it must exist
    cache_dir: Path
    retry: RetryPolicy
    arxiv_timeout: float = 30.0  # arXiv: connect and the whole body, per try
    model_timeout: float = 120.0
    repairs: int = 1
    judge: bool = False
    arxiv_abs_url: str = DEFAULT_ARXIV_ABS_URL
    contact: str = ""  # an e-mail address for arXiv's logs, in the User-Agent
    vault: Path | None = None  # the author's Obsidian vault, where no command names one
    reasoning_effort: str | None = None  # None: the model family's default (translate.py)
    judge_reasoning_effort: str | None = None  # None: the same as the translation's
    prices_file: Path | None = None  # prices that override the shipped table (usage.py)

    @property
    def history_file(self) -> Path:
        """The history of this drafts folder (one file per folder: two projects never mix)."""
        folder = str(self.drafts_dir.resolve())
        name = hashlib.sha256(folder.encode("utf-8")).hexdigest()[:16]
        return self.cache_dir / "history" / f"{name}.sqlite3"


def default_cache_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "digest"


def _number(env: Mapping[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"{name}={raw!r} is not a number") from None
    if not math.isfinite(value) or value > 1e9:
        raise InputError(f"{name}={raw!r} is not a usable number")
    if value < minimum:
        raise InputError(f"{name}={raw!r} must be at least {minimum:g}")
    return value


def reasoning_effort(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if raw.lower() not in REASONING_EFFORTS:
        raise InputError(f"{name}={raw!r} is not one of {', '.join(REASONING_EFFORTS)}")
    return raw.lower()


def flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() not in ("", "0", "false", "no", "off")


# A plain address: it goes into a header, so nothing that could break one (spaces, CR/LF, <>).
_EMAIL = re.compile(r"[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\"]+")


def contact(env: Mapping[str, str]) -> str:
    raw = env.get(DIGEST_CONTACT, "").strip()
    address = raw.removeprefix("mailto:")
    # an HTTP header carries printable ASCII only (an address in Hangul, a DEL, a zero-width
    # space would fail or break the request): named here, before any request
    unfit = next((ch for ch in address if not " " <= ch <= "~"), None)
    if unfit is not None:
        raise InputError(
            f"{DIGEST_CONTACT}={raw!r} holds U+{ord(unfit):04X}: the address goes into an HTTP "
            "header, which takes printable ASCII only (like you@example.org)"
        )
    if raw and not _EMAIL.fullmatch(address):
        raise InputError(
            f"{DIGEST_CONTACT}={raw!r} is not an e-mail address (like you@example.org)"
        )
    return address


def abs_url(env: Mapping[str, str]) -> str:
    """The base the landing pages' ids are appended to (a missing final slash is added)."""
    url = env.get(DIGEST_ARXIV_ABS_URL, "").strip() or DEFAULT_ARXIV_ABS_URL
    if not url.lower().startswith(("http://", "https://")):
        raise InputError(f"{DIGEST_ARXIV_ABS_URL}={url!r} is not an http(s) URL")
    return url if url.endswith("/") else url + "/"


def glossary_path(env: Mapping[str, str]) -> Path:
    named = env.get(DIGEST_GLOSSARY)
    if named:
        return Path(named)
    here = Path("glossary.yaml")
    return here if here.exists() or not SHIPPED_GLOSSARY.exists() else SHIPPED_GLOSSARY


def require_url(name: str, value: str | None) -> None:
    """A service URL without http:// or https:// (`localhost:11434/v1`) is named as such at
    once, instead of failing as a connection error after every retry."""
    from urllib.parse import urlsplit

    if value and urlsplit(value).scheme.lower() not in ("http", "https"):
        fixed = f" (http://{value})" if "://" not in value else ""
        raise ServiceError(
            f"{name}={value!r} is not a URL: it needs http:// or https:// in front{fixed}"
        )


def drafts_dir(env: Mapping[str, str], here: Path | None = None) -> Path:
    """Where drafts live, found as git finds `.git`: DIGEST_DRAFTS_DIR when set, else the nearest
    `drafts/` folder in the current folder or above it, else `drafts` here. Always absolute, so
    that every message names the one folder meant, wherever digest runs."""
    named = env.get(DIGEST_DRAFTS_DIR)
    start = Path(os.path.abspath(here or Path.cwd()))
    if named:
        return Path(os.path.abspath(start / os.path.expanduser(named)))
    for folder in (start, *start.parents):
        if (folder / "drafts").is_dir():
            return folder / "drafts"
    return start / "drafts"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read the environment once; every stage gets its values from the result."""
    env = os.environ if env is None else env
    timeout = _number(env, DIGEST_TIMEOUT, 0.0)
    return Settings(
        api_key=env.get(OPENAI_API_KEY) or None,
        base_url=env.get(OPENAI_BASE_URL) or None,
        model=env.get(DIGEST_MODEL) or DEFAULT_MODEL,
        arxiv_api_url=env.get(DIGEST_ARXIV_API_URL) or DEFAULT_ARXIV_API_URL,
        arxiv_delay=_number(env, DIGEST_ARXIV_DELAY, DEFAULT_ARXIV_DELAY),
        drafts_dir=drafts_dir(env),
        glossary_path=glossary_path(env),
        glossary_named=bool(env.get(DIGEST_GLOSSARY)),
        cache_dir=Path(env.get(DIGEST_CACHE_DIR) or default_cache_dir(env)),
        retry=RetryPolicy(
            attempts=int(_number(env, DIGEST_RETRY_ATTEMPTS, 5, minimum=1)),
            first_wait=_number(env, DIGEST_RETRY_WAIT, 2.0),
        ),
        arxiv_timeout=timeout or 30.0,
        model_timeout=timeout or 120.0,
        repairs=int(_number(env, DIGEST_REPAIRS, 1)),
        judge=flag(env, DIGEST_JUDGE),
        arxiv_abs_url=abs_url(env),
        contact=contact(env),
        vault=Path(env[DIGEST_VAULT]).expanduser() if env.get(DIGEST_VAULT, "").strip() else None,
        reasoning_effort=reasoning_effort(env, DIGEST_REASONING_EFFORT),
        judge_reasoning_effort=reasoning_effort(env, DIGEST_JUDGE_REASONING_EFFORT),
        prices_file=Path(env[DIGEST_PRICES]) if env.get(DIGEST_PRICES) else None,
    )
