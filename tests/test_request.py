"""SoundRequest validation: every bad field is refused with a message that names it."""

from __future__ import annotations

import math

import pytest

from foleykit import BadInputError, SoundRequest
from foleykit.request import slugify


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"prompt": ""}, "prompt is empty"),
        ({"prompt": "   "}, "prompt is empty"),
        ({"duration": 0}, "duration"),
        ({"duration": -1.5}, "duration"),
        ({"duration": math.nan}, "duration"),
        ({"duration": math.inf}, "duration"),
        ({"takes": 0}, "takes"),
        ({"takes": -2}, "takes"),
        ({"takes": True}, "takes"),
        ({"takes": 1.5}, "takes"),
        ({"steps": 0}, "steps"),
        ({"steps": -5}, "steps"),
        ({"guidance": -1.0}, "guidance"),
        ({"guidance": math.nan}, "guidance"),
        ({"anchor_weight": 1.01}, "anchor weight must be a number from 0"),
        ({"anchor_weight": -0.1}, "anchor weight"),
        ({"anchor_weight": math.nan}, "anchor weight"),
        ({"anchor_weight": True}, "anchor weight"),
        ({"anchor_weight": "0.5"}, "anchor weight"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.0}, "seed"),
        ({"loudness": 3.0}, "loudness"),
        ({"seeds": (1, 2), "takes": 3}, "2 seeds given for 3 takes"),
        ({"seeds": (4, 4), "takes": 2}, "differ"),
        ({"model": ""}, "model name is empty"),
    ],
)
def test_bad_fields_are_refused(fields: dict, message: str) -> None:
    base = {"prompt": "door slam"}
    with pytest.raises(BadInputError, match=message):
        SoundRequest(**{**base, **fields})


def test_take_k_uses_seed_plus_k_minus_one() -> None:
    request = SoundRequest("rain", takes=3, seed=41).with_seeds()
    assert request.take_seeds() == (41, 42, 43)
    assert request.file_name(2, 42) == "rain_t2_s42.wav"


def test_explicit_seeds_are_kept_and_random_seeds_are_drawn_once() -> None:
    assert SoundRequest("rain", takes=2, seeds=(7, 3)).with_seeds().take_seeds() == (7, 3)
    drawn = SoundRequest("rain", takes=4).with_seeds()
    seeds = drawn.take_seeds()
    assert len(set(seeds)) == 4 and seeds == tuple(range(seeds[0], seeds[0] + 4))
    assert drawn.with_seeds().take_seeds() == seeds


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Footsteps on gravel, slow", "footsteps_on_gravel_slow"),
        ("../../etc/passwd", "etc_passwd"),
        ("Glass — shattering!", "glass_shattering"),
        ("Café door", "cafe_door"),
        ("???", "sound"),
        ("x" * 100, "x" * 48),
    ],
)
def test_slugs_are_safe_file_names(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_name_overrides_prompt_for_the_file_name() -> None:
    assert SoundRequest("a loud door slam", name="Door 01").slug == "door_01"
