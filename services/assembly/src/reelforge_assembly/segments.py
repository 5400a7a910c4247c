"""Render segments: each variant is encoded as independent pieces of the timeline, so an edit
re-encodes only the pieces that show it.

The timeline is cut where each dissolve begins and where it ends: every dissolve is a piece of
its own, between the pieces that show one picture alone. Each piece is encoded by a fresh x264
(so it starts on an IDR frame and nothing refers across pieces) with the same settings, stored
under a fingerprint of exactly what its frames read, and the pieces are joined by remuxing
their packets (`encode.join_segments`).

A change to one scene's picture shows in three pieces per variant: the dissolve into it, its
own frames, and the dissolve out of it: exactly the frames that show it. When a piece ran from
one dissolve's start to the next one's, the next scene's own frames were encoded again too
(120 of the 229 frames a variant that a new frame for scene 3 of the 60 s bench re-encoded).
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import av
from reelforge.runtime import fingerprint

from reelforge_assembly.captions import Cue
from reelforge_assembly.encode import Encoding
from reelforge_assembly.timeline import CARD_FADE_SECONDS, END_FADE_SECONDS, Timeline

if TYPE_CHECKING:
    from reelforge_assembly.render import Variant

SEGMENT_VERSION = 2
"""Bump when a change to how pieces are drawn or encoded should re-encode stored ones."""

HASH_BLOCK = 1 << 20


@dataclass(frozen=True)
class RenderSegment:
    """Frames `[first, last)` of the timeline, encoded as one piece; `shows` are the timeline
    segments whose pictures appear in it, in order."""

    index: int
    first: int
    last: int
    shows: tuple[int, ...]

    @property
    def frames(self) -> int:
        return self.last - self.first


def plan_segments(timeline: Timeline) -> list[RenderSegment]:
    """Pieces cut where each picture first appears (a dissolve begins) and where the picture
    before it is last seen (the dissolve ends); a cut without a dissolve is both."""
    count = len(timeline.segments)
    cuts = sorted({0, timeline.total_frames,
                   *(timeline.window(i)[0] for i in range(1, count)),
                   *(timeline.window(i)[1] for i in range(count - 1))})
    pieces: list[RenderSegment] = []
    for first, last in itertools.pairwise(cuts):
        shows = sorted({layer.segment for frame in range(first, last)
                        for layer in timeline.layers_at(frame)})
        pieces.append(RenderSegment(len(pieces), first, last, tuple(shows)))
    return pieces


@dataclass(frozen=True)
class SceneIdentity:
    """What identifies a scene's picture: its content (a blob key, a file hash; None shows
    black) and the focus the crops are centred on."""

    content: str | None
    focus: tuple[float, float] = (0.5, 0.5)


def segment_keys(
    timeline: Timeline,
    plan: Sequence[RenderSegment],
    variant: Variant,
    pictures: Mapping[int, SceneIdentity],
    cues: Sequence[Cue],
    encoding: Encoding,
    master_side: int,
) -> list[str]:
    """Each piece's fingerprint: the variant (its size, crop, captions), the encoder settings
    and codec versions, the frame range, each frame's layers and weights, the pictures shown
    (content, focus and timeline window, which sets their retiming), the cards' text, and the
    caption cues on screen if the variant burns them in."""
    burn = variant.burn_captions
    common = (SEGMENT_VERSION, _codec_versions(), variant.size, variant.crop, burn, master_side,
              timeline.fps,
              encoding.preset, encoding.crf)
    keys = []
    for piece in plan:
        layers = [
            [(piece.shows.index(layer.segment), round(layer.weight, 6))
             for layer in timeline.layers_at(frame)]
            for frame in range(piece.first, piece.last)
        ]
        shown = [_shown(timeline, index, pictures) for index in piece.shows]
        start, end = piece.first / timeline.fps, piece.last / timeline.fps
        captions = [dataclasses.astuple(c) for c in cues if c.start < end and c.end > start]
        keys.append(fingerprint(common, piece.first, piece.last, layers, shown,
                                captions if burn else []))
    return keys


def _shown(timeline: Timeline, index: int, pictures: Mapping[int, SceneIdentity]) -> object:
    segment = timeline.segments[index]
    window = timeline.window(index)
    if segment.kind == "scene":
        scene = segment.scene if segment.scene is not None else -1
        identity = pictures.get(scene, SceneIdentity(None))
        return ["scene", window, identity.content, identity.focus]
    return [segment.kind, window, timeline.title, timeline.tagline, CARD_FADE_SECONDS,
            END_FADE_SECONDS]


def _codec_versions() -> list[object]:
    """PyAV bundles FFmpeg and x264: a new wheel may encode differently."""
    return [av.__version__, av.library_versions.get("libavcodec")]


def file_content(path: Path | None) -> str | None:
    """A file's SHA-256, read in blocks (None for no file)."""
    if path is None:
        return None
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------- stores


class SegmentStore(Protocol):
    """Where encoded pieces are kept, by fingerprint. Called from the encoding threads."""

    def get(self, key: str) -> Path | None:
        """The piece's file, or None when it was never encoded."""
        ...

    def put(self, key: str, made: Path) -> Path:
        """Keep the piece just written at `made` (it may be moved); returns where it is."""
        ...


class FolderSegments:
    """Pieces as files `<key>.mp4` in one folder: a local cache for plain-file renders."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def get(self, key: str) -> Path | None:
        path = self.folder / f"{key}.mp4"
        return path if path.is_file() else None

    def put(self, key: str, made: Path) -> Path:
        path = self.folder / f"{key}.mp4"
        if made != path:
            temporary = path.with_suffix(f".{os.getpid()}.part")
            shutil.move(made, temporary)
            temporary.replace(path)  # never a half-written piece under its key
        return path


class KnownSegments:
    """Pieces already fetched (`known`, by key), plus the ones encoded now, which are kept in
    `folder`, listed in `made`, and handed to `on_made` (key, file) as each is finished, so
    the caller can store a piece while the next ones encode."""

    def __init__(self, known: Mapping[str, Path], folder: Path,
                 on_made: Callable[[str, Path], None] | None = None) -> None:
        self._known = dict(known)
        self._folder = FolderSegments(folder)
        self._on_made = on_made
        self.made: dict[str, Path] = {}

    def get(self, key: str) -> Path | None:
        return self._known.get(key) or self.made.get(key)

    def put(self, key: str, made: Path) -> Path:
        self.made[key] = self._folder.put(key, made)
        if self._on_made is not None:
            self._on_made(key, self.made[key])
        return self.made[key]
