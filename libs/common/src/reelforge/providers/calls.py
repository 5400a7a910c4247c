"""Which provider produced a result, what it cost, and the job's budget, per work item.

The provider protocols return plain results (PNG bytes, Audio, ...). Rather than change every
signature, a stage opens a `track_calls()` scope around its provider calls; the fallback chain
records the provider that answered and every adapter records its estimated cost there:

    with track_calls(Budget.of_job(job)) as calls:
        png = await ctx.providers.image.generate(request)
    await ctx.record_made(job.id, ..., provider=calls.provider or image.name,
                          cost_usd=calls.cost_usd)

The scope holds a mutable log in a context variable, so it follows the awaiting task (and
tasks it spawns) but never leaks between concurrent work items. Without a scope nothing is
recorded and no budget applies.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reelforge.providers.base import BudgetExceeded

if TYPE_CHECKING:
    from reelforge.models import Job


@dataclass
class Budget:
    """A job's spending limit. `spent_usd` is what the job had spent when the scope opened
    (Job.cost_usd); concurrent items each see that figure, so the limit is soft by at most
    the cost of the calls in flight."""

    limit_usd: float | None
    spent_usd: float = 0.0

    @classmethod
    def of_job(cls, job: Job, spent_since_usd: float = 0.0) -> Budget:
        """The job's budget as it stands (plus what this item spent since it was read)."""
        return cls(job.budget_usd, job.cost_usd + spent_since_usd)


@dataclass(frozen=True)
class Charge:
    """One billable provider call, with its estimated price (see costs.py)."""

    provider: str
    model: str
    what: str
    usd: float


@dataclass(frozen=True)
class Attempt:
    """One provider of a chain tried for an item."""

    capability: str
    provider: str
    ok: bool
    seconds: float
    error: str | None = None


@dataclass
class CallLog:
    budget: Budget | None = None
    charges: list[Charge] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def provider(self) -> str | None:
        """The provider that produced the last successful result."""
        return next((a.provider for a in reversed(self.attempts) if a.ok), None)

    @property
    def cost_usd(self) -> float:
        return round(sum(c.usd for c in self.charges), 6)

    @property
    def fallbacks(self) -> list[Attempt]:
        """Providers that failed before one succeeded (or all of them)."""
        return [a for a in self.attempts if not a.ok]


_LOG: ContextVar[CallLog | None] = ContextVar("reelforge_provider_calls", default=None)


@contextmanager
def track_calls(budget: Budget | None = None) -> Iterator[CallLog]:
    """Record provider attempts and costs of the calls made inside this scope."""
    log = CallLog(budget=budget)
    token = _LOG.set(log)
    try:
        yield log
    finally:
        _LOG.reset(token)


def current_calls() -> CallLog | None:
    return _LOG.get()


def check_budget(provider: str, usd: float, what: str) -> None:
    """Raise BudgetExceeded if spending `usd` more would pass the scope's budget."""
    log = _LOG.get()
    if log is None or log.budget is None or log.budget.limit_usd is None:
        return
    budget, limit = log.budget, log.budget.limit_usd
    total = budget.spent_usd + log.cost_usd + usd
    if total > limit + 1e-9:
        raise BudgetExceeded(
            provider,
            f"{what} (estimated ${usd:.4f}) would bring the job to ${total:.4f}, over its "
            f"budget of ${limit:.2f}; raise the budget or use a cheaper provider",
        )


def charge(provider: str, model: str, usd: float, what: str) -> None:
    """Record a completed billable call in the current scope (no-op without one)."""
    log = _LOG.get()
    if log is not None and usd > 0:
        log.charges.append(Charge(provider, model, what, round(usd, 6)))


def record_attempt(capability: str, provider: str, ok: bool, seconds: float,
                   error: str | None = None) -> None:
    log = _LOG.get()
    if log is not None:
        log.attempts.append(Attempt(capability, provider, ok, round(seconds, 3), error))
