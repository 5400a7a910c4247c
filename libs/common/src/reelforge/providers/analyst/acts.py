"""Pass 3: group scenes into trailer acts.

Trailer shape: setup (about 30%), escalation (40%), climax (30%), then the title drop over
a card, then a tag of the last scene or two, the sting after the title.
"""

from __future__ import annotations

import math

from reelforge.models import Act, ActName, ActPlan

SHARES: tuple[tuple[ActName, float], ...] = (("setup", 0.3), ("escalation", 0.4), ("climax", 0.3))


def tag_size(scene_count: int) -> int:
    if scene_count < 4:
        return 0
    return 1 if scene_count < 12 else 2


def plan_acts(scene_count: int) -> ActPlan:
    tag = tag_size(scene_count)
    sizes = act_sizes(scene_count - tag)
    acts: list[Act] = []
    start = 0
    for (name, _), size in zip(SHARES, sizes, strict=True):
        acts.append(Act(name=name, scenes=list(range(start, start + size))))
        start += size
    acts.append(Act(name="title", scenes=[]))
    acts.append(Act(name="tag", scenes=list(range(start, scene_count))))
    return ActPlan(acts=acts)


def act_sizes(count: int) -> list[int]:
    """Largest-remainder split of `count` scenes by SHARES, every act non-empty when possible."""
    exact = [count * share for _, share in SHARES]
    sizes = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(SHARES)), key=lambda i: (sizes[i] - exact[i], i))
    for i in by_remainder[: count - sum(sizes)]:
        sizes[i] += 1
    for i in range(len(sizes)):
        if sizes[i] == 0 and count >= len(SHARES):
            donor = max(range(len(sizes)), key=lambda j: sizes[j])
            sizes[donor] -= 1
            sizes[i] = 1
    return sizes
