"""Editor timelines of a placement (DESIGN §3, §6): OTIO, CMX 3600 EDL, FCP 7 XML and AAF via OTIO adapters.

`build_timeline` makes the one timeline model: audio clips at exact 48 kHz sample times (one track per
lane), a marker per cue on its mark, the picture on a video track. `write_timelines` only translates it.
The frame-based formats get a frame-rate copy of it (`_frame_timeline`): every clip starts and ends on
a frame (placement pads the cue files so), so samples → frames is exact and checked, never rounded.

Media time follows OTIO's convention: a clip's media starts at its own timecode. A cue file's media starts
at its BWF TimeReference (samples since midnight), so EDL source timecodes, FCP `<file><timecode>` and AAF
tape timecodes all name the timecode written in the file's `bext` chunk, and conform tools can relink.

Adapter limits worked around here (found reading otio-cmx3600-adapter 1.0, otio-fcp-adapter 1.0 and
otio-aaf-adapter 2.0, and checked by reading every file back in tests/test_exports.py):
- cmx_3600 writes only the first track, wants exactly one video track beside it, and ignores
  `global_start_time`: one EDL per lane (`timeline.edl` for A1, `timeline_A2.edl`, …), each from a
  timeline [lane, empty video track] whose lane starts with a gap as long as the start timecode.
- cmx_3600 formats every time with `to_timecode(t, rate)`, which infers drop-frame from the rate: a
  29.97/59.94 non-drop programme would get drop-frame timecode. Non-drop EDLs are therefore written at the
  nominal integer rate (30 frames per timecode second, the same frame counts), drop-frame ones at the
  exact NTSC rate. The writer emits no FCM line; one is inserted after TITLE (its reader skips FCM lines).
- fcp_xml takes the sequence rate from `global_start_time`'s rate and writes every time as a whole number
  at its item's rate (a 48 kHz clip would get `<timebase>48000`), so the XML is written from the frame
  timeline. It writes timecode drop-frame only if `displayformat` DF is in the `fcp_xml` timecode
  metadata, and clip-marker times verbatim (no media-start offset, unlike in/out): markers there are frames
  from the media start, which is what FCP 7 and the adapter's own reader expect.
- AAF: every item must have the timeline's one rate, so it is written from the frame timeline too. The
  writer turns float rates into int32 fractions (29.97002997… is not 30000/1001), always writes the
  composition timecode non-drop, flags tape timecode drop-frame for any non-integer rate (23.976 too),
  leaves video sequences at length 0, describes every picture as 1920x1080 unless told, writes no
  markers and needs mob ids (`use_empty_mob_ids`: fresh ones per write). So the programme's size and the
  cue files' PCM format go in as `AAF` metadata, and pyaaf2 patches the written file: exact edit and
  sample rates, the programme's drop flag on every timecode, sequence lengths. If the adapter raises, no
  AAF is written and the reason is returned instead.
"""

from __future__ import annotations

import copy
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio
from opentimelineio.opentime import RationalTime, TimeRange

from foleykit.audio.io import write_atomic
from foleykit.errors import OutputExistsError
from foleykit.framesync.placement import PlacedCue
from foleykit.framesync.timecode import SAMPLE_RATE, Timecode, frame_to_sample, rate_label, sample_to_frame
from foleykit.framesync.video import Programme

NAMESPACE = "foleykit"
BIT_DEPTH = 24  # cue files are 24-bit BWF (DESIGN §2)
OTIO_NAME = "timeline.otio"
EDL_NAME = "timeline.edl"
XML_NAME = "timeline.xml"
AAF_NAME = "timeline.aaf"


def _samples(value: int) -> RationalTime:
    return RationalTime(value, SAMPLE_RATE)


def _plain(value: Any) -> Any:
    """Metadata OTIO can serialise: Paths and numpy scalars become str/int/float; unknown types their str."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    item = getattr(value, "item", None)  # numpy scalar
    if callable(item):
        return _plain(item())
    return str(value)


def _lane_name(lane: int) -> str:
    return f"A{lane + 1}"


def _cue_clip(p: PlacedCue, programme: Programme, path: Path) -> otio.schema.Clip:
    """One cue file on the timeline: media time = samples since midnight, as the file's bext says."""
    cue = p.cue
    time_reference = programme.time_reference(p.file_start_frame)
    media_range = TimeRange(_samples(time_reference), _samples(p.file_samples))
    channels = int(p.audio.shape[0])
    reference = otio.schema.ExternalReference(target_url=path.as_uri(), available_range=media_range)
    reference.metadata[NAMESPACE] = {
        "time_reference": time_reference,
        "timecode": programme.timecode_of(p.file_start_frame),
        "sample_rate": SAMPLE_RATE,
        "bit_depth": BIT_DEPTH,
        "channels": channels,
    }
    source = {
        key: value
        for key, value in (
            ("prompt", cue.prompt),
            ("seed", cue.seed),
            ("model", cue.model),
            ("audio", cue.audio),
        )
        if value is not None
    }
    source.update(p.source)
    transient_offset = p.transient_sample - p.file_start_sample
    clip = otio.schema.Clip(name=path.name, media_reference=reference, source_range=media_range)
    clip.metadata[NAMESPACE] = _plain(
        {
            "cue": cue.number,
            "name": cue.name,
            "lane": p.lane,
            "sync": cue.sync,
            "gain_db": cue.gain_db,
            "mark_frame": cue.mark_frame,
            "mark_timecode": programme.timecode_of(cue.mark_frame),
            "mark_sample": cue.mark_sample,
            "transient_sample": p.transient_sample,
            "transient_offset_samples": transient_offset,
            "file_start_frame": p.file_start_frame,
            "file_start_timecode": programme.timecode_of(p.file_start_frame),
            "file_start_sample": p.file_start_sample,
            "file_samples": p.file_samples,
            "source": source,
        }
    )
    marker = otio.schema.Marker(
        name=cue.name,
        marked_range=TimeRange(_samples(time_reference + transient_offset), _samples(0)),
        metadata={
            NAMESPACE: {
                "cue": cue.number,
                "mark_frame": cue.mark_frame,
                "mark_timecode": programme.timecode_of(cue.mark_frame),
                "mark_sample": cue.mark_sample,
            }
        },
    )
    clip.markers.append(marker)
    return clip


def _video_track(programme: Programme) -> otio.schema.Track:
    rate = float(programme.rate)
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    length = RationalTime(programme.frame_count, rate)
    if programme.video is None:
        track.append(otio.schema.Gap(source_range=TimeRange(RationalTime(0, rate), length)))
        return track
    video = Path(programme.video).resolve()
    media_range = TimeRange(RationalTime(programme.start_frame, rate), length)
    reference = otio.schema.ExternalReference(target_url=video.as_uri(), available_range=media_range)
    track.append(otio.schema.Clip(name=video.name, media_reference=reference, source_range=media_range))
    return track


def build_timeline(
    placed: Sequence[PlacedCue],
    programme: Programme,
    cue_files: Mapping[int, Path],
    name: str = "foleykit sync",
) -> otio.schema.Timeline:
    """The placement as an OTIO timeline: 48 kHz audio clips on frame-aligned extents, one track per lane.

    `cue_files` maps cue number → that cue's BWF file. `global_start_time` is the start timecode as a frame
    count at the programme rate, not 48 kHz: the fcp_xml and AAF adapters take the sequence rate and start
    timecode from it, and `to_timecode(global_start_time)` reads as the start timecode (OTIO guesses
    drop-frame from 29.97/59.94; metadata["foleykit"]["programme"] says which it is).
    """
    rate = float(programme.rate)
    timeline = otio.schema.Timeline(name=name, global_start_time=RationalTime(programme.start_frame, rate))
    timeline.metadata[NAMESPACE] = {
        "programme": _plain({**programme.to_dict(), "start_frame": programme.start_frame}),
        "sample_rate": SAMPLE_RATE,
    }
    timeline.tracks.append(_video_track(programme))
    lanes = max((p.lane for p in placed), default=0) + 1
    for lane in range(lanes):
        track = otio.schema.Track(name=_lane_name(lane), kind=otio.schema.TrackKind.Audio)
        cursor = 0
        for p in sorted((p for p in placed if p.lane == lane), key=lambda p: p.file_start_sample):
            if p.file_start_sample < cursor:
                raise ValueError(
                    f"cue {p.cue.number} overlaps the previous cue on lane {_lane_name(lane)}: "
                    "assign lanes (placement.assign_lanes) before building the timeline"
                )
            try:
                path = Path(cue_files[p.cue.number]).resolve()
            except KeyError:
                raise ValueError(f"no cue file given for cue {p.cue.number}") from None
            if p.file_start_sample > cursor:
                track.append(
                    otio.schema.Gap(
                        source_range=TimeRange(_samples(0), _samples(p.file_start_sample - cursor))
                    )
                )
            track.append(_cue_clip(p, programme, path))
            cursor = p.file_end_sample
        if cursor < programme.samples:
            track.append(
                otio.schema.Gap(source_range=TimeRange(_samples(0), _samples(programme.samples - cursor)))
            )
        timeline.tracks.append(track)
    return timeline


# -- frame-rate copies for the frame-based formats ----------------------------------------------------


class _Frames:
    """Sample ↔ frame conversion for the programme a timeline was built for (from its metadata)."""

    def __init__(self, timeline: otio.schema.Timeline) -> None:
        try:
            info = timeline.metadata[NAMESPACE]["programme"]
            self.rate = Fraction(str(info["rate"]))  # "30000/1001": exact
            self.start_frame = int(info["start_frame"])
            self.drop_frame = bool(info["drop_frame"])
            self.width, self.height = info.get("width"), info.get("height")
        except (KeyError, TypeError, ValueError):
            raise ValueError("not a foleykit timeline (build it with build_timeline)") from None
        self.timecode = Timecode(self.rate, self.drop_frame)

    def exact(self, time: RationalTime, what: str) -> int:
        """A programme time (48 kHz) that must sit on a frame boundary, as a frame number."""
        sample = round(time.rescaled_to(SAMPLE_RATE).value)
        frame = sample_to_frame(sample, self.rate)
        if frame_to_sample(frame, self.rate) != sample:
            raise ValueError(
                f"{what} at sample {sample} is not on a frame boundary at {rate_label(self.rate)} fps"
            )
        return frame

    def nearest(self, time: RationalTime) -> int:
        """A media time as the nearest frame: BWF TimeReferences may be a sample off a frame (29.97)."""
        return round(Fraction(time.rescaled_to(SAMPLE_RATE).value) * self.rate / SAMPLE_RATE)

    def containing(self, time: RationalTime) -> int:
        return sample_to_frame(math.floor(time.rescaled_to(SAMPLE_RATE).value), self.rate)


def _frame_track(
    track: otio.schema.Track, frames: _Frames, rate: float, *, lead_frames: int, fcp_markers: bool
) -> otio.schema.Track:
    """An audio track at `rate` frames: same clips, same media, frames instead of samples."""
    out = otio.schema.Track(name=track.name, kind=track.kind)
    if lead_frames:
        out.append(
            otio.schema.Gap(source_range=TimeRange(RationalTime(0, rate), RationalTime(lead_frames, rate)))
        )
    for index, item in enumerate(track):
        record = track.range_of_child_at_index(index)
        start = frames.exact(record.start_time, f"{item.name or 'gap'!r} on track {track.name}")
        end = frames.exact(
            record.end_time_exclusive(), f"end of {item.name or 'gap'!r} on track {track.name}"
        )
        if not isinstance(item, otio.schema.Clip):
            out.append(
                otio.schema.Gap(
                    source_range=TimeRange(RationalTime(0, rate), RationalTime(end - start, rate))
                )
            )
            continue
        media = item.media_reference
        source_frame = frames.nearest(item.source_range.start_time)
        source_range = TimeRange(RationalTime(source_frame, rate), RationalTime(end - start, rate))
        available = media.available_range or item.source_range
        reference = copy.deepcopy(media)
        reference.available_range = TimeRange(
            RationalTime(frames.nearest(available.start_time), rate),
            RationalTime(frames.nearest(available.duration), rate),
        )
        info = dict(media.metadata.get(NAMESPACE, {}))
        channels = int(info.get("channels", 1))
        file_samples = round(available.duration.rescaled_to(SAMPLE_RATE).value)
        display = "DF" if frames.drop_frame else "NDF"
        reference.metadata["fcp_xml"] = {
            "timecode": {"displayformat": display},
            "media": {
                "audio": {
                    "samplecharacteristics": {"depth": BIT_DEPTH, "samplerate": SAMPLE_RATE},
                    "channelcount": channels,
                }
            },
        }
        block_align = channels * BIT_DEPTH // 8
        reference.metadata["AAF"] = {
            "EssenceDescription": {
                "Channels": channels,
                "QuantizationBits": BIT_DEPTH,
                "BlockAlign": block_align,
                "AverageBPS": SAMPLE_RATE * block_align,
                "AudioSamplingRate": SAMPLE_RATE,
                "SampleRate": SAMPLE_RATE,
                "Length": file_samples,
            }
        }
        clip = otio.schema.Clip(name=item.name, media_reference=reference, source_range=source_range)
        clip.metadata.update(copy.deepcopy(dict(item.metadata)))
        clip.metadata["fcp_xml"] = {"sourcetrack": {"mediatype": "audio", "trackindex": 1}}
        for marker in item.markers:
            offset = marker.marked_range.start_time - item.source_range.start_time
            mark = frames.containing(record.start_time + offset) - start  # frames into the clip
            at = mark if fcp_markers else source_frame + mark
            new = otio.schema.Marker(
                name=marker.name,
                marked_range=TimeRange(RationalTime(at, rate), RationalTime(0, rate)),
                color=marker.color,
                metadata=copy.deepcopy(dict(marker.metadata)),
            )
            clip.markers.append(new)
        out.append(clip)
    return out


def _frame_timeline(
    timeline: otio.schema.Timeline,
    lanes: Sequence[int] | None = None,
    *,
    edl: bool = False,
    fcp_markers: bool = False,
) -> otio.schema.Timeline:
    """`timeline` at the programme's frame rate, for the frame-based adapters.

    For an EDL: one lane, first, then an empty video track, starting with a gap as long as the start
    timecode (cmx_3600 ignores `global_start_time`), at the nominal rate when the timecode is non-drop.
    """
    frames = _Frames(timeline)
    rate = _edl_rate(frames) if edl else float(frames.rate)
    audio = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Audio]
    chosen = [audio[i] for i in lanes] if lanes is not None else audio
    out = otio.schema.Timeline(name=timeline.name, global_start_time=RationalTime(frames.start_frame, rate))
    out.metadata.update(copy.deepcopy(dict(timeline.metadata)))
    out.metadata["fcp_xml"] = {"timecode": {"displayformat": "DF" if frames.drop_frame else "NDF"}}
    converted = [
        _frame_track(t, frames, rate, lead_frames=frames.start_frame if edl else 0, fcp_markers=fcp_markers)
        for t in chosen
    ]
    if edl:
        out.tracks.extend(converted)
        out.tracks.append(otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video))
        return out
    for track in timeline.tracks:
        if track.kind == otio.schema.TrackKind.Video:
            video = copy.deepcopy(track)
            for item in video:
                if isinstance(item, otio.schema.Clip):
                    item.media_reference.metadata["fcp_xml"] = {
                        "timecode": {"displayformat": "DF" if frames.drop_frame else "NDF"}
                    }
                    if frames.width and frames.height:  # else the AAF adapter says 1920x1080
                        item.media_reference.metadata["AAF"] = {
                            "EssenceDescription": {
                                "StoredWidth": frames.width,
                                "StoredHeight": frames.height,
                                "ImageAspectRatio": f"{frames.width}/{frames.height}",
                            }
                        }
            out.tracks.append(video)
    out.tracks.extend(converted)
    return out


def _edl_rate(frames: _Frames) -> float:
    """cmx_3600 infers drop-frame from the rate: non-drop timecode is written at the nominal integer rate."""
    return float(frames.rate) if frames.drop_frame else float(Timecode(frames.rate).fps)


def _edl_text(timeline: otio.schema.Timeline, lane: int) -> str:
    frames = _Frames(timeline)
    frame_timeline = _frame_timeline(timeline, [lane], edl=True)
    frame_timeline.name = f"{timeline.name} {_lane_name(lane)}"
    text = otio.adapters.write_to_string(frame_timeline, adapter_name="cmx_3600", rate=_edl_rate(frames))
    text = _audio_channel(text, lane)
    fcm = "FCM: DROP FRAME" if frames.drop_frame else "FCM: NON-DROP FRAME"
    if text.startswith("TITLE:"):
        title, _, rest = text.partition("\n")
        return f"{title}\n{fcm}\n{rest}"
    return f"{fcm}\n{text}"


# An event line as cmx_3600 writes it: edit number, reel, channel (5 wide), then C or D.
_EVENT_CHANNEL = re.compile(r"^(\d{3,}\s+\S+\s+)A {4}(?= +(?:C|D) )", re.MULTILINE)


def _audio_channel(text: str, lane: int) -> str:
    """Each event on the lane's own channel: cmx_3600 writes every audio event as `A` (= A1), so a second
    lane's EDL would land on A1 when an editor imports it; `A2`, `A3`… are the CMX channel names."""
    if lane == 0:
        return text
    return _EVENT_CHANNEL.sub(lambda m: m.group(1) + _lane_name(lane).ljust(5), text)


def _write_aaf(timeline: otio.schema.Timeline, tmp: Path) -> None:
    """The AAF adapter's file, then its timecodes and rates made exact with pyaaf2."""
    frame_timeline = _frame_timeline(timeline, fcp_markers=False)
    otio.adapters.write_to_file(frame_timeline, str(tmp), adapter_name="AAF", use_empty_mob_ids=True)
    _fix_aaf(tmp, _Frames(timeline))


def _fix_aaf(path: Path, frames: _Frames) -> None:
    import aaf2

    exact = frames.rate
    fps = Timecode(exact).fps

    def close(rate: Any) -> bool:
        try:
            return abs(Fraction(rate) - exact) < Fraction(1, 1000)
        except (TypeError, ValueError, ZeroDivisionError):
            return False

    with aaf2.open(str(path), "rw") as f:
        for mob in f.content.mobs:
            for slot in mob.slots:
                if "EditRate" in slot and close(slot["EditRate"].value):
                    slot["EditRate"].value = exact
                segment = slot.segment
                if isinstance(segment, aaf2.components.Sequence) and segment.components:
                    segment.length = sum(c.length for c in segment.components)  # left 0 for video tracks
                if isinstance(segment, aaf2.components.Timecode):
                    segment["FPS"].value = fps
                    segment["Drop"].value = frames.drop_frame
            descriptor = getattr(mob, "descriptor", None)
            if (
                descriptor is not None
                and "SampleRate" in descriptor
                and close(descriptor["SampleRate"].value)
            ):
                descriptor["SampleRate"].value = exact


def _aaf_in_child(otio_json: str, path: str) -> None:
    """Runs in the AAF job's process: the timeline comes over as OTIO JSON, the AAF goes to `path`."""
    _write_aaf(otio.adapters.read_from_string(otio_json, adapter_name="otio_json"), Path(path))


class AafJob:
    """timeline.aaf written in a child process while the caller writes everything else.

    The AAF adapter is pure Python (~10 ms a clip: 5 s for 500 cues); on a 2-core machine the other
    exports (BWF files, OTIO, EDL, XML) take about as long on the first core, so this halves the wait.
    """

    def __init__(self, timeline: otio.schema.Timeline, out_dir: Path) -> None:
        import multiprocessing
        import tempfile
        from concurrent.futures import ProcessPoolExecutor

        self._dir = Path(out_dir)
        fd, name = tempfile.mkstemp(prefix=".timeline.", suffix=".aaf.part", dir=self._dir)
        os.close(fd)
        self._part = Path(name)
        text = otio.adapters.write_to_string(timeline, adapter_name="otio_json")
        self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        self._future = self._pool.submit(_aaf_in_child, text, name)

    def cancel(self) -> None:
        """The export failed elsewhere: stop (or wait out) the child and leave no part file behind."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._part.unlink(missing_ok=True)

    def finish(self, force: bool) -> tuple[Path | None, str | None]:
        """(path, None) once written and moved into place, or (None, why the adapter could not)."""
        try:
            self._future.result()
            path = write_atomic(self._dir / AAF_NAME, lambda tmp: os.replace(self._part, tmp), force=force)
            return path, None
        except OutputExistsError:
            raise
        except Exception as err:  # the adapter's limits are many; an AAF is written only where it can be
            return None, f"{type(err).__name__}: {err}".strip()
        finally:
            self._pool.shutdown()
            self._part.unlink(missing_ok=True)


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _lane_count(timeline: otio.schema.Timeline) -> int:
    return sum(1 for t in timeline.tracks if t.kind == otio.schema.TrackKind.Audio)


def edl_names(lanes: int) -> list[str]:
    return [EDL_NAME] + [f"timeline_{_lane_name(lane)}.edl" for lane in range(1, lanes)]


def write_timelines(
    timeline: otio.schema.Timeline, out_dir: Path, *, force: bool = False, aaf: bool | AafJob = True
) -> dict[str, Any]:
    """Write timeline.otio, one CMX 3600 EDL per lane, timeline.xml (FCP 7) and timeline.aaf into `out_dir`.

    `aaf=False` skips the AAF (the adapter is pure Python: ~10 ms per clip); an `AafJob` started earlier
    is waited for and its file moved into place.

    Returns {"otio": Path, "edl": [Path, …] (A1 first), "xml": Path, "aaf": Path | None,
    "aaf_skipped": reason | None}. Without `force`, nothing is written if any of these names (or a lane EDL
    or AAF left by an earlier run) exists: OutputExistsError. With `force`, such stale files are removed.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    lanes = _lane_count(timeline)
    if not lanes:
        raise ValueError("the timeline has no audio track (build it with build_timeline)")
    edls = [out_dir / n for n in edl_names(lanes)]
    ours = [out_dir / OTIO_NAME, *edls, out_dir / XML_NAME, out_dir / AAF_NAME]
    stale = [p for p in sorted(out_dir.glob("timeline_A*.edl")) if p not in edls]
    if not force:
        taken = [p for p in (*ours, *stale) if p.exists()]
        if taken:
            raise OutputExistsError(f"{taken[0]} exists; pass --force to overwrite it")
    else:
        for path in stale:
            path.unlink(missing_ok=True)

    # Render everything that can fail on bad input before the first file is written.
    otio_text = otio.adapters.write_to_string(timeline, adapter_name="otio_json")
    edl_texts = [_edl_text(timeline, lane) for lane in range(lanes)]
    xml_text = otio.adapters.write_to_string(
        _frame_timeline(timeline, fcp_markers=True), adapter_name="fcp_xml"
    )

    def text_writer(text: str) -> Callable[[Path], None]:
        return lambda tmp: _write_text(tmp, text)

    result: dict[str, Any] = {"otio": write_atomic(out_dir / OTIO_NAME, text_writer(otio_text), force=force)}
    result["edl"] = [
        write_atomic(p, text_writer(t), force=force) for p, t in zip(edls, edl_texts, strict=True)
    ]
    result["xml"] = write_atomic(out_dir / XML_NAME, text_writer(xml_text), force=force)
    if not aaf:
        result["aaf"], result["aaf_skipped"] = None, "not asked for (--no-aaf)"
        return result
    if isinstance(aaf, AafJob):
        result["aaf"], result["aaf_skipped"] = aaf.finish(force)
        if result["aaf"] is None and force:
            (out_dir / AAF_NAME).unlink(missing_ok=True)
        return result
    try:
        result["aaf"] = write_atomic(out_dir / AAF_NAME, lambda tmp: _write_aaf(timeline, tmp), force=force)
        result["aaf_skipped"] = None
    except OutputExistsError:
        raise
    except Exception as err:  # the AAF adapter's limits are many; an AAF is written only where it can be
        if force:
            (out_dir / AAF_NAME).unlink(missing_ok=True)
        result["aaf"] = None
        result["aaf_skipped"] = f"{type(err).__name__}: {err}".strip()
    return result


__all__ = ["AafJob", "build_timeline", "edl_names", "write_timelines"]
