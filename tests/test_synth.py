"""The procedural foley synthesiser: deterministic, all 24 classes, each with its characteristic signature."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy import signal

from foleykit.synth import CLASSES, INDOOR_ONLY, OUTDOOR_ONLY, room_named, synthesize
from foleykit.synth.dataset import build_dataset
from foleykit.synth.sounds import GENERATORS, Scene

SR = 24000
DESIGN_CLASSES = [
    "footsteps_gravel",
    "footsteps_wood",
    "footsteps_concrete",
    "door_knock",
    "door_slam",
    "door_creak",
    "glass_shatter",
    "thunder",
    "rain",
    "wind",
    "water_drip",
    "fire_crackle",
    "whoosh",
    "metal_clang",
    "wood_impact",
    "punch_impact",
    "bell",
    "beep",
    "engine_idle",
    "explosion",
    "keyboard_typing",
    "bird_chirp",
    "clock_tick",
    "heartbeat",
]


def dry(label: str, seed: int, duration: float = 4.0) -> tuple[np.ndarray, dict]:
    """The class's own sound model, before distance and room."""
    return GENERATORS[label](Scene(np.random.default_rng(seed), SR, duration))


def onsets(audio: np.ndarray, frame: float = 0.005, rise_db: float = 12.0, gap: float = 0.06) -> list[float]:
    """Times where short-time energy jumps by `rise_db` within 10 ms, within 30 dB of the loudest frame."""
    size = int(frame * SR)
    usable = len(audio) // size * size
    energy = 10 * np.log10(np.sum(audio[:usable].reshape(-1, size) ** 2, axis=1) + 1e-12)
    found: list[float] = []
    for i in range(2, len(energy)):
        rising = energy[i] - energy[i - 2] > rise_db and energy[i] > energy.max() - 30
        if rising and (not found or i * frame - found[-1] > gap):
            found.append(i * frame)
    return found


def flatness(audio: np.ndarray) -> float:
    """Spectral flatness: near 0 for tones, higher for noise."""
    power = np.abs(np.fft.rfft(audio * np.hanning(len(audio)))) ** 2 + 1e-20
    return float(np.exp(np.mean(np.log(power))) / np.mean(power))


def busy_fraction(audio: np.ndarray) -> float:
    """Share of 20 ms frames within 20 dB of the loudest: how continuously the sound fills the clip."""
    size = int(0.02 * SR)
    usable = len(audio) // size * size
    energy = 10 * np.log10(np.sum(audio[:usable].reshape(-1, size) ** 2, axis=1) + 1e-12)
    return float(np.mean(energy > energy.max() - 20))


def test_the_24_design_classes() -> None:
    assert tuple(DESIGN_CLASSES) == CLASSES


@pytest.mark.parametrize("label", DESIGN_CLASSES)
def test_every_class_sounds_in_the_shortest_clip(label: str) -> None:
    for seed in range(10):
        assert np.abs(synthesize(label, seed, duration=1.0, sample_rate=16000).audio).max() > 0.05
    with pytest.raises(ValueError, match=r"at least 1\.0 s"):
        synthesize(label, 0, duration=0.5)


@pytest.mark.parametrize("label", DESIGN_CLASSES)
def test_every_class_is_deterministic_sized_and_audible(label: str) -> None:
    clip = synthesize(label, seed=7, duration=3.0, sample_rate=SR)
    again = synthesize(label, seed=7, duration=3.0, sample_rate=SR)
    other = synthesize(label, seed=8, duration=3.0, sample_rate=SR)
    assert np.array_equal(clip.audio, again.audio) and clip.caption == again.caption
    assert not np.array_equal(clip.audio, other.audio)
    assert clip.audio.shape == (3 * SR,) and clip.audio.dtype == np.float32
    assert np.isfinite(clip.audio).all() and 0.05 < np.abs(clip.audio).max() <= 0.9
    assert abs(clip.audio[-1]) < 1e-3, "faded out: no click at the end"
    assert clip.params["distance"] in {"close", "medium", "distant"}
    assert clip.params["room"] in {"outdoors", "small room", "large hall"}


@pytest.mark.parametrize("seed", range(6))
def test_n_knocks_have_n_onsets_and_the_caption_counts_them(seed: int) -> None:
    audio, params = dry("door_knock", seed)
    assert len(onsets(audio)) == params["count"]
    clip = synthesize("door_knock", seed)
    words = {2: "two", 3: "three", 4: "four", 5: "five"}[clip.params["count"]]
    assert words in clip.caption or {2: "twice"}.get(clip.params["count"], "@") in clip.caption


@pytest.mark.parametrize("seed", range(4))
def test_beeps_are_counted_clean_tones(seed: int) -> None:
    audio, params = dry("beep", seed)
    assert len(onsets(audio)) == params["count"]
    assert flatness(audio) < 1e-3


def test_bells_are_tonal_and_rain_is_dense_noise() -> None:
    for seed in range(4):
        assert flatness(dry("bell", seed)[0]) < 1e-3
        rain = dry("rain", seed)[0]
        assert flatness(rain) > 0.1 and busy_fraction(rain) > 0.95
        assert busy_fraction(dry("door_knock", seed)[0]) < 0.3, "knocks are sparse"


def test_clock_ticks_are_regular_and_heartbeats_come_in_pairs() -> None:
    ticks = np.diff(onsets(dry("clock_tick", 3)[0]))
    assert len(ticks) >= 2 and np.std(ticks) / np.mean(ticks) < 0.05
    beats = onsets(dry("heartbeat", 2)[0], rise_db=9)
    gaps = np.diff(beats)
    assert len(beats) >= 4 and gaps[::2].mean() < 0.6 * gaps[1::2].mean(), "lub-dub, pause, lub-dub"


@pytest.mark.parametrize("seed", range(4))
def test_a_drip_is_a_splash_then_a_rising_bubble(seed: int) -> None:
    """A bare bubble chirp was heard as a beep by the independent judge (session 42): each drop starts with a
    broadband splash (the old chirp fails this) and its bubble still glides upward."""
    audio, _ = dry("water_drip", seed)
    drops = onsets(audio, gap=0.15)
    assert drops
    for start in drops:
        at = int(start * SR) - int(0.005 * SR)
        head, body = audio[at : at + int(0.015 * SR)], audio[at + int(0.015 * SR) : at + int(0.06 * SR)]
        high = signal.sosfilt(signal.butter(4, 4000.0, "highpass", fs=SR, output="sos"), head)
        assert np.sum(high**2) > 0.005 * np.sum(head**2), (
            "the splash reaches above 4 kHz (a bare chirp: < 0.0002)"
        )
        _, _, spec = signal.spectrogram(body, SR, nperseg=256, noverlap=192)
        peaks = spec.argmax(axis=0)
        assert peaks[-1] > peaks[0], "the bubble's pitch rises"


@pytest.mark.parametrize(("label", "floor_db"), [("bird_chirp", -54.0), ("water_drip", -64.0)])
def test_birds_and_drips_sit_on_a_faint_bed_of_air_not_digital_silence(label: str, floor_db: float) -> None:
    """Recorded birds and drips are never heard against exact zeros; the judge heard the synthesiser's silent gaps
    as beeps (session 44). The quietest 20 ms frames hold the bed, whose frames' RMS lies ~13 dB under its peak
    (-40 and -50 dB; seeds 0-39 gave -55.1 to -52.6 and -65.6 to -63.1 dB; the old code: -240 dB, nothing), and the
    bed stays far under the events."""
    for seed in range(4):
        audio, _ = dry(label, seed)
        size = int(0.02 * SR)
        frames = audio[: len(audio) // size * size].reshape(-1, size)
        rms_db = 20 * np.log10(np.sqrt(np.mean(frames**2, axis=1)) / np.abs(audio).max() + 1e-12)
        quietest = np.percentile(rms_db, 10)
        assert floor_db - 4 < quietest < floor_db + 4, (seed, quietest)
        assert rms_db.max() > quietest + 25, "the events stand well clear of the bed"


def test_slow_footsteps_are_further_apart_than_fast_ones() -> None:
    periods: dict[str, list[float]] = {"slow": [], "fast": []}
    for seed in range(30):
        audio, params = dry("footsteps_concrete", seed)
        if params["speed"] in periods:
            heels = onsets(audio, gap=0.2)
            periods[params["speed"]].append(float(np.median(np.diff(heels))))
    assert periods["slow"] and periods["fast"]
    assert min(periods["slow"]) > max(periods["fast"])


def test_every_step_lands_with_a_heel_thump_and_gravel_is_the_brightest_surface() -> None:
    """Recorded steps carry 6-20 % of their energy at 30-125 Hz; without any, the judge heard synthesised steps as
    drips, chirps or wood impacts (session 43: gravel's share below 125 Hz was 0, wood's 0.02; now gravel's, the
    lightest, is at least 0.115 on these seeds). Gravel crunches brightest, wooden boards thud darkest."""

    def share(audio: np.ndarray, low: float, high: float) -> float:
        freqs, power = signal.welch(audio, SR, nperseg=2048)
        return float(power[(freqs >= low) & (freqs < high)].sum() / power.sum())

    bright = {}
    for label in ("footsteps_gravel", "footsteps_concrete", "footsteps_wood"):
        clips = [dry(label, seed)[0] for seed in range(8)]
        assert min(share(audio, 0.0, 125.0) for audio in clips) > 0.08, label
        bright[label] = [share(audio, 2000.0, 12000.0) for audio in clips]
    assert min(bright["footsteps_gravel"]) > max(bright["footsteps_concrete"])
    assert min(bright["footsteps_concrete"]) > max(bright["footsteps_wood"])


def test_a_room_is_named_whenever_its_reverb_is_heard() -> None:
    """A caption without a room means no room's reverb (session 43); doors always ring in a room, and their plain
    captions still mean one."""
    assert not OUTDOOR_ONLY & INDOOR_ONLY
    for label in ("footsteps_wood", "metal_clang", "punch_impact"):
        clips = [synthesize(label, seed) for seed in range(30)]
        assert {c.params["room"] for c in clips} == {"outdoors", "small room", "large hall"}
        for clip in clips:
            if clip.params["room"] != "outdoors":
                assert f"in a {clip.params['room']}" in clip.caption, clip.caption
            else:
                assert clip.params["wet"] == 0.0
            if room_named(clip.caption) is None:
                assert clip.params["room"] == "outdoors", clip.caption
    for label in INDOOR_ONLY:
        doors = [synthesize(label, seed) for seed in range(30)]
        assert {c.params["room"] for c in doors} == {"small room", "large hall"}, label
        assert all(c.params["wet"] > 0 for c in doors), "a door always rings in its room"
        assert any(room_named(c.caption) is None for c in doors), "a plain door caption is a door in a room"


def test_room_named_reads_a_caption_as_the_synthesiser_writes_it() -> None:
    assert room_named("footsteps on gravel, in a large hall") == "large hall"
    assert room_named("rain on a roof, outdoors") == "outdoors"
    assert room_named("a creaky door, far away, in a small room") == "small room"
    assert (
        room_named("footsteps on gravel, far away") is None and room_named("a bell rings, up close") is None
    )


def test_captions_name_the_class_and_its_modifiers() -> None:
    keywords = {"footsteps_gravel": "gravel", "rain": "rain", "bell": "bell", "thunder": "thunder"}
    for label, word in keywords.items():
        for seed in range(5):
            assert word in synthesize(label, seed).caption
    rooms = [synthesize("metal_clang", seed) for seed in range(40)]
    assert any("in a large hall" in c.caption for c in rooms if c.params["room"] == "large hall")
    assert all("in a large hall" not in c.caption for c in rooms if c.params["room"] != "large hall")


def test_dataset_builder_writes_clips_and_captions(tmp_path: Path) -> None:
    metadata = build_dataset(tmp_path, per_class=1, duration=1.0, classes=("bell", "rain"), progress=False)
    rows = [json.loads(line) for line in metadata.read_text().splitlines()]
    assert [r["label"] for r in rows] == ["bell", "rain"]
    for row in rows:
        audio, rate = sf.read(tmp_path / row["file"], dtype="float32")
        assert rate == 24000 and len(audio) == 24000
        assert np.allclose(audio, synthesize(row["label"], row["seed"], 1.0).audio, atol=2**-21)
        assert row["caption"] == synthesize(row["label"], row["seed"], 1.0).caption
