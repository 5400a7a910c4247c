"""Render benchmark: a 60 s, 24 fps, 1920x1080 trailer from 12 clips, the voiceover, the score
and burned-in captions, with one x264 preset and CRF for every contender.

    .venv/bin/python bench/render.py [--repeat N] [--seconds S] [--only ours,ffmpeg,...]

Contenders, each run as its own process (wall, CPU of the whole process tree, peak summed
RSS):

- ours: reelforge's streaming renderer (`render_timeline`), 16:9 only, plus the mix
  (ducking, -16 LUFS, true-peak limiter) it needs first; `ours3` renders all three variants
  from the same single decode pass (reported on its own line, not in the ratios);
- moviepy: the chain popular open-source generators use: every clip cropped, trimmed and
  encoded on its own by MoviePy, the clips joined by an ffmpeg concat that re-encodes, then
  a MoviePy pass that composites the captions and mixes the audio;
- ffmpeg: the ffmpeg command line doing the composition in one filtergraph: crops, trims,
  the same 0.5 s dissolves (xfade), caption overlays, voiceover over ducked score;
- bound: x264 alone encoding the same 1440 frames straight from memory (exactly the frames
  our renderer hands its encoder, captured into memory before the clock starts), with
  x264's own thread choice.

Every contender is timed as a whole process; the bound is timed inside its process (the
encode loop alone), so ours is also timed inside its process for that ratio: the
`render_timeline` call, from the first decoded frame to the closed files, mix and AAC
included, without the interpreter's start and the imports (about 2.5 s), which the bound
leaves out too. Both figures are printed.

The last line printed is
`render_vs_moviepy=<speedup> render_vs_ffmpeg=<ratio> render_vs_encode_bound=<ratio>
peak_rss_mb=<n>`, speedup = MoviePy's time / ours, ratio = ours / theirs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1] / "services" / "assembly" / "tests"))

import benchlib
from benchlib import FPS, PYTHON, Measured, RenderInputs
from reelforge_assembly.encode import AAC_CODER  # every contender uses the product's coder

if TYPE_CHECKING:
    from reelforge.models import Quality
    from reelforge_assembly.encode import OpenEncoder

PRESET, CRF = "veryfast", 20
"""The product's `final` trailer encoding, for every contender."""
AUDIO_BITRATE = "192k"
DISSOLVE_FRAMES = 12
SIZE = (1920, 1080)
CONTENDERS = ("ours", "ours3", "moviepy", "ffmpeg", "bound")
BOUND_THREADS = (0, "FRAME")
"""x264's own choice of frame threads: the fastest of its settings here (see the README)."""


# --------------------------------------------------------------------------- ours


def run_ours(inputs: RenderInputs, out: Path, all_variants: bool, audio: bool = True,
             open_encoder: OpenEncoder | None = None) -> None:
    from reelforge_assembly.captions import Cue
    from reelforge_assembly.encode import Encoding, SegmentWriter
    from reelforge_assembly.mix import RATE, mix_files
    from reelforge_assembly.render import plan_variants, render_timeline
    from reelforge_assembly.sources import SceneSource
    from reelforge_assembly.timeline import Segment, Timeline

    per = round(inputs.clip_seconds * FPS)
    clips = len(inputs.clips)
    timeline = Timeline(
        FPS,
        tuple(Segment("scene", i * per, (i + 1) * per, scene=i) for i in range(clips)),
        (DISSOLVE_FRAMES,) * (clips - 1), "The Last Lighthouse", "Every light goes out.",
    )
    sources = {i: SceneSource(p, inputs.focus[i]) for i, p in enumerate(inputs.clips)}
    cues = [Cue(c["start"], c["end"], tuple(c["lines"]), c["start"], c["end"])
            for c in benchlib.load_cues(inputs)]
    burn = ("16:9", "9:16", "1:1") if all_variants else ("16:9",)
    variants = plan_variants("16:9", burn_captions=burn)
    if not all_variants:
        variants = variants[:1]
    outputs = [(v, out.with_name(f"{out.stem}_{v.aspect.replace(':', 'x')}.mp4"))
               for v in variants]
    with tempfile.TemporaryDirectory() as tmp:
        soundtrack = Path(tmp) / "soundtrack.wav"

        def mix() -> Path:  # as render_trailer does: beside the video, on its own thread
            mix_files(inputs.voiceover, inputs.score, soundtrack,
                      round(timeline.total_frames * RATE / FPS))
            return soundtrack

        stats = render_timeline(timeline, sources, outputs, audio=mix if audio else None,
                                cues=cues,
                                encoding=Encoding(PRESET, CRF, threads=_threads(len(outputs))),
                                open_encoder=open_encoder or SegmentWriter)
    print(json.dumps({"frames": stats.frames, "seconds": stats.seconds,
                      "cpu_seconds": stats.cpu_seconds}))


def _threads(variants: int) -> int:
    from reelforge_assembly.encode import encoder_threads

    return encoder_threads(variants)


# --------------------------------------------------------------------------- moviepy


def run_moviepy(inputs: RenderInputs, out: Path) -> None:
    """Clip by clip, then concat, then composite: three encodes of every frame."""
    from moviepy import (
        AudioFileClip,
        CompositeAudioClip,
        CompositeVideoClip,
        ImageClip,
        VideoFileClip,
    )

    work = out.parent / "moviepy-parts"
    work.mkdir(exist_ok=True)
    x264 = ["-crf", str(CRF)]
    parts = []
    for i, path in enumerate(inputs.clips):
        x, y = _crop_origin(inputs.focus[i])
        clip = VideoFileClip(str(path), audio=False)
        piece = clip.subclipped(0, inputs.clip_seconds).cropped(
            x1=x, y1=y, width=SIZE[0], height=SIZE[1])
        part = work / f"part{i:02d}.mp4"
        piece.write_videofile(str(part), fps=FPS, codec="libx264", preset=PRESET,
                              ffmpeg_params=x264, audio=False, logger=None)
        clip.close()
        parts.append(part)
    listing = work / "parts.txt"
    listing.write_text("".join(f"file '{p}'\n" for p in parts))
    joined = work / "joined.mp4"
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-f", "concat", "-safe", "0", "-i",
                    str(listing), "-c:v", "libx264", "-preset", PRESET, "-crf", str(CRF),
                    "-pix_fmt", "yuv420p", str(joined)], check=True)
    video = VideoFileClip(str(joined))
    captions = [
        ImageClip(str(inputs.folder / c["png"]), transparent=True)
        .with_start(c["start"]).with_duration(c["end"] - c["start"])
        .with_position((c["x"], c["y"]))
        for c in benchlib.load_cues(inputs)
    ]
    voice = AudioFileClip(str(inputs.voiceover))
    score = AudioFileClip(str(inputs.score)).with_volume_scaled(0.35)
    final = CompositeVideoClip([video, *captions], size=SIZE).with_audio(
        CompositeAudioClip([score, voice]).with_duration(video.duration))
    final.write_videofile(str(out), fps=FPS, codec="libx264", preset=PRESET,
                          ffmpeg_params=[*x264, "-aac_coder", AAC_CODER], audio_codec="aac",
                          audio_bitrate=AUDIO_BITRATE,
                          audio_fps=48_000, logger=None)
    video.close()


# --------------------------------------------------------------------------- ffmpeg


def ffmpeg_command(inputs: RenderInputs, out: Path) -> list[str]:
    """One filtergraph: each clip trimmed to its window (its scene plus half of each
    dissolve), cropped around its focus, cross-dissolved into the next, captions overlaid
    in their cue windows, the voiceover over the score ducked by a sidechain compressor."""
    per = round(inputs.clip_seconds * FPS)
    half = DISSOLVE_FRAMES // 2
    n = len(inputs.clips)
    cues = benchlib.load_cues(inputs)
    argv = ["ffmpeg", "-y", "-loglevel", "error"]
    for path in inputs.clips:
        argv += ["-i", str(path)]
    for cue in cues:
        argv += ["-i", str(inputs.folder / cue["png"])]
    argv += ["-i", str(inputs.voiceover), "-i", str(inputs.score)]
    graph = []
    for i in range(n):
        frames = per + (half if i > 0 else 0) + (DISSOLVE_FRAMES - half if i < n - 1 else 0)
        x, y = _crop_origin(inputs.focus[i])
        graph.append(f"[{i}:v]trim=end_frame={frames},setpts=PTS-STARTPTS,"
                     f"crop={SIZE[0]}:{SIZE[1]}:{x}:{y},format=yuv420p[c{i}]")
    last = "c0"
    for i in range(1, n):
        offset = (i * per - half) / FPS
        graph.append(f"[{last}][c{i}]xfade=transition=fade:duration={DISSOLVE_FRAMES / FPS}:"
                     f"offset={offset:.4f}[x{i}]")
        last = f"x{i}"
    for k, cue in enumerate(cues):
        graph.append(f"[{last}][{n + k}:v]overlay={cue['x']}:{cue['y']}:"
                     f"enable='between(t,{cue['start']},{cue['end']})'[o{k}]")
        last = f"o{k}"
    voice, score = n + len(cues), n + len(cues) + 1
    graph.append(f"[{voice}:a]aresample=48000,aformat=channel_layouts=stereo,asplit[v1][v2]")
    graph.append(f"[{score}:a]aresample=48000,volume=0.35[s]")
    graph.append("[s][v1]sidechaincompress=threshold=0.02:ratio=4:attack=20:release=400[d]")
    graph.append("[d][v2]amix=inputs=2:duration=first:normalize=0[a]")
    argv += ["-filter_complex", ";".join(graph), "-map", f"[{last}]", "-map", "[a]",
             "-c:v", "libx264", "-preset", PRESET, "-crf", str(CRF), "-pix_fmt", "yuv420p",
             "-c:a", "aac", "-aac_coder", AAC_CODER, "-b:a", AUDIO_BITRATE,
             "-t", f"{n * per / FPS}",
             "-movflags", "+faststart", str(out)]
    return argv


# --------------------------------------------------------------------------- bound


def run_bound(inputs: RenderInputs, out: Path, threads: int, thread_type: str) -> None:
    """x264 alone on exactly the frames our renderer hands its encoder (composited from the
    decoded clips, dissolves and captions included), every one captured into memory before
    the clock starts (about 3 MB a frame: 4.5 GB for 60 s). Not our encoded output decoded
    again: a second generation is smoother than the original and cheaper to encode."""
    from fractions import Fraction

    import av
    from reelforge_assembly.encode import Encoding, SegmentWriter

    captured: list[av.VideoFrame] = []

    class Capturing(SegmentWriter):
        """Keeps a copy of every frame; encodes its piece as cheaply as x264 can, only so
        that the render can join its pieces."""

        def write(self, frame: av.VideoFrame, index: int) -> None:
            captured.append(av.VideoFrame.from_ndarray(frame.to_ndarray(), format="yuv420p"))
            super().write(frame, index)

    def capturing(path: Path, size: tuple[int, int], fps: int, _: Encoding) -> SegmentWriter:
        return Capturing(path, size, fps, Encoding("ultrafast", 51))

    run_ours(inputs, out.with_name("bound-capture.mp4"), all_variants=False, audio=False,
             open_encoder=capturing)
    container = av.open(str(out), "w")
    stream = container.add_stream("libx264", rate=FPS)
    stream.width, stream.height = SIZE
    stream.pix_fmt = "yuv420p"
    stream.options = {"preset": PRESET, "crf": str(CRF)}
    stream.codec_context.thread_count = threads
    stream.codec_context.thread_type = thread_type
    started, cpu = time.perf_counter(), time.process_time()
    for index, frame in enumerate(captured):
        frame.pts = index
        frame.time_base = Fraction(1, FPS)
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))
    container.close()
    print(json.dumps({"frames": len(captured), "seconds": time.perf_counter() - started,
                      "cpu_seconds": time.process_time() - cpu,
                      "threads": f"{threads} {thread_type}"}))


# --------------------------------------------------------------------------- edit


EDIT_SCENES = 5
EDITED_SCENE = 2
"""The scene whose clip is re-shot between the cold render and the re-render."""


@dataclass(frozen=True)
class EditInputs:
    """A short trailer from the assembly tests' helpers: EDIT_SCENES clips on a `side`
    master, the re-shot clip of EDITED_SCENE, the AAC soundtrack, captions per scene."""

    folder: Path
    clips: list[Path]
    reshot: Path
    soundtrack: Path
    seconds_per_scene: float
    side: int


def edit_inputs(seconds: float, side: int) -> EditInputs:
    """Made once per length and master size, under bench/.work."""
    from assembly_samples import make_clip, tone, write_wav
    from reelforge.models import END_CARD_SECONDS
    from reelforge_assembly.encode import encode_audio

    folder = benchlib.WORK / "render-edit" / f"{seconds:g}s-{side}"
    folder.mkdir(parents=True, exist_ok=True)
    per_scene = (seconds - END_CARD_SECONDS) / EDIT_SCENES
    clip_seconds = per_scene + 1.0  # the scene and half a dissolve either side, with margin
    clips = [folder / f"clip{i}.mp4" for i in range(EDIT_SCENES)]
    reshot = folder / "reshot.mp4"
    for i, path in [*enumerate(clips), (EDIT_SCENES + 4, reshot)]:
        if not path.exists():
            print(f"making {path.name} ({side}x{side}, once)", flush=True)
            make_clip(path.with_suffix(".part.mp4"), clip_seconds, side=side, phase=i)
            path.with_suffix(".part.mp4").replace(path)
    soundtrack = folder / "soundtrack.m4a"
    if not soundtrack.exists():
        wav = write_wav(folder / "soundtrack.wav", tone(seconds, rate=48_000, level=0.2),
                        48_000)
        encode_audio(wav, soundtrack)
    return EditInputs(folder, clips, reshot, soundtrack, per_scene, side)


def run_edit(inputs: EditInputs, stage: str, quality: str) -> None:
    """One render into the segment store: `cold` (empty store) or `edit` (the store the
    cold render filled, scene EDITED_SCENE re-shot)."""
    from assembly_samples import even_timeline
    from reelforge.models import ASPECT_SIZES, MASTER_SIDE
    from reelforge_assembly.captions import Cue
    from reelforge_assembly.encode import ENCODINGS, AacTrack
    from reelforge_assembly.render import plan_variants, render_timeline
    from reelforge_assembly.segments import FolderSegments
    from reelforge_assembly.sources import SceneSource

    timeline = even_timeline(EDIT_SCENES, inputs.seconds_per_scene, FPS, "The Long Night",
                             "Every light goes out.")
    clips = list(inputs.clips)
    if stage == "edit":
        clips[EDITED_SCENE] = inputs.reshot
    sources = {i: SceneSource(p, (0.4 + 0.05 * i, 0.5)) for i, p in enumerate(clips)}
    cues = [Cue(s.start / FPS + 0.3, s.end / FPS - 0.3, (f"Line {i} of the voiceover.",),
                s.start / FPS + 0.3, s.end / FPS - 0.3)
            for i, s in enumerate(timeline.segments) if s.kind == "scene"]
    sizes = {a: (w * inputs.side // MASTER_SIDE, h * inputs.side // MASTER_SIDE)
             for a, (w, h) in ASPECT_SIZES.items()}
    variants = plan_variants("16:9", master_side=inputs.side, sizes=sizes)
    out = inputs.folder / stage
    out.mkdir(exist_ok=True)
    stats = render_timeline(
        timeline, sources, [(v, out / v.filename) for v in variants],
        audio=AacTrack(inputs.soundtrack), cues=cues, encoding=ENCODINGS[cast("Quality", quality)],
        master_side=inputs.side, segments=FolderSegments(inputs.folder / "segments"),
    )
    print(json.dumps({"frames": stats.frames, "seconds": stats.seconds,
                      "cpu_seconds": stats.cpu_seconds, "segments": stats.segments,
                      "encoded": stats.encoded}))


def edit_main(seconds: float, side: int, quality: str, repeat: int) -> None:
    """Cold render of every variant, then the re-render after one re-shot clip, each run
    as its own process; prints both and what the re-render encoded."""
    inputs = edit_inputs(seconds, side)
    print(f"machine: {benchlib.machine()}")
    print(f"trailer: {seconds:g} s at {FPS} fps, {EDIT_SCENES} scenes of "
          f"{inputs.seconds_per_scene:.1f} s + end card, three variants from a "
          f"{side}x{side} master, {quality} quality; scene {EDITED_SCENE} re-shot")
    runs: dict[str, list[tuple[Measured, dict[str, object]]]] = {"cold": [], "edit": []}
    for _ in range(repeat):
        shutil.rmtree(inputs.folder / "segments", ignore_errors=True)
        for stage in ("cold", "edit"):
            measured = benchlib.measure([PYTHON, __file__, "--run-edit", stage, "--seconds",
                                         str(seconds), "--side", str(side), "--quality",
                                         quality])
            report = json.loads(measured.output.strip().splitlines()[-1])
            runs[stage].append((measured, report))
            print(f"  {stage:5s} {measured.line()}  render call {report['seconds']:.1f} s "
                  f"wall, {report['cpu_seconds']:.1f} s CPU; encoded {report['encoded']}",
                  flush=True)
    cold, cold_report = min(runs["cold"], key=lambda r: r[0].wall)
    edit, edit_report = min(runs["edit"], key=lambda r: r[0].wall)
    encoded = edit_report["encoded"]
    assert isinstance(encoded, dict)
    per_variant = sorted({len(v) for v in encoded.values()})
    print(f"segments per variant: {cold_report['segments']}; the re-render encoded "
          f"{'/'.join(map(str, per_variant))} per variant")
    print(f"cold_render_s={cold.wall:.1f} edit_render_s={edit.wall:.1f} "
          f"edit_vs_cold={edit.wall / cold.wall:.2f} "
          f"render_call_s={cold_report['seconds']:.1f}/{edit_report['seconds']:.1f} "
          f"render_call_cpu_s={cold_report['cpu_seconds']:.1f}/{edit_report['cpu_seconds']:.1f} "
          f"peak_rss_mb={cold.peak_rss_mb:.0f}/{edit.peak_rss_mb:.0f}")


# --------------------------------------------------------------------------- driver


def _crop_origin(focus: tuple[float, float]) -> tuple[int, int]:
    from reelforge_assembly.render import crop_origin

    return crop_origin(benchlib.MASTER, SIZE, focus)


def contender_argv(name: str, out: Path, seconds: float) -> list[str]:
    if name == "ffmpeg":
        return ffmpeg_command(benchlib.render_inputs(seconds), out)
    return [PYTHON, __file__, "--run", name, "--out", str(out), "--seconds", str(seconds)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=2, help="runs per contender (quietest kept)")
    parser.add_argument("--slow-repeat", type=int, default=1,
                        help="runs of the MoviePy chain and of ours3 (minutes each)")
    parser.add_argument("--seconds", type=float, help="trailer length (default 60)")
    parser.add_argument("--only", default=",".join(CONTENDERS))
    parser.add_argument("--edit", action="store_true",
                        help="time a re-render after one re-shot clip against a cold render "
                             "(--seconds defaults to 24)")
    parser.add_argument("--side", type=int, default=benchlib.MASTER,
                        help="--edit: master canvas side (outputs scale with it)")
    parser.add_argument("--quality", choices=("final", "draft"), default="final",
                        help="--edit: the trailer encoding")
    parser.add_argument("--run", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--run-edit", choices=("cold", "edit"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.set_defaults(seconds=None)
    args = parser.parse_args()
    if args.edit or args.run_edit:
        seconds = args.seconds or 24.0
        if args.run_edit:
            run_edit(edit_inputs(seconds, args.side), args.run_edit, args.quality)
        else:
            edit_main(seconds, args.side, args.quality, args.repeat)
        return
    args.seconds = args.seconds or 60.0
    if args.run:
        inputs = benchlib.render_inputs(args.seconds)
        if args.run in ("ours", "ours3"):
            run_ours(inputs, args.out, all_variants=args.run == "ours3")
        elif args.run == "moviepy":
            run_moviepy(inputs, args.out)
        elif args.run == "bound":
            threads, thread_type = BOUND_THREADS
            run_bound(inputs, args.out, threads, thread_type)
        return

    inputs = benchlib.render_inputs(args.seconds)  # made once, outside every measurement
    chosen = [c for c in CONTENDERS if c in args.only.split(",")]
    print(f"machine: {benchlib.machine()}")
    print(f"{benchlib.ffmpeg_version()}; x264 {PRESET} CRF {CRF} for every contender")
    print(f"trailer: {args.seconds:g} s at {FPS} fps, {len(inputs.clips)} clips of "
          f"{inputs.clip_seconds:g} s on the {benchlib.MASTER}x{benchlib.MASTER} master, "
          f"{len(benchlib.load_cues(inputs))} captions")
    results: dict[str, Measured] = {}
    work = benchlib.WORK / "render-out"
    work.mkdir(parents=True, exist_ok=True)
    env = {"IMAGEIO_FFMPEG_EXE": "/usr/bin/ffmpeg"} if Path("/usr/bin/ffmpeg").exists() else {}
    for name in chosen:
        runs = []
        for _ in range(args.slow_repeat if name in ("moviepy", "ours3") else args.repeat):
            out = work / f"{name}.mp4"
            argv = contender_argv(name, out, args.seconds)
            measured = benchlib.measure(argv, env=env)
            if name == "bound":  # the encode alone, not the decoding that fills the ring
                timing = json.loads(measured.output.strip().splitlines()[-1])
                measured.wall, measured.cpu = timing["seconds"], timing["cpu_seconds"]
            runs.append(measured)
            print(f"  {name:8s} {runs[-1].line()}", flush=True)
        results[name] = benchlib.quietest(runs)
        if name == "ours":  # the render call alone, timed the way the bound is
            timing = json.loads(results[name].output.strip().splitlines()[-1])
            results["ours (call)"] = benchlib.Measured(
                timing["seconds"], timing["cpu_seconds"], results[name].peak_rss_mb,
                results[name].load_before, results[name].load_after)
    print()
    print(f"{'contender':12s} {'wall s':>8s} {'cpu s':>8s} {'peak MB':>8s}  load")
    for name, m in results.items():
        print(f"{name:12s} {m.wall:8.1f} {m.cpu:8.1f} {m.peak_rss_mb:8.0f}  "
              f"{m.load_before:.1f}/{m.load_after:.1f}")
    benchlib.save_result("render", {"seconds": args.seconds, "machine": benchlib.machine(),
                                     "results": results})
    ours = results.get("ours")
    if ours is None:
        return
    if "ours3" in results:
        print(f"all three variants from one decode pass: {results['ours3'].wall:.1f} s wall "
              f"({results['ours3'].wall / ours.wall:.2f}x the 16:9-only render)")

    def ratio(name: str, invert: bool = False) -> str:
        if name not in results:
            return "n/a"
        value = results[name].wall / ours.wall if invert else ours.wall / results[name].wall
        return f"{value:.2f}"

    def cpu_ratio(name: str, invert: bool = False) -> str:
        if name not in results:
            return "n/a"
        value = results[name].cpu / ours.cpu if invert else ours.cpu / results[name].cpu
        return f"{value:.2f}"

    call = results["ours (call)"]
    bound = results.get("bound")
    vs_bound = f"{call.wall / bound.wall:.2f}" if bound else "n/a"
    print(f"in CPU seconds (what a loaded machine distorts least): moviepy/ours "
          f"{cpu_ratio('moviepy', invert=True)}, ours/ffmpeg {cpu_ratio('ffmpeg')}, "
          f"ours (call)/bound {call.cpu / bound.cpu if bound else float('nan'):.2f}")
    print(f"against the bound, both timed inside their process (no interpreter start or "
          f"imports): ours {call.wall:.1f} s; as a whole process ours/bound {ratio('bound')}")
    print(f"render_vs_moviepy={ratio('moviepy', invert=True)} render_vs_ffmpeg={ratio('ffmpeg')} "
          f"render_vs_encode_bound={vs_bound} peak_rss_mb={ours.peak_rss_mb:.0f}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
