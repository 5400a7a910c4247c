"""The event envelope. The routing keys are declared with the pipeline (reelforge.pipeline)
and importable from here.

An event carries no bytes and no object keys: the job store says which artifact is
current. Fan-out work items (one scene, one shot) travel as
their own events so that prefetch bounds the work in flight per replica.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import ConfigDict, Field

from reelforge.models import Model, utcnow
from reelforge.pipeline import (  # noqa: F401  re-exported: every stage imports them from here
    ASSEMBLY_READY,
    AUDIO_COMPLETED,
    JOB_COMPLETED,
    JOB_FAILED,
    JOB_SUBMITTED,
    SCRIPT_COMPLETED,
    STORYBOARD_COMPLETED,
    STORYBOARD_SCENE,
    VIDEO_COMPLETED,
    VIDEO_SHOT,
)


class Event(Model):
    """What happened to which job (and which work item of it). Inputs and outputs are never
    carried: every stage reads them from the job store. Unknown fields are ignored, so a
    message an older version published (with its `artifacts`) still reads during an upgrade."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    type: str
    job_id: str
    attempt: int = Field(1, ge=1)
    item: str | None = Field(None, description="fan-out work item id (scene / shot index)")
    trace_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    time: datetime = Field(default_factory=utcnow)
    reason: str | None = Field(None, description="failure reason, for job.failed")

    def follow(self, type: str, **changes: object) -> Event:
        """A new event caused by this one: same job and trace, fresh id and attempt."""
        return Event(type=type, job_id=self.job_id, trace_id=self.trace_id, **changes)  # type: ignore[arg-type]


def topic_matches(pattern: str, key: str) -> bool:
    """AMQP topic matching: '*' is one word, '#' is zero or more."""
    p, k = pattern.split("."), key.split(".")

    def match(i: int, j: int) -> bool:
        if i == len(p):
            return j == len(k)
        if p[i] == "#":
            return any(match(i + 1, jj) for jj in range(j, len(k) + 1))
        if j == len(k):
            return False
        return (p[i] == "*" or p[i] == k[j]) and match(i + 1, j + 1)

    return match(0, 0)
