"""The rule-based analyst, task by task: what it finds in a story and how it answers."""

from __future__ import annotations

import pytest
from reelforge.models import (
    ActPlan,
    Character,
    Document,
    JobSettings,
    Scene,
    SceneList,
    Score,
    Script,
    ShotPlan,
    StoryPatterns,
)
from reelforge.providers.analyst import LocalStoryAnalyst
from reelforge.providers.analyst.bible import describe_character, genders_from_pronouns
from reelforge.providers.analyst.entities import Persona, antecedent
from reelforge.providers.analyst.shots import CAMERA_PHRASES
from reelforge.providers.base import ProviderError
from reelforge.providers.contexts import (
    acts_context,
    patterns_context,
    scenes_context,
    shot_context,
    target_scene_count,
)
from reelforge.providers.registry import create
from reelforge.settings import Settings
from reelforge_script.stage import write_script

SCI_FI = """Commander Lena Voss wakes from cryosleep aboard the starship Meridian as it drifts
into orbit around an alien planet. The android pilot reports that the colony's signal went
silent years ago. Lena takes a shuttle through the asteroid field, past a derelict space
station, and lands beside the reactor of the abandoned colony. Inside the laboratory she finds
a hologram of herself, recorded a century before she was born."""

HORROR = """When Clara inherits her grandmother's farmhouse, she finds the cellar door nailed
shut from the inside. At night something scratches beneath the floorboards and whispers her
name. The village priest warns her that the house is cursed, that a ghost walks the attic and
the blood of a ritual still stains the well. Clara finds a coffin in the cellar, and a corpse
that looks exactly like her. The screaming starts at midnight."""


async def patterns_of(analyst: LocalStoryAnalyst, text: str) -> StoryPatterns:
    document = Document(format="text", text=text)
    return await analyst.complete(
        "patterns", patterns_context(document, JobSettings()), StoryPatterns
    )


async def scenes_of(
    analyst: LocalStoryAnalyst, document: Document, duration: float = 60.0
) -> SceneList:
    settings = JobSettings(duration=duration)
    patterns = await analyst.complete(
        "patterns", patterns_context(document, settings), StoryPatterns
    )
    return await analyst.complete("scenes", scenes_context(document, settings, patterns), SceneList)


# --------------------------------------------------------------------------- patterns


async def test_sci_fi_and_horror_get_different_top_genres(analyst: LocalStoryAnalyst) -> None:
    sci_fi, horror = await patterns_of(analyst, SCI_FI), await patterns_of(analyst, HORROR)
    assert sci_fi.genres[0].label == "sci-fi"
    assert horror.genres[0].label == "horror"
    for patterns in (sci_fi, horror):
        scores = [g.score for g in patterns.genres]
        assert scores == sorted(scores, reverse=True)
        assert sum(scores) == pytest.approx(1.0, abs=0.01)


async def test_logline_is_built_from_protagonist_and_goal(analyst: LocalStoryAnalyst) -> None:
    text = (
        "Jonah Reed, a disgraced harbour pilot, finds a stowaway girl in the hold of a ship. "
        "Jonah must get her across the border before the smugglers find them. "
        "Victor Kane and his smugglers hunt them along the coast, and Kane threatens to kill "
        "anyone who helps them. Jonah hides the girl in a chapel."
    )
    patterns = await patterns_of(analyst, text)
    assert patterns.logline.startswith("Jonah Reed, a disgraced harbour pilot, must get her")
    assert "Victor Kane" in patterns.logline


async def test_example_logline_is_the_authors_own(
    analyst: LocalStoryAnalyst, example_document: Document
) -> None:
    patterns = await analyst.complete(
        "patterns", patterns_context(example_document, JobSettings()), StoryPatterns
    )
    assert patterns.logline.startswith("When a winter storm and a gang of wreckers")
    assert patterns.themes and patterns.structure == "three-act"


# --------------------------------------------------------------------------- scenes


@pytest.mark.parametrize("duration", [15.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, 600.0])
async def test_scene_count_hits_the_target(
    analyst: LocalStoryAnalyst, example_document: Document, duration: float
) -> None:
    scene_list = await scenes_of(analyst, example_document, duration)
    assert len(scene_list.scenes) == target_scene_count(duration)
    assert 8 <= len(scene_list.scenes) <= 25
    assert [s.index for s in scene_list.scenes] == list(range(len(scene_list.scenes)))


def test_target_scene_count_grows_with_duration() -> None:
    counts = [target_scene_count(d) for d in (15, 30, 60, 90, 120, 180, 600)]
    assert counts == sorted(counts) and counts[0] == 8 and counts[-1] == 25
    assert target_scene_count(60) == 11


async def test_example_characters_and_roles(
    analyst: LocalStoryAnalyst, example_document: Document
) -> None:
    scene_list = await scenes_of(analyst, example_document)
    people = {c.name: c for c in scene_list.characters}
    assert {"Mara Quinn", "Silas Crane", "Tobias Wren", "Nell"} <= set(people)
    assert people["Mara Quinn"].role == "protagonist"
    assert people["Silas Crane"].role == "antagonist"
    assert people["Tobias Wren"].role == "supporting"
    assert 8 <= people["Mara Quinn"].mentions <= 12
    assert 3 <= people["Silas Crane"].mentions <= 7
    assert people["Mara Quinn"].mentions > max(c.mentions for c in scene_list.characters[1:])
    assert people["Tobias Wren"].description == "a wiry boy of fifteen"
    assert not {"Saltmouth", "Skerry Rock", "Merrow", "Anchor", "Lighthouse Board"} & set(people)


async def test_short_story_protagonist(
    analyst: LocalStoryAnalyst, short_document: Document
) -> None:
    scene_list = await scenes_of(analyst, short_document, 30.0)
    protagonist = next(c for c in scene_list.characters if c.role == "protagonist")
    assert protagonist.name == "Ada Okafor"
    assert "Rook" in {c.name for c in scene_list.characters}
    assert len(scene_list.scenes) == 8


async def test_example_locations_times_and_moods(
    analyst: LocalStoryAnalyst, example_document: Document
) -> None:
    scene_list = await scenes_of(analyst, example_document, 120.0)
    kinds = {loc.name: loc.kind for loc in scene_list.locations}
    assert kinds["Blackwood"] == "forest"
    assert kinds["Saltmouth"] == "village"
    assert kinds["Skerry Rock"] == "sea"
    assert kinds["the lamp room"] == "interior"
    times = [s.time_of_day for s in scene_list.scenes]
    storm = [s for s in scene_list.scenes if "storm comes three days early" in s.text]
    assert storm and storm[0].time_of_day == "night"
    assert times[-1] == "night" and "dawn" in times[-4:]
    assert len({s.mood for s in scene_list.scenes}) >= 3
    for scene in scene_list.scenes:
        assert scene.summary.endswith(".") and len(scene.summary.split()) <= 30
        assert scene.text.strip()


async def test_fountain_headings_give_places_and_times(analyst: LocalStoryAnalyst) -> None:
    screenplay = (
        "INT. HOSPITAL WARD - NIGHT\n\nNurse JUNE PARK walks the empty ward. A monitor beeps.\n\n"
        "JUNE\nHello? Is anyone there?\n\nThe lights flicker.\n\n"
        "EXT. PARKING LOT - DAWN\n\nJune runs to her car. DR. VOSS watches from a window.\n\n"
        "INT. BASEMENT MORGUE - NIGHT\n\nJune finds the drawers empty. Voss blocks the door.\n"
    )
    document = Document(format="fountain", title="Night Shift", text=screenplay)
    scene_list = await scenes_of(analyst, document, 30.0)
    places = {loc.name: loc.kind for loc in scene_list.locations}
    assert places["Hospital Ward"] == "interior" and "Parking Lot" in places
    assert {c.name for c in scene_list.characters} >= {"June Park", "Voss"}
    first, last = scene_list.scenes[0], scene_list.scenes[-1]
    assert first.time_of_day == "night" and last.location == "basement-morgue"


# --------------------------------------------------------------------------- acts and shots


async def test_acts_cover_every_scene_in_order(analyst: LocalStoryAnalyst) -> None:
    for count in (1, 3, 8, 11, 25):
        scenes = [Scene(index=i, summary="s.", text="t.", location="x") for i in range(count)]
        scene_list = SceneList(characters=[], locations=[], scenes=scenes)
        patterns = StoryPatterns(
            genres=[Score(label="drama", score=1)],
            tones=[Score(label="dark", score=1)],
            logline="x",
        )
        plan = await analyst.complete(
            "acts", acts_context(JobSettings(), patterns, scene_list), ActPlan
        )
        order = [i for act in plan.acts for i in act.scenes]
        assert order == list(range(count))
        acts = {act.name: act.scenes for act in plan.acts}
        assert acts["title"] == []
        if count >= 8:
            assert all(acts[name] for name in ("setup", "escalation", "climax", "tag"))


@pytest.mark.parametrize(
    ("summary", "mood", "act", "camera"),
    [
        (
            "Mara climbs the spiral stairs of the towering lighthouse.",
            "hopeful",
            "setup",
            "tilt_up",
        ),
        (
            "Mara discovers the secret ledger and stares at the truth.",
            "tense",
            "escalation",
            "push_in",
        ),
        (
            "The cliff gives way and Crane falls into the black water below.",
            "desperate",
            "climax",
            "tilt_down",
        ),
        (
            "She is alone on the empty rock as the last boat leaves.",
            "melancholy",
            "tag",
            "pull_out",
        ),
        (
            "Tobias follows the lanterns through the pines on a long search.",
            "mysterious",
            "escalation",
            "pan_left",
        ),
        ("She sleeps and dreams of her father, calm and still.", "serene", "setup", "drift"),
    ],
)
async def test_shot_camera_follows_the_scene(
    analyst: LocalStoryAnalyst,
    example_scripts: dict[float, Script],
    summary: str,
    mood: str,
    act: str,
    camera: str,
) -> None:
    scene = Scene(
        index=3,
        summary=summary,
        text=summary,
        characters=["mara-quinn"],
        location="skerry-rock",
        time_of_day="night",
        mood=mood,
        act=act,
    )  # type: ignore[arg-type]
    plan = await analyst.complete("shot", shot_context(scene, example_scripts[60.0]), ShotPlan)
    assert plan.camera == camera
    assert plan.focus == (0.5, 0.55)
    assert "Mara" not in plan.action and plan.action
    assert plan.atmosphere.startswith("deep night") and f"{mood} mood" in plan.atmosphere
    assert plan.prompt.startswith(CAMERA_PHRASES[camera])
    assert plan.action[:20].lower() in plan.prompt.lower() and "cinematic" in plan.prompt


# --------------------------------------------------------------------------- the provider


def test_registered_as_the_local_llm_provider() -> None:
    llm = create("llm", "local", Settings())
    assert isinstance(llm, LocalStoryAnalyst) and llm.name == "local"


async def test_unknown_task_and_wrong_schema_are_permanent_errors(
    analyst: LocalStoryAnalyst,
) -> None:
    with pytest.raises(ProviderError) as unknown:
        await analyst.complete("poem", {}, StoryPatterns)  # type: ignore[arg-type]
    assert unknown.value.permanent
    context = patterns_context(Document(format="text", text="Ann runs."), JobSettings())
    with pytest.raises(ProviderError, match="does not fit SceneList") as wrong:
        await analyst.complete("patterns", context, SceneList)
    assert wrong.value.permanent


# --------------------------------------------------------------------------- bible and pronouns


def test_bible_descriptions_follow_the_text_and_the_genre(
    example_scripts: dict[float, Script],
) -> None:
    script = example_scripts[60.0]
    people = script.bible.characters
    assert people["tobias-wren"].startswith("Tobias Wren: a teenager, wiry build")
    assert "oilskin coat" in people["mara-quinn"] and "a woman in her" in people["mara-quinn"]
    assert "greatcoat" in people["silas-crane"] and "a man in his" in people["silas-crane"]
    locations = example_scripts[120.0].bible.locations
    assert locations["blackwood"].startswith("Blackwood: tall dark trunks")
    assert script.bible.style.startswith("cinematic previsualisation, anamorphic")


async def test_bible_style_and_looks_depend_on_genre_and_seed(
    analyst: LocalStoryAnalyst, short_document: Document
) -> None:
    first = await write_script(short_document, JobSettings(duration=30.0, seed=1), analyst)
    again = await write_script(short_document, JobSettings(duration=30.0, seed=1), analyst)
    assert "blue-steel" in first.bible.style
    assert first.bible == again.bible
    assert "jumpsuit" in first.bible.characters["ada-okafor"]


def test_a_leading_pronoun_means_the_person_named_last() -> None:
    mara = Persona(
        name="Mara Quinn",
        aliases=["Mara Quinn", "Mara"],
        mentions=9,
        first_sentence=0,
        gender="female",
    )
    nell = Persona(name="Nell", aliases=["Nell"], mentions=5, first_sentence=3, gender="female")
    tobias = Persona(name="Tobias", aliases=["Tobias"], mentions=4, first_sentence=2, gender="male")
    before = "Mara sleeps by the lens. Tobias rows Nell out to the rock."
    assert antecedent("female", before, [mara, nell, tobias]) is nell
    assert antecedent("male", before, [mara, nell, tobias]) is tobias
    assert antecedent("female", "The sea is calm.", [mara, nell]) is None


def test_a_character_s_gender_comes_from_the_pronouns_bound_to_them() -> None:
    texts = [
        "Anselm teaches piano to Orla. When Orla tells him her secret, Anselm says that he "
        "loves another woman.",
        "Anselm drives to the coast, and his car burns on the cliff road. Orla waits for "
        "the news at her window.",
    ]
    characters = [
        Character(id="anselm", name="Anselm", mentions=3, role="protagonist"),
        Character(id="orla", name="Orla", mentions=3, role="supporting"),
    ]
    assert genders_from_pronouns(characters, texts) == {"Anselm": "male", "Orla": "female"}
    look = describe_character(characters[0], texts, "drama", 1, "male")
    assert look.startswith("Anselm: a man ")
