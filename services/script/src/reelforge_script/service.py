"""Stage 1 as a service: job.submitted → script.json → script.completed."""

from __future__ import annotations

from reelforge.events import SCRIPT_COMPLETED, Event
from reelforge.models import Document, Script
from reelforge.runtime import StageContext, fingerprint, output_key, stage_service

from reelforge_script.stage import SCRIPT_VERSION, write_script

STAGE = "script"


async def on_job_submitted(event: Event, ctx: StageContext) -> None:
    job = await ctx.job(event.job_id)
    await ctx.stage_started(job, STAGE)
    document = await ctx.load(job.source_key, Document)
    s = job.settings
    fp = fingerprint(SCRIPT_VERSION, document, s.duration, s.title, s.seed, ctx.providers.llm.name)
    key = job.script_key or output_key(job.id, STAGE, "script.json", fp)
    if job.script_key is None and not await ctx.reuse(job, STAGE, key):
        await ctx.check_cancelled(job.id)
        script = await write_script(document, s, ctx.providers.llm)
        await ctx.store(key, script)
    else:
        script = await ctx.load(key, Script)
    if job.title != script.title:  # what the job lists and pages call it
        job.title = script.title
        await ctx.jobs.update_job(job)
    await ctx.record(
        job.id, "script", key, STAGE, provider=ctx.providers.llm.name, path="script.json"
    )
    await ctx.stage_completed(job.id, STAGE)
    await ctx.publish(event.follow(SCRIPT_COMPLETED))


service = stage_service(STAGE, {"script": on_job_submitted})
