from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from reelforge.errors import Explained
from reelforge.events import Event

Handler = Callable[[Event], Awaitable[None]]


class Permanent(Explained):
    """A failure that retrying cannot fix (bad input, cancelled job): dead-letter at once."""


class BusUnavailable(Explained):
    """The broker could not take a message after a few tries (restarting, down): a passing
    outage. The API answers 503 with Retry-After; nothing published is half-sent."""

    def __init__(self, message: str = "the message broker cannot be reached right now (it may "
                                      "be restarting); try again in a few seconds") -> None:
        super().__init__(message)


MAX_REDELIVERIES = 5
"""Deliveries of one message that may end without an answer (the worker died, was killed or
stopped mid-handler) before the message is dead-lettered instead of handled again: a message
that crashes every worker that takes it must not loop forever."""


def unfinished_reason(deliveries: int) -> str:
    return (f"delivered {deliveries} times without finishing: the worker handling it died or "
            f"was stopped each time (out of memory? a crash?); check the workers' logs, then "
            f"`reelforge dead-letters replay` it")


class DeadLetter(Exception):
    """Raised into nothing; the type documents what a dead-lettered delivery carries."""


class Bus(Protocol):
    """Durable topic publish/subscribe.

    `publish` returns once the event is safely enqueued (broker confirm). A handler that
    returns normally acks its delivery; one that raises is retried with backoff up to
    `max_attempts`, then dead-lettered together with its reason. `Permanent` skips retries.
    """

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, event: Event) -> None: ...

    async def subscribe(
        self, queue: str, routing_keys: Sequence[str], handler: Handler, prefetch: int = 1
    ) -> None: ...

    def on_dead_letter(self, callback: Callable[[Event, str, str], Awaitable[None]]) -> None:
        """Called once per dead-lettered event with its queue and the reason (to fail the job)."""
        ...

    async def queue_depth(self, queue: str) -> int:
        """Messages waiting in `queue` (a metric; autoscaling keys on it). 0 if unknown."""
        ...
