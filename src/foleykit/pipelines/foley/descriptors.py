"""The speed and count a text states in so many words, so that a prompt's anchor does not say the opposite;
the surface it names (gravel, stone, wood), so that its anchor names no other; and whether it asks for a
speed, count, distance or space at all, so that such a prompt keeps more of the guidance for its own words.

Sentence similarity ranks "footsteps running on gravel" nearest to "footsteps on gravel, slow" (the shared
nouns weigh more than one adverb), and of the bundled list's plain captions "footsteps walking on rock" (a
concrete walk) nearest to "footsteps on gravel"; an anchor with most of the guidance would then undo the word
the user chose. A prompt that asks for a distance or a space ("far away", "in a large hall") needs its own
words as much: `modifies` says so, and the pipeline then gives its anchor the smaller share. No maintained
library tags English sound descriptions with these, so they are short word lists written by hand (English
only); a text that names both speeds, or two counts, states neither (`stated`) but still asks for them
(`modifies`), and one that names two surfaces names none (`surface`). The surface lists also read what is
struck or burnt ("a stone fireplace" names stone), which keeps such a prompt from another material's caption.
`gait`, `step_count` and `event_count` read what a take must hold: a walk or one step (walks.py), and how many
steps or events (counts.py).
"""

from __future__ import annotations

import re

SPEEDS = {
    "slow": frozenset({
        "slow", "slowly", "slower", "leisurely", "stroll", "strolling", "strolls", "lazy", "lazily",
        "creeping", "creeps", "tiptoe", "tiptoeing", "sneaking", "sneaks", "unhurried",
    }),
    "fast": frozenset({
        "fast", "faster", "quick", "quickly", "rapid", "rapidly", "running", "runs", "run", "jogging", "jogs",
        "jog", "sprinting", "sprints", "sprint", "racing", "hurried", "hurrying", "rushing",
    }),
}  # fmt: skip
RUNNING = frozenset({"run", "runs", "running"})
# "an engine running", "running water": running that is not a gait, so no speed
NOT_A_GAIT = frozenset({
    "engine", "engines", "motor", "motors", "generator", "idle", "idling", "water", "tap", "faucet",
    "stream", "river", "fan", "machine", "toilet",
})  # fmt: skip
COUNTS = {
    "once": 1, "one": 1, "single": 1, "twice": 2, "two": 2, "thrice": 3, "three": 3, "four": 4,
    "five": 5, "six": 6,
}  # fmt: skip
# where the sound is heard from and in: words that change the take's level, filtering and echo
PLACES = frozenset({
    "distant", "distance", "far", "faraway", "afar", "nearby", "closeup", "room", "rooms", "hall", "halls",
    "hallway", "hallways", "corridor", "corridors", "cave", "caves", "cathedral", "church", "tunnel",
    "tunnels", "stairwell", "warehouse", "garage", "indoors", "indoor", "inside", "outdoors", "outdoor",
    "outside", "echo", "echoes", "echoed", "echoing", "echoey", "reverb", "reverberant", "reverberating",
    "reverberation", "muffled",
})  # fmt: skip
# the places among them where a sound rings (a room's, a hall's, a cave's echo), not how far or where outdoors
RINGING_PLACES = PLACES - {
    "distant", "distance", "far", "faraway", "afar", "nearby", "closeup", "outdoors", "outdoor", "outside",
    "muffled",
}  # fmt: skip
# the ground a step lands on or a blow strikes: surfaces that sound apart (a walk on gravel crunches, on stone
# it clicks, on wood it knocks), so a prompt that names one is not anchored to a caption naming another
SURFACES = {
    "gravel": frozenset({
        "gravel", "pebble", "pebbles", "pebbly", "grit", "gritty", "shingle", "stony", "stones",
    }),  # "loose stones", "small stones": gravel; "stone" alone is a floor or a wall
    "stone": frozenset({
        "stone", "concrete", "pavement", "pavements", "sidewalk", "sidewalks", "asphalt", "tarmac",
        "tile", "tiles", "tiled", "marble", "rock", "rocks", "cobblestone", "cobblestones", "cobbled",
        "flagstones",
    }),
    "wood": frozenset({
        "wood", "wooden", "hardwood", "floorboard", "floorboards", "boards", "timber", "plank", "planks",
        "parquet", "porch",
    }),
}  # fmt: skip
# a sequence of steps: steps in the plural, or a gait (for "running", see RUNNING and NOT_A_GAIT)
WALKING = frozenset({
    "footsteps", "steps", "footfalls", "walk", "walks", "walking", "walked", "run", "runs", "running",
    "jog", "jogs", "jogging", "pace", "paces", "pacing", "stroll", "strolls", "strolling", "march",
    "marches", "marching", "shuffle", "shuffles", "shuffling", "stomping", "tiptoeing", "sneaking",
    "creeping", "trudging", "treading", "sprinting", "striding", "wandering", "limping",
})  # fmt: skip
# a gait that is not a person's ("a horse walking on cobblestones", "a dog running", "a marching band"): the
# footsteps classes' walks are people's, so such a text asks for no walk of theirs, unless it also names the
# person or their feet ("a man walking his dog", "footsteps and a dog barking")
NOT_FOOTSTEPS = frozenset({
    "horse", "horses", "pony", "ponies", "hoof", "hooves", "hoofbeats", "donkey", "mule", "cattle", "cow",
    "cows", "sheep", "goat", "goats", "deer", "elephant", "elephants", "dog", "dogs", "puppy", "cat", "cats",
    "paw", "paws", "animal", "animals", "band", "drum", "drums", "drummer", "music", "song",
})  # fmt: skip
PEOPLE = frozenset({
    "footsteps", "footstep", "footfalls", "man", "men", "woman", "women", "person", "people", "someone",
    "somebody", "child", "children", "kid", "kids", "boy", "girl", "soldier", "soldiers", "boots", "shoes",
    "heels", "sneakers", "barefoot",
})  # fmt: skip
# one step: an article or "single" before a step in the singular ("a footstep", "a crunching step", "a
# hard-soled footstep"), or "stepping" ("someone stepping on gravel": the corpus's captions of single steps)
_ONE_STEP = re.compile(
    r"\b(?:a|one|single)\s+(?:[a-z-]+\s+){0,2}?(?:footstep|step|footfall|stomp)\b|\bstepping\b"
)
_UP_CLOSE = re.compile(r"\b(?:up[\s-]+close|close[\s-]+up)\b")
_PACE_OR_COUNT = frozenset().union(*SPEEDS.values(), COUNTS)
_WORD = re.compile(r"[a-z]+")
_AT_ONCE = re.compile(r"\bat once\b")  # "all at once" is no count


def _words(text: str) -> set[str]:
    """The text's words, lower-case, without "at once" and without a "running" that is no gait."""
    words = set(_WORD.findall(_AT_ONCE.sub(" ", text.lower())))
    return words - RUNNING if words & NOT_A_GAIT else words


def stated(text: str) -> dict[str, object]:
    """{"speed": "slow" | "fast", "count": n}, each only where the text states it in a word of the lists
    above, and unambiguously ("a knock" states no count: only words are read, not articles)."""
    words = _words(text)
    speeds = {name for name, listed in SPEEDS.items() if words & listed}
    counts = {COUNTS[word] for word in words & COUNTS.keys()}
    return {
        **({"speed": next(iter(speeds))} if len(speeds) == 1 else {}),
        **({"count": next(iter(counts))} if len(counts) == 1 else {}),
    }


def surface(text: str) -> str | None:
    """The one surface of SURFACES a text names ("footsteps on gravel": "gravel"); None where it names none,
    or two ("a stone hitting wood": what is struck is not said in words these lists read)."""
    words = _words(text)
    named = [name for name, listed in SURFACES.items() if words & listed]
    return named[0] if len(named) == 1 else None


def gait(text: str) -> str | None:
    """What a text asks of steps: "walk" for a sequence ("footsteps on gravel", "someone running"), "step"
    for one ("a footstep on gravel"), None for neither ("gravel crunching", "a door slam", and a gait that
    is not a person's: "a horse walking", "a marching band", where no person or foot is named)."""
    words = _words(text)
    if words & NOT_FOOTSTEPS and not words & PEOPLE:
        return None
    if words & WALKING:
        return "walk"
    return "step" if _ONE_STEP.search(text.lower()) else None


# a count reads as the take's only where the text names one sound ("three knocks and a door creaking open",
# "a gunshot, then two more gunshots", "walks to the door and knocks twice": none), and not as a rate ("beeping
# twice a second", "once every minute") or a conjunction ("once the door opens")
_MORE_THAN_ONE_SOUND = re.compile(r"\b(?:and|then|followed|while|before|after|until|plus|as)\b")
_NOT_A_RATE = r"(?!\s+(?:a|an|per|every|each|more|again|upon)\b)"  # "once more": how many in all?
_NOT_A_CONJUNCTION = r"(?<=[a-z,]\s)"  # "once" starting a text starts a clause
# "walking three times around the room", "driving twice round the block": laps, not sounds (but "a ball
# bounces three times down the stairs", "a dog barks twice through the wall" count)
_NOT_A_PATH = r"(?!,?\s+(?:around|round|in\s+(?:a\s+)?circles?|laps?)\b)"
_TIMES = ("once", "twice", "thrice")
_TIMES_TAIL = _NOT_A_RATE + _NOT_A_PATH  # what may not follow "N times" or "twice" that counts sounds
# "twice", "once", "thrice" as a count, in steps and in events alike
_ONCE_TWICE = rf"{_NOT_A_CONJUNCTION}\b({'|'.join(_TIMES)})\b(?!\s+as\b){_TIMES_TAIL}"


def _one_sound(text: str) -> bool:
    return not _MORE_THAN_ONE_SOUND.search(_AT_ONCE.sub(" ", text.lower()))


_STEPS_COUNTED = re.compile(
    r"\b(" + "|".join(COUNTS) + r")(?!\s+(?:times\s+)?as\b)\s+"
    r"(?:(?:[a-z-]+\s+){0,2}?(?:foot)?(?:steps?|falls?)\b|times\b" + _TIMES_TAIL + r")"
    r"|" + _ONCE_TWICE
)  # "twice as fast footsteps", "three times as loud": no count


def step_count(text: str) -> int | None:
    """How many steps a text asks for, where a count word names them ("three footsteps", "two heavy steps",
    "stomping twice", "footsteps, three times"); None where it names none or counts something else ("two people walking")."""
    if not _one_sound(text):
        return None
    counts = {COUNTS[a or b] for a, b in _STEPS_COUNTED.findall(_AT_ONCE.sub(" ", text.lower()))}
    return next(iter(counts)) if len(counts) == 1 else None


# sounds a text can count ("three knocks", "a single beep", "two gunshots"), in the singular; the plural adds -s or -es
EVENT_NOUNS = (
    "knock", "rap", "tap", "bang", "beep", "bleep", "ding", "chime", "ring", "toll", "strike", "hit", "blow",
    "thud", "thump", "clap", "shot", "gunshot", "drop", "drip", "droplet", "slam", "punch", "kick", "clang",
    "clank", "crack", "explosion", "blast", "boom", "bark", "chirp", "click", "whack", "smack", "slap",
    "stomp", "footstep", "step", "footfall",
)  # fmt: skip
_SINGULAR = "|".join(EVENT_NOUNS)
_PLURAL = "|".join(noun + ("es" if noun.endswith(("ch", "sh")) else "s") for noun in EVENT_NOUNS)
_NUMBERS = {
    **{word: value for word, value in COUNTS.items() if word not in _TIMES}, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10,
}  # fmt: skip
_MANY = "|".join([*(word for word, value in _NUMBERS.items() if value > 1), "10", "[2-9]"])
_COUNT_WORDS = {**_NUMBERS, **COUNTS}
# up to two words between a count and its sound ("three sharp raps", "two short electronic beeps"), but not
# what makes the sound ("two boxers trading punches"), nor a unit or a compound ("three second beeps", "a two
# tone beep")
_BETWEEN = r"(?:(?![a-z-]*ing\b|[a-z-]*[^s\s]s\b|(?:second|minute|hour|tone|way)s?\b)[a-z-]+\s+){0,2}?"
_EVENTS_COUNTED = re.compile(
    rf"\b(?:(one|single|1)\s+{_BETWEEN}(?:{_SINGULAR})\b{_NOT_A_RATE}"
    rf"|({_MANY})\s+{_BETWEEN}(?:{_PLURAL})\b{_NOT_A_RATE}"
    rf"|({_MANY})\s+times\b(?!\s+as\b){_TIMES_TAIL})"
    rf"|{_ONCE_TWICE}"
)  # "twice as loud", "three times as fast": no count


def event_count(text: str) -> int | None:
    """How many events a text asks for, where it counts sounds it names ("three knocks on a door", "a single
    beep", "2 gunshots") or times ("a bell tolling four times", "knocking twice"); None where it counts
    none, counts what makes the sound ("two people", "two boxers trading punches", "single drops": drops in
    the plural after "single"), gives a rate ("twice a second"), names more than one sound ("three knocks and
    a door creaking open", "a gunshot, then two more"), or gives two counts."""
    if not _one_sound(text):
        return None
    found = _EVENTS_COUNTED.findall(_AT_ONCE.sub(" ", text.lower()))
    counts = {
        int(word) if word.isdigit() else _COUNT_WORDS[word] for match in found for word in match if word
    }
    return next(iter(counts)) if len(counts) == 1 else None


def take_count(text: str) -> int | None:
    """How many events a take of `text` must hold: for a text that asks for steps (`gait`), the steps it counts
    (`step_count`: "footsteps and two knocks" counts no steps); else the events it counts (`event_count`)."""
    return step_count(text) if gait(text) else event_count(text)


def contradicts(prompt: dict[str, object], caption: dict[str, object]) -> bool:
    """Whether a caption states another speed or count than the prompt does (silence is no contradiction)."""
    return any(key in caption and caption[key] != value for key, value in prompt.items())


def names_place(text: str) -> bool:
    """Whether a text says where the sound is heard from or in (PLACES, "up close"): a caption that does
    describes a recording's room as much as its sound."""
    return bool(_UP_CLOSE.search(text.lower())) or bool(_words(text) & PLACES)


def names_ringing_place(text: str) -> bool:
    """Whether a text places its sound where it rings (RINGING_PLACES: "in a large hall", "in a cave",
    "echoing"): a caption that does describes the room's reverb as much as the sound."""
    return bool(_words(text) & RINGING_PLACES)


def modifies(text: str) -> bool:
    """Whether a text asks for a speed, a count, a distance or a space (a hall, far away, echoing): words
    that a nearest caption seldom shares, so the prompt's own embedding has to carry them."""
    return names_place(text) or bool(_words(text) & _PACE_OR_COUNT)
