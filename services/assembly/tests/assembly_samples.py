"""Synthetic inputs for the assembly tests: a script, word timings, speech-like and music-like
audio, small master-canvas clips, all generated here at small sizes, and an even timeline
that renders them without a script."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import soundfile
from PIL import Image
from reelforge.models import (
    ASPECT_SIZES,
    END_CARD_SECONDS,
    MASTER_SIDE,
    Act,
    Aspect,
    Location,
    NarrationLine,
    Scene,
    Score,
    Script,
    StoryPatterns,
    VisualBible,
    Word,
    WordTimings,
)
from reelforge_assembly.encode import Encoding
from reelforge_assembly.render import RenderStats, plan_variants, render_timeline
from reelforge_assembly.sources import SceneSource
from reelforge_assembly.timeline import DISSOLVE_SECONDS, Segment, Timeline

SMALL_SIDE = 320
"""A master canvas of 1/6 production size: crops stay exact (320x180, 180x320, 180x180)."""
SMALL_SIZES: dict[Aspect, tuple[int, int]] = {
    aspect: (w * SMALL_SIDE // MASTER_SIDE, h * SMALL_SIDE // MASTER_SIDE)
    for aspect, (w, h) in ASPECT_SIZES.items()
}
CLIP_GREY = (70, 150)
"""Clip luma stays in this band, so burned-in white caption text is easy to tell apart."""


def make_script(lines: Sequence[tuple[int | None, str]], scenes: int = 3,
                climax: int = 2) -> Script:
    """A script whose narration is `lines`: (scene index or None for the title card, text)."""
    scene_list = [
        Scene(index=i, summary=f"scene {i}", text=f"scene {i} text", location="loc",
              act="climax" if i == climax else "setup")
        for i in range(scenes)
    ]
    narration = [
        NarrationLine(index=i, act="title" if scene is None else "setup", scene=scene,
                      card="title" if scene is None else None, text=text, marked=text)
        for i, (scene, text) in enumerate(lines)
    ]
    return Script(
        title="The Long Night",
        tagline="Every light goes out.",
        logline="A keeper waits for a ship.",
        patterns=StoryPatterns(genres=[Score(label="thriller", score=1.0)],
                               tones=[Score(label="dark", score=1.0)],
                               logline="A keeper waits for a ship."),
        characters=[],
        locations=[Location(id="loc", name="Coast", kind="sea")],
        scenes=scene_list,
        acts=[Act(name="setup", scenes=[i for i in range(scenes) if i != climax]),
              Act(name="climax", scenes=[climax])],
        narration=narration,
        bible=VisualBible(style="noir"),
        target_duration=20.0,
    )


def make_words(script: Script, starts: Sequence[float], duration: float,
               word_seconds: float = 0.32, gap: float = 0.06) -> WordTimings:
    """Each line's words spoken back to back from its start time (bare lower-case words, as
    an aligner returns them)."""
    words = []
    for line, start in zip(script.narration, starts, strict=True):
        t = start
        for token in line.text.split():
            bare = token.strip(".,!?;:").lower()
            words.append(Word(text=bare, start=round(t, 3), end=round(t + word_seconds, 3),
                              line=line.index, tts_start=round(t + 0.01, 3)))
            t += word_seconds + gap
    return WordTimings(duration=duration, aligner="test-aligner", words=words)


def speech_like(words: WordTimings, rate: int = 22_050, seed: int = 1) -> np.ndarray:
    """Band-limited noise bursts exactly where the words are (mono float32)."""
    rng = np.random.default_rng(seed)
    out = np.zeros(round(words.duration * rate), np.float32)
    for word in words.words:
        a, b = round(word.start * rate), round(word.end * rate)
        burst = rng.normal(0, 0.25, b - a).astype(np.float32)
        burst = np.convolve(burst, np.ones(6, np.float32) / 6, mode="same")
        out[a:b] = burst * np.hanning(b - a).astype(np.float32)
    return out


def tone(seconds: float, rate: int = 44_100, freq: float = 1000.0,
         level: float = 0.3) -> np.ndarray:
    """A steady stereo sine: the 'score' whose level under speech is easy to measure."""
    t = np.arange(round(seconds * rate)) / rate
    mono = (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.stack([mono, mono], axis=1)


def write_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    soundfile.write(str(path), samples, rate)
    return path


def clip_frame(index: int, side: int, phase: float) -> np.ndarray:
    """A moving diagonal grey gradient with a bright-ish bar, inside CLIP_GREY."""
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32)
    low, high = CLIP_GREY
    wave = 0.5 + 0.5 * np.sin((xx + yy) / side * 6.0 + phase + index * 0.35)
    grey = low + (high - low) * wave
    bar = (index * 7) % side
    grey[:, bar : bar + max(2, side // 40)] = high
    return np.repeat(grey.astype(np.uint8)[..., None], 3, axis=2)


def make_clip(path: Path, seconds: float, side: int = SMALL_SIDE, fps: int = 24,
              phase: float = 0.0, key_every: int | None = None) -> Path:
    """`key_every` frames an IDR frame, as the video stage makes them (x264's default else)."""
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width = stream.height = side
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "18"}
        if key_every is not None:
            stream.codec_context.gop_size = key_every
        for i in range(round(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(clip_frame(i, side, phase), format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def make_still(path: Path, side: int = SMALL_SIDE, phase: float = 0.0) -> Path:
    Image.fromarray(clip_frame(0, side, phase)).save(path)
    return path


def even_timeline(scenes: int, seconds_per_scene: float, fps: int, title: str,
                  tagline: str) -> Timeline:
    """Scenes 0..n-1 back to back, each `seconds_per_scene`, then the end card."""
    per_scene = round(seconds_per_scene * fps)
    segments = [Segment("scene", i * per_scene, (i + 1) * per_scene, scene=i)
                for i in range(scenes)]
    end = scenes * per_scene
    segments.append(Segment("end", end, end + round(END_CARD_SECONDS * fps)))
    dissolve = round(DISSOLVE_SECONDS * fps)
    dissolves = tuple(min(dissolve, a.frames, b.frames)
                      for a, b in itertools.pairwise(segments))
    return Timeline(fps, tuple(segments), dissolves, title, tagline)


def render_clips(clips: Sequence[Path], audio: Path | None, outputs: Mapping[Aspect, Path],
                 seconds_per_clip: float, fps: int = 24) -> RenderStats:
    """`clips` in order, `seconds_per_clip` each (retimed as needed), dissolves between them
    and the end card, over a finished `audio` file, on the small master canvas."""
    timeline = even_timeline(len(clips), seconds_per_clip, fps, "Untitled", "")
    sources = {i: SceneSource(path) for i, path in enumerate(clips)}
    variants = {v.aspect: v
                for v in plan_variants("16:9", master_side=SMALL_SIDE, sizes=SMALL_SIZES)}
    return render_timeline(
        timeline, sources, [(variants[a], p) for a, p in outputs.items()],
        audio=audio, encoding=Encoding("ultrafast", 28), master_side=SMALL_SIDE,
    )
