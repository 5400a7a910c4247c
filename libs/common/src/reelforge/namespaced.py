"""A namespace for queue names, so several systems (or test sessions) share one broker.

The exchange name alone does not isolate them: two systems binding a queue called `video`
would consume each other's work. Prefixing every queue name does, and leaves the stage code
and the dead-letter handler (which derives the stage from the queue name) unaware of it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from reelforge.bus import Bus, Handler
from reelforge.events import Event


def exchange_name(namespace: str) -> str:
    return f"{namespace}.reelforge" if namespace else "reelforge"


def queue_name(namespace: str, queue: str) -> str:
    return f"{namespace}.{queue}" if namespace else queue


def strip_namespace(namespace: str, queue: str) -> str:
    prefix = f"{namespace}." if namespace else ""
    return queue[len(prefix):] if prefix and queue.startswith(prefix) else queue


class NamespacedBus:
    """Wraps a `Bus`: subscribes under `namespace.queue`, reports plain queue names back."""

    def __init__(self, inner: Bus, namespace: str) -> None:
        self.inner = inner
        self.namespace = namespace

    async def start(self) -> None:
        await self.inner.start()

    async def close(self) -> None:
        await self.inner.close()

    async def publish(self, event: Event) -> None:
        await self.inner.publish(event)

    async def subscribe(
        self, queue: str, routing_keys: Sequence[str], handler: Handler, prefetch: int = 1
    ) -> None:
        await self.inner.subscribe(
            queue_name(self.namespace, queue), routing_keys, handler, prefetch
        )

    def on_dead_letter(self, callback: Callable[[Event, str, str], Awaitable[None]]) -> None:
        async def unprefixed(event: Event, queue: str, reason: str) -> None:
            await callback(event, strip_namespace(self.namespace, queue), reason)

        self.inner.on_dead_letter(unprefixed)

    async def queue_depth(self, queue: str) -> int:
        return await self.inner.queue_depth(queue_name(self.namespace, queue))
