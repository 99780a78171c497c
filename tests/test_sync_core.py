"""Frame-sync core: exact timecode, cue sheets, sample-accurate transients, placement checked against truth."""

from __future__ import annotations

import itertools
from fractions import Fraction
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest
import wavinfo

from foleykit.audio.bwf import BextInfo, write_bwf
from foleykit.audio.transients import find_transient
from foleykit.errors import BadInputError
from foleykit.framesync.cues import Cue, load_cue_sheet
from foleykit.framesync.placement import CueSound, assign_lanes, measure_errors, place, render_mix
from foleykit.framesync.timecode import (
    STANDARD_RATES,
    Timecode,
    frame_to_sample,
    parse_rate,
    sample_to_frame,
)
from foleykit.framesync.video import programme_from_rate

NTSC = Fraction(30000, 1001)


# ------------------------------------------------------------------------------------------------ timecode


@pytest.mark.parametrize(
    ("rate", "drop"),
    [
        (NTSC, True),
        (Fraction(60000, 1001), True),
        (NTSC, False),
        (Fraction(24000, 1001), False),
        (Fraction(25), False),
    ],
)
def test_timecode_agrees_with_opentimelineio_and_round_trips(rate: Fraction, drop: bool) -> None:
    timecode = Timecode(rate, drop)
    frames = [*range(0, 120_000, 997), 1799, 1800, 17981, 17982, 107892, 2_000_000]
    for frame in frames:
        text = timecode.to_string(frame)
        assert text == otio.opentime.to_timecode(
            otio.opentime.RationalTime(frame, float(rate)), float(rate), drop
        )
        assert timecode.to_frame(text) == frame


def test_rates_are_exact_rationals_and_decimals_name_them() -> None:
    assert parse_rate("29.97") == Fraction(30000, 1001)
    assert parse_rate("23.976") == parse_rate("24000/1001")
    assert parse_rate("25") == 25
    for bad in ("31", "abc", "0"):
        with pytest.raises(BadInputError):
            parse_rate(bad)
    # every frame start is the rounded exact sample; sample → frame inverts it
    for rate in STANDARD_RATES:
        for frame in (0, 1, 2, 1001, 123_457):
            start = frame_to_sample(frame, rate)
            assert start == round(Fraction(frame) * 48000 / rate)
            assert sample_to_frame(start, rate) == frame and sample_to_frame(start - 1, rate) == frame - 1


@pytest.mark.parametrize(
    ("text", "rate", "drop", "reason"),
    [
        ("01:00:00;00", Fraction(25), False, "no drop-frame"),
        ("01:00:00:00", NTSC, True, "non-drop"),
        ("00:01:00;00", NTSC, True, "does not exist"),
        ("00:00:00:25", Fraction(25), False, "out of range"),
        ("1:2:3", Fraction(25), False, "HH:MM:SS:FF"),
    ],
)
def test_bad_timecodes_are_one_line_errors(text: str, rate: Fraction, drop: bool, reason: str) -> None:
    with pytest.raises(BadInputError, match=reason):
        Timecode(rate, drop).to_frame(text)


# ------------------------------------------------------------------------------------------------ cue sheets


def _sheet(tmp_path: Path, text: str, suffix: str = ".csv") -> Path:
    path = tmp_path / f"cues{suffix}"
    path.write_text(text)
    return path


def test_csv_and_toml_sheets_resolve_marks_the_same_way(tmp_path: Path) -> None:
    programme = programme_from_rate("30000/1001", 120, start_tc="01:00:00;00")
    (tmp_path / "hit.wav").write_bytes(b"")  # existence is what the sheet checks; sync reads it later
    csv_path = _sheet(
        tmp_path,
        "frame,timecode,seconds,prompt,audio,name,sync,gain_db\n"
        "12,,,door slam,,,,\n"
        ",01:00:01;00,,,hit.wav,hit,start,-6\n"
        ",,2.5,footsteps on gravel,,,,\n"
        "90,01:00:03;00,3.003,glass,,,,\n",
    )
    toml_path = _sheet(
        tmp_path,
        '[[cue]]\nframe = 12\nprompt = "door slam"\n'
        '[[cue]]\ntimecode = "01:00:01;00"\naudio = "hit.wav"\nname = "hit"\nsync = "start"\ngain_db = -6\n'
        '[[cue]]\nseconds = 2.5\nprompt = "footsteps on gravel"\n'
        '[[cue]]\nframe = 90\ntimecode = "01:00:03;00"\nseconds = 3.003\nprompt = "glass"\n',
        ".toml",
    )
    for path in (csv_path, toml_path):
        cues = load_cue_sheet(path, programme).cues
        assert [c.mark_frame for c in cues] == [12, 30, 74, 90]
        assert cues[0].mark_sample == round(12 * Fraction(48000) / programme.rate)
        assert cues[2].mark_sample == 120_000, (
            "a mark in seconds is round(seconds × 48000), not a frame start"
        )
        assert cues[1].audio == (tmp_path / "hit.wav").resolve() and cues[1].sync == "start"
        assert cues[1].gain_db == -6 and cues[0].name == "door slam"


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("5,,,door,,", "line 3: give a prompt"),  # filled in row 3 below: both prompt and audio
        ("99999,,,door,", "after the programme end"),
        (",00:59:59:00,,door,", "before the programme's start timecode"),
        (",01:00:00;10,,door,", "drop-frame"),
        (",01:00:00:99,,door,", "out of range"),
        ("3,01:00:00:04,,door,", "name different frames"),
        ("3,,,,", "no sound"),
        ("3,,,,missing.wav", "not found"),
        (",,,door,", "no mark"),
        ("x,,,door,", "frame must be a number"),
    ],
)
def test_a_bad_row_names_its_line_and_reason(tmp_path: Path, row: str, reason: str) -> None:
    programme = programme_from_rate(25, 60, start_tc="01:00:00:00")
    good = "1,,,knock,"
    body = row if "give a prompt" not in reason else "5,,,door,both.wav"
    (tmp_path / "both.wav").write_bytes(b"")
    path = _sheet(tmp_path, f"frame,timecode,seconds,prompt,audio\n{good}\n{body}\n")
    with pytest.raises(BadInputError, match=reason) as info:
        load_cue_sheet(path, programme)
    assert "line 3" in str(info.value) and "\n" not in str(info.value)


def test_unknown_columns_and_keys_are_refused(tmp_path: Path) -> None:
    programme = programme_from_rate(24, 10)
    with pytest.raises(BadInputError, match="unknown column 'volume'"):
        load_cue_sheet(_sheet(tmp_path, "frame,prompt,volume\n1,knock,3\n"), programme)
    with pytest.raises(BadInputError, match="cue 1: unknown key 'volume'"):
        load_cue_sheet(_sheet(tmp_path, '[[cue]]\nframe = 1\nprompt = "k"\nvolume = 3\n', ".toml"), programme)


# ------------------------------------------------------------------------------------------------ transients


def _click_in(
    length: int, at: int, amp: float, noise_db: float | None, rng: np.random.Generator
) -> np.ndarray:
    audio = np.zeros(length)
    if noise_db is not None:
        audio += rng.normal(0, 10 ** (noise_db / 20), length)
    audio[at] += amp
    return audio.astype(np.float32)[None]


def test_a_click_after_silence_or_a_noise_floor_is_found_within_a_quarter_millisecond() -> None:
    rng = np.random.default_rng(1)
    worst = 0
    for trial in range(200):
        at = int(rng.integers(50, 90_000))
        amp = 10 ** (rng.uniform(-30, 0) / 20)
        noise = None if trial % 2 else 20 * np.log10(amp) - rng.uniform(30, 60)
        found = find_transient(_click_in(96_000, at, amp, noise, rng))
        worst = max(worst, abs(found.sample - at))
    assert worst <= 12, f"worst error {worst} samples (0.25 ms = 12)"


def test_a_decaying_tone_after_quieter_lead_in_noise_starts_at_its_first_cycle() -> None:
    rng = np.random.default_rng(2)
    t = np.arange(24_000) / 48_000
    for _ in range(30):
        at = int(rng.integers(2_000, 40_000))
        audio = rng.normal(0, 0.002, 72_000)
        audio[at - 1500 : at] += rng.normal(0, 0.01, 1500)  # a breathy lead-in 20 dB under the hit
        audio[at : at + t.size] += 0.5 * np.exp(-t * 40) * np.sin(2 * np.pi * rng.uniform(80, 4000) * t + 1)
        assert abs(find_transient(audio[None].astype(np.float32)).sample - at) <= 12


def test_a_soft_swell_is_placed_where_its_envelope_rises() -> None:
    rng = np.random.default_rng(3)
    audio = rng.normal(0, 1e-4, 96_000)
    rise = np.linspace(0, 1, 24_000) ** 2  # half a second of swell, like wind picking up
    audio[30_000:54_000] += rise * rng.normal(0, 0.3, 24_000)
    audio[54_000:] += rng.normal(0, 0.3, 42_000)
    found = find_transient(audio[None].astype(np.float32))
    assert found.soft
    assert 30_000 <= found.sample <= 30_000 + 2_400, "within the first 50 ms of the rise"


def test_silence_and_a_sound_loud_from_its_first_sample_have_their_transient_at_zero() -> None:
    assert find_transient(np.zeros((1, 4800), np.float32)).sample == 0
    rng = np.random.default_rng(4)
    assert find_transient(rng.normal(0, 0.3, (2, 48_000)).astype(np.float32)).sample == 0


# ------------------------------------------------------------------------------------------------ placement


def _cue(number: int, frame: int, rate: Fraction, sync: str = "onset") -> Cue:
    return Cue(
        number, f"cue {number}", frame, frame_to_sample(frame, rate), f"c{number}", prompt="x", sync=sync
    )


@pytest.mark.parametrize("rate", [Fraction(24), Fraction(25), NTSC, Fraction(24000, 1001)])
def test_every_known_transient_lands_within_1ms_of_its_mark_in_the_mix(rate: Fraction) -> None:
    rng = np.random.default_rng(int(rate * 1001) % 2**31)
    programme = programme_from_rate(rate, 60)
    # marks ≥ 4 frames apart: each hit's 50 ms ring has died before the next (lanes still overlap: lead-ins)
    frames = 4 * np.sort(rng.choice(np.arange(programme.frame_count // 4 - 3), 40, replace=False))
    sounds, truth = [], {}
    for number, frame in enumerate(frames, start=1):
        lead = int(rng.integers(0, 9600))  # up to 200 ms of lead-in (noise or silence) before the hit
        sound = np.zeros(lead + 9600, np.float32)
        sound[:lead] = rng.normal(0, 0.003, lead) * (number % 2)
        sound[lead] += 0.8
        sound[lead + 1 : lead + 2400] += 0.3 * rng.normal(0, 1, 2399) * np.exp(-np.arange(2399) / 400)
        sounds.append(CueSound(_cue(number, int(frame), rate), sound[None]))
        truth[number] = lead
    placed = assign_lanes([place(s, programme) for s in sounds])
    mix = render_mix(placed, programme)
    assert mix.shape == (1, programme.samples)
    for item in placed:
        true_sample = item.start_sample - item.trimmed_head + truth[item.cue.number]
        assert abs(true_sample - item.cue.mark_sample) <= 48, f"cue {item.cue.number} at {rate}"
        assert item.file_start_sample == frame_to_sample(item.file_start_frame, rate) <= item.start_sample
        assert frame_to_sample(item.file_start_frame + 1, rate) > item.start_sample, "padded by < 1 frame"
        end_frame = sample_to_frame(item.file_end_sample, rate)
        assert frame_to_sample(end_frame, rate) == item.file_end_sample, "the file ends on a frame boundary"
    assert all(e is not None and abs(e) <= 48 for e in measure_errors(mix, placed))
    by_lane: dict[int, list] = {}
    for item in placed:
        by_lane.setdefault(item.lane, []).append(item)
    for items in by_lane.values():
        items.sort(key=lambda p: p.file_start_sample)
        assert all(a.file_end_sample <= b.file_start_sample for a, b in itertools.pairwise(items))


def test_lead_in_before_time_zero_is_trimmed_with_a_short_fade_and_the_hit_stays_sharp() -> None:
    programme = programme_from_rate(25, 10)
    sound = np.full(4800 + 2000, 0.2, np.float32)
    sound[4800] = 1.0  # the transient, 100 ms in
    placed = place(CueSound(_cue(1, 1, Fraction(25)), sound[None]), programme)  # mark at 40 ms
    assert placed.start_sample == 0 and placed.trimmed_head == 4800 - 1920
    assert placed.audio[0, 0] < 0.01, "faded in from the cut"
    assert placed.audio[0, 1920] == pytest.approx(1.0), "the transient itself is untouched"
    assert placed.transient_sample == 1920


def test_sync_start_places_the_file_start_on_the_mark() -> None:
    programme = programme_from_rate(24, 10)
    sound = np.zeros(9600, np.float32)
    sound[4000] = 1
    placed = place(CueSound(_cue(1, 48, Fraction(24), sync="start"), sound[None]), programme)
    assert placed.start_sample == 96_000


# ------------------------------------------------------------------------------------------------ BWF


def test_bwf_carries_an_exact_time_reference_and_its_samples(tmp_path: Path) -> None:
    programme = programme_from_rate(NTSC, 10, start_tc="01:00:00;00")
    audio = np.random.default_rng(5).uniform(-0.9, 0.9, (2, 4801)).astype(np.float32)
    reference = programme.start_sample_since_midnight + 1602
    path = write_bwf(tmp_path / "a.wav", audio, 48000, BextInfo(reference, "uFRAMERATE=29.97\r\nhello"))
    info = wavinfo.WavInfoReader(str(path))
    assert info.bext.time_reference == reference == round(Fraction(107892) * 48000 / NTSC) + 1602
    assert info.bext.description.startswith("uFRAMERATE=29.97")
    assert info.fmt.bits_per_sample == 24 and info.fmt.channel_count == 2
    import soundfile as sf

    back, rate = sf.read(path, dtype="float32", always_2d=True)
    assert rate == 48000 and np.abs(back.T - audio).max() < 2 / 2**23
    with pytest.raises(BadInputError, match="exists"):
        write_bwf(path, audio, 48000, BextInfo(0))


def test_a_mark_in_the_last_milliseconds_is_cut_at_the_end_without_fading_the_hit() -> None:
    programme = programme_from_rate(25, 1)
    sound = np.zeros(4800, np.float32)
    sound[0] = 1.0
    for sync in ("start", "onset"):
        cue = Cue(1, "cue 1", 24, 47_952, "end", prompt="x", sync=sync)  # 1 ms before the end
        placed = place(CueSound(cue, sound[None]), programme)
        assert placed.end_sample == programme.samples and placed.audio[0, 0] == pytest.approx(1.0)


def test_a_steady_sound_after_a_short_silence_starts_where_the_silence_ends() -> None:
    rng = np.random.default_rng(6)
    audio = rng.normal(0, 0.2, 96_000)
    audio[:4800] = 0  # 100 ms of silence in 2 s of rain-like noise: 5 % of the clip
    assert abs(find_transient(audio[None].astype(np.float32)).sample - 4800) <= 12


def test_premiere_style_drop_frame_and_sheet_format_errors(tmp_path: Path) -> None:
    assert Timecode(NTSC, True).to_frame("01;00;00;00") == 107892
    programme = programme_from_rate(25, 60)
    with pytest.raises(BadInputError, match="line 1: column 'frame' appears twice"):
        load_cue_sheet(_sheet(tmp_path, "frame,frame,prompt\n3,5,knock\n"), programme)
    with pytest.raises(BadInputError, match="line"):  # an unclosed quote must not swallow later rows
        load_cue_sheet(_sheet(tmp_path, 'frame,prompt\n3,"door knock\n50,glass\n'), programme)
    with pytest.raises(BadInputError, match="over 24 hours"):
        programme_from_rate(25, 90_000)
