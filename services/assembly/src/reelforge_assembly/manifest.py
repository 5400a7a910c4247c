"""manifest.json: every file of the trailer package, with what it takes to trust it.

The exporter copies files by the manifest's paths and blob keys, so whatever is missing here
is missing from the user's folder. Each entry carries its sha256 and size (to verify the
copy) and, for audio and video, its duration as PyAV reads it from the container's packets.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from reelforge.models import ArtifactRecord, Job, Manifest, Status, WordTimings

from reelforge_assembly.encode import open_demuxed

MEDIA_SUFFIXES = (".mp4", ".m4a", ".mov", ".wav", ".mp3", ".flac", ".ogg", ".aac")
HASH_BLOCK = 1 << 20


def file_digest(path: Path) -> tuple[str, int]:
    """(sha256 hex, size in bytes), streamed."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while block := f.read(HASH_BLOCK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def media_duration(path: Path) -> float | None:
    """Seconds of the main stream (video if any, else audio) from its packets' timestamps;
    None for anything that is not audio or video."""
    if path.suffix.lower() not in MEDIA_SUFFIXES:
        return None
    with open_demuxed(path) as container:
        streams = container.streams.video or container.streams.audio
        if not streams:
            return None
        stream = streams[0]
        first: int | None = None
        last = 0
        for packet in container.demux(stream):
            if packet.pts is None:
                continue
            first = packet.pts if first is None else min(first, packet.pts)
            last = max(last, packet.pts + (packet.duration or 0))
        if first is None or stream.time_base is None:
            return None
        return round(float((last - first) * stream.time_base), 6)


def describe(record: ArtifactRecord, path: Path) -> ArtifactRecord:
    """The record with sha256, size and media duration filled from the file."""
    sha256, size = file_digest(path)
    duration = media_duration(path)
    return record.model_copy(update={
        "sha256": sha256,
        "size": size,
        "duration": duration if duration is not None else record.duration,
    })


def described_before(record: ArtifactRecord, earlier: ArtifactRecord) -> ArtifactRecord:
    """The record with what `describe` found in the same blob for an earlier manifest (a
    blob key names one content, so the file need not be read again)."""
    media = Path(record.key).suffix.lower() in MEDIA_SUFFIXES
    return record.model_copy(update={
        "sha256": earlier.sha256,
        "size": earlier.size,
        "duration": earlier.duration if media and earlier.duration is not None
        else record.duration,
    })


def stage_seconds(job: Job, assembly_seconds: float) -> dict[str, float]:
    """Seconds of every finished stage, with assembly's own (it is still running)."""
    seconds = {
        name: round(state.seconds, 3)
        for name, state in job.stages.items()
        if state.status == Status.completed and state.seconds is not None
    }
    seconds["assembly"] = round(assembly_seconds, 3)
    return seconds


def alignment_stats(words: WordTimings) -> dict[str, float | str | None]:
    """How far the aligner's timings were from the TTS engine's own (when it gave any)."""
    gaps = [w.disagreement for w in words.words if w.disagreement is not None]
    mean = words.mean_disagreement
    peak = words.max_disagreement
    if mean is None and gaps:
        mean = sum(gaps) / len(gaps)
    if peak is None and gaps:
        peak = max(gaps)
    return {
        "aligner": words.aligner,
        "mean_disagreement": None if mean is None else round(mean, 4),
        "max_disagreement": None if peak is None else round(peak, 4),
        "words": float(len(words.words)),
    }


def build_manifest(
    job: Job,
    title: str,
    artifacts: Iterable[ArtifactRecord],
    assembly_seconds: float,
    words: WordTimings,
) -> Manifest:
    ordered = sorted(artifacts, key=lambda a: (a.path or "", a.name))
    return Manifest(
        job_id=job.id,
        title=title,
        settings=job.settings,
        artifacts=ordered,
        stage_seconds=stage_seconds(job, assembly_seconds),
        alignment=alignment_stats(words),
        cost_usd=round(job.cost_usd, 6),
    )
