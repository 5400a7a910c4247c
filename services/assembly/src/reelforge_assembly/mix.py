"""The trailer's soundtrack: the voiceover over the score, ducked, loudness-normalised.

Speech must always win, so the score dips under every phrase (a sidechain envelope computed
from the voiceover, with look-ahead attack and a slower release so it does not pump between
words). The result is normalised to the streaming target of -16 LUFS integrated
(ITU-R BS.1770 via pyloudnorm) with true peaks held at or below -1 dBTP by a look-ahead
limiter, measured on a 4x oversampled signal; both are re-measured after limiting and the gain
is corrected until both hold.

`mix_files` streams: the tracks are read, resampled and mixed in blocks of a few seconds,
loudness is measured block by block (the BS.1770 gating needs only the energy of each 100 ms
hop), and the limiter works on each block with enough of its neighbours around it to be
exact, so memory stays the same however long the trailer is. Within a block everything is
vectorised.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Protocol

import numpy as np
import pyloudnorm
import soundfile
from scipy.ndimage import binary_closing, minimum_filter1d, uniform_filter1d
from scipy.signal import resample_poly, sosfilt, tf2sos

from reelforge_assembly.timeline import END_FADE_SECONDS

RATE = 48_000
TARGET_LUFS = -16.0
CEILING_DBTP = -1.0
DUCK_DB = 9.0
"""How far the score dips under speech."""
VOICE_LUFS = -17.0
SCORE_LUFS = -19.0
"""Levels the two tracks are brought to before mixing: the score sits below the voice even
where it is not ducked, then the whole mix is normalised."""
DUCK_ATTACK_SECONDS = 0.12
DUCK_RELEASE_SECONDS = 0.45
DUCK_HOLD_GAP_SECONDS = 0.35
"""Pauses between words shorter than this keep the score ducked (no pumping)."""
CONTROL_HOP_SECONDS = 0.01
OVERSAMPLING = 4
LIMITER_LOOKAHEAD_SECONDS = 0.005
LIMITER_HOLD_SECONDS = 0.05
LOUDNESS_TOLERANCE_LU = 0.3
MAX_PASSES = 6
BLOCK = 1 << 17
"""Samples per block of the streaming mix (2.7 s at 48 kHz)."""
CONTEXT = 1 << 13
"""Samples of each neighbour a block's limiter sees: more than twice what one output sample
depends on (look-ahead + hold + smoothing + the true-peak filter), so the gain over the
block and the margin its true peak is measured on are exact."""
FIT_FADE = 480


@dataclass(frozen=True)
class MixReport:
    loudness_lufs: float
    true_peak_dbtp: float
    gain_db: float
    passes: int
    samples: int
    rate: int


class PassSink(Protocol):
    """Sees every block of every output pass as it is written; the last pass it saw is the
    mix. (The soundtrack encodes the first pass while it is mixed: usually it is the last.)"""

    def begin_pass(self) -> None: ...

    def write(self, block: np.ndarray) -> None: ...


# --------------------------------------------------------------------------- the mix


def mix_files(
    voiceover: Path, score: Path, out: Path, samples: int, rate: int = RATE,
    sink: PassSink | None = None,
) -> MixReport:
    """Mix two sound files into a 32-bit float stereo WAV of exactly `samples` samples, in
    blocks (memory does not grow with length); `sink` sees the output passes as they go."""
    with tempfile.TemporaryDirectory(prefix="reelforge-mix-") as tmp:
        folder = Path(tmp)
        # each track resampled once, to a raw file every later pass reads in blocks
        voice_raw = _store(_track(voiceover, rate, samples), folder / "voice.f32")
        score_raw = _store(_track(score, rate, samples), folder / "score.f32")
        voice_gain = _level_gain_of(_raw_blocks(voice_raw, samples), rate, VOICE_LUFS)
        score_gain = _level_gain_of(_raw_blocks(score_raw, samples), rate, SCORE_LUFS)
        hop = max(1, round(CONTROL_HOP_SECONDS * rate))
        power = _hop_power(_raw_blocks(voice_raw, samples), hop) * voice_gain**2
        duck = _ramped(_speaking(power, hop, rate), hop / rate)
        fade = round(END_FADE_SECONDS * rate)
        premix = folder / "premix.f32"
        with premix.open("wb") as raw:
            position = 0
            for voice, music in zip(_raw_blocks(voice_raw, samples),
                                    _raw_blocks(score_raw, samples), strict=True):
                block = voice * np.float32(voice_gain)
                block += music * (np.float32(score_gain)
                                  * _duck_gains(duck, hop, position, len(block)))[:, None]
                _fade_tail(block, position, samples, fade)
                raw.write(block.astype(np.float32).tobytes())
                position += len(block)
        return _normalise_file(premix, samples, out, rate, sink)


def _store(blocks: Iterator[np.ndarray], path: Path) -> Path:
    with path.open("wb") as sink:
        for block in blocks:
            sink.write(np.ascontiguousarray(block, dtype=np.float32).tobytes())
    return path


def _raw_blocks(path: Path, samples: int) -> Iterator[np.ndarray]:
    for _, block in _blocks_of(path, samples):
        yield block


def _track(path: Path, rate: int, samples: int) -> Iterator[np.ndarray]:
    """A sound file as stereo float32 at `rate`, exactly `samples` long (trimmed, or padded
    with silence after a short fade), in blocks of BLOCK samples (the last one shorter)."""
    with soundfile.SoundFile(str(path)) as source:
        length = math.ceil(source.frames * rate / source.samplerate)
    data = _resampled(path, rate)
    buffered: list[np.ndarray] = []
    held = 0
    position = 0  # of the next sample to yield
    while position < samples:
        while held < BLOCK and (chunk := next(data, None)) is not None:
            buffered.append(chunk)
            held += len(chunk)
        joined = np.concatenate(buffered) if buffered else np.zeros((0, 2), np.float32)
        size = min(BLOCK, samples - position)
        block = np.zeros((size, 2), np.float32)
        taken = joined[:size]
        block[: len(taken)] = taken
        if length < samples:  # the short fade before the padding, where it falls
            _fade_range(block, position, max(0, length - FIT_FADE), length)
        rest = joined[size:]
        buffered, held = ([rest] if len(rest) else []), len(rest)
        position += size
        yield block


def _resampled(path: Path, rate: int) -> Iterator[np.ndarray]:
    """The whole file, resampled to `rate`, as consecutive stereo float32 chunks. Each chunk
    is resampled with a margin of its neighbours (aligned so output samples fall on the same
    grid), so the chunks join into what one `resample_poly` of the whole file gives."""
    with soundfile.SoundFile(str(path)) as source:
        if source.samplerate == rate:
            for block in source.blocks(blocksize=BLOCK, dtype="float32", always_2d=True):
                yield to_stereo(block)
            return
        ratio = Fraction(rate, source.samplerate).limit_denominator(1000)
        up, down = ratio.numerator, ratio.denominator
        pad = down * math.ceil(256 / down)  # input samples of context, a multiple of `down`
        step = down * max(1, BLOCK * down // up // down)
        total = source.frames
        out_total = math.ceil(total * up / down)
        for start in range(0, total, step):
            lo, hi = start - pad, start + step + pad
            source.seek(max(0, lo))
            read = source.read(min(total, hi) - max(0, lo), dtype="float32", always_2d=True)
            chunk = np.zeros((hi - lo, read.shape[1]), np.float32)
            chunk[max(0, lo) - lo: max(0, lo) - lo + len(read)] = read
            resampled = resample_poly(chunk, up, down, axis=0)
            first = start * up // down
            count = min(step * up // down, out_total - first)
            offset = pad * up // down
            yield to_stereo(resampled[offset: offset + count].astype(np.float32))


def _fade_range(block: np.ndarray, position: int, start: int, stop: int) -> None:
    """A raised-cosine fade to zero over the track's samples [start, stop), applied to the
    part of it inside `block` (which starts at track sample `position`); silence after."""
    length = stop - start
    if length <= 0:
        return
    lo, hi = max(start, position), min(stop, position + len(block))
    if lo < hi:
        index = np.arange(lo, hi, dtype=np.float64) - start
        ramp = 0.5 + 0.5 * np.cos(np.pi * index / max(1, length - 1))
        block[lo - position: hi - position] *= ramp.astype(np.float32)[:, None]


def _fade_tail(block: np.ndarray, position: int, samples: int, fade: int) -> None:
    _fade_range(block, position, samples - min(fade, samples), samples)


def _level_gain_of(blocks: Iterator[np.ndarray], rate: int, target: float) -> float:
    meter = LoudnessMeter(rate)
    for block in blocks:
        meter.add(block)
    loudness = meter.integrated()
    return 1.0 if not np.isfinite(loudness) else db_to_gain(target - loudness)


def _hop_power(blocks: Iterator[np.ndarray], hop: int) -> np.ndarray:
    """Mean square of the mono signal over each control hop (a partial last hop is
    zero-padded)."""
    powers: list[np.ndarray] = []
    carry = np.zeros(0, np.float32)
    for block in blocks:
        mono = np.concatenate([carry, block.mean(axis=1)])
        whole = len(mono) // hop * hop
        powers.append(np.mean(np.square(mono[:whole].reshape(-1, hop)), axis=1))
        carry = mono[whole:]
    if len(carry):
        padded = np.zeros(hop, np.float32)
        padded[: len(carry)] = carry
        powers.append(np.array([np.mean(np.square(padded))]))
    return np.concatenate(powers) if powers else np.zeros(0)


def _duck_gains(duck: np.ndarray, hop: int, position: int, count: int) -> np.ndarray:
    """The score's per-sample gain over samples [position, position + count)."""
    control_times = (np.arange(len(duck)) + 0.5) * hop
    sample_duck = np.interp(np.arange(position, position + count), control_times,
                            duck).astype(np.float32)
    return np.power(np.float32(10.0), -DUCK_DB * sample_duck / np.float32(20.0))


DENORMAL_GUARD = 1e-15
"""A Nyquist-rate tone this small (about -290 LUFS) keeps the K-weighting filters' state out
of the denormal range through silence, where every sample costs some thirty times as much."""


class LoudnessMeter:
    """BS.1770-4 integrated loudness fed block by block: the K-weighting filters keep their
    state between blocks and only the energy of each 100 ms hop is kept, from which the
    400 ms gating blocks (75 % overlap) are summed exactly as pyloudnorm sums them."""

    GATE_SECONDS = 0.4
    STEPS = 4  # hops per gating block

    def __init__(self, rate: int, channels: int = 2) -> None:
        self.rate = rate
        stages = pyloudnorm.Meter(rate)._filters.values()
        # both K-weighting biquads in one cascade; their pass-band gains applied after it
        self._sos = np.concatenate([tf2sos(f.b, f.a) for f in stages])
        self._gain = float(np.prod([f.passband_gain for f in stages]))
        self._state = np.zeros((len(self._sos), 2, channels))
        self._hop = self.GATE_SECONDS / self.STEPS * rate
        self._energy: list[np.ndarray] = []  # (hops, channels) sums of squares
        self._partial = np.zeros(channels)
        self._samples = 0
        self._guard_tone: np.ndarray = np.zeros(0)

    def add(self, block: np.ndarray) -> None:
        if not len(block):
            return
        start = self._samples
        guarded = block.astype(np.float64)
        guarded += self._guard(start, len(block))[:, None]
        data, self._state = sosfilt(self._sos, guarded, axis=0, zi=self._state)
        squares = np.square(data * self._gain)
        self._samples += len(data)
        # hop h covers samples [int(h * hop), int((h + 1) * hop)), as pyloudnorm bounds them
        first = int(start / self._hop)
        last = int((self._samples - 1) / self._hop)
        bounds = [max(start, int(h * self._hop)) - start for h in range(first, last + 1)]
        sums = np.add.reduceat(squares, bounds, axis=0)
        sums[0] += self._partial
        if int((last + 1) * self._hop) <= self._samples:  # the block ends on a hop
            self._partial = np.zeros_like(self._partial)
        else:
            self._partial, sums = sums[-1], sums[:-1]
        if len(sums):
            self._energy.append(sums)

    def _guard(self, start: int, count: int) -> np.ndarray:
        """The guard tone over samples [start, start + count), in phase across blocks."""
        if len(self._guard_tone) < count + 1:
            self._guard_tone = DENORMAL_GUARD * (1.0 - 2.0 * (np.arange(count + 1) & 1))
        return self._guard_tone[start & 1: (start & 1) + count]

    def integrated(self) -> float:
        if self._samples < int(self.GATE_SECONDS * self.rate):
            return float("-inf")
        hops = np.concatenate([*self._energy, self._partial[None, :]])
        seconds = self._samples / self.rate
        blocks = int(np.round((seconds - self.GATE_SECONDS) / (self.GATE_SECONDS / self.STEPS)))
        blocks += 1
        gains = np.array([1.0, 1.0, 1.0, 1.41, 1.41][: hops.shape[1]])
        cumulative = np.concatenate([np.zeros((1, hops.shape[1])), np.cumsum(hops, axis=0)])
        j = np.arange(blocks)
        upper = np.minimum(j + self.STEPS, len(hops))
        z = (cumulative[upper] - cumulative[np.minimum(j, len(hops))]) / (
            self.GATE_SECONDS * self.rate)
        with np.errstate(divide="ignore"):
            loudness = -0.691 + 10.0 * np.log10(z @ gains)
            gated = loudness >= -70.0
            if not gated.any():
                return float("-inf")
            relative = -0.691 + 10.0 * np.log10(z[gated].mean(axis=0) @ gains) - 10.0
            kept = (loudness > relative) & gated
            if not kept.any():
                return float("-inf")
            return float(-0.691 + 10.0 * np.log10(z[kept].mean(axis=0) @ gains))


def _blocks_of(path: Path, samples: int, context: int = 0) -> Iterator[tuple[int, np.ndarray]]:
    """A raw float32 stereo file in BLOCK-sample blocks, each with up to `context` samples
    of its neighbours on either side: (samples of context before the block, data)."""
    frame = 2 * np.dtype(np.float32).itemsize
    with path.open("rb") as source:  # plain reads: a memory map would count in the RSS
        for start in range(0, samples, BLOCK):
            lo, hi = max(0, start - context), min(samples, start + BLOCK + context)
            source.seek(lo * frame)
            data = np.fromfile(source, dtype=np.float32, count=(hi - lo) * 2)
            yield start - lo, data.reshape(hi - lo, 2)


def _normalise_file(premix: Path, samples: int, out: Path, rate: int,
                    sink: PassSink | None = None, target_lufs: float = TARGET_LUFS,
                    ceiling_dbtp: float = CEILING_DBTP) -> MixReport:
    """Gain to `target_lufs`, limit to `ceiling_dbtp`, re-measure, correct, repeat, each pass
    block by block over the premix file; the pass that meets both targets is the one
    written."""
    meter = LoudnessMeter(rate)
    for _, block in _blocks_of(premix, samples):
        meter.add(block)
    loudness = meter.integrated()
    if not np.isfinite(loudness):
        peak = _write_pass(premix, samples, out, rate, 1.0, None, sink=sink)[1]
        return MixReport(loudness, peak, 0.0, 0, samples, rate)
    gain_db = target_lufs - loudness
    margin_db = 0.1
    peak = float("inf")
    passes = 0
    candidate = out.with_name(out.name + ".part")
    while passes < MAX_PASSES:
        passes += 1
        loudness, peak = _write_pass(premix, samples, candidate, rate, db_to_gain(gain_db),
                                     db_to_gain(ceiling_dbtp - margin_db), sink=sink)
        loud_ok = abs(loudness - target_lufs) <= LOUDNESS_TOLERANCE_LU
        if loud_ok and peak <= ceiling_dbtp:
            break
        if not loud_ok:
            gain_db += target_lufs - loudness
        if peak > ceiling_dbtp:
            margin_db += peak - ceiling_dbtp + 0.05
    if peak > ceiling_dbtp:  # last resort: trade a little loudness for a guaranteed ceiling
        trim = db_to_gain(ceiling_dbtp - 0.05 - peak)
        loudness, peak = _write_pass(premix, samples, candidate, rate, db_to_gain(gain_db),
                                     db_to_gain(ceiling_dbtp - margin_db), trim, sink)
    candidate.replace(out)
    return MixReport(loudness, peak, gain_db, passes, samples, rate)


def _write_pass(premix: Path, samples: int, out: Path, rate: int, gain: float,
                ceiling: float | None, trim: float = 1.0,
                sink: PassSink | None = None) -> tuple[float, float]:
    """premix x gain, limited to `ceiling` (None: not limited), x trim, written to `out` as
    a float WAV (and to `sink`); returns its integrated loudness and true peak (dBTP)."""
    meter = LoudnessMeter(rate)
    peak = 0.0
    if sink is not None:
        sink.begin_pass()
    with soundfile.SoundFile(str(out), "w", rate, 2, subtype="FLOAT", format="WAV") as wav:
        for before, chunk in _blocks_of(premix, samples, CONTEXT):
            size = min(BLOCK, len(chunk) - before)
            block, peaks = _gained_block(chunk * np.float32(gain), before, size, rate, ceiling)
            if trim != 1.0:
                block *= np.float32(trim)
                peaks *= np.float32(trim)
            peak = max(peak, float(peaks.max(initial=0.0)))
            meter.add(block)
            wav.write(block)
            if sink is not None:
                sink.write(block)
    dbtp = float(20.0 * np.log10(peak)) if peak > 0 else float("-inf")
    return meter.integrated(), dbtp


def _gained_block(chunk: np.ndarray, before: int, size: int, rate: int,
                  ceiling: float | None) -> tuple[np.ndarray, np.ndarray]:
    """The block's own `size` samples of `chunk` (limited to `ceiling` with the neighbours as
    context), and their true peaks. The peaks the limiter measured stand when it left the
    block alone; otherwise the limited block is measured again, with its neighbours."""
    peaks = oversampled_peaks(chunk)
    limited = chunk if ceiling is None else limit(chunk, rate, ceiling, peaks)
    if limited is chunk:
        return chunk[before: before + size], peaks[before: before + size]
    margin = min(before, 64)
    after = min(len(limited) - before - size, 64)
    measured = oversampled_peaks(limited[before - margin: before + size + after])
    return limited[before: before + size], measured[margin: margin + size]


# --------------------------------------------------------------------------- conversions


def to_stereo(data: np.ndarray) -> np.ndarray:
    if data.ndim == 1:
        data = data[:, None]
    if data.shape[1] == 1:
        return np.repeat(data, 2, axis=1).astype(np.float32, copy=False)
    return np.ascontiguousarray(data[:, :2], dtype=np.float32)


def db_to_gain(db: float) -> float:
    return float(10.0 ** (db / 20.0))


# --------------------------------------------------------------------------- ducking


def _speaking(power: np.ndarray, hop: int, rate: int) -> np.ndarray:
    """True for each control hop where the voice is speaking (short gaps filled), from the
    voice's mean square over each hop."""
    frames = len(power)
    level = 10.0 * np.log10(power + 1e-12)
    if frames == 0 or level.max() < -70.0:
        return np.zeros(frames, bool)
    speaking = level > max(level.max() - 35.0, -55.0)
    gap = max(1, round(DUCK_HOLD_GAP_SECONDS * rate / hop))
    closed = binary_closing(np.pad(speaking, gap), structure=np.ones(gap, bool))
    return np.asarray(closed[gap:-gap], dtype=bool)


def _ramped(speaking: np.ndarray, hop_seconds: float) -> np.ndarray:
    """0..1 duck amount: 1 while speaking, ramps before (attack: the mix is offline, so it
    can look ahead) and after (release), with a raised-cosine shape. Both ramps come from
    distance transforms of the speech mask, so no per-sample loop is needed."""
    index = np.arange(len(speaking))
    if not speaking.any():
        return np.zeros(len(speaking), np.float32)
    last = np.maximum.accumulate(np.where(speaking, index, -(10**9)))
    upcoming = np.minimum.accumulate(np.where(speaking, index, 10**9)[::-1])[::-1]
    since = (index - last) * hop_seconds
    until = (upcoming - index) * hop_seconds
    amount = np.maximum(1.0 - until / DUCK_ATTACK_SECONDS, 1.0 - since / DUCK_RELEASE_SECONDS)
    amount = np.clip(amount, 0.0, 1.0)
    return (0.5 - 0.5 * np.cos(np.pi * amount)).astype(np.float32)


# --------------------------------------------------------------------------- true peak


def oversampled_peaks(data: np.ndarray, factor: int = OVERSAMPLING) -> np.ndarray:
    """Per input sample, the largest absolute value of the `factor`x oversampled signal
    between it and the next sample, across channels (BS.1770 true-peak). Computed in blocks
    so a long mix never needs a 4x copy of itself."""
    stereo = data if data.ndim == 2 else data[:, None]
    samples = len(stereo)
    peaks = np.empty(samples, np.float32)
    block, pad = 1 << 16, 64
    for start in range(0, samples, block):
        stop = min(samples, start + block)
        lo, hi = max(0, start - pad), min(samples, stop + pad)
        up = resample_poly(stereo[lo:hi], factor, 1, axis=0)
        first = (start - lo) * factor
        core = np.abs(up[first : first + (stop - start) * factor])
        peaks[start:stop] = _row_max(core.reshape(stop - start, -1))
    return np.maximum(peaks, _row_max(np.abs(stereo)))


def _row_max(table: np.ndarray) -> np.ndarray:
    """Each row's largest value. A handful of elementwise maxima over the columns: numpy's
    reduction along a short last axis costs sixty times as much (it was most of the mix)."""
    out = table[:, 0].astype(np.float32, copy=True)
    for column in range(1, table.shape[1]):
        np.maximum(out, table[:, column], out=out)
    return out


def limit(data: np.ndarray, rate: int, ceiling: float,
          peaks: np.ndarray | None = None) -> np.ndarray:
    """A look-ahead peak limiter: the gain needed under each true peak is spread over a
    window that starts `lookahead` before the peak and holds for `hold` after it, then
    smoothed; the smoothing window lies inside the hold window, so the gain at every peak is
    still at most what the peak needs. `peaks`: `data`'s true peaks, when already measured.
    Returns `data` itself when no peak reaches the ceiling."""
    if peaks is None:
        peaks = oversampled_peaks(data)
    needed = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-9))
    if needed.min() >= 1.0:
        return data
    ahead = max(1, round(LIMITER_LOOKAHEAD_SECONDS * rate))
    behind = max(1, round(LIMITER_HOLD_SECONDS * rate))
    size = ahead + behind + 1
    held = minimum_filter1d(needed, size=size, origin=behind - size // 2, mode="nearest")
    smooth = ahead if ahead % 2 else ahead - 1
    gain = uniform_filter1d(held, size=max(1, smooth), mode="nearest").astype(np.float32)
    return data * gain[:, None]
