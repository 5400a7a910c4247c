"""The dead-letter queues of the pipeline, for a person: what is there and why, and sending a
job's dead letters back to work once the cause is fixed (`reelforge dead-letters`)."""

from __future__ import annotations

from dataclasses import dataclass

from reelforge.bus.rabbitmq import RabbitMQBus
from reelforge.events import Event
from reelforge.jobstore import JobNotFound, JobStore
from reelforge.models import Status
from reelforge.namespaced import queue_name
from reelforge.runtime import stage_of
from reelforge.topology import PIPELINE_QUEUES


@dataclass(frozen=True)
class DeadLetter:
    queue: str
    event: Event
    reason: str


@dataclass(frozen=True)
class Replay:
    sent_back: list[DeadLetter]
    kept: list[tuple[DeadLetter, str]]  # with why it stayed


async def list_dead_letters(rabbit: RabbitMQBus, namespace: str,
                            limit: int = 100) -> list[DeadLetter]:
    """Up to `limit` dead letters of every pipeline queue (left where they are)."""
    found: list[DeadLetter] = []
    for queue in PIPELINE_QUEUES:
        for event, reason in await rabbit.dead_letters(queue_name(namespace, queue), limit):
            found.append(DeadLetter(queue, event, reason))
    return found


async def replay_dead_letters(rabbit: RabbitMQBus, jobs: JobStore, namespace: str,
                              job_id: str | None) -> Replay:
    """Send the dead letters of `job_id` (of every job when None) back to their queues as
    first attempts, the failed job running again in that stage. Letters of a job that was
    cancelled, finished or deleted stay where they are."""
    sent_back: list[DeadLetter] = []
    kept: list[tuple[DeadLetter, str]] = []
    for queue in PIPELINE_QUEUES:
        async def wanted(event: Event, queue: str = queue) -> bool:
            if job_id is not None and event.job_id != job_id:
                return False
            letter = DeadLetter(queue, event, "")
            try:
                job = await jobs.get_job(event.job_id)
            except JobNotFound:
                kept.append((letter, "the job no longer exists"))
                return False
            if job.status in (Status.cancelled, Status.completed):
                kept.append((letter, f"the job is {job.status.value}"))
                return False
            await jobs.set_stage(job.id, stage_of(queue), Status.queued)
            await jobs.set_job_status(job.id, Status.running)
            sent_back.append(letter)
            return True

        await rabbit.replay_dead_letters(queue_name(namespace, queue), wanted)
    return Replay(sent_back, kept)
