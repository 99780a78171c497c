"""Procedural foley synthesiser: the training corpus of the bundled model (DESIGN §7).

`synthesize(label, seed)` makes one clip of one of the 24 classes, deterministically from the seed:
the class's own physical model (footstep grains, modal knocks, droplets, swept noise…) with per-seed
surface, size, speed and count, then a distance (level, air absorption, reverb share) and a room
(outdoors, small room, large hall), and a caption drawn from the class's templates and modifiers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from foleykit.synth import dsp
from foleykit.synth.sounds import GENERATORS, Scene

CLASSES: tuple[str, ...] = tuple(GENERATORS)
DEFAULT_SAMPLE_RATE = 24000
DEFAULT_DURATION = 4.0
MIN_DURATION = 1.0  # shorter clips would cut off the rhythmic classes (steps, beats, chirps) entirely

OUTDOOR_ONLY = {"thunder", "rain", "wind", "bird_chirp", "explosion"}
# doors are in buildings: their clips always ring in a room, and a plain door prompt should still mean one, so they
# name it 70 % of the time (the judge hears a dry synthesised slam as a wood impact, one in a large hall as a slam:
# session 43)
INDOOR_ONLY = {"door_knock", "door_slam", "door_creak"}
DISTANCES = {"close": (1.0, None, 0.0), "medium": (0.6, 10000.0, 0.1), "distant": (0.3, 3500.0, 0.3)}
# (rt60 s, wet share). reverberate scales the tail to the dry sound's peak, so a click's tail holds far more energy
# than the click and a hall is very wet: at 2 s / 0.45 the tails of drips and steps joined into a rumble the
# independent judge heard as thunder (session 42, bench/synth_realism.py: door slams 7 -> 31 of 60 at 1 s / 0.3).
ROOMS = {"outdoors": (0.0, 0.0), "small room": (0.4, 0.25), "large hall": (1.0, 0.3)}
NUMBER_WORDS = {1: "a", 2: "two", 3: "three", 4: "four", 5: "five"}
TIMES = {1: "once", 2: "twice", 3: "three times", 4: "four times", 5: "five times"}
ADVERBS = {"slow": "slowly", "fast": "quickly", "": ""}

TEMPLATES: dict[str, tuple[str, ...]] = {
    "footsteps_gravel": ("{speed} footsteps on gravel", "someone walking {adv} on gravel", "gravel footsteps"),
    "footsteps_wood": ("{speed} footsteps on a wooden floor", "someone walking {adv} on wooden floorboards", "footsteps on wood"),
    "footsteps_concrete": ("{speed} footsteps on concrete", "hard shoes walking {adv} on a concrete floor", "footsteps on pavement"),
    "door_knock": ("{count_word} knock{plural} on a wooden door", "someone knocking on a door {times}", "door knocking"),
    "door_slam": ("a {size} door slams shut", "door slam", "a door being slammed"),
    "door_creak": ("a door creaking open {adv}", "creaky door", "an old wooden door creaks"),
    "glass_shatter": ("{size} glass shattering", "a glass breaking", "window glass smashes"),
    "thunder": ("{size} thunder", "a thunderclap", "thunder in a storm"),
    "rain": ("{size} rain", "rain falling", "{size} rainfall"),
    "wind": ("{size} wind blowing", "wind howling", "gusts of wind"),
    "water_drip": ("water dripping {adv}", "drops of water dripping", "a leaking tap dripping"),
    "fire_crackle": ("a {size} fire crackling", "crackling campfire", "fire burning"),
    "whoosh": ("a {speed} whoosh", "something swooshing past {adv}", "whoosh transition"),
    "metal_clang": ("a {size} metal clang", "hitting a metal pipe", "metallic clang"),
    "wood_impact": ("wood hit {times}", "a stick hitting wood {times}", "wooden impact"),
    "punch_impact": ("a {size} punch", "a punch impact", "a fist hitting a body"),
    "bell": ("a {size} bell ringing", "a bell rings {times}", "bell chime"),
    "beep": ("{count_word} {size} beep{plural}", "an electronic beep", "beeping {times}"),
    "engine_idle": ("a {size} engine idling", "car engine running at idle", "idling motor"),
    "explosion": ("a {size} explosion", "an explosion", "a bomb blast"),
    "keyboard_typing": ("{speed} typing on a keyboard", "someone typing {adv} on a computer keyboard", "keyboard clicks"),
    "bird_chirp": ("a {size} bird chirping", "birds singing", "bird chirps"),
    "clock_tick": ("a clock ticking", "{speed} ticking of a clock", "clock tick tock"),
    "heartbeat": ("a {speed} heartbeat", "heart beating {adv}", "heartbeat thumping"),
}  # fmt: skip


@dataclass(frozen=True)
class SynthClip:
    label: str
    caption: str
    audio: np.ndarray  # float32 mono
    sample_rate: int
    seed: int
    params: dict[str, Any] = field(default_factory=dict)


def fill_template(template: str, descriptors: dict[str, Any]) -> str:
    """A class template with a clip's descriptors (speed, size, count) put in, articles agreed."""
    count = int(descriptors.get("count", 1))
    speed = descriptors.get("speed", "")
    text = template.format(
        speed=speed,
        adv=ADVERBS.get(speed, ""),
        size=descriptors.get("size", ""),
        count_word=NUMBER_WORDS.get(count, str(count)),
        plural="" if count == 1 else "s",
        times=TIMES.get(count, f"{count} times"),
    )
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"\ba ([aeiou])", r"an \1", text)


def caption(label: str, descriptors: dict[str, Any], rng: np.random.Generator) -> str:
    """A caption from one of the class's templates, with distance and room modifiers. A room's reverb is always
    named, so a caption without a room means no room's reverb, as a sound-effects library's plain entries and its
    recordings have none (the independent judge hears reverberant steps, punches and wood impacts as slams,
    thunder or metal: session 43). Two exceptions: doors always ring in a room and name it 70 % of the time, and a
    distant outdoor-only sound has its open-air echo; "outdoors" is said 30 % of the time."""
    templates = TEMPLATES[label]
    if "count" in descriptors and descriptors["count"] > 1:
        counted = [t for t in templates if "{count_word}" in t or "{times}" in t]
        templates = tuple(counted) or templates  # say the count when there is more than one
    text = fill_template(templates[int(rng.integers(len(templates)))], descriptors)
    distance, room = descriptors["distance"], descriptors["room"]
    if distance == "distant" and rng.random() < 0.7:
        text = f"{text}, {'in the distance' if rng.random() < 0.5 else 'far away'}"
    elif distance == "close" and rng.random() < 0.3:
        text = f"{text}, up close"
    if room == "outdoors":
        named = 0.3
    elif label in INDOOR_ONLY:
        named = 0.7
    else:
        named = 1.0
    if rng.random() < named:
        text = f"{text}, {'outdoors' if room == 'outdoors' else 'in a ' + room}"
    return text


def synthesize(
    label: str, seed: int, duration: float = DEFAULT_DURATION, sample_rate: int = DEFAULT_SAMPLE_RATE
) -> SynthClip:
    """One clip of class `label`; the same (label, seed, duration, rate) always gives the same samples."""
    if label not in GENERATORS:
        raise ValueError(f"unknown class {label!r}; classes: {', '.join(CLASSES)}")
    if duration < MIN_DURATION:
        raise ValueError(f"synthesised clips are at least {MIN_DURATION} s long, got {duration}")
    rng = np.random.default_rng([seed, CLASSES.index(label)])
    scene = Scene(rng, sample_rate, duration)
    dry, descriptors = GENERATORS[label](scene)

    distance = scene.pick(list(DISTANCES))
    if label in OUTDOOR_ONLY:
        rooms = ["outdoors"]
    elif label in INDOOR_ONLY:
        rooms = [name for name in ROOMS if name != "outdoors"]
    else:
        rooms = list(ROOMS)
    room = scene.pick(rooms)
    level, air_cutoff, distance_wet = DISTANCES[distance]
    rt60, room_wet = ROOMS[room]
    rt60 *= scene.u(0.8, 1.25)
    wet = min(room_wet + distance_wet, 0.7) if rt60 > 0 else 0.0
    audio = dsp.bandpass(dry, sample_rate, None, air_cutoff, order=2) if air_cutoff else dry
    if label in OUTDOOR_ONLY and distance == "distant":
        rt60, wet = 1.2, 0.3  # open-air echo from far away
    audio = dsp.reverberate(audio, rng, sample_rate, rt60, wet)
    audio = dsp.fade_edges(dsp.normalise_peak(audio, 0.89 * level * scene.u(0.8, 1.0)), sample_rate)
    descriptors = {**descriptors, "distance": distance, "room": room}
    return SynthClip(
        label=label,
        caption=caption(label, descriptors, rng),
        audio=audio.astype(np.float32),
        sample_rate=sample_rate,
        seed=seed,
        params={**descriptors, "rt60": round(rt60, 3), "wet": round(wet, 3)},
    )


def room_named(caption_text: str) -> str | None:
    """The room a caption names (a key of `ROOMS`, "outdoors" included), or None: a caption without one means no
    room's reverb (see `caption`)."""
    return next((name for name in ROOMS if re.search(rf"\b{name}\b", caption_text)), None)


__all__ = [
    "CLASSES",
    "INDOOR_ONLY",
    "OUTDOOR_ONLY",
    "ROOMS",
    "TEMPLATES",
    "SynthClip",
    "caption",
    "fill_template",
    "room_named",
    "synthesize",
]
