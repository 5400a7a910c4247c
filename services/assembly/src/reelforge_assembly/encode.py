"""Output files: H.264 video through PyAV/libx264 and AAC audio encoded once, shared.

Each variant is encoded in pieces (`SegmentWriter`: one fresh x264 per render segment, video
only) and the pieces are joined by remuxing their packets (`join_segments`), so a piece
encoded for an earlier version is reused as it is. The soundtrack is encoded to AAC a single
time, on a thread of its own while the video renders (`Soundtrack`, which may also mix it
first); every variant's join remuxes those packets, interleaved with its video, so audio
costs one encode however many variants there are.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import soundfile
from reelforge.media.system import available_cores
from reelforge.media.x264 import TRAILER_X264, X264Settings, tag_bt709
from reelforge.models import Quality

AAC_FRAME = 1024
AAC_CODER = "fast"
"""FFmpeg's fast AAC quantiser search rather than its default two-loop search: a third of
the CPU (1.1 vs 3.0 s for a 60 s stereo mix), and at our 192 kb/s its author found it
sounds better, not worse (FFmpeg commit fcb681ac, which once made it the default)."""
AUDIO_LEAD_SECONDS = 0.25
"""How far audio packets are muxed ahead of the video they accompany."""


MAX_ENCODER_THREADS = 4
"""x264 frame threads add latency and memory (each holds frames) for little gain past this."""


def encoder_threads(variants: int = 3) -> int:
    """x264 threads per encoder. The variants encode in parallel, one encoder per thread of
    ours, so each gets its share of the cores: on 2 cores that is 1, which measured faster
    than frame-threading each encoder (28 vs 25 fps at veryfast, 131 vs 100 at ultrafast for
    the three variants on the 2-core reference machine)."""
    return max(1, min(MAX_ENCODER_THREADS, available_cores() // variants))


@dataclass(frozen=True)
class Encoding(X264Settings):
    """x264 preset and CRF, threads per encoder (and how x264 uses them: whole frames in
    parallel, or slices of each frame), AAC bit rate."""

    threads: int = field(default_factory=encoder_threads)
    audio_bitrate: int = 192_000
    thread_type: str = "FRAME"


ENCODINGS: dict[Quality, Encoding] = {
    quality: Encoding(x264.preset, x264.crf) for quality, x264 in TRAILER_X264.items()
}


def encode_audio(wav: Path, out: Path, bitrate: int = 192_000) -> None:
    """Encode a sound file to AAC in an MP4 audio container, streaming in blocks."""
    with soundfile.SoundFile(str(wav)) as source:
        blocks = source.blocks(blocksize=AAC_FRAME * 64, dtype="float32", always_2d=True)
        _encode_aac(blocks, out, source.samplerate, source.channels, bitrate)


def _encode_aac(blocks: Iterable[np.ndarray], out: Path, rate: int, channels: int,
                bitrate: int) -> None:
    """(samples, channels) float32 blocks → AAC (stereo, or mono for one channel)."""
    with av.open(str(out), "w", format="mp4") as sink:
        layout = "stereo" if channels >= 2 else "mono"
        stream = sink.add_stream("aac", rate=rate, layout=layout)
        stream.bit_rate = bitrate
        stream.options = {"aac_coder": AAC_CODER}
        pts = 0
        for block in blocks:
            planar = np.ascontiguousarray(block[:, : 2 if layout == "stereo" else 1].T)
            for start in range(0, planar.shape[1], AAC_FRAME):
                chunk = np.ascontiguousarray(planar[:, start : start + AAC_FRAME])
                frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
                frame.sample_rate = rate
                frame.pts = pts
                pts += chunk.shape[1]
                sink.mux(stream.encode(frame))
        sink.mux(stream.encode(None))


class AacWriter:
    """AAC encoding fed block by block, on a thread of its own: the encoder runs beside
    whatever makes the blocks (the mix), a few blocks behind it at most."""

    def __init__(self, out: Path, rate: int, channels: int, bitrate: int,
                 depth: int = 4) -> None:
        self._blocks: queue.Queue[np.ndarray | None] = queue.Queue(depth)
        self._error: BaseException | None = None
        self._aborted = False
        self._thread = threading.Thread(
            target=self._encode, args=(out, rate, channels, bitrate), name="aac", daemon=True)
        self._thread.start()

    def write(self, block: np.ndarray) -> None:
        """Queue a (samples, channels) float32 block (it must not change afterwards)."""
        if self._error is not None:
            raise self._error
        self._blocks.put(block)  # the thread takes blocks until the end, even after an error

    def close(self) -> None:
        """Encode what is queued, finish the file; re-raise what went wrong encoding."""
        self._end()
        if self._error is not None:
            raise self._error

    def abort(self) -> None:
        """Stop encoding (what is queued is dropped; the file is left to be discarded)."""
        self._aborted = True
        self._end()

    def _end(self) -> None:
        if self._thread.is_alive():
            self._blocks.put(None)
            self._thread.join()

    def _encode(self, out: Path, rate: int, channels: int, bitrate: int) -> None:
        ended = False

        def queued() -> Iterator[np.ndarray]:
            nonlocal ended
            while (block := self._blocks.get()) is not None:
                if not self._aborted:
                    yield block
            ended = True

        try:
            _encode_aac(queued(), out, rate, channels, bitrate)
        except BaseException as exc:
            self._error = exc
            while not ended and self._blocks.get() is not None:  # a writer must never block
                pass


@dataclass(frozen=True)
class AacTrack:
    """A soundtrack already encoded to AAC (an MP4 audio file): remuxed as it is."""

    path: Path


class Soundtrack:
    """The AAC track every output shares, made on a background thread: `source` is the
    finished sound file, or a function that makes it (the mix) and returns its path."""

    def __init__(self, source: Path | Callable[[], Path], out: Path, bitrate: int) -> None:
        self.path = out
        self._source = source
        self._bitrate = bitrate
        self._done = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._make, name="soundtrack", daemon=True)
        self._thread.start()

    def _make(self) -> None:
        try:
            wav = self._source() if callable(self._source) else self._source
            encode_audio(wav, self.path, self._bitrate)
        except BaseException as exc:
            self._error = exc
        finally:
            self._done.set()

    def wait(self) -> Path:
        """The AAC file, once made (re-raises what went wrong making it)."""
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self.path

    def join(self) -> None:
        self._done.wait()


class SegmentWriter:
    """One render segment: frames in, a video-only H.264 MP4 out. A fresh encoder per piece,
    so the piece opens on an IDR frame and no frame refers outside it (closed GOPs)."""

    def __init__(self, path: Path, size: tuple[int, int], fps: int, encoding: Encoding) -> None:
        self.path = path
        self.encode_cpu_seconds = 0.0
        """CPU time spent inside x264 by the calling thread (all of it with one thread)."""
        self._fps = fps
        self._container = av.open(str(path), "w", format="mp4")
        stream = self._container.add_stream("libx264", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = Fraction(1, fps)
        context = stream.codec_context
        context.thread_count = encoding.threads
        context.thread_type = encoding.thread_type
        tag_bt709(context)
        stream.options = encoding.options()
        self._video = stream

    def write(self, frame: av.VideoFrame, index: int) -> None:
        """Encode the piece's frame `index` (from 0)."""
        frame.pts = index
        frame.time_base = Fraction(1, self._fps)
        started = time.thread_time()
        packets = self._video.encode(frame)
        self.encode_cpu_seconds += time.thread_time() - started
        self._container.mux(packets)

    def close(self) -> None:
        """Flush the encoder and finish the file."""
        started = time.thread_time()
        packets = self._video.encode(None)
        self.encode_cpu_seconds += time.thread_time() - started
        self._container.mux(packets)
        self._container.close()

    def abort(self) -> None:
        with contextlib.suppress(av.FFmpegError, ValueError, OSError):
            self._container.close()


OpenEncoder = Callable[[Path, tuple[int, int], int, Encoding], SegmentWriter]
"""How a renderer opens the encoder of one piece (`SegmentWriter`; tests count the calls)."""


def open_demuxed(path: Path) -> av.container.InputContainer:
    """A media file opened only to read its packets. A plain open decodes the first frames
    to probe the stream (16 ms a 1080p render segment, 0.8 ms without: nine tenths of a
    join's CPU); with every frame skipped the stream's parameters come from the container,
    and a join writes the same bytes (the manifest reads the same durations)."""
    skip_all = {"skip_frame": "all"}
    try:
        return av.open(str(path), stream_options=[skip_all])  # type: ignore[list-item]  # the stub says str
    except ValueError:  # a format whose streams appear only once probed (MPEG-TS)
        return av.open(str(path))


class JoinError(ValueError):
    """Pieces that cannot be joined without re-encoding them."""


def join_segments(pieces: Sequence[Path], out: Path, fps: int, audio: Path | None) -> int:
    """Remux the pieces' H.264 packets, in order, into one MP4 with continuous timestamps
    (nothing is re-encoded), with the AAC `audio` interleaved over the whole; returns the
    number of video frames.

    Presentation times are each piece's own, offset by the frames before it. Decode times
    are renumbered across the join, one frame apart and `delay` frames behind, `delay` being
    the largest B-frame reordering delay of any piece: a short piece may have none, and its
    decode times must still follow the ones before it."""
    delay = max(_reorder_delay(piece, fps) for piece in pieces)
    frame_time = Fraction(1, fps)
    with open_demuxed(pieces[0]) as first:
        template = first.streams.video[0]
        parameters = bytes(template.codec_context.extradata or b"")
        with av.open(str(out), "w", format="mp4",
                     options={"movflags": "+faststart"}) as sink:
            video = sink.add_stream_from_template(template)
            soundtrack = AudioMuxer(sink, audio) if audio is not None else None
            frames = 0
            for piece in pieces:
                with open_demuxed(piece) as source:
                    stream = source.streams.video[0]
                    if bytes(stream.codec_context.extradata or b"") != parameters:
                        raise JoinError(f"{piece.name} was encoded with other H.264 parameters "
                                        "than the first piece; encode it again")
                    offset = frames
                    for packet in source.demux(stream):
                        if packet.dts is None:  # the demuxer's closing empty packet
                            continue
                        packet.pts = offset + _in_frames(packet.pts, packet.time_base, fps)
                        packet.dts = frames - delay
                        packet.duration = 1
                        packet.time_base = frame_time
                        packet.stream = video
                        frames += 1
                        if soundtrack is not None:
                            soundtrack.mux_until(frames / fps + AUDIO_LEAD_SECONDS)
                        sink.mux(packet)
            if soundtrack is not None:
                soundtrack.finish()
    return frames


def _reorder_delay(piece: Path, fps: int) -> int:
    """How many frames the piece's first decode time is before its first presentation."""
    with open_demuxed(piece) as source:
        for packet in source.demux(source.streams.video[0]):
            if packet.dts is not None and packet.pts is not None:
                return max(0, _in_frames(packet.pts - packet.dts, packet.time_base, fps))
    raise JoinError(f"{piece.name} has no video packets; encode it again")


def _in_frames(ticks: int | None, time_base: Fraction | None, fps: int) -> int:
    if ticks is None or time_base is None:
        raise JoinError("a piece has a packet without a timestamp; encode it again")
    return round(ticks * time_base * fps)


class AudioMuxer:
    """The AAC packets of a finished soundtrack, remuxed as they are into `sink`, each muxed
    once the video has reached its time (interleaved, as players stream it)."""

    def __init__(self, sink: av.container.OutputContainer, aac: Path) -> None:
        self._sink = sink
        self._source = av.open(str(aac))
        stream = self._source.streams.audio[0]
        self._stream = sink.add_stream_from_template(stream)
        self._packets: Iterator[av.Packet] | None = self._source.demux(stream)
        self._pending: av.Packet | None = None

    def mux_until(self, seconds: float) -> None:
        while self._packets is not None:
            packet = self._pending if self._pending is not None else next(self._packets, None)
            self._pending = None
            if packet is None:
                self._packets = None
                return
            if packet.dts is None:  # the demuxer's closing empty packet
                continue
            if _seconds(packet) > seconds:
                self._pending = packet
                return
            packet.stream = self._stream
            self._sink.mux(packet)

    def finish(self) -> None:
        """Mux the rest and close the source."""
        try:
            self.mux_until(float("inf"))
        finally:
            self._source.close()


def _seconds(packet: av.Packet) -> float:
    """A packet's presentation time (untimed packets count as due now)."""
    if packet.pts is None or packet.time_base is None:
        return float("-inf")
    return float(packet.pts * packet.time_base)
