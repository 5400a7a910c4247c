"""The pipeline declaration: what it derives (dependents, stage lists, consumers, the docs
tables) and that the graph it declares is well formed."""

from __future__ import annotations

from pathlib import Path

import pytest
from reelforge import pipeline
from reelforge.events import Event
from reelforge.pipeline import (
    CAPTIONS_SRT,
    CAPTIONS_VTT,
    CLIP,
    COVER,
    FRAME,
    MANIFEST,
    POSTER,
    REFERENCE_CHARACTER,
    REFERENCE_LOCATION,
    SCORE,
    SCRIPT,
    SHOT,
    SOUNDTRACK,
    THUMBNAIL,
    TRAILER,
    TRAILER_VARIANT,
    WORDS,
    dependents,
    parse,
    ref,
    stages_to_redo,
    subject_id,
)
from reelforge.runtime import StageContext, stage_service

DOC = Path(__file__).resolve().parents[3] / "docs" / "pipeline.md"
RENDERED = (TRAILER, TRAILER_VARIANT, POSTER, THUMBNAIL, COVER, MANIFEST)


def names(refs: tuple[pipeline.ArtifactRef, ...]) -> list[str]:
    return [str(r) for r in refs]


def test_a_changed_frame_redoes_its_scene_and_the_render_only() -> None:
    assert dependents("frame/03") == (ref(SHOT, "03"), ref(CLIP, "03"),
                                      *(ref(a) for a in RENDERED))
    assert "clip/04" not in names(dependents("frame/03"))
    assert [s.name for s in stages_to_redo("frame/03")] == ["storyboard", "video", "assembly"]


def test_a_changed_clip_redoes_neither_its_frame_nor_the_audio() -> None:
    assert dependents(ref(CLIP, "07")) == tuple(ref(a) for a in RENDERED)


def test_a_changed_script_redoes_everything_after_it_in_every_scene() -> None:
    after = pipeline.ARTIFACTS[pipeline.ARTIFACTS.index(SCRIPT) + 1:]
    assert dependents(SCRIPT) == tuple(ref(a) for a in after)
    assert "frame/{NN}" in names(dependents("script")), "every scene's frame, not one"
    assert [s.name for s in stages_to_redo("script")] == list(pipeline.WORKER_STAGES[1:])


def test_a_changed_voiceover_leaves_the_pictures_alone() -> None:
    assert dependents("voiceover") == (
        ref(WORDS), ref(SCORE), ref(SOUNDTRACK), ref(CAPTIONS_SRT), ref(CAPTIONS_VTT),
        ref(TRAILER), ref(TRAILER_VARIANT), ref(MANIFEST),
    )


def test_a_changed_reference_picture_redoes_the_frames_and_what_follows_them() -> None:
    for name in ("reference/character/mara", "reference/location/old-harbour"):
        assert dependents(name) == (ref(FRAME), ref(SHOT), ref(CLIP),
                                    *(ref(a) for a in RENDERED)), name
    assert [s.name for s in stages_to_redo("reference/character/mara")] == [
        "storyboard", "video", "assembly"]
    assert "voiceover" not in names(dependents("reference/location/old-harbour"))


def test_reference_names_and_paths() -> None:
    assert parse("reference/character/mara_quinn") == ref(REFERENCE_CHARACTER)
    assert parse("reference/location/old-harbour") == ref(REFERENCE_LOCATION)
    assert REFERENCE_CHARACTER.path_for(character="mara") == "references/characters/mara.png"
    assert REFERENCE_LOCATION.path_for(location="cellar") == "references/locations/cellar.png"
    with pytest.raises(KeyError, match="no artifact"):
        parse("reference/character/Mara Quinn")
    assert subject_id("mara_quinn") == "mara_quinn"
    odd = subject_id("Mara Quinn / 2")
    assert odd.startswith("mara-quinn-2-") and REFERENCE_CHARACTER.matches(
        REFERENCE_CHARACTER.named(character=odd)) == {"character": odd}
    assert subject_id("Mara Quinn / 2") != subject_id("mara quinn 2")


def test_the_manifest_is_last() -> None:
    assert dependents("manifest") == ()


def test_names_parse_to_their_kind() -> None:
    assert parse("shot/12") == ref(SHOT, "12")
    assert parse("trailer_9x16") == ref(TRAILER_VARIANT)
    assert parse("trailer") == ref(TRAILER)
    assert FRAME.named(NN="05") == "frame/05" and FRAME.path_for(NN="05") == "storyboard/05.png"
    with pytest.raises(KeyError, match="no artifact"):
        parse("frame/3")
    with pytest.raises(ValueError, match="once per job"):
        ref(SCRIPT, "01")


def test_derived_stage_lists() -> None:
    assert pipeline.STAGES == ("ingest", "script", "audio", "storyboard", "video", "assembly")
    assert pipeline.STAGES[1:] == pipeline.WORKER_STAGES
    assert pipeline.FAN_OUT_STAGES == ("storyboard", "video")
    assert pipeline.SCENE_FOLDERS == ("storyboard", "shots", "clips")
    assert pipeline.ASSEMBLY_STAGE.join_parts == ("audio", "video")
    assert [s.name for s in pipeline.upstream(pipeline.VIDEO_STAGE)] == ["script", "storyboard"]


def test_every_stage_reads_only_what_earlier_stages_make() -> None:
    made: set[pipeline.Artifact] = set()
    for stage in pipeline.PIPELINE:
        assert set(stage.reads) <= made, stage.name
        made |= set(stage.makes)


def test_every_published_event_is_consumed() -> None:
    consumed = {step.consumes for step in pipeline.STEPS}
    for step in pipeline.STEPS:
        assert step.publishes in consumed or step.publishes == pipeline.JOB_COMPLETED, step.queue


def test_the_docs_tables_are_generated_from_the_declaration() -> None:
    text = DOC.read_text()
    assert pipeline.with_tables(text) == text, (
        "docs/pipeline.md is stale: run .venv/bin/python -m reelforge.pipeline docs/pipeline.md")


async def handler(event: Event, ctx: StageContext) -> None:
    return None


def test_a_stage_service_has_one_consumer_per_declared_step() -> None:
    service = stage_service("video", {"video": handler, "video.shots": handler})
    shots = service.consumers[1]
    assert [c.queue for c in service.consumers] == ["video", "video.shots"]
    assert (shots.routing_keys, shots.prefetch, shots.prefetch_setting, shots.prefetch_scale) \
        == ((pipeline.VIDEO_SHOT,), 4, "video_prefetch", 3)
    with pytest.raises(ValueError, match=r"has queues video, video\.shots"):
        stage_service("video", {"video": handler})
