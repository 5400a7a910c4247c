"""The `reelforge` command."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path
from typing import Annotated

import structlog
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.live import Live
from rich.table import Table

from reelforge.cli_distributed import register as register_distributed
from reelforge.cli_providers import register as register_providers
from reelforge.doctor import run_checks
from reelforge.embedded import PIPELINE_STAGES, JobFailed, make_trailer
from reelforge.logs import stderr_logger
from reelforge.models import STAGES, Document, Job, JobSettings, Manifest, Script, Status
from reelforge.pipeline import SCENE_FOLDERS
from reelforge.plugins import PluginMissing, load_plugin
from reelforge.providers.base import ProviderError
from reelforge.providers.remote.redact import install_log_redaction
from reelforge.script_file import ScriptFileError, load_script_file
from reelforge.script_view import script_view
from reelforge.settings import Settings

app = typer.Typer(
    name="reelforge",
    help="Turn a story document into a finished trailer package.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
out = Console()

EXIT_BAD_INPUT = 2


def configure_logging(verbose: bool) -> None:
    """Readable lines on stderr, warnings only unless -v; keys never printed."""
    level = logging.DEBUG if verbose else logging.WARNING
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="%H:%M:%S", utc=False),
            install_log_redaction(Settings().secret_values()),
            structlog.dev.ConsoleRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=stderr_logger,
    )


def fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def read_input(synopsis: Path | None, idea: str | None) -> Document:
    """The story as a Document; bad input exits with code 2 and one clear line."""
    if (synopsis is None) == (idea is None):
        raise fail("give a synopsis file or --idea \"...\" (exactly one)", EXIT_BAD_INPUT)
    try:
        if idea is not None:
            return load_plugin("reelforge.ingest", "idea")(idea)  # type: ignore[no-any-return]
        assert synopsis is not None
        if not synopsis.is_file():
            raise fail(f"{synopsis}: no such file", EXIT_BAD_INPUT)
        data = synopsis.read_bytes()
        return load_plugin("reelforge.ingest", "extract")(data, synopsis.name)  # type: ignore[no-any-return]
    except PluginMissing as exc:
        raise fail(str(exc)) from None
    except ValueError as exc:  # DocumentError
        name = synopsis.name if synopsis else "idea"
        raise fail(f"{name}: {exc}", EXIT_BAD_INPUT) from None


STATUS_STYLE = {
    Status.queued: "[dim]· waiting[/]",
    Status.running: "[yellow]▶ running[/]",
    Status.completed: "[green]✔ done[/]",
    Status.failed: "[red]✘ failed[/]",
    Status.cancelled: "[red]cancelled[/]",
}


def progress_table(job: Job, items: dict[str, tuple[int, int]], started: float) -> Table:
    table = Table(title=f"reelforge · job {job.id} · {time.perf_counter() - started:5.1f}s",
                  title_justify="left", show_edge=False)
    table.add_column("stage")
    table.add_column("status")
    table.add_column("progress", justify="right")
    table.add_column("time", justify="right")
    for stage in STAGES:
        state = job.stages[stage]
        done, total = items.get(stage, (0, 0))
        bar = ""
        if total:
            filled = int(20 * done / total)
            bar = f"{'█' * filled}{'░' * (20 - filled)} {done}/{total} scenes"
        seconds = state.seconds
        if state.status == Status.running and state.started_at is not None:
            seconds = (time.time() - state.started_at.timestamp())
        table.add_row(stage, STATUS_STYLE[state.status], bar, f"{seconds:.1f}s" if seconds else "")
    return table


def artifact_table(manifest: Manifest, outdir: Path) -> Table:
    table = Table(title=f"trailer package · {outdir}", title_justify="left", show_edge=False)
    table.add_column("file")
    table.add_column("size", justify="right")
    table.add_column("duration", justify="right")
    table.add_column("made by")
    rows = sorted((a for a in manifest.artifacts if a.path), key=lambda a: _package_order(a.path))
    grouped: dict[str, list[str]] = {}
    for a in rows:
        assert a.path is not None
        folder = a.path.split("/")[0] if "/" in a.path else None
        if folder is not None and folder in SCENE_FOLDERS:
            grouped.setdefault(folder, []).append(a.path)
            if len(grouped[folder]) > 1:
                continue
            count = sum(1 for b in rows if b.path and b.path.startswith(folder + "/"))
            size = sum(b.size or 0 for b in rows if b.path and b.path.startswith(folder + "/"))
            table.add_row(f"{folder}/ ({count} files)", _size(size), "", a.provider or "")
            continue
        duration = f"{a.duration:.2f}s" if a.duration else ""
        table.add_row(a.path, _size(a.size or _size_on_disk(outdir / a.path)), duration,
                      a.provider or "")
    return table


def _size_on_disk(path: Path) -> int:
    """For an entry the manifest cannot size: the manifest itself."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def stage_table(manifest: Manifest) -> Table:
    table = Table(title="time per stage", title_justify="left", show_edge=False)
    table.add_column("stage")
    table.add_column("seconds", justify="right")
    for stage, seconds in manifest.stage_seconds.items():
        table.add_row(stage, f"{seconds:.1f}")
    return table


def _package_order(path: str) -> tuple[int, str]:
    first = ("trailer", "captions", "poster", "thumbnail", "cover")
    return (0 if path.startswith(first) else 1, path)


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


@app.command()
def make(
    synopsis: Annotated[
        Path | None, typer.Argument(help="PDF, DOCX, Markdown, text or Fountain")
    ] = None,
    idea: Annotated[str | None, typer.Option(help="a one-line idea instead of a file")] = None,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="the package folder")
    ] = Path("trailer"),
    duration: Annotated[float, typer.Option(help="target length in seconds")] = 60.0,
    aspect: Annotated[str, typer.Option(help="primary cut: 16:9, 9:16 or 1:1")] = "16:9",
    grade: Annotated[str, typer.Option(help="bw (CLAHE black-and-white) or color")] = "bw",
    seed: Annotated[int, typer.Option(help="same input + seed → same output")] = 0,
    title: Annotated[str | None, typer.Option(help="override the title")] = None,
    voice: Annotated[str | None, typer.Option(
        help="a Piper voice: a .onnx file, or the name of an installed one")] = None,
    quality: Annotated[str, typer.Option(help="draft (fast) or final")] = "final",
    budget: Annotated[float | None, typer.Option(
        metavar="USD", help="stop before a paid provider call would pass this cost")] = None,
    force: Annotated[
        list[str] | None, typer.Option(help="redo a stage, ignoring its cache")
    ] = None,
    script: Annotated[
        Path | None, typer.Option(help="render this script.json (from `reelforge script`)")
    ] = None,
    verbose: Annotated[bool, typer.Option("-v", "--verbose")] = False,
) -> None:
    """Make a trailer package from a synopsis (or an idea), fully offline by default."""
    configure_logging(verbose)
    supplied = read_script_file(script) if script is not None else None
    for stage in force or []:
        if stage not in PIPELINE_STAGES:
            raise fail(f"--force {stage}: unknown stage; use one of {', '.join(PIPELINE_STAGES)}",
                       EXIT_BAD_INPUT)
    settings, voice = local_voice(Settings(), voice)
    try:
        job_settings = JobSettings(duration=duration, aspect=aspect, grade=grade, seed=seed,  # type: ignore[arg-type]
                                   title=title, voice=voice, quality=quality,  # type: ignore[arg-type]
                                   budget_usd=budget)
    except ValidationError as exc:
        problems = "; ".join(f"--{_option(str(e['loc'][0]))}: {e['msg']}" for e in exc.errors())
        raise fail(problems, EXIT_BAD_INPUT) from None
    document = read_input(synopsis, idea)
    started = time.perf_counter()
    try:
        manifest = asyncio.run(_make(document, job_settings, settings, output, force or [],
                                     started, supplied))
    except JobFailed as exc:
        raise fail(f"the job failed: {exc}") from None
    out.print(artifact_table(manifest, output.resolve()))
    out.print(stage_table(manifest))
    out.print(f"[bold green]✔[/] {manifest.title!r}: {output / 'trailer.mp4'} "
              f"in {time.perf_counter() - started:.1f}s")


@app.command()
def studio(
    port: Annotated[int, typer.Option(help="TCP port on 127.0.0.1")] = 8765,
    data: Annotated[Path | None, typer.Option(
        help="where jobs are kept (default: ~/.local/share/reelforge/studio)")] = None,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="do not open a browser")]
    = False,
) -> None:
    """Review, edit and regenerate trailers scene by scene in the browser (local, offline)."""
    configure_logging(False)
    try:
        serve = load_plugin("reelforge.apps", "studio")
    except PluginMissing as exc:
        raise fail(f"{exc} (the studio is in the reelforge-ingest package); run scripts/setup",
                   EXIT_BAD_INPUT) from None
    with contextlib.suppress(KeyboardInterrupt):
        serve(Settings(), data=data.expanduser().resolve() if data else None,
              host="127.0.0.1", port=port, open_browser=not no_browser)


def local_voice(settings: Settings, voice: str | None) -> tuple[Settings, str | None]:
    """A voice file on this machine becomes the local TTS's default voice (jobs only name
    voices: a path in a job's settings would reach the workers); a name passes through."""
    if voice is None or not (voice.endswith(".onnx") or "/" in voice):
        return settings, voice
    path = Path(voice).expanduser()
    if not path.is_file():
        raise fail(f"--voice {voice}: no such file; give a Piper .onnx voice or a voice name",
                   EXIT_BAD_INPUT)
    return settings.model_copy(update={"piper_voice": path.resolve()}), None


def _option(field: str) -> str:
    """The command-line option of a JobSettings field."""
    return {"budget_usd": "budget"}.get(field, field)


async def _make(document: Document, job_settings: JobSettings, settings: Settings,
                output: Path, force: list[str], started: float,
                script: Script | None) -> Manifest:
    interactive = console.is_terminal
    with Live(console=console, auto_refresh=False, transient=False) as live:
        async def on_tick(job: Job, items: dict[str, tuple[int, int]]) -> None:
            if interactive or job.status in (Status.completed, Status.failed):
                live.update(progress_table(job, items, started), refresh=True)

        manifest, _ = await make_trailer(document, job_settings, output, settings,
                                         force, on_tick, script)
    return manifest


def read_script_file(path: Path) -> Script:
    try:
        return load_script_file(path)
    except ScriptFileError as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None


@app.command("script")
def write_script_only(
    synopsis: Annotated[
        Path | None, typer.Argument(help="PDF, DOCX, Markdown, text or Fountain")
    ] = None,
    idea: Annotated[str | None, typer.Option(help="a one-line idea instead of a file")] = None,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="where to write the script")
    ] = Path("script.json"),
    duration: Annotated[float, typer.Option(help="target length in seconds")] = 60.0,
    seed: Annotated[int, typer.Option(help="same input + seed → same script")] = 0,
    title: Annotated[str | None, typer.Option(help="override the title")] = None,
    verbose: Annotated[bool, typer.Option("-v", "--verbose")] = False,
) -> None:
    """Write the script only (seconds, offline), to read and edit before `make --script`."""
    configure_logging(verbose)
    try:
        job_settings = JobSettings(duration=duration, seed=seed, title=title)
    except ValidationError as exc:
        problems = "; ".join(f"--{e['loc'][0]}: {e['msg']}" for e in exc.errors())
        raise fail(problems, EXIT_BAD_INPUT) from None
    document = read_input(synopsis, idea)
    try:
        write = load_plugin("reelforge.script", "write")
        script: Script = asyncio.run(write(document, job_settings, Settings()))
    except PluginMissing as exc:
        raise fail(str(exc)) from None
    except (ProviderError, ValueError) as exc:
        raise fail(f"the script stage failed: {exc}") from None
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(script.model_dump_json(indent=2))
    out.print(script_view(script))
    out.print(f"[bold green]✔[/] {output}: edit it, then render it with "
              f"`reelforge make ... --script {output}`")


@app.command()
def doctor() -> None:
    """Check every local dependency and say how to install what is missing."""
    results = run_checks(Settings())
    table = Table(show_edge=False)
    table.add_column("check")
    table.add_column("status")
    table.add_column("detail")
    for r in results:
        table.add_row(r.name, "[green]ok[/]" if r.ok else ("[yellow]optional[/]" if r.optional
                      else "[red]missing[/]"), r.detail if r.ok else r.fix)
    out.print(table)
    if any(not r.ok and not r.optional for r in results):
        raise typer.Exit(1)


register_distributed(app)
register_providers(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
