# syntax=docker/dockerfile:1
# check=skip=InvalidDefaultArgInFrom
# reelforge images, one per service, all from this file: the build argument SERVICE, required
# (hence no default, and the check above skipped), selects the service: ingest = the public
# API; script, audio, storyboard, video, assembly = the stage workers. Build from the
# repository root (the uv workspace), e.g.
#   docker build --build-arg SERVICE=audio -t reelforge/audio .
# The builder installs ONLY that service's workspace member and its dependencies from the
# workspace lock into /app/.venv; the runtime stage is a slim Python with that venv, the Debian
# packages and command of that service (its `service-<name>` stage below) and a non-root user.

ARG PYTHON_VERSION=3.11
ARG UV_VERSION=0.13
ARG SERVICE

FROM ghcr.io/astral-sh/uv:${UV_VERSION} AS uv

FROM python:${PYTHON_VERSION}-slim-bookworm AS builder
ARG SERVICE
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src

# The workspace member this image installs, as a `uv sync` argument: the service's own (with
# reelforge-common, which also carries the offline story analyst, `llm.local`, that the
# script and storyboard stages ask for).
RUN echo "--package reelforge-${SERVICE}" > members

# The workspace metadata: the lock and every member's pyproject.toml (uv needs them all to
# read the workspace), then the third-party dependencies alone, a layer that survives
# source edits.
COPY pyproject.toml uv.lock ./
COPY libs/common/pyproject.toml libs/common/
COPY services/ingest/pyproject.toml services/ingest/
COPY services/script/pyproject.toml services/script/
COPY services/audio/pyproject.toml services/audio/
COPY services/storyboard/pyproject.toml services/storyboard/
COPY services/video/pyproject.toml services/video/
COPY services/assembly/pyproject.toml services/assembly/
RUN --mount=type=cache,target=/root/.cache/uv \
    xargs uv sync --frozen --no-dev --no-install-workspace < members

# Then the sources, installed non-editable (the venv does not point back into /src, which the
# runtime stage leaves behind). Every member's sources are copied, but only the members above
# are installed.
COPY libs/common/src libs/common/src
COPY services services
RUN --mount=type=cache,target=/root/.cache/uv \
    xargs uv sync --frozen --no-dev --no-editable < members


FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime-base

RUN groupadd --system --gid 10001 reelforge \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin reelforge

ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp
WORKDIR /tmp
# SIGTERM drains: in-flight work gets REELFORGE_DRAIN_TIMEOUT seconds, the rest is requeued.
STOPSIGNAL SIGTERM

# One stage per service: its port, healthcheck, Debian packages and command. Docker's own
# health status follows readiness (broker and database connected); the start period covers
# REELFORGE_STARTUP_TIMEOUT (120 s), during which the process keeps retrying its backends and
# serves nothing yet. Shell form, for the ${REELFORGE_METRICS_PORT} expansion.

FROM runtime-base AS service-ingest
# /healthz, /readyz and /metrics on the API port
EXPOSE 8000
# hadolint ignore=DL3025
HEALTHCHECK --interval=15s --timeout=5s --start-period=150s --retries=3 \
    CMD python -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=4)' \
        "http://127.0.0.1:8000/readyz"
CMD ["reelforge", "api", "--host", "0.0.0.0", "--port", "8000"]

FROM runtime-base AS worker
ENV REELFORGE_METRICS_PORT=9100
# /healthz, /readyz and /metrics on REELFORGE_METRICS_PORT
EXPOSE 9100
# hadolint ignore=DL3025
HEALTHCHECK --interval=15s --timeout=5s --start-period=150s --retries=3 \
    CMD python -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=4)' \
        "http://127.0.0.1:${REELFORGE_METRICS_PORT:-9100}/readyz"

FROM worker AS service-script
CMD ["reelforge", "worker", "script"]

FROM worker AS service-audio
# FluidSynth (through pyfluidsynth) renders the score with the General MIDI soundfont
# /usr/share/sounds/sf2/FluidR3_GM.sf2; eSpeak NG is the fallback voice when Piper is
# unavailable.
# Unpinned on purpose: the base image's Debian release fixes the versions, and rebuilding
# picks up its security updates.
# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libfluidsynth3 fluid-soundfont-gm espeak-ng \
    && rm -rf /var/lib/apt/lists/*
CMD ["reelforge", "worker", "audio"]

FROM worker AS service-storyboard
CMD ["reelforge", "worker", "storyboard"]

FROM worker AS service-video
CMD ["reelforge", "worker", "video"]

FROM worker AS service-assembly
# Title cards, captions, poster, thumbnail and cover are set in these fonts (unpinned on
# purpose, as above).
# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        fonts-dejavu-core fonts-liberation2 \
    && rm -rf /var/lib/apt/lists/*
CMD ["reelforge", "worker", "assembly"]


# The image: the selected service's stage plus the venv, last so that a code change rebuilds
# only this layer. Owned by root and read-only for the service user (runs with a read-only
# root filesystem on Kubernetes; bytecode is compiled at build time, temporary files go to
# /tmp). (DL3006: service-${SERVICE} is a stage of this file, not an image to tag.)
# hadolint ignore=DL3006
FROM service-${SERVICE} AS runtime
COPY --from=builder /app/.venv /app/.venv
USER 10001:10001
