"""Shared by the benchmarks: measuring a command, describing the machine, and the synthetic
inputs of the render benchmarks (clips on the master canvas, a voiceover-like track, a score
and captions), generated once into bench/.work/ and reused while their recipe is unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
PYTHON = sys.executable
FPS = 24
MASTER = 1920
INPUTS_VERSION = 3
"""Bump when the recipe of the inputs changes (3: clips from the graded still)."""


# --------------------------------------------------------------------------- measuring


@dataclass
class Measured:
    """One run of a command: wall seconds, CPU seconds of the whole process tree (user +
    system, children included once they are waited for), the peak of the tree's summed
    resident memory (sampled every 20 ms), and the load average around it."""

    wall: float
    cpu: float
    peak_rss_mb: float
    load_before: float
    load_after: float
    output: str = ""

    def line(self) -> str:
        return (f"wall {self.wall:7.1f} s  cpu {self.cpu:7.1f} s  "
                f"peak {self.peak_rss_mb:6.0f} MB  load {self.load_before:.1f}/"
                f"{self.load_after:.1f}")


def measure(argv: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT,
            timeout: float = 3600) -> Measured:
    """Run `argv` to completion, sampling the memory of it and all its descendants."""
    import psutil  # the bench group

    load_before = os.getloadavg()[0]
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, env={**os.environ, **(env or {})},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    root = psutil.Process(process.pid)
    peak = 0
    chunks: list[str] = []
    import threading

    reader = threading.Thread(target=lambda: chunks.append(process.stdout.read()))  # type: ignore[union-attr]
    reader.start()
    while process.poll() is None:
        total = 0
        try:
            for proc in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                    total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            pass
        peak = max(peak, total)
        if time.perf_counter() - started > timeout:
            process.kill()
        time.sleep(0.02)
    wall = time.perf_counter() - started
    reader.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    # No ru_maxrss floor: a child's maxrss keeps the high-water mark of the forked copy of
    # this process from before its exec, so the first run after this process grew (scaling.py
    # makes 10-minute inputs first) reported our own 1302 MB as the renderer's peak.
    output = "".join(chunks)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({process.returncode}):\n{output[-3000:]}")
    return Measured(wall, cpu, peak / 2**20, load_before, os.getloadavg()[0], output)


def quietest(runs: list[Measured]) -> Measured:
    """The run least disturbed by whatever else the machine was doing: the fastest."""
    return min(runs, key=lambda m: m.wall)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}")


def ffmpeg_version() -> str:
    try:
        out = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "ffmpeg: not installed"
    return out.splitlines()[0]


def save_result(name: str, data: dict[str, Any]) -> Path:
    folder = ROOT / "bench" / "results"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=lambda o: asdict(o)))
    return path


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class RenderInputs:
    folder: Path
    clips: list[Path]
    """One per 5 s scene (the 12 distinct clips in turn)."""
    focus: list[tuple[float, float]]
    voiceover: Path
    score: Path
    captions: Path
    """JSON: [{start, end, lines, png, x, y}] for 1920x1080."""
    seconds: float
    clip_seconds: float


MOVES = ("push_in", "pan_right", "tilt_up", "pull_out", "drift", "pan_left", "parallax",
         "tilt_down", "push_in", "drift", "pan_right", "pull_out")
LINES = [
    "The sea remembers every ship it took.",
    "For nineteen years she kept the light burning.",
    "Then one night, the light went out.",
    "Something is coming across the water.",
    "No one believed her.",
    "Not the village. Not the coast guard.",
    "Not even her own brother.",
    "She has one night to make them see.",
    "The storm will not wait.",
    "Neither will she.",
    "Every light goes out.",
    "But some of them come back.",
]


CLIP_SECONDS = 5.0
DISTINCT_CLIPS = 12


def render_inputs(seconds: float = 60.0) -> RenderInputs:
    """The render benchmarks' inputs for a `seconds`-long trailer of 5 s scenes, made once:
    12 distinct clips (the product's own video stage code: camera moves on synthetic stills,
    black-and-white grade, 1920x1920 master, `final` intermediates), used in turn for
    longer trailers, and a voiceover, a score and captions as long as the trailer."""
    folder = WORK / "render" / f"v{INPUTS_VERSION}"
    folder.mkdir(parents=True, exist_ok=True)
    distinct = [folder / f"clip{i:02d}.mp4" for i in range(DISTINCT_CLIPS)]
    focus = [(float(0.5 + 0.15 * np.sin(i * 1.7)), float(0.5 + 0.12 * np.cos(i * 2.3)))
             for i in range(DISTINCT_CLIPS)]
    missing = [i for i, p in enumerate(distinct) if not p.exists()]
    if missing:
        print(f"making {len(missing)} master clips in {folder} (once)...", flush=True)
        # a clip covers its scene plus half a dissolve on either side, with a margin
        asyncio.run(_make_clips(missing, distinct, focus, CLIP_SECONDS + 0.5))
    scenes = max(1, round(seconds / CLIP_SECONDS))
    length = folder / f"{seconds:g}s"
    length.mkdir(exist_ok=True)
    voiceover, score = length / "voiceover.wav", length / "score.wav"
    if not voiceover.exists():
        _write_wav(voiceover, speechlike(seconds, 22_050), 22_050)
    if not score.exists():
        _write_wav(score, scorelike(seconds, 44_100), 44_100)
    captions = length / "captions.json"
    if not captions.exists():
        _write_captions(captions, folder, seconds)
    return RenderInputs(folder, [distinct[i % DISTINCT_CLIPS] for i in range(scenes)],
                        [focus[i % DISTINCT_CLIPS] for i in range(scenes)], voiceover, score,
                        captions, seconds, CLIP_SECONDS)


async def _make_clips(indices: list[int], paths: list[Path],
                      focus: list[tuple[float, float]], seconds: float) -> None:
    from reelforge.models import Shot
    from reelforge.providers import ClipRequest
    from reelforge_video.clips import render_clip
    from reelforge_video.generator import LocalVideoGen

    generator = LocalVideoGen()

    async def one(i: int) -> None:
        still = synthetic_still(MASTER, i)
        shot = Shot(scene=i, camera=MOVES[i % len(MOVES)], action="", atmosphere="",
                    prompt="", duration=seconds, focus=focus[i])
        request = ClipRequest(frame_png=_png(still), shot=shot, width=MASTER, height=MASTER,
                              fps=FPS, seed=i)
        await render_clip(generator, request, seconds, "bw", "final", paths[i])

    await asyncio.gather(*(one(i) for i in indices))


def synthetic_still(side: int, seed: int) -> np.ndarray:
    """A storyboard-like still: a graded sky, textured ground, a few dark silhouettes and
    film grain, so camera moves, the grade and the encoders see real detail."""
    import cv2

    rng = np.random.default_rng(seed)
    rows = np.linspace(0, 1, side, dtype=np.float32)[:, None, None]
    top, bottom = rng.uniform(40, 200, 3), rng.uniform(20, 140, 3)
    image = np.broadcast_to(top * (1 - rows) + bottom * rows, (side, side, 3)).copy()
    for cells, weight in ((6, 60.0), (24, 30.0), (96, 12.0)):
        lattice = rng.random((cells + 2, cells + 2, 3)).astype(np.float32)
        image += (cv2.resize(lattice, (side, side), interpolation=cv2.INTER_CUBIC) - 0.5) * weight
    horizon = int(side * rng.uniform(0.45, 0.7))
    image[horizon:] *= 0.6
    for _ in range(int(rng.integers(2, 6))):
        cx, cy = int(rng.uniform(0.1, 0.9) * side), int(rng.uniform(0.4, 0.9) * side)
        w, h = int(rng.uniform(0.03, 0.12) * side), int(rng.uniform(0.1, 0.4) * side)
        cv2.ellipse(image, (cx, cy), (w, h), 0, 0, 360, (12, 12, 16), -1, cv2.LINE_AA)
    image += rng.normal(0, 4, image.shape).astype(np.float32)
    return np.clip(image, 0, 255).astype(np.uint8)


def _png(rgb: np.ndarray) -> bytes:
    import cv2

    ok, data = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    assert ok
    return data.tobytes()


def speechlike(seconds: float, rate: int) -> np.ndarray:
    """Phrases of voiced syllables (a gliding pitch with formant-like harmonics) and pauses,
    mono float32."""
    rng = np.random.default_rng(7)
    out = np.zeros(int(seconds * rate), np.float32)
    t = 0.4
    while t < seconds - 1.5:
        phrase = rng.uniform(1.5, 3.5)
        syllable_start = t
        while syllable_start < min(t + phrase, seconds - 0.5):
            length = rng.uniform(0.12, 0.28)
            n = int(length * rate)
            s = np.arange(n) / rate
            f0 = rng.uniform(95, 150) * (1 + 0.1 * np.sin(2 * np.pi * 3 * s))
            phase = 2 * np.pi * np.cumsum(f0) / rate
            voice = sum(np.sin(k * phase) / k * (1.5 if k in (3, 4, 9) else 1.0)
                        for k in range(1, 14))
            envelope = np.sin(np.pi * np.clip(s / length, 0, 1)) ** 0.6
            start = int(syllable_start * rate)
            out[start:start + n] += (0.12 * voice * envelope).astype(np.float32)[:len(out) - start]
            syllable_start += length + rng.uniform(0.02, 0.08)
        t += phrase + rng.uniform(0.3, 0.9)
    return out


def scorelike(seconds: float, rate: int) -> np.ndarray:
    """Slow minor chords with a low pulse, stereo float32."""
    n = int(seconds * rate)
    t = np.arange(n, dtype=np.float64) / rate
    roots = [110.0, 87.31, 130.81, 98.0]
    out = np.zeros((n, 2), np.float64)
    for i, root in enumerate(roots * int(seconds / 8 + 1)):
        start, end = int(i * 4 * rate), min(n, int((i + 1) * 4 * rate))
        if start >= n:
            break
        s = t[start:end] - t[start]
        fade = np.minimum(1, np.minimum(s / 0.8, (s[-1] - s + 1e-3) / 0.8))
        chord = sum(np.sin(2 * np.pi * root * ratio * s) for ratio in (1, 1.189, 1.498, 2))
        out[start:end, 0] += 0.05 * chord * fade
        out[start:end, 1] += 0.05 * chord * fade * 0.9
    pulse = (np.sin(2 * np.pi * 55 * t) * np.exp(-((t % 1.0) * 6))) * 0.15
    out += pulse[:, None]
    return out.astype(np.float32)


def _write_wav(path: Path, data: np.ndarray, rate: int) -> None:
    import soundfile

    soundfile.write(str(path), data, rate, subtype="PCM_16")


def _write_captions(path: Path, folder: Path, seconds: float) -> None:
    """One cue every 2.8 s (2.4 s on screen), as PNGs rendered by the product's own caption
    typography at 1920x1080, with their positions."""
    import textwrap

    from PIL import Image
    from reelforge_assembly.overlays import caption_image

    cues = []
    start, k = 0.8, 0
    while start + 2.4 < seconds - 0.5:
        line = k % len(LINES)
        lines = tuple(textwrap.wrap(LINES[line], 42)[:2])
        rgba, x, y = caption_image((1920, 1080), lines)
        png = folder / f"caption{line:02d}.png"
        if not png.exists():
            Image.fromarray(rgba).save(png)
        cues.append({"start": round(start, 3), "end": round(start + 2.4, 3),
                     "lines": list(lines), "png": png.name, "x": x, "y": y})
        start += 2.8
        k += 1
    path.write_text(json.dumps(cues, indent=1))


def load_cues(inputs: RenderInputs) -> list[dict[str, Any]]:
    return json.loads(inputs.captions.read_text())  # type: ignore[no-any-return]
