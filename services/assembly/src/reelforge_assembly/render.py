"""The streaming renderer: one decode pass feeds every variant, each frame encoded once.

    decode + retime (this thread) ──▶ bounded queue per variant ──▶ worker per variant:
                                                                     reframe, composite,
                                                                     encode segment by segment
    then, per variant: the segments joined (remuxed) with the soundtrack

The producer decodes each clip once onto the square master canvas and retimes it; every
frame job holds references to master planes (never copies of a clip). Each variant's worker
cuts its crop around the scene's focus point, blends dissolves, draws cards and captions on
their boxes only, and feeds the x264 encoder of the render segment the frame belongs to
(`segments`). Segments already in the segment store are not drawn at all: the producer only
makes the frames some variant still has to encode. The queues are bounded, so memory stays
flat however long the trailer is, and the encoders (which release the GIL) keep both cores
busy. `render_trailer` at the bottom renders the whole trailer from plain files, without the
job store.
"""

from __future__ import annotations

import functools
import queue
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import av
from reelforge.media.system import map_large_buffers, release_memory
from reelforge.models import (
    ASPECT_SIZES,
    MASTER_SIDE,
    Aspect,
    Quality,
    Script,
    WordTimings,
)

from reelforge_assembly.captions import Cue, build_cues
from reelforge_assembly.encode import (
    ENCODINGS,
    AacTrack,
    Encoding,
    JoinError,
    OpenEncoder,
    SegmentWriter,
    Soundtrack,
    join_segments,
)
from reelforge_assembly.overlays import caption, end_card, title_card
from reelforge_assembly.segments import (
    FolderSegments,
    RenderSegment,
    SceneIdentity,
    SegmentStore,
    file_content,
    plan_segments,
    segment_keys,
)
from reelforge_assembly.sources import MasterFrame, RetimedClip, SceneSource
from reelforge_assembly.timeline import Segment, Timeline, build_timeline
from reelforge_assembly.yuv import (
    Overlay,
    Planes,
    allocate,
    blend,
    blend_into,
    copy_into,
    fill_black,
    frame_planes,
    resize_into,
)

QUEUE_DEPTH = 4
"""Frame jobs buffered per variant: enough to ride out uneven decode and encoder speed, few
enough that the master frames they hold stay few. The 60 s render bench took 30.7 and 30.8 s
at 12 against 31.4 and 31.8 s at 4; 12 held about 70 MB more for all three variants, the
margin the embedded pipeline needed to peak under 1 GB."""

ASPECTS: tuple[Aspect, ...] = ("16:9", "9:16", "1:1")
SOCIAL_ASPECTS: tuple[Aspect, ...] = ("9:16", "1:1")
"""Variants that autoplay muted in feeds, so they carry burned-in captions by default."""


# --------------------------------------------------------------------------- variants


@dataclass(frozen=True)
class Variant:
    """One output: its aspect, file stem, output size, crop size on the master canvas, and
    whether captions are burned in."""

    aspect: Aspect
    name: str
    size: tuple[int, int]
    crop: tuple[int, int]
    burn_captions: bool

    @property
    def filename(self) -> str:
        return f"{self.name}.mp4"


def variant_name(aspect: Aspect, primary: Aspect) -> str:
    """`trailer` for the primary aspect, `trailer_9x16` (etc.) for the others."""
    return "trailer" if aspect == primary else "trailer_" + aspect.replace(":", "x")


def plan_variants(
    primary: Aspect,
    *,
    master_side: int = MASTER_SIDE,
    sizes: Mapping[Aspect, tuple[int, int]] | None = None,
    burn_captions: Sequence[Aspect] = SOCIAL_ASPECTS,
) -> list[Variant]:
    """All three aspects, primary first. Each crops the master at the field of view its
    production size has on a MASTER_SIDE canvas (1920x1080, 1080x1920, 1080x1080: full
    resolution, no scaling) and scales only if `sizes` asks for another output size."""
    chosen = dict(sizes or ASPECT_SIZES)
    variants = []
    for aspect in (primary, *(a for a in ASPECTS if a != primary)):
        reference_w, reference_h = ASPECT_SIZES[aspect]
        scale = master_side / MASTER_SIDE
        crop = (_even(min(master_side, reference_w * scale)),
                _even(min(master_side, reference_h * scale)))
        variants.append(Variant(
            aspect, variant_name(aspect, primary), chosen[aspect], crop, aspect in burn_captions
        ))
    return variants


def _even(value: float) -> int:
    return max(2, round(value) // 2 * 2)


def crop_origin(side: int, crop: tuple[int, int], focus: tuple[float, float]) -> tuple[int, int]:
    """Top-left of a crop centred on the focus point, clamped inside the master, even."""
    width, height = crop
    x = round(focus[0] * side - width / 2)
    y = round(focus[1] * side - height / 2)
    x = min(max(0, x), side - width)
    y = min(max(0, y), side - height)
    return x // 2 * 2, y // 2 * 2


# --------------------------------------------------------------------------- pictures


class Picture(Protocol):
    def draw(self, variant: int, out: Planes) -> None: ...


@dataclass(frozen=True)
class ScenePicture:
    """A (possibly in-between) master frame and each variant's crop of it."""

    master: MasterFrame
    crops: Sequence[tuple[int, int, int, int]]

    def draw(self, variant: int, out: Planes) -> None:
        box = self.crops[variant]
        earlier = self.master.earlier.region(*box)
        exact = (earlier.width, earlier.height) == (out.width, out.height)
        if self.master.later is None:
            (copy_into if exact else resize_into)(earlier, out)
            return
        later = self.master.later.region(*box)
        if exact:
            blend_into(earlier, later, self.master.weight, out)
        else:
            resize_into(blend(earlier, later, self.master.weight), out)


class CardStamp:
    """One variant's card: text over black, drawn at full opacity once and copied after. The
    text is set when the card is first drawn (by the variant's worker), so a render that
    encodes no card piece, as after most edits, sets none."""

    def __init__(self, make: Callable[[], Overlay], size: tuple[int, int]) -> None:
        self._make = make
        self._made: Overlay | None = None
        self._size = size
        self._opaque: Planes | None = None

    @property
    def _overlay(self) -> Overlay:
        if self._made is None:
            self._made = self._make()
        return self._made

    def draw(self, out: Planes, opacity: float) -> None:
        if opacity >= 1.0:
            if self._opaque is None:
                self._opaque = allocate(*self._size)
                self._draw(self._opaque, 1.0)
            copy_into(self._opaque, out)
        else:
            self._draw(out, opacity)

    def _draw(self, out: Planes, opacity: float) -> None:
        fill_black(out)
        self._overlay.composite(out, opacity)


@dataclass(frozen=True)
class CardPicture:
    """A card at some opacity (the text fades, the black stays)."""

    stamps: Sequence[CardStamp]
    opacity: float

    def draw(self, variant: int, out: Planes) -> None:
        self.stamps[variant].draw(out, self.opacity)


@dataclass(frozen=True)
class FrameJob:
    """Output frame `index`: its pictures and their weights (two during a dissolve)."""

    index: int
    layers: tuple[tuple[Picture, float], ...]


class FramePlanner:
    """Walks the timeline frame by frame, keeping open only the clips on screen."""

    def __init__(
        self,
        timeline: Timeline,
        sources: Mapping[int, SceneSource],
        variants: Sequence[Variant],
        master_side: int,
    ) -> None:
        self._timeline = timeline
        self._sources = sources
        self._side = master_side
        self._crops = {
            i: self._crops_for(segment, variants) for i, segment in enumerate(timeline.segments)
        }
        self._cards = {
            kind: [CardStamp(functools.partial(make, v.size, timeline.title, timeline.tagline),
                             v.size)
                   for v in variants]
            for kind, make in (("title", title_card), ("end", end_card))
        }
        self._open: dict[int, RetimedClip] = {}

    def _crops_for(
        self, segment: Segment, variants: Sequence[Variant]
    ) -> list[tuple[int, int, int, int]]:
        focus = self._source(segment).focus
        return [(*crop_origin(self._side, v.crop, focus), *v.crop) for v in variants]

    def _source(self, segment: Segment) -> SceneSource:
        return self._sources.get(segment.scene if segment.scene is not None else -1,
                                 SceneSource(None))

    def job(self, frame: int) -> FrameJob:
        layers = tuple(
            (self._picture(layer.segment, frame), layer.weight)
            for layer in self._timeline.layers_at(frame)
        )
        self._close_finished(frame)
        return FrameJob(frame, layers)

    def _picture(self, index: int, frame: int) -> Picture:
        segment = self._timeline.segments[index]
        if segment.kind == "scene":
            first, _ = self._timeline.window(index)
            return ScenePicture(self._clip(index).at(frame - first), self._crops[index])
        opacity = self._timeline.card_opacity(index, frame)
        return CardPicture(self._cards[segment.kind], opacity)

    def _clip(self, index: int) -> RetimedClip:
        if index not in self._open:
            first, last = self._timeline.window(index)
            segment = self._timeline.segments[index]
            self._open[index] = RetimedClip(
                self._source(segment), last - first, self._timeline.fps, self._side
            )
        return self._open[index]

    def _close_finished(self, frame: int) -> None:
        for index in [i for i in self._open if self._timeline.window(i)[1] <= frame + 1]:
            self._open.pop(index).close()

    def close(self) -> None:
        for clip in self._open.values():
            clip.close()
        self._open.clear()


# --------------------------------------------------------------------------- variant workers


class CaptionTrack:
    """The cue on screen at each frame, rendered once per cue when it first appears."""

    def __init__(self, cues: Sequence[Cue], size: tuple[int, int], fps: int) -> None:
        self._cues = cues
        self._size = size
        self._fps = fps
        self._next = 0
        self._current: tuple[int, Overlay] | None = None

    def draw(self, frame: int, out: Planes) -> None:
        index = self._cue_at(frame / self._fps)
        if index is None:
            return
        if self._current is None or self._current[0] != index:
            self._current = (index, caption(self._size, self._cues[index].lines))
        self._current[1].composite(out)

    def _cue_at(self, seconds: float) -> int | None:
        """Frames arrive in order, so a cursor replaces a search."""
        while self._next < len(self._cues) and self._cues[self._next].end <= seconds:
            self._next += 1
        if self._next < len(self._cues) and self._cues[self._next].start <= seconds:
            return self._next
        return None


@dataclass(frozen=True)
class Piece:
    """A render segment one variant must encode, the key it is stored under, and the file
    it is written to."""

    segment: RenderSegment
    key: str
    path: Path


class VariantWorker:
    """One variant's half of the pipeline: compose each frame job and encode it into the
    piece it belongs to; each finished piece goes to the store."""

    def __init__(self, index: int, variant: Variant, pieces: Sequence[Piece],
                 open_encoder: OpenEncoder, encoding: Encoding, store: SegmentStore,
                 cues: Sequence[Cue], fps: int) -> None:
        self._index = index
        self._variant = variant
        self._pending = list(reversed(pieces))
        self._open_encoder = open_encoder
        self._encoding = encoding
        self._store = store
        self._fps = fps
        self._piece: Piece | None = None
        self._writer: SegmentWriter | None = None
        self._frame = av.VideoFrame(*variant.size, "yuv420p")
        self._scratch = allocate(*variant.size)
        self._captions = CaptionTrack(cues, variant.size, fps) if variant.burn_captions else None
        self.encode_cpu_seconds = 0.0

    def render(self, job: FrameJob) -> None:
        # One frame, reused: x264 copies its input while encoding, so the buffer is ours
        # again when `write` returns (make_writable copies it if the encoder still held a
        # reference). A fresh 3 MB frame per write mostly buys page faults.
        writer, first = self._writer_for(job.index)
        frame = self._frame
        frame.make_writable()
        out = frame_planes(frame)
        (base, _), *rest = job.layers
        base.draw(self._index, out)
        for picture, weight in rest:
            picture.draw(self._index, self._scratch)
            blend_into(out, self._scratch, weight, out)
        if self._captions is not None:
            self._captions.draw(job.index, out)
        writer.write(frame, job.index - first)

    def _writer_for(self, frame: int) -> tuple[SegmentWriter, int]:
        """The encoder of the piece `frame` belongs to (frames arrive in order, only those of
        this variant's pieces)."""
        while self._piece is None or frame >= self._piece.segment.last:
            self._finish_piece()
            if not self._pending:
                raise RuntimeError(f"frame {frame} belongs to no piece of {self._variant.name}")
            self._piece = self._pending.pop()
        if self._writer is None:
            self._writer = self._open_encoder(self._piece.path, self._variant.size, self._fps,
                                              self._encoding)
        return self._writer, self._piece.segment.first

    def _finish_piece(self) -> None:
        if self._piece is None:
            return
        piece, writer = self._piece, self._writer
        self._piece = self._writer = None
        if writer is None:
            raise RuntimeError(f"piece {piece.segment.index} of {self._variant.name} got no frames")
        writer.close()
        self.encode_cpu_seconds += writer.encode_cpu_seconds
        del writer
        release_memory()  # each encoder's buffers, before the next one allocates its own
        self._store.put(piece.key, piece.path)

    def finish(self) -> None:
        self._finish_piece()
        if self._pending:
            raise RuntimeError(f"{len(self._pending)} pieces of {self._variant.name} got no frames")

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.abort()
            self._writer = None


# --------------------------------------------------------------------------- the pipeline


class _Aborted(Exception):
    """A worker failed; the producer stops."""


@dataclass
class RenderStats:
    """Wall and CPU time of a render. `encode_cpu_seconds` is x264's own CPU time summed over
    the variants, the floor no renderer of these outputs can go below; `cpu_seconds` is the
    whole process's, so their ratio is this renderer's overhead over pure encoding.
    `encoded` names, per variant, the render segments encoded by this call (the others were
    found in the segment store); `segments` is how many each variant has."""

    frames: int
    seconds: float
    cpu_seconds: float = 0.0
    encode_cpu_seconds: float = 0.0
    outputs: dict[str, Path] = field(default_factory=dict)
    encoded: dict[str, list[int]] = field(default_factory=dict)
    segments: int = 0

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


def render_timeline(
    timeline: Timeline,
    sources: Mapping[int, SceneSource],
    outputs: Sequence[tuple[Variant, Path]],
    *,
    audio: Path | Callable[[], Path] | AacTrack | None,
    cues: Sequence[Cue] = (),
    encoding: Encoding = ENCODINGS["final"],
    master_side: int = MASTER_SIDE,
    queue_depth: int = QUEUE_DEPTH,
    segments: SegmentStore | None = None,
    pictures: Mapping[int, SceneIdentity] | None = None,
    open_encoder: OpenEncoder = SegmentWriter,
) -> RenderStats:
    """Render every output of `outputs` in one pass over the timeline.

    `sources` maps scene index → clip (or still); `audio` is the finished soundtrack (any
    format soundfile reads), or a function that makes it and returns its path: either way
    it is encoded to AAC once, on a thread of its own while the video renders. An `AacTrack`
    is already encoded. The AAC packets are muxed into every output.

    Each output is encoded in render segments (`segments.plan_segments`). Pieces found in the
    `segments` store are reused, the others encoded and put there; without a store every
    piece is encoded. `pictures` identifies each scene's picture for the pieces' keys (the
    service passes blob keys); by default the source files are hashed."""
    started, cpu_started = time.perf_counter(), time.process_time()
    map_large_buffers()
    variants = [v for v, _ in outputs]
    plan = plan_segments(timeline)
    with tempfile.TemporaryDirectory(prefix="reelforge-render-") as tmp:
        store = segments if segments is not None else FolderSegments(Path(tmp) / "segments")
        if pictures is None:
            pictures = {scene: SceneIdentity(file_content(source.path) if segments is not None
                                       else str(source.path), source.focus)
                        for scene, source in sources.items()}
        keys = [segment_keys(timeline, plan, v, pictures, cues, encoding, master_side)
                for v in variants]
        todo = [
            [Piece(piece, key, Path(tmp) / f"{v.name}-{piece.index}.mp4")
             for piece, key in zip(plan, variant_keys, strict=True) if store.get(key) is None]
            for v, variant_keys in zip(variants, keys, strict=True)
        ]
        soundtrack: Path | Soundtrack | None = None
        if isinstance(audio, AacTrack):
            soundtrack = audio.path
        elif audio is not None:
            soundtrack = Soundtrack(audio, Path(tmp) / "soundtrack.m4a", encoding.audio_bitrate)
        try:
            planner = FramePlanner(timeline, sources, variants, master_side)
            workers = [
                VariantWorker(i, v, pieces, open_encoder, encoding, store, cues, timeline.fps)
                for i, (v, pieces) in enumerate(zip(variants, todo, strict=True))
            ]
            _run(planner, workers, todo, timeline.total_frames, queue_depth)
            aac = soundtrack.wait() if isinstance(soundtrack, Soundtrack) else soundtrack
            for (variant, path), variant_keys in zip(outputs, keys, strict=True):
                _join(variant, path, [store.get(k) for k in variant_keys], timeline, aac)
        finally:
            if isinstance(soundtrack, Soundtrack):  # never leave it writing into a folder
                soundtrack.join()                    # that is going away
            release_memory()
    return RenderStats(
        timeline.total_frames,
        time.perf_counter() - started,
        time.process_time() - cpu_started,
        sum(w.encode_cpu_seconds for w in workers),
        {v.name: path for v, path in outputs},
        {v.name: [p.segment.index for p in pieces] for v, pieces in zip(variants, todo,
                                                                           strict=True)},
        len(plan),
    )


def _join(variant: Variant, out: Path, pieces: Sequence[Path | None], timeline: Timeline,
          audio: Path | None) -> None:
    found = [p for p in pieces if p is not None]
    if len(found) != len(pieces):
        raise RuntimeError(f"the segment store lost pieces of {variant.name}")
    frames = join_segments(found, out, timeline.fps, audio)
    if frames != timeline.total_frames:
        raise JoinError(f"{variant.name} joined {frames} frames, the timeline has "
                        f"{timeline.total_frames}")


def _run(planner: FramePlanner, workers: Sequence[VariantWorker],
         pieces: Sequence[Sequence[Piece]], frames: int, depth: int) -> None:
    """Frame jobs for the frames some variant must encode, each to the variants that do."""
    wanted = [_frames_of(variant_pieces, frames) for variant_pieces in pieces]
    queues: list[queue.Queue[FrameJob | None]] = [queue.Queue(depth) for _ in workers]
    stop = threading.Event()
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_consume, args=(w, q, stop, errors), name=f"variant-{i}",
                         daemon=True)
        for i, (w, q) in enumerate(zip(workers, queues, strict=True))
    ]
    for thread in threads:
        thread.start()
    try:
        for index in range(frames):
            takers = [q for q, want in zip(queues, wanted, strict=True) if want[index]]
            if not takers:
                continue
            job = planner.job(index)
            for q in takers:
                _put(q, job, stop)
    except _Aborted:
        pass
    except BaseException as exc:
        errors.insert(0, exc)
        stop.set()
    finally:
        planner.close()
        for q in queues:
            q.put(None)
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]


def _frames_of(pieces: Sequence[Piece], frames: int) -> list[bool]:
    wanted = [False] * frames
    for piece in pieces:
        wanted[piece.segment.first : piece.segment.last] = [True] * piece.segment.frames
    return wanted


def _put(q: queue.Queue[FrameJob | None], job: FrameJob, stop: threading.Event) -> None:
    while True:
        if stop.is_set():
            raise _Aborted
        try:
            q.put(job, timeout=0.2)
            return
        except queue.Full:
            continue


def _consume(worker: VariantWorker, q: queue.Queue[FrameJob | None], stop: threading.Event,
             errors: list[BaseException]) -> None:
    try:
        while (job := q.get()) is not None:
            if not stop.is_set():
                worker.render(job)
        if stop.is_set():
            worker.abort()
        else:
            worker.finish()
    except BaseException as exc:
        errors.append(exc)
        stop.set()
        worker.abort()
        while q.get() is not None:  # keep draining so the producer never blocks
            pass


# --------------------------------------------------------------------------- entry points


@dataclass
class TrailerRender:
    """What `render_trailer` made, for the service and for benchmarks."""

    timeline: Timeline
    cues: list[Cue]
    stats: RenderStats


def render_trailer(
    script: Script,
    words: WordTimings,
    sources: Mapping[int, SceneSource],
    soundtrack: Path,
    outputs: Mapping[Aspect, Path],
    *,
    primary: Aspect = "16:9",
    fps: int = 24,
    preset: str | None = None,
    crf: int | None = None,
    quality: Quality = "final",
    title: str | None = None,
    master_side: int = MASTER_SIDE,
    sizes: Mapping[Aspect, tuple[int, int]] | None = None,
    voiceover_seconds: float | None = None,
    segments: SegmentStore | None = None,
    pictures: Mapping[int, SceneIdentity] | None = None,
    open_encoder: OpenEncoder = SegmentWriter,
) -> TrailerRender:
    """Timeline from the word timings, captions and all `outputs` in one pass over the AAC
    `soundtrack` (`soundtrack.make_soundtrack`): the whole trailer from plain files.
    `preset`/`crf` override the `quality` defaults; `segments`, `pictures` and
    `open_encoder` are `render_timeline`'s."""
    timeline = build_timeline(script, words, fps, voiceover_seconds=voiceover_seconds,
                              title=title)
    cues = build_cues(words, script)
    variants = {v.aspect: v for v in plan_variants(primary, master_side=master_side, sizes=sizes)}
    stats = render_timeline(
        timeline, sources, [(variants[a], p) for a, p in outputs.items()],
        audio=AacTrack(soundtrack), cues=cues, encoding=_encoding(quality, preset, crf),
        master_side=master_side, segments=segments, pictures=pictures,
        open_encoder=open_encoder,
    )
    return TrailerRender(timeline, cues, stats)


def _encoding(quality: Quality, preset: str | None, crf: int | None) -> Encoding:
    base = ENCODINGS[quality]
    return Encoding(preset or base.preset, crf if crf is not None else base.crf, base.threads,
                    base.audio_bitrate, base.thread_type)
