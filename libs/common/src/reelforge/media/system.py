"""What the CPU-heavy renders ask of the machine: how many cores, and memory handed back."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import threading
from collections import deque
from collections.abc import Iterator
from pathlib import Path

CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")

_LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6") if os.name == "posix" else None


def available_cores(*, cpu_quota: bool = True, cpu_max: Path = CGROUP_CPU_MAX) -> int:
    """Cores this process may use: its CPU affinity, capped by the cgroup v2 CPU quota in
    `cpu_max` when `cpu_quota` (a container limited to 2 CPUs on a 64-core host should plan
    for 2)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if cpu_quota:
        try:
            quota, period = cpu_max.read_text().split()[:2]
            if quota != "max":
                cores = min(cores or 1, max(1, round(int(quota) / int(period))))
        except (OSError, ValueError):
            pass
    return max(1, cores or 1)


def release_memory() -> None:
    """Hand freed buffers back to the OS after a frame, clip or render (glibc otherwise keeps
    them in its per-thread arenas, and a long embedded run would carry every stage's peak)."""
    trim = getattr(_LIBC, "malloc_trim", None)
    if trim is not None:
        trim(0)


M_MMAP_THRESHOLD = -3
"""mallopt's parameter number (malloc.h)."""
LARGE_BUFFER_BYTES = 1 << 20


def map_large_buffers(threshold: int = LARGE_BUFFER_BYTES) -> None:
    """Give every allocation of `threshold` bytes or more its own mapping, returned to the OS
    the moment it is freed. By default glibc raises this threshold (up to 32 MB) each time
    a large block is freed, after which frame-sized buffers come from per-thread arenas that
    freed memory fragments and `malloc_trim` cannot fully shrink: the three encoders'
    threads of the trailer render held about 65 MB more that way, for no measurable CPU
    (130.7 vs 132.4 s of CPU for the 60 s render). The setting is process-wide and stays."""
    mallopt = getattr(_LIBC, "mallopt", None)
    if mallopt is not None:
        mallopt(M_MMAP_THRESHOLD, threshold)


class WorkSlots:
    """At most `size` holders at once, served in the order they asked (a plain semaphore
    lets a thread that just released take its slot straight back, so a frame thread going
    from one frame to the next would keep a voice line waiting for the whole storyboard)."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._free = self.size
        self._waiting: deque[object] = deque()
        self._changed = threading.Condition()

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        ticket = object()
        with self._changed:
            self._waiting.append(ticket)
            while self._waiting[0] is not ticket or self._free == 0:
                self._changed.wait()
            self._waiting.popleft()
            self._free -= 1
            self._changed.notify_all()  # the next in line may take another free slot
        try:
            yield
        finally:
            with self._changed:
                self._free += 1
                self._changed.notify_all()

    def in_use(self) -> int:
        with self._changed:
            return self.size - self._free

    def waiting(self) -> int:
        with self._changed:
            return len(self._waiting)


_local_work: WorkSlots | None = None
_local_work_lock = threading.Lock()


def local_work_slots() -> WorkSlots:
    """The process's slots for local generation that is heavy in both CPU and memory (a
    storyboard frame, a Piper voice line): one per core of its CPU affinity. In the embedded
    pipeline the audio stage speaks while the storyboard renders; without a shared bound a
    line's tensors came on top of a frame on every core, and the run peaked at 1.1-1.2 GB
    during the voiceover of a 180 s trailer (the longer the voiceover, the more frames it
    overlaps and the likelier the worst pair coincides with a long line)."""
    global _local_work
    with _local_work_lock:
        if _local_work is None:
            _local_work = WorkSlots(available_cores(cpu_quota=False))
        return _local_work
