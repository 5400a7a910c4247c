"""`image.local`: the procedural renderer behind the ImageGen protocol."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from reelforge.media.stills import encode_png
from reelforge.media.system import available_cores, local_work_slots, release_memory
from reelforge.providers import FrameRequest
from reelforge.settings import Settings

from reelforge_storyboard.render.layout import Layout, layout_for
from reelforge_storyboard.render.renderer import frame_inputs, render_frame


class LocalImageGen:
    """Offline previs frames, with the depth map embedded in the PNG (see `reelforge.media.stills`).

    Beyond `generate` it tells the stage what a frame depends on (`frame_inputs`, for the
    cache key) and how it is composed (`layout_for`, for the shot's subject focus), both
    without rendering.
    """

    name = "local"
    accepts_references = False  # it draws from the structured scene, seeded per job

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings
        self._pool: ThreadPoolExecutor | None = None

    async def generate(self, request: FrameRequest) -> bytes:
        # Prefetch admits many scenes at once. They queue on this provider's own threads,
        # not the event loop's default executor (where waiting renders used to hold every
        # thread, stalling blob writes and the audio stage's providers), and render one per
        # core: the frames are the head of the pipeline's longest path (every clip waits for
        # storyboard.completed), while the audio stage beside them is not on it, so a core
        # left to audio sat idle once the voice and score were done (a 1920 canvas holds a
        # few hundred MB of float buffers, each core's render its own).
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=render_workers(),
                                            thread_name_prefix="reelforge-frame")
        return await asyncio.get_running_loop().run_in_executor(self._pool, self.render_png,
                                                                request)

    def render_png(self, request: FrameRequest) -> bytes:
        with local_work_slots().hold():
            try:
                frame = render_frame(request)
                return encode_png(frame.rgb, frame.nearness)
            finally:
                release_memory()

    def layout_for(self, request: FrameRequest) -> Layout:
        return layout_for(request)

    def frame_inputs(self, request: FrameRequest) -> dict[str, Any]:
        return frame_inputs(request)


def render_workers() -> int:
    """One render per core of the process's CPU affinity (a cgroup CPU quota is not counted
    here, unlike the video and assembly stages' encoders)."""
    return available_cores(cpu_quota=False)
