"""Properties, checked on generated inputs (hypothesis): timecode arithmetic is exact and reversible at every
supported rate, marker files round-trip through their writers and readers, and the readers of what users
type (cue sheets, prompt files, marker lists) answer any text with cues or with one BadInputError — never
another exception.
"""

from __future__ import annotations

import os
import tempfile
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from foleykit.batch.prompt_file import load_prompt_file
from foleykit.errors import BadInputError
from foleykit.framesync.cues import load_cue_sheet
from foleykit.framesync.marker import Marker
from foleykit.framesync.timecode import (
    STANDARD_RATES,
    Timecode,
    drop_frame_allowed,
    frame_to_sample,
    sample_to_frame,
)
from foleykit.framesync.video import Programme
from foleykit.markers import markers_to_string, read_markers

# bench/reliability.py runs these with many more examples (FOLEYKIT_PROPERTY_EXAMPLES)
EXAMPLES = int(os.environ.get("FOLEYKIT_PROPERTY_EXAMPLES", "60"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FORMATS = st.sampled_from(
    [(rate, False) for rate in STANDARD_RATES] + [(r, True) for r in STANDARD_RATES if drop_frame_allowed(r)]
)


@SETTINGS
@given(FORMATS, st.floats(0, 1))
def test_timecode_labels_round_trip_and_count_up(fmt: tuple[Fraction, bool], where: float) -> None:
    rate, drop = fmt
    timecode = Timecode(rate, drop)
    last = timecode.to_frame(timecode.to_string(-1))  # the day's last frame (to_string wraps at 24 h)
    frame = round(where * last)
    label = timecode.to_string(frame)
    assert timecode.to_frame(label) == frame
    assert frame == last or timecode.to_frame(timecode.to_string(frame + 1)) == frame + 1


@SETTINGS
@given(st.sampled_from(STANDARD_RATES), st.integers(0, 24 * 3600 * 60))
def test_frames_and_samples_convert_exactly(rate: Fraction, frame: int) -> None:
    sample = frame_to_sample(frame, rate)
    assert sample == round(Fraction(frame) * 48000 / rate)
    assert sample_to_frame(sample, rate) == frame  # a frame's first sample is in that frame
    assert sample_to_frame(frame_to_sample(frame + 1, rate) - 1, rate) == frame  # and so is its last


NAMES = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=30
)


@SETTINGS
@given(
    FORMATS,
    st.integers(0, 20 * 3600),
    st.lists(st.tuples(st.integers(0, 2999), NAMES), min_size=1, max_size=8, unique_by=lambda m: m[0]),
    st.sampled_from([".edl", ".otio", ".xml", ".txt"]),
)
def test_marker_files_round_trip(
    fmt: tuple[Fraction, bool], start_second: int, marks: list[tuple[int, str]], suffix: str
) -> None:
    rate, drop = fmt
    start = round(start_second * rate)  # the start timecode as frames since midnight
    programme = Programme(rate=rate, frame_count=3000, start_frame=start, drop_frame=drop)
    markers = [Marker(frame, name.strip() or "x") for frame, name in marks]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"markers{suffix}"
        path.write_text(markers_to_string(markers, programme, suffix), encoding="utf-8")
        back = read_markers(path, programme)
    assert [m.frame for _, m in back] == sorted(frame for frame, _ in marks)
    clean = (
        (lambda name: name.replace("|", "/")) if suffix == ".edl" else (lambda name: name)
    )  # EDL: | is a field
    expected = {frame: " ".join(clean(name).split()) or "x" for frame, name in marks}
    assert {m.frame: " ".join(m.name.split()) for _, m in back} == expected


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)
LINES = st.lists(
    st.one_of(
        TEXT,
        st.from_regex(r"\A[0-9]{1,2}[:;][0-9]{2}[:;][0-9]{2}[:;.][0-9]{2}[ \t]+[a-z ]{0,20}\Z"),
        st.from_regex(
            r"\A(frame|timecode|seconds|prompt|audio|name|sync)(,(frame|prompt|timecode|seconds|gain_db))*\Z"
        ),
        st.from_regex(r"\A[0-9]{1,5},[a-z ]{0,12}(,[-0-9.e]{0,6})?\Z"),
    ),
    max_size=6,
)


def _only_bad_input(suffix: str, text: str, read: object) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_text(text, encoding="utf-8")
        try:
            read(path)  # type: ignore[operator]
        except BadInputError as err:
            assert "\n" not in str(err).strip(), "one line"


@SETTINGS
@given(LINES, st.sampled_from([".csv", ".toml", ".txt", ".edl"]))
def test_cue_sheets_and_marker_lists_answer_any_text_with_cues_or_one_line(
    lines: list[str], suffix: str
) -> None:
    programme = Programme(rate=Fraction(25), frame_count=2500)
    _only_bad_input(suffix, "\n".join(lines), lambda path: load_cue_sheet(path, programme))


@SETTINGS
@given(LINES, st.sampled_from([".csv", ".toml", ".jsonl"]))
def test_prompt_files_answer_any_text_with_sounds_or_one_line(lines: list[str], suffix: str) -> None:
    _only_bad_input(suffix, "\n".join(lines), load_prompt_file)


@pytest.mark.parametrize("suffix", [".otio", ".xml"])
def test_unreadable_timelines_are_one_line(suffix: str, tmp_path: Path) -> None:
    path = tmp_path / f"x{suffix}"
    for text in ("", "{", "<xmeml>", "[]", '{"OTIO_SCHEMA": "Clip.1"}'):
        path.write_text(text)
        with pytest.raises(BadInputError):
            read_markers(path, Programme(rate=Fraction(25), frame_count=100))
