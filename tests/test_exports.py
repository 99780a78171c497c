"""Editor timelines and the preview, read back with independent readers (DESIGN §3, §6).

Every file is written for real and read back: timeline.otio with OTIO's JSON adapter, each EDL as text
(its event lines parsed here) and with the cmx_3600 reader, timeline.xml with ElementTree and the fcp_xml
reader, timeline.aaf with pyaaf2 and the AAF reader, the cue BWFs with wavinfo, preview.mp4 with PyAV.
Positions are checked against the placement (frame-aligned file extents) and the programme's timecode.
"""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import opentimelineio as otio
import pytest
import wavinfo

from foleykit.audio.bwf import BextInfo, write_bwf
from foleykit.errors import BadInputError, OutputExistsError
from foleykit.exports.aaf import _add_cue_markers
from foleykit.exports.preview import write_preview
from foleykit.exports.writer import write_timelines
from foleykit.framesync.cues import Cue
from foleykit.framesync.placed import PlacedProgramme
from foleykit.framesync.placement import CueSound, PlacedCue, assign_lanes, place
from foleykit.framesync.timecode import SAMPLE_RATE, Timecode, frame_to_sample, sample_to_frame
from foleykit.framesync.video import Programme, probe_video
from foleykit.markers import read_markers

# -- fixtures: programmes, cue sounds, placements, written files ------------------------------------------


def make_video(
    path: Path, rate: Fraction, frames: int, timecode: str | None = None, codec: str = "libx264"
) -> Path:
    """A tiny test video (64x48); each frame differs, so a re-encode could never give the same packets."""
    pix_fmt = "yuv422p10le" if codec == "prores_ks" else "yuv420p"
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = 64, 48, pix_fmt
        if timecode:
            stream.metadata["timecode"] = timecode
        for i in range(frames):
            image = np.full((48, 64, 3), (i * 7) % 256, np.uint8)
            image[:, i % 64] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def burst(lead: int, seconds: float = 1.0, channels: int = 1, seed: int = 0) -> np.ndarray:
    """A decaying noise burst after `lead` samples of silence: its transient is at `lead`."""
    rng = np.random.default_rng(seed)
    total = int(seconds * SAMPLE_RATE)
    length = total - lead
    decay = np.exp(-np.arange(length) / (0.08 * SAMPLE_RATE))
    audio = np.zeros((channels, total), np.float32)
    audio[:, lead:] = (0.6 * rng.standard_normal((channels, length)) * decay).astype(np.float32)
    return audio


@dataclass
class Written:
    programme: Programme
    placed: list[PlacedCue]
    cue_files: dict[int, Path]
    out: Path
    result: dict

    @property
    def lanes(self) -> int:
        return max(p.lane for p in self.placed) + 1


def file_frames(p: PlacedCue, programme: Programme) -> int:
    """The cue file's length in frames (whole frames by construction: checked)."""
    end = sample_to_frame(p.file_end_sample, programme.rate)
    assert frame_to_sample(end, programme.rate) == p.file_end_sample
    return end - p.file_start_frame


def place_cues(programme: Programme, marks: list[int], out: Path) -> tuple[list[PlacedCue], dict[int, Path]]:
    """Cues on `marks` (overlapping ones go to other lanes), their BWF files written as `sync` writes them."""
    sounds = []
    for number, frame in enumerate(marks, start=1):
        cue = Cue(
            number=number,
            where=f"cue {number}",
            mark_frame=frame,
            mark_sample=frame_to_sample(frame, programme.rate),
            name=f"hit {number}",
            prompt="a wooden door slams",
            seed=number,
        )
        audio = burst(lead=900 + 137 * number, channels=2 if number == 2 else 1, seed=number)
        source = {"prompt": cue.prompt, "seed": number, "model": "bundled"}
        sounds.append(CueSound(cue=cue, audio=audio, source=source))
    placed = assign_lanes([place(sound, programme) for sound in sounds])
    files = {}
    for p in placed:
        path = out / "cues" / f"{p.cue.file_stem}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        time_reference = programme.time_reference(p.file_start_frame)
        write_bwf(path, p.file_audio(), SAMPLE_RATE, BextInfo(time_reference=time_reference))
        files[p.cue.number] = path
    return placed, files


PROGRAMMES = {
    # id: (rate, start timecode, frame count, video)
    "24": (Fraction(24), None, 200, False),
    "25-video": (Fraction(25), "10:00:00:00", 75, True),
    "29.97DF": (Fraction(30000, 1001), "01:00:00;00", 2000, False),
    "23.976": (Fraction(24000, 1001), "01:00:00:00", 200, False),
    "29.97NDF": (Fraction(30000, 1001), "00:59:59:00", 200, False),
}


@pytest.fixture(scope="module", params=list(PROGRAMMES))
def written(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Written:
    rate, tc, frames, with_video = PROGRAMMES[request.param]
    out = tmp_path_factory.mktemp(f"timelines-{request.param}")
    if with_video:
        programme = probe_video(make_video(out / "picture.mp4", rate, frames, tc))
        assert programme.start_timecode == tc and programme.frame_count == frames
    else:
        drop = tc is not None and ";" in tc
        start = Timecode(rate, drop).to_frame(tc) if tc else 0
        programme = Programme(rate=rate, frame_count=frames, start_frame=start, drop_frame=drop)
    # Cue 1 starts before the first frame (trimmed head); 1-4 overlap (4 lanes); the last is cut at the end;
    # at 29.97 DF one crosses 01:01:00;02, the first minute whose frames 00 and 01 do not exist.
    marks = [0, 10, 12, 14, 40, frames - 20]
    if frames > 1800:
        marks.append(1795)
    placed, files = place_cues(programme, marks, out)
    result = write_timelines(PlacedProgramme.of(placed, programme, files), out, force=False)
    return Written(programme, placed, files, out, result)


# -- timeline.otio --------------------------------------------------------------------------------------


def test_otio_places_clips_on_their_file_extents_and_markers_on_the_marks(written: Written) -> None:
    programme = written.programme
    assert written.result["otio"] == written.out / "timeline.otio"
    timeline = otio.adapters.read_from_file(str(written.out / "timeline.otio"))
    assert timeline.global_start_time.value == programme.start_frame
    assert timeline.global_start_time.rate == pytest.approx(float(programme.rate))
    audio = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Audio]
    assert [t.name for t in audio] == [f"A{i + 1}" for i in range(written.lanes)]
    for track in audio:  # every lane runs the whole programme
        assert track.duration().rescaled_to(SAMPLE_RATE).value == programme.samples
    (video,) = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video]
    assert video.duration().value == programme.frame_count
    if programme.video:
        assert video[0].media_reference.target_url == programme.video.as_uri()

    clips = {c.metadata["foleykit"]["cue"]: c for c in timeline.find_clips() if "foleykit" in c.metadata}
    assert sorted(clips) == sorted(p.cue.number for p in written.placed)
    for p in written.placed:
        clip = clips[p.cue.number]
        assert clip.parent().name == f"A{p.lane + 1}"
        record = clip.range_in_parent()
        assert record.start_time.rate == SAMPLE_RATE
        assert record.start_time.value == p.file_start_sample
        assert record.duration.value == p.file_samples
        # The media starts at the file's own timecode: its bext TimeReference, as wavinfo reads it.
        path = written.cue_files[p.cue.number]
        assert clip.media_reference.target_url == path.resolve().as_uri()
        bext = wavinfo.WavInfoReader(str(path)).bext
        assert clip.source_range.start_time.value == bext.time_reference
        assert clip.media_reference.available_range.duration.value == p.file_samples
        (marker,) = clip.markers
        at = record.start_time + (marker.marked_range.start_time - clip.source_range.start_time)
        assert at.value == p.cue.mark_sample == p.transient_sample
        assert marker.name == p.cue.name
        assert marker.metadata["foleykit"]["mark_timecode"] == programme.timecode_of(p.cue.mark_frame)
        meta = clip.metadata["foleykit"]
        assert meta["source"]["prompt"] == "a wooden door slams" and meta["source"]["seed"] == p.cue.number
        assert meta["file_start_timecode"] == programme.timecode_of(p.file_start_frame)
        assert p.file_start_sample == frame_to_sample(p.file_start_frame, programme.rate)


# -- timeline.edl, timeline_A2.edl, … -------------------------------------------------------------------

EVENT = re.compile(r"^(\d{3})\s+(\S+)\s+(A\d*|V|AA)\s+C\s+(\S+) (\S+) (\S+) (\S+)\s*$")


def parse_edl(text: str) -> list[dict]:
    """Event lines and the comments under them, parsed by hand (not by the adapter that wrote them)."""
    events: list[dict] = []
    for line in text.splitlines():
        match = EVENT.match(line)
        if match:
            _number, reel, channel, src_in, src_out, rec_in, rec_out = match.groups()
            events.append(
                {
                    "reel": reel,
                    "channel": channel,
                    "src": (src_in, src_out),
                    "rec": (rec_in, rec_out),
                    "notes": [],
                }
            )
        elif events and line.startswith("*"):
            events[-1]["notes"].append(line)
    return events


def test_edls_one_per_lane_with_programme_timecode(written: Written) -> None:
    programme = written.programme
    names = ["timeline.edl"] + [f"timeline_A{i + 1}.edl" for i in range(1, written.lanes)]
    assert written.result["edl"] == [written.out / n for n in names]
    assert sorted(p.name for p in written.out.glob("*.edl")) == sorted(names)
    # The EDL reader needs the rate: non-drop timecode is read at its nominal rate (frames per TC second).
    edl_rate = float(programme.rate) if programme.drop_frame else float(programme.timecode.fps)
    for lane, name in enumerate(names):
        text = (written.out / name).read_text()
        assert text.splitlines()[1] == ("FCM: DROP FRAME" if programme.drop_frame else "FCM: NON-DROP FRAME")
        events = parse_edl(text)
        expected = sorted((p for p in written.placed if p.lane == lane), key=lambda p: p.file_start_sample)
        assert len(events) == len(expected) > 0
        for event, p in zip(events, expected, strict=True):
            assert event["channel"] == ("A" if lane == 0 else f"A{lane + 1}"), "each lane on its own track"
            rec_in = programme.timecode_of(p.file_start_frame)
            rec_out = programme.timecode_of(p.file_start_frame + file_frames(p, programme))
            assert event["rec"] == (rec_in, rec_out)
            assert event["src"] == (rec_in, rec_out)  # source timecode = the BWF's own timecode
            assert f"* FROM CLIP NAME:  {p.cue.file_stem}.wav" in event["notes"]
            loc = [n for n in event["notes"] if n.startswith("* LOC:")]
            assert loc and loc[0].split()[2] == programme.timecode_of(p.cue.mark_frame)
        # And the adapter's own reader takes it back.
        timeline = otio.adapters.read_from_file(
            str(written.out / name), adapter_name="cmx_3600", rate=edl_rate
        )
        assert [t.name for t in timeline.audio_tracks()] == [f"A{lane + 1}"]
        clips = list(timeline.find_clips())
        assert [c.source_range.start_time.value for c in clips] == [
            programme.start_frame + p.file_start_frame for p in expected
        ]
        assert [c.source_range.duration.value for c in clips] == [file_frames(p, programme) for p in expected]


def test_edl_drop_frame_timecode_crosses_a_dropped_minute() -> None:
    """At 29.97 DF the frame after 01:00:59;29 is 01:01:00;02: the EDL must count like the programme."""
    timecode = Timecode(Fraction(30000, 1001), drop_frame=True)
    assert timecode.to_string(timecode.to_frame("01:00:59;29") + 1) == "01:01:00;02"


# -- timeline.xml (FCP 7) -------------------------------------------------------------------------------


def test_fcp_xml_puts_clips_on_their_frames(written: Written) -> None:
    programme = written.programme
    display = "DF" if programme.drop_frame else "NDF"
    root = ET.parse(written.out / "timeline.xml").getroot()
    sequence = root.find("./project/children/sequence")
    assert sequence is not None
    assert sequence.findtext("./rate/timebase") == str(programme.timecode.fps)
    assert sequence.findtext("./rate/ntsc") == ("TRUE" if programme.rate.denominator == 1001 else "FALSE")
    assert sequence.findtext("./timecode/string") == programme.start_timecode
    assert sequence.findtext("./timecode/frame") == str(programme.start_frame)
    assert sequence.findtext("./timecode/displayformat") == display
    tracks = sequence.findall("./media/audio/track")
    assert len(tracks) == written.lanes
    by_name = {p.cue.file_stem + ".wav": p for p in written.placed}
    seen = 0
    for lane, track in enumerate(tracks):
        for item in track.findall("./clipitem"):
            p = by_name[item.findtext("./name")]
            frames = file_frames(p, programme)
            assert p.lane == lane
            assert int(item.findtext("./start")) == p.file_start_frame
            assert int(item.findtext("./end")) == p.file_start_frame + frames
            assert (int(item.findtext("./in")), int(item.findtext("./out"))) == (0, frames)
            assert item.findtext("./file/timecode/string") == programme.timecode_of(p.file_start_frame)
            assert item.findtext("./file/timecode/displayformat") == display
            assert item.findtext("./file/media/audio/samplecharacteristics/samplerate") == "48000"
            assert int(item.findtext("./marker/in")) == p.cue.mark_frame - p.file_start_frame
            seen += 1
    assert seen == len(written.placed)

    timeline = otio.adapters.read_from_file(str(written.out / "timeline.xml"), adapter_name="fcp_xml")
    assert timeline.global_start_time.value == programme.start_frame
    audio = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Audio]
    for lane, track in enumerate(audio):
        for clip in track.find_clips():
            p = by_name[clip.name]
            assert p.lane == lane
            assert clip.range_in_parent().start_time.value == p.file_start_frame
            assert clip.range_in_parent().duration.value == file_frames(p, programme)
            assert clip.source_range.start_time.value == programme.start_frame + p.file_start_frame
    if programme.video:
        (video,) = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video]
        assert video[0].range_in_parent().duration.value == programme.frame_count


# -- timeline.aaf ---------------------------------------------------------------------------------------


def test_aaf_clip_positions_and_timecode(written: Written) -> None:
    import aaf2

    programme = written.programme
    if written.result["aaf"] is None:
        pytest.skip(f"no AAF: {written.result['aaf_skipped']}")
    assert written.result["aaf_skipped"] is None
    path = written.out / "timeline.aaf"
    timeline = otio.adapters.read_from_file(str(path), adapter_name="AAF")
    by_name = {p.cue.file_stem + ".wav": p for p in written.placed}
    audio = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Audio]
    assert len(audio) == written.lanes
    found = 0
    for lane, track in enumerate(audio):
        for clip in track.find_clips():
            p = by_name[clip.name]
            assert p.lane == lane
            assert clip.range_in_parent().start_time.value == p.file_start_frame
            assert clip.range_in_parent().duration.value == file_frames(p, programme)
            found += 1
    assert found == len(written.placed)

    with aaf2.open(str(path)) as f:
        (composition,) = list(f.content.toplevel())
        for slot in composition.slots:
            assert Fraction(slot.edit_rate) == programme.rate  # exact, not a float's fraction
        (tc,) = [s.segment for s in composition.slots if isinstance(s.segment, aaf2.components.Timecode)]
        assert (tc.start, tc.fps, tc.drop) == (
            programme.start_frame,
            programme.timecode.fps,
            programme.drop_frame,
        )
        tapes = {
            m.name: m for m in f.content.sourcemobs() if isinstance(m.descriptor, aaf2.essence.TapeDescriptor)
        }
        for name, p in by_name.items():
            (tape_tc,) = [
                s.segment for s in tapes[name].slots if isinstance(s.segment, aaf2.components.Timecode)
            ]
            assert tape_tc.start == programme.start_frame + p.file_start_frame
            assert tape_tc.drop == programme.drop_frame
        events = [s for s in composition.slots if isinstance(s, aaf2.mobslots.EventMobSlot)]
        sound_ids = {
            s.slot_id
            for s in composition.slots
            if isinstance(s, aaf2.mobslots.TimelineMobSlot) and s.segment.media_kind == "Sound"
        }
        marks = sorted(
            (m["Position"].value, m["Comment"].value, set(m["DescribedSlots"].value) <= sound_ids)
            for event in events
            for m in event.segment.components
        )
        assert marks == sorted((p.cue.mark_frame, p.cue.name, True) for p in written.placed)


def test_aaf_markers_land_on_their_cues_clips_for_the_adapters_reader(
    written: Written, tmp_path: Path
) -> None:
    """The AAF reader attaches each marker to the clip under it on the track it names: the cue's own clip,
    at the cue's mark (in the clip's media frames, as in the OTIO export)."""
    import aaf2

    assert written.result["aaf"] is not None, written.result["aaf_skipped"]  # a marker fault skips the AAF
    timeline = otio.adapters.read_from_file(str(written.out / "timeline.aaf"), adapter_name="AAF")
    by_name = {p.cue.file_stem + ".wav": p for p in written.placed}
    seen = 0
    for track in timeline.audio_tracks():
        for clip in track.find_clips():
            p = by_name[clip.name]
            (marker,) = clip.markers
            assert marker.name == p.cue.name
            at = clip.range_in_parent().start_time + (
                marker.marked_range.start_time - clip.source_range.start_time
            )
            assert at.value == p.cue.mark_frame
            assert marker.color == otio.schema.MarkerColor.RED
            seen += 1
    assert seen == len(written.placed)
    # and foleykit reads them back in, as it reads an editor's markers (`sync --cues timeline.aaf`)
    found = read_markers(written.out / "timeline.aaf", written.programme)
    assert [(m.frame, m.name) for _, m in found] == sorted(
        (p.cue.mark_frame, p.cue.name) for p in written.placed
    )

    # a mark on a track the file lacks stops the AAF (reported skipped) instead of going missing
    copy = tmp_path / "copy.aaf"
    shutil.copyfile(written.out / "timeline.aaf", copy)
    with aaf2.open(str(copy), "rw") as f, pytest.raises(ValueError, match="no audio track 'A9'"):
        _add_cue_markers(f, written.programme, [("A9", 0, "door")])


# -- overwriting, bad timelines -------------------------------------------------------------------------


def test_timelines_refuse_to_overwrite_without_force(tmp_path: Path) -> None:
    programme = Programme(rate=Fraction(25), frame_count=100, start_frame=90000)
    placed, files = place_cues(programme, [10, 12, 50], tmp_path)
    timeline = PlacedProgramme.of(placed, programme, files)
    first = write_timelines(timeline, tmp_path)
    before = (tmp_path / "timeline.edl").read_text()
    with pytest.raises(OutputExistsError):
        write_timelines(timeline, tmp_path)
    assert (tmp_path / "timeline.edl").read_text() == before
    (tmp_path / "timeline_A9.edl").write_text("stale")  # a lane an earlier run had
    again = write_timelines(timeline, tmp_path, force=True)
    assert again["edl"] == first["edl"] and not (tmp_path / "timeline_A9.edl").exists()
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temporaries


def test_aaf_is_skipped_with_its_reason_when_the_adapter_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import foleykit.exports.aaf as module

    def refuse(*args: object, **kwargs: object) -> None:
        raise otio.exceptions.NotSupportedError("no AAF for this one")

    monkeypatch.setattr(module.otio.adapters, "write_to_file", refuse)
    programme = Programme(rate=Fraction(25), frame_count=50)
    placed, files = place_cues(programme, [10], tmp_path)
    result = write_timelines(PlacedProgramme.of(placed, programme, files), tmp_path)
    assert result["aaf"] is None and "no AAF for this one" in result["aaf_skipped"]
    assert not (tmp_path / "timeline.aaf").exists() and not list(tmp_path.glob(".*.tmp"))
    assert (tmp_path / "timeline.xml").is_file() and (tmp_path / "timeline.edl").is_file()


def test_the_model_needs_lanes_and_files(tmp_path: Path) -> None:
    programme = Programme(rate=Fraction(24), frame_count=100)
    placed, files = place_cues(programme, [10, 12], tmp_path)
    unassigned = [
        place(CueSound(p.cue, burst(1000)), programme) for p in placed
    ]  # all on lane 0, overlapping
    with pytest.raises(ValueError, match="overlaps"):
        PlacedProgramme.of(unassigned, programme, files)
    with pytest.raises(ValueError, match="no cue file"):
        PlacedProgramme.of(placed, programme, {})


# -- preview.mp4 ----------------------------------------------------------------------------------------


def video_packets(path: Path) -> tuple[str, list[bytes], list[Fraction]]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        packets = [p for p in container.demux(stream) if p.size]
        tb = Fraction(stream.time_base)
        first = min(p.pts for p in packets)
        return stream.codec_context.name, [bytes(p) for p in packets], [(p.pts - first) * tb for p in packets]


def decoded_audio(path: Path) -> tuple[np.ndarray, Fraction, av.AudioStream]:
    """The preview's audio as FFmpeg decodes it, and where its first sample plays against the picture."""
    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        frames = list(container.decode(audio))
        first = frames[0].pts * Fraction(frames[0].time_base)
        video_start = video.start_time * Fraction(video.time_base)
        return np.concatenate([f.to_ndarray() for f in frames], axis=1), first - video_start, audio


@pytest.mark.parametrize(
    ("rate", "timecode", "codec", "channels", "suffix"),
    [
        (Fraction(25), "01:00:00:00", "libx264", 1, ".mp4"),
        (Fraction(30000, 1001), "01:00:00;00", "libx264", 2, ".mp4"),
        (Fraction(24), "01:00:00:00", "prores_ks", 2, ".mov"),  # ProRes cannot go into MP4
    ],
)
def test_preview_copies_the_picture_and_syncs_the_mix(
    tmp_path: Path, rate: Fraction, timecode: str, codec: str, channels: int, suffix: str
) -> None:
    container = ".mov" if codec == "prores_ks" else ".mp4"
    source = make_video(tmp_path / f"picture{container}", rate, 48, timecode, codec)
    programme = probe_video(source)
    mix = np.zeros((channels, programme.samples), np.float32)
    mark = 29  # a click (one 1 ms positive and one negative lobe) on this frame
    at = frame_to_sample(mark, rate)
    mix[:, at : at + 48] = 0.9
    mix[:, at + 48 : at + 96] = -0.9

    path = write_preview(source, mix, programme, tmp_path / "preview.mp4")
    assert path == (tmp_path / "preview").with_suffix(suffix) and path.is_file()

    codec_in, packets_in, times_in = video_packets(source)
    codec_out, packets_out, times_out = video_packets(path)
    assert codec_out == codec_in
    assert packets_out == packets_in  # copied: the very same bytes, frame for frame
    assert times_out == times_in
    again = probe_video(path)
    assert (again.frame_count, again.rate, again.start_timecode) == (48, rate, timecode)

    decoded, offset, stream = decoded_audio(path)
    assert stream.codec_context.name == "aac" and stream.sample_rate == SAMPLE_RATE
    assert decoded.shape[0] == channels
    assert offset == 0  # the encoder's 1024 priming samples are cut by the MP4/MOV edit list
    # The decoder does not trim the last AAC frame's padding: the audio runs < 1024 samples long.
    assert 0 <= decoded.shape[1] - programme.samples < 1024
    assert float(stream.duration * stream.time_base) == pytest.approx(float(programme.duration), abs=0.001)
    # Measured: the click's first sample over 0.3 is the sample it was put on (0 samples off) for every
    # case here; AAC smears a click by a few samples at most, so 1 ms (48 samples) is a safe bound.
    found = int(np.argmax(np.abs(decoded[0]) > 0.3)) + round(offset * SAMPLE_RATE)
    assert abs(found - at) <= 48, found - at

    with pytest.raises(OutputExistsError):
        write_preview(source, mix, programme, tmp_path / "preview.mp4")
    assert write_preview(source, mix, programme, tmp_path / "preview.mp4", force=True) == path


def test_preview_starts_the_picture_at_zero(tmp_path: Path) -> None:
    """An MPEG-TS picture starts after 0; the preview puts its first frame, and the mix, at 0."""
    source = make_video(tmp_path / "picture.ts", Fraction(25), 25)
    programme = probe_video(source)
    assert programme.first_frame_seconds > 0
    mix = np.zeros((1, programme.samples), np.float32)
    at = frame_to_sample(10, programme.rate)
    mix[:, at : at + 48] = 0.9
    path = write_preview(source, mix, programme, tmp_path / "preview.mp4")
    with av.open(str(path)) as container:
        assert container.streams.video[0].start_time == 0
        assert sum(1 for p in container.demux(container.streams.video[0]) if p.size) == 25
    decoded, offset, _ = decoded_audio(path)
    assert offset == 0
    assert abs(int(np.argmax(np.abs(decoded[0]) > 0.3)) - at) <= 48


def test_preview_refuses_what_is_not_a_video(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a video")
    programme = Programme(rate=Fraction(25), frame_count=25)
    with pytest.raises(BadInputError):
        write_preview(text, np.zeros((1, programme.samples), np.float32), programme, tmp_path / "p.mp4")
    assert not (tmp_path / "p.mp4").exists()
