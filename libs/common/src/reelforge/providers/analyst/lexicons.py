"""Word lists the rule-based analyst scores text against.

Entries are base forms; `Lexicon` also matches the usual inflections (storm → storms,
stormed, storming) and two-word phrases ("first light"). Weights: 2 for words that nearly
prove a label, 1 for words that lean towards it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from reelforge.models import LocationKind, TimeOfDay


def inflections(word: str) -> set[str]:
    """The surface forms a base word may take in running text."""
    forms = {word, word + "s", word + "es", word + "ed", word + "d", word + "ing", word + "'s"}
    if word.endswith("e"):
        forms |= {word[:-1] + "ing"}
    if word.endswith("y"):
        forms |= {word[:-1] + "ies", word[:-1] + "ied"}
    if (
        len(word) > 2
        and word[-1] not in "aeiouwxy"
        and word[-2] in "aeiou"
        and word[-3] not in "aeiou"
    ):
        forms |= {word + word[-1] + "ed", word + word[-1] + "ing"}
    return forms


@dataclass
class Lexicon:
    """label → {base word or phrase: weight}, matched against lowercase tokens."""

    entries: Mapping[str, Mapping[str, float]]
    _index: dict[str, list[tuple[str, float]]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        for label, words in self.entries.items():
            for base, weight in words.items():
                parts = base.split()
                if len(parts) == 2:
                    keys = {f"{parts[0]} {form}" for form in inflections(parts[1])}
                else:
                    keys = inflections(base)
                for key in keys:
                    self._index.setdefault(key, []).append((label, weight))

    @property
    def labels(self) -> list[str]:
        return list(self.entries)

    def score(self, tokens: Iterable[str]) -> defaultdict[str, float]:
        """Weighted hits per label over lowercase `tokens` (single words and bigrams)."""
        scores: defaultdict[str, float] = defaultdict(float)
        previous = ""
        for token in tokens:
            for key in (token, f"{previous} {token}"):
                for label, weight in self._index.get(key, ()):
                    scores[label] += weight
            previous = token
        return scores


def word_set(text: str) -> set[str]:
    """A set of words written as one whitespace-separated block."""
    return set(text.split())


def tiered(strong: str, weak: str = "") -> dict[str, float]:
    words = {w: 2.0 for w in strong.split(",") if w.strip()}
    words.update({w: 1.0 for w in weak.split(",") if w.strip()})
    return {w.strip(): weight for w, weight in words.items()}


# --------------------------------------------------------------------------- story patterns

GENRES = Lexicon(
    {
        "sci-fi": tiered(
            "spaceship,starship,orbit,android,robot,alien,planet,galaxy,space station,colony,"
            "cryosleep,hologram,laser,asteroid,wormhole,airlock,cyborg,clone,satellite,lunar,"
            "martian,mothership,artificial intelligence,terraform,spacecraft,astronaut",
            "signal,station,reactor,future,machine,experiment,scientist,engineer,crew,launch,"
            "circuit,code,transmission,probe,orbital,drone,sensor,quantum,laboratory",
        ),
        "horror": tiered(
            "ghost,demon,haunt,possessed,corpse,blood,scream,curse,monster,undead,zombie,vampire,"
            "ritual,cult,exorcism,slaughter,nightmare,grave,coffin,creature,skull,severed,"
            "bloodstain,possession,evil,unholy,phantom,apparition",
            "shadow,whisper,dread,terror,horror,cellar,attic,darkness,rot,bone,flesh,dead,"
            "fear,scratching,crawl,hunger,thing,eyeless,disappear,missing,mutilated",
        ),
        "fantasy": tiered(
            "dragon,wizard,sorcerer,witch,spell,enchant,kingdom,sword,elf,dwarf,prophecy,magic,"
            "throne,quest,amulet,realm,sorcery,faerie,mage,goblin,troll,oracle,runes",
            "king,queen,prince,princess,castle,knight,ancient,legend,forest,crown,beast,warrior",
        ),
        "thriller": tiered(
            "conspiracy,assassin,hostage,kidnap,ransom,bomb,informant,spy,surveillance,agent,"
            "double-cross,sabotage,cover-up,blackmail,escape",
            "chase,danger,secret,betray,deadline,race,hunt,threat,trap,lie,plot,scheme,track,"
            "hidden,expose,evidence,silence,warning,storm,false",
        ),
        "mystery": tiered(
            "detective,clue,murder,suspect,investigate,mystery,vanish,alibi,riddle,whodunit",
            "secret,discover,truth,question,disappear,missing,letter,journal,logbook,lie,hidden,"
            "strange,unknown,answer,search,find",
        ),
        "drama": tiered(
            "grief,divorce,funeral,estranged,reconcile,inheritance,illness",
            "family,daughter,son,mother,father,sister,brother,wife,husband,memory,loss,"
            "forgive,regret,lonely,alone,love,past,promise,letter,widow",
        ),
        "romance": tiered(
            "romance,lover,kiss,wedding,marry,affair,passion,heartbreak,courtship,fiance,beloved",
            "love,heart,desire,together,embrace,tender,longing,date,dance",
        ),
        "adventure": tiered(
            "expedition,treasure,voyage,explorer,map,uncharted,shipwreck,jungle,island,pirate",
            "journey,sail,ship,sea,mountain,discover,wild,trek,cross,quest,crew,storm,horizon",
        ),
        "action": tiered(
            "explosion,gunfight,shootout,firefight,ambush,commando,mercenary,heist,brawl",
            "fight,gun,chase,crash,battle,attack,fire,run,strike,rescue,escape,smash,punch,blast",
        ),
        "war": tiered(
            "soldier,battalion,regiment,trench,infantry,bombing,frontline,enemy lines,platoon,"
            "general,invasion,occupation,resistance,tank,artillery,sniper",
            "war,army,battle,front,officer,commander,rifle,fallen,victory,surrender",
        ),
        "western": tiered(
            "sheriff,outlaw,saloon,cowboy,ranch,frontier,gunslinger,stagecoach,posse,bounty,"
            "homestead,marshal,revolver,cattle,rustler",
            "horse,desert,dust,gold,railroad,canyon,prairie",
        ),
        "crime": tiered(
            "gangster,mob,cartel,heist,robbery,smuggle,smuggler,wrecker,racket,police,cop,"
            "prison,trial,lawyer,dealer,fraud,extortion",
            "money,steal,gang,deal,crime,kill,gun,street,corrupt,loot,salvage,insurance,cargo",
        ),
        "comedy": tiered(
            "hilarious,prank,comedy,clumsy,mishap,farce,slapstick,awkward,bumbling,wacky",
            "laugh,joke,funny,silly,ridiculous,chaos,party,accident",
        ),
        "family": tiered(
            "puppy,talking animal,magical friend,birthday,summer camp,grandma,grandpa",
            "child,kid,friend,school,adventure,home,dog,cat,toy,wonder",
        ),
    }
)

TONES = Lexicon(
    {
        "dark": tiered(
            "death,murder,blood,despair,cruel,corrupt,ruin,doom,drown,kill",
            "dark,black,night,shadow,grim,cold,lost,die,dead,fall,wreck,poison,rot,false",
        ),
        "hopeful": tiered(
            "hope,redemption,rebirth,reunion,heal,forgive,dawn,sunrise,save,rescue",
            "light,home,together,believe,promise,rise,return,spring,warm,new,safe,morning",
        ),
        "melancholic": tiered(
            "grief,mourn,funeral,widow,regret,lonely,loneliness,tears,farewell,drowned",
            "alone,memory,remember,lost,empty,old,last,past,quiet,fading,years,silence,faded",
        ),
        "suspenseful": tiered(
            "suspense,trap,deadline,ticking,hunt,stalk,ambush,sabotage,countdown",
            "secret,danger,watch,wait,hidden,warning,threat,signal,search,chase,race,before,false",
        ),
        "epic": tiered(
            "empire,army,legend,destiny,kingdom,colossal,war,titan,fleet,apocalypse",
            "storm,vast,ancient,thousand,world,battle,rise,mountain,sea,fate,giant,towering",
        ),
        "intimate": tiered(
            "whisper,embrace,kiss,confession,letter,diary,bedside",
            "hand,face,kitchen,home,daughter,mother,father,quiet,small,heart,touch,tea",
        ),
        "eerie": tiered(
            "ghost,haunt,eerie,uncanny,apparition,whisper,possessed,fog,mist",
            "strange,silent,still,shadow,empty,echo,pale,flicker,cold,watching",
        ),
        "gritty": tiered(
            "gritty,grime,blood,bruise,brutal,gutter,smuggle,wrecker,salvage",
            "mud,rust,street,dirty,rough,dock,tavern,knife,money,debt,hard",
        ),
        "whimsical": tiered(
            "whimsical,magical,enchanted,fairy,giggle,marvel,delight,peculiar",
            "wonder,dream,curious,colourful,colorful,balloon,sparkle,dance,song",
        ),
        "triumphant": tiered(
            "triumph,victory,victorious,champion,conquer,overcome,prevail",
            "win,rise,stand,survive,save,cheer,hero,glory",
        ),
    }
)

THEMES = Lexicon(
    {
        "sacrifice": tiered(
            "sacrifice,give up,gives up,her life,his life", "burn,cost,price,lose,last"
        ),
        "family": tiered("daughter,son,mother,father,sister,brother", "family,home,child,blood"),
        "duty": tiered("duty,oath,vow,keeper,post,sworn", "keep,guard,hold,watch,promise"),
        "survival": tiered("survive,survival,starve,stranded", "storm,cold,alive,escape,endure"),
        "grief": tiered("grief,mourn,funeral,drowned,widow", "loss,lost,dead,death,memory"),
        "love": tiered("love,beloved,lover,kiss", "heart,together,embrace"),
        "power": tiered("power,control,rule,empire,throne", "money,own,command,force"),
        "greed": tiered("greed,greedy,salvage,insurance,profit,gold", "money,cargo,rich,buy,debt"),
        "isolation": tiered("isolation,isolated,alone,lonely,solitude", "last,empty,edge,remote"),
        "truth": tiered("truth,lie,lies,secret,cover-up", "hidden,discover,expose,false"),
        "redemption": tiered("redemption,redeem,forgive,atone", "second chance,mistake,guilt"),
        "faith": tiered("faith,pray,prayer,god,church,chapel", "believe,bell,priest"),
        "revenge": tiered("revenge,vengeance,avenge,retribution", "debt,pay,kill"),
        "freedom": tiered("freedom,escape,free,cage,prison", "run,break,chain"),
        "identity": tiered("identity,mask,clone,impostor", "name,self,mirror,memory"),
        "hope": tiered("hope,light,dawn,believe", "rise,save,rescue,return"),
    }
)

FLASHBACK_CUES = ("years earlier", "years ago", "flashback", "long ago", "in the past", "remembers")


# --------------------------------------------------------------------------- places and time

LOCATION_KINDS = Lexicon(
    {
        "sea": tiered(
            "sea,ocean,waves,lighthouse,ship,boat,shore,tide,coast,surf,reef,deck,sail,shipwreck,"
            "seabed,open water,breakers",
            "water,spray,swell,current,beach,rocks,gull,island,hull,anchor,mast,foam,bay,rock",
        ),
        "village": tiered(
            "village,harbour,harbor,quay,pier,hamlet,cottage,fishing town,harbour town,market",
            "town,square,lane,church,chapel,houses,jetty,nets,slipway,roofs,townsfolk",
        ),
        "city": tiered(
            "city,skyscraper,metropolis,downtown,avenue,subway,boulevard,neon,tower block",
            "street,alley,traffic,apartment,crowd,office,building,sidewalk,rooftop",
        ),
        "forest": tiered(
            "forest,woods,woodland,jungle,pines,glade,thicket,grove,undergrowth,wood",
            "trees,tree,pine,oak,branches,moss,ferns,leaves,clearing,roots,trunks",
        ),
        "desert": tiered(
            "desert,dunes,wasteland,badlands,mesa,canyon", "sand,dust,scorching,oasis"
        ),
        "interior": tiered(
            "room,kitchen,bedroom,corridor,hallway,parlour,parlor,tavern,inn,chamber,office,"
            "lamp room,library,ward,laboratory,cabin,study,attic,bar,hall,staircase,inside",
            "stairs,door,window,table,bed,fireplace,hearth,candle,walls,ceiling,floor,desk",
        ),
        "space": tiered(
            "space,orbit,starship,spaceship,space station,asteroid,galaxy,nebula,airlock,"
            "zero gravity",
            "stars,planet,station,hull,void,moon",
        ),
        "mountain": tiered(
            "mountain,peak,summit,ridge,crag,headland,cliff,cliffs,mountainside,pass",
            "slope,rock face,height,ledge,boulder,hill,hills",
        ),
        "field": tiered(
            "field,meadow,farm,prairie,pasture,moor,heath,plain,wheat", "grass,barn,hay"
        ),
        "underground": tiered(
            "cave,cavern,tunnel,mine,cellar,crypt,catacomb,sewer,bunker,vault,grotto,underground",
            "below,beneath,shaft,dark passage",
        ),
        "sky": tiered(
            "sky,clouds,airship,aircraft,plane,cockpit,flight", "wind,above,birds,balloon"
        ),
        "snow": tiered("snow,ice,glacier,blizzard,tundra,arctic,frozen,frost", "cold,white,winter"),
        "road": tiered("road,highway,motel,truck,car,railway,train", "drive,bridge,track,miles"),
    }
)

SETTING_NOUNS: dict[str, LocationKind] = {
    # a noun that names a place on its own ("the lighthouse"): a location when no proper name
    "lighthouse": "sea",
    "ship": "sea",
    "boat": "sea",
    "sea": "sea",
    "ocean": "sea",
    "shore": "sea",
    "beach": "sea",
    "reef": "sea",
    "island": "sea",
    "coast": "sea",
    "harbour": "village",
    "harbor": "village",
    "quay": "village",
    "pier": "village",
    "village": "village",
    "town": "village",
    "market": "village",
    "square": "village",
    "city": "city",
    "street": "city",
    "alley": "city",
    "rooftop": "city",
    "forest": "forest",
    "woods": "forest",
    "jungle": "forest",
    "glade": "forest",
    "desert": "desert",
    "canyon": "desert",
    "dunes": "desert",
    "lamp room": "interior",
    "kitchen": "interior",
    "tavern": "interior",
    "inn": "interior",
    "church": "interior",
    "chapel": "interior",
    "library": "interior",
    "cabin": "interior",
    "office": "interior",
    "bedroom": "interior",
    "corridor": "interior",
    "hall": "interior",
    "laboratory": "interior",
    "ward": "interior",
    "attic": "interior",
    "parlour": "interior",
    "station": "space",
    "airlock": "space",
    "orbit": "space",
    "starship": "space",
    "planet": "space",
    "spaceship": "space",
    "mountain": "mountain",
    "cliffs": "mountain",
    "cliff": "mountain",
    "headland": "mountain",
    "summit": "mountain",
    "ridge": "mountain",
    "field": "field",
    "meadow": "field",
    "farm": "field",
    "moor": "field",
    "cave": "underground",
    "cavern": "underground",
    "tunnel": "underground",
    "mine": "underground",
    "cellar": "underground",
    "crypt": "underground",
    "sky": "sky",
    "glacier": "snow",
    "tundra": "snow",
    "road": "road",
    "highway": "road",
    "arena": "field",
    "gas station": "road",
    "petrol station": "road",
    "police station": "interior",
    "train station": "city",
    "railway station": "city",
    "fire station": "interior",
    "estate": "interior",
    "taxi": "road",
    "patio": "city",
    "garden": "village",
    "backyard": "village",
    "yard": "village",
    "porch": "village",
    "parking lot": "city",
    "rooftop bar": "city",
    "stadium": "city",
    "training centre": "interior",
    "training center": "interior",
    "district": "city",
    "neighbourhood": "city",
    "neighborhood": "city",
    "slum": "city",
    "prison": "interior",
    "jail": "interior",
    "cell": "interior",
    "hospital": "interior",
    "school": "interior",
    "classroom": "interior",
    "courtroom": "interior",
    "palace": "interior",
    "castle": "interior",
    "mansion": "interior",
    "apartment": "interior",
    "house": "interior",
    "home": "interior",
    "hotel": "interior",
    "motel": "interior",
    "bar": "interior",
    "restaurant": "interior",
    "club": "interior",
    "nightclub": "interior",
    "shop": "interior",
    "store": "interior",
    "warehouse": "interior",
    "factory": "interior",
    "bank": "interior",
    "casino": "interior",
    "theatre": "interior",
    "theater": "interior",
    "studio": "interior",
    "temple": "interior",
    "monastery": "interior",
    "barracks": "interior",
    "car": "road",
    "truck": "road",
    "bus": "road",
    "camp": "field",
    "ranch": "field",
    "battlefield": "field",
    "plains": "field",
    "prairie": "field",
    "valley": "field",
    "river": "field",
    "lake": "field",
    "swamp": "forest",
    "wilderness": "forest",
    "trenches": "field",
    "mine shaft": "underground",
    "subway": "underground",
    "metro": "underground",
    "sewer": "underground",
    "bunker": "underground",
    "dungeon": "underground",
    "underworld": "underground",
    "port": "village",
    "docks": "village",
    "farmhouse": "interior",
    "suburbs": "city",
    "downtown": "city",
    "mountains": "mountain",
    "hills": "mountain",
    "volcano": "mountain",
    "snowfield": "snow",
    "arctic": "snow",
    "antarctic": "snow",
    "spacecraft": "space",
    "space station": "space",
    "moon": "space",
    "airport": "city",
    "plane": "sky",
    "aircraft": "sky",
    "submarine": "sea",
    "yacht": "sea",
    "raft": "sea",
}

PLACE_SUFFIX_KINDS: dict[str, LocationKind] = {
    # the last word of a proper place name ("Gull Point", "Saltmouth Harbour")
    "harbour": "village",
    "harbor": "village",
    "port": "village",
    "quay": "village",
    "town": "village",
    "village": "village",
    "green": "village",
    "bay": "sea",
    "sea": "sea",
    "ocean": "sea",
    "sound": "sea",
    "reef": "sea",
    "island": "sea",
    "isle": "sea",
    "rock": "sea",
    "rocks": "sea",
    "point": "sea",
    "cape": "sea",
    "strait": "sea",
    "forest": "forest",
    "wood": "forest",
    "woods": "forest",
    "grove": "forest",
    "mountain": "mountain",
    "mountains": "mountain",
    "peak": "mountain",
    "hill": "mountain",
    "hills": "mountain",
    "ridge": "mountain",
    "head": "mountain",
    "fell": "mountain",
    "cliffs": "mountain",
    "pass": "mountain",
    "street": "city",
    "avenue": "city",
    "lane": "city",
    "square": "city",
    "city": "city",
    "hall": "interior",
    "church": "interior",
    "chapel": "interior",
    "inn": "interior",
    "tavern": "interior",
    "house": "interior",
    "manor": "interior",
    "castle": "interior",
    "abbey": "interior",
    "hotel": "interior",
    "library": "interior",
    "hospital": "interior",
    "tower": "interior",
    "arms": "interior",
    "cave": "underground",
    "caves": "underground",
    "mine": "underground",
    "tunnel": "underground",
    "crypt": "underground",
    "desert": "desert",
    "dunes": "desert",
    "canyon": "desert",
    "mesa": "desert",
    "field": "field",
    "fields": "field",
    "meadow": "field",
    "farm": "field",
    "moor": "field",
    "glacier": "snow",
    "road": "road",
    "highway": "road",
    "station": "space",
    "patio": "city",
    "garden": "village",
    "yard": "village",
    "docks": "village",
    "lot": "city",
    "district": "city",
    "centre": "interior",
    "center": "interior",
    "arena": "field",
    "room": "interior",
    "office": "interior",
    "apartment": "interior",
    "prison": "interior",
    "school": "interior",
    "palace": "interior",
    "high": "interior",
    "academy": "interior",
    "college": "interior",
    "university": "interior",
    "institute": "interior",
}
PLACE_PREFIXES = {"port", "mount", "fort", "lake", "cape", "isle", "glen", "saint", "st", "new"}
PLACE_NAME_ENDINGS = (
    "mouth",
    "ton",
    "ville",
    "burg",
    "borough",
    "ford",
    "haven",
    "wick",
    "stead",
    "ham",
    "by",
    "shire",
    "port",
    "bridge",
    "dale",
    "field",
    "minster",
    "chester",
    "caster",
)
PLACE_PREPOSITIONS = {
    "in",
    "at",
    "into",
    "across",
    "near",
    "towards",
    "toward",
    "through",
    "beyond",
    "inside",
    "outside",
    "aboard",
    "onto",
    "around",
    "above",
    "below",
    "beneath",
    "off",
}

TIME_OF_DAY = Lexicon(
    {
        "dawn": tiered("dawn,sunrise,daybreak,first light", "morning,grey light,early"),
        "day": tiered("noon,midday,afternoon,daylight,sunlit,sunshine", "day,sun,bright"),
        "dusk": tiered("dusk,sunset,twilight,gloaming", "evening,fading light"),
        "night": tiered(
            "night,midnight,moonlight,tonight,nightly,nightfall", "dark,darkness,moon,stars,lantern"
        ),
    }
)
TIMES: tuple[TimeOfDay, ...] = ("dawn", "day", "dusk", "night")
SEASONS = ("winter", "summer", "autumn")


# --------------------------------------------------------------------------- scene mood

MOODS = Lexicon(
    {
        "ominous": tiered(
            "warning,omen,threat,menace,false,sinister", "shadow,watch,dark,storm,cold"
        ),
        "tense": tiered("confront,argue,accuse,threaten,trap,sabotage", "fight,hide,danger,refuse"),
        "frantic": tiered("run,race,scramble,shout,smash,collapse,crash,tear", "fire,wave,flood"),
        "melancholy": tiered("grief,mourn,alone,drowned,grave,memory,remember", "old,empty,last"),
        "mysterious": tiered("secret,strange,mystery,hidden,unknown,signal", "find,search,follow"),
        "hopeful": tiered("hope,dawn,rescue,safe,reunion,embrace,home", "light,warm,return"),
        "triumphant": tiered("triumph,victory,saved,cheer,survive,prevail", "rise,hero"),
        "tender": tiered("embrace,kiss,gentle,tender,love,letter", "quiet,smile,daughter"),
        "serene": tiered("calm,still,peace,serene,quiet", "sleep,gentle,morning"),
        "desperate": tiered("desperate,plead,beg,last chance,drown,no way", "alone,cannot,fail"),
    }
)
TONE_DEFAULT_MOOD = {
    "dark": "ominous",
    "hopeful": "hopeful",
    "melancholic": "melancholy",
    "suspenseful": "tense",
    "epic": "tense",
    "intimate": "tender",
    "eerie": "mysterious",
    "gritty": "tense",
    "whimsical": "serene",
    "triumphant": "triumphant",
}


# --------------------------------------------------------------------------- people

CAPITALISED_STOPWORDS = word_set(
    """
    a an the and but or nor so yet for when while as after before until if then there
    here this that these those it its he she they we you i me him her his hers their
    them our us my your who whom whose what which where why how all every each no not
    none one two three some many most few now still soon once only even just also
    meanwhile later monday tuesday wednesday thursday friday saturday sunday january
    february march may july september october november december spring summer autumn
    winter god christmas easter part act chapter prologue epilogue scene book volume int
    ext cut fade dissolve continued cont oh yes hello dear sir madam ok okay at in on by
    with from into onto of to up down out over under inside outside across through
    without within against between behind beyond above below near far its instead
    perhaps maybe years days nights weeks months ago tonight today tomorrow yesterday
    nobody everybody everyone someone anyone somebody anybody nothing everything something
    four five six seven eight nine ten eleven twelve twenty thirty forty fifty sixty seventy
    eighty ninety hundred thousand dad daddy mom mommy mum mummy husband wife grandparents
    grandma grandpa granny moms mums dads
    """
)
SENTENCE_OPENERS = word_set(
    """
    however since despite although though because unless whereas eventually finally
    suddenly meanwhile later afterwards afterward upon during following having being
    together soon unfortunately fortunately luckily ultimately initially well back along
    elsewhere nearby unable realizing realising hoping fearing knowing seeing desperate
    angry determined worried frustrated furious believing upset shortly next first second
    third last both neither either another other later thus hence therefore furthermore
    moreover nevertheless nonetheless instead otherwise indeed also besides rather
    following throughout among amongst amid beside toward towards like unlike save
    according due whilst whenever wherever whatever whoever though yes no
    """
)
"""Words that open a sentence in capitals without naming anyone ('However', 'Since')."""
NON_PERSON_WORDS = word_set(
    """
    american americans british english french german germans italian italians spanish
    russian russians chinese japanese korean indian indians african africans european
    asian arab arabs mexican mexicans canadian australian irish scottish welsh dutch
    swedish norwegian danish polish greek turkish persian egyptian israeli jewish jew
    jews muslim muslims christian christians catholic catholics protestant hindu hindus
    buddhist hispanic caucasian latino latina vietnamese thai filipino cuban brazilian
    argentine nazi nazis soviet soviets communist communists confederate confederates
    yankee yankees roman romans viking vikings zulu philistine philistines hebrew hebrews
    gujarati bengali punjabi tamil malayali telugu nri nazirite manchurian western eastern
    northern southern allied allies axis
    america africa europe asia australia antarctica arctic england britain scotland wales
    ireland france germany italy spain portugal russia china japan korea india pakistan
    afghanistan iran iraq israel egypt turkey greece mexico canada brazil argentina
    chile peru cuba vietnam cambodia thailand philippines indonesia malaysia nigeria
    kenya poland ukraine sweden norway denmark finland netherlands holland belgium
    switzerland austria hungary czechoslovakia yugoslavia manchuria korea tibet nepal
    mongolia siberia alaska texas california florida nebraska oregon washington arizona
    nevada colorado utah montana wyoming idaho ohio michigan illinois georgia virginia
    carolina kentucky tennessee alabama louisiana mississippi missouri kansas oklahoma
    iowa minnesota wisconsin indiana pennsylvania massachusetts maine vermont hawaii
    london paris rome berlin moscow tokyo beijing shanghai delhi mumbai bombay calcutta
    kolkata chennai madras bangalore hyderabad goa kerala punjab bengal kashmir sydney
    melbourne toronto
    vancouver chicago boston hollywood manhattan brooklyn vegas angeles francisco
    saigon hanoi bangkok cairo baghdad kabul tehran istanbul athens vienna prague warsaw
    budapest madrid barcelona lisbon amsterdam brussels dublin edinburgh glasgow
    liverpool manchester venice florence milan naples jerusalem gaza bethlehem babylon
    egypt johannesburg tobruk portland seattle detroit miami dallas houston atlanta
    philadelphia baltimore denver phoenix orleans
    war wars service services army navy police school schools university college show
    games company corporation corp inc ltd party church council committee district
    league team club clan gang tribe dynasty cartel syndicate academy festival olympics empire
    republic kingdom government
    ministry agency bureau department force forces corps revolution battle states union
    division regiment brigade squad unit hospital prison street road film films movie
    series season episode bible lord god heaven hell christmas easter holi diwali
    thanksgiving halloween ramadan eid new year internet tv radio nation nations
    mafia triad triads yakuza mob chechen chechens prohibition depression education review
    news
    """
)
"""Capitalised words that name peoples, countries, cities, organisations or events."""
WORLD_PLACES = word_set(
    """
    america africa europe asia australia antarctica arctic england britain scotland wales
    ireland france germany italy spain portugal russia china japan korea india pakistan
    afghanistan iran iraq israel egypt turkey greece mexico canada brazil argentina
    chile peru cuba vietnam cambodia thailand philippines indonesia malaysia nigeria
    kenya poland ukraine sweden norway denmark finland netherlands holland belgium
    switzerland austria hungary czechoslovakia yugoslavia manchuria tibet nepal
    mongolia siberia alaska texas california florida nebraska oregon washington arizona
    nevada colorado utah montana wyoming idaho ohio michigan illinois georgia virginia
    carolina kentucky tennessee alabama louisiana mississippi missouri kansas oklahoma
    iowa minnesota wisconsin indiana pennsylvania massachusetts maine vermont hawaii goa
    kerala punjab bengal kashmir
    """
)
"""Countries, continents and states: too wide to stage a scene in ('in Canada')."""
CITIES = word_set(
    """
    london paris rome berlin moscow tokyo beijing shanghai delhi mumbai bombay calcutta
    kolkata chennai madras bangalore hyderabad sydney melbourne toronto vancouver chicago
    boston hollywood manhattan brooklyn vegas angeles francisco saigon hanoi bangkok cairo
    baghdad kabul tehran istanbul athens vienna prague warsaw budapest madrid barcelona
    lisbon amsterdam brussels dublin edinburgh glasgow liverpool manchester venice
    florence milan naples jerusalem johannesburg portland seattle detroit miami dallas
    houston atlanta philadelphia baltimore denver phoenix orleans york aviv winnipeg
    """
)
"""Cities a scene can be staged in as a city street."""
HONORIFICS = word_set(
    """
    captain father mother sister brother doctor dr mr mrs ms miss lord lady sir dame
    professor sergeant detective inspector sheriff uncle aunt king queen prince princess
    commander colonel general agent officer reverend judge mayor old young saint
    lieutenant major admiral engineer pilot nurse constable chief deputy ensign corporal
    private doc prof sgt lt capt cpl gunnery senior
    """
)
MALE_HONORIFICS = {"father", "brother", "mr", "sir", "lord", "king", "prince", "uncle"}
FEMALE_HONORIFICS = {
    "mother",
    "sister",
    "mrs",
    "ms",
    "miss",
    "lady",
    "dame",
    "queen",
    "princess",
    "aunt",
}
FEMALE_PRONOUNS = {"she", "her", "hers", "herself"}
MALE_PRONOUNS = {"he", "him", "his", "himself"}
FEMALE_NOUNS = {
    "woman",
    "girl",
    "daughter",
    "mother",
    "wife",
    "widow",
    "sister",
    "niece",
    "aunt",
    "grandmother",
    "queen",
    "lady",
    "actress",
    "heroine",
    "girlfriend",
    "fiancee",
    "fiancée",
    "bride",
    "granddaughter",
    "stepmother",
    "stepdaughter",
    "princess",
    "housewife",
}
MALE_NOUNS = {
    "man",
    "boy",
    "son",
    "father",
    "husband",
    "widower",
    "brother",
    "nephew",
    "uncle",
    "grandfather",
    "king",
    "lord",
    "hero",
    "boyfriend",
    "fiance",
    "fiancé",
    "bridegroom",
    "grandson",
    "stepfather",
    "stepson",
    "prince",
}
PERSON_NOUNS = (
    FEMALE_NOUNS
    | MALE_NOUNS
    | word_set(
        """
    friend friends partner boss girlfriend boyfriend fiance fiancee fiancé fiancée cousin
    child children kid kids parents neighbour neighbor lover colleague assistant
    bodyguard servant slave master mentor rival ally student teacher pupil companion
    grandson granddaughter stepfather stepmother stepson stepdaughter named called
    """
    )
)
"""Words that stand just before a person's name ('her husband Pat', 'a man called Jack')."""

VILLAIN_WORDS = word_set(
    """
    wrecker wreckers smuggler smugglers kill kills killed murder murders murdered threat
    threatens threatened betray betrays betrayed lie lies lied cruel greedy scheme
    schemes plot plots sabotage sabotages sabotaged enemy menace ruthless corrupt
    blackmail blackmails poison poisons destroy destroys cult hunts hunted sinister
    villain false lure lures lured salvage insurance wants seize seizes steal steals
    stole frame frames framed tyrant traitor wrecking insured ransom trap traps trapped
    drag drags dragged
    """
)
GOAL_MARKERS = (
    "must",
    "has to",
    "needs to",
    "sets out to",
    "vows to",
    "fights to",
    "struggles to",
    "tries to",
    "decides to",
    "resolves to",
    "swears to",
    "races to",
    "wants to",
    "is determined to",
)


# --------------------------------------------------------------------------- phrasing

FUNCTION_WORDS = word_set(
    """
    a an the of to in on at by for with from into onto and or but nor as that which who
    whose whom where when while if than his her its their our my your is are was were be
    been being has have had will would can could must should shall may might do does did
    not no every each this these those some any very so just only also then through
    across toward towards over under between against after before until about around
    behind beyond inside outside upon without within she he they it we i you there here
    whether because though although since once almost even still more most such what how
    why another other own same too plus
    """
)
BREAK_WORDS = word_set(
    """
    and but or as while when where which who whose because though although since until
    before after if so yet with without through across towards toward into onto from at
    in on for against over under beyond behind around during of to that than like
    """
)
ABSTRACT_WORDS = {
    "think",
    "know",
    "realise",
    "realize",
    "believe",
    "decide",
    "learn",
    "want",
    "feel",
    "understand",
    "wonder",
    "suspect",
    "hope",
    "seem",
    "plan",
    "agree",
    "refuse",
}
VISUAL_WORDS = tiered(
    "storm,fire,flame,light,lamp,lantern,wave,waves,rain,fog,mist,smoke,blood,sword,gun,"
    "tower,stairs,door,window,cliff,cliffs,ship,boat,beacon,sea,forest,snow,sky,moon,candle",
    "climb,run,stand,fall,burn,shatter,crash,walk,stare,reach,hold,carry,row,swim,break,"
    "open,light,rise,kneel,watch,face,hands,eyes,rope,rock,rocks,road,street,crowd,hull",
)
LITANY_NOUNS = {
    "storm",
    "light",
    "fire",
    "night",
    "ship",
    "chance",
    "choice",
    "signal",
    "life",
    "promise",
    "secret",
    "truth",
    "lie",
    "flame",
    "beacon",
    "key",
    "name",
    "door",
}
"""Nouns that read well in 'One storm. One light.'"""
DRAMATIC_NOUNS = (
    "storm",
    "light",
    "fire",
    "night",
    "ship",
    "sea",
    "truth",
    "secret",
    "chance",
    "war",
    "signal",
    "choice",
    "promise",
    "lie",
    "flame",
    "beacon",
    "life",
    "home",
    "world",
    "enemy",
    "winter",
    "darkness",
    "tide",
    "bell",
    "door",
    "key",
    "name",
    "crew",
    "tower",
    "lamp",
)


# --------------------------------------------------------------------------- trailer grammar

IRREGULAR_FINITE_VERBS = word_set(
    """
    is are was were am has have had does did do can could will would must shall should may
    might cannot can't won't isn't aren't wasn't weren't doesn't didn't hasn't haven't
    hadn't couldn't wouldn't became began bit blew broke brought built bought caught chose
    came cut dealt did drew drank drove ate fell fed felt fought found fled flew forgot
    forgave froze got gave went grew hung heard hid hit held hurt kept knew laid led left
    lent let lay lost made meant met paid put quit read rode rang rose ran said saw sought
    sold sent set shook shot showed shut sang sank sat slept slid spoke spent spun stood
    stole stuck struck swore swept swam swung took taught tore told thought threw understood
    woke wore won wrote
    """
)
"""Finite forms that do not end in -s or -ed ('Mara fell', 'they are')."""
OUTCOME_PHRASES = (
    r"dies",
    r"die",
    r"died",
    r"is killed",
    r"are killed",
    r"was killed",
    r"kills",
    r"shoots",
    r"shot dead",
    r"buried",
    r"funeral",
    r"reunited",
    r"reunites",
    r"marries",
    r"married",
    r"wedding",
    r"executed",
    r"suicide",
    r"arrested",
    r"defeats",
    r"defeated",
    r"rescued",
    r"survives",
    r"survived",
    r"escapes",
    r"sacrifices",
    r"wins",
    r"won",
    r"is saved",
    r"are saved",
    r"returns home",
    r"happily",
    r"death",
    r"dead",
    r"freed",
    r"forgives",
    r"confesses",
    r"is revealed",
)
"""Words that tell an outcome; past the story's opening they mark its resolution."""
RESOLUTION_PHRASES = (
    r"finally",
    r"in the end",
    r"eventually",
    r"ultimately",
    r"at last",
    r"at the end",
    r"ends with",
    r"the end of the film",
    r"the film ends",
    r"the movie ends",
    r"epilogue",
    r"years later",
    r"lived happily",
    r"from then on",
)
"""Cues that a sentence tells how the story ends, wherever it stands."""


# --------------------------------------------------------------------------- title and tagline

EVENT_NOUNS = word_set(
    """
    games game cup championship tournament contest race trial trials war wars festival
    olympics heist derby rally marathon competition battle siege games league bowl prize
    expedition mission project operation affair incident massacre raid invasion revolution
    rebellion uprising show pageant
    """
)
"""Last words of a proper name that make it the thing a story turns on ('the Hunger Games')."""
GENERIC_TITLE_WORDS = word_set(
    """
    a an the of and in on at to for with from by or
    president king queen prince princess judge police army navy government church state
    city town village north south east west first second third last good bad new old
    captain doctor father mother sister brother lord lady sir mr mrs miss general colonel
    """
)
"""Words that make a name generic rather than distinctive ('the President', 'the North')."""
LIGHT_GENRES = {"comedy", "family", "romance"}
"""Genres whose taglines must not be grim."""
NOUN_TAGLINES = {
    "light": "Keep the light burning.",
    "lamp": "Keep the light burning.",
    "beacon": "Keep the light burning.",
    "storm": "Survive the storm.",
    "sea": "The sea takes everything.",
    "signal": "Answer the signal.",
    "fire": "Walk through the fire.",
    "winter": "Outlast the winter.",
    "secret": "Every secret has a keeper.",
    "war": "No one comes home the same.",
    "tide": "The tide always turns.",
}
"""A story's dominant image as a tagline, for the genres it suits."""
GENRE_TAGLINES: dict[str, tuple[str, ...]] = {
    "action": (
        "No rules. No mercy. No way back.",
        "One shot is all it takes.",
        "Hit hard. Run fast.",
        "The odds have never been worse.",
    ),
    "comedy": (
        "What could possibly go wrong?",
        "Trouble never had it so good.",
        "It seemed like a good idea at the time.",
        "Some plans are too crazy to fail.",
    ),
    "family": (
        "Every adventure starts at home.",
        "The best friends are the unexpected ones.",
        "Big hearts come in all sizes.",
    ),
    "romance": (
        "Some hearts are worth the risk.",
        "Love never follows the plan.",
        "Two lives. One chance.",
    ),
    "drama": (
        "Some bonds never break.",
        "Everyone pays for the past.",
        "Every choice has a price.",
    ),
    "thriller": (
        "Trust no one.",
        "The truth has a body count.",
        "Nowhere is safe.",
    ),
    "mystery": (
        "Every secret has a keeper.",
        "The truth is closer than it seems.",
        "Nothing is what it seems.",
    ),
    "crime": (
        "Everything has a price.",
        "Every deal has a catch.",
        "Crime always collects.",
    ),
    "horror": (
        "What the dark takes, it keeps.",
        "Some doors should stay closed.",
        "No one hears you here.",
    ),
    "sci-fi": (
        "The future is not empty.",
        "Beyond the edge, something is waiting.",
        "No signal. No rescue. No return.",
    ),
    "fantasy": (
        "Every legend begins with a choice.",
        "Magic always has a price.",
        "The old world is waking.",
    ),
    "adventure": (
        "The journey is only the beginning.",
        "Go further than anyone dared.",
        "Fortune favours the bold.",
    ),
    "war": (
        "No one comes home the same.",
        "Brothers in arms. Strangers at home.",
        "Every war is fought by someone's child.",
    ),
    "western": (
        "Justice rides alone.",
        "Out here, the law is a rumour.",
        "Every debt comes due.",
    ),
}
"""Taglines by lead genre; the first of each set fits most stories of that genre."""
TONE_TAGLINES: dict[str, tuple[str, ...]] = {
    "dark": ("What the dark takes, it keeps.",),
    "hopeful": ("Hope is the last light.",),
    "melancholic": ("Some things are never forgotten.",),
    "eerie": ("Something is listening.",),
    "epic": ("Legends are not born. They are forged.",),
    "triumphant": ("Never give up.",),
    "gritty": ("Nothing comes clean.",),
}

TEASES = (
    "There is no way back.",
    "Everything comes down to this.",
    "One last chance.",
    "For {hero}, nothing will ever be the same.",
    "Time is running out.",
    "Nothing is what it seems.",
    "Every choice has a price.",
    "{hero} has one chance left.",
    "No one walks away unchanged.",
    "{hero} is running out of time.",
    "There is nowhere left to hide.",
    "No one is coming to help.",
    "Some lines cannot be uncrossed.",
    "The truth is only the beginning.",
    "Everyone has something to lose.",
    "Nothing will stop what is coming.",
    "This is where it ends.",
    "One chance. One choice.",
    "Nothing stays buried forever.",
    "Every step costs more than the last.",
    "The clock is already ticking.",
    "No one can be trusted.",
    "Some promises are made to be broken.",
    "There is no turning back now.",
    "It only gets harder from here.",
    "Everything is about to change.",
    "Not everyone will make it.",
    "The past is never far behind.",
    "This time, there are no second chances.",
    "Hold on to what matters.",
)
"""Trailer fragments for climax and tag lines that must not tell the outcome."""
