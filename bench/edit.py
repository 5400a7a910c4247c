"""The studio's edit loop against a cold run, on the local generators, through the public API
that `reelforge studio` serves (in process, over the embedded backends):

1. cold: a trailer from `examples/the-last-lighthouse.md` (60 s by default), no reviews;
2. (a) regenerate one scene's frame (new seed) → the job re-renders that frame, its clip and
   the trailer variants;
3. (b) edit one scene's narration line, then render → that line is voiced again in its
   scene's time (when it fits) and the render segments that show its captions are encoded
   again.

Each edit's time is printed over the cold time; the last line is
`edit_frame_ratio=<r> edit_line_ratio=<r>`.

    .venv/bin/python bench/edit.py [--seconds 60] [--scene 03]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from reelforge.cli import configure_logging
from reelforge.settings import Settings
from reelforge_ingest.local_studio import open_studio

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "the-last-lighthouse.md"


async def until_done(http: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    while True:
        view: dict[str, Any] = (await http.get(f"/v1/jobs/{job_id}")).json()
        if view["status"] in ("completed", "failed", "cancelled", "awaiting_review"):
            if view["status"] != "completed":
                raise SystemExit(f"the job stopped {view['status']}: {view.get('error')}")
            return view
        await asyncio.sleep(0.1)


async def timed(http: httpx.AsyncClient, job_id: str, method: str, path: str,
                body: dict[str, Any]) -> float:
    started = time.perf_counter()
    resp = await http.request(method, path, json=body)
    if resp.status_code >= 400:
        raise SystemExit(f"{method} {path}: {resp.status_code} {resp.text}")
    await until_done(http, job_id)
    return time.perf_counter() - started


async def measure(seconds: float, scene: str, data: Path) -> dict[str, float]:
    async with open_studio(data, Settings()) as studio:
        transport = httpx.ASGITransport(app=studio.app)
        headers = {"Authorization": f"Bearer {studio.key}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://studio",
                                     headers=headers, timeout=600) as http:
            started = time.perf_counter()
            created = await http.post("/v1/jobs", json={
                "synopsis": EXAMPLE.read_text(), "settings": {"duration": seconds}})
            job_id = created.json()["id"]
            view = await until_done(http, job_id)
            cold = time.perf_counter() - started
            print(f"cold          {cold:7.1f} s  ({view['title']!r}, "
                  f"{len((await http.get(f'/v1/jobs/{job_id}/scenes')).json()['scenes'])} "
                  "scenes)", flush=True)

            frame = await timed(http, job_id, "POST", f"/v1/jobs/{job_id}/scenes/{scene}/frame",
                                {"revision": view["revision"], "seed": 4242})
            print(f"(a) frame     {frame:7.1f} s  ratio {frame / cold:.3f}", flush=True)

            revision = (await http.get(f"/v1/jobs/{job_id}")).json()["revision"]
            edit = await http.patch(f"/v1/jobs/{job_id}/scenes/{scene}", json={
                "revision": revision, "narration": "Every light goes out, but one."})
            if edit.status_code != 200:
                raise SystemExit(f"edit refused: {edit.text}")
            line = await timed(http, job_id, "POST", f"/v1/jobs/{job_id}/render",
                               {"revision": revision + 1})
            print(f"(b) line      {line:7.1f} s  ratio {line / cold:.3f}", flush=True)
    return {"cold_s": cold, "frame_s": frame, "line_s": line}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--scene", default="03")
    args = parser.parse_args()
    configure_logging(False)
    print(f"cores {os.cpu_count()}  load {os.getloadavg()[0]:.1f}  trailer {args.seconds:g} s")
    with tempfile.TemporaryDirectory(prefix="bench-edit-") as tmp:
        figures = asyncio.run(measure(args.seconds, args.scene, Path(tmp)))
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "edit.json").write_text(json.dumps(figures, indent=2))
    print(f"edit_frame_ratio={figures['frame_s'] / figures['cold_s']:.3f} "
          f"edit_line_ratio={figures['line_s'] / figures['cold_s']:.3f}")


if __name__ == "__main__":
    main()
