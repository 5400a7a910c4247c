"""The RabbitMQ bus for distributed mode (aio-pika).

Topology, for an exchange `reelforge` and a subscription `video.shots`:

- `reelforge` — durable topic exchange; every event is published to it with its type as the
  routing key, persistent, and `publish` returns only after the broker's confirm.
- `video.shots` — quorum work queue bound to the subscription's routing keys. Consumed with
  manual ack and `prefetch` unacked deliveries at most; a delivery is acked only after its
  handler returned (its results stored and its next events confirmed). The broker counts the
  deliveries that ended without an answer (`x-delivery-count`: the worker died, was killed or
  stopped); one already delivered `max_redeliveries` times is dead-lettered instead of handled
  again, so a message that crashes every worker cannot loop forever. The queue's own
  `x-delivery-limit` (a constant above any sane `max_redeliveries`) is the backstop.
- `video.shots.retry.N` (N = 1 … max_attempts-1) — one durable delay queue per failed attempt,
  with no consumer. A failed delivery is re-published there (attempt + 1) with a per-message
  TTL (jittered `retry_base * 2**(N-1)`); on expiry the broker dead-letters it through the
  default exchange straight back to `video.shots` — only to the queue that failed, never to the
  other subscribers of the event. Messages in one delay queue have TTLs within the same jitter
  band, so head-of-line blocking delays a retry by at most that band. The queue arguments name
  only the work queue, never a delay, so changing `retry_base` never conflicts with a queue
  already declared.
- `video.shots.dlq` — durable dead-letter queue: deliveries that failed `max_attempts` times or
  raised `Permanent`, with the reason in the `x-reelforge-reason` header. The
  `on_dead_letter` callbacks run (they fail the job) before the original is acked.

A crash before the ack leaves the delivery unacked; the broker requeues it when the
connection drops and another replica gets it (`attempt` is unchanged: it did not fail).

A handler runs in a task of the bus's own, not in the channel's consumer task: when the
connection is lost (a broker restart, a network cut) aio-pika cancels the channel's tasks,
but a handler half-way through a paid provider call must not be thrown away. It finishes and
stores its result; only its ack is lost, so the broker redelivers the message, and the
redelivery finds that result by its content-addressed key (the runtime's delivery claim
makes it wait while the first run is still going). Only `close` (past `drain_timeout`) and
`abort` cancel handlers.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import structlog
from aio_pika.abc import (
    AbstractChannel,
    AbstractConnection,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from aio_pika.exceptions import ChannelClosed, ChannelInvalidStateError
from pydantic import ValidationError
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from reelforge.bus.base import (
    MAX_REDELIVERIES,
    BusUnavailable,
    Handler,
    Permanent,
    unfinished_reason,
)
from reelforge.events import Event

log = structlog.get_logger(__name__)

DeadLetterCallback = Callable[[Event, str, str], Awaitable[None]]
REASON_HEADER = "x-reelforge-reason"
QUEUE_HEADER = "x-reelforge-queue"
_TRANSIENT = (ConnectionError, ChannelInvalidStateError, aio_pika.exceptions.AMQPConnectionError)


CANCEL_GRACE = 5.0
"""Seconds cancelled handlers get to unwind (release claims, roll back) before the
connection closes under them."""

BROKER_DELIVERY_LIMIT = 20
"""The work queues' `x-delivery-limit`: past it the broker itself dead-letters a message (with
no reason and no job update). A constant, because every declaration of a queue must carry the
same arguments; `max_redeliveries` acts long before it."""


class QueueConflict(RuntimeError):
    """A queue exists with other arguments (a classic queue from an earlier version)."""


def work_queue_arguments(queue: str) -> dict[str, Any]:
    """The arguments every declaration of the work queue `queue` makes (the bus's and
    `topology.declare_pipeline`'s must match, or the broker refuses the second)."""
    return {
        "x-queue-type": "quorum",
        "x-delivery-limit": BROKER_DELIVERY_LIMIT,
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": dead_letter_queue(queue),
    }


async def declare_work_queue(channel: AbstractChannel, queue: str) -> AbstractQueue:
    try:
        return await channel.declare_queue(queue, durable=True,
                                           arguments=work_queue_arguments(queue))
    except ChannelClosed as exc:
        if "PRECONDITION_FAILED" not in str(exc):
            raise
        raise QueueConflict(
            f"queue {queue!r} exists with other arguments (a classic queue left by an earlier "
            f"version); let it drain, delete it (rabbitmqctl delete_queue {queue}) and start "
            f"again, or use a new REELFORGE_NAMESPACE"
        ) from None


def retry_queue(queue: str, attempt: int) -> str:
    """The delay queue holding deliveries of `queue` whose attempt `attempt` failed."""
    return f"{queue}.retry.{attempt}"


def dead_letter_queue(queue: str) -> str:
    return f"{queue}.dlq"


@dataclass
class _Subscription:
    queue_name: str
    handler: Handler
    channel: AbstractChannel
    queue: AbstractQueue
    consumer_tag: str | None = None
    in_flight: set[asyncio.Task[Any]] = field(default_factory=set)


class RabbitMQBus:
    """`Bus` over RabbitMQ. See the module docstring for the queue topology."""

    def __init__(
        self,
        url: str,
        exchange: str = "reelforge",
        max_attempts: int = 3,
        retry_base: float = 1.0,
        drain_timeout: float = 30.0,
        max_redeliveries: int = MAX_REDELIVERIES,
    ) -> None:
        self.url = url
        self.exchange_name = exchange
        self.max_attempts = max(1, max_attempts)
        self.max_redeliveries = min(max(1, max_redeliveries), BROKER_DELIVERY_LIMIT - 1)
        self.retry_base = retry_base
        self.drain_timeout = drain_timeout
        self._connection: AbstractRobustConnection | None = None
        self._admin: AbstractConnection | None = None
        self._publish_channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._subscriptions: dict[str, _Subscription] = {}
        self._dead_letter_callbacks: list[DeadLetterCallback] = []
        self._closing = False

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Connect (reconnecting on its own after a broker outage) and declare the exchange."""
        if self._connection is not None:
            return
        self._closing = False
        self._connection = await aio_pika.connect_robust(self.url)
        # on_return_raises: a message sent to a single queue that does not exist must fail
        self._publish_channel = await self._connection.channel(
            publisher_confirms=True, on_return_raises=True
        )
        self._exchange = await self._publish_channel.declare_exchange(
            self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )

    async def close(self) -> None:
        """Drain: stop consuming, give in-flight handlers `drain_timeout` to finish, close.

        Handlers still running after that are cancelled, then the connection closed; their
        deliveries were never acked, so the broker requeues them for another replica.
        """
        self._closing = True
        for sub in self._subscriptions.values():
            if sub.consumer_tag is not None:
                try:
                    await sub.queue.cancel(sub.consumer_tag)
                except Exception as exc:  # the channel may already be gone
                    log.debug("cancel_failed", queue=sub.queue_name, error=repr(exc))
        in_flight = {t for sub in self._subscriptions.values() for t in sub.in_flight}
        if in_flight:
            _, pending = await asyncio.wait(in_flight, timeout=self.drain_timeout)
            if pending:
                log.warning("drain_timeout", unfinished=len(pending))
        await self._shutdown()

    async def abort(self) -> None:
        """Drop the connection at once, as a crashed process would: handlers are cancelled,
        nothing drains, every unacked delivery goes back to its queue."""
        self._closing = True
        await self._shutdown()

    async def _shutdown(self) -> None:
        handlers = {t for sub in self._subscriptions.values() for t in sub.in_flight}
        for handler in handlers:
            handler.cancel()
        if handlers:
            await asyncio.wait(handlers, timeout=CANCEL_GRACE)
        for conn in (self._connection, self._admin):
            if conn is not None and not conn.is_closed:
                await conn.close()
        self._connection = self._admin = None
        self._publish_channel = self._exchange = None
        self._subscriptions.clear()

    @property
    def connection(self) -> AbstractRobustConnection:
        if self._connection is None:
            raise RuntimeError("RabbitMQBus.start() was not called")
        return self._connection

    # ------------------------------------------------------------------ publish

    async def publish(self, event: Event) -> None:
        """Publish persistently to the topic exchange; returns after the broker's confirm."""
        message = self._message(event)
        # not mandatory: an event nobody subscribes to (yet) is not an error
        await self._with_retries(
            lambda: self._topic().publish(message, routing_key=event.type, mandatory=False)
        )

    def _topic(self) -> AbstractExchange:
        if self._exchange is None:
            raise RuntimeError("RabbitMQBus.start() was not called")
        return self._exchange

    async def _send_to_queue(self, queue: str, message: aio_pika.Message) -> None:
        """Publish straight to one queue through the default exchange (confirmed)."""
        if self._publish_channel is None:
            raise RuntimeError("RabbitMQBus is closed")
        channel = self._publish_channel
        await self._with_retries(
            lambda: channel.default_exchange.publish(message, routing_key=queue, mandatory=True)
        )

    @staticmethod
    async def _with_retries(send: Callable[[], Awaitable[Any]]) -> None:
        """Ride out a reconnect of the robust connection (a few jittered tries); a broker
        still gone after them is `BusUnavailable`, one line, not a driver traceback."""
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(4),
                wait=wait_exponential_jitter(multiplier=0.2, max=2.0),
                retry=retry_if_exception_type(_TRANSIENT),
                reraise=True,
            ):
                with attempt:
                    await send()
        except _TRANSIENT as exc:
            raise BusUnavailable() from exc

    @staticmethod
    def _message(
        event: Event, headers: dict[str, Any] | None = None, expiration: float | None = None
    ) -> aio_pika.Message:
        return aio_pika.Message(
            event.model_dump_json().encode(),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=event.id,
            correlation_id=event.trace_id,
            type=event.type,
            timestamp=event.time,
            headers=headers or {},
            expiration=expiration,
        )

    # ------------------------------------------------------------------ subscribe

    def on_dead_letter(self, callback: DeadLetterCallback) -> None:
        self._dead_letter_callbacks.append(callback)

    async def subscribe(
        self, queue: str, routing_keys: Sequence[str], handler: Handler, prefetch: int = 1
    ) -> None:
        """Declare `queue` (+ its delay and dead-letter queues), bind it, start consuming."""
        if queue in self._subscriptions:
            raise ValueError(f"queue {queue!r} already has a consumer")
        channel = await self.connection.channel(publisher_confirms=False)
        await channel.set_qos(prefetch_count=max(1, prefetch))
        exchange = await channel.declare_exchange(
            self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        work = await declare_work_queue(channel, queue)
        for key in routing_keys:
            await work.bind(exchange, routing_key=key)
        back_to_work = {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue}
        for attempt in range(1, self.max_attempts):
            await channel.declare_queue(
                retry_queue(queue, attempt), durable=True, arguments=back_to_work
            )
        await channel.declare_queue(dead_letter_queue(queue), durable=True)
        sub = _Subscription(queue, handler, channel, work)
        self._subscriptions[queue] = sub

        async def on_message(message: AbstractIncomingMessage) -> None:
            if self._closing:  # arrived while draining: hand it straight back
                await self._settle(message, requeue=True)
                return
            handling = asyncio.create_task(self._deliver(sub, message))
            sub.in_flight.add(handling)
            handling.add_done_callback(sub.in_flight.discard)
            try:
                await asyncio.shield(handling)
            except asyncio.CancelledError:
                if not handling.done():  # the channel went away; the handler goes on
                    log.info("handler_outlives_channel", queue=sub.queue_name,
                             message_id=message.message_id)
                raise

        sub.consumer_tag = await work.consume(on_message, no_ack=False)

    async def _deliver(self, sub: _Subscription, message: AbstractIncomingMessage) -> None:
        try:
            event = Event.model_validate_json(message.body)
        except ValidationError as exc:
            await self._dead_letter_raw(sub, message, f"undecodable event: {exc}")
            return
        count = (message.headers or {}).get("x-delivery-count")
        unfinished = count if isinstance(count, int) else 0
        if unfinished >= self.max_redeliveries:
            await self._dead_letter(sub, message, event, unfinished_reason(unfinished))
            return
        try:
            await sub.handler(event)
        except Exception as exc:  # the handler failed: retry or dead-letter, then ack
            try:
                await self._failed(sub, message, event, exc)
            except Exception as inner:  # could not re-route it: leave it to the broker
                log.error("reroute_failed", queue=sub.queue_name, error=repr(inner))
                await asyncio.sleep(self.retry_base)  # no hot redelivery loop
                await self._settle(message, requeue=True)
            return
        await self._settle(message)

    async def _failed(
        self, sub: _Subscription, message: AbstractIncomingMessage, event: Event, exc: Exception
    ) -> None:
        queue = sub.queue_name
        reason = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, Permanent) or event.attempt >= self.max_attempts:
            await self._dead_letter(sub, message, event, reason)
            return
        delay = self.retry_base * 2 ** (event.attempt - 1) * random.uniform(0.5, 1.5)
        log.info("retry", queue=queue, event_type=event.type, job=event.job_id,
                 attempt=event.attempt, delay=round(delay, 3), reason=reason)
        retry = event.model_copy(update={"attempt": event.attempt + 1})
        headers = {REASON_HEADER: reason[:4000], QUEUE_HEADER: queue}
        await self._send_to_queue(
            retry_queue(queue, event.attempt), self._message(retry, headers, expiration=delay)
        )
        await self._settle(message)

    async def _dead_letter(
        self, sub: _Subscription, message: AbstractIncomingMessage, event: Event, reason: str
    ) -> None:
        queue = sub.queue_name
        log.warning("dead_letter", queue=queue, event_type=event.type, job=event.job_id,
                    attempt=event.attempt, reason=reason)
        headers = {REASON_HEADER: reason[:4000], QUEUE_HEADER: queue}
        await self._send_to_queue(dead_letter_queue(queue), self._message(event, headers))
        for callback in self._dead_letter_callbacks:
            try:
                await callback(event, queue, reason)
            except Exception as cb_exc:  # it is in the DLQ either way; keep going
                log.error("dead_letter_callback_failed", queue=queue, error=repr(cb_exc))
        await self._settle(message)

    async def _dead_letter_raw(
        self, sub: _Subscription, message: AbstractIncomingMessage, reason: str
    ) -> None:
        """A body that is not an Event cannot be retried into shape: park it as it is."""
        log.error("dead_letter_undecodable", queue=sub.queue_name, reason=reason[:200])
        raw = aio_pika.Message(
            message.body,
            content_type=message.content_type,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            headers={REASON_HEADER: reason[:4000], QUEUE_HEADER: sub.queue_name},
        )
        await self._send_to_queue(dead_letter_queue(sub.queue_name), raw)
        await self._settle(message)

    @staticmethod
    async def _settle(message: AbstractIncomingMessage, requeue: bool | None = None) -> None:
        """Ack (or reject back to the queue). After a reconnect the delivery tag is stale;
        the broker has already requeued that delivery, so a failure here is only logged."""
        try:
            if requeue:
                await message.reject(requeue=True)
            else:
                await message.ack()
        except (ChannelClosed, *_TRANSIENT) as exc:
            log.warning("settle_failed", message_id=message.message_id, error=repr(exc))

    # ------------------------------------------------------------------ inspection

    async def queue_depth(self, queue: str) -> int:
        """Messages ready in `queue` (not counting unacked deliveries); 0 if it does not exist."""
        channel = await self._admin_channel()
        try:
            declared = await channel.declare_queue(queue, passive=True)
        except ChannelClosed:
            return 0
        try:
            return int(declared.declaration_result.message_count or 0)
        finally:
            await channel.close()

    async def dead_letters(self, queue: str, limit: int = 100) -> list[tuple[Event, str]]:
        """Look at (without removing) up to `limit` dead letters of `queue`, oldest first."""
        channel = await self._admin_channel()
        try:
            dlq = await channel.declare_queue(dead_letter_queue(queue), passive=True)
        except ChannelClosed:
            return []
        found: list[tuple[Event, str]] = []
        try:
            while len(found) < limit:
                message = await dlq.get(no_ack=False, fail=False)
                if message is None:
                    break
                reason = str((message.headers or {}).get(REASON_HEADER, ""))
                try:
                    found.append((Event.model_validate_json(message.body), reason))
                except ValidationError:
                    continue
        finally:
            await channel.close()  # unacked gets go back to the queue in order
        return found

    async def replay_dead_letters(
        self, queue: str, wanted: Callable[[Event], Awaitable[bool]]
    ) -> list[Event]:
        """Send the dead letters of `queue` that `wanted` accepts back to the work queue as
        first attempts (confirmed, then removed from the dead letters); the others stay
        where they were, in order. Returns the events sent back."""
        channel = await self._admin_channel()
        try:
            dlq = await channel.declare_queue(dead_letter_queue(queue), passive=True)
        except ChannelClosed:
            return []
        waiting = int(dlq.declaration_result.message_count or 0)
        replayed: list[Event] = []
        try:
            for _ in range(waiting):
                message = await dlq.get(no_ack=False, fail=False)
                if message is None:
                    break
                try:
                    event = Event.model_validate_json(message.body)
                except ValidationError:
                    continue  # an undecodable body cannot be replayed; it stays for a person
                if not await wanted(event):
                    continue
                fresh = event.model_copy(update={"attempt": 1})
                await self._send_to_queue(queue, self._message(fresh))
                await message.ack()
                replayed.append(fresh)
        finally:
            await channel.close()  # what was not acked goes back, in order
        return replayed

    async def _admin_channel(self) -> AbstractChannel:
        """A short-lived channel on a plain (non-robust) connection: a passive declare of a
        missing queue closes its channel, which a robust channel would try to restore."""
        if self._connection is None:
            raise RuntimeError("RabbitMQBus.start() was not called")
        if self._admin is None or self._admin.is_closed:
            self._admin = await aio_pika.connect(self.url)
        return await self._admin.channel(publisher_confirms=False)
