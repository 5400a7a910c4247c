"""The pipeline's queues and what they consume (declared in reelforge.pipeline), known to
every process.

Each worker declares its own queues when it subscribes, but an event published to a queue
nobody declared yet is dropped by the exchange. So every distributed process (the API
included) declares the whole topology at start-up: a job submitted before the script
worker ever ran waits in the `script` queue instead of vanishing. A test checks that the
installed services consume exactly these queues.
"""

from __future__ import annotations

from types import MappingProxyType

import aio_pika

from reelforge.bus.rabbitmq import declare_work_queue
from reelforge.events import AUDIO_COMPLETED
from reelforge.namespaced import exchange_name, queue_name
from reelforge.pipeline import STEPS

PIPELINE_QUEUES = MappingProxyType({step.queue: (step.consumes,) for step in STEPS})

RETIRED_BINDINGS = MappingProxyType({
    "assembly": (AUDIO_COMPLETED,),  # audio.completed goes to assembly.soundtrack now
})
"""Bindings an earlier version declared: removed at start-up, so a broker kept through an
upgrade does not route events to a queue whose consumer no longer expects them."""


async def declare_pipeline(connection: aio_pika.abc.AbstractConnection, namespace: str) -> None:
    """Declare the exchange and every pipeline work queue with its bindings, and drop the
    retired ones (idempotent; the same declaration the bus makes when a worker subscribes)."""
    channel = await connection.channel()
    try:
        exchange = await channel.declare_exchange(
            exchange_name(namespace), aio_pika.ExchangeType.TOPIC, durable=True
        )
        for queue, keys in PIPELINE_QUEUES.items():
            declared = await declare_work_queue(channel, queue_name(namespace, queue))
            for key in keys:
                await declared.bind(exchange, routing_key=key)
            for key in RETIRED_BINDINGS.get(queue, ()):
                await declared.unbind(exchange, routing_key=key)
    finally:
        await channel.close()
