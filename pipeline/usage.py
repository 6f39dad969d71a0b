"""What model requests spend: tokens as the server counts them, and an estimate of their price.

The price table is OpenAI's list prices (standard tier, USD per million tokens, as of 2025-08)
for the models one would use here; `DIGEST_PRICES` names a YAML file whose entries override or extend it:

    gpt-5-mini: {input: 0.25, cached: 0.025, output: 2.00}
    qwen2.5:14b: {input: 0, output: 0}     # a local model costs nothing

A cost is an estimate: the server's own bill is the truth (batch and flex tiers, free credits,
price changes). A model the table does not know gets its tokens shown and no cost.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from pipeline.errors import InputError


@dataclass(frozen=True)
class Usage:
    """Tokens of one or more answered requests. A reply from the cache costs nothing: none."""

    requests: int = 0
    prompt: int = 0  # prompt tokens, the cached ones included
    cached: int = 0  # of the prompt, read from the server's prompt cache (billed lower)
    completion: int = 0  # the reply, reasoning tokens included
    reasoning: int = 0  # of the completion, spent thinking (billed as output)

    def __add__(self, other: Usage) -> Usage:
        return Usage(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(Usage)))

    def __bool__(self) -> bool:
        return any(asdict(self).values())

    @property
    def total(self) -> int:
        return self.prompt + self.completion

    def to_dict(self) -> dict[str, int]:
        """As a draft keeps it: only what is not zero."""
        return {name: value for name, value in asdict(self).items() if value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Usage:
        return cls(**{f.name: int(data.get(f.name, 0)) for f in fields(cls)})


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def usage_of(response: Any) -> Usage:
    """The tokens a chat completion reports (OpenAI's `usage`, with its details where given);
    a server that reports none still counts as one request."""
    usage = getattr(response, "usage", None)
    prompt_details = getattr(usage, "prompt_tokens_details", None)
    completion_details = getattr(usage, "completion_tokens_details", None)
    return Usage(
        requests=1,
        prompt=_count(getattr(usage, "prompt_tokens", None)),
        cached=_count(getattr(prompt_details, "cached_tokens", None)),
        completion=_count(getattr(usage, "completion_tokens", None)),
        reasoning=_count(getattr(completion_details, "reasoning_tokens", None)),
    )


def by_model(records: Iterable[Mapping[str, Mapping[str, Any]]]) -> dict[str, Usage]:
    """Drafts' `usage` records (model -> token counts) added up per model."""
    total: dict[str, Usage] = {}
    for record in records:
        for model, counts in record.items():
            total[model] = total.get(model, Usage()) + Usage.from_dict(counts)
    return total


# -- prices -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Price:
    """USD per million tokens."""

    input: float
    cached: float
    output: float

    def cost(self, usage: Usage) -> float:
        fresh = max(0, usage.prompt - usage.cached)
        return (
            fresh * self.input + usage.cached * self.cached + usage.completion * self.output
        ) / 1e6


PRICES: dict[str, Price] = {
    "gpt-5": Price(1.25, 0.125, 10.00),
    "gpt-5.1": Price(1.25, 0.125, 10.00),
    "gpt-5-mini": Price(0.25, 0.025, 2.00),
    "gpt-5-nano": Price(0.05, 0.005, 0.40),
    "gpt-4.1": Price(2.00, 0.50, 8.00),
    "gpt-4.1-mini": Price(0.40, 0.10, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.025, 0.40),
    "gpt-4o": Price(2.50, 1.25, 10.00),
    "gpt-4o-mini": Price(0.15, 0.075, 0.60),
    "o1": Price(15.00, 7.50, 60.00),
    "o1-mini": Price(1.10, 0.55, 4.40),
    "o1-pro": Price(150.00, 150.00, 600.00),
    "o3": Price(2.00, 0.50, 8.00),
    "o3-mini": Price(1.10, 0.55, 4.40),
    "o3-pro": Price(20.00, 20.00, 80.00),
    "o4-mini": Price(1.10, 0.275, 4.40),
}


def price_of(model: str, table: Mapping[str, Price]) -> Price | None:
    """The model's price: its own entry, else that of the longest name it extends with a dash
    (a dated snapshot, gpt-5-mini-2025-08-07, is priced as gpt-5-mini); a provider prefix
    (openai/gpt-5-mini) is ignored."""
    name = model.strip().lower()
    for candidate in (name, name.rsplit("/", 1)[-1]):
        if candidate in table:
            return table[candidate]
        bases = [key for key in table if candidate.startswith(key + "-")]
        if bases:
            return table[max(bases, key=len)]
    return None


def load_prices(path: Path | None) -> dict[str, Price]:
    """The shipped table, with the entries of `path` (DIGEST_PRICES) over it."""
    table = dict(PRICES)
    if path is None:
        return table
    from pipeline import yamlio

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the prices file {path} (DIGEST_PRICES): {exc}") from None
    data, lines, _ = yamlio.load_mapping(text, str(path))
    for model, value in data.items():
        where = f"{path}:{lines.get(str(model), 1)}"
        if not isinstance(value, dict) or not {"input", "output"} <= value.keys():
            raise InputError(
                f"{where}: {model!r} needs {{input: USD, output: USD}} per million tokens "
                "(and optionally cached: USD)"
            )
        numbers: dict[str, Any] = {
            key: value.get(key, value["input"]) for key in ("input", "cached", "output")
        }
        unknown = set(value) - set(numbers)
        if unknown:
            raise InputError(f"{where}: {model!r} has unknown keys: {', '.join(sorted(unknown))}")
        if not all(
            isinstance(n, int | float) and not isinstance(n, bool) and 0 <= n < math.inf
            for n in numbers.values()
        ):
            raise InputError(f"{where}: {model!r}: prices must be numbers, 0 or more")
        table[str(model).strip().lower()] = Price(**{k: float(v) for k, v in numbers.items()})
    return table


def _dollars(amount: float) -> str:
    if amount == 0:
        return "$0"
    return (
        f"${amount:.4f}" if amount < 0.01 else f"${amount:.3f}" if amount < 1 else f"${amount:.2f}"
    )


def tokens_text(usage: Usage) -> str:
    return (
        f"{usage.prompt:,} prompt tokens ({usage.cached:,} cached), "
        f"{usage.completion:,} completion tokens ({usage.reasoning:,} reasoning)"
    )


def cost_text(usage: Mapping[str, Usage], table: Mapping[str, Price]) -> str:
    """The estimated cost of the tokens used per model, at the table's prices; a model the table
    does not know is named instead."""
    priced = {model: price_of(model, table) for model in usage}
    known = sorted(m for m, p in priced.items() if p is not None)
    unknown = sorted(m for m, p in priced.items() if p is None)
    parts = []
    if known:
        cost = sum(price.cost(usage[m]) for m, price in priced.items() if price is not None)
        parts.append(
            f"about {_dollars(cost)} (an estimate at the list prices of {', '.join(known)})"
        )
    if unknown:
        parts.append(f"no price known for {', '.join(unknown)} (see DIGEST_PRICES)")
    return "; ".join(parts)


def usage_line(usage: Mapping[str, Usage], table: Mapping[str, Price]) -> str | None:
    """One line of what the model use cost: requests, tokens, and the estimated cost. None when
    nothing was used (everything answered from the cache, or nothing recorded)."""
    used = {model: u for model, u in usage.items() if u}
    if not used:
        return None
    total = sum(used.values(), Usage())
    requests = f"{total.requests:,} request{'s' * (total.requests != 1)}"
    return f"Model use: {requests}, {tokens_text(total)}; {cost_text(used, table)}"
