"""Editor markers in and out (`foleykit sync --cues MARKERS`, `foleykit spot --out MARKERS`).

Every reader is fed files from an independent writer: OpenTimelineIO's own adapters (otio_json, otioz,
fcp_xml, cmx_3600 with LOC locators) or files written here by hand in each tool's documented layout
(Resolve's marker EDL, Premiere's XML and its UTF-16 marker CSV, a plain timecode list). Marks must land on
exactly their frames at 23.976, 25, 29.97 DF and 59.94 DF, across drop-frame minutes. What `spot` and
`sync` write is read back by OTIO's readers.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest
import soundfile as sf
from opentimelineio.opentime import RationalTime, TimeRange

from foleykit.cli import main as foleykit_main
from foleykit.errors import BadInputError
from foleykit.exports.spots import write_spot_sheet
from foleykit.framesync.cues import load_cue_sheet
from foleykit.framesync.spot import SpotResult, SpottedEvent
from foleykit.framesync.video import Programme, programme_from_rate

RATES = {
    "23.976": ("24000/1001", "01:00:00:00"),
    "25": ("25", "10:00:00:00"),
    "29.97DF": ("30000/1001", "01:00:00;00"),
    "59.94DF": ("60000/1001", "01:00:00;00"),
}


def programme_at(rate: str) -> Programme:
    fps, start = RATES[rate]
    return programme_from_rate(fps, 75, start)


def marks(programme: Programme) -> list[int]:
    """Frames to mark: the first, odd ones, both sides of the first dropped minute (from a tenth minute,
    the next minute starts at 60 timecode seconds: 01:01:00;02 at 29.97 DF), the last."""
    minute = 60 * programme.timecode.fps
    if programme.drop_frame:
        assert programme.timecode_of(minute).endswith((";02", ";04")), "the first frame after a drop"
    return [0, 17, minute - 1, minute, minute + 1, programme.frame_count - 1]


def resolve_edl(programme: Programme, frames: list[int], path: Path) -> None:
    """DaVinci Resolve's "Timeline Markers to EDL": an event per marker and its |C: |M: |D: line."""
    lines = ["TITLE: Timeline 1", "FCM: DROP FRAME" if programme.drop_frame else "FCM: NON-DROP FRAME", ""]
    for i, frame in enumerate(frames):
        at, out = programme.timecode_of(frame), programme.timecode_of(frame + 1)
        lines += [f"{i + 1:03d}  001      V     C        {at} {out} {at} {out}  "]
        lines += [f"note {i} |C:ResolveColorBlue |M:sound {i} |D:1", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def otio_timeline(
    programme: Programme, frames: list[int], rate: float | None = None, owners: int = 3
) -> otio.schema.Timeline:
    """Markers spread over the stack, a clip (whose media starts elsewhere) and a track, by OTIO's API
    (`owners=2`: no track markers, which FCP 7 XML cannot hold)."""
    rate = rate or float(programme.rate)
    timeline = otio.schema.Timeline(name="cut", global_start_time=RationalTime(programme.start_frame, rate))
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    media_start = 5000  # the clip shows its media from frame 5000 + 10 on
    source = TimeRange(RationalTime(media_start + 10, rate), RationalTime(programme.frame_count, rate))
    clip = otio.schema.Clip(name="picture", source_range=source)
    track.append(clip)
    for i, frame in enumerate(frames):
        at = RationalTime(frame, rate)
        if i % owners == 0:
            owner, time = timeline.tracks, at
        elif i % owners == 1:
            owner, time = clip, source.start_time + at  # clip markers count in the clip's media time
        else:
            owner, time = track, at
        owner.markers.append(
            otio.schema.Marker(name=f"sound {i}", marked_range=TimeRange(time, RationalTime(0, rate)))
        )
    display = "DF" if programme.drop_frame else "NDF"
    timeline.metadata["fcp_xml"] = {"timecode": {"displayformat": display}}
    return timeline


def write_otio(programme: Programme, frames: list[int], path: Path) -> None:
    otio.adapters.write_to_file(otio_timeline(programme, frames), str(path), adapter_name="otio_json")


def write_otioz(programme: Programme, frames: list[int], path: Path) -> None:
    otio.adapters.write_to_file(otio_timeline(programme, frames), str(path), adapter_name="otioz")


def write_fcp_xml(programme: Programme, frames: list[int], path: Path) -> None:
    timeline = otio_timeline(programme, frames, owners=2)
    otio.adapters.write_to_file(timeline, str(path), adapter_name="fcp_xml")


def write_loc_edl(programme: Programme, frames: list[int], path: Path) -> None:
    """Avid-style locators, written by OTIO's cmx_3600 adapter under one event whose source = record."""
    edl_rate = float(programme.rate) if programme.drop_frame else float(round(programme.rate))
    timeline = otio.schema.Timeline(name="locators")
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    track.append(
        otio.schema.Gap(
            source_range=TimeRange(RationalTime(0, edl_rate), RationalTime(programme.start_frame, edl_rate))
        )
    )
    source = TimeRange(
        RationalTime(programme.start_frame, edl_rate), RationalTime(programme.frame_count, edl_rate)
    )
    clip = otio.schema.Clip(name="picture", source_range=source)
    for i, frame in enumerate(frames):
        at = RationalTime(programme.start_frame + frame, edl_rate)
        clip.markers.append(
            otio.schema.Marker(name=f"sound {i}", marked_range=TimeRange(at, RationalTime(0, edl_rate)))
        )
    track.append(clip)
    text = otio.adapters.write_to_string(timeline, adapter_name="cmx_3600", rate=edl_rate)
    path.write_text(text, encoding="utf-8")


def write_premiere_csv(programme: Programme, frames: list[int], path: Path) -> None:
    """Premiere Pro's File > Export > Markers: UTF-16 with BOM, tab-separated, DF as HH;MM;SS;FF."""
    rows = ["Marker Name\tDescription\tIn\tOut\tDuration\tMarker Type"]
    for i, frame in enumerate(frames):
        tc = programme.timecode_of(frame)
        if programme.drop_frame:
            tc = tc.replace(":", ";")
        rows.append(f"\tsound {i}\t{tc}\t{tc}\t00:00:00:00\tComment")  # named by its description only
    path.write_bytes("\r\n".join(rows).encode("utf-16"))


def write_plain(programme: Programme, frames: list[int], path: Path) -> None:
    body = "".join(f"{programme.timecode_of(f)}   sound {i}\n" for i, f in enumerate(frames))
    path.write_text("# spotted by hand\n\n" + body, encoding="utf-8")


WRITERS: dict[str, tuple[str, Callable[[Programme, list[int], Path], None]]] = {
    "resolve-edl": (".edl", resolve_edl),
    "avid-loc-edl": (".edl", write_loc_edl),
    "fcp-xml": (".xml", write_fcp_xml),
    "otio": (".otio", write_otio),
    "otioz": (".otioz", write_otioz),
    "premiere-csv": (".csv", write_premiere_csv),
    "plain": (".txt", write_plain),
}


@pytest.mark.parametrize("rate", list(RATES))
@pytest.mark.parametrize("kind", list(WRITERS))
def test_markers_land_on_exactly_their_frames(tmp_path: Path, kind: str, rate: str) -> None:
    programme = programme_at(rate)
    frames = marks(programme)
    suffix, write = WRITERS[kind]
    path = tmp_path / f"markers{suffix}"
    write(programme, frames, path)
    sheet = load_cue_sheet(path, programme)
    assert [c.mark_frame for c in sheet.cues] == frames
    assert [c.prompt.lower() for c in sheet.cues] == [f"sound {i}" for i in range(len(frames))]
    assert all(c.mark_sample == round(c.mark_frame * 48000 / programme.rate) for c in sheet.cues)


PREMIERE_XML = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE xmeml>
<xmeml version="4">
  <sequence id="sequence-1">
    <name>Sequence 01</name>
    <duration>{duration}</duration>
    <rate><timebase>30</timebase><ntsc>TRUE</ntsc></rate>
    <timecode>
      <rate><timebase>30</timebase><ntsc>TRUE</ntsc></rate>
      <string>01:00:00;00</string><frame>107892</frame><displayformat>DF</displayformat>
    </timecode>
    <media><video><format/></video><audio/></media>
    <marker><comment>heavy oak door</comment><name>Marker 1</name><in>1800</in><out>-1</out></marker>
    <marker><comment></comment><name>glass breaks</name><in>45</in><out>-1</out></marker>
  </sequence>
</xmeml>
"""


CLIP_MARKER_XML = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE xmeml>
<xmeml version="4">
  <sequence id="sequence-1">
    <name>Cut</name>
    <duration>250</duration>
    <rate><timebase>25</timebase><ntsc>FALSE</ntsc></rate>
    <timecode><rate><timebase>25</timebase><ntsc>FALSE</ntsc></rate><string>10:00:00:00</string>
      <frame>900000</frame><displayformat>NDF</displayformat></timecode>
    <media><video><track>
      <clipitem id="clipitem-1">
        <name>A001.mov</name><duration>500</duration>
        <rate><timebase>25</timebase><ntsc>FALSE</ntsc></rate>
        <start>20</start><end>120</end><in>5</in><out>105</out>
        <file id="file-1">
          <name>A001.mov</name><pathurl>file:///media/A001.mov</pathurl>
          <rate><timebase>25</timebase><ntsc>FALSE</ntsc></rate><duration>500</duration>
          <timecode><rate><timebase>25</timebase><ntsc>FALSE</ntsc></rate><string>01:00:00:00</string>
            <frame>90000</frame><displayformat>NDF</displayformat></timecode>
          <media><video/></media>
        </file>
        <marker><comment></comment><name>door slam</name><in>15</in><out>-1</out></marker>
      </clipitem>
    </track></video></media>
  </sequence>
</xmeml>
"""


def test_fcp_clip_markers_count_from_their_media_start(tmp_path: Path) -> None:
    """A clip marker is 15 frames into media whose own timecode is 01:00:00:00; the clip shows the media
    from frame 5 at sequence frame 20: the marker is at sequence frame 30, whatever the media timecode."""
    path = tmp_path / "cut.xml"
    path.write_text(CLIP_MARKER_XML, encoding="utf-8")
    (cue,) = load_cue_sheet(path, programme_from_rate("25", 10, "10:00:00:00")).cues
    assert (cue.mark_frame, cue.prompt) == (30, "door slam")


def test_avid_locators_are_on_the_record_side(tmp_path: Path) -> None:
    """An Avid EDL: source 14:22:10:00 is cut in at record 01:00:10:00; its LOC says record timecode."""
    (tmp_path / "avid.edl").write_text(
        "TITLE: REEL 1\nFCM: NON-DROP FRAME\n\n"
        "001  A001     V     C        14:22:10:00 14:22:20:00 01:00:10:00 01:00:20:00\n"
        "* FROM CLIP NAME:  A001.MOV\n"
        "* LOC: 01:00:12:05 YELLOW  glass breaks\n"
    )
    (cue,) = load_cue_sheet(tmp_path / "avid.edl", programme_from_rate("25", 60, "01:00:00:00")).cues
    assert (cue.mark_frame, cue.prompt) == (12 * 25 + 5, "glass breaks")


def test_premiere_xml_sequence_markers_and_default_names(tmp_path: Path) -> None:
    """Premiere/FCP 7 sequence markers count from the sequence start; a default name gives way to the comment."""
    programme = programme_at("29.97DF")
    path = tmp_path / "Sequence 01.xml"
    path.write_text(PREMIERE_XML.format(duration=programme.frame_count), encoding="utf-8")
    sheet = load_cue_sheet(path, programme)
    assert [(c.mark_frame, c.prompt) for c in sheet.cues] == [(45, "glass breaks"), (1800, "heavy oak door")]
    assert programme.timecode_of(1800) == "01:01:00;02"


def test_other_rates_and_counting_modes_convert_exactly_or_are_refused(tmp_path: Path) -> None:
    # 25 fps markers on a 24 fps programme: 1 s = frame 25 → frame 24; 0.52 s lies between frames.
    programme = programme_from_rate("24", 20)
    at25 = otio_timeline(programme_from_rate("25", 20), [25, 50], rate=25.0)
    at25.global_start_time = RationalTime(0, 25)
    otio.adapters.write_to_file(at25, str(tmp_path / "pal.otio"))
    assert [c.mark_frame for c in load_cue_sheet(tmp_path / "pal.otio", programme).cues] == [24, 48]
    otio.adapters.write_to_file(
        otio_timeline(programme_from_rate("25", 20), [13], rate=25.0), str(tmp_path / "off.otio")
    )
    with pytest.raises(BadInputError, match=r"off\.otio, marker 1 .*between frames"):
        load_cue_sheet(tmp_path / "off.otio", programme)
    # 48 kHz marker times (as foleykit's own timeline.otio has them) land on the frame they are on.
    ntsc = programme_from_rate("30000/1001", 20)
    samples = otio.schema.Timeline(name="samples")
    sample = round(Fraction(301) * 48000 / ntsc.rate)  # frame 301 at 29.97, rounded to a sample
    samples.tracks.markers.append(
        otio.schema.Marker(name="hit", marked_range=TimeRange(RationalTime(sample, 48000)))
    )
    otio.adapters.write_to_file(samples, str(tmp_path / "samples.otio"))
    assert load_cue_sheet(tmp_path / "samples.otio", ntsc).cues[0].mark_frame == 301
    # A drop-frame EDL on a non-drop 29.97 programme: both count the same frames, so it converts exactly.
    df = programme_from_rate("30000/1001", 75, "01:00:00;00")
    ndf = programme_from_rate("30000/1001", 75, "00:59:56:12")  # the same first frame, labelled non-drop
    assert df.start_frame == ndf.start_frame
    resolve_edl(df, [1800], tmp_path / "df.edl")
    assert load_cue_sheet(tmp_path / "df.edl", ndf).cues[0].mark_frame == 1800
    colons = (tmp_path / "df.edl").read_text().replace(";", ":")  # FCM: DROP FRAME says how to count them
    (tmp_path / "colons.edl").write_text(colons)
    assert load_cue_sheet(tmp_path / "colons.edl", df).cues[0].mark_frame == 1800
    # A drop-frame label at 25 fps names nothing.
    (tmp_path / "pal.txt").write_text("10:00:01;05 slam\n", encoding="utf-8")
    with pytest.raises(BadInputError, match=r"pal\.txt, line 1: .*drop-frame"):
        load_cue_sheet(tmp_path / "pal.txt", programme_from_rate("25", 20, "10:00:00:00"))


def test_audio_markers_name_sound_files_beside_the_marker_file(tmp_path: Path) -> None:
    programme = programme_from_rate("25", 10)
    sf.write(tmp_path / "knock.wav", np.zeros(4800), 48000)
    (tmp_path / "m.txt").write_text("00:00:02:00 audio: knock.wav\n00:00:03:00 a knock\n", encoding="utf-8")
    first, second = load_cue_sheet(tmp_path / "m.txt", programme).cues
    assert first.audio == (tmp_path / "knock.wav").resolve() and first.prompt is None
    assert second.prompt == "a knock" and second.audio is None


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "none.edl",
            "TITLE: empty\nFCM: NON-DROP FRAME\n\n001  AX  V  C  00:00:00:00 00:00:01:00 00:00:00:00 00:00:01:00\n",
            r"none\.edl has no markers",
        ),
        (
            "late.txt",
            "00:00:01:00 door\n00:00:12:00 slam\n",
            r"late\.txt, line 2: timecode 00:00:12:00 is at or after the programme end",
        ),
        (
            "latin.txt",
            "00:00:01:00 caf\xe9 door\n".encode("latin-1"),
            r"latin\.txt is not UTF-8 or UTF-16 text",
        ),
        (
            "blank.edl",
            "001  001  V  C  00:00:01:00 00:00:01:01 00:00:01:00 00:00:01:01\n |C:ResolveColorBlue |M: |D:1\n",
            r"blank\.edl, line 2: the marker at 00:00:01:00 has no text",
        ),
        ("junk.txt", "door slam at one second\n", r"junk\.txt, line 1: timecode 'door' is not"),
        (
            "default.edl",
            "001  001  V  C  00:00:01:00 00:00:01:01 00:00:01:00 00:00:01:01\n |C:ResolveColorBlue |M:Marker 1 |D:1\n",
            r"default\.edl, line 2: the marker at 00:00:01:00 has no text",
        ),
        ("broken.otio", "{not json", r"broken\.otio is not a readable OpenTimelineIO file"),
        ("broken.aaf", b"not a compound file", r"broken\.aaf is not a readable AAF file"),
    ],
)
def test_bad_marker_files_get_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture, name: str, content: str | bytes, message: str
) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    code = foleykit_main(
        ["sync", "--fps", "25", "--length", "10", "--cues", str(path), "--out", str(tmp_path / "out")]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert re.search(message, err), err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def spotted(programme: Programme, frames: list[int]) -> SpotResult:
    events = [
        SpottedEvent(frame, "impact" if i % 2 else "cut", 0.5 + i / 100) for i, frame in enumerate(frames)
    ]
    return SpotResult(programme, events, seconds=0.0, frames_analysed=programme.frame_count)


@pytest.mark.parametrize("rate", list(RATES))
def test_spot_writes_markers_that_otio_reads_and_sync_takes_back(tmp_path: Path, rate: str) -> None:
    programme = programme_at(rate)
    frames = marks(programme)
    result = spotted(programme, frames)
    absolute = [programme.start_frame + f for f in frames]
    for suffix in (".otio", ".xml", ".edl", ".txt"):
        path = write_spot_sheet(result, tmp_path / f"spots{suffix}", prompt="a door slams")
        assert [c.mark_frame for c in load_cue_sheet(path, programme).cues] == frames, suffix
    timeline = otio.adapters.read_from_file(str(tmp_path / "spots.otio"))
    assert [
        m.marked_range.start_time.value + timeline.global_start_time.value for m in timeline.tracks.markers
    ] == absolute
    assert {m.name for m in timeline.tracks.markers} == {"a door slams"}
    xml = otio.adapters.read_from_file(str(tmp_path / "spots.xml"), adapter_name="fcp_xml")
    assert xml.global_start_time.value == programme.start_frame
    assert [m.marked_range.start_time.value for m in xml.tracks.markers] == frames
    edl_rate = float(programme.rate) if programme.drop_frame else float(round(programme.rate))
    edl = otio.adapters.read_from_file(str(tmp_path / "spots.edl"), adapter_name="cmx_3600", rate=edl_rate)
    assert [c.source_range.start_time.value for c in edl.find_clips()] == absolute  # an event on each mark
    if not programme.drop_frame:  # OTIO's LOC pattern takes non-drop timecode only
        locators = [m.marked_range.start_time.value for c in edl.find_clips() for m in c.markers]
        assert locators == absolute


def test_sync_takes_resolve_markers_and_writes_markers_back(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """Markers named `audio: FILE` drive a whole sync; its spotting list and marker files say the same frames."""
    programme = programme_from_rate("25", 8, "01:00:00:00")
    rng = np.random.default_rng(0)
    for name in ("knock", "slam"):
        audio = np.zeros(12000)
        audio[800:] = rng.normal(0, 0.3, 11200) * np.exp(-np.arange(11200) / 900)
        sf.write(tmp_path / f"{name}.wav", audio, 48000, subtype="PCM_24")
    frames = [12, 61, 150]
    lines = ["TITLE: reel 1", "FCM: NON-DROP FRAME", ""]
    for i, (frame, sound) in enumerate(zip(frames, ("knock", "slam", "knock"), strict=True)):
        at, out = programme.timecode_of(frame), programme.timecode_of(frame + 1)
        lines += [
            f"{i + 1:03d}  001      V     C        {at} {out} {at} {out}",
            f" |C:ResolveColorRed |M:audio: {sound}.wav |D:1",
            "",
        ]
    (tmp_path / "reel1.edl").write_text("\n".join(lines), encoding="utf-8")
    out = tmp_path / "out"
    argv = [
        "sync",
        "--fps",
        "25",
        "--length",
        "8",
        "--start-tc",
        "01:00:00:00",
        "--cues",
        str(tmp_path / "reel1.edl"),
    ]
    assert foleykit_main([*argv, "--out", str(out), "--no-aaf", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    with (out / "spotting.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["mark_frame"]) for r in rows] == frames
    assert [r["mark_timecode"] for r in rows] == [programme.timecode_of(f) for f in frames]
    assert all(abs(int(r["measured_error_samples"])) <= 48 for r in rows)
    assert sorted(Path(p).name for p in report["files"]["markers"]) == ["markers.edl", "markers.otio"]
    back = otio.adapters.read_from_file(str(out / "markers.otio"))
    assert [m.marked_range.start_time.value for m in back.tracks.markers] == frames
    for written in ("markers.edl", "markers.otio"):  # read back, they ask for the same sounds
        again = load_cue_sheet(out / written, programme).cues
        assert [c.mark_frame for c in again] == frames
        assert [c.audio.name for c in again] == ["knock.wav", "slam.wav", "knock.wav"]  # type: ignore[union-attr]
    # the FCP 7 timeline's clip markers (frames from each cue file's media start) are on the marks too
    assert [c.mark_frame for c in load_cue_sheet(out / "timeline.xml", programme).cues] == frames
