from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeGuard, TypeVar, runtime_checkable

import numpy as np
from pydantic import BaseModel, Field

from reelforge.errors import Explained
from reelforge.models import ActName, Model, Scene, Script, Shot, Word

M = TypeVar("M", bound=BaseModel)

LLMTask = Literal["idea", "patterns", "scenes", "acts", "narration", "bible", "shot"]


class ProviderError(Explained):
    """A provider call failed. `permanent` failures move to the next provider in the chain
    instead of being retried."""

    def __init__(self, provider: str, message: str, *, permanent: bool = False) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.permanent = permanent


class ContentPolicyError(ProviderError):
    """The provider refused the prompt or its output on content grounds (moderation, NSFW or
    sensitive-content flags). Always permanent for that provider and item: adapters retry once
    with a softened prompt first, then the chain falls back."""

    def __init__(self, provider: str, message: str) -> None:
        super().__init__(provider, message, permanent=True)


class BudgetExceeded(ProviderError):
    """A call would take the job past its budget. Raised before the call is made; the chain
    does not fall back (a cheaper provider is a decision for the user, not a silent one)."""

    def __init__(self, provider: str, message: str) -> None:
        super().__init__(provider, message, permanent=True)


@dataclass
class Audio:
    """PCM audio: float32 samples in [-1, 1], shape (n,) mono or (n, channels)."""

    samples: np.ndarray
    rate: int

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate


@dataclass
class Speech:
    """Synthesised speech and the TTS engine's own word timings (line index 0)."""

    audio: Audio
    words: list[Word] = field(default_factory=list)


class ScoreSection(Model):
    act: ActName
    start: float = Field(ge=0.0)
    duration: float = Field(gt=0.0)
    intensity: float = Field(ge=0.0, le=1.0)


class ScorePlan(Model):
    genre: str
    mood: str
    tempo_bpm: float = Field(ge=40, le=200)
    duration: float = Field(gt=0.0)
    sections: list[ScoreSection]
    seed: int = 0


class ReferenceImage(Model):
    """A picture from the visual bible: the reference portrait of a character or the
    reference shot of a location, made before the frames."""

    kind: Literal["character", "location"]
    subject: str = Field(description="the Character or Location id")
    name: str
    key: str = Field(description="its blob key (content-addressed): what a frame's "
                     "fingerprint reads")
    png: bytes


class FrameRequest(Model):
    """Everything an image generator may need: remote ones use `prompt`, the local
    procedural renderer reads the structured scene and script. `references` are the pictures
    of the scene's characters and location, for providers that take reference images
    (`ImageGen.accepts_references`); the others leave them out."""

    prompt: str
    scene: Scene
    script: Script
    width: int
    height: int
    seed: int = 0
    references: list[ReferenceImage] = Field(default_factory=list)


def prompt_with_references(prompt: str, references: Sequence[ReferenceImage]) -> str:
    """`prompt` followed by what each reference image shows, in the order they are sent
    (image 1 first), so the model knows whom and where to keep."""
    if not references:
        return prompt
    shown = "; ".join(f"image {n}: {r.name} ({r.kind})" for n, r in enumerate(references, 1))
    return f"{prompt.rstrip()} Keep the look of the reference images: {shown}."


class ClipRequest(Model):
    frame_png: bytes
    shot: Shot
    width: int
    height: int
    fps: int = 24
    seed: int = 0
    last_frame_png: bytes | None = Field(
        None, description="optional end frame, for providers that interpolate two frames"
    )


class LLM(Protocol):
    """Structured JSON completion. `task` names the prompt template; the local implementation
    is a rule-based analyser that answers the same tasks."""

    name: str

    async def complete(self, task: LLMTask, context: dict[str, Any], schema: type[M]) -> M: ...


class TTS(Protocol):
    name: str

    async def synthesize(self, text: str, voice: str | None = None) -> Speech: ...


class Aligner(Protocol):
    name: str

    async def align(self, audio: Audio, transcript: str) -> list[Word]:
        """Word timings of `transcript` in `audio` (Word.line is 0; the caller assigns it)."""
        ...


class Music(Protocol):
    name: str

    async def compose(self, plan: ScorePlan) -> Audio: ...


class ImageGen(Protocol):
    name: str
    accepts_references: bool
    """Whether `generate` sends `request.references` to the model with the prompt (then a
    frame's fingerprint includes their keys); a provider that does not sends the text only."""

    async def generate(self, request: FrameRequest) -> bytes:
        """PNG bytes at request.width x request.height."""
        ...


class FrameFocus(Protocol):
    focus: Sequence[float]
    """Where the composed subject stands, as fractions of the frame's width and height."""


@runtime_checkable
class HoldsModels(Protocol):
    """A local provider that keeps models in memory (a voice, acoustic models) between calls.
    Its stage lets them go once its part of the job is done, so they are not held while the
    same process renders pictures; the next call loads them again."""

    def release_models(self) -> None: ...


@runtime_checkable
class DescribesFrames(Protocol):
    """An image generator that draws from the structured scene (the local renderer) and can
    say, without drawing, what a frame depends on (its fingerprint) and how it is composed
    (the shot planner's subject focus). Prompt-driven models do neither."""

    def frame_inputs(self, request: FrameRequest) -> dict[str, Any]: ...

    def layout_for(self, request: FrameRequest) -> FrameFocus: ...


class VideoGen(Protocol):
    name: str
    accepts_last_frame: bool
    """Whether `generate` reads `ClipRequest.last_frame_png` (a model that interpolates from
    the first frame to the last); the video stage then sends the next scene's frame."""
    streams_frames: bool
    """Whether it also implements `StreamsFrames`: the video stage then encodes its frames
    as they are made instead of decoding an MP4 (the local generator)."""

    async def generate(self, request: ClipRequest, duration: float) -> bytes:
        """MP4 (H.264) bytes of about `duration` seconds at request.fps."""
        ...


PlaneForm = Literal["luma", "yuv420"]
"""Planes a streamed clip is handed over in: the luminance alone for black and white, or
BT.709 Y, U and V at 4:2:0 for colour; what the grade and the encoder work on."""


class StreamsFrames(VideoGen, Protocol):
    def frames(self, request: ClipRequest, duration: float, form: PlaneForm,
               grade: Callable[[Any], Any] | None = None) -> Iterator[Any]:
        """The clip's pictures one at a time, each a tuple of uint8 planes in `form`, passed
        through `grade` where given (a generator may grade its still once instead of every
        frame, which is why it takes the grade rather than the stage applying it)."""
        ...


def streams_frames(provider: VideoGen) -> TypeGuard[StreamsFrames]:
    return provider.streams_frames


def identity_of(provider: Any) -> str:
    """What a provider's output depends on, for fingerprints: its `identity` where it has one
    (a chain's members and models, a remote adapter's model), else its name."""
    return str(getattr(provider, "identity", None) or getattr(provider, "name", None)
               or type(provider).__name__)
