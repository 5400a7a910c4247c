"""Publish/subscribe transport. The stage code sees only the `Bus` protocol.

`RabbitMQBus` is imported lazily so embedded mode never pays for importing aio-pika.
"""

from typing import TYPE_CHECKING, Any

from reelforge.bus.base import Bus, BusUnavailable, DeadLetter, Handler, Permanent
from reelforge.bus.memory import InMemoryBus

if TYPE_CHECKING:
    from reelforge.bus.rabbitmq import RabbitMQBus

__all__ = ["Bus", "BusUnavailable", "DeadLetter", "Handler", "InMemoryBus", "Permanent",
           "RabbitMQBus"]


def __getattr__(name: str) -> Any:
    if name == "RabbitMQBus":
        from reelforge.bus.rabbitmq import RabbitMQBus

        return RabbitMQBus
    raise AttributeError(name)
