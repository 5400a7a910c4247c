"""Checks a trailer package by decoding it: shared by the embedded end-to-end tests."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import av
import numpy as np
import pyloudnorm
from reelforge.models import END_CARD_SECONDS, Manifest, Script, WordTimings
from reelforge.pipeline import reference_name

VARIANTS = {"trailer.mp4": (1920, 1080), "trailer_9x16.mp4": (1080, 1920),
            "trailer_1x1.mp4": (1080, 1080)}
REQUIRED = ("trailer.mp4", "trailer_9x16.mp4", "trailer_1x1.mp4", "captions.srt",
            "captions.vtt", "poster.png", "thumbnail.jpg", "cover.jpg", "script.json",
            "voiceover.wav", "score.wav", "words.json", "soundtrack.m4a")
PROMO_SIZES = {"poster.png": (2000, 3000), "thumbnail.jpg": (1280, 720),
               "cover.jpg": (1920, 1080)}
_CUE = re.compile(
    r"(\d\d):(\d\d):(\d\d),(\d{3}) --> (\d\d):(\d\d):(\d\d),(\d{3})\n(.+?)(?:\n\n|\Z)", re.S)


def probe(path: Path) -> dict[str, object]:
    with av.open(str(path)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        frames = sum(1 for _ in c.decode(v))
        rate = float(v.average_rate or 0)
        return {"vcodec": v.codec_context.name, "acodec": a.codec_context.name,
                "size": (v.codec_context.width, v.codec_context.height), "fps": rate,
                "frames": frames, "vdur": frames / rate if rate else 0.0}


def decode_audio(path: Path) -> tuple[np.ndarray, int]:
    with av.open(str(path)) as c:
        stream = c.streams.audio[0]
        chunks = [f.to_ndarray() for f in c.decode(stream)]
        rate = stream.codec_context.sample_rate
    return np.concatenate(chunks, axis=1).T.astype(np.float64), rate


def words_of(package: Path) -> WordTimings:
    return WordTimings.model_validate_json((package / "words.json").read_text())


def check_variants(package: Path) -> None:
    """Codecs, sizes, 24 fps, and video/audio/timeline durations within 0.1 s."""
    timeline = words_of(package).duration + END_CARD_SECONDS
    for name, size in VARIANTS.items():
        info = probe(package / name)
        assert info["vcodec"] == "h264" and info["acodec"] == "aac", (name, info)
        assert info["size"] == size, (name, info)
        assert abs(float(info["fps"]) - 24) < 0.01, (name, info)  # type: ignore[arg-type]
        assert abs(float(info["vdur"]) - timeline) <= 0.1, (name, info, timeline)  # type: ignore[arg-type]
        samples, rate = decode_audio(package / name)
        assert abs(len(samples) / rate - timeline) <= 0.1, (name, len(samples) / rate, timeline)


def check_loudness(package: Path) -> float:
    samples, rate = decode_audio(package / "trailer.mp4")
    lufs = float(pyloudnorm.Meter(rate).integrated_loudness(samples))
    assert -17.0 <= lufs <= -15.0, lufs
    return lufs


def check_captions(package: Path) -> None:
    """Every cue starts on a spoken word (never before it), ≤2 lines of ≤42 characters."""
    words = words_of(package)
    starts = [w.start for w in words.words]
    cues = _CUE.findall((package / "captions.srt").read_text())
    assert cues
    for cue in cues:
        t0 = int(cue[0]) * 3600 + int(cue[1]) * 60 + int(cue[2]) + int(cue[3]) / 1000
        t1 = int(cue[4]) * 3600 + int(cue[5]) * 60 + int(cue[6]) + int(cue[7]) / 1000
        assert words.words[0].start - 0.001 <= t0 < t1 <= words.words[-1].end + 1.0
        assert any(abs(t0 - s) < 0.002 for s in starts), f"cue at {t0} starts on no word"
        lines = cue[8].strip().split("\n")
        assert len(lines) <= 2 and all(len(line) <= 42 for line in lines), lines
    assert (package / "captions.vtt").read_text().startswith("WEBVTT")


def check_manifest(package: Path) -> Manifest:
    """Every required file is listed; hashes, sizes and providers are recorded."""
    manifest = Manifest.model_validate_json((package / "manifest.json").read_text())
    paths = {a.path for a in manifest.artifacts}
    assert set(REQUIRED) <= paths, set(REQUIRED) - paths
    for artifact in manifest.artifacts:
        if artifact.path == "manifest.json":
            continue
        assert artifact.path is not None
        data = (package / artifact.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == artifact.sha256, artifact.path
        assert len(data) == artifact.size, artifact.path
        assert artifact.provider, artifact.path
    for name, size in PROMO_SIZES.items():
        with av.open(str(package / name)) as c:
            frame = next(c.decode(video=0))
            assert (frame.width, frame.height) == size, name
    assert {"script", "audio", "storyboard", "video", "assembly"} <= set(manifest.stage_seconds)
    return manifest


def check_references(package: Path, manifest: Manifest) -> dict[str, Path]:
    """A reference portrait of every main character a scene shows and a reference shot of
    every location a scene is set in: listed, and square PNGs that decode. Returns the files
    by job-store name."""
    script = Script.model_validate_json((package / "script.json").read_text())
    listed = {a.name: a.path for a in manifest.artifacts if a.name.startswith("reference/")}
    wanted = [reference_name("character", c.id) for c in script.main_characters_shown()]
    wanted += [reference_name("location", loc.id) for loc in script.scene_locations()]
    assert sorted(listed) == sorted(wanted), (sorted(listed), sorted(wanted))
    files = {}
    for name, path in listed.items():
        assert path is not None and path.startswith(("references/characters/",
                                                     "references/locations/")), path
        with av.open(str(package / path)) as c:
            frame = next(c.decode(video=0))
            assert frame.width == frame.height >= 64, (path, frame.width, frame.height)
            assert float(frame.to_ndarray(format="gray").std()) > 1.0, f"{path} is blank"
        files[name] = package / path
    return files


def check_package(package: Path) -> Manifest:
    check_variants(package)
    check_loudness(package)
    check_captions(package)
    return check_manifest(package)
