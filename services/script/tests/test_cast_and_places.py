"""Cast and places on texts written like real synopses and screenplays: persons only, name
variants merged, the protagonist the one the story follows, places named or not, and shots
that change their framing from one scene to the next."""

from __future__ import annotations

from itertools import pairwise

from reelforge.models import Document, JobSettings, Scene, SceneList, ShotPlan, StoryPatterns
from reelforge.providers.analyst import LocalStoryAnalyst
from reelforge.providers.analyst.entities import analyse_cast
from reelforge.providers.analyst.shots import FRAMING_PHRASES
from reelforge.providers.analyst.story import read_story
from reelforge.providers.analyst.text import title_case
from reelforge.settings import Settings
from reelforge_script.standalone import script_only

ARENA = (
    "In a future North America, the Capitol forces every District to send two children to "
    "the Hunger Games. Katniss Everdeen, a sixteen-year-old hunter from a mining district, "
    "volunteers when her little sister Prim is chosen. However, the baker's son Peeta Mellark "
    "is picked too. Since Katniss has never trained, she spends her days in the training "
    "centre with their drunken mentor Haymitch, who tells her to find water first. Eventually "
    "Katniss wins the crowd with a dress of fire. The arena opens in a forest. She runs for "
    "the trees while the Careers fight the others. Katniss hides in a cave with Peeta, who is "
    "wounded. Everdeen hunts at night. Canada is never mentioned again."
)
BODYGUARD = (
    "The president is shot during a parade. His bodyguard, Alex Thomas, is grazed by the "
    "bullet. Thomas chases the shooter into the subway. Agent Thomas reports to his boss, "
    "Vaughan Stevens, who tells him to stand down. However Kate Crawford, a journalist, "
    "brings him a photograph. Since Thomas trusts nobody, he works alone. Eventually Alex "
    "hides her on his boat. The Secret Service sends men after "
    "them. Thomas fights them off in the harbour. Kate finds the shooter's apartment. In the "
    "hospital, Thomas learns who paid the shooter."
)
SCREENPLAY = (
    "Title: Brick and Steel\n\n"
    "EXT. BRICK'S PATIO - DAY\n\n"
    "BRICK, fifties, a retired cop with a bad knee, flips burgers. STEEL strolls in.\n\n"
    "BRICK\nThey're back. Screw it.\n\n"
    "STEEL\nDoes it matter? Did you call them?\n\n"
    "Brick FILLS a glass. INCHES AWAY, a wasp circles.\n\n"
    "INT. POLICE STATION - NIGHT\n\n"
    "CAPTAIN REYES slams a file on the desk.\n\n"
    "CAPTAIN REYES\nYou two are done.\n\n"
    "BRICK\nSCREW that.\n\n"
    "Steel grins. Reyes storms out.\n"
)


def cast_of(text: str, document_format: str = "text") -> dict[str, str]:
    """name → role of everyone the analyst put in the cast."""
    story = read_story(Document(format=document_format, text=text))  # type: ignore[arg-type]
    return {person.name: person.role for person in analyse_cast(story).people}


async def scenes_of(text: str, document_format: str = "text") -> SceneList:
    analyst = LocalStoryAnalyst(Settings())
    document = Document(format=document_format, text=text)  # type: ignore[arg-type]
    context = {"document": document.model_dump(mode="json"), "duration": 60.0}
    patterns = await analyst.complete("patterns", context, StoryPatterns)
    context["patterns"] = patterns.model_dump(mode="json")
    return await analyst.complete("scenes", context, SceneList)


# --------------------------------------------------------------------------- persons only


def test_sentence_openers_places_and_organisations_are_not_cast() -> None:
    cast = cast_of(ARENA)
    assert set(cast) == {"Katniss Everdeen", "Peeta Mellark", "Prim", "Haymitch"}


def test_name_variants_are_one_person() -> None:
    cast = cast_of(BODYGUARD)
    assert set(cast) == {"Alex Thomas", "Vaughan Stevens", "Kate Crawford"}
    story = read_story(Document(format="text", text=BODYGUARD))
    alex = analyse_cast(story).person_named("Alex Thomas")
    assert alex is not None and {"Alex", "Thomas", "Agent Thomas"} <= set(alex.aliases)


def test_a_name_said_once_with_a_description_is_a_person() -> None:
    text = (
        "Shlykov, a hard-working taxi driver, and Lyosha, a saxophonist, develop a bizarre "
        "love-hate relationship. Despite their prejudices, they realise they are not so "
        "different after all."
    )
    assert set(cast_of(text)) == {"Shlykov", "Lyosha"}


def test_a_city_name_is_a_person_when_it_acts_and_a_place_after_in() -> None:
    text = (
        "Milan and Goran are two smugglers. Milan and Goran decide to sell the baby. "
        "The buyers wait in Florence. Goran drives the Russian truck all night to Texas."
    )
    cast = cast_of(text)
    assert set(cast) == {"Milan", "Goran"}


def test_a_people_word_before_a_name_is_not_part_of_it() -> None:
    text = (
        "Bluey Donkin joins the army with English Peter Linton, who falls for a barber's "
        "daughter. Peter Linton deserts in Cairo. Catholic priests hide him while Bluey "
        "fights on."
    )
    assert set(cast_of(text)) == {"Bluey Donkin", "Peter Linton"}


# --------------------------------------------------------------------------- protagonist


def test_the_protagonist_is_who_the_story_follows_not_the_most_named() -> None:
    text = (
        "The butcher Buzz Buzzard guards his sausages. Woody is broke, so he sneaks into the "
        "shop of Buzz. Buzz throws him out. On the way out, Woody collides with a bottle of "
        "invisible ink. When Woody wakes, he sees his hands are gone. He haunts the shop. He "
        "rattles the shelves of Buzz. Buzz screams at the ghost and Buzz hides behind the "
        "counter of Buzz's shop. Woody laughs, and he takes every sausage in the shop."
    )
    cast = cast_of(text)
    assert cast == {"Woody": "protagonist", "Buzz Buzzard": "supporting"}


# --------------------------------------------------------------------------- screenplays


def test_screenplay_cues_are_the_cast_and_shouted_words_are_not() -> None:
    cast = cast_of(SCREENPLAY, "fountain")
    assert set(cast) == {"Brick", "Steel", "Captain Reyes"}
    assert cast["Brick"] == "protagonist"


async def test_screenplay_places_keep_their_casing() -> None:
    scene_list = await scenes_of(SCREENPLAY, "fountain")
    places = {loc.name: loc.kind for loc in scene_list.locations}
    assert places == {"Brick's Patio": "city", "Police Station": "interior"}
    assert title_case("O'BRIEN'S BAR") == "O'Brien's Bar"


# --------------------------------------------------------------------------- places


async def test_unnamed_places_give_each_scene_a_location_of_its_kind() -> None:
    scene_list = await scenes_of(ARENA)
    kinds = {loc.name: loc.kind for loc in scene_list.locations}
    assert {"the training centre", "the arena", "the cave"} <= set(kinds)
    assert kinds["the cave"] == "underground" and kinds["the training centre"] == "interior"
    assert "the world" not in kinds
    assert len(kinds) <= 8
    assert len({scene.location for scene in scene_list.scenes}) >= 4


async def test_the_first_scenes_take_the_first_place_the_story_names() -> None:
    scene_list = await scenes_of(BODYGUARD)
    first = next(loc for loc in scene_list.locations if loc.id == scene_list.scenes[0].location)
    assert first.name == "the subway" and first.kind == "underground"
    assert {loc.name for loc in scene_list.locations} >= {"the boat", "the hospital"}


async def test_near_duplicate_places_are_one_location() -> None:
    text = (
        "Mara walks into the woods. Mara builds a fire in the forest. Mara sleeps at home. "
        "Mara locks the house. Mara climbs the hills at dawn. Mara reaches the mountains."
    )
    scene_list = await scenes_of(text)
    assert len(scene_list.locations) == 3


async def test_the_city_of_a_story_set_in_a_named_city_is_that_city() -> None:
    text = (
        "Zachariah takes the train to Johannesburg. The city is loud and crowded. Zachariah "
        "walks the city all night. At dawn Zachariah sleeps in the city."
    )
    scene_list = await scenes_of(text)
    assert [loc.name for loc in scene_list.locations] == ["Johannesburg"]


# --------------------------------------------------------------------------- framing


async def test_consecutive_shots_never_share_their_framing() -> None:
    analyst = LocalStoryAnalyst(Settings())
    framings = []
    for index in range(6):
        scene = Scene(
            index=index,
            summary="Mara climbs the tower.",
            text="Mara climbs the tower.",
            characters=["mara"],
            location="tower",
        )
        context = {"scene": scene.model_dump(mode="json"), "script": {}}
        plan = await analyst.complete("shot", context, ShotPlan)
        framings.append(next(f for f, p in FRAMING_PHRASES.items() if p in plan.prompt))
    assert all(a != b for a, b in pairwise(framings))
    assert set(framings) == {"wide", "medium", "close"}


def test_actors_and_comparisons_named_in_a_synopsis_are_not_cast() -> None:
    cast = cast_of(
        "Anna Berg, portrayed by Nadja Uhl, leaves her husband Tom. Tom, a singer played by "
        "Justus von Dohnanyi, sings alone. Their son Vincent (Jonathan Jackson) runs away. "
        "Tom is a magnate, a la Donald Trump, and Anna Berg laughs at him. Anna Berg finds "
        "Vincent in the woods."
    )
    assert {"Anna Berg", "Tom", "Vincent"} <= set(cast)
    assert not {"Nadja Uhl", "Uhl", "Dohnanyi", "Justus", "Jonathan Jackson", "Donald Trump"} & set(
        cast
    )


def test_an_actor_who_stars_as_a_character_is_not_cast() -> None:
    cast = cast_of(
        "In Hollywood, Gene Kelly stars as Don, a silent film star. Don falls for Kathy, a "
        "chorus girl. Kathy dubs the voice of his co-star Lina, and Lina tries to stop her."
    )
    assert {"Don", "Kathy", "Lina"} <= set(cast)
    assert "Gene Kelly" not in cast


def test_the_title_of_a_work_in_the_story_is_nobody() -> None:
    cast = cast_of(
        "Odile is the publicist for the slasher movie Red is Dead. She takes it to a festival. "
        "Red is Dead soon draws crowds when its projectionist is murdered. Odile hires Serge "
        "to guard the print, keeping Red is Dead in the news."
    )
    assert "Odile" in cast
    assert not {"Red", "Dead"} & set(cast)


def test_a_name_after_a_noun_for_a_doer_is_a_person() -> None:
    cast = cast_of(
        "The plot focuses on a famous sculptor, Gustaf Borgstrom. He hires a chorus girl, "
        "Ardell Kendall."
    )
    assert {"Gustaf Borgstrom", "Ardell Kendall"} <= set(cast)


def test_a_name_followed_by_where_is_a_place() -> None:
    cast = cast_of(
        "Paschalis is about to marry Anthoula. He boards the boat to Sifnos, where he meets "
        "Zoi. Together with Zoi, Paschalis meets a couple in Sifnos, who try to help him."
    )
    assert {"Paschalis", "Zoi"} <= set(cast)
    assert "Sifnos" not in cast


def test_a_clan_is_not_a_person() -> None:
    cast = cast_of(
        "The evil Lord Conqueror, head of the Conqueror's Clan, hunts Wind and Cloud. Wind "
        "and Cloud must join the Conqueror's Clan. Conqueror sends his men after Cloud."
    )
    assert "Cloud" in cast
    assert "Clan" not in cast


def test_a_misspelt_name_is_the_same_person() -> None:
    cast = cast_of(
        "Thomas suspects his boss, Vaughan Stevens. Thomas drives to Stevens' home and finds "
        "Stevens dead. Later a car leaves Steven's house. Zachariah falls foul of Marumu, a "
        "gang leader. Zachariah's wife is murdered by Murumu."
    )
    assert "Vaughan Stevens" in cast
    assert "Steven" not in cast
    assert len({"Marumu", "Murumu"} & set(cast)) == 1


def test_similar_short_names_stay_apart() -> None:
    cast = cast_of(
        "Maria loves Mario. Mario and Maria marry. Dana meets Dina. Dina and Dana fight."
    )
    assert {"Maria", "Mario", "Dana", "Dina"} <= set(cast)


def test_a_he_opening_the_next_sentence_is_the_person_just_named() -> None:
    story = read_story(
        Document(
            format="text",
            text="The plot focuses on a famous sculptor, Gustaf Borgstrom. He hires a chorus "
            "girl, Ardell Kendall. When Donald Dillingham marries the chorus girl, his wealthy "
            "parents disown him.",
        )
    )
    cast = analyse_cast(story)
    assert cast.protagonist is not None and cast.protagonist.name == "Gustaf Borgstrom"
    assert cast.people[0].gender == "male"


def test_a_name_before_back_is_no_modifier() -> None:
    cast = cast_of(
        "Annoyed by Frankie's reluctance, Dee Dee becomes receptive to the rocker's advances. "
        "Frankie challenges the rocker to a race, in hopes of winning Dee Dee back."
    )
    assert {"Frankie", "Dee Dee"} <= set(cast)


def test_the_antagonist_is_not_the_heros_partner() -> None:
    cast = cast_of(
        "Lola hires a husband, Bo, to win her trust fund. Lola and Bo fall for each other. "
        "Bo threatens the smugglers and kills their dog. Bo is a cruel and ruthless man who "
        "lies. Her sister Simona plots against Lola to steal the fund. Lola finds Bo. Simona "
        "schemes with the cruel lawyer."
    )
    assert cast["Lola"] == "protagonist"
    assert cast["Simona"] == "antagonist"


def test_the_antagonist_is_not_a_victim() -> None:
    cast = cast_of(
        "Lola hires a husband, Bo, to win her trust fund. Her sister Simona plots against "
        "Lola to steal the fund. Lola meets Peter, who threatens to betray her and steal "
        "the ransom. Peter is killed in a murder plot. Simona lies to Lola. Lola finds Bo."
    )
    assert cast["Lola"] == "protagonist"
    assert cast["Simona"] == "antagonist"


def test_a_name_said_once_with_its_actor_is_a_character() -> None:
    cast = cast_of(
        "Five men attend a gym. Gunther Stobanski, portrayed by Christian Ulmen, fails with "
        "online dating. Roland, a train driver, snubs his wife Susanne."
    )
    assert {"Gunther Stobanski", "Roland", "Susanne"} <= set(cast)
    assert not {"Christian Ulmen", "Ulmen"} & set(cast)


def test_a_family_said_with_the_is_no_misspelling_of_its_member() -> None:
    text = (
        "Alan Colby is murdered. The Lowells have been living off the Colby fortune, and now "
        "someone is trying to kill Henrietta Lowell, matriarch of the family. Fred and Janice "
        "live off the Lowell fortune. Bowen is paid by the Lowells for his research. Henrietta "
        "Lowell, who wants to continue the research, hires a detective."
    )
    cast = analyse_cast(read_story(Document(format="text", text=text)))
    assert not any("Lowell" in place.name for place in cast.places)


def test_a_named_animal_is_cast() -> None:
    cast = cast_of(
        "The moneylender takes the family's assets, including Tahaan's donkey, Birbal, for a "
        "loan. Tahaan is determined to bring Birbal back. Tahaan follows the mule train, "
        "leading Birbal despite their protests. Tahaan is fond of Birbal."
    )
    assert {"Tahaan", "Birbal"} <= set(cast)


def test_the_antagonist_is_not_the_heros_love() -> None:
    cast = cast_of(
        "Bluey drives cattle with his mates. Kate is in love with Bluey but he refuses her. "
        "Kate threatens to leave and lies to her father. Bluey enlists and fights the enemy. "
        "Bluey returns to Kate."
    )
    assert cast["Bluey"] == "protagonist"
    assert cast["Kate"] != "antagonist"


def test_the_maker_of_a_film_named_in_a_possessive_is_not_cast() -> None:
    cast = cast_of(
        "The story echoes Marta Ellingsen's 1987 film Glass Harbour, and like Voss's film it "
        "moves the tale to a cold port. Jonah loses his job at the docks. Jonah meets Ilse, "
        "who runs a bakery. Ilse lends him money and Jonah repays her with a stolen watch."
    )
    assert {"Jonah", "Ilse"} <= set(cast)
    assert not {"Marta Ellingsen", "Voss", "Ellingsen"} & set(cast)


def test_crew_credits_and_later_uses_of_their_names_are_not_cast() -> None:
    cast = cast_of(
        "Wren wakes in an empty theatre. She follows a singing lantern. The lantern leads "
        "her to a ballroom of paper dancers. Odo the puppeteer laughs at her. Lantern Waltz "
        "is a short film made in 2004 by animators Ruth Kessler and Amir Sadeghi. Kessler "
        "and Sadeghi used a song recorded in 1931 by Lionel Brask."
    )
    assert "Wren" in cast
    assert not {"Ruth Kessler", "Amir Sadeghi", "Kessler", "Sadeghi", "Lionel Brask"} & set(cast)


def test_a_name_said_once_that_acts_and_is_picked_up_by_a_pronoun_is_the_lead() -> None:
    cast = cast_of(
        "Marnie is woken by thunder in her attic room. She lights a candle and goes down the "
        "stairs. A grinning Scarecrow waits at the bottom, and the Scarecrow's friends dance "
        "around the kitchen. The Scarecrow sings until the roof blows away."
    )
    assert cast.get("Marnie") == "protagonist"


def test_a_title_used_as_a_name_is_a_person() -> None:
    cast = cast_of(
        'Reed Halvorsen is "The Mender" in this gentle drama. Reed Halvorsen is a doctor '
        "who returns to his valley to heal the sick. The village trusts the Doc. Doc is "
        "tempted by a rich widow's offer, but Doc refuses her money and rebuilds the clinic. "
        "Doc finally marries the schoolteacher, Agnes."
    )
    assert cast.get("Doc") == "protagonist"
    assert "Reed Halvorsen" not in cast


def test_a_wiki_linked_actor_in_brackets_is_not_cast_even_with_one_name() -> None:
    cast = cast_of(
        "Tomas ([[Velayudhan  repairs radios for Leela. Tomas falls for Leela, but Leela's "
        "father forbids the match. Tomas leaves the village."
    )
    assert {"Tomas", "Leela"} <= set(cast)
    assert "Velayudhan" not in cast


def test_a_novel_whose_plot_is_retold_is_not_a_person_but_its_hero_is() -> None:
    cast = cast_of(
        "Here the plot of Jane Eyre is moved to a modern office. Jane answers phones for a "
        "brooding manager, Rochford. Jane discovers a locked room, and Rochford forbids her "
        "to open it."
    )
    assert "Jane" in cast
    assert "Jane Eyre" not in cast


def test_documentary_makers_cited_authors_and_passing_figures_are_not_cast() -> None:
    documentary = cast_of(
        "This documentary follows river pilots on the Danube. In one part, Lemaire focuses "
        'his camera on a family of boat builders.Varga, Ilona. "Pilots of the river," '
        "Film Weekly. The pilots talk about floods and about their children."
    )
    assert not {"Lemaire", "Varga", "Ilona"} & set(documentary)
    passing = cast_of(
        "Agnes Moller keeps a farm in 1938. Agnes fears that Hitler will invade, so Agnes "
        "buries the silver under the barn."
    )
    assert "Agnes Moller" in passing and "Hitler" not in passing


def test_names_said_only_where_the_text_talks_about_the_film_are_credits() -> None:
    cast = cast_of(
        "A lighthouse keeper, Bram, finds a drowned sailor who wakes up. Bram hides the "
        "sailor from the coastguard. The film was a reunion for its stars with their old "
        "colleague Tony Vance, who has a cameo as a priest."
    )
    assert "Bram" in cast and "Tony Vance" not in cast


def test_actors_named_where_the_text_talks_about_roles_in_the_film_are_not_cast() -> None:
    cast = cast_of(
        "Oskar Brandt, a ferry captain, refuses to sail in the storm. Oskar argues with his "
        "daughter Liesel, who sails alone. Comedy veterans Ada Ploom and Bert Harrow have "
        "small roles in the film. The character actor Nils Varga also appeared in the film "
        "with his son Tobi Varga."
    )
    assert {"Oskar Brandt", "Liesel"} <= set(cast)
    assert not {"Ada Ploom", "Bert Harrow", "Nils Varga", "Tobi Varga"} & set(cast)


def test_a_known_city_said_with_an_s_is_a_place_not_a_person() -> None:
    cast = cast_of(
        "Conor Doyle is one of Dublin's most feared forgers. He robs Dublin's oldest bank. "
        "Conor hides the money from his brother Eamon, and Eamon tells the police."
    )
    assert set(cast) == {"Conor Doyle", "Eamon"}


def test_names_listed_as_names_are_not_cast() -> None:
    # A name said once with nothing but "and" beside it stays out of the cast: letting it
    # in added real sisters here, and non-persons on held-out text (docs/script.md).
    cast = cast_of(
        "Rafe Quill is a smuggler on the coast. He has two sisters, Orla and Maeve, who run "
        "the inn. Rafe sells brandy to customs man Silas Crane and escapes. Rafe gives his "
        "boats the names: Sea Wren and Old Tam."
    )
    assert {"Rafe Quill", "Silas Crane"} <= set(cast)
    assert not {"Sea Wren", "Old Tam"} & set(cast)


STAGE_STORY = (
    "Ilka, a young singer with a bold, restless voice and a fear of crowds, joins a touring "
    "band. She suddenly finds that the band owes money to a gangster called Voss. Voss wants "
    "his money by the end of the tour. Ilka hides the takings from the band. The drummer "
    "Pavel learns the truth and tells Voss. Voss takes the bus and the band is stranded. "
    "Ilka sings in the street to win the money back."
)


def test_a_description_cut_at_a_comma_between_adjectives_loses_the_cut_phrase() -> None:
    cast = analyse_cast(read_story(Document(format="text", text=STAGE_STORY)))
    ilka = cast.person_named("Ilka")
    assert ilka is not None and ilka.appositive == "a young singer"


async def test_an_introduction_is_never_a_sentence_without_a_verb() -> None:
    script = await script_only(
        Document(format="text", text=STAGE_STORY), JobSettings(duration=60.0), Settings()
    )
    lines = [line.text for line in script.narration if line.card != "title"]
    introductions = [line for line in lines if "young singer" in line]
    assert introductions, lines
    for line in introductions:
        assert "young singer." not in line and "with a bold." not in line, line


def test_a_story_that_never_names_its_centre_casts_him_by_description() -> None:
    story = (
        "A fisherman's widow sends her son to the market. The boy loses the money on the way. "
        "The boy follows a crow into the marsh, where an old hermit, Baltasar, lives. The boy "
        "asks Baltasar for help. Baltasar gives him a riddle. The boy solves it at dawn and "
        "runs home."
    )
    cast = cast_of(story)
    assert cast.get("the boy") == "protagonist"
    assert "Baltasar" in cast
    said_twice = cast_of("The boy waves. The boy sleeps. Marek fixes the nets and Marek sings.")
    assert "the boy" not in said_twice


def test_dates_numbers_kin_words_and_groups_are_not_cast() -> None:
    cast = cast_of(
        "Husband and wife Tove and Anders run a ferry. Tove promises the island a dance on "
        "Christmas Eve, and Anders hires a band. Thirty years later, Anders is seen alone on "
        "the pier. Dad is gone, says their daughter Liv. Liv joins the Mafia to pay the "
        "ferry's debts. The Mafia sends Liv to Oslo. Liv becomes their Harbour Master."
    )
    assert {"Tove", "Anders", "Liv"} <= set(cast)
    assert not {"Husband", "Eve", "Thirty", "Dad", "Mafia", "Harbour Master"} & set(cast)


def test_a_country_is_a_person_only_when_it_acts_at_the_head_of_a_clause() -> None:
    cast = cast_of(
        "In 1930 in Halifax, Canada, an old sailor tells fortunes. Pieter wants to represent "
        "Canada at the regatta. Pieter trains every night, and Pieter wins a place."
    )
    assert "Pieter" in cast and "Canada" not in cast


def test_cited_reviews_and_their_authors_are_not_cast() -> None:
    cast = cast_of(
        'Years later Oskar opens the box again.Harbour Film Notes: "Splinters" by Lena '
        "Morrow. Oskar rebuilds the puzzle, and Oskar hides it from Greta. Greta finds it."
    )
    assert {"Oskar", "Greta"} <= set(cast)
    assert not {"Harbour Film Notes", "Lena Morrow", "Lena"} & set(cast)


def test_a_famous_full_name_said_in_passing_is_not_cast() -> None:
    cast = cast_of(
        "Marit paints icons in a cold chapel. Marit compares her patron to Jesus Christ, and "
        "the patron laughs. Marit leaves the chapel at night."
    )
    assert "Marit" in cast and "Jesus Christ" not in cast


def test_a_capitalised_word_for_what_someone_is_is_no_part_of_their_name() -> None:
    cast = cast_of(
        "Bartender Nora Quill pours the last drinks of the night. A stranger asks Nora about "
        "the missing ferry. Nora calls her brother Emil, and Emil drives to the coast."
    )
    assert "Nora Quill" in cast and "Bartender Nora Quill" not in cast


def test_quoted_nicknames_and_abbreviated_titles_leave_one_name() -> None:
    cast = cast_of(
        "Sgt. Tomas \"Bear\" Lind is sent after the infamous 'Iron-Fist' Malko. Lind follows "
        "Malko to the docks. Malko escapes by boat, and Lind swims after him."
    )
    assert {"Tomas Lind", "Malko"} <= set(cast)
    assert not {"Bear", "Iron-Fist", "Iron-Fist Malko", "Sgt"} & set(cast)


def test_a_duo_s_stage_name_leaves_its_members_in_the_cast() -> None:
    cast = cast_of(
        "Jay and Bo are a rap duo. A producer hears Jay N'Bo at a block party. Jay wants to "
        "go to college. Jay argues with Bo about money. Bo signs the contract alone. Jay "
        "studies at night and Jay finally makes peace with Bo. Dana Weller manages the "
        "label, and Dana Weller wants a hit. Bo gives Dana Jay's demo tape."
    )
    assert {"Jay", "Bo", "Dana Weller"} <= set(cast)
    assert not {"Jay N'Bo", "Dana Jay"} & set(cast)


def test_a_creature_always_called_the_something_is_cast_a_ship_is_not() -> None:
    cast = cast_of(
        "A hungry jackal sets traps in the canyon. The Dust Racer speeds past every trap. "
        "The jackal builds a catapult, but the Dust Racer, who never stops running, is gone. "
        "The jackal lights a fuse. The Dust Racer zooms back and the jackal falls."
    )
    assert "the Dust Racer" in cast
    ship = cast_of(
        "The Morrow, a grain ship, sails into the bay. The Morrow runs aground. Inge rows "
        "out to it. The Morrow breaks apart in the storm, and Inge saves the crew."
    )
    assert "Inge" in ship and not {"the Morrow", "Morrow"} & set(ship)


def test_the_person_a_synopsis_says_it_is_about_is_the_protagonist() -> None:
    cast = cast_of(
        "The story begins with Ilse, a shy student, as she finishes school. Marco runs the "
        "school choir. Marco picks Ilse as a soloist. Marco argues with the principal. Marco "
        "quits. Marco comes back. Ilse sings at the final concert."
    )
    assert cast["Ilse"] == "protagonist"


def test_works_schools_and_name_endings_after_of_are_not_cast() -> None:
    cast = cast_of(
        "Sons of Thunder recounts a strike of 1921. Vendetta is a narrative which probes the "
        "family of Bram, a docker, and it is the sequel to its prequel Kinship. Bram teaches "
        "at Pinecrest High. Pinecrest High closes, and Bram joins the strike. Bram is arrested."
    )
    assert "Bram" in cast
    assert not {"Thunder", "Vendetta", "Kinship", "Pinecrest High", "Pinecrest"} & set(cast)


def test_a_word_before_a_comma_says_nothing_of_the_name_after_it() -> None:
    cast = cast_of(
        "Lina Okoro, an analyst, finds herself hunted. As they drive through the suburbs, "
        "Lina's past catches up with her. Over the years: *Tove, a teacher, keeps her secret."
    )
    assert "Lina Okoro" in cast and "Tove" in cast


def test_signs_and_captions_name_no_one() -> None:
    cast = cast_of(
        "The chase stops for the captions: Rapidus Maximus and Clumsii Foolii, plus a sound. "
        'Odo holds up a sign: "For Sale One used Garden Hose" and runs. Odo buys a Frisbee '
        "and throws it at the bird. Now, Kessler animates a sequence in which Odo falls."
    )
    assert "Odo" in cast
    assert not {"Rapidus Maximus", "Clumsii Foolii", "Garden Hose", "Frisbee", "Kessler"} & set(
        cast
    )


def test_a_lead_named_once_and_then_he_or_she_is_cast() -> None:
    cast = cast_of(
        "Perrin is a chemist at a paint company. As he mixes a new colour, he wins a prize "
        "and travels to the coast."
    )
    assert cast.get("Perrin") == "protagonist"


def test_the_words_of_a_title_and_an_inline_list_stay_out_of_names_and_descriptions() -> None:
    story = read_story(
        Document(
            format="text",
            text="Staff Sgt. Ana Ruiz is sent to find a deserter. Ruiz searches the camp. The "
            "suspects are: *Mr. Pell, the keeper of the armoury *Oskar, who hates Ruiz. Pell "
            "lies to Ruiz, and Ruiz arrests Pell.",
        )
    )
    people = {p.name: p for p in analyse_cast(story).people}
    assert "Ana Ruiz" in people and "Staff Ana Ruiz" not in people
    assert people["Pell"].appositive == "the keeper of the armoury"


def test_a_description_after_two_names_describes_both_and_is_nobody_s_alone() -> None:
    story = read_story(
        Document(
            format="text",
            text="Tomas and Vera, a childless couple, adopt a boy. Tomas teaches him to fish. "
            "Vera teaches him to read, and Vera worries. Jan, a lonely fisherman, and Tomas, "
            "a carpenter, build a boat.",
        )
    )
    people = {p.name: p for p in analyse_cast(story).people}
    assert people["Vera"].appositive is None
    assert people["Tomas"].appositive == "a carpenter"


def test_a_kind_of_person_after_a_or_an_is_no_name() -> None:
    cast = cast_of(
        "Nora meets a young Ulsterman in Derry, Owen, who finds a ring. Owen shows it to a "
        "quiet Parisian woman. Nora and Owen travel south. Owen gives Nora the ring."
    )
    assert "Owen" in cast and "Nora" in cast
    assert "Ulsterman" not in cast and "Parisian" not in cast


def test_an_owned_noun_after_a_possessive_is_no_part_of_the_next_name() -> None:
    cast = cast_of(
        "Walt Hagen, a ranger, hunts the smuggler Rico Vance. Hagen crosses the river. Vance "
        "hides his money. Hagen finds the money. At Vance's Rancho Hagen's sister Lupe "
        "waits for him. Hagen confronts Vance."
    )
    assert "Rancho Hagen" not in cast
    assert not any(name.startswith("Hagen") for name in cast)  # merged into Walt Hagen
    assert "Walt Hagen" in cast


def test_an_opening_gerund_is_no_part_of_a_name() -> None:
    cast = cast_of(
        "Her mother Ruth Ann sits outside. When Ruth Ann begins to cry, only Sam understands. "
        "Ruth travels to Cork. Ruth meets a soldier. Joining Ruth in Cork, Sam admits his love."
    )
    assert "Joining Ruth" not in cast and "Ruth" not in cast
    assert "Ruth Ann" in cast


def test_hero_names_the_lead_and_a_topic_s_objects_are_not_the_focus() -> None:
    cast = cast_of(
        "The movie is about a plot against the chancellor Otto Brandt and his guests. The "
        "memories of hero Pavel take the story back to 1943. Agent Klaus hides in Paris. "
        "Klaus trusts Lena. Klaus fails. Pavel loves Lena."
    )
    assert cast["Pavel"] == "protagonist"


def test_a_quoted_newspaper_and_a_work_that_revolves_around_people_are_titles() -> None:
    cast = cast_of(
        "Set in old Madras, Ek Paisa revolves around two friends: Raju, a driver, and Mani, a "
        "cook. Raju buys the local newspaper 'Madras Evening Star' every day. Mani laughs. "
        "Raju reads the Madras Evening Star to Mani."
    )
    assert "Ek Paisa" not in cast and not any("Star" in name for name in cast)
    assert {"Raju", "Mani"} <= set(cast)


def test_a_name_said_once_as_a_possessive_is_only_mentioned() -> None:
    cast = cast_of(
        "Priya lives with her brother Arun. Arun arranges Priya's marriage to Mehtaram's son. "
        "Priya refuses. Arun is furious."
    )
    assert "Mehtaram" not in cast
    assert {"Priya", "Arun"} <= set(cast)


def test_names_in_sentences_that_judge_the_film_s_craft_are_actors() -> None:
    cast = cast_of(
        "Inspector Rana Gowda is transferred to the city. Rana fights the gangster Bhola. "
        "Bhola threatens Rana. When it comes to acting, Kiran Rao and Vinod compete with each "
        "other. Meera as Kiran's mother is just an example. Newcomer Ajay shows talent in "
        "editing, and Kiran Rao and Vinod shine."
    )
    assert not {"Kiran Rao", "Vinod", "Meera", "Ajay"} & set(cast)
    assert "Rana Gowda" in cast


def test_a_description_before_the_name_gives_its_gender() -> None:
    story = read_story(
        Document(
            format="text",
            text=(
                "Fanchon is a young soldier who wants glory. He is approached by the daughter "
                "of a recruiting officer, Amelie, who tells him that he will marry a princess. "
                "He joins the army. He fights bravely. He loves Amelie."
            ),
        )
    )
    people = {p.name: p for p in analyse_cast(story).people}
    assert people["Amelie"].gender != "male"  # so the story's 'he' stays Fanchon's
    assert people["Fanchon"].role == "protagonist"


def test_a_name_the_text_calls_a_city_is_a_place() -> None:
    story = read_story(
        Document(
            format="text",
            text=(
                "Ram Nagar is a city terrorised by a gangster named Kalu. Kalu kills a judge. "
                "Inspector Vikram arrests Kalu. Kalu and his men rule over Ram Nagar."
            ),
        )
    )
    cast = analyse_cast(story)
    assert "Ram Nagar" not in {p.name for p in cast.people}
    assert "Ram Nagar" in {p.key for p in cast.places}


def test_the_subject_of_a_work_someone_in_the_story_makes_is_no_character() -> None:
    cast = cast_of(
        "Lars Berg, an obsessed director, makes an epic account of the Danish explorer "
        "Knud-Erik Holm. Berg hires a drifter. Berg loses his money. Berg plays the explorer "
        "himself."
    )
    assert "Knud-Erik Holm" not in cast
    assert "Lars Berg" in cast


def test_a_work_noun_used_as_a_verb_names_no_work() -> None:
    cast = cast_of(
        "Scenes shot in the lanes of Old Delhi show Ravi selling tea to strangers. Ravi "
        "sleeps on the roof. Meena wakes Ravi at dawn and sends Ravi out again. Ravi hopes to "
        "film Meena one day."
    )
    assert cast.get("Ravi") == "protagonist"


def test_full_names_that_open_a_bracket_are_actors() -> None:
    cast = cast_of(
        "Three of the soldiers (Tom Hardwick, Eli Brandt and [[Rod Steiner have been chosen to "
        "scout the island. A farmer and his daughter ([[Ann Moray have sent a radio message. "
        "The soldiers must find the farmer before dawn."
    )
    assert not {"Tom Hardwick", "Eli Brandt", "Rod Steiner", "Ann Moray"} & set(cast)


def test_the_one_whose_death_opens_the_story_is_not_its_lead() -> None:
    cast = cast_of(
        "Inspector Rao is sent to investigate the death of Vikram Shetty. Vikram was to marry "
        "Anu. Vikram's mother refuses to believe Vikram is dead and keeps Vikram's room ready. "
        "Vikram's letters reach Anu. Meanwhile Rao and Anu fall in love. Vikram's body is "
        "found on the shore."
    )
    assert cast["Inspector Rao"] == "protagonist"
    kid = cast_of(
        "Following the death of Kid's father, Kid gets a scholarship. Kid meets Sydney. Kid "
        "loses the money. Play helps Kid win it back."
    )
    assert kid["Kid"] == "protagonist"


def test_town_of_a_name_makes_it_a_place() -> None:
    story = read_story(
        Document(
            format="text",
            text=(
                "The film follows two men in the small Texas town of Marlow. Tom Bell is the "
                "sheriff. A developer plans to raze Marlow's old quarter. Tom fights the plan. "
                "Tom loses his badge."
            ),
        )
    )
    cast = analyse_cast(story)
    assert "Marlow" not in {p.name for p in cast.people}
    assert "Tom Bell" in {p.name for p in cast.people}


def test_comparisons_painters_eras_and_newspapers_are_not_cast() -> None:
    cast = cast_of(
        "Lina Cho is a clerk by day and, like some modern-day Robin Hood, a thief by night. "
        "Her town had served the Third Reich, and the Third Reich had taken its Jews. Marlow "
        "Herald-Leader said that Lina is a menace. Her surgeon fashions a copy of Jan Vermeer "
        "paintings. Lina robs the bank. Lina gives the money away. Marlow Herald-Leader said "
        "that the thief is a hero. The papers call her a latter-day Robin Hood."
    )
    assert not {"Robin Hood", "Reich", "Marlow Herald-Leader", "Jan Vermeer"} & set(cast)
    assert cast["Lina Cho"] == "protagonist"


def test_a_film_s_own_title_before_movie_is_no_one() -> None:
    cast = cast_of(
        "Chandni & Raat movie is about a shy clerk, Mohan, the son of Babu and Leela. Babu is "
        "a driver who hates his own colour. The family is known as 'Chandni and Raat' in the "
        "lane. Mohan wants to leave. Babu shouts at Mohan."
    )
    assert not any("Chandni" in name or "Raat" in name for name in cast)
    assert "Mohan" in cast


def test_they_after_a_pair_named_as_subject_is_that_pair() -> None:
    cast = cast_of(
        "Twin painters Ana and Bela Kovacs are at work in a studio when a fire kills their "
        "mother. The driver, Clara Voss, is hurt. Meanwhile, Ana and Bela become obsessed with "
        "ashes. They paint burnt wood. They move into the old mill with Clara. They photograph "
        "Clara. Clara leaves. Clara's family comes. Clara refuses. They burn the studio."
    )
    lead = next(name for name, role in cast.items() if role == "protagonist")
    assert lead in {"Ana", "Bela Kovacs", "Ana Kovacs"}
