"""The in-process bus used by embedded mode and unit tests.

It keeps the same semantics as the RabbitMQ bus: one queue per subscriber, topic routing,
prefetch-bounded concurrency, retries with backoff, dead letters. A queue outlives its
consumer (as a durable queue does): `stop_consumer` detaches it, deliveries in flight go back
to the queue, and a later `subscribe` to the same queue picks them up.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import structlog

from reelforge.bus.base import MAX_REDELIVERIES, Handler, Permanent, unfinished_reason
from reelforge.events import Event, topic_matches

log = structlog.get_logger(__name__)


@dataclass
class _Queue:
    name: str
    routing_keys: Sequence[str]
    handler: Handler
    prefetch: int
    messages: asyncio.Queue[Event] = field(default_factory=asyncio.Queue)
    workers: list[asyncio.Task[None]] = field(default_factory=list)


class InMemoryBus:
    def __init__(self, max_attempts: int = 3, retry_base: float = 0.2,
                 max_redeliveries: int = MAX_REDELIVERIES) -> None:
        self.max_attempts = max_attempts
        self.retry_base = retry_base
        self.max_redeliveries = max_redeliveries
        self._unfinished: dict[str, int] = {}  # message id → deliveries that never finished
        self.dead_letters: list[tuple[Event, str]] = []
        self._queues: dict[str, _Queue] = {}
        self._dead_letter_callbacks: list[Callable[[Event, str, str], Awaitable[None]]] = []
        self._pending = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._timers: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        tasks = [t for q in self._queues.values() for t in q.workers] + list(self._timers)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._queues.clear()

    def on_dead_letter(self, callback: Callable[[Event, str, str], Awaitable[None]]) -> None:
        self._dead_letter_callbacks.append(callback)

    async def subscribe(
        self, queue: str, routing_keys: Sequence[str], handler: Handler, prefetch: int = 1
    ) -> None:
        existing = self._queues.get(queue)
        if existing is not None and existing.workers:
            raise ValueError(f"queue {queue!r} already has a consumer")
        q = _Queue(queue, tuple(routing_keys), handler, max(1, prefetch))
        if existing is not None:  # a consumer comes back: keep what the queue collected
            q.messages = existing.messages
        q.workers = [asyncio.create_task(self._consume(q)) for _ in range(q.prefetch)]
        self._queues[queue] = q

    async def stop_consumer(self, queue: str) -> None:
        """Detach `queue`'s consumer at once, as a crashed process would. Deliveries in flight
        go back to the queue (the broker's requeue of unacked messages) and the queue keeps
        collecting events until a consumer subscribes again."""
        q = self._queues.get(queue)
        if q is None:
            return
        workers, q.workers = q.workers, []
        for t in workers:
            t.cancel()
        await asyncio.gather(*workers, return_exceptions=True)

    async def queue_depth(self, queue: str) -> int:
        q = self._queues.get(queue)
        return q.messages.qsize() if q is not None else 0

    async def publish(self, event: Event) -> None:
        for q in self._queues.values():
            if any(topic_matches(p, event.type) for p in q.routing_keys):
                self._enqueue(q, event)

    async def wait_idle(self) -> None:
        """Return when no message is queued, in flight or waiting for a retry."""
        await self._idle.wait()

    def _enqueue(self, q: _Queue, event: Event) -> None:
        self._pending += 1
        self._idle.clear()
        q.messages.put_nowait(event)

    def _done(self) -> None:
        self._pending -= 1
        if self._pending == 0:
            self._idle.set()

    async def _consume(self, q: _Queue) -> None:
        while True:
            event = await q.messages.get()
            try:
                unfinished = self._unfinished.get(event.id, 0)
                if unfinished >= self.max_redeliveries:
                    await self._dead_letter(q, event, unfinished_reason(unfinished))
                else:
                    await q.handler(event)
            except asyncio.CancelledError:
                self._unfinished[event.id] = self._unfinished.get(event.id, 0) + 1
                q.messages.put_nowait(event)  # never acked: back to the queue, still pending
                raise
            except Exception as exc:  # the delivery failed: retry or dead-letter
                try:
                    await self._failed(q, event, exc)
                except Exception as inner:  # never let one delivery kill the worker
                    log.error("retry_failed", queue=q.name, error=repr(inner))
            self._unfinished.pop(event.id, None)
            self._done()

    async def _failed(self, q: _Queue, event: Event, exc: Exception) -> None:
        reason = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, Permanent) or event.attempt >= self.max_attempts:
            await self._dead_letter(q, event, reason)
            return
        log.info("retry", queue=q.name, event_type=event.type, attempt=event.attempt, reason=reason)
        delay = self.retry_base * 2 ** (event.attempt - 1) * random.uniform(0.5, 1.5)
        retry = event.model_copy(update={"attempt": event.attempt + 1})
        self._pending += 1  # the timer holds the bus busy until it re-enqueues
        timer = asyncio.create_task(self._requeue_later(q.name, retry, delay))
        self._timers.add(timer)
        timer.add_done_callback(self._timers.discard)

    async def _dead_letter(self, q: _Queue, event: Event, reason: str) -> None:
        log.warning("dead_letter", queue=q.name, event_type=event.type, reason=reason)
        self.dead_letters.append((event, reason))
        for cb in self._dead_letter_callbacks:
            try:
                await cb(event, q.name, reason)
            except Exception as cb_exc:  # dead-lettered either way; keep the worker alive
                log.error("dead_letter_callback_failed", queue=q.name, error=repr(cb_exc))

    async def _requeue_later(self, queue: str, event: Event, delay: float) -> None:
        await asyncio.sleep(delay)
        q = self._queues.get(queue)
        if q is not None:  # a re-subscribed queue is a new _Queue sharing the messages
            self._enqueue(q, event)
        self._done()
